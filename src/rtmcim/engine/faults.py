"""Racetrack faults injected where they happen, and the mitigations that fight them.

Fault kinds (rates per event, :class:`FaultConfig`):

``shift``
    a *position error* per MU shift step: the step stops one domain short or
    goes one too far (each with half the rate's probability, PARAMETERS.md:
    ~1e-8 per step at 5 % notch variation). The MU's tracks shift together, so
    the whole MU is misaligned by the running sum of its errors; every later
    read of that MU gets the word ``domain + misalignment`` (a neighbour word,
    another filter's or layer's word, or an overhead / unused domain read as
    0) until the position is corrected. Without a position check nothing
    corrects it within an inference; every inference starts aligned (the
    controller homes the tracks between inferences). The activation region
    slips the same way, as one track with one shift step per word read or
    written: a layer's input, read word by word, returns the word ``j +
    misalignment``; its write-back puts word ``j`` on ``j + misalignment``
    (a later word written there wins; a word left unwritten reads 0, off the
    stream too). The misalignment carries from stream to stream through the
    inference (write-back, the next layer's rounds of reads, its write-back)
    until a position check corrects it; the input image is written aligned.
``read``
    a bit flip per bit sensed: weight-word bits read from the array, each
    layer's input activations as every round of filters streams them from the
    activation region (the filters of that round see those flips), and the
    bits a compute cell senses at its own ports (the Evaluator's ``read``).
``write``
    a bit flip per bit written: weight bits when the weights are programmed
    (once per run: the weights are stationary), each layer's (pooled) output
    activations as they are written back (every later read sees them), and the
    full-adder sums a compute cell writes to its result tracks (the
    Evaluator's XOR3 outputs).

Randomness comes from numpy generators keyed by ``(seed, kind, image, layer,
copy)``, so the same seed gives the same faulty run, and an image's weight
and activation faults do not depend on how many images run or how they are
batched. The cells' own flips act on lanes of a whole batch; their generator
is keyed by the batch's first image, and batches depend on the model only, so
a run is the same in one process or several.

Mitigations (:class:`Mitigation`, combinable with ``+``):

``position_check[:N]``
    every MU carries ``MARKER_TRACKS`` marker tracks holding each domain's
    position mod 4 (a Gray code); every N-th access of an MU (default 1)
    reads the marker under the port (one read cycle, ``MARKER_TRACKS`` bits),
    compares it with the expected code in CMOS and re-shifts by the decoded
    misalignment (-1, +1, or +2 for an ambiguous 2). Misalignments that are a
    multiple of 4 are not seen. (Position-error detection by extra marker
    domains read beside the data follows p-ECC, Zhang et al., "Hi-fi
    playback: tolerating position errors in shift operations of racetrack
    memory", ISCA 2015; the mod-4 code is the simplest such code that tells
    -1 from +1.)
``tmr_msb[:B]``
    the top B bits of every weight (default 2) are stored twice more in
    replica MUs that shift in lockstep with the weight MUs but fail
    independently; each read takes the bitwise majority of the three copies
    of those bits (one PCSA majority per bit). Protects against bit flips and,
    because the copies sit on independent tracks, against a single copy's
    position error.

Their extra events are counted per inference in :meth:`FaultModel.overhead`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtmcim.circuits.bitplanes import Planes
from rtmcim.circuits.logic import FaultHook, Mask
from rtmcim.circuits.mac import operand_dtype
from rtmcim.engine.run import EngineResult, dot_products_per_image, run_engine, side_by_side
from rtmcim.engine.stream import (
    LayerStream,
    build_streams,
    memory_image,
    physical_word,
    signed_from_unsigned,
    unsigned_weights,
)
from rtmcim.errors import ConfigError
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import following_pool, input_words, write_back_words
from rtmcim.mapping.workload import ComputeWork, workload_from_graph
from rtmcim.nn.intgraph import ConvLayer, IntGraph, LinearLayer
from rtmcim.tally import Tally

FAULT_KINDS: tuple[str, ...] = ("shift", "read", "write")
MITIGATIONS: tuple[str, ...] = ("none", "position_check", "tmr_msb")
MARKER_TRACKS = 2  # position mod 4 needs two bits per domain
COMPARE_GATES = 4  # 2-bit compare and decode of the marker, 2-input gate equivalents
DEFAULT_CHECK_INTERVAL = 1
DEFAULT_TMR_BITS = 2
# Images per batch on the faulty path: as many as keep the largest layer's per-lane weights
# (images x positions x filters x K entries) within LANE_WEIGHT_BUDGET, at most MAX_BATCH_IMAGES
# (a layer split into rounds holds them about twice: whole, and sliced by round). Larger
# batches mean fewer, wider calls of the MAC model (its cost is per term, not per lane).
LANE_WEIGHT_BUDGET = 1 << 25
MAX_BATCH_IMAGES = 64

_SALT = {
    "shift": 1,
    "read": 2,
    "write": 3,
    "cell": 4,
    "act_read": 5,
    "act_write": 6,
    "act_shift": 7,
    "act_write_shift": 8,
}


# -- configuration -------------------------------------------------------------------------


def _rate(kind: str, value: object, key: str) -> float:
    try:
        r = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        r = math.nan
    if not (0.0 <= r <= 1.0):  # also rejects NaN
        raise ConfigError(
            "a fault rate must be a probability",
            key=f"{key}.{kind}",
            value=value,
            allowed="a number in [0, 1], e.g. 1e-6",
        )
    return r


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities per event: position error per MU shift step, bit flip per bit read / written."""

    shift: float = 0.0
    read: float = 0.0
    write: float = 0.0

    def __post_init__(self) -> None:
        for k in FAULT_KINDS:
            _rate(k, getattr(self, k), "faults")

    @property
    def any(self) -> bool:
        return any(getattr(self, k) > 0 for k in FAULT_KINDS)

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in FAULT_KINDS}

    def __str__(self) -> str:
        return ",".join(f"{k}={getattr(self, k):g}" for k in FAULT_KINDS)

    @classmethod
    def parse(cls, text: str, key: str = "--faults") -> FaultConfig:
        """``"shift=1e-4,read=1e-6,write=1e-6"`` (any subset; ``""`` or ``"none"``: no faults)."""
        text = text.strip()
        if text in ("", "none"):
            return cls()
        rates: dict[str, float] = {}
        for part in text.split(","):
            name, eq, val = part.partition("=")
            name = name.strip()
            if name not in FAULT_KINDS:
                raise ConfigError(
                    "unknown fault kind",
                    key=key,
                    value=name or part,
                    allowed=f"KIND=RATE with KIND one of {', '.join(FAULT_KINDS)}",
                )
            if not eq:
                raise ConfigError(
                    "a fault needs a rate", key=f"{key}.{name}", value=part, allowed="KIND=RATE"
                )
            if name in rates:
                raise ConfigError(
                    "fault kind given twice", key=f"{key}.{name}", value=val, allowed="once"
                )
            rates[name] = _rate(name, val.strip(), key)
        return cls(**rates)


@dataclass(frozen=True)
class Mitigation:
    """Position check every ``check_interval`` MU accesses (0: off); TMR of ``tmr_bits`` MSBs (0: off)."""

    check_interval: int = 0
    tmr_bits: int = 0

    @property
    def active(self) -> bool:
        return bool(self.check_interval or self.tmr_bits)

    @property
    def name(self) -> str:
        parts = []
        if self.check_interval:
            parts.append(f"position_check:{self.check_interval}")
        if self.tmr_bits:
            parts.append(f"tmr_msb:{self.tmr_bits}")
        return "+".join(parts) or "none"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def parse(cls, text: str | None, key: str = "--mitigation") -> Mitigation:
        """``none``, ``position_check[:N]``, ``tmr_msb[:B]``, or several joined by ``+``."""
        if text is None or text.strip() in ("", "none"):
            return cls()
        interval = tmr = 0
        for part in text.split("+"):
            name, colon, arg = part.strip().partition(":")
            if name not in MITIGATIONS or name == "none":
                raise ConfigError(
                    "unknown mitigation",
                    key=key,
                    value=name or part,
                    allowed="none, position_check[:N], tmr_msb[:BITS], or both joined by '+'",
                )
            default = DEFAULT_CHECK_INTERVAL if name == "position_check" else DEFAULT_TMR_BITS
            try:
                n = int(arg) if colon else default
            except ValueError:
                n = -1
            if n < 1:
                raise ConfigError(
                    "a mitigation parameter must be a positive integer",
                    key=f"{key}.{name}",
                    value=arg,
                    allowed="an integer >= 1 (check interval in accesses, or protected MSBs)",
                )
            if name == "position_check":
                interval = n
            else:
                tmr = n
        return cls(interval, tmr)


@dataclass
class FaultStats:
    """What was exposed to faults and what was injected (totals over the run)."""

    images: int = 0
    mu_shift_steps: int = 0  # MU shift steps of weight streams (exposed to position errors)
    position_errors: int = 0
    misaligned_reads: int = 0  # weight-word reads that landed on the wrong domain
    weight_bits_read: int = 0
    weight_read_flips: int = 0
    weight_bits_stored: int = 0
    weight_write_flips: int = 0
    cell_bits_read: int = 0
    cell_read_flips: int = 0
    cell_bits_written: int = 0
    cell_write_flips: int = 0
    act_bits_read: int = 0  # activation bits streamed from the activation region (every round)
    act_read_flips: int = 0
    act_bits_written: int = 0  # (pooled) output bits written back
    act_write_flips: int = 0
    act_shift_steps: int = 0  # shift steps of activation streams (one per word read or written)
    act_position_errors: int = 0
    act_misaligned_reads: int = 0
    act_misaligned_writes: int = 0
    act_checks: int = 0
    act_correction_steps: int = 0
    checks: int = 0
    correction_steps: int = 0
    corrections_busiest_pe: int = 0  # summed over images and layers

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# -- the compute cells' reads and writes ---------------------------------------------------


class CellFaults:
    """Evaluator hook: bit flips on what a cell senses (``read``) and writes (XOR3 sums)."""

    def __init__(self, config: FaultConfig, rng: np.random.Generator, stats: FaultStats) -> None:
        self.rates = {"read": config.read, "xor3": config.write}
        self.rng = rng
        self.stats = stats

    def __call__(self, kind: str, planes: Planes, active: Mask | None) -> Planes:
        p = self.rates.get(kind, 0.0)
        if p <= 0:
            return planes
        words = planes.shape[-1]
        nplanes = planes.size // words
        # padding lanes are exposed too when no mask is given: their bits are ignored anyway
        exposed = planes.size * 64 if active is None else active.count * nplanes
        flips = np.zeros(planes.size, dtype=np.uint64)
        m = int(self.rng.binomial(planes.size * 64, p))
        if m:
            pos = self.rng.choice(planes.size * 64, size=m, replace=False)
            np.bitwise_or.at(
                flips, pos // 64, np.left_shift(np.uint64(1), (pos % 64).astype(np.uint64))
            )
        mask = flips.reshape(planes.shape)
        if active is not None:
            mask = mask & active.plane
        n = int(np.bitwise_count(mask).sum())
        if kind == "read":
            self.stats.cell_bits_read += exposed
            self.stats.cell_read_flips += n
        else:
            self.stats.cell_bits_written += exposed
            self.stats.cell_write_flips += n
        return planes ^ mask if n else planes


def _stream_words(values: np.ndarray, bits: int, tracks: int, n: int) -> np.ndarray:
    """(n, tracks) bits of ``values`` (two's complement ``bits``-bit) packed end to end, low bit
    first, as the activation region holds them."""
    shifts = np.arange(bits, dtype=np.int64)
    stream = np.zeros(n * tracks, dtype=np.int64)
    stream[: values.size * bits] = ((values.astype(np.int64)[:, None] >> shifts) & 1).reshape(-1)
    return stream.reshape(n, tracks)


def _stream_values(words: np.ndarray, count: int, bits: int, signed: bool) -> np.ndarray:
    """The first ``count`` ``bits``-bit values of a word stream (inverse of :func:`_stream_words`)."""
    vbits = words.reshape(-1)[: count * bits].reshape(count, bits)
    v = (vbits << np.arange(bits, dtype=np.int64)).sum(axis=1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v) if signed else v


def words_read(values: np.ndarray, bits: int, tracks: int, e: np.ndarray) -> np.ndarray:
    """``values`` (unsigned ``bits``-bit) as read from a stream of ``tracks``-bit words when
    word ``j`` is read at misalignment ``e[j]``: it returns word ``j + e[j]`` (zeros off the
    stream)."""
    n = e.size
    words = _stream_words(values, bits, tracks, n)
    src = np.arange(n) + e
    valid = (src >= 0) & (src < n)
    got = np.zeros_like(words)
    got[valid] = words[src[valid]]
    return _stream_values(got, values.size, bits, False)


def words_written(
    values: np.ndarray, bits: int, tracks: int, e: np.ndarray, signed: bool = False
) -> np.ndarray:
    """``values`` as stored after writing word ``j`` of their stream at misalignment ``e[j]``:
    it lands on word ``j + e[j]`` (lost off the stream); a word written twice keeps the later
    write, a word never written reads 0. ``signed``: the values are two's complement."""
    n = e.size
    words = _stream_words(values, bits, tracks, n)
    dst = np.arange(n) + e
    src = np.flatnonzero((dst >= 0) & (dst < n))
    # the last writer of each destination: the first occurrence in reversed order
    _, first = np.unique(dst[src][::-1], return_index=True)
    last = src[::-1][first]
    stored = np.zeros_like(words)
    stored[dst[last]] = words[last]
    return _stream_values(stored, values.size, bits, signed)


# -- the weight stream under faults --------------------------------------------------------


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


def _bits_flipped(rng: np.random.Generator, shape: tuple[int, ...], p: float) -> np.ndarray:
    """Flat indices of the bits of an array of ``shape`` that flip, each with probability ``p``."""
    n = int(np.prod(shape))
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


def word_runs(s: LayerStream, tmr_bits: int) -> WordRuns:
    """The runs of :class:`WordRuns` from the stream's slot maps (any word layout)."""
    words, tracks = s.slot_k.shape
    per_word: list[list[tuple[int, int, int, int]]] = []
    for j in range(words):
        runs: list[tuple[int, int, int, int]] = []  # (start, len, bit, k)
        for t in range(tracks):
            k, b = int(s.slot_k[j, t]), int(s.slot_b[j, t])
            if k < 0:
                continue
            if runs:
                t0, n, b0, k0 = runs[-1]
                if k0 == k and t0 + n == t and b0 + n == b:
                    runs[-1] = (t0, n + 1, b0, k0)
                    continue
            runs.append((t, 1, b, k))
        per_word.append(runs)
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
    prot = (s.slot_b >= s.wbits - tmr_bits) & (s.slot_b >= 0)  # tmr_bits 0: none
    used = weight[weight >= 0]
    whole = bool(np.unique(used).size == used.size)
    return WordRuns(start, mask, bit, weight, pack_words(prot.astype(np.uint8)), whole)


def batch_images_for(streams: dict[str, LayerStream]) -> int:
    """Images per batch: the largest layer's per-lane weights of a batch fit the budget."""
    largest = max((s.positions * s.out_channels * s.k for s in streams.values()), default=1)
    return max(1, min(MAX_BATCH_IMAGES, LANE_WEIGHT_BUDGET // max(largest, 1)))


class FaultModel:
    """Faults and mitigation of one run of ``graph`` on ``arch``; a weight source for :func:`run_engine`."""

    def __init__(
        self,
        graph: IntGraph,
        arch: Arch,
        config: FaultConfig,
        mitigation: Mitigation | None = None,
        seed: int = 0,
    ) -> None:
        self.graph, self.arch, self.config = graph, arch, config
        self.mitigation = mitigation or Mitigation()
        self.seed = int(seed)
        self.stats = FaultStats()
        self.work = workload_from_graph(graph)
        self.placement, self.streams = build_streams(self.work, arch)
        self.layer_index = {name: i for i, name in enumerate(self.streams)}
        self.batch_images = batch_images_for(self.streams)
        self.weights = {
            lay.name: lay.weight for lay in graph.layers if isinstance(lay, ConvLayer | LinearLayer)
        }
        self.mem = memory_image(self.streams, self.weights, arch, self.placement)
        # widths of a layer's input as read and of its output as written back
        self.in_bits = {lw.name: lw.abits for lw in self.work.compute_layers}
        self.out_bits = {lw.name: lw.out_bits or lw.acc_bits for lw in self.work.compute_layers}
        self.out_signed = {lw.name: not lw.out_bits for lw in self.work.compute_layers}  # logits
        self.copies = 3 if self.mitigation.tmr_bits else 1
        self.stored = [self._program(c) for c in range(self.copies)]
        # the same words packed into one integer each (track t = bit t): reads are word-wide
        self.mem_words = pack_words(self.mem)
        self.stored_words = [
            self.mem_words if st is self.mem else pack_words(st) for st in self.stored
        ]
        self._runs: dict[str, WordRuns] = {}
        self._dirty: dict[tuple[str, int], np.ndarray] = {}
        self._carry: list[np.ndarray] = []
        # misalignment of the activation region's track, carried from stream to stream
        self._act_state = np.zeros(0, dtype=np.int64)
        self.cell_hook: FaultHook | None = None
        if config.read > 0 or config.write > 0:
            self.cell_hook = CellFaults(config, self._rng("cell"), self.stats)

    def _rng(self, kind: str, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _SALT[kind], *key])

    def _program(self, copy: int) -> np.ndarray:
        """The weight words as stored: the image with this copy's write flips."""
        idx = _bits_flipped(self._rng("write", copy), self.mem.shape, self.config.write)
        if copy == 0:
            self.stats.weight_bits_stored += self.mem.size
            self.stats.weight_write_flips += idx.size
        if not idx.size:
            return self.mem
        out = self.mem.copy().reshape(-1)
        out[idx] ^= 1
        return out.reshape(self.mem.shape)

    def _dirty_reads(self, s: LayerStream, copy: int) -> np.ndarray:
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

    # -- WeightSource protocol ---------------------------------------------------------------

    def begin(self, images: np.ndarray) -> None:
        """A new batch of inferences: every MU starts aligned. The cells' flips are drawn from a
        generator keyed by the batch's first image, so a batch's run does not depend on the
        batches before it (or on which process runs it)."""
        if isinstance(self.cell_hook, CellFaults) and len(images):
            self.cell_hook.rng = self._rng("cell", int(images[0]))
        self._carry = [
            np.zeros((len(images), self.arch.org.mus), dtype=np.int64) for _ in range(self.copies)
        ]
        self.stats.images += len(images)
        self._act_state = np.zeros(len(images), dtype=np.int64)  # the image is written aligned

    def layer_weights(self, name: str, images: np.ndarray) -> np.ndarray | None:
        """(B, positions, O, K) weights each lane reads, or ``None`` if every lane reads them clean."""
        s = self.streams[name]
        li = self.layer_index[name]
        errs = [
            self.propagate(s, self._position_errors(s, images, li, c), c)
            for c in range(self.copies)
        ]
        return self.read_weights(name, images, errs)

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
            [
                _bits_flipped(
                    self._rng("read", int(img), li, c), (s.reads, tracks), self.config.read
                )
                for img in images
            ]
            for c in range(self.copies)
        ]
        self.stats.weight_bits_read += b * s.reads * tracks
        self.stats.weight_read_flips += sum(f.size for f in flips[0])
        self.stats.misaligned_reads += int(np.count_nonzero(errs[0]))
        # the reads that may differ from the intended word: misaligned, flipped or dirty
        hit = np.zeros((b, s.reads), dtype=bool)
        for c in range(self.copies):
            hit |= errs[c] != 0
            hit |= self._dirty_reads(s, c)[None]
            for bi, f in enumerate(flips[c]):
                hit[bi, f // tracks] = True
        if not hit.any():
            return None
        u0 = unsigned_weights(self.weights[name], s.wbits)
        # the smallest type holding the unsigned patterns (wbits <= 15: int16): less traffic
        u = np.broadcast_to(
            u0.astype(operand_dtype(s.wbits))[None, None], (b, s.positions, *u0.shape)
        ).copy()
        # images in groups of at most 16 M reads: bounds the word arrays of a group
        group = max(1, (1 << 24) // max(1, s.reads))
        for g0 in range(0, b, group):
            g1 = min(b, g0 + group)
            self._xor_wrong_bits(s, u, hit, errs, flips, g0, g1)
        return signed_from_unsigned(u, s.wbits)

    def _xor_wrong_bits(
        self,
        s: LayerStream,
        u: np.ndarray,
        hit: np.ndarray,
        errs: list[np.ndarray],
        flips: list[list[np.ndarray]],
        g0: int,
        g1: int,
    ) -> None:
        """Toggle in ``u`` (lanes of images ``g0..g1-1``) every weight bit read wrong.

        Words are handled whole, as integers: the word each hit read returns
        (each copy's, flipped, then the majority of the protected bits) is
        XORed with the intended word, and each run of the difference is
        shifted into the weight it belongs to (:func:`word_runs`).
        """
        tracks = self.arch.org.mu.tracks
        nwords = self.mem.shape[1]
        bi, idx = np.nonzero(hit[g0:g1])  # row-major: sorted by (image, read)
        if not idx.size:
            return
        got = []
        for c in range(self.copies):
            word, valid = physical_word(s, self.arch, idx, errs[c][g0 + bi, idx], nwords)
            w = np.where(valid, self.stored_words[c][s.pe[idx], word], np.uint64(0))
            fl = flips[c][g0:g1]
            if any(f.size for f in fl):
                fkey = np.concatenate([j * s.reads + f // tracks for j, f in enumerate(fl)])
                bit = np.concatenate([f % tracks for f in fl]).astype(np.uint64)
                # every flipped read is a hit; a read may take several flips
                at = np.searchsorted(bi * s.reads + idx, fkey)
                np.bitwise_xor.at(w, at, np.left_shift(np.uint64(1), bit))
            got.append(w)
        read = got[0]
        if self.copies == 3:
            maj = (got[0] & got[1]) | (got[2] & (got[0] ^ got[1]))
            protected = self._word_runs(s).protected[s.jword[idx]]
            read = (maj & protected) | (got[0] & ~protected)
        diff = read ^ self.mem_words[s.pe[idx], s.word[idx]]
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

    def _word_runs(self, s: LayerStream) -> WordRuns:
        if s.name not in self._runs:
            self._runs[s.name] = word_runs(s, self.mitigation.tmr_bits)
        return self._runs[s.name]

    def round_filters(self, name: str) -> list[np.ndarray | None]:
        """Filters of each round of the layer: PE ``p`` owns filters ``p, p + P, ...``, so round
        ``r`` computes filters ``r*P .. r*P + P - 1`` (``[None]``: one round, or no read or
        shift faults to make the rounds' reads differ)."""
        lp = self.placement.of(name)
        o = self.streams[name].out_channels
        if lp.rounds == 1 or (self.config.read <= 0 and self.config.shift <= 0):
            return [None]
        pes = self.arch.pes
        return [np.arange(r * pes, min(o, (r + 1) * pes)) for r in range(lp.rounds)]

    def read_input(self, name: str, h: np.ndarray, images: np.ndarray, rnd: int) -> np.ndarray:
        """The layer's input as round ``rnd`` streams it from the activation region: position
        errors of the stream's shifts, then read flips."""
        h = self._misaligned_inputs(name, h, images, rnd)
        return self._flip_activations("act_read", name, h, images, self.in_bits[name], rnd)

    def _misaligned_inputs(
        self, name: str, h: np.ndarray, images: np.ndarray, rnd: int
    ) -> np.ndarray:
        """The input as read when the activation stream's shifts slip.

        The input is a bit stream of ``abits``-bit values packed into words of
        ``tracks`` bits; a round reads the words in order, one shift step
        before each. A read at misalignment ``e`` returns word ``j + e``
        (zeros off the stream); the misalignment comes from the streams before
        (:meth:`_slips`).
        """
        bits, tracks = self.in_bits[name], self.arch.org.mu.tracks
        n = -(-int(np.prod(h.shape[1:])) * bits // tracks)  # words in the stream
        e = self._slips("act_shift", name, images, n, rnd)
        if e is None:
            return h
        self.stats.act_misaligned_reads += int(np.count_nonzero(e))
        out = h.copy()
        for row in np.flatnonzero(e.any(axis=1)):
            out[row] = words_read(out[row].reshape(-1), bits, tracks, e[row]).reshape(h.shape[1:])
        return out

    def write_output(self, name: str, h: np.ndarray, images: np.ndarray) -> np.ndarray:
        """The layer's (pooled) output as stored in the activation region: write flips, and the
        write stream's slips (word ``j`` written at misalignment ``e`` lands on ``j + e``)."""
        bits, tracks = self.out_bits[name], self.arch.org.mu.tracks
        h = self._flip_activations("act_write", name, h, images, bits, 0)
        n = -(-int(np.prod(h.shape[1:])) * bits // tracks)
        e = self._slips("act_write_shift", name, images, n, 0)
        if e is None:
            return h
        self.stats.act_misaligned_writes += int(np.count_nonzero(e))
        out = h.copy()
        signed = self.out_signed[name]
        for row in np.flatnonzero(e.any(axis=1)):
            flat = out[row].reshape(-1)
            out[row] = words_written(flat, bits, tracks, e[row], signed).reshape(h.shape[1:])
        return out

    def _slips(
        self, kind: str, name: str, images: np.ndarray, n: int, rnd: int
    ) -> np.ndarray | None:
        """(B, n) misalignment of the activation track at each of a stream's ``n`` word accesses
        (one shift step before each), from the state the streams before left; the state moves on.
        ``None`` without shift faults."""
        b = len(images)
        self.stats.act_shift_steps += b * n
        interval = self.mitigation.check_interval
        if interval:
            self.stats.act_checks += b * -(-n // interval)
        p = self.config.shift
        if p <= 0 or n == 0:
            return None
        delta = np.zeros((b, n), dtype=np.int64)
        li = self.layer_index[name]
        for bi, img in enumerate(images):
            k = self._rng(kind, int(img), li, rnd).binomial(1, p, n)
            nz = np.flatnonzero(k)
            delta[bi, nz] = 2 * self._rng(kind, int(img), li, rnd, 1).binomial(1, 0.5, nz.size) - 1
            self.stats.act_position_errors += nz.size
        e, corr = misalignment(delta, self._act_state, interval, n)
        self._act_state = e[:, -1].copy()
        self.stats.act_correction_steps += int(corr.sum())
        return e

    def _flip_activations(
        self, kind: str, name: str, h: np.ndarray, images: np.ndarray, bits: int, rnd: int
    ) -> np.ndarray:
        p = self.config.read if kind == "act_read" else self.config.write
        per_image = int(np.prod(h.shape[1:])) * bits
        if kind == "act_read":
            self.stats.act_bits_read += per_image * len(images)
        else:
            self.stats.act_bits_written += per_image * len(images)
        if p <= 0:
            return h
        out: np.ndarray | None = None
        li = self.layer_index[name]
        for bi, img in enumerate(images):
            idx = _bits_flipped(self._rng(kind, int(img), li, rnd), (per_image,), p)
            if not idx.size:
                continue
            if kind == "act_read":
                self.stats.act_read_flips += idx.size
            else:
                self.stats.act_write_flips += idx.size
            if out is None:
                out = h.copy()
            # two's complement within ``bits``: a flip of bit b toggles 2**b (signed logits too)
            flat = out[bi].reshape(-1)
            np.bitwise_xor.at(flat, idx // bits, np.left_shift(1, idx % bits).astype(np.int64))
            out[bi] = flat.reshape(out[bi].shape)
        return h if out is None else out

    def _position_errors(
        self, s: LayerStream, images: np.ndarray, layer: int, copy: int
    ) -> np.ndarray:
        """(B, reads) net position error (sum of +-1 per faulty step) of the shift before each read."""
        p = self.config.shift
        delta = np.zeros((len(images), s.reads), dtype=np.int64)
        if p > 0:
            for bi, img in enumerate(images):
                rng = self._rng("shift", int(img), layer, copy)
                k = rng.binomial(s.steps, p)
                nz = np.flatnonzero(k)
                delta[bi, nz] = 2 * rng.binomial(k[nz], 0.5) - k[nz]
                if copy == 0:
                    self.stats.mu_shift_steps += int(s.steps.sum())
                    self.stats.position_errors += int(k.sum())
        return delta

    def propagate(self, s: LayerStream, delta: np.ndarray, copy: int = 0) -> np.ndarray:
        """(B, reads) misalignment of the MU at each read, from the position errors ``delta``.

        Errors persist on their MU (also into the next layer: the state is
        carried per MU) until a position check corrects them.
        """
        b = delta.shape[0]
        carry = self._carry[copy]
        interval = self.mitigation.check_interval
        if interval and copy == 0:
            self.stats.checks += b * int(np.ceil(s.stream_len / interval).sum())
        if not delta.any() and not carry.any():
            return delta
        ns, rmax = s.stream_len.size, s.rmax
        d2 = np.zeros((b, ns, rmax), dtype=np.int64)
        d2[:, s.sid, s.rank] = delta
        e2, corr = misalignment(d2, carry[:, s.stream_mu], interval, s.stream_len)
        if interval and copy == 0:
            self.stats.correction_steps += int(corr.sum())
            pe_of_stream = s.stream_mu // self.arch.mus_per_pe
            per_pe = np.zeros((self.arch.pes, b), dtype=np.int64)
            np.add.at(per_pe, pe_of_stream, corr.T)
            self.stats.corrections_busiest_pe += int(per_pe.max(axis=0).sum())
        carry[:, s.stream_mu] = e2[:, :, -1]
        return e2[:, s.sid, s.rank]

    # -- cost of the mitigation --------------------------------------------------------------

    def overhead(self) -> MitigationOverhead:
        """Extra events per inference the mitigation costs (corrections: averaged over the run)."""
        m = self.mitigation
        tracks = self.arch.org.mu.tracks
        pes = self.arch.pes
        t = Tally()
        storage = 0.0
        images = max(self.stats.images, 1)
        for s in self.streams.values():
            reads_pe = np.bincount(s.pe, minlength=pes)
            mu_steps = int(s.steps.sum())
            if m.check_interval:
                checks_mu = np.ceil(s.stream_len / m.check_interval).astype(np.int64)
                checks_pe = np.bincount(
                    s.stream_mu // self.arch.mus_per_pe, weights=checks_mu, minlength=pes
                )
                checks = int(checks_mu.sum())
                busiest = int(checks_pe.max())
                t = t + Tally(
                    bit_reads=checks * MARKER_TRACKS,
                    cmos_gate_ops=checks * COMPARE_GATES,
                    shift_steps=mu_steps * MARKER_TRACKS,
                    read_cycles=busiest,
                    cmos_cycles=busiest,
                )
            if m.tmr_bits:
                msb_tracks = ((s.slot_b >= s.wbits - m.tmr_bits) & (s.slot_b >= 0)).sum(axis=1)
                protected = int(msb_tracks[s.jword].sum())  # protected bits read
                replica_tracks = 2 * float(msb_tracks.mean())  # per MU, riding along
                t = t + Tally(
                    bit_reads=2 * protected,
                    lim_evals=protected,
                    shift_steps=mu_steps * replica_tracks,
                    lim_cycles=int(reads_pe.max()),
                )
                storage = max(storage, 2 * m.tmr_bits / s.wbits)
        if m.check_interval:
            storage += MARKER_TRACKS / tracks
            corrections = self.stats.correction_steps + self.stats.act_correction_steps
            t = t + Tally(
                shift_steps=corrections / images * (tracks + MARKER_TRACKS),
                shift_cycles=self.stats.corrections_busiest_pe / images,
            )
            # the activation streams carry markers too (off the busiest chain): every round
            # of reads of a layer's input and its write-back
            for i, lw in enumerate(self.work.layers):
                if not isinstance(lw, ComputeWork):
                    continue
                words = input_words(lw, tracks)
                written = write_back_words(lw, following_pool(self.work, i), tracks)
                rounds = self.placement.of(lw.name).rounds
                iv = m.check_interval
                checks = rounds * -(-words // iv) + -(-written // iv)
                t = t + Tally(
                    bit_reads=checks * MARKER_TRACKS,
                    cmos_gate_ops=checks * COMPARE_GATES,
                    shift_steps=(rounds * words + written) * MARKER_TRACKS,
                )
        return MitigationOverhead(m.name, t, storage)


@dataclass(frozen=True)
class MitigationOverhead:
    """Extra events per inference and extra weight storage (fraction of the weight bits)."""

    name: str
    tally: Tally
    storage_fraction: float


@dataclass(frozen=True)
class FaultyRun:
    result: EngineResult
    stats: FaultStats
    overhead: MitigationOverhead
    config: FaultConfig
    mitigation: Mitigation
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)


def _as_config(faults: FaultConfig | str | None) -> FaultConfig:
    if faults is None:
        return FaultConfig()
    return faults if isinstance(faults, FaultConfig) else FaultConfig.parse(faults)


def _as_mitigation(m: Mitigation | str | None) -> Mitigation:
    return m if isinstance(m, Mitigation) else Mitigation.parse(m)


def run_with_faults(
    graph: IntGraph,
    x: np.ndarray,
    arch: Arch,
    faults: FaultConfig | str | None,
    mitigation: Mitigation | str | None = None,
    seed: int = 0,
    *,
    progress: Any = None,
    jobs: int = 1,
) -> FaultyRun:
    """Bit-exact inference of quantized inputs ``x`` on ``arch``'s cells with faults injected.

    With zero rates and no mitigation this is exactly :func:`run_engine`
    (same integers, same speed); otherwise the weights come from the
    simulated weight stream (:class:`FaultModel`). ``jobs > 1`` runs the
    images' batches in that many processes; every fault is drawn from
    generators keyed by image (weights, activations) or by batch (the cells'
    own reads and writes), and batches do not depend on ``jobs``, so the run
    is the same for any ``jobs``.
    """
    cfg, mit = _as_config(faults), _as_mitigation(mitigation)
    xi = np.asarray(x)
    if not np.issubdtype(xi.dtype, np.integer):
        xi = graph.quantize_input(xi)
    model = FaultModel(graph, arch, cfg, mit, seed)
    kw: dict[str, Any] = {
        "multiplier": arch.compute.multiplier,
        "adder": arch.compute.adder,
        "progress": progress,
    }
    if (cfg.any or mit.active) and jobs > 1 and len(xi) > model.batch_images:
        res, model.stats = _run_batches_parallel(graph, xi, arch, model, jobs, progress)
    elif cfg.any or mit.active:
        res = run_engine(graph, xi, fault=model.cell_hook, weights=model, **kw)
    else:
        res = run_engine(graph, xi, jobs=jobs, **kw)
        model.stats.images = len(xi)
    return FaultyRun(res, model.stats, model.overhead(), cfg, mit, int(seed))


_WORKER: dict[str, Any] = {}


def _start_worker(
    graph: IntGraph, arch: Arch, config: FaultConfig, m: Mitigation, seed: int
) -> None:
    _WORKER["graph"] = graph
    _WORKER["model"] = FaultModel(graph, arch, config, m, seed)


def _run_batch(x: np.ndarray, first: int) -> tuple[EngineResult, FaultStats]:
    """One batch of images in a worker process: its result and what it exposed and injected."""
    graph: IntGraph = _WORKER["graph"]
    model: FaultModel = _WORKER["model"]
    model.stats = FaultStats()
    if isinstance(model.cell_hook, CellFaults):
        model.cell_hook.stats = model.stats
    res = run_engine(
        graph,
        x,
        multiplier=model.arch.compute.multiplier,
        adder=model.arch.compute.adder,
        fault=model.cell_hook,
        weights=model,
        first_image=first,
    )
    return res, model.stats


def _run_batches_parallel(
    graph: IntGraph, x: np.ndarray, arch: Arch, model: FaultModel, jobs: int, progress: Any
) -> tuple[EngineResult, FaultStats]:
    """The faulty run of ``x`` batch by batch in ``jobs`` processes (spawned: the caller may hold
    torch's thread pools); stats are the sums of the batches' plus the programming's."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    step = model.batch_images
    starts = list(range(0, len(x), step))
    per_image = dot_products_per_image(graph)
    stats = model.stats  # the weights' programming, counted once when the model was built
    results: list[EngineResult] = []
    args = (graph, arch, model.config, model.mitigation, model.seed)
    with ProcessPoolExecutor(
        min(jobs, len(starts)),
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=args,
    ) as pool:
        futures = [pool.submit(_run_batch, x[s : s + step], s) for s in starts]
        for fut, s in zip(futures, starts, strict=True):
            res, part = fut.result()
            results.append(res)
            for k, v in part.as_dict().items():
                setattr(stats, k, getattr(stats, k) + v)
            if progress is not None:
                progress(per_image * len(x[s : s + step]))
    return side_by_side(results), stats


def accuracy_under_faults(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    faults: FaultConfig | str | None,
    mitigation: Mitigation | str | None = None,
    seed: int = 0,
) -> float:
    """Top-1 accuracy (0..1) of bit-exact inference of ``x`` (floats in [0, 1] or quantized
    integers) against labels ``y`` under ``faults`` (e.g. ``"shift=1e-4"``) and ``mitigation``."""
    run = run_with_faults(graph, x, arch, faults, mitigation, seed)
    if len(y) == 0:
        return 0.0
    return float(np.mean(run.result.predictions == np.asarray(y)))


def parse_rates(text: str, points: int | None = None, key: str = "--rates") -> list[float]:
    """``"1e-6..1e-1"`` -> log-spaced rates (``points``, default one per decade), or ``"a,b,c"``."""
    lo_s, dots, hi_s = text.partition("..")
    try:
        if dots:
            lo, hi = float(lo_s), float(hi_s)
            if not (0 < lo <= hi <= 1):
                raise ValueError
            n = points if points is not None else max(2, round(math.log10(hi / lo)) + 1)
            if n < 1:
                raise ConfigError("must be >= 1", key="--points", value=n, allowed=">= 1")
            if n == 1 or lo == hi:
                return [lo]
            return [float(v) for v in np.geomspace(lo, hi, n)]
        rates = [float(v) for v in text.split(",")]
        if not rates or any(not (0 <= r <= 1) for r in rates):
            raise ValueError
        return rates
    except ValueError:
        raise ConfigError(
            "not a range of fault rates",
            key=key,
            value=text,
            allowed="LO..HI with 0 < LO <= HI <= 1 (e.g. 1e-6..1e-1), or a list like 1e-5,1e-3",
        ) from None


@dataclass(frozen=True)
class SweepPoint:
    """Accuracy of one run under one fault rate and mitigation, with the mitigation's cost."""

    kind: str
    rate: float
    mitigation: str
    images: int
    accuracy_pct: float
    agreement_pct: float  # predictions equal to the fault-free engine's
    stats: dict[str, int]
    overhead_energy_pj: float  # per inference
    overhead_latency_ns: float
    energy_overhead_pct: float  # of the mapping's energy per inference
    latency_overhead_pct: float
    storage_overhead_pct: float

    def row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rate": self.rate,
            "mitigation": self.mitigation,
            "images": self.images,
            "accuracy_pct": self.accuracy_pct,
            "agreement_with_fault_free_pct": self.agreement_pct,
            "energy_overhead_pct": self.energy_overhead_pct,
            "latency_overhead_pct": self.latency_overhead_pct,
            "storage_overhead_pct": self.storage_overhead_pct,
            "overhead_energy_nJ": self.overhead_energy_pj / 1e3,
            "overhead_latency_us": self.overhead_latency_ns / 1e3,
            **{k: v for k, v in self.stats.items() if k != "images"},
        }


def sweep_point(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    kind: str,
    rate: float,
    mitigation: Mitigation | str | None,
    seed: int,
    fault_free: np.ndarray | None = None,
) -> SweepPoint:
    """One point of an accuracy-vs-rate sweep: faults of ``kind`` at ``rate`` only."""
    from rtmcim.mapping.layer_cost import evaluate_workload
    from rtmcim.tech import price

    if kind not in FAULT_KINDS:
        raise ConfigError(
            "unknown fault kind", key="--kind", value=kind, allowed=", ".join(FAULT_KINDS)
        )
    cfg = FaultConfig(**{kind: rate})
    run = run_with_faults(graph, x, arch, cfg, mitigation, seed)
    pred = run.result.predictions
    ev = evaluate_workload(workload_from_graph(graph), arch)
    over = price(run.overhead.tally, arch.prices, leakage_mw=ev.leakage_mw)
    n = len(pred)
    return SweepPoint(
        kind,
        float(rate),
        run.mitigation.name,
        n,
        100 * float(np.mean(pred == np.asarray(y))) if n else 0.0,
        100 * float(np.mean(pred == fault_free)) if fault_free is not None and n else 100.0,
        run.stats.as_dict(),
        over.total_energy_pj,
        over.latency_ns,
        100 * over.total_energy_pj / ev.total_energy_pj,
        100 * over.latency_ns / ev.latency_ns,
        100 * run.overhead.storage_fraction,
    )
