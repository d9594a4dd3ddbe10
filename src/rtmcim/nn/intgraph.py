"""The integer graph: what the hardware runs, and its file format.

An :class:`IntGraph` is a straight list of layers applied in order to one
input image ``x`` (unsigned ``input_bits`` integers, shape ``input_shape`` =
``(C, H, W)``). Every value between layers is an integer; every operation is
one of the following, exactly as :mod:`rtmcim.nn.reference` executes it:

``input``
    images in [0, 1] -> ``q = floor(x * (2^input_bits - 1) + 1/2)``
    (:meth:`IntGraph.quantize_input`); real value ``q / (2^input_bits - 1)``.
``conv`` (:class:`ConvLayer`)
    zero-pad by ``padding`` on each side of H and W, then for each output
    channel ``o`` and position ``(i, j)``:
    ``acc[o,i,j] = bias[o] + sum_{c,u,v} weight[o,c,u,v] * x[c, i*stride+u, j*stride+v]``
    accumulated in int64; then ``requant`` (or, without requant, ``acc`` is the output).
``linear`` (:class:`LinearLayer`)
    ``acc[o] = bias[o] + sum_i weight[o,i] * x[i]`` in int64, then ``requant``.
``requant`` (:class:`Requant`, part of conv/linear)
    per output channel ``o``:
    ``y = (acc * multiplier[o] + 2^(shift[o]-1)) >> shift[o]`` (arithmetic shift,
    i.e. round half up), then saturate to ``[0, 2^out_bits - 1]`` when ``relu``
    (ReLU and saturation in one clamp) or to ``[-2^(out_bits-1), 2^(out_bits-1)-1]``
    otherwise. ``multiplier[o] * 2^-shift[o]`` approximates the real ratio
    ``in_scale * weight_scale[o] / out_scale``; multipliers are below
    ``2^MULT_BITS``.
``pool`` (:class:`PoolLayer`)
    non-overlapping ``size x size`` windows (stride = size, rows/columns that do
    not fill a window are dropped): ``max``, or ``avg`` = ``(sum + n//2) // n``
    with ``n = size*size``.
``flatten`` (:class:`FlattenLayer`)
    ``(C, H, W)`` -> ``(C*H*W,)`` in C-order.
``add`` (:class:`AddLayer`)
    residual add of two tensors ``a`` and ``b`` of one shape, each on its own
    scale: ``y = (a * ma + b * mb + 2^(shift-1)) >> shift``, then the clamp of
    ``requant`` (ReLU when ``relu``); ``ma * 2^-shift`` and ``mb * 2^-shift``
    approximate ``s_a / s_y`` and ``s_b / s_y`` (one shift, the larger ratio's
    multiplier below ``2^MULT_BITS``).

Graph, not chain: every layer reads the layer before it, unless its
``inputs`` names the layers it reads (``"input"`` is the image); layers are in
execution order and read only layers before them. A conv with ``groups > 1``
splits its input and output channels into that many groups, filter ``o``
seeing only the ``C / groups`` channels of its group (weight shape
``(O, C / groups, kh, kw)``; ``groups == C == O`` is a depthwise conv). Global
average pooling is an ``avg`` pool whose window is the whole map. A
requantization with ``relu: false`` gives signed outputs (the conv of a
residual branch before its add); only adds read signed tensors.

The last layer (the classifier) has no requant: its int64 accumulators are the
logits; ``logit = acc * in_scale * weight_scale`` with one weight scale for the
layer, so the argmax of the accumulators is the prediction.

Weights are signed ``wbits`` integers in ``[-(2^(wbits-1)-1), 2^(wbits-1)-1]``,
stored as int8 (shapes ``(O, C, kh, kw)`` for conv, ``(O, I)`` for linear);
biases are int32 in units of ``in_scale * weight_scale[o]``; the layer's input
is unsigned ``in_bits`` integers.

File format (``format_version`` 1)
----------------------------------
A graph saved to folder ``D`` is two files:

``D/intgraph.json``::

    {"format": "rtmcim-intgraph", "format_version": 1,
     "input": {"shape": [C, H, W], "bits": 8},
     "classes": 10,
     "meta": {...free-form provenance: model, dataset, wbits, abits, spec hash...},
     "layers": [
       {"op": "conv", "name": "conv0", "in_shape": [...], "out_shape": [...],
        "stride": 1, "padding": 2, "wbits": 8, "in_bits": 8,
        "in_scale": 0.0039, "out_scale": 0.05,
        "weight": "conv0.weight", "bias": "conv0.bias", "weight_scale": "conv0.weight_scale",
        "requant": {"multiplier": "conv0.multiplier", "shift": "conv0.shift",
                    "out_bits": 8, "relu": true} },
       {"op": "pool", "name": "conv0_pool", "kind": "max", "size": 2, "in_shape": ..., "out_shape": ...},
       {"op": "flatten", "name": ..., "in_shape": ..., "out_shape": ...},
       {"op": "linear", ... same keys as conv without stride/padding; "requant": null on the classifier}
     ]}

``D/intgraph.npz``: the arrays named in the JSON (weight int8, bias int32,
multiplier int64, shift int64, weight_scale float64). Readers must reject a
``format_version`` they do not know; :func:`load_intgraph` does, and checks
every shape and range, raising :class:`~rtmcim.errors.DataError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rtmcim import atomic
from rtmcim.errors import DataError

FORMAT = "rtmcim-intgraph"
FORMAT_VERSION = 2
"""Written when the graph uses inputs, groups or adds; a plain chain is written as version 1."""
READ_VERSIONS = (1, 2)
INPUT = "input"
MULT_BITS = 16
"""Requantization multipliers lie in [2^(MULT_BITS-1), 2^MULT_BITS) (or are 0)."""
MAX_SHIFT = 62


def clamp_range(out_bits: int, relu: bool) -> tuple[int, int]:
    """The integer range a requantized output is clamped to: unsigned after a ReLU, else signed."""
    if relu:
        return 0, 2**out_bits - 1
    return -(2 ** (out_bits - 1)), 2 ** (out_bits - 1) - 1


@dataclass(frozen=True)
class Requant:
    """Per-output-channel ``(acc * multiplier + 2^(shift-1)) >> shift``, then clamp."""

    multiplier: np.ndarray
    shift: np.ndarray
    out_bits: int
    relu: bool

    @property
    def lo(self) -> int:
        return clamp_range(self.out_bits, self.relu)[0]

    @property
    def hi(self) -> int:
        return clamp_range(self.out_bits, self.relu)[1]


def make_requant(ratio: np.ndarray, out_bits: int, relu: bool = True) -> Requant:
    """Integer multiplier and shift for each real ``ratio`` (> 0), MULT_BITS of precision."""
    ratio = np.asarray(ratio, dtype=np.float64).reshape(-1)
    mult = np.zeros(ratio.shape, dtype=np.int64)
    shift = np.full(ratio.shape, MAX_SHIFT, dtype=np.int64)
    for i, r in enumerate(ratio):
        if not math.isfinite(r) or r <= 0:
            raise DataError(f"requantization ratio {r!r} is not a positive number")
        frac, exp = math.frexp(r)  # r = frac * 2^exp, frac in [0.5, 1)
        m = round(frac * 2**MULT_BITS)
        if m == 2**MULT_BITS:
            m //= 2
            exp += 1
        s = MULT_BITS - exp
        if s > MAX_SHIFT:  # tiny ratio: keep the shift representable
            m = round(r * 2**MAX_SHIFT)
            s = MAX_SHIFT
        if s < 1:
            raise DataError(f"requantization ratio {r!r} too large (needs shift < 1)")
        mult[i] = m
        shift[i] = s
    return Requant(multiplier=mult, shift=shift, out_bits=int(out_bits), relu=relu)


@dataclass(frozen=True)
class ConvLayer:
    """2-D convolution on integers (see the module docstring for the exact maths)."""

    name: str
    weight: np.ndarray  # (O, C, kh, kw) int8
    bias: np.ndarray  # (O,) int32
    stride: int
    padding: int
    wbits: int
    in_bits: int
    requant: Requant | None
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    weight_scale: np.ndarray  # (O,) float64, real weight = weight * weight_scale
    in_scale: float
    out_scale: float | None
    groups: int = 1
    inputs: tuple[str, ...] = ()
    op: Literal["conv"] = field(default="conv", init=False)

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weight.shape[2]), int(self.weight.shape[3])

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image."""
        o, c, kh, kw = self.weight.shape
        return int(o * c * kh * kw * self.out_shape[1] * self.out_shape[2])


@dataclass(frozen=True)
class LinearLayer:
    """Fully connected layer on integers."""

    name: str
    weight: np.ndarray  # (O, I) int8
    bias: np.ndarray  # (O,) int32
    wbits: int
    in_bits: int
    requant: Requant | None
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    weight_scale: np.ndarray
    in_scale: float
    out_scale: float | None
    inputs: tuple[str, ...] = ()
    op: Literal["linear"] = field(default="linear", init=False)

    @property
    def macs(self) -> int:
        return int(self.weight.size)


@dataclass(frozen=True)
class PoolLayer:
    name: str
    kind: str  # "max" | "avg"
    size: int
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    inputs: tuple[str, ...] = ()
    op: Literal["pool"] = field(default="pool", init=False)


@dataclass(frozen=True)
class FlattenLayer:
    name: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    inputs: tuple[str, ...] = ()
    op: Literal["flatten"] = field(default="flatten", init=False)


@dataclass(frozen=True)
class AddLayer:
    """Residual add: both inputs aligned onto the output scale by one requantization."""

    name: str
    inputs: tuple[str, ...]  # the two layers added (``"input"``: the image)
    multiplier: tuple[int, int]
    shift: int
    out_bits: int
    relu: bool
    in_bits: tuple[int, int]
    in_signed: tuple[bool, bool]
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    in_scales: tuple[float, float]
    out_scale: float
    op: Literal["add"] = field(default="add", init=False)

    @property
    def lo(self) -> int:
        return clamp_range(self.out_bits, self.relu)[0]

    @property
    def hi(self) -> int:
        return clamp_range(self.out_bits, self.relu)[1]


def make_add(
    name: str,
    inputs: tuple[str, str],
    ratios: tuple[float, float],
    out_bits: int,
    relu: bool,
    **kw: Any,
) -> AddLayer:
    """The add whose multipliers approximate ``ratios`` (``s_a / s_y``, ``s_b / s_y``)."""
    big = max(ratios)
    rq = make_requant(np.array([big]), out_bits, relu)
    s = int(rq.shift[0])
    mults = tuple(round(r * 2**s) for r in ratios)
    return AddLayer(name, inputs, (mults[0], mults[1]), s, int(out_bits), relu, **kw)


Layer = ConvLayer | LinearLayer | PoolLayer | FlattenLayer | AddLayer
ComputeLayer = ConvLayer | LinearLayer


@dataclass(frozen=True)
class IntGraph:
    """An integer CNN: layers in execution order plus input format and provenance."""

    layers: tuple[Layer, ...]
    input_shape: tuple[int, int, int]
    input_bits: int
    classes: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def input_scale(self) -> float:
        return 1.0 / (2**self.input_bits - 1)

    def compute_layers(self) -> list[ComputeLayer]:
        return [lay for lay in self.layers if isinstance(lay, ConvLayer | LinearLayer)]

    def sources(self) -> list[tuple[str, ...]]:
        """The layers each layer reads, by name (``"input"``: the image), resolved."""
        out: list[tuple[str, ...]] = []
        prev = INPUT
        for lay in self.layers:
            out.append(tuple(lay.inputs) or (prev,))
            prev = lay.name
        return out

    def last_use(self) -> dict[str, int]:
        """For each tensor, the index of the last layer that reads it."""
        last: dict[str, int] = {}
        for i, srcs in enumerate(self.sources()):
            for src in srcs:
                last[src] = i
        return last

    @property
    def is_chain(self) -> bool:
        """No layer names its inputs, no grouped conv, no add: the format of version 1."""
        return all(
            not lay.inputs and getattr(lay, "groups", 1) == 1 and not isinstance(lay, AddLayer)
            for lay in self.layers
        )

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Float images in [0, 1], shape (N, C, H, W) -> unsigned input_bits int64."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 4 or tuple(x.shape[1:]) != tuple(self.input_shape):
            raise DataError(
                f"input batch has shape {x.shape}, graph expects (N, {', '.join(map(str, self.input_shape))})"
            )
        qmax = np.float32(2**self.input_bits - 1)
        q = np.floor(np.clip(x, 0.0, 1.0) * qmax + np.float32(0.5))
        return q.astype(np.int64)

    def save(self, folder: str | Path) -> Path:
        return save_intgraph(self, folder)


# --- file format ----------------------------------------------------------------------


def save_intgraph(graph: IntGraph, folder: str | Path) -> Path:
    """Write ``intgraph.json`` and ``intgraph.npz`` into ``folder``; returns the JSON path."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    jl: list[dict[str, Any]] = []
    for lay in graph.layers:
        e: dict[str, Any] = {
            "op": lay.op,
            "name": lay.name,
            "in_shape": list(lay.in_shape),
            "out_shape": list(lay.out_shape),
        }
        if lay.inputs:
            e["inputs"] = list(lay.inputs)
        if isinstance(lay, PoolLayer):
            e.update(kind=lay.kind, size=lay.size)
        elif isinstance(lay, AddLayer):
            e.update(
                multiplier=list(lay.multiplier),
                shift=lay.shift,
                out_bits=lay.out_bits,
                relu=lay.relu,
                in_bits=list(lay.in_bits),
                in_signed=list(lay.in_signed),
                in_scales=list(lay.in_scales),
                out_scale=lay.out_scale,
            )
        elif isinstance(lay, ConvLayer | LinearLayer):
            if isinstance(lay, ConvLayer):
                e.update(stride=lay.stride, padding=lay.padding)
                if lay.groups != 1:
                    e["groups"] = lay.groups
            e.update(
                wbits=lay.wbits,
                in_bits=lay.in_bits,
                in_scale=lay.in_scale,
                out_scale=lay.out_scale,
            )
            for k in ("weight", "bias", "weight_scale"):
                arrays[f"{lay.name}.{k}"] = getattr(lay, k)
                e[k] = f"{lay.name}.{k}"
            if lay.requant is None:
                e["requant"] = None
            else:
                arrays[f"{lay.name}.multiplier"] = lay.requant.multiplier
                arrays[f"{lay.name}.shift"] = lay.requant.shift
                e["requant"] = {
                    "multiplier": f"{lay.name}.multiplier",
                    "shift": f"{lay.name}.shift",
                    "out_bits": lay.requant.out_bits,
                    "relu": lay.requant.relu,
                }
        jl.append(e)
    doc = {
        "format": FORMAT,
        "format_version": 1 if graph.is_chain else FORMAT_VERSION,
        "input": {"shape": list(graph.input_shape), "bits": graph.input_bits},
        "classes": graph.classes,
        "meta": graph.meta,
        "layers": jl,
    }
    atomic.write_with(d / "intgraph.npz", lambda t: np.savez(t, **arrays))  # type: ignore[arg-type]
    return atomic.write_text(
        d / "intgraph.json", json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n"
    )


def load_intgraph(folder: str | Path) -> IntGraph:
    """Read a graph written by :func:`save_intgraph`, checking version, shapes and ranges."""
    d = Path(folder)
    if d.name == "intgraph.json":
        d = d.parent
    jpath, npath = d / "intgraph.json", d / "intgraph.npz"
    try:
        doc = json.loads(jpath.read_text(encoding="utf-8"))
        with np.load(npath, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError as exc:
        raise DataError(
            "integer graph not found (expected intgraph.json and intgraph.npz)", source=str(d)
        ) from exc
    except (OSError, ValueError) as exc:
        raise DataError(
            f"integer graph is corrupt ({exc.__class__.__name__})", source=str(d)
        ) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataError("not an rtmcim integer graph", source=str(jpath))
    if doc.get("format_version") not in READ_VERSIONS:
        raise DataError(
            "unsupported integer-graph format version",
            key="format_version",
            value=doc.get("format_version"),
            allowed=", ".join(map(str, READ_VERSIONS)),
            source=str(jpath),
        )
    try:
        layers = tuple(_layer_from_json(e, arrays) for e in doc["layers"])
        graph = IntGraph(
            layers=layers,
            input_shape=tuple(int(v) for v in doc["input"]["shape"]),  # type: ignore[arg-type]
            input_bits=int(doc["input"]["bits"]),
            classes=int(doc["classes"]),
            meta=dict(doc.get("meta") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"integer graph is malformed ({exc!s})", source=str(jpath)) from exc
    check_graph(graph, source=str(jpath))
    return graph


def _layer_from_json(e: dict[str, Any], arrays: dict[str, np.ndarray]) -> Layer:
    op = e["op"]
    ins, outs = tuple(int(v) for v in e["in_shape"]), tuple(int(v) for v in e["out_shape"])
    inputs = tuple(str(v) for v in e.get("inputs", ()))
    if op == "pool":
        return PoolLayer(e["name"], str(e["kind"]), int(e["size"]), ins, outs, inputs)
    if op == "flatten":
        return FlattenLayer(e["name"], ins, outs, inputs)
    if op == "add":

        def pair(k: str, f: Any) -> Any:
            a, b = e[k]
            return (f(a), f(b))

        return AddLayer(
            e["name"],
            inputs,
            pair("multiplier", int),
            int(e["shift"]),
            int(e["out_bits"]),
            bool(e["relu"]),
            pair("in_bits", int),
            pair("in_signed", bool),
            ins,
            outs,
            pair("in_scales", float),
            float(e["out_scale"]),
        )
    rq = e["requant"]
    requant = (
        None
        if rq is None
        else Requant(
            multiplier=arrays[rq["multiplier"]].astype(np.int64),
            shift=arrays[rq["shift"]].astype(np.int64),
            out_bits=int(rq["out_bits"]),
            relu=bool(rq["relu"]),
        )
    )
    common: dict[str, Any] = {
        "name": e["name"],
        "weight": arrays[e["weight"]],
        "bias": arrays[e["bias"]],
        "wbits": int(e["wbits"]),
        "in_bits": int(e["in_bits"]),
        "requant": requant,
        "in_shape": ins,
        "out_shape": outs,
        "weight_scale": arrays[e["weight_scale"]].astype(np.float64),
        "in_scale": float(e["in_scale"]),
        "out_scale": None if e["out_scale"] is None else float(e["out_scale"]),
        "inputs": inputs,
    }
    if op == "conv":
        return ConvLayer(
            stride=int(e["stride"]),
            padding=int(e["padding"]),
            groups=int(e.get("groups", 1)),
            **common,
        )
    if op == "linear":
        return LinearLayer(**common)
    raise ValueError(f"unknown op {op!r}")


def check_graph(graph: IntGraph, source: str | None = None) -> None:
    """Check dtypes, value ranges and how shapes connect; raise DataError on the first problem.

    Every layer must read layers before it (so a cycle or a dangling name is refused),
    with the shapes they produce.
    """
    shapes: dict[str, tuple[int, ...]] = {INPUT: tuple(graph.input_shape)}
    if not 2 <= graph.input_bits <= 16:
        raise DataError("input bits out of range", value=graph.input_bits, source=source)
    shape: tuple[int, ...] = tuple(graph.input_shape)
    for lay, srcs in zip(graph.layers, graph.sources(), strict=True):
        where = f"layer {lay.name}"
        if lay.name in shapes:
            raise DataError(f"{where}: duplicate layer name", source=source)
        for src in srcs:
            if src not in shapes:
                raise DataError(
                    f"{where}: reads {src!r}, which is no earlier layer (dangling input or cycle)",
                    source=source,
                )
        if len(srcs) != (2 if isinstance(lay, AddLayer) else 1):
            raise DataError(f"{where}: wrong number of inputs {list(srcs)}", source=source)
        shape = shapes[srcs[0]]
        if tuple(lay.in_shape) != shape:
            raise DataError(
                f"{where}: input shape {lay.in_shape} but {srcs[0]} gives {shape}", source=source
            )
        if isinstance(lay, AddLayer) and shapes[srcs[1]] != shape:
            raise DataError(
                f"{where}: adds shapes {shape} and {shapes[srcs[1]]}",
                source=source,
                hint="a residual add needs two tensors of one shape",
            )
        if isinstance(lay, ConvLayer | LinearLayer):
            _check_compute(lay, shape, where, source)
        shapes[lay.name] = tuple(lay.out_shape)
    if not graph.layers or tuple(graph.layers[-1].out_shape) != (graph.classes,):
        raise DataError(f"graph output shape {shape} but {graph.classes} classes", source=source)


def _check_compute(
    lay: ConvLayer | LinearLayer, shape: tuple[int, ...], where: str, source: str | None
) -> None:
    w = lay.weight
    nd = 4 if isinstance(lay, ConvLayer) else 2
    if w.ndim != nd or not np.issubdtype(w.dtype, np.integer):
        raise DataError(f"{where}: weight must be a {nd}-D integer array", source=source)
    lim = 2 ** (lay.wbits - 1) - 1
    if w.size and (int(w.max()) > lim or int(w.min()) < -lim):
        raise DataError(f"{where}: weights exceed {lay.wbits} signed bits", source=source)
    if lay.bias.dtype != np.int32 or lay.bias.shape != (w.shape[0],):
        raise DataError(f"{where}: bias must be int32 of shape ({w.shape[0]},)", source=source)
    if lay.requant is not None:
        r = lay.requant
        if r.multiplier.shape != (w.shape[0],) or r.shift.shape != (w.shape[0],):
            raise DataError(
                f"{where}: requant arrays must have one entry per output", source=source
            )
        if (r.shift < 1).any() or (r.shift > MAX_SHIFT).any() or (r.multiplier < 0).any():
            raise DataError(f"{where}: requant shift/multiplier out of range", source=source)
    if isinstance(lay, ConvLayer):
        g = lay.groups
        if g < 1 or shape[0] % g or w.shape[0] % g:
            raise DataError(
                f"{where}: groups {g} do not divide the channels ({shape[0]} in, {w.shape[0]} out)",
                source=source,
            )
        if w.shape[1] * g != shape[0]:
            raise DataError(
                f"{where}: weight has {w.shape[1]} input channels per group, input "
                f"{shape[0]} in {g} groups",
                source=source,
            )
    if isinstance(lay, LinearLayer) and (len(shape) != 1 or w.shape[1] != shape[0]):
        raise DataError(f"{where}: weight does not match input {shape}", source=source)
