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
    make_add,
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


def random_dag_graph(bits: int = 8, seed: int = 0, size: int = 8) -> IntGraph:
    """Every node type in one small graph, random ``bits``-bit integers::

    conv0 3x3 (2 -> 4, ReLU) -> dw 3x3 stride 2 (depthwise, 4 groups, ReLU) -> pw 1x1 (8)
      -> conv2 3x3 (8, no ReLU: signed) ----------------------------> add (ReLU) -> gap
      -> proj 1x1 (8, signed, reads pw) --------------------------/
    gap -> flatten -> fc (5) -> classifier (3 raw logits)
    """
    rng = np.random.default_rng(seed)
    wmax = 2 ** (bits - 1) - 1
    half = (size + 2 - 3) // 2 + 1

    def w(*shape: int) -> np.ndarray:
        return rng.integers(-wmax, wmax + 1, shape).astype(np.int8)

    def rq(n: int, relu: bool = True) -> Requant:
        return make_requant(rng.uniform(0.01, 0.2, n), bits, relu)

    def b(n: int) -> np.ndarray:
        return rng.integers(-50, 50, n).astype(np.int32)

    def conv(name, weight, stride, pad, ins, outs, relu=True, groups=1, inputs=()):  # type: ignore[no-untyped-def]
        o = weight.shape[0]
        return ConvLayer(
            name, weight, b(o), stride, pad, bits, bits, rq(o, relu), ins, outs,
            np.ones(o), 1.0, 1.0, groups, inputs,
        )  # fmt: skip

    m = (8, half, half)
    layers = (
        conv("conv0", w(4, 2, 3, 3), 1, 1, (2, size, size), (4, size, size)),
        conv("dw", w(4, 1, 3, 3), 2, 1, (4, size, size), (4, half, half), groups=4),
        conv("pw", w(8, 4, 1, 1), 1, 0, (4, half, half), m),
        conv("conv2", w(8, 8, 3, 3), 1, 1, m, m, relu=False),
        conv("proj", w(8, 8, 1, 1), 1, 0, m, m, relu=False, inputs=("pw",)),
        make_add(
            "add",
            ("conv2", "proj"),
            (0.7, 0.4),
            bits,
            True,
            in_bits=(bits, bits),
            in_signed=(True, True),
            in_shape=m,
            out_shape=m,
            in_scales=(0.7, 0.4),
            out_scale=1.0,
        ),
        PoolLayer("gap", "avg", half, m, (8, 1, 1)),
        FlattenLayer("flat", (8, 1, 1), (8,)),
        LinearLayer("fc", w(5, 8), b(5), bits, bits, rq(5), (8,), (5,), np.ones(5), 1.0, 1.0),
        LinearLayer("cls", w(3, 5), b(3), bits, bits, None, (5,), (3,), np.ones(3), 1.0, None),
    )
    return IntGraph(layers=layers, input_shape=(2, size, size), input_bits=bits, classes=3)
