"""A CNN as a directed acyclic graph of typed nodes, and its shape inference.

Every model source (a plain spec, a spec with residual or depthwise-separable
blocks, an explicit ``graph:`` in a spec, an ONNX file, a torch module) ends as
one list of :class:`Node`, in execution order, each naming the nodes it reads.
QAT (:mod:`rtmcim.nn.quant`), the integer export and the hardware workload
(:mod:`rtmcim.mapping.workload`) all walk that one list.

Node kinds (``op``):

``conv``   convolution: ``channels``, ``kernel``, ``stride``, ``padding``,
           ``groups`` (``groups == in channels == channels``: depthwise),
           ``bn`` (batch norm, folded into the conv before QAT),
           ``act`` (``relu``, ``relu6`` or ``none``: folded into requantization).
``fc``     fully connected: ``units``, ``act``; the last node is the classifier
           (``fc``, no activation, raw integer logits).
``add``    residual add of two tensors of one shape (each requantized onto the
           output scale, then summed, then ``act``).
``pool``   ``max`` or ``avg`` pooling, ``size x size`` windows, stride ``size``;
           global average pooling is an ``avg`` pool of the whole (square) map.
``flatten``  ``(C, H, W) -> (C*H*W,)``.

The input image is the tensor named ``input``. Tensors after ``relu``/``relu6``
are unsigned; after ``act: none`` (the conv of a residual branch before its
add) signed; a conv, fc or pool reads unsigned tensors only (the MAC cells take
unsigned activations), so a graph that feeds a signed tensor into one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from rtmcim.errors import ConfigError

Act = Literal["none", "relu", "relu6"]
Op = Literal["conv", "fc", "add", "pool", "flatten"]
INPUT = "input"


@dataclass(frozen=True)
class Node:
    """One node of a CNN graph with its shapes (built by :func:`infer`)."""

    name: str
    op: Op
    inputs: tuple[str, ...]
    key: str  # where it came from in the spec (for error messages)
    channels: int = 0  # conv: output channels; fc: units
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    bn: bool = False
    act: Act = "relu"
    pool: Literal["max", "avg"] = "max"
    size: int = 2  # pool window (0: global, the whole map)
    size_key: str = "size"  # the spec field of the window (for error messages)
    wbits: int | None = None  # None: the network's
    abits: int | None = None  # output width; None: the network's
    classifier: bool = False
    in_shape: tuple[int, ...] = ()
    out_shape: tuple[int, ...] = ()
    signed: bool = field(default=False)  # output tensor signed (act none)

    @property
    def is_compute(self) -> bool:
        return self.op in ("conv", "fc")


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def infer(
    nodes: list[Node], in_shape: tuple[int, int, int], classes: int | None
) -> tuple[Node, ...]:
    """Check the graph and fill in every node's shapes; raise ConfigError naming the node.

    Refuses: duplicate names, an input naming no earlier node (dangling, or a
    cycle: a node can only read nodes before it, so a cycle always shows as a
    read of a later node), a node nobody reads that is not the last, shapes
    that do not fit, groups that do not divide the channels, an add of two
    shapes, a signed tensor into a conv/fc/pool, and a last node that is not
    an ``fc`` of ``classes`` units.
    """
    names = [n.name for n in nodes]
    later = {nm: i for i, nm in enumerate(names)}
    shapes: dict[str, tuple[tuple[int, ...], bool]] = {INPUT: (tuple(in_shape), False)}
    out: list[Node] = []
    for i, n in enumerate(nodes):
        if n.name in shapes:
            raise ConfigError("duplicate node name", key=f"{n.key}.name", value=n.name)
        for src in n.inputs:
            if src not in shapes:
                what = (
                    "a cycle: reads a node that comes later"
                    if later.get(src, -1) >= i
                    else "dangling input: no such node"
                )
                raise ConfigError(
                    what,
                    key=f"{n.key}.inputs",
                    value=src,
                    allowed=", ".join([INPUT, *names[:i]]),
                )
        need = 2 if n.op == "add" else 1
        if len(n.inputs) != need:
            raise ConfigError(
                f"a {n.op} node reads {need} input(s)",
                key=f"{n.key}.inputs",
                value=list(n.inputs),
                allowed=f"{need} node name(s)",
            )
        ins = [shapes[s] for s in n.inputs]
        node = _shaped(n, [s for s, _ in ins], [sg for _, sg in ins])
        shapes[n.name] = (node.out_shape, node.signed)
        out.append(node)
    if not out:
        raise ConfigError("the graph has no nodes", key="graph")
    used = {s for n in out for s in n.inputs}
    for n in out[:-1]:
        if n.name not in used:
            raise ConfigError(
                "node output is never used (only the last node may be the output)",
                key=f"{n.key}.name",
                value=n.name,
            )
    last = out[-1] = replace(out[-1], classifier=True)
    if last.op != "fc" or last.act != "none":
        raise ConfigError(
            "the last node must be the classifier: an fc without activation",
            key=last.key,
            value=last.op,
        )
    if classes is not None and last.out_shape != (classes,):
        raise ConfigError(
            f"the classifier has {last.out_shape[0]} outputs but the data set {classes} classes",
            key=f"{last.key}.units",
            value=last.out_shape[0],
            allowed=str(classes),
        )
    return tuple(out)


def _unsigned(n: Node, signed: list[bool]) -> None:
    if any(signed):
        raise ConfigError(
            f"a {n.op} node cannot read a signed tensor (one without ReLU)",
            key=f"{n.key}.inputs",
            value=list(n.inputs),
            allowed="outputs of relu/relu6 nodes, pools or the input",
            hint="put a ReLU on the producer or add the tensor to a skip connection first",
        )


def _shaped(n: Node, ins: list[tuple[int, ...]], signed: list[bool]) -> Node:
    s = ins[0]
    if n.op == "conv":
        _unsigned(n, signed)
        if len(s) != 3:
            raise ConfigError("a conv needs a (C, H, W) input", key=n.key, value=list(s))
        c, h, w = s
        for k, v in (("groups", n.groups), ("channels", n.channels)):
            if v < 1:
                raise ConfigError("must be at least 1", key=f"{n.key}.{k}", value=v)
        if c % n.groups or n.channels % n.groups:
            raise ConfigError(
                f"groups must divide the input channels ({c}) and the output channels "
                f"({n.channels})",
                key=f"{n.key}.groups",
                value=n.groups,
                allowed=", ".join(
                    str(g) for g in range(1, c + 1) if not c % g and not n.channels % g
                ),
            )
        hp, wp = h + 2 * n.padding, w + 2 * n.padding
        if n.kernel > min(hp, wp):
            raise ConfigError(
                "kernel larger than the layer input",
                key=f"{n.key}.kernel",
                value=n.kernel,
                allowed=f"<= {min(hp, wp)} (input {h}x{w} with padding {n.padding})",
            )
        out = (
            n.channels,
            conv_out(h, n.kernel, n.stride, n.padding),
            conv_out(w, n.kernel, n.stride, n.padding),
        )
        return replace(n, in_shape=s, out_shape=out, signed=n.act == "none")
    if n.op == "fc":
        _unsigned(n, signed)
        if len(s) != 1:
            raise ConfigError(
                "an fc needs a flat input (put a flatten node before it)",
                key=f"{n.key}.inputs",
                value=list(s),
            )
        return replace(n, in_shape=s, out_shape=(n.channels,), signed=n.act == "none")
    if n.op == "add":
        if ins[0] != ins[1]:
            raise ConfigError(
                f"residual add of mismatched shapes {list(ins[0])} and {list(ins[1])}",
                key=f"{n.key}.inputs",
                value=list(n.inputs),
                allowed="two tensors of one shape (use a strided 1x1 conv on the shortcut)",
            )
        return replace(n, in_shape=s, out_shape=s, signed=n.act == "none")
    if n.op == "pool":
        _unsigned(n, signed)
        if len(s) != 3:
            raise ConfigError("a pool needs a (C, H, W) input", key=n.key, value=list(s))
        c, h, w = s
        if n.size == 0:  # global average pooling: the whole map
            if h != w:
                raise ConfigError(
                    f"global pooling needs a square feature map, not {h}x{w}",
                    key=n.key,
                    value=list(s),
                )
            n = replace(n, size=h)
        oh, ow = h // n.size, w // n.size
        if oh < 1 or ow < 1:
            raise ConfigError(
                f"pooling makes a dimension vanish (input {h}x{w})",
                key=f"{n.key}.{n.size_key}",
                value=n.size,
                allowed=f"<= {min(h, w)}",
            )
        return replace(n, in_shape=s, out_shape=(c, oh, ow), signed=False)
    flat = 1
    for v in s:
        flat *= v
    return replace(n, in_shape=s, out_shape=(flat,), signed=signed[0])
