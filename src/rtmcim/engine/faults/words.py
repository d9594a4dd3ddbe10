"""Pure word maths of faulty racetrack streams: no state, no randomness but a given generator.

A stream is a run of ``tracks``-bit words read or written one after another,
one shift step before each. A track misaligned by ``e`` domains hands the
port word ``j + e`` when word ``j`` is meant (zeros off the stream), and a
word written at misalignment ``e`` lands on ``j + e``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtmcim.mapping.weight_reads import WeightReads


def stream_words(values: np.ndarray, bits: int, tracks: int, n: int) -> np.ndarray:
    """(n, tracks) bits of ``values`` (two's complement ``bits``-bit) packed end to end, low bit
    first, as the activation region holds them."""
    shifts = np.arange(bits, dtype=np.int64)
    stream = np.zeros(n * tracks, dtype=np.int64)
    stream[: values.size * bits] = ((values.astype(np.int64)[:, None] >> shifts) & 1).reshape(-1)
    return stream.reshape(n, tracks)


def stream_values(words: np.ndarray, count: int, bits: int, signed: bool) -> np.ndarray:
    """The first ``count`` ``bits``-bit values of a word stream (inverse of :func:`stream_words`)."""
    vbits = words.reshape(-1)[: count * bits].reshape(count, bits)
    v = (vbits << np.arange(bits, dtype=np.int64)).sum(axis=1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v) if signed else v


def words_read(
    values: np.ndarray, bits: int, tracks: int, e: np.ndarray, signed: bool = False
) -> np.ndarray:
    """``values`` (``bits``-bit, two's complement when ``signed``) as read from a stream of
    ``tracks``-bit words when word ``j`` is read at misalignment ``e[j]``: it returns word
    ``j + e[j]`` (zeros off the stream)."""
    n = e.size
    words = stream_words(values, bits, tracks, n)
    src = np.arange(n) + e
    valid = (src >= 0) & (src < n)
    got = np.zeros_like(words)
    got[valid] = words[src[valid]]
    return stream_values(got, values.size, bits, signed)


def words_written(
    values: np.ndarray, bits: int, tracks: int, e: np.ndarray, signed: bool = False
) -> np.ndarray:
    """``values`` as stored after writing word ``j`` of their stream at misalignment ``e[j]``:
    it lands on word ``j + e[j]`` (lost off the stream); a word written twice keeps the later
    write, a word never written reads 0. ``signed``: the values are two's complement."""
    n = e.size
    words = stream_words(values, bits, tracks, n)
    dst = np.arange(n) + e
    src = np.flatnonzero((dst >= 0) & (dst < n))
    # the last writer of each destination: the first occurrence in reversed order
    _, first = np.unique(dst[src][::-1], return_index=True)
    last = src[::-1][first]
    stored = np.zeros_like(words)
    stored[dst[last]] = words[last]
    return stream_values(stored, values.size, bits, signed)


def misalignment(
    delta: np.ndarray, start: np.ndarray, interval: int, length: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """Misalignment of a track at each access, from the net position error ``delta`` (..., n)
    of the shift before each access and the misalignment ``start`` (...) before the first.

    Errors persist; with a position check every ``interval``-th access (0: none) the marker
    reads the misalignment mod 4 and the track re-shifts by the decoded -1, +1 or +2 (streams
    shorter than ``n``, ``length``, are not checked past their end). Returns the misalignment
    at each access and the correction steps of each stream (...).
    """
    corr = np.zeros(start.shape, dtype=np.int64)
    if not interval:
        return start[..., None] + np.cumsum(delta, axis=-1), corr
    n = delta.shape[-1]
    e = np.empty_like(delta)
    state = start
    for w0 in range(0, n, interval):
        x = state + delta[..., w0]
        dec = np.mod(x + 1, 4) - 1  # the marker reads x mod 4: -1, 0, +1 or (2 ->) +2
        dec = np.where(w0 < length, dec, 0)
        corr += np.abs(dec)
        e[..., w0] = x - dec
        end = min(w0 + interval, n)
        e[..., w0 + 1 : end] = (x - dec)[..., None] + np.cumsum(delta[..., w0 + 1 : end], axis=-1)
        state = e[..., end - 1]
    return e, corr


def bits_flipped(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Sorted indices of the bits among ``n`` that flip, each with probability ``p``."""
    if p <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    m = int(rng.binomial(n, p))
    return np.sort(rng.choice(n, size=m, replace=False)) if m else np.zeros(0, dtype=np.int64)


def pack_words(bits: np.ndarray) -> np.ndarray:
    """(..., tracks) bits -> (...) uint64 words, track ``t`` as bit ``t`` (tracks <= 64)."""
    packed = np.packbits(bits, axis=-1, bitorder="little")
    full = np.zeros((*bits.shape[:-1], 8), dtype=np.uint8)
    full[..., : packed.shape[-1]] = packed
    return full.view("<u8")[..., 0].astype(np.uint64)


@dataclass(frozen=True)
class WordRuns:
    """Each filter word as runs of tracks holding consecutive bits of one weight.

    Run ``r`` of word ``j`` holds bits ``bit .. bit + len - 1`` of weight
    ``k[j, r]`` on tracks ``start .. start + len - 1`` (``mask = 2**len - 1``;
    ``k = -1``: no run). ``protected[j]`` has the bits of the tracks that triple
    redundancy protects. All word-wide quantities are uint64. ``whole``: every
    weight lies in one run (bit-parallel words), so a lane's weights take one
    run each.
    """

    start: np.ndarray
    mask: np.ndarray
    bit: np.ndarray
    k: np.ndarray
    protected: np.ndarray
    whole: bool


def _runs_of_word(s: WeightReads, j: int) -> list[tuple[int, int, int, int]]:
    """(first track, length, first bit, weight) of each run of filter word ``j``."""
    runs: list[tuple[int, int, int, int]] = []
    for t in range(s.slot_k.shape[1]):
        k, b = int(s.slot_k[j, t]), int(s.slot_b[j, t])
        if k < 0:
            continue
        if runs:
            t0, n, b0, k0 = runs[-1]
            if k0 == k and t0 + n == t and b0 + n == b:
                runs[-1] = (t0, n + 1, b0, k0)
                continue
        runs.append((t, 1, b, k))
    return runs


def word_runs(s: WeightReads, tmr_bits: int) -> WordRuns:
    """The runs of :class:`WordRuns` from the stream's slot maps (any word layout)."""
    words = s.slot_k.shape[0]
    per_word = [_runs_of_word(s, j) for j in range(words)]
    width = max((len(r) for r in per_word), default=0)
    start = np.zeros((words, width), dtype=np.uint64)
    mask = np.zeros((words, width), dtype=np.uint64)
    bit = np.zeros((words, width), dtype=np.uint64)
    weight = np.full((words, width), -1, dtype=np.int64)
    for j, runs in enumerate(per_word):
        for r, (t0, n, b0, k0) in enumerate(runs):
            start[j, r] = t0
            mask[j, r] = (1 << n) - 1
            bit[j, r] = b0
            weight[j, r] = k0
    used = weight[weight >= 0]
    whole = bool(np.unique(used).size == used.size)
    protected = pack_words(protected_tracks(s, tmr_bits).astype(np.uint8))
    return WordRuns(start, mask, bit, weight, protected, whole)


def protected_tracks(s: WeightReads, tmr_bits: int) -> np.ndarray:
    """(words per filter, tracks): the tracks holding one of the top ``tmr_bits`` bits of a weight."""
    return (s.slot_b >= s.wbits - tmr_bits) & (s.slot_b >= 0)  # tmr_bits 0: none
