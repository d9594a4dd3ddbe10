"""Float ONNX models (opset 13+) as rtmcim graphs: a spec with an explicit ``graph:`` plus the
model's float weights, which QAT then fine-tunes (:func:`rtmcim.nn.train.train_model`).

Supported ONNX operators and what they become (:mod:`rtmcim.nn.graphspec`):

=====================  ==========================================================
``Conv``               conv (square kernel, equal strides and pads, any group,
                       no dilation); a following ``BatchNormalization`` is folded
                       into it, a following ``Relu`` / ``Clip(0, 6)`` is its act
``Gemm``, ``MatMul``   fc (``MatMul`` + ``Add`` of a constant: fc with bias)
``Add``                residual add of two tensors (then ``Relu``: its act)
``MaxPool``,           pool with window = stride, no padding
``AveragePool``
``GlobalAveragePool``  global average pool
``Flatten``,           flatten (``Reshape`` only to ``(N, -1)``)
``Reshape``
``Relu``, ``Clip``     folded into the producer's requantization
``Identity``,          nothing
``Dropout``
``Softmax``,           nothing, as the last node (the argmax is the same)
``LogSoftmax``
=====================  ==========================================================

Anything else is a :class:`~rtmcim.errors.ConfigError` naming the node, its type and this
list; a file that is not ONNX is a :class:`~rtmcim.errors.DataError`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rtmcim.errors import ConfigError, DataError
from rtmcim.nn.spec import NetSpec, parse_spec

SUPPORTED = (
    "Conv", "BatchNormalization", "Gemm", "MatMul", "Add", "Relu", "Clip", "MaxPool",
    "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Identity", "Dropout",
    "Softmax", "LogSoftmax",
)  # fmt: skip
MIN_OPSET = 13


@dataclass(frozen=True)
class ImportedModel:
    """A model read from ONNX or torch: its graph spec, float weights and provenance."""

    spec: NetSpec
    weights: dict[str, tuple[np.ndarray, np.ndarray]]  # node name -> (weight, bias), BN folded
    in_shape: tuple[int, int, int]
    classes: int
    sha256: str  # of the weights and the spec: part of the training cache key

    def load_into(self, net: Any) -> None:
        """Copy the float weights into a :class:`~rtmcim.nn.quant.QNet` built from ``spec``."""
        import torch

        with torch.no_grad():
            for ql in net.qlayers():
                w, b = self.weights[ql.name]
                if tuple(ql.op.weight.shape) != w.shape:
                    raise ConfigError(
                        f"node {ql.name}: weight shape {list(w.shape)} does not fit the "
                        f"network's {list(ql.op.weight.shape)}",
                        key=f"model.{ql.name}",
                    )
                ql.op.weight.copy_(torch.from_numpy(w.astype(np.float32)))
                ql.op.bias.copy_(torch.from_numpy(b.astype(np.float32)))


def import_onnx(source: str | Path | bytes, name: str | None = None) -> ImportedModel:
    """Read an ONNX model (a path or its bytes) into an :class:`ImportedModel`."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:  # pragma: no cover - the extra is installed in dev
        raise ConfigError(
            "reading ONNX needs the onnx package", hint="pip install 'rtmcim[onnx]'"
        ) from exc
    where = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        model = onnx.load_from_string(raw)
    except FileNotFoundError as exc:
        raise DataError("ONNX file not found", source=where) from exc
    except Exception as exc:  # protobuf raises its own DecodeError, among others
        raise DataError(
            f"not an ONNX model ({type(exc).__name__})", source=where, hint="expected a .onnx file"
        ) from exc
    if not model.graph.node or not model.graph.input:
        raise DataError("not an ONNX model (no graph)", source=where)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < MIN_OPSET:
        raise ConfigError(
            "ONNX opset too old", key="opset", value=opset, allowed=f">= {MIN_OPSET}", source=where
        )
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    graph_in = next(i for i in model.graph.input if i.name not in consts)
    dims = [d.dim_value for d in graph_in.type.tensor_type.shape.dim]
    if len(dims) != 4 or not all(dims[1:]):
        raise ConfigError(
            "the model's input must be (N, C, H, W) images", key="input", value=dims, source=where
        )
    nodes = [n for n in model.graph.node if n.op_type != "Constant"]
    b = _Builder(consts, graph_in.name, where, Counter(t for n in nodes for t in n.input))
    for i, n in enumerate(nodes):
        b.node(n, i, last=i == len(nodes) - 1)
    spec = parse_spec({"name": name or (Path(where).stem if where != "<bytes>" else "onnx"),
                       "graph": b.graph}, where)  # fmt: skip
    digest = hashlib.sha256(raw).hexdigest()
    classes = int(b.graph[-1]["units"]) if b.graph and b.graph[-1]["op"] == "fc" else 0
    return ImportedModel(spec, b.weights, (dims[1], dims[2], dims[3]), classes, digest)


def _attrs(n: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


class _Builder:
    """Walks the ONNX nodes in order, fusing BN and activations into their producers."""

    def __init__(
        self, consts: dict[str, np.ndarray], image: str, where: str, uses: Counter[str]
    ) -> None:
        self.consts, self.where, self.uses = consts, where, uses
        self.graph: list[dict[str, Any]] = []
        self.weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.tensor: dict[str, str] = {image: "input"}  # ONNX tensor -> our node name
        self.by_name: dict[str, dict[str, Any]] = {}

    def refuse(self, n: Any, why: str) -> ConfigError:
        return ConfigError(
            f"ONNX node {n.name or n.output[0]!r} of type {n.op_type}: {why}",
            key="model",
            allowed=", ".join(SUPPORTED),
            source=self.where,
        )

    def src(self, n: Any, t: str) -> str:
        if t not in self.tensor:
            raise self.refuse(n, f"reads {t!r}, which no supported node produced")
        return self.tensor[t]

    def emit(self, n: Any, i: int, entry: dict[str, Any]) -> None:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", (n.name or f"{n.op_type}{i}").strip("/"))
        name = base[:56] or f"n{i}"
        while name in self.by_name or name == "input":
            name = f"{name}_{i}"
        entry["name"] = name
        self.graph.append(entry)
        self.by_name[name] = entry
        self.tensor[n.output[0]] = name

    def alias(self, n: Any) -> None:
        self.tensor[n.output[0]] = self.src(n, n.input[0])

    def producer(self, n: Any) -> dict[str, Any]:
        return self.by_name[self.src(n, n.input[0])]

    def node(self, n: Any, i: int, last: bool) -> None:
        op, a = n.op_type, _attrs(n)
        if op not in SUPPORTED:
            raise self.refuse(n, "unsupported operator")
        if op in ("Identity", "Dropout") or (op in ("Softmax", "LogSoftmax") and last):
            return self.alias(n)
        if op == "Conv":
            return self.conv(n, i, a)
        if op in ("Gemm", "MatMul"):
            return self.fc(n, i, a)
        if op == "BatchNormalization":
            return self.batchnorm(n)
        if op in ("Relu", "Clip"):
            return self.activation(n, op)
        if op == "Add":
            return self.add(n, i)
        if op in ("MaxPool", "AveragePool"):
            k, s = a.get("kernel_shape", [1]), a.get("strides", [1])
            pads = a.get("pads", [0])
            if len(set(k)) != 1 or list(s) != list(k) or any(pads) or a.get("ceil_mode", 0):
                raise self.refuse(n, "only square windows with stride = window, no padding")
            kind = "maxpool" if op == "MaxPool" else "avgpool"
            entry = {"op": kind, "size": int(k[0]), "inputs": [self.src(n, n.input[0])]}
            return self.emit(n, i, entry)
        if op == "GlobalAveragePool":
            return self.emit(n, i, {"op": "gap", "inputs": [self.src(n, n.input[0])]})
        if op == "Reshape":
            shape = self.consts.get(n.input[1])
            if shape is None or shape.size != 2:
                raise self.refuse(n, "only a reshape to (N, -1) (a flatten) is supported")
        elif a.get("axis", 1) != 1:  # Flatten
            raise self.refuse(n, "only flatten from axis 1")
        return self.emit(n, i, {"op": "flatten", "inputs": [self.src(n, n.input[0])]})

    def conv(self, n: Any, i: int, a: dict[str, Any]) -> None:
        w = self.consts.get(n.input[1])
        if w is None:
            raise self.refuse(n, "the weight must be a constant")
        k, s = list(a.get("kernel_shape", w.shape[2:])), list(a.get("strides", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(set(k)) != 1 or len(set(s)) != 1 or len(set(pads)) != 1:
            raise self.refuse(n, "only square kernels, equal strides and equal pads")
        if any(d != 1 for d in a.get("dilations", [1, 1])) or a.get("auto_pad", b"NOTSET") not in (
            b"NOTSET",
            "NOTSET",
        ):
            raise self.refuse(n, "no dilation and no auto_pad")
        bias = self.consts[n.input[2]] if len(n.input) > 2 and n.input[2] else np.zeros(w.shape[0])
        entry: dict[str, Any] = {
            "op": "conv", "channels": int(w.shape[0]), "kernel": int(k[0]), "stride": int(s[0]),
            "padding": int(pads[0]), "groups": int(a.get("group", 1)), "act": "none",
            "inputs": [self.src(n, n.input[0])],
        }  # fmt: skip
        self.emit(n, i, entry)
        self.weights[entry["name"]] = (w.astype(np.float64), bias.astype(np.float64))

    def fc(self, n: Any, i: int, a: dict[str, Any]) -> None:
        w = self.consts.get(n.input[1])
        if w is None or w.ndim != 2:
            raise self.refuse(n, "the weight must be a 2-D constant")
        if n.op_type == "MatMul" or not a.get("transB", 0):
            w = w.T  # (in, out) -> (out, in)
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise self.refuse(n, "only Gemm with alpha = beta = 1 and no transA")
        bias = self.consts[n.input[2]] if len(n.input) > 2 and n.input[2] else np.zeros(w.shape[0])
        entry: dict[str, Any] = {"op": "fc", "units": int(w.shape[0]), "act": "none",
                 "inputs": [self.src(n, n.input[0])]}  # fmt: skip
        self.emit(n, i, entry)
        self.weights[entry["name"]] = (w.astype(np.float64), np.broadcast_to(bias, w.shape[:1]))

    def batchnorm(self, n: Any) -> None:
        p = self.producer(n)
        if p["op"] != "conv" or p["act"] != "none" or self.uses[n.input[0]] > 1:
            raise self.refuse(n, "batch norm must follow a conv (it is folded into it)")
        g, beta, mean, var = (self.consts[t] for t in n.input[1:5])
        k = g / np.sqrt(var + _attrs(n).get("epsilon", 1e-5))
        w, b = self.weights[p["name"]]
        self.weights[p["name"]] = (w * k.reshape(-1, 1, 1, 1), (b - mean) * k + beta)
        self.alias(n)

    def activation(self, n: Any, op: str) -> None:
        p = self.producer(n)
        act = "relu"
        if op == "Clip":
            lo = self.consts.get(n.input[1]) if len(n.input) > 1 and n.input[1] else None
            hi = self.consts.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
            if lo is None or hi is None or float(lo) != 0.0 or float(hi) != 6.0:
                raise self.refuse(n, "only Clip(0, 6) (ReLU6) is supported")
            act = "relu6"
        if p["op"] not in ("conv", "fc", "add") or p["act"] != "none":
            raise self.refuse(n, "an activation must follow a conv, fc or add")
        if self.uses[n.input[0]] > 1:  # it is folded into its producer's requantization
            raise self.refuse(n, "the tensor before the activation is also read elsewhere")
        p["act"] = act
        self.alias(n)

    def add(self, n: Any, i: int) -> None:
        a, b = n.input[0], n.input[1]
        if a in self.consts or b in self.consts:  # MatMul + Add: the fc's bias
            const, t = (self.consts[b], a) if b in self.consts else (self.consts[a], b)
            p = self.by_name[self.src(n, t)]
            if p["op"] != "fc" or p["act"] != "none" or self.uses[t] > 1:
                raise self.refuse(n, "adding a constant is only supported as an fc's bias")
            w, bias = self.weights[p["name"]]
            self.weights[p["name"]] = (w, bias + const.reshape(-1))
            self.tensor[n.output[0]] = p["name"]
            return
        entry = {"op": "add", "act": "none", "inputs": [self.src(n, a), self.src(n, b)]}
        self.emit(n, i, entry)
