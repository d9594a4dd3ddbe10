"""A :class:`~rtmcim.nn.spec.NetSpec` unrolled into its graph of nodes.

Names follow one scheme, so that a plain spec gives the layer names it always
had: ``conv{i}`` (+ ``conv{i}_pool``), ``fc{i}``, ``classifier`` and
``flatten_<first fc>``; a residual stage ``i`` gives ``res{i}_{d}_conv1``,
``_conv2``, ``_proj`` (the 1x1 shortcut when the shape changes) and ``_add``
for each of its blocks ``d``; a separable block ``sep{i}_dw`` and ``sep{i}_pw``;
global pooling ``gap``. An explicit ``graph:`` is put in execution order
(a topological order, ties kept in the order written; a node without
``inputs`` reads the node written before it); a cycle or an input naming no
node is refused.
"""

from __future__ import annotations

from rtmcim.errors import ConfigError
from rtmcim.nn.graphspec import INPUT, Node, conv_out, infer
from rtmcim.nn.spec import (
    ConvBlock,
    GraphNode,
    NetSpec,
    ResidualBlock,
    SeparableBlock,
)


def spec_nodes(
    spec: NetSpec, in_shape: tuple[int, int, int], classes: int | None
) -> tuple[Node, ...]:
    """The checked, shaped graph of ``spec`` on ``(C, H, W)`` inputs and ``classes`` outputs."""
    if spec.graph:
        if spec.conv or spec.fc or spec.global_pool != "none":
            raise ConfigError(
                "a spec gives either an explicit graph or conv/fc blocks, not both",
                key="graph",
                allowed="graph: alone, or conv/fc/global_pool",
            )
        return infer(_graph_nodes(spec.graph), in_shape, classes)
    if classes is None:
        raise ConfigError("a block spec needs the number of classes", key="classes")
    return infer(_block_nodes(spec, in_shape, classes), in_shape, classes)


class _Chain:
    """Builds nodes one after another, tracking the current tensor and its shape."""

    def __init__(self, in_shape: tuple[int, int, int]) -> None:
        self.nodes: list[Node] = []
        self.cur = INPUT
        self.c, self.h, self.w = in_shape

    def add(self, node: Node) -> str:
        self.nodes.append(node)
        self.cur = node.name
        return node.name

    def conv(self, name: str, key: str, src: str, **kw: object) -> str:
        node = Node(name=name, op="conv", inputs=(src,), key=key, **kw)  # type: ignore[arg-type]
        return self.add(node)


def _block_nodes(spec: NetSpec, in_shape: tuple[int, int, int], classes: int) -> list[Node]:
    ch = _Chain(in_shape)
    act = spec.activation
    for i, b in enumerate(spec.conv):
        key = f"conv.{i}"
        bits = {"wbits": b.wbits, "abits": b.abits}
        if isinstance(b, ConvBlock):
            ch.conv(
                f"conv{i}", key, ch.cur, channels=b.channels, kernel=b.kernel, stride=b.stride,
                padding=b.padding, groups=b.groups, bn=spec.batchnorm, act=act, **bits,
            )  # fmt: skip
            h, w = (conv_out(v, b.kernel, b.stride, b.padding) for v in (ch.h, ch.w))
            ch.c, ch.h, ch.w = b.channels, h, w
            if b.pool != "none":
                ch.add(
                    Node(
                        f"conv{i}_pool", "pool", (ch.cur,), key, pool=b.pool, size=b.pool_size,
                        size_key="pool_size",
                    )
                )  # fmt: skip
                ch.h, ch.w = ch.h // b.pool_size, ch.w // b.pool_size
        elif isinstance(b, ResidualBlock):
            _residual(ch, b, key, i, spec.batchnorm)
        else:
            _separable(ch, b, key, i, spec.batchnorm, act)
    if spec.global_pool == "avg":
        if ch.h != ch.w:
            raise ConfigError(
                f"global pooling needs a square feature map, not {ch.h}x{ch.w}",
                key="global_pool",
                value=spec.global_pool,
            )
        ch.add(Node("gap", "pool", (ch.cur,), "global_pool", pool="avg", size=ch.h))
        ch.h = ch.w = 1
    fcs = [(f"fc{i}", f"fc.{i}", f.units, f.wbits, f.abits) for i, f in enumerate(spec.fc)]
    fcs.append(("classifier", "classifier", classes, spec.classifier_wbits, None))
    ch.add(Node(f"flatten_{fcs[0][0]}", "flatten", (ch.cur,), fcs[0][1]))
    for name, key, units, wb, ab in fcs:
        last = name == "classifier"
        ch.add(
            Node(
                name, "fc", (ch.cur,), key, channels=units, act="none" if last else act,
                wbits=wb, abits=ab, classifier=last,
            )
        )  # fmt: skip
    return ch.nodes


def _residual(ch: _Chain, b: ResidualBlock, key: str, i: int, bn: bool) -> None:
    bits = {"wbits": b.wbits, "abits": b.abits}
    pad = b.kernel // 2
    for d in range(b.depth):
        stride = b.stride if d == 0 else 1
        p = f"res{i}_{d}"
        src = ch.cur
        ch.conv(
            f"{p}_conv1", key, src, channels=b.channels, kernel=b.kernel, stride=stride,
            padding=pad, bn=bn, act="relu", **bits,
        )  # fmt: skip
        main = ch.conv(
            f"{p}_conv2", key, ch.cur, channels=b.channels, kernel=b.kernel, padding=pad, bn=bn,
            act="none", **bits,
        )  # fmt: skip
        h, w = (conv_out(v, b.kernel, stride, pad) for v in (ch.h, ch.w))
        skip = src
        if stride != 1 or ch.c != b.channels:
            # option B shortcut (He et al. 2016): a strided 1x1 conv matches the shape;
            # no BN on it, as in the MLPerf Tiny ResNet-8
            skip = ch.conv(
                f"{p}_proj", key, src, channels=b.channels, kernel=1, stride=stride,
                act="none", **bits,
            )  # fmt: skip
        ch.add(Node(f"{p}_add", "add", (main, skip), key, act="relu", abits=b.abits))
        ch.c, ch.h, ch.w = b.channels, h, w


def _separable(ch: _Chain, b: SeparableBlock, key: str, i: int, bn: bool, act: str) -> None:
    bits = {"wbits": b.wbits, "abits": b.abits}
    pad = b.kernel // 2
    ch.conv(
        f"sep{i}_dw", key, ch.cur, channels=ch.c, kernel=b.kernel, stride=b.stride, padding=pad,
        groups=ch.c, bn=bn, act=act, **bits,
    )  # fmt: skip
    ch.conv(f"sep{i}_pw", key, ch.cur, channels=b.channels, bn=bn, act=act, **bits)
    h, w = (conv_out(v, b.kernel, b.stride, pad) for v in (ch.h, ch.w))
    ch.c, ch.h, ch.w = b.channels, h, w


def _graph_nodes(graph: tuple[GraphNode, ...]) -> list[Node]:
    """An explicit graph as Nodes in a topological order (ties: the order written)."""
    nodes = [_node(g, f"graph.{i}", graph[i - 1].name if i else INPUT) for i, g in enumerate(graph)]
    names = {n.name for n in nodes}
    for n in nodes:
        for src in n.inputs:
            if src != INPUT and src not in names:
                raise ConfigError(
                    "dangling input: no such node",
                    key=f"{n.key}.inputs",
                    value=src,
                    allowed=", ".join([INPUT, *sorted(names)]),
                )
    done: set[str] = {INPUT}
    order: list[Node] = []
    todo = list(nodes)
    while todo:
        ready = next((n for n in todo if all(s in done for s in n.inputs)), None)
        if ready is None:
            cyc = ", ".join(n.name for n in todo)
            raise ConfigError(
                f"the graph has a cycle among nodes {cyc}",
                key=f"{todo[0].key}.inputs",
                value=list(todo[0].inputs),
                allowed="a directed acyclic graph",
            )
        order.append(ready)
        done.add(ready.name)
        todo.remove(ready)
    return order


def _node(g: GraphNode, key: str, before: str) -> Node:
    """A node as written; no ``inputs``: it reads the node written before it (an add must
    name its two)."""
    prev = (g.inputs or (before,)) if g.op != "add" else g.inputs
    if g.op == "conv":
        if g.channels is None:
            raise ConfigError("a conv node needs channels", key=f"{key}.channels")
        return Node(
            g.name, "conv", prev, key, channels=g.channels, kernel=g.kernel, stride=g.stride,
            padding=g.padding, groups=g.groups, bn=g.bn, act=g.act, wbits=g.wbits,
            abits=g.abits,
        )  # fmt: skip
    if g.op == "fc":
        if g.units is None:
            raise ConfigError("an fc node needs units", key=f"{key}.units")
        return Node(
            g.name, "fc", prev, key, channels=g.units, act=g.act, wbits=g.wbits, abits=g.abits
        )
    if g.op == "add":
        return Node(g.name, "add", prev, key, act=g.act, abits=g.abits)
    if g.op in ("maxpool", "avgpool"):
        kind = "max" if g.op == "maxpool" else "avg"
        return Node(g.name, "pool", prev, key, pool=kind, size=g.size)  # type: ignore[arg-type]
    if g.op == "gap":
        return Node(g.name, "pool", prev, key, pool="avg", size=0)
    return Node(g.name, "flatten", prev, key)
