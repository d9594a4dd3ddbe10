from __future__ import annotations

from pathlib import Path

import pytest

from rtmcim.cli.main import main
from rtmcim.nn.intgraph import load_intgraph


@pytest.mark.slow
def test_train_smoke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTMCIM_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = [
        "train",
        "lenet5",
        "--dataset",
        "digits",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "float accuracy" in text and "integer-graph accuracy" in text and "agreement" in text
    g = load_intgraph(out)
    assert g.classes == 10 and (out / "model.pt").exists() and (out / "meta.json").exists()
    assert any((tmp_path / "cache" / "models").iterdir())
    # second run: from the cache, JSON output
    assert main([*argv, "--format", "json"]) == 0
    assert '"cached": true' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["lenet5", "--dataset", "digits", "--wbits", "33"],
            "--wbits: 33 is out of range (allowed: 2..8)",
        ),
        (
            ["lenet5", "--dataset", "digits", "--abits", "0"],
            "--abits: 0 is out of range (allowed: 2..8)",
        ),
        (["lenet5", "--dataset", "nope"], "unknown data set"),
        (["nomodel", "--dataset", "digits"], "unknown model"),
        (["lenet5", "--dataset", "mnist", "--data-dir", "/nonexistent"], "not found"),
        (["BADSPEC", "--dataset", "digits"], "conv.0.channels"),
    ],
)
def test_bad_input_exit_2_one_line(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("conv:\n  - {channels: 0, kernel: 3}\n")
    args = [str(spec) if a == "BADSPEC" else a for a in args]
    assert main(["train", *args, "--cache-dir", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and err.startswith("rtmcim train: error:")
