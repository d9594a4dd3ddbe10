"""The workload of an integer graph as the hardware sees it: shapes and bit widths only.

Cost models (mapping, baselines) need how many multiply-accumulates a layer
does, how many weights and activations it touches and at what widths, not the
weight values. A :class:`ComputeWork` describes a convolution (``groups > 1``:
grouped or depthwise, each filter reading ``in_channels / groups`` channels)
or a fully connected layer (a 1x1 convolution over a 1x1 image); a
:class:`PoolWork` a pooling layer that runs in CMOS periphery (global
average pooling: a window of the whole map); an :class:`AddWork` a residual
add. A layer reads the layer before it unless ``inputs`` names others; the
activation regions must hold, while a layer runs, its inputs, its output and
every tensor an add still needs later (the skip tensor), which
:attr:`Workload.max_activation_bits` counts.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rtmcim.nn.blocks import spec_nodes
from rtmcim.nn.intgraph import (
    MULT_BITS,
    AddLayer,
    ConvLayer,
    FlattenLayer,
    IntGraph,
    LinearLayer,
    PoolLayer,
)
from rtmcim.nn.spec import NetSpec


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Output rows (or columns) of a window of ``kernel`` sliding by ``stride`` over ``size``
    rows padded by ``padding`` on each side."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True, slots=True)
class ComputeWork:
    """A convolution or fully connected layer for one input image."""

    name: str
    kind: Literal["conv", "fc"]
    in_channels: int
    in_h: int
    in_w: int
    out_channels: int
    kernel_h: int
    kernel_w: int
    stride: int
    padding: int
    wbits: int  # signed weights
    abits: int  # unsigned input activations
    out_bits: int  # requantized output width (0 when the layer emits raw logits)
    relu: bool
    groups: int = 1
    inputs: tuple[str, ...] = ()

    @property
    def depthwise(self) -> bool:
        """One filter per input channel (each reads one channel)."""
        return self.groups > 1 and self.groups == self.in_channels

    @property
    def out_h(self) -> int:
        return out_size(self.in_h, self.kernel_h, self.stride, self.padding)

    @property
    def out_w(self) -> int:
        return out_size(self.in_w, self.kernel_w, self.stride, self.padding)

    @property
    def reduction(self) -> int:
        """K: products summed into one output (channels of a group x kernel area)."""
        return self.in_channels // self.groups * self.kernel_h * self.kernel_w

    @property
    def positions(self) -> int:
        """Output positions per channel."""
        return self.out_h * self.out_w

    @property
    def macs(self) -> int:
        """Multiply-accumulates: every output is one K-term dot product."""
        return self.out_channels * self.positions * self.reduction

    @property
    def weight_count(self) -> int:
        return self.out_channels * self.reduction

    @property
    def weight_bits(self) -> int:
        """Bits of the layer's weights as stored."""
        return self.weight_count * self.wbits

    @property
    def input_count(self) -> int:
        return self.in_channels * self.in_h * self.in_w

    @property
    def output_count(self) -> int:
        """Outputs (dot products) before any pooling."""
        return self.out_channels * self.positions

    @property
    def acc_bits(self) -> int:
        """Accumulator width that cannot overflow: wbits + abits + ceil(log2 K).

        A signed wbits x unsigned abits product needs wbits + abits bits; the
        sum of K of them needs ceil(log2 K) more (2n + ceil(log2 K) for equal
        widths, DESIGN.md 1.2).
        """
        return self.wbits + self.abits + math.ceil(math.log2(max(self.reduction, 1)))


@dataclass(frozen=True, slots=True)
class PoolWork:
    """A max or average pooling layer for one input image (CMOS periphery)."""

    name: str
    kind: Literal["max", "avg"]
    channels: int
    in_h: int
    in_w: int
    kernel: int
    stride: int
    bits: int
    inputs: tuple[str, ...] = ()

    @property
    def out_h(self) -> int:
        return out_size(self.in_h, self.kernel, self.stride)

    @property
    def out_w(self) -> int:
        return out_size(self.in_w, self.kernel, self.stride)

    @property
    def output_count(self) -> int:
        """Pooled outputs, every channel."""
        return self.channels * self.out_h * self.out_w

    @property
    def input_count(self) -> int:
        """Inputs pooled, every channel."""
        return self.channels * self.in_h * self.in_w

    @property
    def comparisons(self) -> int:
        """Two-input operations (compare or add): kernel² - 1 per output."""
        return self.output_count * (self.kernel * self.kernel - 1)


@dataclass(frozen=True, slots=True)
class AddWork:
    """A residual add of two tensors of ``count`` values (each aligned onto the output scale
    by a multiply and one shared shift, summed, clamped with the ReLU)."""

    name: str
    count: int
    a_bits: int
    b_bits: int
    out_bits: int
    inputs: tuple[str, ...] = ()

    @property
    def output_count(self) -> int:
        return self.count

    @property
    def input_count(self) -> int:
        return 2 * self.count

    @property
    def sum_bits(self) -> int:
        """Signed width of ``a * ma + b * mb``: the wider aligned product, its carry and a sign."""
        return max(self.a_bits, self.b_bits) + MULT_BITS + 2


LayerWork = ComputeWork | PoolWork | AddWork


def out_bits_of(lw: LayerWork) -> int:
    """Bits of a layer's output as stored in the activation region."""
    if isinstance(lw, ComputeWork):
        return lw.output_count * max(lw.out_bits, 1)
    if isinstance(lw, PoolWork):
        return lw.output_count * lw.bits
    return lw.count * lw.out_bits


def held_bits(layers: tuple[LayerWork, ...]) -> list[int]:
    """For each layer, the bits of the tensors that stay in the activation regions while it
    runs without being its input or output: outputs of earlier layers a later layer reads
    (a residual branch's skip tensor until its add)."""
    names = [lw.name for lw in layers]
    srcs = [lw.inputs or ((names[i - 1],) if i else ()) for i, lw in enumerate(layers)]
    last = {s: i for i, ss in enumerate(srcs) for s in ss}
    size = {lw.name: out_bits_of(lw) for lw in layers}
    held = []
    for i in range(len(layers)):
        held.append(sum(size[n] for n in names[:i] if last.get(n, -1) > i and n not in srcs[i]))
    return held


@dataclass(frozen=True, slots=True)
class Workload:
    """The layers of one model, in execution order, for one inference."""

    name: str
    layers: tuple[LayerWork, ...]
    # derived once (cost models ask for them at every hardware point)
    compute_layers: tuple[ComputeWork, ...] = field(init=False, repr=False, compare=False)
    max_activation_bits: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compute = tuple(lw for lw in self.layers if isinstance(lw, ComputeWork))
        object.__setattr__(self, "compute_layers", compute)
        # largest footprint of any layer: input + output (double buffering) + held skip tensors
        best = 0
        held = held_bits(self.layers)
        for lw, h in zip(self.layers, held, strict=True):
            if isinstance(lw, ComputeWork):
                best = max(
                    best, lw.input_count * lw.abits + lw.output_count * max(lw.out_bits, 1) + h
                )
            elif isinstance(lw, AddWork):
                best = max(best, lw.count * (lw.a_bits + lw.b_bits + lw.out_bits) + h)
        object.__setattr__(self, "max_activation_bits", best)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference."""
        return sum(lw.macs for lw in self.compute_layers)

    @property
    def weight_bits(self) -> int:
        """Bits of every weight of the model."""
        return sum(lw.weight_bits for lw in self.compute_layers)


def workload_from_graph(graph: IntGraph, name: str | None = None) -> Workload:
    """The hardware's view of an integer graph (flatten layers vanish: they are addressing)."""
    layers: list[LayerWork] = []
    bits: dict[str, int] = {"input": graph.input_bits}
    alias: dict[str, str] = {}  # a flatten is its input
    prev = "input"
    for lay, srcs in zip(graph.layers, graph.sources(), strict=True):
        srcs = tuple(alias.get(s, s) for s in srcs)
        if isinstance(lay, FlattenLayer):
            alias[lay.name] = srcs[0]
            continue
        inputs = () if srcs == (prev,) else srcs
        in_bits = bits[srcs[0]]
        if isinstance(lay, ConvLayer | LinearLayer):
            out_bits = lay.requant.out_bits if lay.requant is not None else 0
            relu = lay.requant.relu if lay.requant is not None else False
            if isinstance(lay, ConvLayer):
                o, _, kh, kw = (int(s) for s in lay.weight.shape)
                c, h, w = lay.in_shape
                geo = (c, h, w, o, kh, kw, lay.stride, lay.padding)
                kind: Literal["conv", "fc"] = "conv"
                groups = lay.groups
            else:
                o, i = (int(s) for s in lay.weight.shape)
                geo, kind, groups = (i, 1, 1, o, 1, 1, 1, 0), "fc", 1
            layers.append(
                ComputeWork(
                    lay.name, kind, *geo, lay.wbits, lay.in_bits, out_bits, relu, groups, inputs
                )
            )
            bits[lay.name] = out_bits or in_bits
        elif isinstance(lay, PoolLayer):
            c, h, w = lay.in_shape
            pk: Literal["max", "avg"] = "max" if lay.kind == "max" else "avg"
            layers.append(PoolWork(lay.name, pk, c, h, w, lay.size, lay.size, in_bits, inputs))
            bits[lay.name] = in_bits
        elif isinstance(lay, AddLayer):
            count = int(np.prod(lay.out_shape))
            a, b = lay.in_bits
            layers.append(AddWork(lay.name, count, a, b, lay.out_bits, inputs))
            bits[lay.name] = lay.out_bits
        prev = lay.name
    return Workload(name or str(graph.meta.get("model", "model")), tuple(layers))


def workload_from_spec(
    spec: NetSpec,
    in_shape: tuple[int, int, int],
    classes: int,
    wbits: int,
    abits: int,
    name: str | None = None,
) -> Workload:
    """The workload the integer graph of ``spec`` will have once trained, without training.

    Shapes come from the spec's graph (:func:`rtmcim.nn.blocks.spec_nodes`), widths follow
    the QAT export (:mod:`rtmcim.nn.quant`): a layer's input width is its producer's output
    width (the network's ``abits`` for the image), its output width its own ``abits`` (the
    classifier emits raw logits), its weights its own ``wbits``; pooling runs at the width
    of what it pools. Cost studies that need no accuracy (a capacity sweep, a crossover)
    use it; ``workload_from_graph`` of the trained graph equals it.
    """
    layers: list[LayerWork] = []
    bits: dict[str, int] = {"input": abits}
    alias: dict[str, str] = {}
    prev = "input"
    for n in spec_nodes(spec, in_shape, classes):
        srcs = tuple(alias.get(s, s) for s in n.inputs)
        if n.op == "flatten":
            alias[n.name] = srcs[0]
            continue
        inputs = () if srcs == (prev,) else srcs
        in_bits = bits[srcs[0]]
        if n.op in ("conv", "fc"):
            wb = n.wbits or (spec.classifier_wbits if n.classifier else None) or wbits
            out_bits = 0 if n.classifier else (n.abits or abits)
            if n.op == "conv":
                c, h, w = n.in_shape
                geo = (c, h, w, n.channels, n.kernel, n.kernel, n.stride, n.padding)
            else:
                geo = (n.in_shape[0], 1, 1, n.channels, 1, 1, 1, 0)
            kind: Literal["conv", "fc"] = "conv" if n.op == "conv" else "fc"
            relu = n.act != "none"
            layers.append(
                ComputeWork(n.name, kind, *geo, wb, in_bits, out_bits, relu, n.groups, inputs)
            )
            bits[n.name] = out_bits or in_bits
        elif n.op == "pool":
            c, h, w = n.in_shape
            layers.append(PoolWork(n.name, n.pool, c, h, w, n.size, n.size, in_bits, inputs))
            bits[n.name] = in_bits
        else:
            out_bits = n.abits or abits
            count = int(np.prod(n.out_shape))
            a, b = (bits[s] for s in srcs)
            layers.append(AddWork(n.name, count, a, b, out_bits, inputs))
            bits[n.name] = out_bits
        prev = n.name
    return Workload(name or spec.name, tuple(layers))


def workload_to_data(work: Workload) -> list[dict[str, Any]]:
    """Plain data (JSON) of a workload's layers: what a results folder keeps of a model."""
    return [{"type": _TYPE[type(lw)], **dataclasses.asdict(lw)} for lw in work.layers]


def workload_from_data(name: str, data: list[dict[str, Any]]) -> Workload:
    """The workload :func:`workload_to_data` wrote."""
    layers: list[LayerWork] = []
    for d in data:
        d = dict(d)
        kind = d.pop("type")
        if "inputs" in d:
            d["inputs"] = tuple(d["inputs"])
        layers.append({"compute": ComputeWork, "pool": PoolWork, "add": AddWork}[kind](**d))
    return Workload(name, tuple(layers))


_TYPE: dict[type, str] = {ComputeWork: "compute", PoolWork: "pool", AddWork: "add"}
