"""Access-trace runner: replay reads and writes on a memory, counting every shift.

The pieces, each in its own module:

* parsing (:mod:`rtmcim.memory.trace_parse`): simple ``OP ADDRESS`` lines or
  NVMain ``CYCLE OP ADDRESS DATA [OLDDATA] THREAD`` lines, under rtmcim's rules
  or NVMain's (``compat="rtsim"``);
* the address map (:mod:`rtmcim.memory.address_map`): the config's
  ``address_map`` section, by default rtmcim's original map (a word is
  ``ceil(tracks / 8)`` bytes; consecutive words go down one MU, one domain
  apart, which is what a weight-stationary layout wants, DESIGN.md 1.3);
* the issue order (:mod:`rtmcim.memory.controller`): in trace order
  (``fcfs``, the default) or RTSim's FR-FCFS controller (``frfcfs``).

Every MU starts at home; shift steps are counted in issue order by the
organisation's port and update policies. Energy prices the tally with the
config's technology. Latency is serial: the sum of every access's shift,
read/write and H-tree time (no bank-level parallelism is assumed; that is the
mapping layer's job); under ``frfcfs`` the controller's cycle count is
reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtmcim.errors import TraceError
from rtmcim.memory.address_map import (
    AddressMap,
    Location,
    capacity_lines,
    first_beyond,
    line_bytes_of,
    locate,
)
from rtmcim.memory.controller import ControllerKind, FrFcfs, Schedule, StaticShift
from rtmcim.memory.costs import access_tallies, leakage_mw
from rtmcim.memory.frfcfs import frfcfs_schedule, rows_per_mu
from rtmcim.memory.organization import Memory, Organization
from rtmcim.memory.trace_parse import (
    ALLOWED_LINE,
    Accesses,
    Compat,
    parse_trace_text,
    read_trace,
)
from rtmcim.memory.track import Track
from rtmcim.tally import Tally
from rtmcim.tech import Cost, price


def word_bytes(org: Organization) -> int:
    """Bytes per word (a word is ``tracks`` bits, rounded up to whole bytes)."""
    return math.ceil(org.mu.tracks / 8)


def map_addresses(
    org: Organization, acc: Accesses, *, wrap: bool = False, amap: AddressMap | None = None
) -> Location:
    """Where each access lands under ``amap`` (default: rtmcim's original map).

    Addresses beyond the capacity are a TraceError naming the trace line, unless the map
    wraps them (``above_capacity: wrap``) or ``wrap`` is set.
    """
    amap = amap or AddressMap()
    if not wrap and amap.above_capacity == "error":
        line = line_bytes_of(amap, org)
        i = first_beyond(acc.address // line, org)
        if i >= 0:
            raise TraceError(
                f"address {hex(int(acc.address[i]))} beyond the memory's capacity",
                source=acc.where(i),
                value=hex(int(acc.address[i])),
                allowed=f"0x0 .. {hex(capacity_lines(org) * line - 1)}",
                hint="use a larger organization or wrap addresses (--wrap, or "
                "address_map: {above_capacity: wrap})",
            )
    return locate(amap, org, acc.address)


@dataclass(frozen=True)
class TraceResult:
    """Statistics of one replayed trace."""

    accesses: int
    reads: int
    writes: int
    mu_shift_steps: int  # MU shifts of one domain (each moves every track)
    max_shift_steps: int  # longest shift of a single access
    accesses_without_shift: int
    mus_touched: int
    tally: Tally
    cost: Cost  # energy by class (incl. periphery leakage over the run), latency
    leakage_mw: float
    controller: ControllerKind = "fcfs"
    row_hits: int | None = None  # frfcfs: accesses served from the open row
    activations: int | None = None  # frfcfs: rows opened
    controller_cycles: int | None = None  # frfcfs: memory cycle of the last read or write

    @property
    def mean_shift_steps(self) -> float:
        return self.mu_shift_steps / self.accesses if self.accesses else 0.0

    @property
    def track_shifts(self) -> int:
        """Shifts of single tracks: MU steps x tracks (RTSim's ``totalnumShifts``)."""
        return int(self.tally.shift_steps)

    @property
    def shift_energy_pj(self) -> float:
        return float(self.cost.energy_pj.get("shift", 0.0))


def _shifter(org: Organization, loc: Location) -> StaticShift | Callable[[int], int]:
    """Shift steps of access i for the controller's timing, in issue order."""
    if org.port_policy == "static":
        g, eager = org.mu, org.update_policy == "eager"
        return StaticShift(loc.mu_global, loc.domain, g.domains, g.ports, org.mus, eager)
    units, doms = loc.mu_global.tolist(), loc.domain.tolist()
    tracks: dict[int, Track] = {}
    g = org.mu

    def nearest(i: int) -> int:
        u = units[i]
        if u not in tracks:
            tracks[u] = Track(g.domains, g.ports, org.port_policy, org.update_policy)
        return tracks[u].access(doms[i])

    return nearest


def schedule(
    org: Organization,
    acc: Accesses,
    loc: Location,
    controller: ControllerKind = "fcfs",
    policy: FrFcfs | None = None,
) -> Schedule:
    """The issue order of ``acc`` under ``controller`` and the shift steps of each access."""
    if controller == "fcfs":
        steps = org.shift_steps(loc.mu_global, loc.domain, np.zeros(org.mus, dtype=np.int64))
        return Schedule(None, steps, 0, 0, 0)  # no array of 0..n-1: fresh memory costs
    if controller != "frfcfs":
        raise TraceError("unknown controller", value=controller, allowed="fcfs, frfcfs")
    policy = policy or FrFcfs()
    shift = _shifter(org, loc)
    row = None  # static ports: the controller finds each MU's rows itself
    if not isinstance(shift, StaticShift):
        per_mu = rows_per_mu(org.mu.domains, policy.row_domains)
        row = loc.mu_global * per_mu + loc.domain // policy.row_domains
    return frfcfs_schedule(row, acc.is_write, acc.cycle, shift, policy)


def run_trace(
    mem: Memory,
    acc: Accesses,
    *,
    wrap: bool = False,
    controller: ControllerKind = "fcfs",
    policy: FrFcfs | None = None,
) -> TraceResult:
    """Replay ``acc`` on ``mem`` (every MU starts at home) and count events."""
    org, tech = mem.org, mem.tech
    loc = map_addresses(org, acc, wrap=wrap, amap=mem.config.address_map)
    sched = schedule(org, acc, loc, controller, policy)
    steps = sched.steps
    n = len(acc)
    writes = int(np.count_nonzero(acc.is_write))
    reads = n - writes
    total = int(steps.sum())
    t = access_tallies(org, tech)
    tally = t.read * reads + t.write * writes + t.shift_step * total
    leak = leakage_mw(org, tech)
    frfcfs = controller == "frfcfs"
    return TraceResult(
        accesses=n,
        reads=reads,
        writes=writes,
        mu_shift_steps=total,
        max_shift_steps=int(steps.max()) if n else 0,
        accesses_without_shift=int(np.count_nonzero(steps == 0)),
        mus_touched=int(np.count_nonzero(np.bincount(loc.mu_global))) if n else 0,
        tally=tally,
        cost=price(tally, mem.prices, leakage_mw=leak),
        leakage_mw=leak,
        controller=controller,
        row_hits=sched.row_hits if frfcfs else None,
        activations=sched.activations if frfcfs else None,
        controller_cycles=sched.last_cycle if frfcfs else None,
    )


def run_trace_file(
    mem: Memory,
    path: str | Path,
    *,
    wrap: bool = False,
    compat: Compat = "rtmcim",
    controller: ControllerKind = "fcfs",
    policy: FrFcfs | None = None,
) -> TraceResult:
    return run_trace(mem, read_trace(path, compat), wrap=wrap, controller=controller, policy=policy)


__all__ = [
    "ALLOWED_LINE",
    "Accesses",
    "Location",
    "TraceResult",
    "map_addresses",
    "parse_trace_text",
    "read_trace",
    "run_trace",
    "run_trace_file",
    "schedule",
    "word_bytes",
]
