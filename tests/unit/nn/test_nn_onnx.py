"""ONNX and torch import: a torch model with a residual add, a depthwise conv and global
pooling exported to ONNX here, imported, trained, evaluated; bad files and operators."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from rtmcim.errors import ConfigError, DataError
from rtmcim.mapping import evaluate_workload, load_arch
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.data import Dataset
from rtmcim.nn.onnx_import import import_onnx
from rtmcim.nn.reference import run_reference
from rtmcim.nn.torch_import import from_torch

onnx = pytest.importorskip("onnx")


class Tiny(nn.Module):
    """conv+BN+ReLU -> depthwise 3x3 stride 2 + ReLU6 -> pointwise -> add (projection) + ReLU
    -> global average pool -> fc."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 16, 1)
        self.proj = nn.Conv2d(8, 16, 1, stride=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn(self.stem(x)))
        y = self.pw(torch.clamp(self.dw(h), 0.0, 6.0))
        h = torch.relu(y + self.proj(h))
        h = nn.functional.adaptive_avg_pool2d(h, 1)
        return self.fc(torch.flatten(h, 1))


def export(module: nn.Module, path: Path) -> Path:
    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.rand(1, 1, 28, 28),), str(path), opset_version=17,
                          dynamo=False)  # fmt: skip
    return path


def torch_macs_per_module(module: nn.Module) -> dict[str, int]:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module.eval()(torch.rand(1, 1, 28, 28))
    counts = counter.get_flop_counts()
    return {
        name.split(".")[-1]: int(sum(v.values())) // 2
        for name, v in counts.items()
        if name.count(".") == 1
    }


def test_onnx_model_imports_trains_and_keeps_its_macs(digits: Dataset, tmp_path: Path) -> None:
    from rtmcim.nn.train import train_model

    torch.manual_seed(0)
    model = Tiny()
    path = export(model, tmp_path / "tiny.onnx")
    imported = import_onnx(path)
    ops = [g.op for g in imported.spec.graph]
    assert ops == ["conv", "conv", "conv", "conv", "add", "gap", "flatten", "fc"]
    acts = {g.name: g.act for g in imported.spec.graph}
    assert sorted(acts.values()) == ["none"] * 5 + ["relu", "relu", "relu6"]
    tm = train_model(
        path, digits, 8, 8, epochs=1, qat_epochs=1, batch_size=64, cache_dir=tmp_path / "c"
    )
    assert tm.agreement >= 0.97  # the integer graph against the fake-quantized torch net
    assert [h["phase"] for h in tm.history] == ["float", "qat"]  # one epoch each
    ev = evaluate_workload(workload_from_graph(tm.graph), load_arch("default"))
    ours = {lc.name.split("_")[0]: lc.macs for lc in ev.layers if lc.macs}
    assert ours == torch_macs_per_module(model)
    x = tm.graph.quantize_input(digits.x_test[:16])
    from rtmcim.engine import run_engine

    eng = run_engine(tm.graph, x, multiplier="booth_r4", adder="ripple_carry")
    assert np.array_equal(eng.logits, run_reference(tm.graph, x).logits)


def test_an_onnx_file_through_the_cli_lists_every_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rtmcim evaluate --model file.onnx`: one row per node, the depthwise conv and the add
    named by kind (the CLI once refused an ONNX file as a spec that is not UTF-8 text)."""
    import json

    from rtmcim.cli.main import main

    torch.manual_seed(0)
    path = export(Tiny(), tmp_path / "tiny.onnx")
    argv = ["evaluate", "--model", str(path), "--dataset", "digits", "--epochs", "1",
            "--cache-dir", str(tmp_path / "c"), "--no-progress", "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    assert [(r["layer"], r["kind"]) for r in rows] == [
        ("stem_Conv", "conv"), ("dw_Conv", "depthwise"), ("pw_Conv", "conv"),
        ("proj_Conv", "conv"), ("Add", "add"), ("GlobalAveragePool", "pool"), ("fc_Gemm", "fc"),
    ]  # fmt: skip
    assert rows[1]["MACs"] == 8 * 14 * 14 * 9  # one 3x3 filter per channel, stride 2


def test_from_torch_equals_the_onnx_file(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = Tiny()
    a = from_torch(model, torch.rand(1, 1, 28, 28))
    b = import_onnx(export(model, tmp_path / "t.onnx"))
    assert [g.op for g in a.spec.graph] == [g.op for g in b.spec.graph]
    for (ka, (wa, ba)), (kb, (wb, bb)) in zip(
        sorted(a.weights.items()), sorted(b.weights.items()), strict=True
    ):
        assert ka == kb and np.allclose(wa, wb) and np.allclose(ba, bb)
    # the float graph of the imported weights computes what torch computes
    from rtmcim.nn.quant import QNet

    net = QNet(a.spec, (1, 28, 28), 10).eval()
    a.load_into(net)
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(net(x), model.eval()(x), atol=1e-4)


class Sigmoidal(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(torch.sigmoid(self.c(x)), 1))


def test_unsupported_node_and_not_onnx_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        from_torch(Sigmoidal(), torch.rand(1, 1, 28, 28))
    msg = str(exc.value)
    assert "Sigmoid" in msg and "unsupported operator" in msg and "Conv, " in msg
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf \x00\xff" * 10)
    with pytest.raises(DataError, match="not an ONNX model"):
        import_onnx(bad)
    sig = export(Sigmoidal(), tmp_path / "sig.onnx")
    for path, words in ((bad, "not an ONNX model"), (sig, "Sigmoid")):
        r = subprocess.run(
            [sys.executable, "-m", "rtmcim.cli.main", "train", str(path), "--dataset", "digits"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 2 and words in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_imported_model_and_data_set_must_agree(digits: Dataset) -> None:
    from rtmcim.nn.train import train_model

    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m.eval(), (torch.rand(1, 3, 28, 28),), buf, dynamo=False)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="takes"):
        train_model(import_onnx(buf.getvalue()), digits, 8, 8, epochs=0, use_cache=False)
