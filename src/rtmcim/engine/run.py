"""Bit-exact execution of an integer graph on the in-memory circuits' functional models.

Every dot product of every convolution and fully connected layer runs through
:func:`rtmcim.circuits.mac.mac`: the MAC cell's multiplier and accumulator
adder, bit-plane by bit-plane, vectorized across lanes (images x output
positions x output channels). A grouped or depthwise conv runs each group's
filters on that group's input windows (blocks of one ``K``, side by side).
Bias addition, requantization, ReLU and pooling are CMOS periphery
operations; they run as the integer reference defines them
(:mod:`rtmcim.nn.reference`), since they are not in-memory cells. A residual
add aligns its inputs in CMOS; its sum runs on the accumulator adder cell's
functional model when ``residual_add="memory"`` (counted in the add's tally),
else in CMOS. Under faults (a :class:`WeightSource`) an add reads both its
operands from the activation region and writes its output back, like a
layer's input and output. The graph is walked in order, each layer reading the tensors it
names. The result must equal :func:`rtmcim.nn.reference.run_reference`
integer for integer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rtmcim.circuits.bitplanes import check_operand
from rtmcim.circuits.logic import FaultHook
from rtmcim.circuits.mac import mac_term_major, operand_dtype
from rtmcim.nn.intgraph import (
    MULT_BITS,
    AddLayer,
    ConvLayer,
    FlattenLayer,
    IntGraph,
    LinearLayer,
    PoolLayer,
)
from rtmcim.nn.reference import pool, requantize
from rtmcim.pool import process_pool
from rtmcim.tally import Tally

# Lanes per call of the MAC model: bounds memory (K planes x lanes/64 words each).
CHUNK_LANES = 1 << 16


class WeightSource(Protocol):
    """Weights and activations as each lane reads them from RTM (the fault model).

    The engine runs images in batches of ``batch_images``; for each batch it
    calls :meth:`begin`, then per compute layer in order: :meth:`layer_weights`,
    which returns ``(B, positions, O, K)`` weights (``None``: the stored ones);
    :meth:`round_filters`, the filters computed in each round (consecutive
    runs, in order; the layer's input is streamed from the activation region
    once per round);
    :meth:`read_input` for each round, the input as that round reads it; and
    :meth:`write_output` once the layer's output (pooled, if a pooling layer
    follows) is written back. A residual add calls :meth:`read_operand` for
    its operands ``a`` (0) and ``b`` (1), in that order, then, once it has
    summed them, :meth:`write_output` for its output.
    """

    batch_images: int

    def begin(self, images: np.ndarray) -> None: ...

    def layer_weights(self, name: str, images: np.ndarray) -> np.ndarray | None: ...

    def round_filters(self, name: str) -> list[np.ndarray | None]: ...

    def read_input(self, name: str, h: np.ndarray, images: np.ndarray, rnd: int) -> np.ndarray: ...

    def read_operand(self, name: str, h: np.ndarray, images: np.ndarray, k: int) -> np.ndarray: ...

    def write_output(self, name: str, h: np.ndarray, images: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class EngineResult:
    logits: np.ndarray
    tallies: dict[str, Tally]  # counted MAC-cell events per compute layer (all images)

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.logits, axis=1)

    @property
    def tally(self) -> Tally:
        return sum(self.tallies.values(), Tally())


def im2col(x: np.ndarray, lay: ConvLayer) -> tuple[np.ndarray, int, int]:
    """(N*OH*OW, C*kh*kw) input windows in the weight's (c, u, v) order, and OH, OW."""
    from numpy.lib.stride_tricks import sliding_window_view

    c = x.shape[1]
    kh, kw = lay.weight.shape[2:]
    p, st = lay.padding, lay.stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::st, ::st]
    n, _, oh, ow = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw), oh, ow


Block = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]  # (cols, weight, lane weights)


def dot_products(
    cols: np.ndarray,
    weight: np.ndarray,
    bits: int,
    multiplier: str,
    adder: str,
    fault: FaultHook | None = None,
    progress: Callable[[int], None] | None = None,
    lane_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, Tally]:
    """``cols @ weight.T`` (shape (R, O)) computed lane by lane on MAC cells.

    ``progress`` is called with the number of dot products (lanes) finished.
    ``lane_weights`` (R, O, K), if given, are the weights each lane reads
    instead of ``weight`` (faulty reads).

    Lane ``r * O + o`` is output channel ``o`` of row ``r``: it takes the
    weights of filter ``o`` and the activations of window ``r``.
    """
    outs, total = dot_products_of_blocks(
        [(cols, weight, lane_weights)], bits, multiplier, adder, fault, progress
    )
    return outs[0], total


def dot_products_of_blocks(
    blocks: list[Block],
    bits: int,
    multiplier: str,
    adder: str,
    fault: FaultHook | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[np.ndarray], Tally]:
    """:func:`dot_products` of several ``(cols, weight, lane_weights)`` blocks of one ``K``
    (the rounds of a layer), their lanes side by side: small blocks share calls of the MAC
    model, whose cost is per term. One block runs in the same calls as on its own."""
    k = blocks[0][0].shape[1]
    # pieces are built as they are needed: one group of lanes is in memory at a time
    pieces = (p for i, b in enumerate(blocks) for p in _lane_pieces(i, *b, bits))
    outs = [np.empty(c.shape[0] * w.shape[0], dtype=np.int64) for c, w, _ in blocks]
    total = Tally()
    group: list[_Piece] = []
    lanes = 0  # in the group

    def flush() -> None:
        nonlocal total, lanes
        ws = group[0].ws if len(group) == 1 else np.concatenate([g.ws for g in group], axis=1)
        acts = group[0].acts if len(group) == 1 else np.concatenate([g.acts for g in group], 1)
        acc, t = mac_term_major(
            ws, acts, bits, multiplier=multiplier, adder=adder, k_max=k, fault=fault
        )
        at = 0
        for g in group:
            outs[g.block][g.first : g.first + g.lanes] = acc[at : at + g.lanes]
            at += g.lanes
        total = total.beside(t)  # more lanes are more copies side by side
        if progress is not None:
            progress(at)
        group.clear()
        lanes = 0

    for piece in pieces:
        if group and lanes + piece.lanes > CHUNK_LANES:
            flush()
        group.append(piece)
        lanes += piece.lanes
    if group:
        flush()
    return [
        o.reshape(c.shape[0], w.shape[0]) for o, (c, w, _) in zip(outs, blocks, strict=True)
    ], total


@dataclass(frozen=True)
class _Piece:
    """Lanes ``first .. first + lanes - 1`` of a block, term-major: ``ws``/``acts`` (K, lanes)."""

    block: int
    first: int
    lanes: int
    ws: np.ndarray
    acts: np.ndarray


def _lane_pieces(
    block: int, cols: np.ndarray, weight: np.ndarray, lane_weights: np.ndarray | None, bits: int
) -> Iterator[_Piece]:
    """A block's lanes in pieces of whole rows, at most ``CHUNK_LANES`` lanes (or one row)."""
    r, k = cols.shape
    o = weight.shape[0]
    dt = operand_dtype(bits)
    # range checks on the operands once; the lanes repeat them
    w2 = check_operand(weight, bits, True, key="weights").reshape(o, k)
    c2 = check_operand(cols, bits, False, key="acts").reshape(r, k)
    if lane_weights is not None and lane_weights.size:  # the extremes suffice for the range
        check_operand(np.array([lane_weights.min(), lane_weights.max()]), bits, True, "weights")
    rows_per_piece = max(1, CHUNK_LANES // max(o, 1))
    w_t = np.ascontiguousarray(w2.T, dtype=dt)  # (k, o)
    for start in range(0, r, rows_per_piece):
        blk_t = np.ascontiguousarray(c2[start : start + rows_per_piece].T, dtype=dt)  # (k, n)
        n = blk_t.shape[1]
        # lane r*o + f: window r of the piece with filter f, laid out term-major (k, n*o)
        acts = np.repeat(blk_t, o, axis=1)
        if lane_weights is None:
            ws = np.tile(w_t, (1, n))
        else:
            lw = lane_weights[start : start + n].reshape(n * o, k)
            ws = np.ascontiguousarray(lw.T, dtype=dt)
        yield _Piece(block, start * o, n * o, ws, acts)


def run_engine(
    graph: IntGraph,
    x: np.ndarray,
    *,
    multiplier: str,
    adder: str,
    fault: FaultHook | None = None,
    progress: Callable[[int], None] | None = None,
    weights: WeightSource | None = None,
    jobs: int = 1,
    first_image: int = 0,
    residual_add: str = "cmos",
) -> EngineResult:
    """Run ``graph`` on quantized inputs ``x`` (N, C, H, W) through the MAC cells.

    ``fault`` is applied to the cells' gate outputs and reads; ``weights``
    supplies the weights each lane reads (faulty weight streams), image batch
    by image batch. Without ``weights`` all images run together, as before.
    ``jobs > 1`` splits a fault-free run's images over that many processes
    (images are independent; the tallies combine as lanes side by side);
    ``progress`` then advances as each process finishes. ``first_image`` is
    the index of ``x[0]`` in the whole run (the weight source keys its faults
    by image index; a process running a slice of the images passes its offset).
    """
    h = np.asarray(x, dtype=np.int64)
    cells = _Cells(multiplier, adder, residual_add)
    if jobs > 1 and fault is None and weights is None and len(h) > 1:
        return _run_parallel(graph, h, cells, progress, jobs)
    if weights is None:
        return _run_layers(graph, h, cells, fault, progress, None, None)
    parts: list[EngineResult] = []
    step = max(1, weights.batch_images)
    for start in range(0, len(h), step):
        local = np.arange(start, min(start + step, len(h)))
        images = local + first_image
        weights.begin(images)
        parts.append(_run_layers(graph, h[local], cells, fault, progress, weights, images))
    if not parts:
        return _run_layers(graph, h, cells, fault, progress, None, None)
    return side_by_side(parts)


def side_by_side(parts: list[EngineResult]) -> EngineResult:
    """Results of consecutive image batches as one: logits in order, tallies side by side."""
    tallies: dict[str, Tally] = {}
    for part in parts:
        for name, t in part.tallies.items():
            # batches of images are more copies of the lanes, side by side (as chunks are)
            tallies[name] = tallies[name].beside(t) if name in tallies else t
    return EngineResult(np.concatenate([p.logits for p in parts]), tallies)


def dot_products_per_image(graph: IntGraph) -> int:
    """Dot products (MAC-cell lanes) of one image: every output of every compute layer."""
    return sum(int(np.prod(lay.out_shape)) for lay in graph.compute_layers())


@dataclass(frozen=True)
class _Cells:
    multiplier: str
    adder: str
    residual_add: str


def _run_part(graph: IntGraph, h: np.ndarray, cells: _Cells) -> EngineResult:
    return _run_layers(graph, h, cells, None, None, None, None)


def _run_parallel(
    graph: IntGraph,
    h: np.ndarray,
    cells: _Cells,
    progress: Callable[[int], None] | None,
    jobs: int,
) -> EngineResult:
    parts = [p for p in np.array_split(h, min(jobs, len(h))) if len(p)]
    per_image = dot_products_per_image(graph)
    with process_pool(len(parts)) as workers:
        futures = [workers.submit(_run_part, graph, p, cells) for p in parts]
        results = []
        for fut, part in zip(futures, parts, strict=True):
            results.append(fut.result())
            if progress is not None:
                progress(per_image * len(part))
    return side_by_side(results)


def _run_layers(
    graph: IntGraph,
    h: np.ndarray,
    cells: _Cells,
    fault: FaultHook | None,
    progress: Callable[[int], None] | None,
    weights: WeightSource | None,
    images: np.ndarray | None,
) -> EngineResult:
    tallies: dict[str, Tally] = {}
    src = weights if images is not None else None
    layers = list(graph.layers)
    sources, last = graph.sources(), graph.last_use()
    vals: dict[str, np.ndarray] = {"input": h}
    written = None  # compute layer whose output is written back after this layer
    for i, lay in enumerate(layers):
        h = vals[sources[i][0]]
        if isinstance(lay, ConvLayer | LinearLayer):
            h, tallies[lay.name] = _compute(lay, h, cells, fault, progress, src, images)
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            written = lay.name
            if not isinstance(nxt, PoolLayer) or sources[i + 1] != (lay.name,):
                h = _write_back(src, written, h, images)
        elif isinstance(lay, PoolLayer):
            h = pool(h, lay)
            if written is not None and sources[i] == (written,):
                h = _write_back(src, written, h, images)
        elif isinstance(lay, FlattenLayer):
            h = h.reshape(len(h), -1)
        elif isinstance(lay, AddLayer):
            a, b = h, vals[sources[i][1]]
            if src is not None and images is not None:  # streamed from the activation region
                a = src.read_operand(lay.name, a, images, 0)
                b = src.read_operand(lay.name, b, images, 1)
            h, t = _add(lay, a, b, cells, fault)
            if t is not None:
                tallies[lay.name] = t
            h = _write_back(src, lay.name, h, images)
        vals[lay.name] = h
        for name in sources[i]:  # free what no later layer reads
            if last[name] == i:
                del vals[name]
    return EngineResult(logits=h, tallies=tallies)


def _compute(
    lay: ConvLayer | LinearLayer,
    h: np.ndarray,
    cells: _Cells,
    fault: FaultHook | None,
    progress: Callable[[int], None] | None,
    src: WeightSource | None,
    images: np.ndarray | None,
) -> tuple[np.ndarray, Tally]:
    """A conv or fc layer's requantized output, its dot products on the MAC cells."""
    rows = len(h) * (int(np.prod(lay.out_shape[1:])) if isinstance(lay, ConvLayer) else 1)
    lw = _lane_weights(src, lay.name, images, rows)
    rounds = src.round_filters(lay.name) if src is not None else [None]
    o = lay.weight.shape[0]
    groups = lay.groups if isinstance(lay, ConvLayer) else 1
    blocks: list[Block] = []
    where: list[np.ndarray] = []  # the filters of each block
    for r, filters in enumerate(rounds):
        x = h if src is None or images is None else src.read_input(lay.name, h, images, r)
        cols = im2col(x, lay)[0] if isinstance(lay, ConvLayer) else x
        f = np.arange(o) if filters is None else np.asarray(filters)
        for g in range(groups):
            fg = f[(f // (o // groups)) == g] if groups > 1 else f
            if not len(fg):
                continue
            k = cols.shape[1] // groups
            gcols = cols[:, g * k : (g + 1) * k] if groups > 1 else cols
            w = lay.weight.reshape(o, -1)[fg]
            blocks.append((gcols, w, None if lw is None else lw[:, fg]))
            where.append(fg)
    bits = max(lay.wbits, lay.in_bits)
    parts, tally = dot_products_of_blocks(
        blocks, bits, cells.multiplier, cells.adder, fault, progress
    )
    acc = np.empty((rows, o), dtype=np.int64)
    for part, fg in zip(parts, where, strict=True):
        acc[:, fg] = part
    if isinstance(lay, ConvLayer):
        oh, ow = lay.out_shape[1], lay.out_shape[2]
        out = acc.reshape(len(h), oh, ow, o).transpose(0, 3, 1, 2)
        out = out + lay.bias.astype(np.int64).reshape(1, o, 1, 1)
    else:
        out = acc + lay.bias.astype(np.int64)
    if lay.requant is not None:
        out = requantize(out, lay.requant, 1)
    return out, tally


def _add(
    lay: AddLayer, a: np.ndarray, b: np.ndarray, cells: _Cells, fault: FaultHook | None
) -> tuple[np.ndarray, Tally | None]:
    """A residual add: align in CMOS, sum in CMOS or on the adder cell, round, clamp."""
    ma, mb = (np.int64(m) for m in lay.multiplier)
    pa, pb = a * ma, b * mb  # the alignment multiplies (CMOS periphery)
    tally = None
    if cells.residual_add == "memory":
        from rtmcim.circuits.registry import get

        bits = max(lay.in_bits) + MULT_BITS + 2  # = AddWork.sum_bits
        total, tally = get(cells.adder).run(
            pa.reshape(-1), pb.reshape(-1), bits, signed=True, fault=fault
        )
        total = np.asarray(total, dtype=np.int64).reshape(pa.shape)
    else:
        total = pa + pb
    s = np.int64(lay.shift)
    y = (total + (np.int64(1) << (s - 1))) >> s
    return np.clip(y, lay.lo, lay.hi), tally


def _write_back(
    src: WeightSource | None, name: str, h: np.ndarray, images: np.ndarray | None
) -> np.ndarray:
    return h if src is None or images is None else src.write_output(name, h, images)


def _lane_weights(
    weights: WeightSource | None, name: str, images: np.ndarray | None, rows: int
) -> np.ndarray | None:
    """(rows, O, K) weights read per lane, or ``None`` for the stored weights."""
    if weights is None or images is None:
        return None
    lw = weights.layer_weights(name, images)
    if lw is None:
        return None
    return lw.reshape(rows, lw.shape[2], lw.shape[3])
