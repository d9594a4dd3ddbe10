"""The weight streams under faults: the weights as programmed, and as each lane reads them.

Every PE's weights sit in its MUs as the mapping placed them
(:mod:`rtmcim.mapping.weight_reads`). Position errors misalign an MU by the
running sum of its errors; every later read of that MU gets the word
``domain + misalignment`` (a neighbour word, another filter's or layer's
word, or an overhead / unused domain read as 0) until a position check
corrects it. Without one nothing corrects it within an inference (also into
the next layer: the state is carried per MU); every inference starts aligned
(the controller homes the tracks between inferences). Bit flips hit the
weights as programmed (once per run) and as read. With triple redundancy
two replica copies fail independently and the protected bits are voted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtmcim.circuits.mac import operand_dtype
from rtmcim.engine.faults.injectors import Injectors
from rtmcim.engine.faults.kinds import Site
from rtmcim.engine.faults.mitigations import Effect
from rtmcim.engine.faults.words import WordRuns, misalignment, pack_words, word_runs
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.weight_reads import (
    WeightReads,
    memory_image,
    physical_word,
    signed_from_unsigned,
    unsigned_weights,
    weight_reads,
)
from rtmcim.mapping.workload import Workload

# Images per batch on the faulty path: as many as keep the largest layer's per-lane weights
# (images x positions x filters x K entries) within LANE_WEIGHT_BUDGET, at most MAX_BATCH_IMAGES
# (a layer split into rounds holds them about twice: whole, and sliced by round). Larger
# batches mean fewer, wider calls of the MAC model (its cost is per term, not per lane).
LANE_WEIGHT_BUDGET = 1 << 25
MAX_BATCH_IMAGES = 64


def batch_images_for(streams: dict[str, WeightReads]) -> int:
    """Images per batch: the largest layer's per-lane weights of a batch fit the budget."""
    largest = max((s.positions * s.out_channels * s.k for s in streams.values()), default=1)
    return max(1, min(MAX_BATCH_IMAGES, LANE_WEIGHT_BUDGET // max(largest, 1)))


@dataclass(frozen=True)
class _Group:
    """Images ``first .. first + images - 1`` of a batch: each copy's misalignment at each read
    (images, reads) and read flips (per image)."""

    first: int
    images: int
    errs: list[np.ndarray]
    flips: list[list[np.ndarray]]


class WeightFaults:
    """The weights of one run as stored in the PEs' MUs and as read, under faults."""

    def __init__(
        self,
        work: Workload,
        weights: dict[str, np.ndarray],
        arch: Arch,
        injectors: Injectors,
        effect: Effect,
    ) -> None:
        self.arch, self.injectors, self.effect = arch, injectors, effect
        self.stats = injectors.stats
        self.placement, self.streams = weight_reads(work, arch)
        self.layer_index = {name: i for i, name in enumerate(self.streams)}
        self.batch_images = batch_images_for(self.streams)
        self.intended = weights  # the layers' weights as meant
        self.mem = memory_image(self.streams, weights, arch, self.placement)
        self.copies = 3 if effect.tmr_bits else 1
        self.stored = [self._program(c) for c in range(self.copies)]
        # the same words packed into one integer each (track t = bit t): reads are word-wide
        self.mem_words = pack_words(self.mem)
        self.stored_words = [
            self.mem_words if st is self.mem else pack_words(st) for st in self.stored
        ]
        self._runs: dict[str, WordRuns] = {}
        self._dirty: dict[tuple[str, int], np.ndarray] = {}
        self._carry: list[np.ndarray] = []

    def _program(self, copy: int) -> np.ndarray:
        """The weight words as stored: the image with this copy's write flips."""
        (idx,) = self.injectors.flips(Site.PROGRAM, self.mem.size, [(copy,)], count=copy == 0)
        if not idx.size:
            return self.mem
        out = self.mem.copy().reshape(-1)
        out[idx] ^= 1
        return out.reshape(self.mem.shape)

    def begin(self, images: np.ndarray) -> None:
        """A new batch of inferences: every MU starts aligned."""
        mus = self.arch.org.mus
        self._carry = [np.zeros((len(images), mus), dtype=np.int64) for _ in range(self.copies)]

    def layer_weights(self, name: str, images: np.ndarray) -> np.ndarray | None:
        """(B, positions, O, K) weights each lane reads, or ``None`` if every lane reads them clean."""
        s = self.streams[name]
        li = self.layer_index[name]
        errs = []
        for c in range(self.copies):
            keys = [(int(img), li, c) for img in images]
            delta = self.injectors.errors(Site.WEIGHT_SHIFT, s.steps, keys, count=c == 0)
            if delta is None:
                delta = np.zeros((len(images), s.reads), dtype=np.int64)
            errs.append(self.propagate(s, delta, c))
        return self.read_weights(name, images, errs)

    def propagate(self, s: WeightReads, delta: np.ndarray, copy: int = 0) -> np.ndarray:
        """(B, reads) misalignment of the MU at each read, from the position errors ``delta``.

        Errors persist on their MU (also into the next layer: the state is
        carried per MU) until a position check corrects them.
        """
        b = delta.shape[0]
        carry = self._carry[copy]
        interval = self.effect.check_interval
        if interval and copy == 0:
            self.stats.add("checks", b * int(np.ceil(s.stream_len / interval).sum()))
        if not delta.any() and not carry.any():
            return delta
        ns, rmax = s.stream_len.size, s.rmax
        d2 = np.zeros((b, ns, rmax), dtype=np.int64)
        d2[:, s.sid, s.rank] = delta
        e2, corr = misalignment(d2, carry[:, s.stream_mu], interval, s.stream_len)
        if interval and copy == 0:
            self.stats.add("correction_steps", int(corr.sum()))
            pe_of_stream = s.stream_mu // self.arch.mus_per_pe
            per_pe = np.zeros((self.arch.pes, b), dtype=np.int64)
            np.add.at(per_pe, pe_of_stream, corr.T)
            self.stats.add("corrections_busiest_pe", int(per_pe.max(axis=0).sum()))
        carry[:, s.stream_mu] = e2[:, :, -1]
        return e2[:, s.sid, s.rank]

    def read_weights(
        self, name: str, images: np.ndarray, errs: list[np.ndarray]
    ) -> np.ndarray | None:
        """The weights read when each copy's MU is misaligned by ``errs[copy]`` (B, reads) at each
        read; read flips are drawn here. ``None`` if every lane reads its weights clean."""
        s = self.streams[name]
        li = self.layer_index[name]
        tracks = self.arch.org.mu.tracks
        b = len(images)
        # read flips, drawn per image and copy: flat (read * tracks + track) indices
        flips = [
            self.injectors.flips(
                Site.WEIGHT_READ, s.reads * tracks, [(int(i), li, c) for i in images], c == 0
            )
            for c in range(self.copies)
        ]
        self.stats.add("misaligned_reads", int(np.count_nonzero(errs[0])))
        # the reads that may differ from the intended word: misaligned, flipped or dirty
        hit = np.zeros((b, s.reads), dtype=bool)
        for c in range(self.copies):
            hit |= errs[c] != 0
            hit |= self._dirty_reads(s, c)[None]
            for bi, f in enumerate(flips[c]):
                hit[bi, f // tracks] = True
        if not hit.any():
            return None
        u0 = unsigned_weights(self.intended[name], s.wbits)
        # the smallest type holding the unsigned patterns (wbits <= 15: int16): less traffic
        u = np.broadcast_to(
            u0.astype(operand_dtype(s.wbits))[None, None], (b, s.positions, *u0.shape)
        ).copy()
        # images in groups of at most 16 M reads: bounds the word arrays of a group
        group = max(1, (1 << 24) // max(1, s.reads))
        for g0 in range(0, b, group):
            g1 = min(b, g0 + group)
            sliced = _Group(g0, g1 - g0, [e[g0:g1] for e in errs], [f[g0:g1] for f in flips])
            self._xor_wrong_bits(s, u, hit, sliced)
        return signed_from_unsigned(u, s.wbits)

    def _dirty_reads(self, s: WeightReads, copy: int) -> np.ndarray:
        """Reads whose stored word differs from the intended one (write flips)."""
        key = (s.name, copy)
        if key not in self._dirty:
            st = self.stored[copy]
            if st is self.mem:
                self._dirty[key] = np.zeros(s.reads, dtype=bool)
            else:
                words = self.stored_words[copy]
                self._dirty[key] = words[s.pe, s.word] != self.mem_words[s.pe, s.word]
        return self._dirty[key]

    def _words_read(
        self, s: WeightReads, idx: np.ndarray, lane: np.ndarray, group: _Group
    ) -> np.ndarray:
        """The word each hit read ``idx`` of image ``lane`` (of the group) returns: each copy's
        word under its port, flipped, then the majority of the protected bits."""
        tracks, nwords = self.arch.org.mu.tracks, self.mem.shape[1]
        got = []
        for c in range(self.copies):
            word, valid = physical_word(s, self.arch, idx, group.errs[c][lane, idx], nwords)
            w = np.where(valid, self.stored_words[c][s.pe[idx], word], np.uint64(0))
            fl = group.flips[c]
            if any(f.size for f in fl):
                fkey = np.concatenate([j * s.reads + f // tracks for j, f in enumerate(fl)])
                bit = np.concatenate([f % tracks for f in fl]).astype(np.uint64)
                # every flipped read is a hit; a read may take several flips
                where = np.searchsorted(lane * s.reads + idx, fkey)
                np.bitwise_xor.at(w, where, np.left_shift(np.uint64(1), bit))
            got.append(w)
        if self.copies == 1:
            return got[0]
        maj = (got[0] & got[1]) | (got[2] & (got[0] ^ got[1]))
        protected = self._word_runs(s).protected[s.jword[idx]]
        return (maj & protected) | (got[0] & ~protected)

    def _xor_wrong_bits(
        self, s: WeightReads, u: np.ndarray, hit: np.ndarray, group: _Group
    ) -> None:
        """Toggle in ``u`` (lanes of the group's images) every weight bit read wrong.

        Words are handled whole, as integers: the word each hit read returns is
        XORed with the intended word (and corrected, if a mitigation corrects
        words), and each run of the difference is shifted into the weight it
        belongs to (:func:`word_runs`).
        """
        g0 = group.first
        bi, idx = np.nonzero(hit[g0 : g0 + group.images])  # row-major: by (image, read)
        if not idx.size:
            return
        diff = self._words_read(s, idx, bi, group) ^ self.mem_words[s.pe[idx], s.word[idx]]
        if self.effect.correct is not None:
            diff = self.effect.correct(diff)
        nz = np.flatnonzero(diff)
        if not nz.size:
            return
        diff, rd = diff[nz], idx[nz]
        runs = self._word_runs(s)
        jw = s.jword[rd]
        # flat index of weight 0 of each read's lane in u (images, positions, filters, K)
        base = (((g0 + bi[nz]) * s.positions + s.pos[rd]) * s.out_channels + s.filt[rd]) * s.k
        targets, masks = [], []
        for r in range(runs.k.shape[1]):
            k = runs.k[jw, r]
            m = ((diff >> runs.start[jw, r]) & runs.mask[jw, r]) << runs.bit[jw, r]
            sel = (k >= 0) & (m != 0)
            targets.append(base[sel] + k[sel])
            masks.append(m[sel].astype(u.dtype))
        tgt = np.concatenate(targets)
        val = np.concatenate(masks)
        flat = u.reshape(-1)
        if runs.whole:  # one run per weight: every target appears once
            flat[tgt] ^= val
        else:  # a weight's bits in several words (disjoint): XOR them in one by one
            np.bitwise_xor.at(flat, tgt, val)

    def _word_runs(self, s: WeightReads) -> WordRuns:
        if s.name not in self._runs:
            self._runs[s.name] = word_runs(s, self.effect.tmr_bits)
        return self._runs[s.name]
