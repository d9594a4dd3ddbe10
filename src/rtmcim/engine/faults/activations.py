"""The activation region under faults: one track, one shift step per word read or written.

A layer's input is a bit stream of ``abits``-bit values packed into words of
``tracks`` bits; each round of filters reads the words in order, one shift
step before each, and a read at misalignment ``e`` returns word ``j + e``
(zeros off the stream). The write-back puts word ``j`` on ``j + e`` (a later
word written there wins; a word left unwritten reads 0). The misalignment
carries from stream to stream through the inference (write-back, the next
layer's rounds of reads, its write-back) until a position check corrects it;
the input image is written aligned. Bit flips hit the bits as each round
reads them (that round's filters see them) and as they are written back
(every later read sees them).
"""

from __future__ import annotations

import numpy as np

from rtmcim.engine.faults.injectors import Injectors
from rtmcim.engine.faults.kinds import Site
from rtmcim.engine.faults.words import misalignment, words_read, words_written
from rtmcim.mapping.workload import Workload


class ActivationFaults:
    """The layers' inputs as read and outputs as written back, under faults."""

    def __init__(
        self,
        work: Workload,
        tracks: int,
        layer_index: dict[str, int],
        injectors: Injectors,
        check_interval: int,
    ) -> None:
        self.tracks, self.layer_index, self.injectors = tracks, layer_index, injectors
        self.stats = injectors.stats
        self.check_interval = check_interval
        # widths of a layer's input as read and of its output as written back
        self.in_bits = {lw.name: lw.abits for lw in work.compute_layers}
        self.out_bits = {lw.name: lw.out_bits or lw.acc_bits for lw in work.compute_layers}
        self.out_signed = {lw.name: not lw.out_bits for lw in work.compute_layers}  # logits
        # misalignment of the track, per image of the batch, carried from stream to stream
        self.state = np.zeros(0, dtype=np.int64)

    def begin(self, images: np.ndarray) -> None:
        self.state = np.zeros(len(images), dtype=np.int64)  # the image is written aligned

    def read_input(self, name: str, h: np.ndarray, images: np.ndarray, rnd: int) -> np.ndarray:
        """The layer's input as round ``rnd`` streams it: the slips of the stream's shifts, then
        the flips of the bits sensed."""
        bits = self.in_bits[name]
        e = self._slips(Site.INPUT_SHIFT, name, images, self._words(h, bits), rnd)
        if e is not None:
            self.stats.add("act_misaligned_reads", int(np.count_nonzero(e)))
            h = h.copy()
            for row in np.flatnonzero(e.any(axis=1)):
                flat = h[row].reshape(-1)
                h[row] = words_read(flat, bits, self.tracks, e[row]).reshape(h.shape[1:])
        return self._flip(Site.INPUT_READ, name, h, images, bits, rnd)

    def write_output(self, name: str, h: np.ndarray, images: np.ndarray) -> np.ndarray:
        """The layer's (pooled) output as stored: the flips of the bits written, then the slips of
        the write stream (word ``j`` written at misalignment ``e`` lands on ``j + e``)."""
        bits = self.out_bits[name]
        h = self._flip(Site.OUTPUT_WRITE, name, h, images, bits, 0)
        e = self._slips(Site.OUTPUT_SHIFT, name, images, self._words(h, bits), 0)
        if e is None:
            return h
        self.stats.add("act_misaligned_writes", int(np.count_nonzero(e)))
        out = h.copy()
        for row in np.flatnonzero(e.any(axis=1)):
            flat = out[row].reshape(-1)
            stored = words_written(flat, bits, self.tracks, e[row], self.out_signed[name])
            out[row] = stored.reshape(h.shape[1:])
        return out

    def _words(self, h: np.ndarray, bits: int) -> int:
        """Words in the stream of one image's values."""
        return -(-int(np.prod(h.shape[1:])) * bits // self.tracks)

    def _slips(
        self, site: Site, name: str, images: np.ndarray, n: int, rnd: int
    ) -> np.ndarray | None:
        """(B, n) misalignment of the track at each of a stream's ``n`` word accesses (one shift
        step before each), from the state the streams before left; the state moves on.
        ``None`` without position errors."""
        interval = self.check_interval
        if interval:
            self.stats.add("act_checks", len(images) * -(-n // interval))
        keys = [(int(img), self.layer_index[name], rnd) for img in images]
        delta = self.injectors.errors(site, np.ones(n, dtype=np.int64), keys)
        if delta is None or n == 0:
            return None
        e, corr = misalignment(delta, self.state, interval, n)
        self.state = e[:, -1].copy()
        self.stats.add("act_correction_steps", int(corr.sum()))
        return e

    def _flip(
        self, site: Site, name: str, h: np.ndarray, images: np.ndarray, bits: int, rnd: int
    ) -> np.ndarray:
        """``h`` with the bits that flip at ``site`` toggled (two's complement within ``bits``: a
        flip of bit b toggles 2**b, signed logits too)."""
        per_image = int(np.prod(h.shape[1:])) * bits
        keys = [(int(img), self.layer_index[name], rnd) for img in images]
        flips = self.injectors.flips(site, per_image, keys)
        if not any(f.size for f in flips):
            return h
        out = h.copy()
        for bi, idx in enumerate(flips):
            if idx.size:
                flat = out[bi].reshape(-1)
                np.bitwise_xor.at(flat, idx // bits, np.left_shift(1, idx % bits).astype(np.int64))
                out[bi] = flat.reshape(out[bi].shape)
        return out
