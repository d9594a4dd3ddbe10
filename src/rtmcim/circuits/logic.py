"""Logic-in-memory gates over bit-planes, and the one object that counts their events.

A pre-charge sense amplifier (PCSA) with MTJ branches evaluates a Boolean
function of the bits stored under the access ports in one pre-charge/evaluate
cycle (Gang et al., TMAG 2011; Trinh et al., TCAS-I 2013). A PCSA is
differential, so every evaluation also yields the complement (``complement=``)
at no extra cost.

Every cell performs all of its bit operations through one :class:`Evaluator`,
which

* computes the gate on whole plane stacks (64 lanes per uint64 word),
* counts one event per lane per output plane (``lim_evals`` for PCSA gates,
  ``cmos_gate_ops`` for CMOS gates, ``cell_bit_reads``/``cell_bit_writes``/
  ``cell_shift_steps``/``latch_updates`` for the cell's own racetrack and latch
  events: they happen at the cell's ports, priced apart from array accesses), and
* counts critical-path cycles: each call is one step of its kind, except that
  calls inside ``with ev.parallel():`` happen side by side, so each kind of
  step is counted at most once for the whole block.

Lanes are parallel copies of the cell: events scale with the lanes that take
part, cycles are those of one operation. Lanes that sit a step out (a Booth
digit of 0) are excluded by an ``active`` :class:`Mask`.

Fault injection hooks in here: ``fault(kind, planes, active)`` is called on the
output of every gate evaluation and every read (``kind`` is the gate name or
``"read"``) and returns the planes to use instead. It is ``None`` by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rtmcim.circuits.bitplanes import Planes, lane_mask, popcount, words_for
from rtmcim.tally import Tally


@dataclass(frozen=True, slots=True)
class Mask:
    """Lanes that take part in a step: a plane of set bits and how many there are."""

    plane: Planes
    count: int


FaultHook = Callable[[str, Planes, Mask | None], Planes]

_EVENT_FIELDS = (
    "lim_evals",
    "cmos_gate_ops",
    "cell_bit_reads",
    "cell_bit_writes",
    "cell_shift_steps",
)
_CYCLE_OF = {
    "lim_evals": "lim_cycles",
    "cmos_gate_ops": "cmos_cycles",
    "cell_bit_reads": "cell_read_cycles",
    "cell_bit_writes": "cell_write_cycles",
    "cell_shift_steps": "cell_shift_cycles",
}


class _Parallel:
    """The context of :meth:`Evaluator.parallel` (a plain class: it is entered per full adder)."""

    __slots__ = ("ev", "outer")

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.outer: set[str] | None = None

    def __enter__(self) -> None:
        self.outer = self.ev._block
        self.ev._block = set() if self.outer is None else self.outer

    def __exit__(self, *exc: object) -> None:
        self.ev._block = self.outer


class Evaluator:
    """Evaluates gates on plane stacks of ``lanes`` lanes and counts every event.

    Parameters
    ----------
    lanes:
        Number of real lanes (independent copies of the cell).
    fault:
        Optional hook applied to every evaluated or read plane stack.
    """

    def __init__(self, lanes: int, fault: FaultHook | None = None) -> None:
        self.lanes = lanes
        self.words = words_for(lanes)
        self.fault = fault
        self._events: dict[str, int] = dict.fromkeys((*_EVENT_FIELDS, "latch_updates"), 0)
        self._cycles: dict[str, int] = dict.fromkeys(_CYCLE_OF.values(), 0)
        self._block: set[str] | None = None

    # -- counting -------------------------------------------------------------------------

    def tally(self) -> Tally:
        """Everything counted so far."""
        return Tally(**self._events, **self._cycles)

    def mask(self, plane: Planes) -> Mask:
        """A :class:`Mask` of the real lanes set in ``plane``."""
        p = plane & lane_mask(self.lanes)
        return Mask(p, popcount(p))

    def _count(self, field: str, planes: int, active: Mask | None) -> None:
        lanes = self.lanes if active is None else active.count
        self._events[field] += planes * lanes
        cyc = _CYCLE_OF[field]
        if self._block is None:
            self._cycles[cyc] += 1
        elif cyc not in self._block:
            self._block.add(cyc)
            self._cycles[cyc] += 1

    def parallel(self) -> _Parallel:
        """``with ev.parallel():`` steps inside happen at the same time: each kind costs one cycle."""
        return _Parallel(self)

    def _out(self, kind: str, planes: Planes, active: Mask | None) -> Planes:
        return planes if self.fault is None else self.fault(kind, planes, active)

    @staticmethod
    def _n(planes: Planes) -> int:
        return 1 if planes.ndim == 1 else int(np.prod(planes.shape[:-1]))

    # -- PCSA logic-in-memory gates -------------------------------------------------------

    def xor(self, a: Planes, b: Planes, *, active: Mask | None = None) -> Planes:
        r = a ^ b
        self._count("lim_evals", self._n(r), active)
        return self._out("xor", r, active)

    def and_(
        self, a: Planes, b: Planes, *, complement: bool = False, active: Mask | None = None
    ) -> Planes:
        r = a & b
        if complement:
            r = ~r
        self._count("lim_evals", self._n(r), active)
        return self._out("and", r, active)

    def or_(self, a: Planes, b: Planes, *, active: Mask | None = None) -> Planes:
        r = a | b
        self._count("lim_evals", self._n(r), active)
        return self._out("or", r, active)

    def maj(self, a: Planes, b: Planes, c: Planes, *, active: Mask | None = None) -> Planes:
        r = (a & b) | (c & (a ^ b))
        self._count("lim_evals", self._n(r), active)
        return self._out("maj", r, active)

    def xor3(self, a: Planes, b: Planes, c: Planes, *, active: Mask | None = None) -> Planes:
        r = a ^ b ^ c
        self._count("lim_evals", self._n(r), active)
        return self._out("xor3", r, active)

    def full_add(
        self, a: Planes, b: Planes, c: Planes, *, latch: bool = True, active: Mask | None = None
    ) -> tuple[Planes, Planes]:
        """One full-adder step: sum by XOR3 and carry by MAJ3 on two PCSAs side by side.

        With ``latch`` the carry is stored in the carry latch (one latch update
        per lane and plane), as in a ripple chain or a bit-serial adder.
        """
        with self.parallel():
            s = self.xor3(a, b, c, active=active)
            co = self.maj(a, b, c, active=active)
        if latch:
            self.latch(self._n(co), active)
        return s, co

    # -- CMOS gates (Booth encoders) ------------------------------------------------------

    def cmos_xor(self, a: Planes, b: Planes) -> Planes:
        r = a ^ b
        self._count("cmos_gate_ops", self._n(r), None)
        return self._out("cmos_xor", r, None)

    def cmos_and(self, a: Planes, b: Planes, *, invert_b: bool = False) -> Planes:
        r = a & ~b if invert_b else a & b
        self._count("cmos_gate_ops", self._n(r), None)
        return self._out("cmos_and", r, None)

    def cmos_or(self, a: Planes, b: Planes) -> Planes:
        r = a | b
        self._count("cmos_gate_ops", self._n(r), None)
        return self._out("cmos_or", r, None)

    # -- memory and latch events ----------------------------------------------------------

    def read(self, planes: Planes, *, active: Mask | None = None) -> Planes:
        """Sense stored bits through access ports (one word access: one read cycle)."""
        self._count("cell_bit_reads", self._n(planes), active)
        return self._out("read", planes, active)

    def write(self, planes: int, *, active: Mask | None = None) -> None:
        """Write ``planes`` bits per lane through access ports (one write cycle)."""
        self._count("cell_bit_writes", planes, active)

    def shift(self, tracks: int, steps: int = 1) -> None:
        """Shift ``tracks`` tracks per lane by ``steps`` domains (``steps`` shift cycles)."""
        self._events["cell_shift_steps"] += tracks * steps * self.lanes
        if self._block is None:
            self._cycles["cell_shift_cycles"] += steps
        elif "cell_shift_cycles" not in self._block:
            self._block.add("cell_shift_cycles")
            self._cycles["cell_shift_cycles"] += steps

    def shift_lanes(self, track_steps: int, cycles: int) -> None:
        """Data-dependent shifting: ``track_steps`` summed over lanes, ``cycles`` on the path."""
        self._events["cell_shift_steps"] += track_steps
        self._cycles["cell_shift_cycles"] += cycles

    def latch(self, planes: int, active: Mask | None = None) -> None:
        """Store ``planes`` bits per lane into CMOS latches (no cycle: hidden in the evaluation)."""
        self._events["latch_updates"] += planes * (self.lanes if active is None else active.count)

    def zeros(self, planes: int | None = None) -> Planes:
        shape = (self.words,) if planes is None else (planes, self.words)
        return np.zeros(shape, dtype=np.uint64)

    def ones(self) -> Planes:
        return np.full(self.words, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
