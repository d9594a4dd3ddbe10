"""The one currency: counts of events, priced later by a technology.

A :class:`Tally` has two groups of fields.

*Events* (energy): how many times something happened anywhere, e.g. one shift
of a 32-track macro unit by one step is 32 ``shift_steps`` (track-steps).

*Cycles* (latency): how many of each kind of step lie on the critical path,
e.g. the same macro-unit shift is 1 ``shift_cycles``. Pricing multiplies each
cycle count by the latency of its step kind and sums them, so the latency of a
tally is the latency of its events done one after another where they must be.
Active time (for leakage) is that latency; it is derived, not counted, so that
re-pricing under another technology never re-simulates.

Tallies add (``a + b``: one thing, then the other) and scale (``k * a``: ``k``
times in sequence). Parallel composition is done by the caller, which knows
how many units work side by side: ``a.parallel(k)`` multiplies events by ``k``
and keeps cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

EVENT_FIELDS: tuple[str, ...] = (
    "shift_steps",  # track-steps: one track moved by one domain (memory array)
    "bit_reads",  # bits read through the subarray periphery (decoder, bitline, mux, sense amp)
    "bit_writes",  # bits written through the subarray periphery
    "cell_shift_steps",  # track-steps of a compute cell's own operand/result tracks
    "cell_bit_reads",  # bits sensed at a port by the sense amplifier beside a PE (local path)
    "cell_bit_writes",  # bits written at a port by the driver beside a PE (local path)
    "lim_evals",  # logic-in-memory evaluations (one PCSA pre-charge/evaluate)
    "cmos_gate_ops",  # switching operations of 2-input CMOS gate equivalents
    "latch_updates",  # bits stored into CMOS latches (carry, partial results)
    "bus_bit_mm",  # bits moved times millimetres of wire
    "sram_bit_reads",  # bits read from SRAM buffers (baselines)
    "sram_bit_writes",  # bits written to SRAM buffers (baselines)
    "dram_bit_accesses",  # bits read from or written to off-chip DRAM (baselines)
)

CYCLE_FIELDS: tuple[str, ...] = (
    "shift_cycles",  # memory MU shift steps
    "read_cycles",  # word reads through the subarray periphery
    "write_cycles",  # word writes through the subarray periphery
    "cell_shift_cycles",  # shift steps of a compute cell's own tracks
    "cell_read_cycles",  # word reads on the local path beside a PE
    "cell_write_cycles",  # word writes on the local path beside a PE
    "lim_cycles",
    "cmos_cycles",
    "bus_cycles",
    "clock_cycles",  # system-clock cycles of pipelined CMOS datapaths (one op per cycle)
    "sram_cycles",  # SRAM accesses on the critical path (writes; reads are pipelined)
    "dram_cycles",
)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of events and critical-path cycles (see module docstring)."""

    shift_steps: float = 0
    bit_reads: float = 0
    bit_writes: float = 0
    cell_shift_steps: float = 0
    cell_bit_reads: float = 0
    cell_bit_writes: float = 0
    lim_evals: float = 0
    cmos_gate_ops: float = 0
    latch_updates: float = 0
    bus_bit_mm: float = 0
    sram_bit_reads: float = 0
    sram_bit_writes: float = 0
    dram_bit_accesses: float = 0
    shift_cycles: float = 0
    read_cycles: float = 0
    write_cycles: float = 0
    cell_shift_cycles: float = 0
    cell_read_cycles: float = 0
    cell_write_cycles: float = 0
    lim_cycles: float = 0
    cmos_cycles: float = 0
    bus_cycles: float = 0
    clock_cycles: float = 0
    sram_cycles: float = 0
    dram_cycles: float = 0

    def __post_init__(self) -> None:
        for name in _NAMES:  # a module constant: dataclasses.fields() is slow on a hot path
            v = getattr(self, name)
            if v < 0:
                raise ValueError(f"Tally.{name} must be >= 0, got {v}")

    def __add__(self, other: Tally) -> Tally:
        if not isinstance(other, Tally):
            return NotImplemented
        return Tally(*(getattr(self, n) + getattr(other, n) for n in _NAMES))

    def __radd__(self, other: Any) -> Tally:
        # lets sum(tallies) start from 0
        if other == 0:
            return self
        return NotImplemented

    def __mul__(self, k: float) -> Tally:
        if isinstance(k, bool) or not isinstance(k, int | float):
            return NotImplemented
        if k < 0:
            raise ValueError(f"a Tally can only be scaled by k >= 0, got {k}")
        return Tally(*(getattr(self, n) * k for n in _NAMES))

    __rmul__ = __mul__

    def parallel(self, k: float) -> Tally:
        """``k`` copies running side by side: events times ``k``, cycles unchanged."""
        if k < 0:
            raise ValueError(f"parallel copies must be >= 0, got {k}")
        return Tally(*(getattr(self, n) * (k if n in EVENT_FIELDS else 1) for n in _NAMES))

    def beside(self, other: Tally) -> Tally:
        """This and ``other`` at the same time on separate hardware: events add, cycles take the max.

        The per-field max is the critical path when both run the same structure
        (e.g. two chunks of lanes of one cell); for unlike structures it is a
        lower bound of the slower one's chain.
        """
        return Tally(
            *(
                getattr(self, n) + getattr(other, n)
                if n in EVENT_FIELDS
                else max(getattr(self, n), getattr(other, n))
                for n in _NAMES
            )
        )

    def events(self) -> dict[str, float]:
        return {n: getattr(self, n) for n in EVENT_FIELDS}

    def cycles(self) -> dict[str, float]:
        return {n: getattr(self, n) for n in CYCLE_FIELDS}

    def as_dict(self) -> dict[str, float]:
        return {n: getattr(self, n) for n in _NAMES}

    def nonzero(self) -> dict[str, float]:
        return {n: v for n, v in self.as_dict().items() if v}

    @classmethod
    def from_dict(cls, d: dict[str, float]) -> Tally:
        unknown = set(d) - set(_NAMES)
        if unknown:
            raise ValueError(f"unknown Tally fields {sorted(unknown)}; known: {list(_NAMES)}")
        return cls(**d)

    def __bool__(self) -> bool:
        return any(getattr(self, n) for n in _NAMES)


_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Tally))

ZERO = Tally()
