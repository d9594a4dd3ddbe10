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
    simulation. :func:`workload_stream_steps_many` solves many workloads or
    geometries at once (a hardware sweep's hundreds), in one set of arrays.

Both return, per compute layer, the steps of each PE (MU-steps: one MU
shifting by one domain); the layer cost multiplies by ``tracks``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtmcim.mapping.arch import Arch
from rtmcim.mapping.place import LayerPlacement, Placement, word_locations
from rtmcim.mapping.workload import ComputeWork, Workload


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
            steps = org.shift_steps(units, doms, offsets)
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
    return workload_stream_steps_many([(work, placement, arch)])[0]


def workload_stream_steps_many(
    problems: Sequence[tuple[Workload, Placement, Arch]],
) -> list[list[np.ndarray]]:
    """:func:`workload_stream_steps` of many (workload, placement, arch) triples.

    The static-port ones are solved together, as one set of numpy arrays
    (a hardware sweep has hundreds of them, each small); the others are
    simulated one by one.
    """
    out: list[list[np.ndarray] | None] = [None] * len(problems)
    static: list[tuple[int, _Problem]] = []
    for i, (work, placement, arch) in enumerate(problems):
        layers = tuple((lw, placement.of(lw.name)) for lw in work.compute_layers)
        if arch.org.port_policy != "static":
            offsets = np.zeros(arch.org.mus, dtype=np.int64)
            out[i] = [weight_stream_steps(lp, lw, arch, offsets) for lw, lp in layers]
            continue
        mu = arch.org.mu
        static.append(
            (
                i,
                _Problem(
                    _rounds(layers, arch.pes),
                    mu.domains,
                    mu.domains // mu.ports,
                    arch.compute.data_layout == "snake",
                    arch.org.update_policy == "eager",
                ),
            )
        )
    costs = _class_costs([pb for _, pb in static])
    for (i, pb), c in zip(static, costs, strict=True):
        out[i] = [c[pb.rounds.inv, layer] for layer in range(c.shape[1])]
    assert all(o is not None for o in out)
    return [o or [] for o in out]


def _targets(idx: np.ndarray, domains: Any, seg: Any, snake: Any) -> np.ndarray:
    """Offset at which the static owner port sees word ``idx`` (layout applied; arrays broadcast)."""
    d = idx % domains
    off = d % seg
    return np.where(snake & ((d // seg) % 2 == 1), seg - 1 - off, off)


def _offset_prefix(x: np.ndarray, domains: Any, seg: Any, snake: Any) -> np.ndarray:
    """Sum of the targets of words ``0 .. x - 1`` (eager policy: each access costs 2 x target)."""
    full_seg = seg * (seg - 1) // 2
    y = x % domains
    q, r = y // seg, y % seg
    part = r * (r - 1) // 2
    part = np.where(snake & (q % 2 == 1), r * (seg - 1) - part, part)
    return (x // domains) * (domains // seg) * full_seg + q * full_seg + part


@dataclass(frozen=True)
class _Rounds:
    """Every round of every layer in time order, and the PE classes (placement only)."""

    n: np.ndarray  # passes of each class in each round: (classes, rounds)
    inv: np.ndarray  # class of each PE
    a: np.ndarray  # first word of each round's filter
    last: np.ndarray  # last word
    w: np.ndarray  # words per filter
    layer: np.ndarray  # layer of each round
    layers: int


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
    layer = np.repeat(np.arange(len(layers)), rounds_of)
    return _Rounds(by_pe[first_pe], inv.ravel(), a, a + w - 1, w, layer, len(layers))


@dataclass(frozen=True)
class _Problem:
    rounds: _Rounds
    domains: int
    seg: int
    snake: bool
    eager: bool


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of ``counts`` items laid end to end: each item's group, and its index in it."""
    group = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(group.size) - starts[group]


def _class_costs(problems: list[_Problem]) -> list[np.ndarray]:
    """Steps of every PE class in every layer, (classes, layers), for each static-port problem.

    All problems at once: their rounds, touches (round x MU pairs) and
    (class, touch) entries are laid end to end in flat arrays, and every
    per-problem quantity (domains, segment, layout, policy) rides along.
    """
    if not problems:
        return []
    rd = [pb.rounds for pb in problems]
    n_r = np.array([r.a.size for r in rd])  # rounds of each problem
    n_c = np.array([r.n.shape[0] for r in rd])  # classes
    n_l = np.array([r.layers for r in rd])  # layers
    prob_r = np.repeat(np.arange(len(rd)), n_r)  # problem of each round
    a = np.concatenate([r.a for r in rd])
    last = np.concatenate([r.last for r in rd])
    w = np.concatenate([r.w for r in rd])
    dom = np.array([pb.domains for pb in problems])[prob_r]
    seg = np.array([pb.seg for pb in problems])[prob_r]
    snake = np.array([pb.snake for pb in problems])[prob_r]
    eager = np.array([pb.eager for pb in problems])[prob_r]
    r_base = np.cumsum(n_r) - n_r  # first round of each problem
    # (problem, class) rows, each with a cost per layer: out[row_base + c * layers + layer]
    rows_of = np.repeat(np.arange(len(rd)), n_c)
    _, cls_of_row = _ragged(n_c)
    out_base = np.cumsum(n_c * n_l) - n_c * n_l
    row_out = out_base[rows_of] + cls_of_row * n_l[rows_of]
    total = int((n_c * n_l).sum())
    layer_r = np.concatenate([r.layer for r in rd])

    # passes: one entry per (row, round of its problem)
    e_row, e_round = _ragged(n_r[rows_of])
    g_round = r_base[rows_of[e_row]] + e_round
    n = np.concatenate([r.n.ravel() for r in rd])  # row-major: (class, round) per problem
    # internal steps of one pass (lazy), or of the whole pass (eager: 2 x offset per access)
    unit_b = last // dom - a // dom  # MU boundaries crossed inside the pass
    seg_b = last // seg - a // seg - unit_b  # segment boundaries inside an MU
    pairs = (w - 1) - unit_b  # neighbouring words in the same MU
    internal = pairs - seg_b + np.where(snake, 0, seg_b * (seg - 1))
    eager_pass = 2 * (
        _offset_prefix(last + 1, dom, seg, snake) - _offset_prefix(a, dom, seg, snake)
    )
    per_pass = np.where(eager, eager_pass, internal)
    cost = np.bincount(
        row_out[e_row] + layer_r[g_round], weights=n * per_pass[g_round], minlength=total
    )

    # lazy problems: the entry cost of each pass into each MU it touches
    k = np.where(eager, 0, last // dom - a // dom + 1)  # touches of each round
    t_round, t_in = _ragged(k)
    t_unit = a[t_round] // dom[t_round] + t_in
    t_dom, t_seg, t_snake = dom[t_round], seg[t_round], snake[t_round]
    t_f = _targets(np.maximum(a[t_round], t_unit * t_dom), t_dom, t_seg, t_snake)
    t_l = _targets(np.minimum(last[t_round], (t_unit + 1) * t_dom - 1), t_dom, t_seg, t_snake)
    t_prob = prob_r[t_round]
    new_run = np.ones(t_round.size, dtype=bool)
    new_run[1:] = (t_unit[1:] != t_unit[:-1]) | (t_prob[1:] != t_prob[:-1])
    n_t = np.bincount(t_prob, minlength=len(rd))  # touches of each problem
    t_base = np.cumsum(n_t) - n_t
    # entries: one per (row, touch of its problem), a row's entries in time order
    x_row, x_in = _ragged(n_t[rows_of])
    x_t = t_base[rows_of[x_row]] + x_in
    x_round = t_round[x_t]
    x_n = n[
        (np.cumsum(n_c * n_r) - n_c * n_r)[rows_of[x_row]]
        + cls_of_row[x_row] * n_r[rows_of[x_row]]
        + (x_round - r_base[t_prob[x_t]])
    ]
    active = x_n > 0
    x_f, x_l, x_snake = t_f[x_t], t_l[x_t], t_snake[x_t]
    # state a pass leaves in this MU: its last word (snake: alternate ends)
    end = np.where(x_snake & (x_n % 2 == 0), x_f, x_l)
    idx = np.arange(x_t.size)
    run_start = np.maximum.accumulate(np.where(new_run[x_t] | (x_in == 0), idx, 0))
    last_act = np.maximum.accumulate(np.where(active, idx, -1))
    prev_idx = np.empty_like(last_act)
    if prev_idx.size:
        prev_idx[0] = -1
        prev_idx[1:] = last_act[:-1]
    prev = np.where(prev_idx >= run_start, end[np.maximum(prev_idx, 0)], 0)
    entry = np.abs(x_f - prev) + np.where(x_snake, 0, (x_n - 1) * np.abs(x_f - x_l))
    cost += np.bincount(
        row_out[x_row] + layer_r[x_round], weights=np.where(active, entry, 0), minlength=total
    )
    flat = np.rint(cost).astype(np.int64)  # integer counts (exact in float64 below 2**53)
    return [
        flat[out_base[i] : out_base[i] + n_c[i] * n_l[i]].reshape(n_c[i], n_l[i])
        for i in range(len(rd))
    ]
