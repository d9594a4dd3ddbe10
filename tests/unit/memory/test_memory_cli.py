"""Smoke tests of ``rtmcim memory`` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from rtmcim.cli.main import main

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "rtmcim" / "configs" / "memory"
DEFAULT = str(CONFIGS / "default.yaml")
TRACE = str(CONFIGS / "example.trace")


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", DEFAULT]) == 0
    out = capsys.readouterr().out
    for word in ("rtm-32nm", "circuit", "array efficiency", "leakage", "mm2", "pJ/step", "MiB"):
        assert word in out


def test_json_with_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", DEFAULT, "--trace", TRACE, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tech_preset"] == "rtm-32nm" and doc["tech_level"] == "circuit"
    assert doc["config"]["organization"]["mu"] == {"domains": 64, "ports": 2, "tracks": 32}
    rows = {(r["section"], r["quantity"], r["unit"]): r["value"] for r in doc["rows"]}
    assert rows[("capacity", "capacity", "MiB")] == 4.0
    assert rows[("trace", "MU shift steps", "steps")] == 95
    assert rows[("trace", "accesses", "accesses")] == 7
    assert all(r["unit"] for r in doc["rows"])


def test_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", str(CONFIGS / "device-level.yaml"), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["section", "quantity", "value", "unit"]
    by = {r["quantity"]: r["value"] for r in rows}
    assert by["tech preset"] == "rtm-32nm-device"
    assert by["tech overrides"] == "rtm.shift_latency_ns=1.0"
    assert float(by["MU shift latency"]) == pytest.approx(1.0)


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> None:
    assert main(argv) == 2
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in cap.err
    assert err.startswith("rtmcim memory: error:")
    for f in fragments:
        assert f in err, (f, err)


def test_bad_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(DEFAULT).read_text().replace("ports: 2", "ports: 5"))
    _fails(capsys, ["memory", str(bad)], "bad.yaml", "organization.mu", "ports=5", "allowed ports")
    _fails(capsys, ["memory", str(tmp_path / "missing.yaml")], "file not found")


def test_bad_trace_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = tmp_path / "bad.trace"
    t.write_text("R 0x0\nR 0x4 extra\n")
    _fails(
        capsys, ["memory", DEFAULT, "--trace", str(t)], "bad.trace:2", "'R 0x4 extra'", "allowed"
    )
