"""CNN specifications: plain data (YAML or dict), validated, hashable.

A spec describes a plain feed-forward CNN::

    name: my-cnn
    batchnorm: false          # BN after each conv (folded into the conv before QAT)
    conv:                     # conv -> [BN] -> ReLU -> quantize -> [pool]
      - {channels: 6, kernel: 5, padding: 2, pool: max}
      - {channels: 16, kernel: 5, pool: max, wbits: 4}   # per-layer bit widths
    fc: [120, 84]             # hidden fully connected widths (ints or {units, wbits, abits})

The classifier (last fully connected layer, one output per class) is implied;
its input channels and number of classes come from the data set. Bit widths
given in a block override the network's ``wbits``/``abits`` for that layer
(``abits`` is the width of the layer's output activations).

:meth:`NetSpec.content_hash` is the sha256 of the canonical JSON of the spec:
stable across runs, processes and machines. :func:`check_shapes` walks the
spec over an input shape and raises :class:`~rtmcim.errors.ConfigError` naming
the field (``conv.1.kernel``) when a kernel does not fit or pooling makes a
dimension vanish.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from rtmcim import yamlio
from rtmcim.config import Frozen, validate
from rtmcim.errors import ConfigError

MIN_BITS = 2
MAX_BITS = 8

Bits = Annotated[int, Field(ge=MIN_BITS, le=MAX_BITS)]
"""A QAT bit width: 2..8."""


class ConvBlock(Frozen):
    """conv(kernel, stride, padding) -> [BN] -> ReLU -> quantize -> [pool]."""

    channels: int = Field(ge=1, le=4096)
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(default=1, ge=1, le=8)
    padding: int = Field(default=0, ge=0, le=8)
    pool: Literal["none", "max", "avg"] = "none"
    pool_size: int = Field(default=2, ge=1, le=8)
    wbits: Bits | None = None
    abits: Bits | None = None


class FCBlock(Frozen):
    """A hidden fully connected layer -> ReLU -> quantize."""

    units: int = Field(ge=1, le=65536)
    wbits: Bits | None = None
    abits: Bits | None = None


class NetSpec(Frozen):
    """A CNN: conv blocks, hidden FC layers, and an implied classifier."""

    name: str = Field(default="cnn", min_length=1, max_length=64)
    conv: tuple[ConvBlock, ...] = ()
    fc: tuple[FCBlock, ...] = ()
    batchnorm: bool = False
    classifier_wbits: Bits | None = None

    @field_validator("fc", mode="before")
    @classmethod
    def _ints_to_blocks(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return tuple(
                {"units": x} if isinstance(x, int) and not isinstance(x, bool) else x for x in v
            )
        return v

    def canonical(self) -> dict[str, Any]:
        """Plain data with every default filled in (what the hash covers)."""
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        return content_hash(self.canonical())

    def to_yaml(self) -> str:
        return yamlio.dumps(self.canonical())


class LayerShape(Frozen):
    """Shape bookkeeping of one compute layer (for building and exporting)."""

    kind: Literal["conv", "fc"]
    field: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    pooled_shape: tuple[int, ...]


def content_hash(data: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no spaces): stable everywhere."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_spec(data: Any, source: str | None = None) -> NetSpec:
    """Validate plain data as a NetSpec (one-line ConfigError on the first problem)."""
    return validate(NetSpec, data, source)


def load_spec(path: str | Path) -> NetSpec:
    return parse_spec(yamlio.load(path), str(path))


def check_bits(wbits: Any, abits: Any) -> tuple[int, int]:
    """Validate network-wide QAT bit widths (2..8) with one-line errors naming the field."""
    for key, v in (("wbits", wbits), ("abits", abits)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError("bit width must be an integer", key=key, value=v, allowed="2..8")
        if not MIN_BITS <= v <= MAX_BITS:
            raise ConfigError(
                "bit width out of range for QAT",
                key=key,
                value=v,
                allowed=f"{MIN_BITS}..{MAX_BITS}",
            )
    return int(wbits), int(abits)


def check_shapes(spec: NetSpec, in_shape: tuple[int, int, int], classes: int) -> list[LayerShape]:
    """Walk the spec over ``(C, H, W)``; raise ConfigError naming the first field that breaks."""
    c, h, w = in_shape
    out: list[LayerShape] = []
    for i, b in enumerate(spec.conv):
        hp, wp = h + 2 * b.padding, w + 2 * b.padding
        if b.kernel > min(hp, wp):
            raise ConfigError(
                "kernel larger than the layer input",
                key=f"conv.{i}.kernel",
                value=b.kernel,
                allowed=f"<= {min(hp, wp)} (input {h}x{w} with padding {b.padding})",
            )
        oh = (hp - b.kernel) // b.stride + 1
        ow = (wp - b.kernel) // b.stride + 1
        ph, pw = oh, ow
        if b.pool != "none":
            ph, pw = oh // b.pool_size, ow // b.pool_size
            if ph < 1 or pw < 1:
                raise ConfigError(
                    f"pooling makes a dimension vanish (conv output {oh}x{ow})",
                    key=f"conv.{i}.pool_size",
                    value=b.pool_size,
                    allowed=f"<= {min(oh, ow)}, or pool: none",
                )
        out.append(
            LayerShape(
                kind="conv",
                field=f"conv.{i}",
                in_shape=(c, h, w),
                out_shape=(b.channels, oh, ow),
                pooled_shape=(b.channels, ph, pw),
            )
        )
        c, h, w = b.channels, ph, pw
    features = c * h * w
    for i, f in enumerate(spec.fc):
        out.append(
            LayerShape(
                kind="fc",
                field=f"fc.{i}",
                in_shape=(features,),
                out_shape=(f.units,),
                pooled_shape=(f.units,),
            )
        )
        features = f.units
    out.append(
        LayerShape(
            kind="fc",
            field="classifier",
            in_shape=(features,),
            out_shape=(classes,),
            pooled_shape=(classes,),
        )
    )
    return out
