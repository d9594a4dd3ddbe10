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
from rtmcim.nn.intgraph import (
    ConvLayer,
    FlattenLayer,
    IntGraph,
    Layer,
    LinearLayer,
    PoolLayer,
    Requant,
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
    """Unsigned ``bits`` fake quantizer with one scale, after a ReLU."""

    initialized: Tensor

    def __init__(self, bits: int, mode: ActScale = "learned", momentum: float = 0.9) -> None:
        super().__init__()
        self.bits = bits
        self.mode: ActScale = mode
        self.momentum = momentum
        self.log_scale = nn.Parameter(torch.zeros(()), requires_grad=(mode == "learned"))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    @property
    def qmax(self) -> int:
        return int(2**self.bits - 1)

    def scale(self) -> Tensor:
        return torch.exp(self.log_scale)

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            with torch.no_grad():
                xd = x.detach()
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
        v = torch.clamp(x / s, 0.0, float(self.qmax))
        return _ste_round(v) * s


class QLayer(nn.Module):
    """One compute layer: conv or linear, [BN], [ReLU + activation quantizer], [pool]."""

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
        pool: str = "none",
        pool_size: int = 2,
        batchnorm: bool = False,
        wbits: int = 8,
        abits: int | None = 8,
        per_channel: bool = True,
        act_scale: ActScale = "learned",
    ) -> None:
        super().__init__()
        self.kind, self.name, self.per_channel = kind, name, per_channel
        self.stride, self.padding, self.pool, self.pool_size = stride, padding, pool, pool_size
        self.wbits, self.abits = wbits, abits
        self.op: nn.Conv2d | nn.Linear = (
            nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding)
            if kind == "conv"
            else nn.Linear(in_ch, out_ch)
        )
        self.bn: nn.BatchNorm2d | None = nn.BatchNorm2d(out_ch) if batchnorm else None
        self.act: ActQuant | None = ActQuant(abits, act_scale) if abits is not None else None

    def _linear_op(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        if self.kind == "conv":
            return F.conv2d(x, w, b, stride=self.stride, padding=self.padding)
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
            return self._pool(F.relu(y), None), None
        if self.bn is not None:
            raise ConfigError(f"layer {self.name}: fold batch-norm before quantizing")
        wq, sw = fake_quant_weight(w, self.wbits, self.per_channel)
        bscale = (s_in.detach() * sw.detach()).reshape(-1)
        bq = torch.clamp(_ste_round(b / bscale), -INT32_MAX, INT32_MAX) * bscale
        y = self._linear_op(x, wq, bq)
        if self.act is None:
            return y, None
        y = self.act(y)
        s_out = self.act.scale()
        return self._pool(y, s_out), s_out

    def _pool(self, y: Tensor, s: Tensor | None) -> Tensor:
        if self.pool == "max":
            return F.max_pool2d(y, self.pool_size)
        if self.pool == "avg":
            a = F.avg_pool2d(y, self.pool_size)
            if s is None:
                return a
            # On the integer grid: (sum + n//2) // n, as the integer graph does.
            n = self.pool_size * self.pool_size
            sd = s.detach()
            total = torch.round(a.detach() / sd * n)
            exact = torch.floor((total + n // 2) / n) * sd
            return a + (exact - a).detach()
        return y


class QNet(nn.Module):
    """A CNN built from a :class:`NetSpec`, runnable as float or fake-quantized network."""

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
        check_bits(wbits, abits)
        self.spec, self.in_shape, self.classes = spec, in_shape, classes
        self.wbits, self.abits = wbits, abits
        self.quantized = self.folded = False
        self.shapes = check_shapes(spec, in_shape, classes)
        layers: list[QLayer] = []
        geometry = {"kernel", "stride", "padding", "pool", "pool_size"}
        for i, (b, sh) in enumerate(zip(spec.conv, self.shapes, strict=False)):
            layers.append(
                QLayer(
                    "conv",
                    f"conv{i}",
                    sh.in_shape[0],
                    b.channels,
                    **b.model_dump(include=geometry),
                    batchnorm=spec.batchnorm,
                    wbits=b.wbits or wbits,
                    abits=b.abits or abits,
                    act_scale=act_scale,
                )
            )
        fc_shapes = self.shapes[len(spec.conv) :]
        for i, (f, sh) in enumerate(zip(spec.fc, fc_shapes, strict=False)):
            layers.append(
                QLayer(
                    "fc",
                    f"fc{i}",
                    sh.in_shape[0],
                    f.units,
                    wbits=f.wbits or wbits,
                    abits=f.abits or abits,
                    act_scale=act_scale,
                )
            )
        last = self.shapes[-1]
        layers.append(
            QLayer(
                "fc",
                "classifier",
                last.in_shape[0],
                classes,
                wbits=spec.classifier_wbits or wbits,
                abits=None,
                per_channel=False,
            )
        )
        self.layers = nn.ModuleList(layers)

    def qlayers(self) -> list[QLayer]:
        return [m for m in self.layers if isinstance(m, QLayer)]

    def forward(self, x: Tensor) -> Tensor:
        s: Tensor | None = None
        if self.quantized:
            x = quantize_input(x, self.abits)
            s = torch.tensor(1.0 / (2**self.abits - 1))
        for layer in self.qlayers():
            if layer.kind == "fc" and x.dim() > 2:
                x = torch.flatten(x, 1)
            x, s = layer(x, s)
        return x

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


def export_intgraph(net: QNet, meta: dict[str, object] | None = None) -> IntGraph:
    """The integer graph of a fake-quantized :class:`QNet` (must have ``quantized`` set)."""
    if not net.quantized:
        raise ConfigError("export needs a quantized network (call enable_quant and train)")
    c, h, w = net.in_shape
    layers: list[Layer] = []
    s_in = 1.0 / (2**net.abits - 1)
    in_bits = net.abits
    shape: tuple[int, ...] = (c, h, w)
    with torch.no_grad():
        for ql, sh in zip(net.qlayers(), net.shapes, strict=True):
            if ql.kind == "fc" and len(shape) > 1:
                flat = (int(np.prod(shape)),)
                layers.append(
                    FlattenLayer(name=f"flatten_{ql.name}", in_shape=shape, out_shape=flat)
                )
                shape = flat
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
            bias = bint.numpy().astype(np.int32)
            out_scale: float | None = None
            requant: Requant | None = None
            out_bits = ql.abits
            acc_scale = float(s_in32) * sw_out
            if ql.act is not None and out_bits is not None:
                out_scale = float(ql.act.scale())
                requant = make_requant(acc_scale / out_scale, out_bits, relu=True)
            # what a convolution and a fully connected layer both carry
            common: dict[str, Any] = {
                "name": ql.name,
                "weight": wint,
                "bias": bias,
                "wbits": ql.wbits,
                "in_bits": in_bits,
                "requant": requant,
                "in_shape": shape,
                "weight_scale": sw_out,
                "in_scale": float(s_in32),
                "out_scale": out_scale,
            }
            if ql.kind == "conv":
                oc, oh, ow = sh.out_shape
                conv = ConvLayer(
                    **common, stride=ql.stride, padding=ql.padding, out_shape=(oc, oh, ow)
                )
                layers.append(conv)
                shape = (oc, oh, ow)
                if ql.pool != "none":
                    ph, pw = sh.pooled_shape[1:]
                    pooled = (oc, ph, pw)
                    layers.append(
                        PoolLayer(f"{ql.name}_pool", ql.pool, ql.pool_size, shape, pooled)
                    )
                    shape = pooled
            else:
                layers.append(LinearLayer(**common, out_shape=sh.out_shape))
                shape = sh.out_shape
            if out_scale is not None and out_bits is not None:
                s_in = out_scale
                in_bits = out_bits
    return IntGraph(
        layers=tuple(layers),
        input_shape=(c, h, w),
        input_bits=net.abits,
        classes=net.classes,
        meta=dict(meta or {}),
    )
