"""The FR-FCFS controller's decisions, one at a time (rules: :mod:`rtmcim.memory.controller`).

:func:`take_decisions` is the reference: it follows the queue, the arrivals and
every command's timing constraint decision by decision, in Python.
:func:`frfcfs_schedule` runs the same loop compiled (``frfcfs`` in
:mod:`rtmcim.memory._native`, a line-for-line transcription of
:func:`take_decisions`), or the reference itself with ``native=False``; the
tests compare the two over random timings, policies and arrivals.

Requests of one row are always taken in trace order (every rule takes the
oldest request of a row), so the row-hit candidate after taking request p is
simply the next request of p's row (:func:`~rtmcim.memory.controller.next_in_row`),
if it has arrived.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from rtmcim.memory.controller import (
    FrFcfs,
    IntArray,
    Run,
    Schedule,
    StaticShift,
    compact,
    next_in_row,
)

try:
    from rtmcim.memory import _native
except ImportError:  # pragma: no cover - a venv made before the extension: `make venv` builds it
    _native = None  # type: ignore[assignment]

# the order in which _native.frfcfs takes CommandTiming's fields
_TIMING_ORDER = (
    "t_rcd", "t_ras", "t_rp", "t_al", "t_burst", "t_ccd", "t_rtp", "t_cas", "t_rtrs", "t_cwd",
    "t_wtr", "t_wr", "t_wp", "t_sh", "t_rrd", "t_raw", "raw", "t_cmd",
)  # fmt: skip


def take_decisions(run: Run, k_from: int, k_to: int, shift: Callable[[int], int] | None) -> None:
    """Take decisions ``k_from .. k_to - 1`` by every rule (``shift``: steps of access i, for
    non-static ports; None: static ports, counted here)."""
    n, q_depth = run.n, run.policy.queue_depth
    thr, tm = run.policy.starvation_threshold, run.policy.timing
    rows, nxt, writes, cyc, arr, picked = (
        run.rows,
        run.nxt,
        run.writes,
        run.cyc,
        run.arr,
        run.picked,
    )
    order, steps, offset, targets, units = run.order, run.steps, run.offset, run.targets, run.units
    first, entered, open_row, served, hit_next = (
        run.first,
        run.entered,
        run.open_row,
        run.served,
        run.hit_next,
    )
    hits, acts, done, prev_steps, prev_write = (
        run.hits,
        run.acts,
        run.done,
        run.prev_steps,
        run.prev_write,
    )
    n_pre, n_act, n_rd, n_wr, n_act_rank = run.n_pre, run.n_act, run.n_rd, run.n_wr, run.n_act_rank
    recent_acts = run.recent_acts
    t_rp, t_rrd, t_raw, t_sh = tm.t_rp, tm.t_rrd + tm.t_sh, tm.t_raw, tm.t_sh
    act_pre, act_req = max(tm.t_rcd, tm.t_ras), tm.t_rcd - tm.t_al
    rd_pre, rd_rd = tm.t_al + tm.t_burst + tm.t_rtp - tm.t_ccd, max(tm.t_burst, tm.t_ccd)
    rd_wr = tm.t_cas + tm.t_burst + tm.t_rtrs - tm.t_cwd
    wr_pre = tm.t_al + tm.t_cwd + tm.t_burst + tm.t_wp + tm.t_wr
    wr_rd, wr_wr = tm.t_cwd + tm.t_burst + tm.t_wtr + tm.t_wp, max(tm.t_burst, tm.t_ccd) + tm.t_wp
    for k in range(k_from, k_to):
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
            if open_row >= 0:  # PRECHARGE (the last command was at done < t)
                c = n_pre if n_pre > c else c
                n_act = c + t_rp if c + t_rp > n_act else n_act
                c += 1
            c = n_act if n_act > c else c  # ACTIVATE
            c = n_act_rank if n_act_rank > c else c
            c = recent_acts[0] + t_raw if recent_acts[0] + t_raw > c else c
            recent_acts.append(c)
            n_act_rank = c + t_rrd if c + t_rrd > n_act_rank else n_act_rank
            n_pre = c + act_pre if c + act_pre > n_pre else n_pre
            ready = c + act_req + t_sh * prev_steps
            n_rd = ready if ready > n_rd else n_rd
            n_wr = ready if ready > n_wr else n_wr
            open_row = rows[pick]
            c += 1  # SHIFT
        hit_next = nxt[pick]
        if shift is not None:
            prev_steps = shift(pick)
        else:
            u, g = units[pick], targets[pick]
            prev_steps = offset[u] - g if offset[u] > g else g - offset[u]
            offset[u] = g
        steps[k] = prev_steps
        c += 1  # READ or WRITE
        prev_write = writes[pick]
        if prev_write:
            c = n_wr if n_wr > c else c
            n_pre = c + wr_pre if c + wr_pre > n_pre else n_pre
            n_rd = c + wr_rd if c + wr_rd > n_rd else n_rd
            n_wr = c + wr_wr if c + wr_wr > n_wr else n_wr
        else:
            c = n_rd if n_rd > c else c
            n_pre = c + rd_pre if c + rd_pre > n_pre else n_pre
            n_rd = c + rd_rd if c + rd_rd > n_rd else n_rd
            n_wr = c + rd_wr if c + rd_wr > n_wr else n_wr
        done = c
    run.first, run.entered, run.open_row, run.served, run.hit_next = (
        first,
        entered,
        open_row,
        served,
        hit_next,
    )
    run.hits, run.acts, run.done, run.prev_steps, run.prev_write = (
        hits,
        acts,
        done,
        prev_steps,
        prev_write,
    )
    run.n_pre, run.n_act, run.n_rd, run.n_wr, run.n_act_rank = n_pre, n_act, n_rd, n_wr, n_act_rank


def frfcfs_schedule(
    row: IntArray | None,
    is_write: npt.NDArray[np.bool_],
    cycle: IntArray | None,
    shift: StaticShift | Callable[[int], int],
    policy: FrFcfs,
    *,
    native: bool = True,
) -> Schedule:
    """Issue order and timing of FR-FCFS.

    ``row[i]`` is access i's row id (None: static ports, each MU's domains in rows of
    ``policy.row_domains``); ``cycle`` its arrival cycle (None: all at cycle 0);
    ``shift`` gives its shift steps: static ports are counted here, any other policy by a
    callable ``shift(i) -> steps`` called in issue order (so it may keep state). ``native``:
    take the decisions in C (False: in the Python reference :func:`take_decisions`; the
    result is the same).
    """
    n = int(is_write.size)
    cyc = np.zeros(n, dtype=np.int64) if cycle is None else np.asarray(cycle, dtype=np.int64)
    if native and _native is not None:
        return _native_schedule(row, is_write, cyc, shift, policy)
    if row is None:
        assert isinstance(shift, StaticShift), "rows are implied by static ports only"
        row = static_rows(shift, policy.row_domains)
    return _reference_schedule(row, next_in_row(row), is_write, cyc, shift, policy)


def rows_per_mu(domains: int, row_domains: int) -> int:
    """Rows of an MU: its domains, ``row_domains`` to a row (the last one may be short)."""
    return -(-domains // row_domains)


def static_rows(shift: StaticShift, row_domains: int) -> IntArray:
    """Each access's row: its MU's ``domain // row_domains``-th (the C loop computes the same
    on the fly)."""
    per_mu = rows_per_mu(shift.domains, row_domains)
    return np.asarray(shift.unit, dtype=np.int64) * per_mu + shift.domain // row_domains


def _native_schedule(
    row: IntArray | None,
    is_write: npt.NDArray[np.bool_],
    cyc: IntArray,
    shift: StaticShift | Callable[[int], int],
    policy: FrFcfs,
) -> Schedule:
    assert _native is not None
    n, tm = int(is_write.size), policy.timing
    order = np.empty(n, dtype=np.int64)
    steps = np.empty(n, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    units, domain, seg, mode, mus, call = empty, empty, 1, 2, 0, None
    if isinstance(shift, StaticShift):
        mode, mus = (1 if shift.eager else 0), shift.mus
        units = np.ascontiguousarray(shift.unit, dtype=np.int64)
        domain = np.ascontiguousarray(shift.domain, dtype=np.int64)
        seg = shift.domains // shift.ports
    else:
        call = shift
    per_mu, n_rows = 1, 0
    if row is None:  # rows of the MUs, computed in C
        assert isinstance(shift, StaticShift), "rows are implied by static ports only"
        per_mu = rows_per_mu(shift.domains, policy.row_domains)
        n_rows = shift.mus * per_mu
    else:
        row = np.ascontiguousarray(row, dtype=np.int64)
        hi = int(row.max()) if n else 0
        if n and (int(row.min()) < 0 or hi >= max(n, 1 << 20)):  # ids for a table of rows
            row = np.unique(row, return_inverse=True)[1].astype(np.int64).ravel()
            hi = int(row.max())
        n_rows = hi + 1
    timing = tuple(int(getattr(tm, name)) for name in _TIMING_ORDER)
    hits, acts, done = _native.frfcfs(
        row,
        n_rows,
        per_mu,
        policy.row_domains,
        np.ascontiguousarray(is_write, dtype=np.bool_),
        cyc,
        order,
        steps,
        mode,
        units,
        domain,
        seg,
        mus,
        call,
        policy.queue_depth,
        policy.starvation_threshold,
        timing,
    )
    return Schedule(order, steps, hits, acts, max(done, 0))


def _reference_schedule(
    row: IntArray,
    nxt: IntArray,
    is_write: npt.NDArray[np.bool_],
    cyc: IntArray,
    shift: StaticShift | Callable[[int], int],
    policy: FrFcfs,
) -> Schedule:
    n, tm = int(row.size), policy.timing
    static = shift if isinstance(shift, StaticShift) else None
    head = np.maximum.accumulate(cyc[: policy.queue_depth])  # arrivals before any slot frees
    arr = np.zeros(n, dtype=np.int64)
    arr[: head.size] = head
    run = Run(
        policy=policy,
        rows=compact(row),
        nxt=compact(nxt),
        writes=is_write.tolist(),
        cyc=compact(cyc),
        arr=compact(arr),
        picked=bytearray(n + 1),
        order=compact(np.zeros(n, dtype=np.int64)),
        steps=compact(np.zeros(n, dtype=np.int64)),
        offset=compact(np.zeros(static.mus if static else 0, dtype=np.int64)),
        targets=(static.domain % (static.domains // static.ports)).tolist() if static else [],
        units=compact(static.unit if static else np.zeros(0, dtype=np.int64)),
        n_act_rank=tm.t_cmd,
        recent_acts=deque([0] * tm.raw, maxlen=tm.raw),
        hit_next=n,
    )
    if static is not None and static.eager:  # eager: every access shifts out and back
        step_of: Callable[[int], int] | None = _eager_steps(static)
    else:
        step_of = None if static is not None else shift  # type: ignore[assignment]
    take_decisions(run, 0, n, step_of)
    return Schedule(
        np.frombuffer(run.order, dtype=np.int64),
        np.frombuffer(run.steps, dtype=np.int64),
        run.hits,
        run.acts,
        max(run.done, 0),
    )


def _eager_steps(s: StaticShift) -> Callable[[int], int]:
    """Eager update: out to the domain and back home again."""
    seg = s.domains // s.ports
    doms = s.domain.tolist()
    return lambda i: 2 * (doms[i] % seg)


__all__ = ["frfcfs_schedule", "take_decisions"]
