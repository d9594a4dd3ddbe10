"""The order in which a memory controller issues a trace's accesses, and when.

``fcfs``
    In order, one after another (rtmcim's original replay); no timing.
``frfcfs``
    RTSim's RTM memory controller (``MemControl/RTM``: FR-FCFS over NVMain's
    command model) for one bank. Requests enter a queue of ``queue_depth``
    entries in trace order, each no earlier than its cycle and only when the
    queue has room (the trace reader stalls). Whenever the controller is free
    it takes one request among those that arrived before the current cycle:

    1. if ``starvation_threshold`` row hits in a row have been served since it
       was opened, the oldest request to another row (a starved request);
    2. else the oldest request to the open row (a row hit);
    3. else the oldest request.

    A row is ``row_domains`` consecutive domains of one macro unit (NVMain's
    row buffer of ``RBSize`` columns within a DBC). A row hit issues
    ``SHIFT, READ|WRITE``; a miss ``PRECHARGE, ACTIVATE, SHIFT, READ|WRITE``
    (no precharge before the first activation). One command issues per cycle,
    each when its timing constraint allows (:class:`CommandTiming`); the next
    request is taken the cycle after the previous one's READ or WRITE issued.

The command timing below reproduces, cycle for cycle, the commands NVMain
issues for RTSim's ``Config/RM.config``; the facts come from NVMain's subarray,
bank and rank models (``src/SubArray.cpp``, ``Ranks/StandardRank``) and
RTSim's ``MemControl/RTM/RTM.cpp`` at tud-ccc/RTSim 918a40b. One quirk is kept
on purpose: an ACTIVATE delays the following READ or WRITE by the shift steps
of the *previous* SHIFT (NVMain's subarray reads its last shift count there).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from rtmcim.errors import ConfigError

ControllerKind = Literal["fcfs", "frfcfs"]
CONTROLLERS: tuple[str, ...] = get_args(ControllerKind)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CommandTiming:
    """NVMain command timing in memory cycles; defaults from RTSim's ``Config/RM.config``."""

    t_rcd: int = 2  # RM.config tRCD: ACTIVATE to READ/WRITE
    t_ras: int = 0  # RM.config tRAS: ACTIVATE to PRECHARGE
    t_rp: int = 1  # RM.config tRP: PRECHARGE to ACTIVATE
    t_al: int = 0  # RM.config tAL
    t_burst: int = 4  # RM.config tBURST
    t_ccd: int = 1  # RM.config tCCD
    t_rtp: int = 1  # RM.config tRTP: READ to PRECHARGE
    t_cas: int = 1  # RM.config tCAS
    t_rtrs: int = 1  # RM.config tRTRS
    t_cwd: int = 1  # RM.config tCWD
    t_wtr: int = 3  # RM.config tWTR: WRITE to READ
    t_wr: int = 2  # RM.config tWR: write recovery before PRECHARGE
    t_wp: int = 4  # RM.config tWP: the cell write pulse (NVMain's write time)
    t_sh: int = 1  # RM.config tSH: cycles per shift step in the ACTIVATE delay
    t_rrd: int = 4  # RM.config tRRDR: ACTIVATE to ACTIVATE in a rank
    t_raw: int = 4  # RM.config tRAW: window for RAW activations
    raw: int = 4  # RM.config RAW: activations allowed per tRAW window
    t_cmd: int = 1  # RM.config tCMD: the rank's first ACTIVATE


@dataclass(frozen=True, slots=True)
class FrFcfs:
    """The FR-FCFS controller's settings (defaults: RTSim's RTM controller)."""

    queue_depth: int = 32  # MemControl/RTM: queueSize
    starvation_threshold: int = 4  # MemControl/RTM: starvationThreshold
    row_domains: int = 32  # NVMain Params: RBSize defaults to COLS before DOMAINS is read
    timing: CommandTiming = field(default_factory=CommandTiming)

    def __post_init__(self) -> None:
        for key, v, lo in (
            ("queue_depth", self.queue_depth, 1),
            ("starvation_threshold", self.starvation_threshold, 0),
            ("row_domains", self.row_domains, 1),
        ):
            if v < lo:
                raise ConfigError(f"must be >= {lo}", key=key, value=v, allowed=f">= {lo}")


@dataclass(frozen=True)
class Schedule:
    """Accesses in issue order, with what the controller saw."""

    order: IntArray  # access indices, in issue order
    steps: IntArray  # MU shift steps of each issued access (issue order)
    row_hits: int
    activations: int
    last_cycle: int  # cycle of the last READ/WRITE (0 for fcfs: no timing)


def _compact(values: IntArray) -> array[int]:
    return array("q", np.ascontiguousarray(values, dtype=np.int64).tobytes())


def next_in_row(row: IntArray) -> IntArray:
    """``nxt[i]``: the next access after i in the same row (``n`` if none)."""
    n = int(row.size)
    nxt = np.full(n, n, dtype=np.int64)
    by_row = np.argsort(row, kind="stable")
    same = row[by_row[1:]] == row[by_row[:-1]]
    nxt[by_row[:-1][same]] = by_row[1:][same]
    return nxt


@dataclass(frozen=True)
class StaticShift:
    """Static ports: access i needs offset ``target[i]`` of MU ``unit[i]`` (eager: from home)."""

    unit: IntArray
    target: IntArray
    mus: int
    eager: bool = False


def frfcfs_schedule(
    row: IntArray,
    is_write: npt.NDArray[np.bool_],
    cycle: IntArray | None,
    shift: StaticShift | Callable[[int], int],
    policy: FrFcfs,
) -> Schedule:
    """Issue order and timing of FR-FCFS (module docstring).

    ``row[i]`` is access i's row id; ``cycle`` its arrival cycle (None: all at cycle 0);
    ``shift`` gives its shift steps: static ports are counted here, any other policy by a
    callable ``shift(i) -> steps`` called in issue order (so it may keep state).

    Requests of one row are always taken in trace order (every rule takes the oldest of a
    row), so the row-hit candidate after taking request p is simply the next request of
    p's row (:func:`next_in_row`), if it has arrived.
    """
    n = int(row.size)
    q_depth, thr, tm = policy.queue_depth, policy.starvation_threshold, policy.timing
    # per-access inputs as compact arrays of machine integers (8 bytes each, not an int object)
    rows, nxt = _compact(row), _compact(next_in_row(row))
    writes = is_write.tolist()
    cyc = _compact(cycle if cycle is not None else np.zeros(n, dtype=np.int64))
    static = shift if isinstance(shift, StaticShift) else None
    units = _compact(static.unit) if static else _compact(np.zeros(0, dtype=np.int64))
    targets = static.target.tolist() if static else []  # < a segment: small, shared ints
    lazy = static is not None and not static.eager
    offset = [0] * (static.mus if static else 0)
    arr = _compact(np.zeros(n, dtype=np.int64))  # arrival: trace order, after a free slot
    a = 0
    for j in range(min(n, q_depth)):
        a = cyc[j] if cyc[j] > a else a
        arr[j] = a
    picked = bytearray(n + 1)
    order, steps = _compact(np.zeros(n, dtype=np.int64)), _compact(np.zeros(n, dtype=np.int64))
    first = 0  # oldest request not yet taken
    entered = 0  # requests [0, entered) have arrived before the current decision
    open_row, served, hit_next = -1, 0, n  # hit_next: the open row's next request
    hits = acts = 0
    last = -1  # cycle of the last command issued
    done = -1  # cycle of the last READ/WRITE
    n_pre = n_act = n_rd = n_wr = 0
    n_act_rank = tm.t_cmd
    recent_acts = deque([0] * tm.raw, maxlen=tm.raw)
    prev_steps = 0
    t_rp, t_rrd = tm.t_rp, tm.t_rrd + tm.t_sh
    act_pre, act_req = max(tm.t_rcd, tm.t_ras), tm.t_rcd - tm.t_al
    rd_pre, rd_rd = tm.t_al + tm.t_burst + tm.t_rtp - tm.t_ccd, max(tm.t_burst, tm.t_ccd)
    rd_wr = tm.t_cas + tm.t_burst + tm.t_rtrs - tm.t_cwd
    wr_pre = tm.t_al + tm.t_cwd + tm.t_burst + tm.t_wp + tm.t_wr
    wr_rd, wr_wr = tm.t_cwd + tm.t_burst + tm.t_wtr + tm.t_wp, max(tm.t_burst, tm.t_ccd) + tm.t_wp
    t_raw, t_sh = tm.t_raw, tm.t_sh
    for k in range(n):
        while picked[first]:
            first += 1
        t = arr[first] + 1  # a request can be taken the cycle after it arrives
        if done + 1 > t:
            t = done + 1
        hi = k + q_depth if k + q_depth < n else n
        while entered < hi and arr[entered] < t:
            entered += 1
        if open_row < 0:
            pick = first
        elif served >= thr:  # starved: the oldest request to another row goes first
            pick = first
            while pick < entered and (picked[pick] or rows[pick] == open_row):
                pick += 1
            if pick == entered:
                pick = hit_next
        elif hit_next < entered:
            pick = hit_next
        else:
            pick = first
        picked[pick] = 1
        order[k] = pick
        j = k + q_depth
        if j < n:  # the freed queue slot takes the next trace line this cycle
            a = cyc[j]
            if arr[j - 1] > a:
                a = arr[j - 1]
            arr[j] = a if a > t else t
        c = t
        if rows[pick] == open_row:
            hits += 1
            served += 1
        else:
            acts += 1
            served = 0
            if open_row >= 0:  # PRECHARGE
                c = n_pre if n_pre > c else c
                last = c
                n_act = c + t_rp if c + t_rp > n_act else n_act
            c = last + 1 if last + 1 > c else c  # ACTIVATE
            c = n_act if n_act > c else c
            c = n_act_rank if n_act_rank > c else c
            c = recent_acts[0] + t_raw if recent_acts[0] + t_raw > c else c
            last = c
            recent_acts.append(c)
            n_act_rank = c + t_rrd if c + t_rrd > n_act_rank else n_act_rank
            n_pre = c + act_pre if c + act_pre > n_pre else n_pre
            ready = c + act_req + t_sh * prev_steps
            n_rd = ready if ready > n_rd else n_rd
            n_wr = ready if ready > n_wr else n_wr
            open_row = rows[pick]
        hit_next = nxt[pick]
        c = last + 1 if last + 1 > c else c  # SHIFT
        if static is None:
            prev_steps = shift(pick)  # type: ignore[operator]
        elif lazy:
            u, g = units[pick], targets[pick]
            prev_steps = offset[u] - g if offset[u] > g else g - offset[u]
            offset[u] = g
        else:
            prev_steps = 2 * targets[pick]
        steps[k] = prev_steps
        c += 1  # READ or WRITE
        if writes[pick]:
            c = n_wr if n_wr > c else c
            n_pre = c + wr_pre if c + wr_pre > n_pre else n_pre
            n_rd = c + wr_rd if c + wr_rd > n_rd else n_rd
            n_wr = c + wr_wr if c + wr_wr > n_wr else n_wr
        else:
            c = n_rd if n_rd > c else c
            n_pre = c + rd_pre if c + rd_pre > n_pre else n_pre
            n_rd = c + rd_rd if c + rd_rd > n_rd else n_rd
            n_wr = c + rd_wr if c + rd_wr > n_wr else n_wr
        last = done = c
    return Schedule(
        np.frombuffer(order, dtype=np.int64),
        np.frombuffer(steps, dtype=np.int64),
        hits,
        acts,
        max(done, 0),
    )


__all__ = [
    "CONTROLLERS",
    "CommandTiming",
    "ControllerKind",
    "FrFcfs",
    "Schedule",
    "StaticShift",
    "frfcfs_schedule",
    "next_in_row",
]
