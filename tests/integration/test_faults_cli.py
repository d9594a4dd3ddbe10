"""Smoke tests of `rtmcim simulate --faults` and `rtmcim faults sweep` on a trained-model folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rtmcim.cli.main import main

from .conftest import train_digits

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rtmcim.nn.train import save_trained

    tm = train_digits(4, model_cache)
    return save_trained(tm, tmp_path_factory.mktemp("lenet5-w4-faults"))


def test_simulate_with_faults_and_mitigation(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", "--model", str(model_dir), "--limit", "12", "--format", "json"]
    assert (
        main([*argv, "--faults", "shift=0,read=0,write=0", "--mitigation", "position_check"]) == 0
    )
    s = json.loads(capsys.readouterr().out)["summary"]
    assert s["integers_identical"] is True and s["mitigation"] == "position_check:1"
    assert s["mitigation_energy_overhead_pct"] > 0 and s["mitigation_storage_overhead_pct"] > 0
    assert main([*argv, "--faults", "shift=5e-2", "--fault-seed", "3"]) == 0
    s = json.loads(capsys.readouterr().out)["summary"]
    assert s["faults"] == "shift=0.05,read=0,write=0" and s["fault_seed"] == 3
    assert s["fault_position_errors"] > 0 and s["fault_misaligned_reads"] > 0


def test_faults_sweep_writes_csv_and_plot(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    argv = [
        "faults",
        "sweep",
        "--model",
        str(model_dir),
        "--kind",
        "shift",
        "--rates",
        "1e-3..1e-1",
        "--points",
        "2",
        "--limit",
        "10",
        "--out",
        str(out),
        "--no-progress",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["images"] == 10 and data["meta"]["mitigation"] == "position_check:1"
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [(r["mitigation"], float(r["rate"])) for r in rows] == [
        ("none", 0.0),
        ("none", 1e-3),
        ("none", 0.1),
        ("position_check:1", 0.0),
        ("position_check:1", 1e-3),
        ("position_check:1", 0.1),
    ]
    clean = [r for r in rows if float(r["rate"]) == 0]
    assert all(float(r["agreement_with_fault_free_pct"]) == 100.0 for r in clean)
    mitigated = [r for r in rows if r["mitigation"] != "none"]
    assert all(float(r["energy_overhead_pct"]) > 0 for r in mitigated)
    assert all(float(r["energy_overhead_pct"]) == 0 for r in rows if r["mitigation"] == "none")
    assert (out / "sweep.png").stat().st_size > 1000 and (out / "sweep.json").exists()
