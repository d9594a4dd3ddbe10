"""Smoke test of ``rtmcim circuits``: hand-worked goldens under the per-event preset, and the
circuit-level default pricing a cell's port accesses on the local path of its macro units."""

from __future__ import annotations

import csv
import io
import json

import pytest

from rtmcim.circuits import get, names
from rtmcim.cli.main import main

# rtm-32nm-array: eval 0.01 pJ / 1 ns; latch 0.002 pJ; a cell's own write 0.1 pJ (latency
# 4.84522 ns); a cell's own shift 0.3 pJ per track-step (2.14192 ns); CMOS scale 32/45 (same 0.9 V)
SCALE = 32 / 45


def _rows(capsys: pytest.CaptureFixture[str], *args: str) -> dict[tuple[str, int], dict[str, str]]:
    assert main(["circuits", *args, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    return {(r["cell"], int(r["bits"])): r for r in csv.DictReader(io.StringIO(out))}


def test_golden_values_per_event_preset(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(capsys, "--bits", "4,8", "--tech", "rtm-32nm-array")
    # every registered cell at every width it reaches (the full adder is 1 bit, lut <= 4)
    for bits in (4, 8):
        assert {c for c, b in rows if b == bits} == {n for n in names() if get(n).max_bits >= bits}
    assert ("lut", 8) not in rows and ("lut", 4) in rows

    r = rows[("ripple_carry", 8)]
    assert float(r["latency_ns"]) == pytest.approx(8 * 1.0 + 4.84522)
    energy = 16 * 0.01 + 8 * 0.002 + 8 * 0.1  # 0.976 pJ
    assert float(r["energy_pj"]) == pytest.approx(energy)
    assert float(r["edp_pj_ns"]) == pytest.approx(energy * 12.84522)
    assert float(r["cmos_ref_pj"]) == pytest.approx(0.03 * SCALE)
    assert float(r["energy_x_cmos"]) == pytest.approx(energy / (0.03 * SCALE))
    assert float(r["area_um2"]) == pytest.approx(8304 * 0.032**2)
    assert float(r["events"]) == 16 + 8 + 8

    # shift-and-add, 8 bits: 8 steps of (8 ANDs + 9 full adders), 10 writes, 2 track-steps
    r = rows[("shift_add", 8)]
    lat = 8 * (1 + 9) * 1.0 + 8 * 4.84522 + 8 * 2.14192  # 135.89712 ns
    energy = 8 * (8 + 18) * 0.01 + 8 * 9 * 0.002 + 8 * 10 * 0.1 + 16 * 0.3  # 14.944 pJ
    assert float(r["latency_ns"]) == pytest.approx(lat)
    assert float(r["energy_pj"]) == pytest.approx(energy)
    assert float(r["cmos_ref_pj"]) == pytest.approx(0.2 * SCALE)
    assert r["mode"] == "signed" and r["cost"] == "exact"

    # MAC, 8 bits, K = 9: shift-and-add product + 20-bit ripple add (2*8 + ceil(log2 9))
    r = rows[("mac", 8)]
    lat += 20 * 1.0 + 4.84522  # 160.74234 ns
    energy += 40 * 0.01 + 20 * 0.002 + 20 * 0.1  # 17.384 pJ
    assert float(r["latency_ns"]) == pytest.approx(lat)
    assert float(r["energy_pj"]) == pytest.approx(energy)
    ref = 0.2 * SCALE + (0.05 + 0.05 * 4 / 16) * SCALE  # 8-bit mult + 20-bit add
    assert float(r["cmos_ref_pj"]) == pytest.approx(ref)
    assert r["mode"] == "signed x unsigned"

    assert rows[("booth_r4", 8)]["cost"] == "worst case"


def test_table_json_and_overrides(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich fits the table to the terminal width
    assert main(["circuits", "--bits", "8"]) == 0
    out = capsys.readouterr().out
    assert "ripple_carry" in out and "booth_r4*" in out
    assert main(["circuits", "--bits", "1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tech"] == "rtm-32nm"
    assert {r["cell"] for r in data["rows"]} >= {"full_adder", "lut", "mac"}
    base = _rows(capsys, "--bits", "8")
    rows = _rows(capsys, "--bits", "8", "--set", "lim.eval_latency_ns=2.0")
    # a ripple-carry add is 8 PCSA steps and one write: 8 ns more at 2 ns per evaluation
    slower = float(rows[("ripple_carry", 8)]["latency_ns"])
    assert slower == pytest.approx(float(base[("ripple_carry", 8)]["latency_ns"]) + 8 * 1.0)


def test_circuit_level_cells_write_on_the_local_path(capsys: pytest.CaptureFixture[str]) -> None:
    from rtmcim.mapping import load_arch
    from rtmcim.memory.circuit import array_figures
    from rtmcim.tech import load_tech

    fig = array_figures(load_arch("default").org, load_tech("rtm-32nm"))
    write_pj, write_ns = fig.local_write.energy_pj / 32, fig.local_write.latency_ns
    # an MTJ write of the DWM cell (300 uA for 4.6 ns) dominates the local write
    assert 1.0 < write_pj < 2.0 and write_ns > 4.6
    r = _rows(capsys, "--bits", "8")[("ripple_carry", 8)]
    assert float(r["energy_pj"]) == pytest.approx(16 * 0.01 + 8 * 0.002 + 8 * write_pj)
    assert float(r["latency_ns"]) == pytest.approx(8 * 1.0 + write_ns)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--bits", "4,x"], "--bits = 'x'"),
        (["--bits", "0"], "1..32"),
        (["--bits", "40"], "40"),
        (["--tech", "nope"], "nope"),
        (["--set", "lim.bogus=1"], "bogus"),
        (["--k", "0"], "--k"),
    ],
)
def test_bad_input_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    assert main(["circuits", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rtmcim circuits: error:")
    assert needle in err
