"""The Tally algebra: addition, scaling, parallel copies, and its field partition."""

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtmcim.tally import CYCLE_FIELDS, EVENT_FIELDS, ZERO, Tally

NAMES = [f.name for f in fields(Tally)]
counts = st.integers(min_value=0, max_value=10**9)
tallies = st.builds(Tally, **{n: counts for n in NAMES})


def test_fields_are_exactly_events_plus_cycles() -> None:
    assert set(NAMES) == set(EVENT_FIELDS) | set(CYCLE_FIELDS)
    assert not set(EVENT_FIELDS) & set(CYCLE_FIELDS)


@given(tallies, tallies, tallies)
def test_addition_is_associative_commutative_with_zero(a: Tally, b: Tally, c: Tally) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + ZERO == a
    assert sum([a, b, c]) == a + b + c


@given(tallies, st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_scaling_distributes(a: Tally, j: int, k: int) -> None:
    assert (j + k) * a == j * a + k * a
    assert a * k == k * a
    assert 0 * a == ZERO


def test_parallel_multiplies_events_keeps_cycles() -> None:
    t = Tally(shift_steps=32, shift_cycles=1, bit_reads=32, read_cycles=1)
    p = t.parallel(4)
    assert p.shift_steps == 128 and p.bit_reads == 128
    assert p.shift_cycles == 1 and p.read_cycles == 1


def test_negative_counts_and_scales_are_rejected() -> None:
    with pytest.raises(ValueError, match="shift_steps"):
        Tally(shift_steps=-1)
    with pytest.raises(ValueError, match="k >= 0"):
        Tally(bit_reads=1) * -2


def test_dict_round_trip_and_unknown_field() -> None:
    t = Tally(lim_evals=7, lim_cycles=2)
    assert Tally.from_dict(t.as_dict()) == t
    assert t.nonzero() == {"lim_evals": 7, "lim_cycles": 2}
    with pytest.raises(ValueError, match="unknown Tally fields"):
        Tally.from_dict({"bogus": 1})


def test_beside_adds_events_and_takes_max_cycles() -> None:
    a = Tally(lim_evals=10, lim_cycles=5, read_cycles=1)
    b = Tally(lim_evals=4, lim_cycles=7)
    c = a.beside(b)
    assert c.lim_evals == 14 and c.lim_cycles == 7 and c.read_cycles == 1
    assert ZERO.beside(a) == a
