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
from rtmcim.nn.spec import NetSpec

MAX_PARAMETERS = 2**26
"""Weights of one layer (256 MiB as float32)."""
MAX_TRAIN_BYTES = 8 * 2**30
"""Estimated training memory: a third of a 24 GB machine."""
FLOATS_PER_PARAMETER = 6
FLOATS_PER_ACTIVATION = 3


def layer_parameters(
    spec: NetSpec, in_shape: tuple[int, int, int], classes: int
) -> list[tuple[str, int]]:
    """(spec field, weights + biases) of every compute node, in order."""
    from rtmcim.nn.blocks import spec_nodes

    out = []
    for n in spec_nodes(spec, in_shape, classes):
        if not n.is_compute:
            continue
        if n.op == "conv":
            fan_in = n.in_shape[0] // n.groups * n.kernel * n.kernel
        else:
            fan_in = _prod(n.in_shape)
        out.append((n.key, n.channels * fan_in + n.channels))
    return out


def training_bytes(
    spec: NetSpec, in_shape: tuple[int, int, int], classes: int, batch_size: int
) -> int:
    """Estimated peak memory of training ``spec`` (see the module docstring)."""
    from rtmcim.nn.blocks import spec_nodes

    params = sum(n for _, n in layer_parameters(spec, in_shape, classes))
    acts = sum(_prod(n.out_shape) for n in spec_nodes(spec, in_shape, classes)) + _prod(in_shape)
    return 4 * (FLOATS_PER_PARAMETER * params + FLOATS_PER_ACTIVATION * batch_size * acts)


def check_training_size(
    spec: NetSpec,
    in_shape: tuple[int, int, int],
    classes: int,
    batch_size: int,
    source: str | None = None,
) -> int:
    """Refuse a spec too large to train here (after :func:`~rtmcim.nn.spec.check_shapes`);
    returns the estimate in bytes."""
    for field, n in layer_parameters(spec, in_shape, classes):
        if n > MAX_PARAMETERS:
            raise ConfigError(
                f"layer has {n:,} weights ({4 * n / 2**30:.1f} GiB as float32)",
                key=field,
                source=source,
                allowed=f"at most {MAX_PARAMETERS:,} weights per layer",
            )
    need = training_bytes(spec, in_shape, classes, batch_size)
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
