"""Quantization-aware training: fake quantizers, the quantizable network, and export.

Conventions (the integer graph of :mod:`rtmcim.nn.intgraph` follows them exactly):

- **input**: images in [0, 1] become unsigned ``abits`` integers
  ``q = floor(x * (2^abits - 1) + 1/2)``, scale ``1 / (2^abits - 1)``;
- **weights**: signed, symmetric, narrow range ``[-(2^(b-1)-1), 2^(b-1)-1]``,
  one scale per output channel ``max|w_o| / (2^(b-1)-1)``; the classifier uses
  one scale for the whole layer, so that its integer accumulators order the
  classes exactly as the real-valued logits do;
- **bias**: int32 in units of ``s_in * s_w[o]`` (added to the accumulator);
- **activations** after ReLU: unsigned ``abits`` integers with one scale per
  layer, learned (log-parametrized, trained with the straight-through
  estimator, initialized from the 99.9th percentile of the first batch) or an
  exponential moving average of the batch maximum (``act_scale="ema"``);
- **pooling** acts on the quantized activations: max pooling keeps the grid,
  average pooling rounds ``(sum + n//2) // n`` back onto it.

All state lives in the modules (no globals). Batch-norm is folded into the
preceding convolution (:meth:`QNet.fold_bn`) before quantization-aware training,
so the network that is fine-tuned is the network that is exported.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rtmcim.errors import ConfigError
from rtmcim.nn.graphspec import INPUT, Node
from rtmcim.nn.intgraph import (
    ConvLayer,
    FlattenLayer,
    IntGraph,
    Layer,
    LinearLayer,
    PoolLayer,
    Requant,
    make_add,
    make_requant,
)
from rtmcim.nn.spec import NetSpec, check_bits, check_shapes

ActScale = Literal["learned", "ema"]
INT32_MAX = 2**31 - 1


def _ste_round(x: Tensor) -> Tensor:
    """round() forward, identity backward (straight-through estimator)."""
    return x + (torch.round(x) - x).detach()


def weight_scale(w: Tensor, bits: int, per_channel: bool) -> Tensor:
    """Symmetric scale(s) ``max|w| / (2^(bits-1)-1)``, shaped to broadcast over ``w``."""
    qmax = 2 ** (bits - 1) - 1
    if per_channel:
        m = w.detach().abs().reshape(w.shape[0], -1).amax(dim=1)
        m = m.reshape((-1,) + (1,) * (w.dim() - 1))
    else:
        m = w.detach().abs().amax()
    return torch.clamp(m, min=1e-8) / qmax


def fake_quant_weight(w: Tensor, bits: int, per_channel: bool) -> tuple[Tensor, Tensor]:
    """(fake-quantized weights, scale) for signed symmetric narrow-range ``bits``."""
    qmax = 2 ** (bits - 1) - 1
    s = weight_scale(w, bits, per_channel)
    q = torch.clamp(_ste_round(w / s), -qmax, qmax)
    return q * s, s


def quantize_input(x: Tensor, bits: int) -> Tensor:
    """Images in [0, 1] onto the unsigned ``bits`` grid (values stay real: q / qmax)."""
    qmax = 2**bits - 1
    return torch.floor(x.clamp(0.0, 1.0) * qmax + 0.5) / qmax


class ActQuant(nn.Module):
    """``bits`` fake quantizer with one scale: unsigned after a ReLU; signed (``act="none"``,
    the branch of a residual add before the add); ReLU6 with the scale fixed at
    ``6 / (2^bits - 1)``, so that saturation is the ReLU6 clamp."""

    initialized: Tensor

    def __init__(
        self,
        bits: int,
        mode: ActScale = "learned",
        momentum: float = 0.9,
        act: str = "relu",
    ) -> None:
        super().__init__()
        self.bits = bits
        self.mode: ActScale = mode
        self.momentum = momentum
        self.signed = act == "none"
        self.fixed = act == "relu6"
        learn = mode == "learned" and not self.fixed
        self.log_scale = nn.Parameter(torch.zeros(()), requires_grad=learn)
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    @property
    def qmax(self) -> int:
        return int(2 ** (self.bits - 1) - 1) if self.signed else int(2**self.bits - 1)

    @property
    def qmin(self) -> int:
        return -(2 ** (self.bits - 1)) if self.signed else 0

    def scale(self) -> Tensor:
        if self.fixed:
            return torch.tensor(6.0 / self.qmax)
        return torch.exp(self.log_scale)

    def forward(self, x: Tensor) -> Tensor:
        if self.training and not self.fixed:
            with torch.no_grad():
                xd = x.detach().abs() if self.signed else x.detach()
                if not bool(self.initialized):
                    flat = xd.flatten()
                    if flat.numel() > 1_000_000:
                        flat = flat[:: flat.numel() // 1_000_000 + 1]
                    ref = torch.quantile(flat, 0.999) if self.mode == "learned" else flat.max()
                    self.log_scale.copy_(torch.log(torch.clamp(ref, min=1e-4) / self.qmax))
                    self.initialized.fill_(True)
                elif self.mode == "ema":
                    s = self.momentum * self.scale() + (1 - self.momentum) * (
                        torch.clamp(xd.max(), min=1e-4) / self.qmax
                    )
                    self.log_scale.copy_(torch.log(s))
        s = self.scale()
        v = torch.clamp(x / s, float(self.qmin), float(self.qmax))
        return _ste_round(v) * s


class QLayer(nn.Module):
    """One compute node: conv or linear, [BN], [activation + its quantizer]."""

    def __init__(
        self,
        kind: Literal["conv", "fc"],
        name: str,
        in_ch: int,
        out_ch: int,
        *,
        kernel: int = 1,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
        batchnorm: bool = False,
        wbits: int = 8,
        abits: int | None = 8,
        per_channel: bool = True,
        act_scale: ActScale = "learned",
        act: str = "relu",
    ) -> None:
        super().__init__()
        self.kind, self.name, self.per_channel = kind, name, per_channel
        self.stride, self.padding, self.groups = stride, padding, groups
        self.wbits, self.abits, self.act_kind = wbits, abits, act
        self.op: nn.Conv2d | nn.Linear = (
            nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, groups=groups)
            if kind == "conv"
            else nn.Linear(in_ch, out_ch)
        )
        self.bn: nn.BatchNorm2d | None = nn.BatchNorm2d(out_ch) if batchnorm else None
        self.act: ActQuant | None = (
            ActQuant(abits, act_scale, act=act) if abits is not None else None
        )

    def _linear_op(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        if self.kind == "conv":
            return F.conv2d(x, w, b, stride=self.stride, padding=self.padding, groups=self.groups)
        return F.linear(x, w, b)

    def forward(self, x: Tensor, s_in: Tensor | None) -> tuple[Tensor, Tensor | None]:
        w, b = self.op.weight, self.op.bias
        assert b is not None
        if s_in is None:  # float network
            y = self._linear_op(x, w, b)
            if self.bn is not None:
                y = self.bn(y)
            if self.abits is None:
                return y, None
            return float_act(y, self.act_kind), None
        if self.bn is not None:
            raise ConfigError(f"layer {self.name}: fold batch-norm before quantizing")
        wq, sw = fake_quant_weight(w, self.wbits, self.per_channel)
        bscale = (s_in.detach() * sw.detach()).reshape(-1)
        bq = torch.clamp(_ste_round(b / bscale), -INT32_MAX, INT32_MAX) * bscale
        y = self._linear_op(x, wq, bq)
        if self.act is None:
            return y, None
        y = self.act(y)
        return y, self.act.scale()


def float_act(y: Tensor, act: str) -> Tensor:
    if act == "relu":
        return F.relu(y)
    if act == "relu6":
        return torch.clamp(y, 0.0, 6.0)
    return y


def pool_op(y: Tensor, kind: str, size: int, s: Tensor | None) -> Tensor:
    """Max or average pooling; on the quantized grid, average is ``(sum + n//2) // n``."""
    if kind == "max":
        return F.max_pool2d(y, size)
    a = F.avg_pool2d(y, size)
    if s is None:
        return a
    # On the integer grid: (sum + n//2) // n, as the integer graph does.
    n = size * size
    sd = s.detach()
    total = torch.round(a.detach() / sd * n)
    exact = torch.floor((total + n // 2) / n) * sd
    return a + (exact - a).detach()


class QNet(nn.Module):
    """A CNN built from a :class:`NetSpec` (its graph of nodes), float or fake-quantized.

    Compute nodes are the modules of ``layers`` in execution order (so a plain spec has
    the state-dict keys it always had); each residual add has its output quantizer in
    ``adds``.
    """

    def __init__(
        self,
        spec: NetSpec,
        in_shape: tuple[int, int, int],
        classes: int,
        wbits: int = 8,
        abits: int = 8,
        act_scale: ActScale = "learned",
    ) -> None:
        super().__init__()
        from rtmcim.nn.blocks import spec_nodes

        check_bits(wbits, abits)
        self.spec, self.in_shape, self.classes = spec, in_shape, classes
        self.wbits, self.abits = wbits, abits
        self.quantized = self.folded = False
        self.nodes = spec_nodes(spec, in_shape, classes)
        self.shapes = check_shapes(spec, in_shape, classes)
        layers: list[QLayer] = []
        adds: dict[str, ActQuant] = {}
        for n in self.nodes:
            if n.op in ("conv", "fc"):
                last = n.classifier
                layers.append(
                    QLayer(
                        "conv" if n.op == "conv" else "fc",
                        n.name,
                        n.in_shape[0],
                        n.channels,
                        kernel=n.kernel,
                        stride=n.stride,
                        padding=n.padding,
                        groups=n.groups,
                        batchnorm=n.bn,
                        wbits=n.wbits or (spec.classifier_wbits if last else None) or wbits,
                        abits=None if last else (n.abits or abits),
                        per_channel=not last,
                        act_scale=act_scale,
                        act=n.act,
                    )
                )
            elif n.op == "add":
                adds[n.name] = ActQuant(n.abits or abits, act_scale, act=n.act)
        self.layers = nn.ModuleList(layers)
        self.adds = nn.ModuleDict(adds)

    def qlayers(self) -> list[QLayer]:
        return [m for m in self.layers if isinstance(m, QLayer)]

    def forward(self, x: Tensor) -> Tensor:
        s: Tensor | None = None
        if self.quantized:
            x = quantize_input(x, self.abits)
            s = torch.tensor(1.0 / (2**self.abits - 1))
        vals: dict[str, tuple[Tensor, Tensor | None]] = {INPUT: (x, s)}
        q = iter(self.qlayers())
        for n in self.nodes:
            h, s = vals[n.inputs[0]]
            if n.op in ("conv", "fc"):
                h, s = next(q)(h, s)
            elif n.op == "pool":
                h = pool_op(h, n.pool, n.size, s)
            elif n.op == "flatten":
                h = torch.flatten(h, 1)
            else:
                h = h + vals[n.inputs[1]][0]
                if s is None:
                    h = float_act(h, n.act)
                else:
                    aq = self._add_quant(n.name)
                    h = aq(h)
                    s = aq.scale()
            vals[n.name] = (h, s)
        return vals[self.nodes[-1].name][0]

    def _add_quant(self, name: str) -> ActQuant:
        aq = self.adds[name]
        assert isinstance(aq, ActQuant)
        return aq

    def fold_bn(self) -> None:
        """Fold each BN into its conv (w*g/sqrt(v+eps), (b-m)*g/sqrt(v+eps)+beta), then drop it."""
        with torch.no_grad():
            for layer in self.qlayers():
                bn = layer.bn
                if bn is None:
                    continue
                assert bn.running_var is not None and bn.running_mean is not None
                k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                layer.op.weight.mul_(k.reshape(-1, 1, 1, 1))
                b = layer.op.bias
                assert b is not None
                b.copy_((b - bn.running_mean) * k + bn.bias)
                layer.bn = None
        self.folded = True

    def drop_bn(self) -> None:
        """Remove BN modules without touching weights (to load a folded state dict)."""
        for layer in self.qlayers():
            layer.bn = None
        self.folded = True

    def enable_quant(self) -> None:
        if any(layer.bn is not None for layer in self.qlayers()):
            self.fold_bn()
        self.quantized = True


def _scales(net: QNet) -> dict[str, tuple[float, int, bool]]:
    """(scale, bits, signed) of every tensor of the quantized network, by node name."""
    out = {INPUT: (1.0 / (2**net.abits - 1), net.abits, False)}
    q = {ql.name: ql for ql in net.qlayers()}
    for n in net.nodes:
        a = q[n.name].act if n.op in ("conv", "fc") else None
        if n.op == "add":
            a = net._add_quant(n.name)
        if a is not None:
            out[n.name] = (float(a.scale().detach()), a.bits, a.signed)
        elif n.op in ("pool", "flatten"):
            out[n.name] = out[n.inputs[0]]
    return out


def export_intgraph(net: QNet, meta: dict[str, object] | None = None) -> IntGraph:
    """The integer graph of a fake-quantized :class:`QNet` (must have ``quantized`` set).

    A layer names its inputs only when it does not read the layer before it.
    """
    if not net.quantized:
        raise ConfigError("export needs a quantized network (call enable_quant and train)")
    scales = _scales(net)
    q = {ql.name: ql for ql in net.qlayers()}
    layers: list[Layer] = []
    prev = INPUT
    with torch.no_grad():
        for n in net.nodes:
            inputs = () if n.inputs == (prev,) else n.inputs
            if n.op in ("conv", "fc"):
                layers.append(_export_compute(q[n.name], n, scales[n.inputs[0]], inputs))
            elif n.op == "pool":
                layers.append(PoolLayer(n.name, n.pool, n.size, n.in_shape, n.out_shape, inputs))
            elif n.op == "flatten":
                layers.append(FlattenLayer(n.name, n.in_shape, n.out_shape, inputs))
            else:
                (sa, ba, ga), (sb, bb, gb) = (scales[i] for i in n.inputs)
                sy, by, _ = scales[n.name]
                layers.append(
                    make_add(
                        n.name, (n.inputs[0], n.inputs[1]), (sa / sy, sb / sy), by,
                        n.act != "none", in_bits=(ba, bb), in_signed=(ga, gb),
                        in_shape=n.in_shape, out_shape=n.out_shape, in_scales=(sa, sb),
                        out_scale=sy,
                    )
                )  # fmt: skip
            prev = n.name
    return IntGraph(
        layers=tuple(layers),
        input_shape=net.in_shape,
        input_bits=net.abits,
        classes=net.classes,
        meta=dict(meta or {}),
    )


def _export_compute(
    ql: QLayer, n: Node, src: tuple[float, int, bool], inputs: tuple[str, ...]
) -> ConvLayer | LinearLayer:
    s_in, in_bits, _ = src
    qmax = 2 ** (ql.wbits - 1) - 1
    # Same float32 arithmetic as the fake quantizer, so the integers match it.
    sw32 = weight_scale(ql.op.weight.detach(), ql.wbits, ql.per_channel)
    wq = torch.clamp(torch.round(ql.op.weight.detach() / sw32), -qmax, qmax)
    wint = wq.numpy().astype(np.int8)
    sw_out = np.broadcast_to(sw32.reshape(-1).double().numpy(), (wint.shape[0],)).copy()
    s_in32 = torch.tensor(s_in, dtype=torch.float32)
    bscale = (s_in32 * sw32.reshape(-1)).reshape(-1)
    b = ql.op.bias
    assert b is not None
    bint = torch.clamp(torch.round(b.detach() / bscale), -INT32_MAX, INT32_MAX)
    out_scale: float | None = None
    requant: Requant | None = None
    acc_scale = float(s_in32) * sw_out
    if ql.act is not None and ql.abits is not None:
        out_scale = float(ql.act.scale())
        requant = make_requant(acc_scale / out_scale, ql.abits, relu=not ql.act.signed)
    # what a convolution and a fully connected layer both carry
    common: dict[str, Any] = {
        "name": ql.name,
        "weight": wint,
        "bias": bint.numpy().astype(np.int32),
        "wbits": ql.wbits,
        "in_bits": in_bits,
        "requant": requant,
        "in_shape": n.in_shape,
        "out_shape": n.out_shape,
        "weight_scale": sw_out,
        "in_scale": float(s_in32),
        "out_scale": out_scale,
        "inputs": inputs,
    }
    if ql.kind == "conv":
        return ConvLayer(**common, stride=ql.stride, padding=ql.padding, groups=ql.groups)
    return LinearLayer(**common)
