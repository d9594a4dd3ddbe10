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

from pydantic import Discriminator, Field, Tag, field_validator

from rtmcim import yamlio
from rtmcim.config import UNION_TAGS, Frozen, validate
from rtmcim.errors import ConfigError

MIN_BITS = 2
MAX_BITS = 8

Bits = Annotated[int, Field(ge=MIN_BITS, le=MAX_BITS)]
"""A QAT bit width: 2..8."""


class ConvBlock(Frozen):
    """conv(kernel, stride, padding, groups) -> [BN] -> ReLU -> quantize -> [pool]."""

    channels: int = Field(ge=1, le=4096)
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(default=1, ge=1, le=8)
    padding: int = Field(default=0, ge=0, le=8)
    groups: int = Field(default=1, ge=1, le=4096)
    pool: Literal["none", "max", "avg"] = "none"
    pool_size: int = Field(default=2, ge=1, le=8)
    wbits: Bits | None = None
    abits: Bits | None = None


class ResidualBlock(Frozen):
    """A ResNet stage: ``depth`` basic blocks of ``channels``, the first with ``stride``.

    Basic block (He et al. 2016): conv k x k (stride) -> [BN] -> ReLU -> conv k x k -> [BN],
    plus the shortcut (identity, or a 1x1 conv of that stride when the shape changes:
    option B), added, then ReLU.
    """

    block: Literal["residual"]
    channels: int = Field(ge=1, le=4096)
    depth: int = Field(default=1, ge=1, le=32)
    stride: int = Field(default=1, ge=1, le=4)
    kernel: int = Field(default=3, ge=1, le=7)
    wbits: Bits | None = None
    abits: Bits | None = None


class SeparableBlock(Frozen):
    """A depthwise-separable block (Howard et al. 2017): depthwise k x k (stride) -> [BN]
    -> act -> pointwise 1x1 to ``channels`` -> [BN] -> act (the net's ``activation``)."""

    block: Literal["separable"]
    channels: int = Field(ge=1, le=4096)
    kernel: int = Field(default=3, ge=1, le=7)
    stride: int = Field(default=1, ge=1, le=4)
    wbits: Bits | None = None
    abits: Bits | None = None


class GraphNode(Frozen):
    """One node of an explicit ``graph:`` (see :mod:`rtmcim.nn.graphspec` for the ops)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    op: Literal["conv", "fc", "add", "maxpool", "avgpool", "gap", "flatten"]
    inputs: tuple[str, ...] = ()
    channels: int | None = Field(default=None, ge=1, le=4096)
    units: int | None = Field(default=None, ge=1, le=65536)
    kernel: int = Field(default=1, ge=1, le=15)
    stride: int = Field(default=1, ge=1, le=8)
    padding: int = Field(default=0, ge=0, le=8)
    groups: int = Field(default=1, ge=1, le=4096)
    bn: bool = False
    act: Literal["none", "relu", "relu6"] = "none"
    size: int = Field(default=2, ge=1, le=64)
    wbits: Bits | None = None
    abits: Bits | None = None


def _block_tag(v: Any) -> str:
    block = v.get("block", "conv") if isinstance(v, dict) else getattr(v, "block", "conv")
    return str(block)


AnyBlock = Annotated[
    Annotated[ConvBlock, Tag("conv")]
    | Annotated[ResidualBlock, Tag("residual")]
    | Annotated[SeparableBlock, Tag("separable")],
    Discriminator(
        _block_tag,
        custom_error_type="unknown_block",
        custom_error_message="unknown block (allowed: residual, separable, or no block: a conv)",
    ),
]
UNION_TAGS.update({"conv", "residual", "separable"})


class FCBlock(Frozen):
    """A hidden fully connected layer -> ReLU -> quantize."""

    units: int = Field(ge=1, le=65536)
    wbits: Bits | None = None
    abits: Bits | None = None


class NetSpec(Frozen):
    """A CNN: conv blocks, hidden FC layers, and an implied classifier."""

    name: str = Field(default="cnn", min_length=1, max_length=64)
    conv: tuple[AnyBlock, ...] = ()
    fc: tuple[FCBlock, ...] = ()
    batchnorm: bool = False
    classifier_wbits: Bits | None = None
    # added with graph networks; left out of the canonical form at their defaults so that
    # the specs written before them keep their hash (and their trained-model cache entries)
    global_pool: Literal["none", "avg"] = "none"
    activation: Literal["relu", "relu6"] = "relu"
    graph: tuple[GraphNode, ...] = ()

    @field_validator("fc", mode="before")
    @classmethod
    def _ints_to_blocks(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return tuple(
                {"units": x} if isinstance(x, int) and not isinstance(x, bool) else x for x in v
            )
        return v

    def canonical(self) -> dict[str, Any]:
        """Plain data with every default filled in (what the hash covers), except the fields
        added with graph networks, which appear only when set."""
        data = self.model_dump(mode="json")
        for k, default in _LATER_NET_FIELDS.items():
            if data[k] == default:
                del data[k]
        for block in data["conv"]:
            if "block" not in block and block["groups"] == 1:
                del block["groups"]
        return data

    def content_hash(self) -> str:
        return content_hash(self.canonical())

    def to_yaml(self) -> str:
        return yamlio.dumps(self.canonical())


_LATER_NET_FIELDS: dict[str, Any] = {"global_pool": "none", "activation": "relu", "graph": []}


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
    """Walk the spec over ``(C, H, W)``; raise ConfigError naming the first field that breaks.

    One :class:`LayerShape` per compute node (conv or fc, in execution order).
    """
    from rtmcim.nn.blocks import spec_nodes

    nodes = spec_nodes(spec, in_shape, classes)
    pooled = {n.inputs[0]: n.out_shape for n in nodes if n.op == "pool"}
    return [
        LayerShape(
            kind="conv" if n.op == "conv" else "fc",
            field=n.key,
            in_shape=n.in_shape,
            out_shape=n.out_shape,
            pooled_shape=pooled.get(n.name, n.out_shape),
        )
        for n in nodes
        if n.is_compute
    ]
