"""A model trained on a user's .npz runs through evaluate, simulate and faults sweep (issue 16):
the model folder records the file's path and sha256, --dataset overrides it, and a changed file
is refused naming both hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from rtmcim.cli.main import main


def _digits_npz(path: Path) -> Path:
    from sklearn.datasets import load_digits

    d = load_digits()
    np.savez(path, x=(d.images * 255 / 16).astype(np.uint8), y=d.target)
    return path


@pytest.mark.slow
def test_a_model_trained_on_an_npz_runs_every_verb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _digits_npz(tmp_path / "digits.npz")
    model = tmp_path / "m"
    quick = ["--epochs", "1", "--qat-epochs", "1", "--batch-size", "64", "--no-progress"]
    argv = ["train", "lenet5", "--dataset", str(data), *quick, "--out", str(model)]
    assert main([*argv, "--cache-dir", str(tmp_path / "cache")]) == 0
    meta = json.loads((model / "meta.json").read_text())["dataset"]
    assert meta["source"] == str(data.resolve())
    assert meta["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    capsys.readouterr()

    assert main(["evaluate", "--model", str(model), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["dataset"] == "digits"
    sim = ["simulate", "--model", str(model), "--limit", "20", "--format", "json"]
    assert main(sim) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["images"] == 20
    sweep = ["faults", "sweep", "--model", str(model), "--limit", "10", "--rates", "1e-3"]
    assert main([*sweep, "--out", str(tmp_path / "sweep"), "--format", "csv"]) == 0
    assert (tmp_path / "sweep" / "sweep.csv").is_file()
    capsys.readouterr()

    # the file changes: refused, naming both hashes; --dataset points at a copy of the original
    copy = tmp_path / "copy.npz"
    copy.write_bytes(data.read_bytes())
    with np.load(data) as z:
        np.savez(data, x=z["x"][::-1], y=z["y"][::-1])
    assert main(sim) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "changed since training" in err
    assert meta["sha256"][:16] in err and str(data.resolve()) in err
    assert main([*sim, "--dataset", str(copy)]) == 0
    capsys.readouterr()
    data.unlink()
    assert main(sim) == 2
    assert "data file is missing" in capsys.readouterr().err
