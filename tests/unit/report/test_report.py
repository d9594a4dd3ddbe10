"""The report of a results folder, built from a folder written without training: two models
(LeNet-5 at 8 and at 4 bits, accuracies set by hand) swept over six hardware points each, and a
reference design. Fronts and choices are checked against brute force over the points' files."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from workloads import lenet_work

from rtmcim import outdir
from rtmcim.baselines import BASELINES
from rtmcim.explore import OBJECTIVES, Space, describe_fidelity, space_from_dict
from rtmcim.explore.candidate import CandidateResult, hardware_archs, sweep
from rtmcim.explore.study import trial_file, write_result
from rtmcim.mapping import load_arch
from rtmcim.mapping.workload import Workload, workload_to_data
from rtmcim.report import build_report, design_figures, load_results, pareto_points
from rtmcim.report.plots import _axis_label, _axis_val
from rtmcim.report.results import chosen_designs
from rtmcim.report.tables import trial_rows

METRIC_KEYS = ("energy_pj", "latency_ns", "area_um2")
SPACE: dict[str, Any] = {
    "name": "handmade",
    "dataset": "digits",
    "budget": 2,
    "hardware": {
        "base": "default",
        "sweep": {"memory.mu.domains": [32, 64], "memory.mu.ports": [1, 2, 4]},
    },
}


def result(space: Space, number: int, work: Workload, accuracy: float) -> CandidateResult:
    if number == -1:
        points = sweep(work, [load_arch(space.config.reference.arch)], [{}], space.config)
    else:
        archs = hardware_archs(space.config.hardware.base, space.hw_points)
        points = sweep(work, archs, space.hw_points, space.config)
    for p in points:
        p["accuracy"] = accuracy
    scores = dict.fromkeys(("float_accuracy", "qat_accuracy", "accuracy"), accuracy)
    return CandidateResult(
        number=number,
        params={} if number == -1 else {"model": number},
        spec={"name": work.name},
        wbits=8,
        abits=8,
        model_key=f"key{number}",
        cached=True,
        workload=workload_to_data(work),
        points=points,
        train_s=1.0,
        sweep_s=0.1,
        **scores,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = outdir.claim(tmp_path_factory.mktemp("results"), "study")
    space = space_from_dict(SPACE, "handmade")
    study = {"version": 1, "study_name": "handmade", "seed": 0, "budget": 2}
    (out / "study.json").write_text(json.dumps({**study, "space": space.config.canonical()}))
    write_result(out, result(space, 0, lenet_work(8), 0.9), trial_file(0))
    write_result(out, result(space, 1, lenet_work(4), 0.8), trial_file(1))
    write_result(out, result(space, -1, lenet_work(8), 0.85), "reference")
    (out / "reference.json").write_text(json.dumps({"file": "trials/reference.json"}))
    return out


def feasible_points(folder: Path) -> list[dict[str, float]]:
    rows = []
    for f in sorted((folder / "trials").glob("trial-*-points.csv")):
        with f.open() as fh:
            rows += [r for r in csv.DictReader(fh) if r["feasible"] == "True"]
    return [{k: float(v) for k, v in r.items() if k in {"accuracy", *METRIC_KEYS}} for r in rows]


def dominated(p: dict[str, float], q: dict[str, float]) -> bool:
    """Is ``p`` dominated by ``q`` (accuracy up, costs down)?"""
    no_worse = q["accuracy"] >= p["accuracy"] and all(q[k] <= p[k] for k in METRIC_KEYS)
    better = q["accuracy"] > p["accuracy"] or any(q[k] < p[k] for k in METRIC_KEYS)
    return no_worse and better


def test_the_front_is_the_set_no_point_dominates(folder: Path) -> None:
    pts = feasible_points(folder)
    assert len(pts) >= 8
    brute = {
        tuple(p[k] for k in ("accuracy", *METRIC_KEYS))
        for p in pts
        if not any(dominated(p, q) for q in pts)
    }
    got = {
        tuple(p[k] for k in ("accuracy", *METRIC_KEYS)) for p in pareto_points(load_results(folder))
    }
    assert got == brute and 1 <= len(got) < len(pts)


def test_chosen_designs_are_the_best_of_the_front(folder: Path) -> None:
    res = load_results(folder)
    front = pareto_points(res)
    chosen = chosen_designs(res, front)
    for name in res.objectives:
        o = OBJECTIVES[name]
        pick = chosen[f"{'highest' if o.maximize else 'lowest'} {name}"]
        values = [p[o.column] for p in front]
        assert pick[o.column] == (max(values) if o.maximize else min(values))
    at_ref = chosen["lowest energy at reference accuracy"]
    assert at_ref["accuracy"] >= 0.85 and at_ref["trial"] == 0  # only the 8-bit model reaches it
    assert at_ref["energy_pj"] == min(p["energy_pj"] for p in front if p["accuracy"] >= 0.85)


def test_trial_rows_carry_the_best_point_of_each_model(folder: Path) -> None:
    res = load_results(folder)
    rows = {r["trial"]: r for r in trial_rows(res)}
    for t in (0, 1):
        mine = [p for p in res.points if p["trial"] == t and p["feasible"]]
        assert rows[t]["best_energy_pj"] == min(p["energy_pj"] for p in mine)
        assert rows[t]["best_area_um2"] == min(p["area_um2"] for p in mine)
        assert "best_accuracy" not in rows[t]  # one value per model


def test_the_report_says_what_was_chosen_against_what(folder: Path) -> None:
    rep = build_report(folder)
    s = rep.summary
    ref = s["reference"]
    for d in s["chosen"]:  # default / design, from the stored figures
        for k, col in (("energy", "energy_pj"), ("latency", "latency_ns"), ("area", "area_um2")):
            assert d["vs_default"][k] == pytest.approx(ref[col] / d[col], rel=1e-12)
    assert [b["name"] for b in s["baselines"]] == BASELINES.names()
    head = next(d for d in s["chosen"] if d["label"] == s["headline"])
    for b in s["baselines"]:
        assert b["design_vs_baseline"]["energy"] == pytest.approx(
            b["energy_pj"] / head["energy_pj"], rel=1e-9
        )
    html = (folder / "report.html").read_text(encoding="utf-8")
    for section in ("What was searched", "Chosen designs", "Against the baselines", "Pareto front"):
        assert section in html
    for f in ("trials.csv", "pareto.csv", "plots/pareto_matrix.png", "plots/layer_energy.png"):
        assert (folder / f).stat().st_size > 0


def test_design_figures_are_quantities_in_si_notation() -> None:
    d = {
        "model": "m", "wbits": 4, "abits": 8, "accuracy": 0.9, "energy_pj": 2e3,
        "latency_ns": 5e3, "area_um2": 3e6, "bank_area_um2": 1e6, "density_mbit_per_mm2": 7.0,
    }  # fmt: skip
    f = {k: str(v) for k, v in design_figures(d).items()}
    assert f["W/A bits"] == "4/8" and f["accuracy"] == "90.0 %"
    assert f["energy"] == "2.00 nJ" and f["latency"] == "5.00 µs" and f["area"] == "3.00 mm²"
    assert f["bank area"] == "1.00 mm²" and f["density"] == "7.00 Mbit/mm²"
    assert "accuracy under faults" not in f
    assert str(design_figures({**d, "fault_accuracy": 0.5})["accuracy under faults"]) == "50.0 %"


def test_costs_are_plotted_on_log_axes_in_plot_units() -> None:
    p = {"energy_pj": 2e4, "accuracy": 0.7, "tops_per_w": 3.0}
    assert _axis_val(p, "energy") == pytest.approx(math.log10(20.0))  # 20 nJ
    assert _axis_label("energy") == "log10 energy / inference (nJ)"
    assert _axis_val(p, "accuracy") == 0.7 and _axis_label("accuracy") == "accuracy"
    assert _axis_val(p, "tops_per_w") == 3.0  # a figure to maximize stays linear
    assert math.isnan(_axis_val({"energy_pj": 0.0}, "energy"))


def explorer_data(html: str) -> dict[str, Any]:
    m = re.search(r"<script id='explorer-data' type='application/json'>(.*?)</script>", html)
    assert m is not None
    return json.loads(m.group(1))


def test_the_interactive_front_holds_every_front_design(folder: Path) -> None:
    build_report(folder)
    res = load_results(folder)
    front = pareto_points(res)
    html = (folder / "report.html").read_text(encoding="utf-8")
    data = explorer_data(html)
    recs = data["records"]
    assert [(r["trial"], r["point"]) for r in recs] == [(p["trial"], p["point"]) for p in front]
    # hardware choices as columns, only those that differ on the front; the others named once
    varying = [k for k in res.sweep_keys if len({p[k] for p in front}) > 1]
    assert data["hw_keys"] == [k.rsplit(".", 1)[-1] for k in varying]
    assert set(data["hw_same"]) == {k.rsplit(".", 1)[-1] for k in res.sweep_keys} - set(
        data["hw_keys"]
    )
    for r, p in zip(recs, front, strict=True):
        assert r["fig"]["energy_pj"] == p["energy_pj"]
        assert r["text"]["energy_pj"].endswith("J") and r["file"].startswith("trials/trial-")
        assert {k: r["hw"][k] for k in data["hw_keys"]} == {
            k.rsplit(".", 1)[-1]: p[k] for k in varying
        }
        # the training behind the accuracy, as the fidelity section words it
        fid = next(t for t in res.trials if t["number"] == p["trial"])["accuracy_fidelity"]
        assert r["fidelity"] == describe_fidelity(fid)
        # the per-layer breakdown sums to the design's energy
        total = sum(sum(v) for v in r["layers"]["classes"].values())
        assert total == pytest.approx(p["energy_pj"], rel=1e-9)
    table = html[html.index("<table class='sortable' id='front-table'") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr data-i=") == len(front)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
    assert not [c for c in cells if re.search(r"\de[-+]\d", c)]  # never 3.422e-03
    assert any(c.endswith(("µm²", "mm²")) for c in cells)


def test_the_report_is_one_file_that_needs_no_network(folder: Path) -> None:
    build_report(folder)
    html = (folder / "report.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script(?: [^>]*)?>(.*?)</script>", html, flags=re.DOTALL)
    assert len(scripts) == 3  # the front's data, plotly.js and report/explorer.js, all inline
    assert "Plotly" in scripts[1] and len(scripts[1]) > 1_000_000
    rest = re.sub(r"<script(?: [^>]*)?>.*?</script>", "", html, flags=re.DOTALL)
    assert "<script" not in rest and "<link" not in rest and "src='http" not in rest
    assert html.index("The Pareto front") < html.index("What was searched")  # the front first
    for png in (folder / "plots").glob("*.png"):  # each static figure as SVG for papers
        assert png.with_suffix(".svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_trial_brief_is_what_the_progress_bar_tells(folder: Path) -> None:
    from rtmcim.report.results import trial_brief

    res = load_results(folder)
    for t in (0, 1):
        mine = [p for p in res.points if p["trial"] == t]
        ok = [p["energy_pj"] for p in mine if p["feasible"]]
        assert trial_brief(folder, t) == {
            "points": len(mine),
            "feasible": len(ok),
            "accuracy": (0.9, 0.8)[t],
            "energy_pj": min(ok),
        }
    assert trial_brief(folder, 7) is None  # not written (yet)


def test_a_study_with_no_feasible_design_still_has_a_report(folder: Path, tmp_path: Path) -> None:
    import shutil

    d = tmp_path / "none"
    shutil.copytree(folder, d)
    for f in (d / "trials").glob("trial-*-points.csv"):
        with f.open() as fh:
            rows = list(csv.DictReader(fh))
        with f.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows({**r, "feasible": "False"} for r in rows)
    rep = build_report(d)
    assert rep.summary["front_size"] == 0
    html = (d / "report.html").read_text(encoding="utf-8")
    assert explorer_data(html)["records"] == [] and "The Pareto front (0 designs)" in html


def _sweep_rows() -> list[dict[str, Any]]:
    row = {"kind": "shift", "images": 50, "energy_overhead_pct": 0.0,
           "latency_overhead_pct": 0.0, "storage_overhead_pct": 0.0}  # fmt: skip
    rows = [{**row, "rate": 0.0, "mitigation": "none", "accuracy_pct": 88.0}]
    rows += [{**row, "rate": r, "mitigation": "none", "accuracy_pct": a}
             for r, a in ((1e-5, 86.0), (1e-3, 40.0))]  # fmt: skip
    rows += [{**row, "rate": r, "mitigation": "tmr", "accuracy_pct": a,
              "energy_overhead_pct": 12.5} for r, a in ((1e-5, 88.0), (1e-3, 80.0))]  # fmt: skip
    return rows


SWEEP_META = {"model": "lenet5", "dataset": "digits", "arch": "default", "kind": "shift",
              "per": "shift step", "images": 50, "fault_seed": 0}  # fmt: skip


def test_fault_sweeps_filed_in_the_folder_are_drawn(folder: Path, tmp_path: Path) -> None:
    import shutil

    from rtmcim.report.fault_sweep import write_fault_sweep

    d = tmp_path / "with-sweep"
    shutil.copytree(folder, d)
    write_fault_sweep(d / "fault-sweeps" / "headline", _sweep_rows(), SWEEP_META)
    rep = build_report(d)
    assert [s["name"] for s in rep.summary["fault_sweeps"]] == ["headline"]
    assert (d / "plots" / "fault-sweep-headline.png").read_bytes().startswith(b"\x89PNG")
    html = (d / "report.html").read_text(encoding="utf-8")
    assert "Accuracy against fault rate" in html
    assert "headline: shift faults on lenet5 (digits, arch default, 50 images" in html
    assert "alt='headline sweep' src='data:image/png;base64," in html
    shutil.rmtree(d / "fault-sweeps")  # without sweeps, no such section
    assert build_report(d).summary["fault_sweeps"] == []
    assert "Accuracy against fault rate" not in (d / "report.html").read_text(encoding="utf-8")


def test_a_filed_sweep_that_rtmcim_did_not_write_is_one_line(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from rtmcim.cli.main import main

    d = tmp_path / "bad-sweep"
    shutil.copytree(folder, d)
    bad = d / "fault-sweeps" / "x" / "sweep.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps({"meta": {}, "points": []}))
    assert main(["report", str(d)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a fault sweep rtmcim wrote" in err
    assert str(bad) in err
