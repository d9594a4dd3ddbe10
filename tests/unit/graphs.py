"""A small integer graph with random weights, shared by the engine and fault tests
(``tests/unit`` is on pytest's ``pythonpath``)."""

from __future__ import annotations

import numpy as np

from rtmcim.nn.intgraph import (
    ConvLayer,
    FlattenLayer,
    IntGraph,
    LinearLayer,
    PoolLayer,
    Requant,
    make_requant,
)


def random_graph(
    bits: int = 8,
    seed: int = 0,
    *,
    pool: str = "max",
    size: int = 9,
    stride: int = 2,
    scales: tuple[float, float] = (0.01, 0.2),
) -> IntGraph:
    """conv 3x3 (pad 1, ``stride``, 4 filters) on 2 x ``size`` x ``size`` -> 2x2 ``pool`` pool ->
    flatten -> fc (6) -> classifier (3 raw logits): random ``bits``-bit integers, requantization
    ratios drawn from ``scales``."""
    rng = np.random.default_rng(seed)
    wmax = 2 ** (bits - 1) - 1
    out = (size + 2 - 3) // stride + 1
    pooled = out // 2
    flat = 4 * pooled * pooled
    w1 = rng.integers(-wmax, wmax + 1, (4, 2, 3, 3)).astype(np.int8)
    w2 = rng.integers(-wmax, wmax + 1, (6, flat)).astype(np.int8)
    w3 = rng.integers(-wmax, wmax + 1, (3, 6)).astype(np.int8)

    def requant(n: int) -> Requant:
        return make_requant(rng.uniform(*scales, n), bits)

    def bias(n: int) -> np.ndarray:
        return rng.integers(-50, 50, n).astype(np.int32)

    conv = ConvLayer(
        "conv",
        w1,
        bias(4),
        stride,
        1,
        bits,
        bits,
        requant(4),
        (2, size, size),
        (4, out, out),
        np.ones(4),
        1.0,
        1.0,
    )
    fc = LinearLayer("fc", w2, bias(6), bits, bits, requant(6), (flat,), (6,), np.ones(6), 1.0, 1.0)
    cls = LinearLayer("cls", w3, bias(3), bits, bits, None, (6,), (3,), np.ones(3), 1.0, None)
    return IntGraph(
        layers=(
            conv,
            PoolLayer("pool", pool, 2, (4, out, out), (4, pooled, pooled)),
            FlattenLayer("flat", (4, pooled, pooled), (flat,)),
            fc,
            cls,
        ),
        input_shape=(2, size, size),
        input_bits=bits,
        classes=3,
    )
