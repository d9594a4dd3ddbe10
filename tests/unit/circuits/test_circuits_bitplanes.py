"""Bit-plane packing: exact round trips, lane layout, padding, and range checks."""

from __future__ import annotations

import numpy as np
import pytest
from circuits_ref import value_range
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.circuits.bitplanes import (
    check_bits,
    check_operand,
    extend,
    lane_mask,
    pack,
    popcount,
    unpack,
    words_for,
)
from rtmcim.errors import ConfigError


@pytest.mark.parametrize("bits", range(1, 7))
@pytest.mark.parametrize("signed", [False, True])
def test_round_trip_every_value_small_widths(bits: int, signed: bool) -> None:
    lo, hi = value_range(bits, signed)
    v = np.arange(lo, hi + 1, dtype=np.int64)
    planes = pack(v, bits)
    assert planes.shape == (bits, words_for(v.size)) and planes.dtype == np.uint64
    assert unpack(planes, v.size, signed).tolist() == list(range(lo, hi + 1))


@settings(max_examples=60, deadline=None)
@given(
    bits=st.sampled_from([8, 12, 16, 24, 32, 48, 63]),
    signed=st.booleans(),
    data=st.data(),
)
def test_round_trip_wide(bits: int, signed: bool, data: st.DataObject) -> None:
    lo, hi = value_range(bits, signed)
    vals = data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=200))
    planes = pack(np.array(vals, dtype=np.int64), bits)
    assert unpack(planes, len(vals), signed).tolist() == vals


def test_lane_layout_is_bit_i_of_word_i_div_64() -> None:
    v = np.zeros(130, dtype=np.int64)
    v[[0, 63, 64, 129]] = 1
    planes = pack(v, 1)
    assert planes.shape == (1, 3)
    assert int(planes[0, 0]) == (1 << 0) | (1 << 63)
    assert int(planes[0, 1]) == 1
    assert int(planes[0, 2]) == 1 << 1


def test_padding_lanes_are_ignored_and_masked() -> None:
    planes = np.full((3, 1), np.uint64(0xFFFFFFFFFFFFFFFF))
    assert unpack(planes, 5, False).tolist() == [7] * 5
    assert unpack(planes, 5, True).tolist() == [-1] * 5
    assert popcount(lane_mask(70)) == 70
    assert popcount(lane_mask(64)) == 64


def test_pack_keeps_low_bits_like_a_register() -> None:
    assert unpack(pack(np.array([5, -1, 17]), 3), 3, False).tolist() == [5, 7, 1]


def test_extend_sign_and_zero() -> None:
    p = pack(np.array([-3, 2]), 3)
    assert unpack(extend(p, 8, True), 2, True).tolist() == [-3, 2]
    assert unpack(extend(p, 8, False), 2, False).tolist() == [5, 2]


@pytest.mark.parametrize("bad", [0, 33, -1, 2.5, True, "8"])
def test_bad_width_names_value_and_range(bad: object) -> None:
    with pytest.raises(ConfigError) as err:
        check_bits(bad)
    assert "1..32" in str(err.value) and "bits =" in str(err.value)


def test_operand_outside_width_names_value_and_range() -> None:
    with pytest.raises(ConfigError) as err:
        check_operand(np.array([1, 8, 2]), 3, True, key="a")
    msg = str(err.value)
    assert "a = 8" in msg and "-4..3" in msg
    with pytest.raises(ConfigError, match=r"-1.*0\.\.7"):
        check_operand(np.array([-1]), 3, False)
    with pytest.raises(ConfigError, match="integer"):
        check_operand(np.array([1.5]), 3, False)
