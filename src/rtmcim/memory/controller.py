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


def _arrival_heads(cycle: list[int], depth: int) -> list[int]:
    """Arrival cycles of the first ``depth`` requests: trace order, never earlier than before."""
    out, a = [], 0
    for c in cycle[:depth]:
        a = max(a, c)
        out.append(a)
    return out


def frfcfs_schedule(
    row: IntArray,
    is_write: npt.NDArray[np.bool_],
    cycle: IntArray | None,
    shift: Callable[[int], int],
    policy: FrFcfs,
) -> Schedule:
    """Issue order and timing of FR-FCFS (module docstring).

    ``row[i]`` is access i's row id; ``shift(i)`` shifts access i's MU into place and returns
    its steps (called in issue order, so it may keep state); ``cycle`` is each access's cycle
    (None: all at cycle 0).
    """
    n = int(row.size)
    q_depth, thr, tm = policy.queue_depth, policy.starvation_threshold, policy.timing
    rows = row.tolist()
    writes = is_write.tolist()
    cyc = cycle.tolist() if cycle is not None else [0] * n
    arr = _arrival_heads(cyc, q_depth) + [0] * max(0, n - q_depth)
    picked = bytearray(n + 1)
    picked[n] = 0
    queues: dict[int, deque[int]] = {}
    order: list[int] = []
    steps: list[int] = []
    first = 0  # oldest request not yet taken
    entered = 0  # requests [0, entered) have entered the row queues
    active, open_row, served = False, -1, 0
    hits = acts = 0
    last = -1  # cycle of the last command issued
    t_req_done = -1  # cycle of the last READ/WRITE
    n_pre = n_act = n_rd = n_wr = 0
    n_act_rank = tm.t_cmd
    recent_acts = deque([0] * tm.raw, maxlen=tm.raw)
    prev_steps = 0
    act_read_delay = tm.t_rcd - tm.t_al
    rd_pre, rd_rd = tm.t_al + tm.t_burst + tm.t_rtp - tm.t_ccd, max(tm.t_burst, tm.t_ccd)
    rd_wr = tm.t_cas + tm.t_burst + tm.t_rtrs - tm.t_cwd
    wr_pre = tm.t_al + tm.t_cwd + tm.t_burst + tm.t_wp + tm.t_wr
    wr_rd, wr_wr = tm.t_cwd + tm.t_burst + tm.t_wtr + tm.t_wp, max(tm.t_burst, tm.t_ccd) + tm.t_wp
    for k in range(n):
        while picked[first]:
            first += 1
        t = max(t_req_done + 1, arr[first] + 1)  # a request is eligible the cycle after it arrives
        hi = min(n, k + q_depth)
        while entered < hi and arr[entered] < t:
            queues.setdefault(rows[entered], deque()).append(entered)
            entered += 1
        pick = first
        if active:
            if served >= thr:
                j = first
                while j < entered and (picked[j] or rows[j] == open_row):
                    j += 1
                pick = j if j < entered else queues[open_row][0]
            else:
                same = queues.get(open_row)
                if same:
                    pick = same[0]
        queues[rows[pick]].popleft()
        picked[pick] = 1
        order.append(pick)
        if k + q_depth < n:  # the freed queue slot takes the next trace line this cycle
            j = k + q_depth
            arr[j] = max(cyc[j], arr[j - 1], t)
        c = t
        if active and rows[pick] == open_row:
            hits += 1
            served += 1
        else:
            acts += 1
            served = 0
            if active:  # PRECHARGE
                c = max(c, last + 1, n_pre)
                last = c
                n_act = max(n_act, c + tm.t_rp)
            c = max(c, last + 1, n_act, n_act_rank, recent_acts[0] + tm.t_raw)  # ACTIVATE
            last = c
            recent_acts.append(c)
            n_act_rank = max(n_act_rank, c + tm.t_rrd + tm.t_sh)
            n_pre = max(n_pre, c + max(tm.t_rcd, tm.t_ras))
            ready = c + act_read_delay + tm.t_sh * prev_steps
            n_rd, n_wr = max(n_rd, ready), max(n_wr, ready)
            active, open_row = True, rows[pick]
        c = max(c, last + 1)  # SHIFT
        last = c
        prev_steps = shift(pick)
        steps.append(prev_steps)
        if writes[pick]:
            c = max(c, last + 1, n_wr)
            n_pre, n_rd, n_wr = max(n_pre, c + wr_pre), max(n_rd, c + wr_rd), max(n_wr, c + wr_wr)
        else:
            c = max(c, last + 1, n_rd)
            n_pre, n_rd, n_wr = max(n_pre, c + rd_pre), max(n_rd, c + rd_rd), max(n_wr, c + rd_wr)
        last = t_req_done = c
    return Schedule(
        np.array(order, dtype=np.int64),
        np.array(steps, dtype=np.int64),
        hits,
        acts,
        max(t_req_done, 0),
    )


__all__ = [
    "CONTROLLERS",
    "CommandTiming",
    "ControllerKind",
    "FrFcfs",
    "Schedule",
    "frfcfs_schedule",
]
