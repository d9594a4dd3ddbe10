"""Every weight-word read of a placed workload: which RTM word each PE reads, and when.

Weight-stationary placement (:mod:`rtmcim.mapping.place`) gives every PE its
filters as runs of words in its macro units (MUs); per output position the PE
walks its filter's words once (forward, or backward on odd passes of a snake
layout). This module lays that walk out as flat arrays, one entry per word
read, in time order within each PE, so that the fault model
(:mod:`rtmcim.engine.faults`) can say, for
every read, which MU it shifted, by how many steps, which domain it meant to
reach, and which lane and weights it feeds.

It also builds the PEs' memory image: the bits on each track at each domain,
so that a read that lands one domain off (a position error) returns what is
physically there: a neighbouring word of the same filter, another filter's or
layer's word, or an unused / overhead domain (read as 0).

Everything here is geometry of the mapping; no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtmcim.mapping.arch import Arch
from rtmcim.mapping.place import LayerPlacement, Placement, place, word_locations
from rtmcim.mapping.workload import ComputeWork, Workload

IntArray = np.ndarray


@dataclass(frozen=True)
class WeightReads:
    """Every weight-word read of one compute layer for one image, in per-PE time order.

    Per read ``t``: ``pe``, global ``mu`` index, intended ``domain``, PE-local
    ``word`` index, MU shift ``steps`` taken just before it, the ``filt`` and
    output ``pos`` of the lane it feeds and ``jword`` (word index inside the
    filter). ``sid``/``rank`` place the read in the MU-major layout: stream
    ``sid`` is one MU's reads in time order, ``rank`` the position in it.
    ``slot_k``/``slot_b`` (``(words_per_filter, tracks)``) say which weight and
    which bit of it track ``t`` of filter word ``j`` holds (-1: padding).
    """

    name: str
    wbits: int
    k: int
    out_channels: int
    positions: int
    words_per_filter: int
    pe: IntArray
    mu: IntArray
    domain: IntArray
    word: IntArray
    steps: IntArray
    filt: IntArray
    pos: IntArray
    jword: IntArray
    sid: IntArray
    rank: IntArray
    stream_mu: IntArray  # global MU of each stream
    stream_len: IntArray
    slot_k: IntArray
    slot_b: IntArray

    @property
    def reads(self) -> int:
        return int(self.pe.size)

    @property
    def rmax(self) -> int:
        return int(self.stream_len.max()) if self.stream_len.size else 0


def slot_maps(lw: ComputeWork, arch: Arch, wpf: int) -> tuple[IntArray, IntArray]:
    """(weight index, bit) stored on each track of each filter word; -1 where nothing is."""
    tracks = arch.org.mu.tracks
    wb = lw.wbits
    j = np.arange(wpf)[:, None]
    t = np.arange(tracks)[None, :]
    if arch.compute.word_layout == "bit_parallel":
        per = tracks // wb
        k = j * per + t // wb
        b = np.broadcast_to(t % wb, k.shape).copy()
        ok = (t < per * wb) & (k < lw.reduction)
    else:  # bit_serial: word j = chunk j // wb, bit j % wb; track t holds weight chunk*tracks + t
        k = (j // wb) * tracks + t
        b = np.broadcast_to(j % wb, k.shape).copy()
        ok = k < lw.reduction
    return np.where(ok, k, -1), np.where(ok, b, -1)


def _pe_filter_positions(
    lp: LayerPlacement, lw: ComputeWork, pes: int
) -> list[tuple[int, int, int, int, int]]:
    """(round, pe, filter, first position, passes) of every busy PE, round-major."""
    out: list[tuple[int, int, int, int, int]] = []
    if lp.copies == 1:
        for r in range(lp.rounds):
            for p in range(pes):
                o = r * pes + p
                if o < lw.out_channels:
                    out.append((r, p, o, 0, lw.positions))
    else:
        base, extra = divmod(lw.positions, lp.copies)
        for p in range(lp.active_pes):
            o, c = p % lw.out_channels, p // lw.out_channels
            n = base + (1 if c < extra else 0)
            if n:
                out.append((0, p, o, c * base + min(c, extra), n))
    return out


def layer_reads(
    lw: ComputeWork, lp: LayerPlacement, arch: Arch, offsets: np.ndarray
) -> WeightReads:
    """The reads of one layer; ``offsets`` (the controller's track state per MU) is updated."""
    org = arch.org
    mpp, w = arch.mus_per_pe, lp.words_per_filter
    snake = arch.compute.data_layout == "snake"
    parts: dict[str, list[np.ndarray]] = {
        n: [] for n in ("pe", "mu", "dom", "word", "f", "pos", "j")
    }
    for r, p, o, first_pos, n in _pe_filter_positions(lp, lw, arch.pes):
        first = lp.first_word + r * w
        unit_f, dom_f = word_locations(first, w, arch)
        unit_b, dom_b = word_locations(first, w, arch, reverse=True)
        q = np.arange(n)
        back = (q % 2 == 1) if snake else np.zeros(n, dtype=bool)
        j_f = np.arange(w)
        jj = np.where(back[:, None], j_f[::-1][None, :], j_f[None, :])
        unit = np.where(back[:, None], unit_b[None, :], unit_f[None, :])
        dom = np.where(back[:, None], dom_b[None, :], dom_f[None, :])
        parts["pe"].append(np.full(n * w, p, dtype=np.int64))
        parts["mu"].append((p * mpp + unit).ravel())
        parts["dom"].append(dom.ravel())
        parts["word"].append((first + jj).ravel())
        parts["f"].append(np.full(n * w, o, dtype=np.int64))
        parts["pos"].append(np.repeat(first_pos + q, w))
        parts["j"].append(jj.ravel())
    cat = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in parts.items()}
    mu, dom = cat["mu"], cat["dom"]
    steps = org.shift_steps(mu, dom, offsets)
    # MU-major layout: reads of one MU are in time order (a PE's reads are listed in time order)
    order = np.argsort(mu, kind="stable")
    smu, counts = np.unique(mu[order], return_counts=True)
    sid = np.empty(mu.size, dtype=np.int64)
    rank = np.empty(mu.size, dtype=np.int64)
    sid[order] = np.repeat(np.arange(smu.size), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    rank[order] = np.arange(mu.size) - starts
    sk, sb = slot_maps(lw, arch, w)
    return WeightReads(
        lw.name,
        lw.wbits,
        lw.reduction,
        lw.out_channels,
        lw.positions,
        w,
        cat["pe"],
        mu,
        dom,
        cat["word"],
        steps,
        cat["f"],
        cat["pos"],
        cat["j"],
        sid,
        rank,
        smu,
        counts,
        sk,
        sb,
    )


def unsigned_weights(weight: np.ndarray, wbits: int) -> np.ndarray:
    """(O, K) two's-complement bit patterns of a layer's weights, as int64 in [0, 2**wbits)."""
    o = weight.shape[0]
    return weight.reshape(o, -1).astype(np.int64) & ((1 << wbits) - 1)


def signed_from_unsigned(u: np.ndarray, wbits: int) -> np.ndarray:
    """Two's complement ``wbits``-bit patterns back to signed values, in ``u``'s own type (which
    holds the patterns, not always ``2**wbits``: subtract half twice)."""
    half = 1 << (wbits - 1)
    return np.where(u >= half, (u - half) - half, u)


def memory_image(
    streams: dict[str, WeightReads],
    weights: dict[str, np.ndarray],
    arch: Arch,
    placement: Placement,
) -> np.ndarray:
    """(pes, words, tracks) uint8 bits stored in every PE's weight words (0 where unused)."""
    tracks = arch.org.mu.tracks
    nwords = max(placement.weight_words_per_pe, 1)
    mem = np.zeros((arch.pes, nwords, tracks), dtype=np.uint8)
    for name, s in streams.items():
        u = unsigned_weights(weights[name], s.wbits)
        # one read per (pe, word) is enough to know what that word holds
        _, first = np.unique(s.pe * nwords + s.word, return_index=True)
        pe, word, f, j = s.pe[first], s.word[first], s.filt[first], s.jword[first]
        k = s.slot_k[j]  # (n, tracks)
        b = s.slot_b[j]
        ok = k >= 0
        bits = (u[f[:, None], np.where(ok, k, 0)] >> np.where(ok, b, 0)) & 1
        mem[pe, word] = np.where(ok, bits, 0).astype(np.uint8)
    return mem


def weight_reads(work: Workload, arch: Arch) -> tuple[Placement, dict[str, WeightReads]]:
    """Place ``work`` and lay out every compute layer's weight stream (tracks start at home)."""
    placement = place(work, arch)
    offsets = np.zeros(arch.org.mus, dtype=np.int64)
    streams = {
        lw.name: layer_reads(lw, placement.of(lw.name), arch, offsets) for lw in work.compute_layers
    }
    return placement, streams


def physical_word(
    s: WeightReads, arch: Arch, idx: np.ndarray, err: np.ndarray, nwords: int
) -> tuple[np.ndarray, np.ndarray]:
    """(PE-local word, valid) physically under the port for reads ``idx`` misaligned by ``err``.

    A misaligned MU presents domain ``domain + err`` of the same MU; outside
    ``0..domains-1`` it is an overhead domain, and past the used weight words
    an unused one: both are invalid (read as 0).
    """
    mu = arch.org.mu
    seg = mu.domains // mu.ports
    d = s.domain[idx] + err
    inside = (d >= 0) & (d < mu.domains)
    d = np.clip(d, 0, mu.domains - 1)
    if arch.compute.data_layout == "snake":
        sg, off = d // seg, d % seg
        d = np.where(sg % 2 == 1, sg * seg + (seg - 1 - off), d)  # the snake map is its own inverse
    unit = s.mu[idx] - s.pe[idx] * arch.mus_per_pe
    word = unit * mu.domains + d
    valid = inside & (word < nwords)
    return np.where(valid, word, 0), valid
