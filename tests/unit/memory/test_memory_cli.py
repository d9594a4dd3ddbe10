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


RTSIM_RM = str(CONFIGS / "rtsim-rm.yaml")
DATA = "00" * 64


def test_rtsim_mode_json_trace_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # headerless, so NVMain's rules drop line 1; the rest reads DBC 0 at domains 1, 33, 2
    t = tmp_path / "t.nvt"
    t.write_text(
        "".join(
            f"{c} {op} {a} {DATA} 0\n"
            for c, op, a in [(0, "R", "0"), (4, "R", "40"), (8, "W", "840"), (12, "R", "80")]
        )
    )
    argv = ["memory", RTSIM_RM, "--trace", str(t), "--compat", "rtsim", "--format", "json"]
    assert main([*argv, "--controller", "frfcfs"]) == 0
    tr = json.loads(capsys.readouterr().out)["trace"]
    assert {k: tr[k] for k in ("accesses", "reads", "writes", "controller", "compat")} == {
        "accesses": 3,
        "reads": 2,
        "writes": 1,
        "controller": "frfcfs",
        "compat": "rtsim",
    }
    # 0x40: domain 1 (1 step); 0x840: domain 33, port 1 at offset 1 (0 steps); 0x80: domain 2
    # (1 step): the order does not matter here, 2 MU steps = 64 track shifts of 19.5 pJ / 32
    assert (tr["mu_shift_steps"], tr["track_shifts"]) == (2, 64)
    assert tr["shift_energy_nj"] == pytest.approx(2 * 0.0195)
    assert tr["row_hits"] + tr["activations"] == 3
    assert main(argv) == 0  # fcfs: no controller figures
    tr = json.loads(capsys.readouterr().out)["trace"]
    assert tr["controller"] == "fcfs" and tr["row_hits"] is None and tr["track_shifts"] == 64


def test_frfcfs_options_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["memory", DEFAULT, "--trace", TRACE, "--controller", "frfcfs", "--queue-depth", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "row activations" in out and "frfcfs" in out
    assert main([*argv[:-1], "0"]) == 2  # argparse refuses it: one line, exit 2
    err = capsys.readouterr().err.strip()
    assert (
        len(err.splitlines()) == 1 and "--queue-depth: 0 is out of range (allowed: 1..4096)" in err
    )


@pytest.mark.parametrize(
    ("address_map", "fragments"),
    [
        ("{colour: red}", ["address_map.colour", "unknown key"]),
        ("{order: 'R:C'}", ["address_map", "does not cover", "BK (4)", "SA (16)"]),
        ("{line_bytes: 24}", ["address_map.line_bytes = 24", "not a power of two"]),
    ],
)
def test_bad_address_map_in_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address_map: str, fragments: list[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(DEFAULT).read_text() + f"address_map: {address_map}\n")
    _fails(capsys, ["memory", str(bad)], "bad.yaml", *fragments)


def test_cycle_going_backwards_under_rtsim_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = tmp_path / "back.nvt"
    t.write_text("".join(f"{c} R 40 {DATA} 0\n" for c in (0, 8, 12, 9, 20)))
    argv = ["memory", RTSIM_RM, "--trace", str(t)]
    _fails(capsys, [*argv, "--compat", "rtsim"], "back.nvt:4", "cycle 9 goes backwards", "allowed")
    assert main(argv) == 0  # rtmcim's rules replay in trace order and ignore the cycles


# ---------------------------------------------------------------- --optimize


def test_help_names_every_search_target(capsys: pytest.CaptureFixture[str]) -> None:
    from rtmcim.memory.circuit import TARGETS

    assert _exit_code(["memory", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert all(t in out for t in TARGETS)


def test_optimize_ranks_organisations_of_the_configs_capacity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rtmcim.memory import Organization, load_memory
    from rtmcim.memory.circuit import array_figures

    assert main(["memory", DEFAULT, "--optimize", "read-edp", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["capacity_bits"] == 4 * 2**20 * 8 and doc["word_bits"] == 32
    edp = [d["read_edp_pJ_ns"] for d in doc["designs"]]
    assert len(edp) == 5 and edp == sorted(edp)
    chosen = Organization(**doc["chosen"])
    assert chosen.capacity_bits == doc["capacity_bits"]
    mem = load_memory(DEFAULT)
    fig = array_figures(chosen, mem.tech)
    assert fig.read.latency_ns * fig.read.energy_pj == pytest.approx(edp[0])
    # the config's own organisation is a candidate of the same search: never better
    own = array_figures(mem.org, mem.tech)
    assert own.read.latency_ns * own.read.energy_pj >= edp[0]


def test_optimize_sram_without_a_config(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["memory", "--optimize", "area", "--capacity", "256KiB", "--cell", "sram"]
    assert main([*argv, "--top", "3", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["capacity_bits"] == 256 * 1024 * 8 and doc["word_bits"] == 64
    areas = [d["area_mm2"] for d in doc["designs"]]
    assert len(areas) == 3 and areas == sorted(areas)
    c = doc["chosen"]
    assert c["banks"] * c["subarrays_per_bank"] * c["rows"] * c["columns"] == doc["capacity_bits"]
    assert main(argv) == 0  # the table
    assert "ranked by area" in capsys.readouterr().out


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:  # argparse's own errors
        return int(e.code or 0)


def test_a_node_outside_the_presets_tables_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "m.yaml"
    cfg.write_text(
        "tech_overrides: {node_nm: 7}\n"
        "organization: {banks: 1, subarrays_per_bank: 1, mus_per_subarray: 4}\n"
    )
    assert _exit_code(["memory", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "node_nm = 7" in err and "allowed: 32" in err and err.count("\n") == 1, err
    assert _exit_code(["tech", "rtm-32nm", "--set", "node_nm=45"]) == 2
    assert "node_nm = 45" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([DEFAULT, "--optimize", "fastest"], "target = 'fastest': unknown optimisation target"),
        (["--optimize", "area", "--capacity", "1000"], "capacity_bits = 8000"),
        (["--optimize", "area", "--capacity", "4 parsecs"], "not a size"),
        (["--optimize", "area"], "--optimize needs a capacity"),
        ([str(CONFIGS / "array-level.yaml"), "--optimize", "area"], "circuit-level preset"),
        ([DEFAULT, "--optimize", "area", "--trace", TRACE], "--trace"),
        ([], "CONFIG"),
    ],
)
def test_optimize_bad_input(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    assert _exit_code(["memory", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
