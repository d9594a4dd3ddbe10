"""Integer reference executor: runs an :class:`~rtmcim.nn.intgraph.IntGraph` in numpy.

Every value is an int64 numpy array and every step is the plain integer
operation the graph's docstring defines (products of integers summed in int64,
plus bias, then multiply, add half, arithmetic right shift, clamp). The
bit-exact in-memory engine must reproduce these integers exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rtmcim.errors import DataError
from rtmcim.nn.intgraph import (
    AddLayer,
    ConvLayer,
    IntGraph,
    Layer,
    LinearLayer,
    PoolLayer,
    Requant,
)


@dataclass(frozen=True)
class ReferenceResult:
    """Logits (int64 accumulators of the classifier) and every layer's integer output."""

    logits: np.ndarray
    activations: dict[str, np.ndarray]

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.logits, axis=1)


def requantize(acc: np.ndarray, rq: Requant, channel_axis: int = 1) -> np.ndarray:
    """``clamp((acc * m[o] + 2^(s[o]-1)) >> s[o])`` per output channel ``o``."""
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    m = rq.multiplier.astype(np.int64).reshape(shape)
    s = rq.shift.astype(np.int64).reshape(shape)
    y = (acc * m + (np.int64(1) << (s - 1))) >> s
    return np.clip(y, rq.lo, rq.hi)


def conv_acc(x: np.ndarray, lay: ConvLayer) -> np.ndarray:
    """int64 accumulators ``bias[o] + sum w[o,c,u,v] * x[g*C/G + c, i*s+u, j*s+v]`` of a conv
    layer (``g`` the group of filter ``o``)."""
    w = lay.weight.astype(np.int64)
    o, cg, kh, kw = w.shape
    g = lay.groups
    p, st = lay.padding, lay.stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::st, ::st]  # N,C,OH,OW,kh,kw
    n, _, oh, ow = win.shape[:4]
    og = o // g
    # N, OH, OW, G, C/G * kh * kw: each group's windows
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, g, cg * kh * kw)
    wg = w.reshape(g, og, cg * kh * kw)
    if g == 1:
        acc = cols[:, 0] @ wg[0].T  # int64 matmul: exact
    else:
        acc = np.einsum("rgk,gok->rgo", cols, wg).reshape(n * oh * ow, o)
    acc = acc.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)
    return acc + lay.bias.astype(np.int64).reshape(1, o, 1, 1)


def add(a: np.ndarray, b: np.ndarray, lay: AddLayer) -> np.ndarray:
    """``clamp((a * ma + b * mb + 2^(shift-1)) >> shift)``: the residual add."""
    ma, mb = (np.int64(m) for m in lay.multiplier)
    s = np.int64(lay.shift)
    total = a.astype(np.int64) * ma + b.astype(np.int64) * mb
    y = (total + (np.int64(1) << (s - 1))) >> s
    return np.clip(y, lay.lo, lay.hi)


def linear_acc(x: np.ndarray, lay: LinearLayer) -> np.ndarray:
    return x @ lay.weight.astype(np.int64).T + lay.bias.astype(np.int64)


def pool(x: np.ndarray, lay: PoolLayer) -> np.ndarray:
    k = lay.size
    n, c, h, w = x.shape
    oh, ow = h // k, w // k
    blocks = x[:, :, : oh * k, : ow * k].reshape(n, c, oh, k, ow, k)
    if lay.kind == "max":
        return blocks.max(axis=(3, 5))
    area = k * k
    return (blocks.sum(axis=(3, 5)) + area // 2) // area


def run_reference(
    graph: IntGraph,
    x: np.ndarray,
    *,
    keep_activations: bool = True,
    batch_size: int = 1000,
) -> ReferenceResult:
    """Run ``graph`` on a batch.

    ``x`` is either float images in [0, 1] (quantized with
    :meth:`IntGraph.quantize_input`) or already-quantized integers. The batch is
    processed in chunks of ``batch_size`` to bound memory.
    """
    x = np.asarray(x)
    xi = x.astype(np.int64) if np.issubdtype(x.dtype, np.integer) else graph.quantize_input(x)
    if xi.ndim != 4 or tuple(xi.shape[1:]) != tuple(graph.input_shape):
        raise DataError(
            f"input batch has shape {xi.shape}, graph expects (N, *{graph.input_shape})"
        )
    hi = 2**graph.input_bits - 1
    if xi.size and (xi.min() < 0 or xi.max() > hi):
        raise DataError(f"input integers outside 0..{hi}")
    logits: list[np.ndarray] = []
    acts: dict[str, list[np.ndarray]] = {}
    sources, last = graph.sources(), graph.last_use()
    for start in range(0, len(xi), batch_size):
        vals = {"input": xi[start : start + batch_size]}
        h = vals["input"]
        for i, lay in enumerate(graph.layers):
            h = run_layer(lay, [vals[s] for s in sources[i]])
            vals[lay.name] = h
            for src in sources[i]:  # free what no later layer reads
                if last[src] == i:
                    del vals[src]
            if keep_activations:
                acts.setdefault(lay.name, []).append(h)
        logits.append(h)
    out = np.concatenate(logits) if logits else np.zeros((0, graph.classes), dtype=np.int64)
    return ReferenceResult(
        logits=out,
        activations={k: np.concatenate(v) for k, v in acts.items()},
    )


def run_layer(lay: Layer, xs: list[np.ndarray]) -> np.ndarray:
    """One layer's integer output from its inputs' (one batch)."""
    h = xs[0]
    if isinstance(lay, ConvLayer):
        h = conv_acc(h, lay)
        return requantize(h, lay.requant, 1) if lay.requant is not None else h
    if isinstance(lay, LinearLayer):
        h = linear_acc(h, lay)
        return requantize(h, lay.requant, 1) if lay.requant is not None else h
    if isinstance(lay, PoolLayer):
        return pool(h, lay)
    if isinstance(lay, AddLayer):
        return add(xs[0], xs[1], lay)
    return h.reshape(len(h), -1)
