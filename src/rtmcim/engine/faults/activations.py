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

A residual add streams like a layer: it reads its two operands (operand
``a``, then ``b``, each one stream at its own width, signed when its producer
has no ReLU), sums them and writes its output back, the track's state
carrying through all three. Its streams are keyed by layer indices after the
compute layers', so a network without adds draws what it always drew.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rtmcim.engine.faults.injectors import Injectors
from rtmcim.engine.faults.kinds import Site
from rtmcim.engine.faults.words import misalignment, words_read, words_written
from rtmcim.mapping.workload import AddWork, Workload


class ActivationFaults:
    """The layers' inputs as read and outputs as written back, under faults."""

    def __init__(
        self,
        work: Workload,
        tracks: int,
        layer_index: Mapping[str, int],
        injectors: Injectors,
        check_interval: int,
        add_signed: Mapping[str, tuple[bool, bool, bool]],
    ) -> None:
        """``layer_index``: the compute layers' indices (the weights' keys); ``add_signed``: per
        residual add, whether its operands ``a``, ``b`` and its output are signed."""
        self.tracks, self.injectors = tracks, injectors
        self.stats = injectors.stats
        self.check_interval = check_interval
        adds = [lw for lw in work.layers if isinstance(lw, AddWork)]
        # the adds' streams draw under indices after the compute layers'
        self.layer_index = dict(layer_index)
        self.layer_index.update((aw.name, len(layer_index) + j) for j, aw in enumerate(adds))
        # widths of a layer's input as read and of its output as written back
        self.in_bits = {lw.name: lw.abits for lw in work.compute_layers}
        self.out_bits = {lw.name: lw.out_bits or lw.acc_bits for lw in work.compute_layers}
        # signed outputs: the logits, and a conv without ReLU (a residual branch before its add)
        self.out_signed = {lw.name: not lw.relu for lw in work.compute_layers}
        # a flip of a signed requantized value wraps within its width (the logits' flips toggle
        # 2**b of the int64 accumulator)
        self.out_wraps = {lw.name: bool(lw.out_bits) and not lw.relu for lw in work.compute_layers}
        # each add's operands (width, signed), and its output
        self.operands: dict[str, tuple[tuple[int, bool], tuple[int, bool]]] = {}
        for aw in adds:
            sa, sb, sy = add_signed[aw.name]
            self.operands[aw.name] = ((aw.a_bits, sa), (aw.b_bits, sb))
            self.out_bits[aw.name] = aw.out_bits
            self.out_signed[aw.name] = self.out_wraps[aw.name] = sy
        # misalignment of the track, per image of the batch, carried from stream to stream
        self.state = np.zeros(0, dtype=np.int64)

    def begin(self, images: np.ndarray) -> None:
        self.state = np.zeros(len(images), dtype=np.int64)  # the image is written aligned

    def read_input(self, name: str, h: np.ndarray, images: np.ndarray, rnd: int) -> np.ndarray:
        """The layer's input as round ``rnd`` streams it: the slips of the stream's shifts, then
        the flips of the bits sensed."""
        return self._read(name, h, images, rnd, self.in_bits[name], False)

    def read_operand(self, name: str, h: np.ndarray, images: np.ndarray, k: int) -> np.ndarray:
        """Operand ``k`` (0: ``a``, 1: ``b``) of residual add ``name`` as it streams it, like a
        round of a layer's input (drawn as round ``k`` of the add)."""
        bits, signed = self.operands[name][k]
        return self._read(name, h, images, k, bits, signed)

    def _read(
        self, name: str, h: np.ndarray, images: np.ndarray, rnd: int, bits: int, signed: bool
    ) -> np.ndarray:
        e = self._slips(Site.INPUT_SHIFT, name, images, self._words(h, bits), rnd)
        if e is not None:
            self.stats.add("act_misaligned_reads", int(np.count_nonzero(e)))
            h = h.copy()
            for row in np.flatnonzero(e.any(axis=1)):
                flat = h[row].reshape(-1)
                got = words_read(flat, bits, self.tracks, e[row], signed)
                h[row] = got.reshape(h.shape[1:])
        return self._flip(Site.INPUT_READ, name, h, images, bits, rnd, signed)

    def write_output(self, name: str, h: np.ndarray, images: np.ndarray) -> np.ndarray:
        """The layer's (pooled) output, or an add's, as stored: the flips of the bits written,
        then the slips of the write stream (word ``j`` written at misalignment ``e`` lands on
        ``j + e``)."""
        bits = self.out_bits[name]
        h = self._flip(Site.OUTPUT_WRITE, name, h, images, bits, 0, self.out_wraps[name])
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
        self,
        site: Site,
        name: str,
        h: np.ndarray,
        images: np.ndarray,
        bits: int,
        rnd: int,
        wrap: bool = False,
    ) -> np.ndarray:
        """``h`` with the bits that flip at ``site`` toggled: a flip of bit b toggles 2**b of the
        int64 value (the logits too); ``wrap``: the values are two's complement ``bits``-bit
        numbers and stay so (a flip of the sign bit of -5 at 8 bits gives 123)."""
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
        if wrap:
            half = np.int64(1) << (bits - 1)
            out = ((out + half) & ((half << 1) - 1)) - half
        return out
