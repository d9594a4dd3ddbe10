"""``from_torch``: an ``nn.Module`` as an rtmcim graph with its float weights.

The module is exported to ONNX in memory with torch's TorchScript-based exporter
(``torch.onnx.export(..., dynamo=False)``, opset 17, eval mode: batch norms are
folded by the exporter) and read by :func:`rtmcim.nn.onnx_import.import_onnx`, so
both sources accept exactly the same operators. (The torch.export-based exporter
needs ``onnxscript``, which rtmcim does not depend on.)
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from rtmcim.nn.onnx_import import ImportedModel, import_onnx

OPSET = 17


def from_torch(module: Any, example_input: Any, name: str | None = None) -> ImportedModel:
    """The graph and float weights of ``module`` traced on ``example_input`` (N, C, H, W).

    Train it like any model: ``train_model(from_torch(net, x), "fashion-mnist", 8, 8)``.
    """
    import torch

    was_training = module.training
    module.eval()
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
            torch.onnx.export(
                module,
                (example_input,),
                buf,  # type: ignore[arg-type]
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        module.train(was_training)
    return import_onnx(buf.getvalue(), name or type(module).__name__.lower())
