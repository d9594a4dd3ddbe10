"""Every cell against Python integers: exhaustive at widths 1-6, hypothesis at 8-24, overflow."""

from __future__ import annotations

import numpy as np
import pytest
from circuits_ref import all_pairs, expected, modes, value_range, wrap
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.circuits import Evaluator, get, names, pack, unpack
from rtmcim.circuits.adders import CarrySaveAdder
from rtmcim.circuits.mac import MAC_ADDERS, MAC_MULTIPLIERS

CELLS = names()


@pytest.mark.parametrize("name", CELLS)
def test_exhaustive_widths_1_to_6(name: str) -> None:
    cell = get(name)
    checked = 0
    for bits in range(1, min(6, cell.max_bits) + 1):
        for signed in modes(cell):
            a, b = all_pairs(bits, signed, signed if cell.kind != "mac" else False)
            out, _ = cell.run(a, b, bits, signed)
            want = [expected(cell, int(x), int(y), bits, signed) for x, y in zip(a, b, strict=True)]
            assert out.dtype == np.int64
            assert out.tolist() == want, (name, bits, signed)
            checked += 1
    assert checked >= 1


def test_mac_exhaustive_unsigned_weights_and_multi_term() -> None:
    mac = get("mac")
    for bits in range(1, 7):
        a, b = all_pairs(bits, False)
        out, _ = mac.run(a, b, bits, signed=False)
        assert out.tolist() == (a * b).tolist()
    rng = np.random.default_rng(7)
    for bits in range(1, 7):
        lo, hi = value_range(bits, True)
        w = rng.integers(lo, hi + 1, size=(300, 9))
        x = rng.integers(0, 1 << bits, size=(300, 9))
        out, _ = mac.run(w, x, bits, signed=True)
        assert out.tolist() == [int(r) for r in (w * x).sum(axis=1)]


def test_carry_save_exhaustive_three_operands() -> None:
    csa = CarrySaveAdder()
    for bits in range(1, 5):
        for signed in (False, True):
            lo, hi = value_range(bits, signed)
            v = np.arange(lo, hi + 1)
            a, b, c = (g.ravel() for g in np.meshgrid(v, v, v, indexing="ij"))
            out, _ = csa.run3(a, b, c, bits, signed)
            want = [wrap(int(x + y + z), bits, signed) for x, y, z in zip(a, b, c, strict=True)]
            assert out.tolist() == want


def test_full_adder_truth_table_with_carry_in() -> None:
    bits = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=np.int64)
    ev = Evaluator(8)
    s, co = ev.full_add(*(pack(bits[:, i], 1)[0] for i in range(3)))
    got = unpack(np.stack([s, co]), 8, False)
    assert got.tolist() == bits.sum(axis=1).tolist()
    assert ev.tally().lim_evals == 16 and ev.tally().lim_cycles == 1
    assert ev.tally().latch_updates == 8


def test_gates_truth_tables() -> None:
    x = pack(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 1)[0]
    y = pack(np.array([0, 0, 1, 1, 0, 0, 1, 1]), 1)[0]
    z = pack(np.array([0, 1, 0, 1, 0, 1, 0, 1]), 1)[0]
    ev = Evaluator(8)

    def lanes(p: np.ndarray) -> list[int]:
        return unpack(p[None, :], 8, False).tolist()

    assert lanes(ev.xor(x, y)) == [0, 0, 1, 1, 1, 1, 0, 0]
    assert lanes(ev.and_(x, y)) == [0, 0, 0, 0, 0, 0, 1, 1]
    assert lanes(ev.and_(x, y, complement=True)) == [1, 1, 1, 1, 1, 1, 0, 0]
    assert lanes(ev.or_(x, y)) == [0, 0, 1, 1, 1, 1, 1, 1]
    assert lanes(ev.maj(x, y, z)) == [0, 0, 0, 1, 0, 1, 1, 1]
    assert lanes(ev.xor3(x, y, z)) == [0, 1, 1, 0, 1, 0, 0, 1]
    t = ev.tally()
    assert t.lim_evals == 6 * 8 and t.lim_cycles == 6


WIDE = [8, 12, 16, 24]


@pytest.mark.parametrize("name", [n for n in CELLS if get(n).max_bits >= 8])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_property_wide_widths(name: str, data: st.DataObject) -> None:
    cell = get(name)
    bits = data.draw(st.sampled_from(WIDE))
    signed = data.draw(st.sampled_from(modes(cell)))
    b_signed = signed if cell.kind != "mac" else False
    lo, hi = value_range(bits, signed)
    blo, bhi = value_range(bits, b_signed)
    # extremes are where carries and sign handling break, so always include them
    a = [lo, hi, lo, hi, *data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=30))]
    b = [blo, bhi, bhi, blo, *data.draw(st.lists(st.integers(blo, bhi), min_size=1, max_size=30))]
    n = min(len(a), len(b))
    out, _ = cell.run(np.array(a[:n]), np.array(b[:n]), bits, signed)
    assert out.tolist() == [expected(cell, x, y, bits, signed) for x, y in zip(a, b, strict=False)]


def test_adder_overflow_wraps_like_a_register() -> None:
    for name in MAC_ADDERS:  # the adders that give a binary sum
        add = get(name)
        out, _ = add.run(np.array([15, 8, 9]), np.array([1, 8, 9]), 4, signed=False)
        assert out.tolist() == [0, 0, 2]  # 16, 16, 18 modulo 16
        out, _ = add.run(np.array([7, -8, -1]), np.array([1, -1, -1]), 4, signed=True)
        assert out.tolist() == [-8, 7, -2]  # 8 -> -8, -9 -> 7, -2 fits
    out, _ = get("full_adder").run(np.array([1]), np.array([1]), 1)
    assert out.tolist() == [2]  # the full adder keeps its carry


@pytest.mark.parametrize("name", [n for n in MAC_MULTIPLIERS if get(n).max_bits == 32])
def test_multipliers_never_overflow_at_their_limits(name: str) -> None:
    cell = get(name)
    lo, hi = value_range(32, True)
    a = np.array([lo, lo, hi, hi, -1, 0])
    b = np.array([lo, hi, hi, lo, lo, lo])
    out, _ = cell.run(a, b, 32, signed=True)
    assert out.tolist() == [int(x) * int(y) for x, y in zip(a, b, strict=True)]
    assert out[0] == 1 << 62
    if cell.supports_unsigned:
        m = (1 << 31) - 1
        out, _ = cell.run(np.array([m, m]), np.array([m, 1]), 31, signed=False)
        assert out.tolist() == [m * m, m]
