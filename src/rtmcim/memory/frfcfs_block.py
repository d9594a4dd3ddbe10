"""A block of FR-FCFS decisions while the queue stays full, timed with numpy, then checked.

While every request the queue can hold has arrived before the controller takes
the next one, the request it takes depends on the queue alone, not on time
(:mod:`rtmcim.memory.frfcfs`). A block is then:

1. picked by a short loop that ignores time (the queue holds the
   ``queue_depth`` oldest requests not yet taken);
2. timed with numpy, assuming each transaction's commands are held back only by
   the previous transaction: a row hit's READ/WRITE follows the previous one by
   the read/write turnaround, a miss's PRECHARGE, ACTIVATE, SHIFT and READ/WRITE
   follow by the precharge, activate and shift delays -- cumulative sums;
3. checked: every command time is computed again from *every* earlier
   constraint (running maxima, the rank's activation window, the state the
   block started from), and the queue is checked full at every decision.

The block is kept up to its first decision that fails a check, and the state of
the controller is left exactly as :func:`~rtmcim.memory.frfcfs.take_decisions`
would have left it there; that loop goes on from it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from rtmcim.memory.controller import IntArray, Run, StaticShift
from rtmcim.memory.trace_parse import BoolArray
from rtmcim.memory.track import shift_steps_vectorized

_NEVER = -(1 << 62)  # a constraint that does not apply


def _picks(run: Run, k0: int, k1: int) -> tuple[list[int], bytearray]:
    """Decisions k0..k1-1 with a full queue: the picks and their row-hit flags."""
    n, q_depth, thr = run.n, run.policy.queue_depth, run.policy.starvation_threshold
    rows, nxt, picked = run.rows, run.nxt, run.picked
    first, open_row, served, hit_next = run.first, run.open_row, run.served, run.hit_next
    m = k1 - k0
    pick_l, hit_l = [0] * m, bytearray(m)
    entered = k0 + q_depth  # the queue holds every request below this one
    for i in range(m):
        while picked[first]:
            first += 1
        if served >= thr:
            p = first
            end = entered if entered < n else n
            while p < end and (picked[p] or rows[p] == open_row):
                p += 1
            if p == end:
                p = hit_next
        elif hit_next < entered and hit_next < n:
            p = hit_next
        else:
            p = first
        picked[p] = 1
        pick_l[i] = p
        if rows[p] == open_row:
            served += 1
            hit_l[i] = 1
        else:
            served = 0
            open_row = rows[p]
        hit_next = nxt[p]
        entered += 1
    return pick_l, hit_l


def _steps(shift: StaticShift, picks: IntArray, offsets: IntArray) -> IntArray:
    """Static ports, lazy update: the steps of ``picks`` in this order (``offsets`` updated)."""
    return shift_steps_vectorized(
        shift.unit[picks],
        shift.domain[picks],
        domains=shift.domains,
        ports=shift.ports,
        offsets=offsets,
    )


def _running(contrib: IntArray, start: int) -> IntArray:
    """``out[i]``: the largest of ``start`` and ``contrib[:i]`` (constraints from before i)."""
    out = np.empty_like(contrib)
    out[0] = start
    out[1:] = contrib[:-1]
    return np.maximum.accumulate(out)


def run_block(run: Run, shift: StaticShift, cummax: IntArray, k0: int, k1: int) -> int:
    """Take decisions k0..k1-1 if the queue stays full; returns the decision reached."""
    tm, n, q_depth = run.policy.timing, run.n, run.policy.queue_depth
    if run.open_row < 0 or cummax[min(n - 1, k0 + q_depth - 1)] > run.done:
        return k0  # no row open yet, or the queue is not full at the first decision
    pick_l, hit_l = _picks(run, k0, k1)
    picks = np.array(pick_l, dtype=np.int64)
    hit = np.frombuffer(hit_l, dtype=np.bool_)
    miss = ~hit
    w = run.is_write[picks]
    offsets = np.frombuffer(run.offset, dtype=np.int64).copy()  # the block's MU offsets
    steps = _steps(shift, picks, offsets)
    m = picks.size
    ps = np.empty(m, dtype=np.int64)  # steps of the SHIFT before each transaction
    ps[0], ps[1:] = run.prev_steps, steps[:-1]
    pw = np.empty(m, dtype=np.bool_)
    pw[0], pw[1:] = run.prev_write, w[:-1]
    act_pre, act_req = max(tm.t_rcd, tm.t_ras), tm.t_rcd - tm.t_al
    rd_pre, rd_rd = tm.t_al + tm.t_burst + tm.t_rtp - tm.t_ccd, max(tm.t_burst, tm.t_ccd)
    rd_wr = tm.t_cas + tm.t_burst + tm.t_rtrs - tm.t_cwd
    wr_pre = tm.t_al + tm.t_cwd + tm.t_burst + tm.t_wp + tm.t_wr
    wr_rd, wr_wr = tm.t_cwd + tm.t_burst + tm.t_wtr + tm.t_wp, max(tm.t_burst, tm.t_ccd) + tm.t_wp
    # 2. times if each transaction waits only for the one before it
    turn = np.where(pw, np.where(w, wr_wr, wr_rd), np.where(w, rd_wr, rd_rd))
    pre_rel = np.maximum(1, np.where(pw, wr_pre, rd_pre))
    act_rel = pre_rel + max(1, tm.t_rp)
    ready = np.maximum(2, act_req + tm.t_sh * ps)
    delta = np.where(hit, np.maximum(2, turn), np.maximum(act_rel + ready, turn))
    req = run.done + np.cumsum(delta)
    prev = np.empty(m, dtype=np.int64)
    prev[0], prev[1:] = run.done, req[:-1]
    pre, act = prev + pre_rel, prev + act_rel
    # 3. every constraint from every earlier command, and the queue full at every decision
    act_ready = np.where(miss, act + act_req + tm.t_sh * ps, _NEVER)
    c_pre = np.maximum(np.where(miss, act + act_pre, _NEVER), req + np.where(w, wr_pre, rd_pre))
    c_rd = np.maximum(act_ready, req + np.where(w, wr_rd, rd_rd))
    c_wr = np.maximum(act_ready, req + np.where(w, wr_wr, rd_wr))
    n_pre, n_rd, n_wr = (
        _running(c_pre, run.n_pre),
        _running(c_rd, run.n_rd),
        _running(c_wr, run.n_wr),
    )
    n_act = _running(np.where(miss, pre + tm.t_rp, _NEVER), run.n_act)
    n_rank = _running(np.where(miss, act + tm.t_rrd + tm.t_sh, _NEVER), run.n_act_rank)
    miss_at = np.flatnonzero(miss)
    acts_all = np.concatenate([np.array(run.recent_acts, dtype=np.int64), act[miss_at]])
    window = np.full(m, _NEVER, dtype=np.int64)
    window[miss_at] = acts_all[: miss_at.size] + tm.t_raw
    t = prev + 1
    pre_x = np.maximum(t, n_pre)
    act_x = np.maximum.reduce([pre_x + max(1, tm.t_rp), n_act, n_rank, window])
    req_x = np.maximum(np.where(hit, t + 1, act_x + 2), np.where(w, n_wr, n_rd))
    req_x = np.maximum(req_x, np.where(miss, act_x + act_req + tm.t_sh * ps, _NEVER))
    last_needed = np.minimum(np.arange(k0, k1) + q_depth - 1, n - 1)
    ok = (req_x == req) & (hit | ((pre_x == pre) & (act_x == act))) & (cummax[last_needed] <= prev)
    f = int(np.argmin(ok)) if not ok.all() else m
    for p in pick_l[f:]:  # decisions past the first failure are taken again one at a time
        run.picked[p] = 0
    if f == 0:
        return k0
    _commit(run, shift, k0, f, picks, steps, hit, w, req, offsets if f == m else None)
    kf = k0 + f
    run.n_pre = int(max(n_pre[f - 1], c_pre[f - 1]))
    run.n_rd, run.n_wr = int(max(n_rd[f - 1], c_rd[f - 1])), int(max(n_wr[f - 1], c_wr[f - 1]))
    run.n_act = int(max(n_act[f - 1], pre[f - 1] + tm.t_rp if miss[f - 1] else _NEVER))
    run.n_act_rank = int(
        max(n_rank[f - 1], act[f - 1] + tm.t_rrd + tm.t_sh if miss[f - 1] else _NEVER)
    )
    kept = int(np.count_nonzero(miss[:f]))
    run.recent_acts = deque(acts_all[: len(run.recent_acts) + kept].tolist(), maxlen=tm.raw)
    # queue slots freed by decisions k0..kf-1 took trace lines k0+q .. kf-1+q
    j = np.arange(k0 + q_depth, min(n, kf + q_depth), dtype=np.int64)
    if j.size:
        arrivals = np.maximum(cummax[j], t[j - q_depth - k0])
        np.frombuffer(run.arr, dtype=np.int64)[j] = arrivals
    run.entered = min(n, kf - 1 + q_depth)
    return kf


def _commit(
    run: Run,
    shift: StaticShift,
    k0: int,
    f: int,
    picks: IntArray,
    steps: IntArray,
    hit: BoolArray,
    w: BoolArray,
    req: IntArray,
    offsets: IntArray | None,
) -> None:
    """Keep decisions k0 .. k0+f-1: issue order, steps, counts, MU offsets and the row state
    (``offsets``: the MUs' offsets after the whole block, if the whole block is kept)."""
    np.frombuffer(run.order, dtype=np.int64)[k0 : k0 + f] = picks[:f]
    np.frombuffer(run.steps, dtype=np.int64)[k0 : k0 + f] = steps[:f]
    if offsets is not None:
        np.frombuffer(run.offset, dtype=np.int64)[:] = offsets
    else:
        _steps(shift, picks[:f], np.frombuffer(run.offset, dtype=np.int64))
    n_hits = int(np.count_nonzero(hit[:f]))
    run.hits += n_hits
    run.acts += f - n_hits
    misses = np.flatnonzero(~hit[:f])
    run.served = f - 1 - int(misses[-1]) if misses.size else run.served + f
    last = int(picks[f - 1])
    run.open_row, run.hit_next = run.rows[last], run.nxt[last]
    taken = np.frombuffer(run.picked, dtype=np.uint8)
    run.first += int(np.argmin(taken[run.first :]))  # the oldest request not yet taken
    run.done = int(req[f - 1])
    run.prev_steps, run.prev_write = int(steps[f - 1]), bool(w[f - 1])


__all__ = ["run_block"]
