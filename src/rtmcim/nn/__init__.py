"""Layer ``nn``: data sets, model zoo and specs, QAT, training with cache, integer graphs.

Numpy-only parts (specs, data loading, integer graphs and the integer reference
executor) import without torch; the torch parts (:func:`train_model`,
:func:`load_trained`, :class:`QNet`, :func:`export_intgraph`) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from rtmcim.nn.data import BUILTIN, Dataset, DatasetInfo, load_dataset
from rtmcim.nn.intgraph import (
    FORMAT_VERSION,
    ConvLayer,
    FlattenLayer,
    IntGraph,
    LinearLayer,
    PoolLayer,
    Requant,
    load_intgraph,
    save_intgraph,
)
from rtmcim.nn.reference import ReferenceResult, run_reference
from rtmcim.nn.spec import NetSpec, check_bits, check_shapes, load_spec, parse_spec
from rtmcim.nn.zoo import resolve_spec, zoo_names, zoo_spec

_LAZY = {
    "train_model": "rtmcim.nn.train",
    "load_trained": "rtmcim.nn.train",
    "save_trained": "rtmcim.nn.train",
    "TrainedModel": "rtmcim.nn.train",
    "TrainConfig": "rtmcim.nn.train",
    "TrainEvent": "rtmcim.nn.train",
    "cache_root": "rtmcim.nn.train",
    "QNet": "rtmcim.nn.quant",
    "export_intgraph": "rtmcim.nn.quant",
    "from_torch": "rtmcim.nn.torch_import",
    "import_onnx": "rtmcim.nn.onnx_import",
    "ImportedModel": "rtmcim.nn.onnx_import",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rtmcim.nn' has no attribute {name!r}")


__all__ = [
    "BUILTIN",
    "FORMAT_VERSION",
    "ConvLayer",
    "Dataset",
    "DatasetInfo",
    "FlattenLayer",
    "ImportedModel",
    "IntGraph",
    "LinearLayer",
    "NetSpec",
    "PoolLayer",
    "QNet",
    "ReferenceResult",
    "Requant",
    "TrainConfig",
    "TrainEvent",
    "TrainedModel",
    "cache_root",
    "check_bits",
    "check_shapes",
    "export_intgraph",
    "from_torch",
    "import_onnx",
    "load_dataset",
    "load_intgraph",
    "load_spec",
    "load_trained",
    "parse_spec",
    "resolve_spec",
    "run_reference",
    "save_intgraph",
    "save_trained",
    "train_model",
    "zoo_names",
    "zoo_spec",
]
