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

The loop that takes the decisions is :mod:`rtmcim.memory.frfcfs` (in Python, the
reference, and compiled in :mod:`rtmcim.memory._native`).

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
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from rtmcim.errors import ConfigError
from rtmcim.memory.track import stable_order

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

    order: IntArray | None  # access indices, in issue order (None: in trace order)
    steps: IntArray  # MU shift steps of each issued access (issue order)
    row_hits: int
    activations: int
    last_cycle: int  # cycle of the last READ/WRITE (0 for fcfs: no timing)


def compact(values: npt.ArrayLike) -> array[int]:
    """Machine integers in an ``array`` (8 bytes each, not an int object each)."""
    return array("q", np.ascontiguousarray(values, dtype=np.int64).tobytes())


def next_in_row(row: IntArray) -> IntArray:
    """``nxt[i]``: the next access after i in the same row (``n`` if none)."""
    n = int(row.size)
    nxt = np.full(n, n, dtype=np.int64)
    by_row = stable_order(row)
    same = row[by_row[1:]] == row[by_row[:-1]]
    nxt[by_row[:-1][same]] = by_row[1:][same]
    return nxt


@dataclass(frozen=True)
class StaticShift:
    """Static ports: access i goes to MU ``unit[i]`` at ``domain[i]`` (eager: from home)."""

    unit: IntArray
    domain: IntArray
    domains: int
    ports: int
    mus: int
    eager: bool = False


@dataclass
class Run:
    """One replay: its inputs (per access, in trace order) and the controller's state."""

    policy: FrFcfs
    rows: array[int]
    nxt: array[int]
    writes: list[bool]
    cyc: array[int]
    arr: array[int]  # arrival cycle, filled as queue slots free up
    picked: bytearray
    order: array[int]
    steps: array[int]
    offset: array[int]  # static ports: each MU's offset
    targets: list[int]  # static ports: each access's offset (domain % segment)
    units: array[int]
    # state carried from one decision to the next
    first: int = 0  # oldest request not yet taken
    entered: int = 0  # requests [0, entered) have arrived by the current decision
    open_row: int = -1
    served: int = 0  # row hits served since the open row was opened
    hit_next: int = 0  # the open row's next request
    hits: int = 0
    acts: int = 0
    done: int = -1  # cycle of the last READ/WRITE (the last command too)
    n_pre: int = 0  # earliest cycles for the next PRECHARGE, ACTIVATE, READ, WRITE
    n_act: int = 0
    n_rd: int = 0
    n_wr: int = 0
    n_act_rank: int = 0  # the rank's ACTIVATE-to-ACTIVATE limit
    recent_acts: deque[int] = field(default_factory=deque)  # the last RAW activations
    prev_steps: int = 0  # the last SHIFT's steps (NVMain's ACTIVATE reads them)
    prev_write: bool = False

    @property
    def n(self) -> int:
        return len(self.rows)


__all__ = [
    "CONTROLLERS",
    "CommandTiming",
    "ControllerKind",
    "FrFcfs",
    "Run",
    "Schedule",
    "StaticShift",
    "compact",
    "next_in_row",
]
