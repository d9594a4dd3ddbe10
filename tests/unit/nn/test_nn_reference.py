"""The integer reference against plain Python-integer loops (independent of numpy tricks)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from rtmcim.nn.intgraph import ConvLayer, PoolLayer, make_requant
from rtmcim.nn.reference import conv_acc, pool, requantize


def test_conv_acc_equals_naive_sum_of_products() -> None:
    rng = np.random.default_rng(0)
    w = rng.integers(-7, 8, (3, 2, 3, 3)).astype(np.int8)
    b = rng.integers(-100, 100, 3).astype(np.int32)
    x = rng.integers(0, 16, (2, 2, 7, 6)).astype(np.int64)
    for stride, pad in [(1, 0), (2, 1), (3, 2)]:
        oh, ow = (7 + 2 * pad - 3) // stride + 1, (6 + 2 * pad - 3) // stride + 1
        lay = ConvLayer(
            "c", w, b, stride, pad, 4, 4, None, (2, 7, 6), (3, oh, ow), np.ones(3), 1.0, None
        )
        got = conv_acc(x, lay)
        assert got.shape == (2, 3, oh, ow) and got.dtype == np.int64
        for n in range(2):
            for o in range(3):
                for i in range(oh):
                    for j in range(ow):
                        s = int(b[o])
                        for c in range(2):
                            for u in range(3):
                                for v in range(3):
                                    r, q = i * stride + u - pad, j * stride + v - pad
                                    if 0 <= r < 7 and 0 <= q < 6:
                                        s += int(w[o, c, u, v]) * int(x[n, c, r, q])
                        assert got[n, o, i, j] == s


@pytest.mark.parametrize("relu", [True, False])
def test_requantize_is_round_half_up_then_saturate(relu: bool) -> None:
    rq = make_requant(np.array([0.013, 0.75, 3.0e-4]), 4, relu=relu)
    acc = np.arange(-3000, 3000, 7, dtype=np.int64)
    got = requantize(np.stack([acc, acc, acc], axis=1), rq, 1)
    lo, hi = (0, 15) if relu else (-8, 7)
    for o in range(3):
        m, s = int(rq.multiplier[o]), int(rq.shift[o])
        assert 2**15 <= m < 2**16
        for a, g in zip(acc.tolist(), got[:, o].tolist(), strict=True):
            exact = Fraction(a * m, 2**s)
            want = int(np.floor(exact + Fraction(1, 2)))
            assert g == min(max(want, lo), hi)
    # the multiplier/shift pair approximates the real ratio to 16 bits
    assert abs(rq.multiplier[1] / 2.0 ** rq.shift[1] - 0.75) < 1e-12
    assert abs(rq.multiplier[0] / 2.0 ** rq.shift[0] / 0.013 - 1) < 2**-15


def test_pooling_max_and_rounded_avg() -> None:
    x = np.arange(2 * 5 * 5, dtype=np.int64).reshape(1, 2, 5, 5) % 7
    mx = pool(x, PoolLayer("p", "max", 2, (2, 5, 5), (2, 2, 2)))
    av = pool(x, PoolLayer("p", "avg", 2, (2, 5, 5), (2, 2, 2)))
    for c in range(2):
        for i in range(2):
            for j in range(2):
                win = [int(x[0, c, 2 * i + u, 2 * j + v]) for u in range(2) for v in range(2)]
                assert mx[0, c, i, j] == max(win)
                assert av[0, c, i, j] == (sum(win) + 2) // 4
