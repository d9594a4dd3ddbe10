"""Shift steps of the weight stream: each PE walking its filters, exactly.

Weight-stationary placement (:mod:`rtmcim.mapping.place`) gives every PE the
same word layout: in round ``r`` of a layer, a PE's filter occupies the
consecutive words ``a = first + r*w .. a + w - 1`` of its MUs, and the PE
walks them once per output position it computes (a *pass*; snake passes
alternate direction). PEs differ only in how many passes they make per round,
and tracks of different PEs never interact, so the shift steps are a function
of the pass counts. Two exact methods, which tests hold equal:

:func:`weight_stream_steps`
    simulation, layer by layer: the MU offsets are run through
    :func:`rtmcim.memory.track.shift_steps_vectorized` over three passes per
    round and extended periodically (the state after pass 3 equals that after
    pass 1). Works for every port and update policy; ``offsets`` carry the
    track state from one layer to the next.
:func:`workload_stream_steps`
    the whole workload at once. For the ``static`` port policy it is closed
    form: PEs with the same pass counts in every round form a class; a pass
    over words ``[a, a+w)`` costs its *internal* steps (1 per step between
    neighbouring words in one MU, ``segment - 1`` for a sequential rewind at a
    segment boundary, 0 for a snake turn) plus, for every MU it touches, the
    distance from that MU's state to the pass's first word in it. Passes after
    the first of a round add no entry cost under snake (the walk turns where it
    ended) and ``|first - last|`` per MU under sequential (a rewind). With the
    ``eager`` update policy every access costs twice its offset. For the
    ``nearest`` policy (the port choice depends on the state) it runs the
    simulation.

Both return, per compute layer, the steps of each PE (MU-steps: one MU
shifting by one domain); the layer cost multiplies by ``tracks``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rtmcim.mapping.arch import Arch
from rtmcim.mapping.place import LayerPlacement, Placement, word_locations
from rtmcim.mapping.workload import ComputeWork, Workload
from rtmcim.memory.track import shift_steps_vectorized


@functools.lru_cache(maxsize=4096)
def pe_passes(lp: LayerPlacement, lw: ComputeWork, pes: int) -> np.ndarray:
    """Output positions (passes over its filter) of each PE in each round: (rounds, pes).

    Memoized (sweeps ask for the same placement many times); the array is read-only.
    """
    passes = np.zeros((lp.rounds, pes), dtype=np.int64)
    if lp.copies == 1:
        for r in range(lp.rounds):
            n_f = min(pes, lw.out_channels - r * pes)
            passes[r, :n_f] = lw.positions
    else:
        base, extra = divmod(lw.positions, lp.copies)
        p = np.arange(lp.active_pes)
        copy = p // lw.out_channels
        passes[0, : lp.active_pes] = base + (copy < extra)
    passes.flags.writeable = False
    return passes


def pe_outputs(lp: LayerPlacement, lw: ComputeWork, pes: int) -> np.ndarray:
    """Outputs (dot products) each PE computes for the layer, (pes,); the busiest sets the latency."""
    return pe_passes(lp, lw, pes).sum(axis=0)


def weight_stream_steps(
    lp: LayerPlacement, lw: ComputeWork, arch: Arch, offsets: np.ndarray
) -> np.ndarray:
    """Shift steps (MU-steps) of each PE walking its filters, (pes,); ``offsets`` updated in place.

    Each PE's filter in round ``r`` occupies words ``first + r*W .. first + (r+1)*W - 1``
    of that PE. Three passes are simulated exactly; because the track state
    after pass 3 equals that after pass 1 (passes repeat, or alternate for a
    snake), ``n`` passes cost ``c1 + c2*ceil((n-1)/2) + c3*floor((n-1)/2)``.
    """
    org, comp = arch.org, arch.compute
    pes, mpp, w = arch.pes, arch.mus_per_pe, lp.words_per_filter
    passes = pe_passes(lp, lw, pes)
    total = np.zeros(pes, dtype=np.int64)
    pe_ids = np.arange(pes, dtype=np.int64)
    snake = comp.data_layout == "snake"
    for r in range(lp.rounds):
        n = passes[r]
        act = n > 0
        if not act.any():
            continue
        ids = pe_ids[act]
        unit_l, dom = word_locations(lp.first_word + r * w, w, arch)
        unit_b, dom_b = word_locations(lp.first_word + r * w, w, arch, reverse=True)
        saved = []
        costs = []
        for k in range(3):
            backward = snake and k % 2 == 1
            u_loc, d = (unit_b, dom_b) if backward else (unit_l, dom)
            units = (ids[:, None] * mpp + u_loc[None, :]).ravel()
            doms = np.broadcast_to(d, (ids.size, w)).ravel()
            steps = shift_steps_vectorized(
                units,
                doms,
                domains=org.mu.domains,
                ports=org.mu.ports,
                port_policy=org.port_policy,
                update_policy=org.update_policy,
                offsets=offsets,
            )
            costs.append(steps.reshape(ids.size, w).sum(axis=1))
            saved.append(offsets.copy())
        nn = n[act]
        c1, c2, c3 = costs
        total[act] += c1 + c2 * ((nn - 1 + 1) // 2) + c3 * ((nn - 1) // 2)
        # leave the tracks where n passes would: after pass 1 (n odd) or pass 2 (n even)
        mus = (ids[:, None] * mpp + np.unique(unit_l)[None, :]).ravel()
        even = np.repeat(nn % 2 == 0, np.unique(unit_l).size)
        offsets[mus] = np.where(even, saved[1][mus], saved[0][mus])
    return total


def workload_stream_steps(work: Workload, placement: Placement, arch: Arch) -> list[np.ndarray]:
    """Steps of each PE, (pes,), for every compute layer in order; the tracks start at home."""
    layers = [(lw, placement.of(lw.name)) for lw in work.compute_layers]
    if arch.org.port_policy != "static":
        offsets = np.zeros(arch.org.mus, dtype=np.int64)
        return [weight_stream_steps(lp, lw, arch, offsets) for lw, lp in layers]
    return _static_stream(layers, arch)


def _count_multiples(lo: np.ndarray, hi: np.ndarray, m: int) -> np.ndarray:
    """How many multiples of ``m`` lie in ``(lo, hi]``."""
    return hi // m - lo // m


def _targets(idx: np.ndarray, domains: int, seg: int, snake: bool) -> np.ndarray:
    """Offset at which the static owner port sees word ``idx`` (layout applied)."""
    d = idx % domains
    off = d % seg
    if not snake:
        return off
    return np.where((d // seg) % 2 == 1, seg - 1 - off, off)


def _offset_prefix(x: np.ndarray, domains: int, seg: int, snake: bool) -> np.ndarray:
    """Sum of the targets of words ``0 .. x - 1`` (eager policy: each access costs 2 x target)."""
    full_seg = seg * (seg - 1) // 2
    y = x % domains
    q, r = y // seg, y % seg
    part = r * (r - 1) // 2
    if snake:
        part = np.where(q % 2 == 1, r * (seg - 1) - part, part)
    return (x // domains) * (domains // seg) * full_seg + q * full_seg + part


@dataclass(frozen=True)
class _Rounds:
    """Every round of every layer in time order, and the PE classes (placement only)."""

    n: np.ndarray  # passes of each class in each round: (classes, rounds)
    inv: np.ndarray  # class of each PE
    a: np.ndarray  # first word of each round's filter
    last: np.ndarray  # last word
    w: np.ndarray  # words per filter
    layer_starts: np.ndarray  # first round of each layer


@functools.lru_cache(maxsize=256)
def _rounds(layers: tuple[tuple[ComputeWork, LayerPlacement], ...], pes: int) -> _Rounds:
    passes = [pe_passes(lp, lw, pes) for lw, lp in layers]
    rounds_of = np.array([p.shape[0] for p in passes], dtype=np.int64)
    n_rounds = int(rounds_of.sum())
    starts = np.cumsum(rounds_of) - rounds_of
    w = np.repeat([lp.words_per_filter for _, lp in layers], rounds_of).astype(np.int64)
    r_in = np.arange(n_rounds) - np.repeat(starts, rounds_of)
    a = np.repeat([lp.first_word for _, lp in layers], rounds_of) + r_in * w
    # classes of PEs with the same passes in every round
    by_pe = np.ascontiguousarray(np.concatenate(passes, axis=0).T)  # (pes, rounds)
    rows = by_pe.view(np.dtype((np.void, by_pe.dtype.itemsize * n_rounds))).ravel()
    _, first_pe, inv = np.unique(rows, return_index=True, return_inverse=True)
    return _Rounds(by_pe[first_pe], inv.ravel(), a, a + w - 1, w, starts)


def _static_stream(
    layers: list[tuple[ComputeWork, LayerPlacement]], arch: Arch
) -> list[np.ndarray]:
    mu = arch.org.mu
    big_d, seg = mu.domains, mu.domains // mu.ports
    snake = arch.compute.data_layout == "snake"
    rd = _rounds(tuple(layers), arch.pes)
    n, a, last, w = rd.n, rd.a, rd.last, rd.w

    if arch.org.update_policy == "eager":  # every access costs twice its offset
        per_pass = 2 * (
            _offset_prefix(last + 1, big_d, seg, snake) - _offset_prefix(a, big_d, seg, snake)
        )
        cost_round = n * per_pass[None, :]
    else:
        unit_b = _count_multiples(a, last, big_d)  # MU boundaries crossed inside the pass
        seg_b = _count_multiples(a, last, seg) - unit_b  # segment boundaries inside an MU
        pairs = (w - 1) - unit_b  # neighbouring words in the same MU
        internal = pairs - seg_b + (0 if snake else seg_b * (seg - 1))
        cost_round = n * internal[None, :]

        # touches: (round, MU) pairs, in time order; one MU's touches are adjacent
        u0 = a // big_d
        k = last // big_d - u0 + 1
        t_start = np.cumsum(k) - k  # first touch of each round
        t_round = np.repeat(np.arange(a.size), k)
        t_unit = u0[t_round] + np.arange(t_round.size) - t_start[t_round]
        t_f = _targets(np.maximum(a[t_round], t_unit * big_d), big_d, seg, snake)
        t_l = _targets(np.minimum(last[t_round], (t_unit + 1) * big_d - 1), big_d, seg, snake)

        nt = n[:, t_round]  # (classes, touches)
        active = nt > 0
        # state a pass leaves in this MU: its last word (snake: alternate ends)
        end = np.where(nt % 2 == 1, t_l, t_f) if snake else np.broadcast_to(t_l, nt.shape)
        idx = np.arange(t_round.size)
        new_unit = np.ones(t_round.size, dtype=bool)
        new_unit[1:] = t_unit[1:] != t_unit[:-1]
        run_start = np.maximum.accumulate(np.where(new_unit, idx, 0))
        last_act = np.maximum.accumulate(np.where(active, idx, -1), axis=1)
        prev_idx = np.empty_like(last_act)
        prev_idx[:, 0] = -1
        prev_idx[:, 1:] = last_act[:, :-1]
        has_prev = prev_idx >= run_start[None, :]
        prev = np.where(has_prev, np.take_along_axis(end, np.maximum(prev_idx, 0), axis=1), 0)
        entry = np.abs(t_f[None, :] - prev)
        if not snake:  # every further pass rewinds from the MU's last word to its first
            entry = entry + (nt - 1) * np.abs(t_f - t_l)[None, :]
        cost_round = cost_round + np.add.reduceat(np.where(active, entry, 0), t_start, axis=1)

    per_layer = np.add.reduceat(cost_round, rd.layer_starts, axis=1)  # (classes, layers)
    return [per_layer[rd.inv, i] for i in range(len(layers))]
