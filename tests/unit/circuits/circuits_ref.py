"""Shared helpers for the circuits tests: operand grids and expected results from Python ints."""

from __future__ import annotations

import numpy as np

from rtmcim.circuits import Cell


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def all_pairs(bits: int, a_signed: bool, b_signed: bool | None = None) -> tuple[np.ndarray, ...]:
    """Every (a, b) pair of the width, as two flat int64 arrays (one lane per pair)."""
    b_signed = a_signed if b_signed is None else b_signed
    av = np.arange(value_range(bits, a_signed)[0], value_range(bits, a_signed)[1] + 1)
    bv = np.arange(value_range(bits, b_signed)[0], value_range(bits, b_signed)[1] + 1)
    a, b = np.meshgrid(av, bv, indexing="ij")
    return a.ravel().astype(np.int64), b.ravel().astype(np.int64)


def wrap(value: int, bits: int, signed: bool) -> int:
    """Python-integer reference of an n-bit register: modulo 2**n, two's complement if signed."""
    v = value % (1 << bits)
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def expected(cell: Cell, a: int, b: int, bits: int, signed: bool) -> int:
    """What a cell must return for one lane, computed with Python integers."""
    if cell.name == "full_adder":
        return a + b
    if cell.kind == "adder":
        return wrap(a + b, bits, signed)
    return a * b  # multipliers and a one-term MAC: exact products


def modes(cell: Cell) -> list[bool]:
    return [s for s, ok in ((False, cell.supports_unsigned), (True, cell.supports_signed)) if ok]
