"""The workload of an integer graph as the hardware sees it: shapes and bit widths only.

Cost models (mapping, baselines) need how many multiply-accumulates a layer
does, how many weights and activations it touches and at what widths, not the
weight values. A :class:`ComputeWork` describes a convolution or a fully
connected layer (a fully connected layer is a 1x1 convolution over a 1x1
image); a :class:`PoolWork` a pooling layer that runs in CMOS periphery.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from rtmcim.nn.intgraph import ConvLayer, IntGraph, LinearLayer, PoolLayer
from rtmcim.nn.spec import ConvBlock, NetSpec, check_shapes


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

    @property
    def out_h(self) -> int:
        return out_size(self.in_h, self.kernel_h, self.stride, self.padding)

    @property
    def out_w(self) -> int:
        return out_size(self.in_w, self.kernel_w, self.stride, self.padding)

    @property
    def reduction(self) -> int:
        """K: products summed into one output (in_channels x kernel area)."""
        return self.in_channels * self.kernel_h * self.kernel_w

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


LayerWork = ComputeWork | PoolWork


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
        # largest input+output activation footprint of any layer (double buffering)
        best = 0
        for lw in compute:
            best = max(best, lw.input_count * lw.abits + lw.output_count * max(lw.out_bits, 1))
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
    prev_bits = graph.input_bits
    for lay in graph.layers:
        if isinstance(lay, ConvLayer):
            o, c, kh, kw = (int(s) for s in lay.weight.shape)
            _, h, w = lay.in_shape
            out_bits = lay.requant.out_bits if lay.requant is not None else 0
            layers.append(
                ComputeWork(
                    lay.name,
                    "conv",
                    c,
                    h,
                    w,
                    o,
                    kh,
                    kw,
                    lay.stride,
                    lay.padding,
                    lay.wbits,
                    lay.in_bits,
                    out_bits,
                    lay.requant.relu if lay.requant is not None else False,
                )
            )
            prev_bits = out_bits or prev_bits
        elif isinstance(lay, LinearLayer):
            o, i = (int(s) for s in lay.weight.shape)
            out_bits = lay.requant.out_bits if lay.requant is not None else 0
            layers.append(
                ComputeWork(
                    lay.name,
                    "fc",
                    i,
                    1,
                    1,
                    o,
                    1,
                    1,
                    1,
                    0,
                    lay.wbits,
                    lay.in_bits,
                    out_bits,
                    lay.requant.relu if lay.requant is not None else False,
                )
            )
            prev_bits = out_bits or prev_bits
        elif isinstance(lay, PoolLayer):
            c, h, w = lay.in_shape
            kind: Literal["max", "avg"] = "max" if lay.kind == "max" else "avg"
            layers.append(PoolWork(lay.name, kind, c, h, w, lay.size, lay.size, prev_bits))
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

    Shapes come from :func:`rtmcim.nn.spec.check_shapes`, widths follow the QAT export
    (:mod:`rtmcim.nn.quant`): a layer's input width is the previous layer's output width
    (the network's ``abits`` for the first), its output width its own ``abits`` (the
    classifier emits raw logits), its weights its own ``wbits``; pooling runs at the
    width of the conv output it pools. Cost studies that need no accuracy (a capacity
    sweep, a crossover) use it; ``workload_from_graph`` of the trained graph equals it.
    """
    shapes = check_shapes(spec, in_shape, classes)
    layers: list[LayerWork] = []
    in_bits = abits
    blocks: list[tuple[str, int, int | None, ConvBlock | None]] = [
        (f"conv{i}", b.wbits or wbits, b.abits or abits, b) for i, b in enumerate(spec.conv)
    ]
    blocks += [(f"fc{i}", f.wbits or wbits, f.abits or abits, None) for i, f in enumerate(spec.fc)]
    blocks.append(("classifier", spec.classifier_wbits or wbits, None, None))
    for (lname, wb, out_bits, conv), sh in zip(blocks, shapes, strict=True):
        if conv is not None:
            c, h, w = sh.in_shape
            layers.append(
                ComputeWork(
                    lname, "conv", c, h, w, conv.channels, conv.kernel, conv.kernel,
                    conv.stride, conv.padding, wb, in_bits, out_bits or 0, True,
                )
            )  # fmt: skip
            if conv.pool != "none":
                _, oh, ow = sh.out_shape
                kind: Literal["max", "avg"] = "max" if conv.pool == "max" else "avg"
                pool_bits = out_bits or in_bits
                layers.append(
                    PoolWork(f"{lname}_pool", kind, conv.channels, oh, ow,
                             conv.pool_size, conv.pool_size, pool_bits)
                )  # fmt: skip
        else:
            layers.append(
                ComputeWork(
                    lname, "fc", sh.in_shape[0], 1, 1, sh.out_shape[0], 1, 1, 1, 0,
                    wb, in_bits, out_bits or 0, out_bits is not None,
                )
            )  # fmt: skip
        in_bits = out_bits or in_bits
    return Workload(name or spec.name, tuple(layers))


def workload_to_data(work: Workload) -> list[dict[str, Any]]:
    """Plain data (JSON) of a workload's layers: what a results folder keeps of a model."""
    return [
        {"type": "compute" if isinstance(lw, ComputeWork) else "pool", **dataclasses.asdict(lw)}
        for lw in work.layers
    ]


def workload_from_data(name: str, data: list[dict[str, Any]]) -> Workload:
    """The workload :func:`workload_to_data` wrote."""
    layers: list[ComputeWork | PoolWork] = []
    for d in data:
        d = dict(d)
        kind = d.pop("type")
        layers.append(ComputeWork(**d) if kind == "compute" else PoolWork(**d))
    return Workload(name, tuple(layers))
