"""Functional and analytical agree: events counted by run == cost per operation x operations."""

from __future__ import annotations

import numpy as np
import pytest
from circuits_ref import modes, value_range

from rtmcim.circuits import Evaluator, get, mac, mac_cost, names, pack
from rtmcim.circuits.mac import MAC_ADDERS, MAC_MULTIPLIERS
from rtmcim.circuits.multipliers import BoothMultiplier
from rtmcim.tally import CYCLE_FIELDS, EVENT_FIELDS, Tally

LANES = 97  # not a multiple of 64: padding lanes must not be counted


def _random(bits: int, signed: bool, rng: np.random.Generator, lanes: int = LANES) -> np.ndarray:
    lo, hi = value_range(bits, signed)
    return rng.integers(lo, hi + 1, size=lanes)


def _assert_within(counted: Tally, bound: Tally) -> None:
    for f in EVENT_FIELDS:
        assert getattr(counted, f) <= getattr(bound, f), f
    for f in CYCLE_FIELDS:  # the schedule is fixed even when work is skipped
        assert getattr(counted, f) == getattr(bound, f), f


@pytest.mark.parametrize("name", names())
def test_counted_equals_cost_times_operations(name: str) -> None:
    cell = get(name)
    rng = np.random.default_rng(3)
    for bits in range(1, min(16, cell.max_bits) + 1):
        for signed in modes(cell):
            b_signed = signed if cell.kind != "mac" else False
            a, b = _random(bits, signed, rng), _random(bits, b_signed, rng)
            _, counted = cell.run(a, b, bits, signed)
            per_op = cell.cost(bits, signed)
            if cell.data_dependent:
                _assert_within(counted, per_op.parallel(LANES))
            else:
                assert counted == per_op.parallel(LANES), (name, bits, signed)
            assert per_op.lim_evals + per_op.cell_bit_reads > 0


@pytest.mark.parametrize(
    "name", [n for n in MAC_MULTIPLIERS if issubclass(MAC_MULTIPLIERS[n], BoothMultiplier)]
)
def test_booth_worst_case_is_reached_when_every_digit_is_nonzero(name: str) -> None:
    cell = get(name)
    for bits in range(1, 17):
        # b = ...010101 (bits 0, 2, 4, ... set): radix-2 digits b_(i-1) - b_i are all +-1;
        # radix-4 digits (b_2k+1, b_2k, b_2k-1) = (0, 1, 0) are +1, and at odd widths the
        # sign-extended top digit (1, 1, 0) is -1
        pattern = sum(1 << i for i in range(0, bits, 2))
        b = pattern - (1 << bits) if pattern >= 1 << (bits - 1) else pattern
        a = np.full(5, value_range(bits, True)[0])
        _, counted = cell.run(a, np.full(5, b), bits, True)
        assert counted == cell.cost(bits, True).parallel(5), bits
    # a zero multiplier: every digit is 0, nothing is evaluated beyond the encoder
    _, idle = cell.run(np.array([3]), np.array([0]), 8, True)
    assert idle.lim_evals == 0 and idle.latch_updates == 0 and idle.cmos_gate_ops > 0
    _assert_within(idle, cell.cost(8, True))


def test_lut_worst_case_is_the_farthest_entry() -> None:
    cell = get("lut")
    for bits in range(1, 5):
        _, counted = cell.run(np.array([1]), np.array([(1 << bits) - 1]), bits, False)
        assert counted == cell.cost(bits, False)
        _, near = cell.run(np.array([1]), np.array([0]), bits, False)
        assert near.cell_shift_steps == 0 and near.cell_bit_reads == counted.cell_bit_reads


@pytest.mark.parametrize("multiplier", list(MAC_MULTIPLIERS))
@pytest.mark.parametrize("adder", list(MAC_ADDERS))
def test_mac_counted_equals_mac_cost(multiplier: str, adder: str) -> None:
    rng = np.random.default_rng(11)
    top = MAC_MULTIPLIERS[multiplier].max_bits
    for bits in range(1, min(16, top) + 1):
        for k in (1, 3, 9):
            w = _random(bits, True, rng, lanes=LANES * k).reshape(LANES, k)
            x = _random(bits, False, rng, lanes=LANES * k).reshape(LANES, k)
            acc, counted = mac(w, x, bits, multiplier=multiplier, adder=adder)
            assert acc.tolist() == [int(v) for v in (w * x).sum(axis=1)]
            bound = mac_cost(bits, k, multiplier=multiplier, adder=adder).parallel(LANES)
            if MAC_MULTIPLIERS[multiplier].data_dependent:
                _assert_within(counted, bound)
            else:
                assert counted == bound, (multiplier, adder, bits, k)


def test_mac_cell_cost_is_one_term() -> None:
    cell = get("mac")
    assert 9 * cell.cost(8) == mac_cost(8, 9)


def test_parallel_block_counts_one_cycle_per_kind() -> None:
    ev = Evaluator(10)
    p = pack(np.arange(10), 4)
    with ev.parallel():
        ev.xor(p, p)
        ev.and_(p, p)
        ev.write(3)
        ev.write(1)
    ev.xor(p[0], p[1])
    t = ev.tally()
    assert t.lim_evals == (4 + 4 + 1) * 10 and t.lim_cycles == 2
    assert t.cell_bit_writes == 4 * 10 and t.cell_write_cycles == 1


def test_fault_hook_sees_every_evaluation_and_can_change_results() -> None:
    seen: list[str] = []

    def record(kind: str, planes: np.ndarray, active: object) -> np.ndarray:
        seen.append(kind)
        return planes

    a, b = np.array([3, 5, 7]), np.array([2, 2, 2])
    out, counted = get("ripple_carry").run(a, b, 4, fault=record)
    assert out.tolist() == [5, 7, 9]
    assert seen.count("xor3") == 4 and seen.count("maj") == 4
    assert counted == get("ripple_carry").cost(4).parallel(3)

    def flip_lsb_sum(kind: str, planes: np.ndarray, active: object) -> np.ndarray:
        flip_lsb_sum.calls += 1  # type: ignore[attr-defined]
        if kind == "xor3" and flip_lsb_sum.calls == 1:  # type: ignore[attr-defined]
            return ~planes
        return planes

    flip_lsb_sum.calls = 0  # type: ignore[attr-defined]
    out, _ = get("ripple_carry").run(a, b, 4, fault=flip_lsb_sum)
    assert out.tolist() == [4, 6, 8]  # the flipped sum bit 0 in every lane
