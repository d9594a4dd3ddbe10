"""What training a spec would take in memory, estimated before anything is allocated.

Float32 training with Adam keeps, per parameter, the weight, its gradient and two moments, and
the QAT copy (fake-quantized weights): ~6 floats. Per image of a batch it keeps every layer's
output for the backward pass, plus its gradient and a fake-quantized copy: ~3 floats per
activation (plus the input). :func:`check_training_size` refuses a spec whose estimate is beyond
:data:`MAX_TRAIN_BYTES`, or a layer beyond :data:`MAX_PARAMETERS`, naming the layer, the estimate
and the limit, so that ``fc: [65536, 65536, 65536]`` is one line, not an allocation failure.
"""

from __future__ import annotations

from rtmcim.errors import ConfigError
from rtmcim.nn.spec import LayerShape, NetSpec

MAX_PARAMETERS = 2**26
"""Weights of one layer (256 MiB as float32)."""
MAX_TRAIN_BYTES = 8 * 2**30
"""Estimated training memory: a third of a 24 GB machine."""
FLOATS_PER_PARAMETER = 6
FLOATS_PER_ACTIVATION = 3


def layer_parameters(spec: NetSpec, shapes: list[LayerShape]) -> list[tuple[str, int]]:
    """(field, weights + biases) of every compute layer, in order."""
    out = []
    convs = iter(spec.conv)
    for sh in shapes:
        if sh.kind == "conv":
            b = next(convs)
            n = b.channels * sh.in_shape[0] * b.kernel * b.kernel + b.channels
        else:
            n = sh.in_shape[0] * sh.out_shape[0] + sh.out_shape[0]
        out.append((sh.field, n))
    return out


def training_bytes(spec: NetSpec, shapes: list[LayerShape], batch_size: int) -> int:
    """Estimated peak memory of training ``spec`` (see the module docstring)."""
    params = sum(n for _, n in layer_parameters(spec, shapes))
    acts = sum(_prod(sh.in_shape) + _prod(sh.out_shape) for sh in shapes)
    return 4 * (FLOATS_PER_PARAMETER * params + FLOATS_PER_ACTIVATION * batch_size * acts)


def check_training_size(
    spec: NetSpec, shapes: list[LayerShape], batch_size: int, source: str | None = None
) -> int:
    """Refuse a spec too large to train here; returns the estimate in bytes."""
    for field, n in layer_parameters(spec, shapes):
        if n > MAX_PARAMETERS:
            raise ConfigError(
                f"layer has {n:,} weights ({4 * n / 2**30:.1f} GiB as float32)",
                key=field,
                source=source,
                allowed=f"at most {MAX_PARAMETERS:,} weights per layer",
            )
    need = training_bytes(spec, shapes, batch_size)
    if need > MAX_TRAIN_BYTES:
        raise ConfigError(
            f"training would need about {need / 2**30:.1f} GiB at batch size {batch_size}",
            key="spec",
            value=spec.name,
            source=source,
            allowed=f"an estimate up to {MAX_TRAIN_BYTES / 2**30:.0f} GiB: fewer channels or "
            "units, or a smaller batch",
        )
    return need


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
