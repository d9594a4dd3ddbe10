"""Gate-equivalent counts of the CMOS datapaths in the periphery (requantization, pooling).

One gate equivalent is a 2-input gate switching once (``cmos_gate_ops``,
priced by ``cmos.gate_energy_pj``). A full adder is taken as 5 gate
equivalents (2 XOR, 2 AND, 1 OR: the textbook gate-level full adder); the
counts below are that structure, not a synthesis result.
"""

from __future__ import annotations

FULL_ADDER_GATES = 5
TRANSISTORS_PER_GATE = 4  # a static CMOS NAND2/NOR2


def adder_gates(bits: int) -> int:
    """Ripple-carry adder: one full adder per bit."""
    return FULL_ADDER_GATES * bits


def array_multiplier_gates(a_bits: int, b_bits: int) -> int:
    """Array multiplier: a*b partial-product ANDs and (a-1)*b full adders."""
    return a_bits * b_bits + FULL_ADDER_GATES * max(a_bits - 1, 0) * b_bits


def comparator_gates(bits: int) -> int:
    """Magnitude comparator (a subtractor's carry chain, 2 gates per bit) plus a 2:1 mux per bit."""
    return 2 * bits + 3 * bits


def requant_gates(acc_bits: int, mult_bits: int, out_bits: int) -> int:
    """Bias add, integer multiply, rounding add, and the clamp of one output.

    The shift is wiring (a barrel shifter's selection is counted as one mux
    level per output bit); the clamp is two comparisons against the bounds.
    """
    return (
        adder_gates(acc_bits)  # + bias
        + array_multiplier_gates(acc_bits, mult_bits)  # * multiplier
        + adder_gates(acc_bits + mult_bits)  # + 2^(shift-1)
        + 3 * out_bits  # shift selection
        + 2 * comparator_gates(out_bits)  # clamp to [lo, hi]
    )


def pool_gates(kind: str, window: int, bits: int) -> int:
    """One pooled output: window-1 comparisons (max) or additions plus a rounding divide (avg)."""
    if kind == "max":
        return (window - 1) * comparator_gates(bits)
    extra = max(window - 1, 1).bit_length()
    # n = window is a power of two for the 2x2 windows we map; the divide is a shift
    return (window - 1) * adder_gates(bits + extra) + adder_gates(bits + extra)
