"""CLI smoke tests of 'rtmcim explore' and 'rtmcim report', kill-and-resume, and bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtmcim import outdir
from rtmcim.cli.main import main

SPACE = """
name: clitiny
dataset: digits
budget: 3
population: 2
training: {epochs: 1, qat_epochs: 1}
model: {wbits: [4, 8], abits: [8], depth: [1], channels: [2, 4], kernel: [3], fc: [0]}
hardware:
  base: default
  sweep:
    memory.mu.domains: [32, 64]
    memory.mu.ports: [1, 2]
    compute.multiplier: [booth_r4, shift_add]
reference: {model: REF, wbits: 8, abits: 8, arch: default}
"""
TINY_NET = "name: tinyref\nconv: [{channels: 2, kernel: 3, padding: 1, pool: max}]\n"


def write_space(folder: Path) -> Path:
    """The CLI test space, with a tiny reference network (the reference is trained too)."""
    (folder / "tinyref.yaml").write_text(TINY_NET)
    space = folder / "space.yaml"
    space.write_text(SPACE.replace("REF", str(folder / "tinyref.yaml")))
    return space


@pytest.fixture(scope="module")
def explored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """'rtmcim explore' on the quick space over digits, 1 model, into a temporary folder."""
    d = tmp_path_factory.mktemp("explore")
    out = d / "res"
    code = main(
        [
            "explore",
            "--preset",
            "quick",
            "--dataset",
            "digits",
            "--budget",
            "1",
            "--out",
            str(out),
            "--cache-dir",
            str(d / "cache"),
            "--no-progress",
        ]
    )
    assert code == 0
    return out


@pytest.mark.slow
def test_explore_quick_writes_every_file(
    explored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "trials.csv",
        "pareto.csv",
        "summary.json",
        "report.html",
        "plots/pareto_matrix.png",
        "plots/accuracy_vs_energy.png",
        "plots/layer_energy.png",
        "plots/heatmap_ports_domains.png",
    ):
        assert (explored / name).is_file(), name
    s = json.loads((explored / "summary.json").read_text())
    assert s["version"] == 1
    assert s["models_trained"] == 1
    assert s["hw_points_per_model"] == 72
    assert s["front_size"] >= 1
    assert s["reference"]["model"] == "lenet5"
    for d in s["chosen"]:  # every chosen design traceable to spec, arch and preset
        assert d["spec"]["name"] == d["model"]
        assert d["arch"]["memory"]["mu"]["domains"] in (32, 64, 128)
        assert d["tech_preset"]
        assert set(d["vs_default"]) == {"energy", "latency", "area"}
    html = (explored / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 4
    assert "Technology sources" in html and "What was searched" in html
    assert "default design" in html
    # the headline design against each baseline, ratios measured in this run
    assert {b["name"] for b in s["baselines"]} >= {"cmos", "near_memory", "transverse_read"}
    for b in s["baselines"]:
        assert set(b["design_vs_baseline"]) == {"energy", "latency", "area"}
        assert all(v > 0 for v in b["design_vs_baseline"].values())
    assert "Against the baselines" in html and "Baselines are not available" not in html
    trials = (explored / "trials.csv").read_text().splitlines()
    assert len(trials) == 2  # header + 1 model


@pytest.mark.slow
def test_report_rebuilds_the_same_summary(explored: Path) -> None:
    before = json.loads((explored / "summary.json").read_text())
    (explored / "report.html").unlink()
    (explored / "pareto.csv").unlink()
    assert main(["report", str(explored)]) == 0
    assert (explored / "report.html").is_file()
    after = json.loads((explored / "summary.json").read_text())
    assert after == before


def _complete(db: Path) -> list[tuple[int, str]]:
    try:
        with sqlite3.connect(db) as con:
            rows = con.execute("select number, state from trials order by number").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    return [(int(n), str(s)) for n, s in rows]


@pytest.mark.slow
def test_killed_study_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    space = write_space(tmp_path)
    out = tmp_path / "out"
    cache = str(tmp_path / "cache")
    env = {**os.environ, "RTMCIM_CACHE": cache}
    cmd = ["explore", str(space), "--out", str(out), "--no-progress", "--no-report", "--seed", "5"]
    cmd += ["--cache-dir", cache, "--budget", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtmcim.cli.main", *cmd],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = out / "study.db"
    deadline = time.monotonic() + 300
    try:
        # kill it while a trial runs, once another one is complete
        while time.monotonic() < deadline:
            states = {s for _, s in _complete(db)} if db.exists() else set()
            if {"COMPLETE", "RUNNING"} <= states:
                break
            assert proc.poll() is None, "the study ended before it could be interrupted"
            time.sleep(0.05)
        else:
            pytest.fail("no trial completed in time")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_before = {n for n, s in _complete(db) if s == "COMPLETE"}
    files_before = {n: (out / "trials" / f"trial-{n:04d}.json").read_text() for n in done_before}
    assert main(cmd) == 0  # the same command again: resumes
    states = _complete(db)
    complete = {n for n, s in states if s == "COMPLETE"}
    assert done_before <= complete  # nothing completed is lost ...
    for n, text in files_before.items():  # ... or re-run
        assert (out / "trials" / f"trial-{n:04d}.json").read_text() == text
    files = sorted((out / "trials").glob("trial-*[0-9].json"))
    assert len(files) == 2  # the budget: 2 distinct models
    # the trial killed mid-run is marked failed, its parameters were queued again
    assert any(s == "FAIL" for _, s in states)
    with sqlite3.connect(db) as con:
        params = con.execute(
            "select t.number, group_concat(p.param_name || '=' || p.param_value, ',') "
            "from trials t join trial_params p on p.trial_id = t.trial_id "
            "where t.state = 'COMPLETE' group by t.number"
        ).fetchall()
    evaluated = sorted(p for _, p in params)
    assert len(files) == len(set(evaluated))  # each distinct model evaluated once
    # a third run finds the study finished and adds nothing
    assert main(cmd) == 0
    assert _complete(db) == states


@pytest.mark.parametrize(
    ("space_text", "args", "needle"),
    [
        ("", [], "empty"),
        ("objectives: [accuracy, happiness]\n", [], "happiness"),
        (
            "hardware: {sweep: {memory.mu.domains: [64], memory.mu.ports: [3]}}\n",
            [],
            "contradictory",
        ),
        (None, ["--storage", "nosuchdriver://x/y"], "--storage"),
        (None, ["--storage", "sqlite:////nonexistent/dir/study.db"], "--storage"),
        (None, ["--budget", "0"], "--budget"),
        (None, ["--jobs", "0"], "--jobs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    space_text: str | None,
    args: list[str],
    needle: str,
) -> None:
    space = write_space(tmp_path)
    if space_text is not None:
        space.write_text(space_text)
    out = outdir.claim(tmp_path / "out", "study")  # a folder rtmcim may write: other checks
    (out / "keep.txt").write_text("already here")
    code = main(["explore", str(space), "--out", str(out), "--no-progress", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert needle in err
    assert (out / "keep.txt").read_text() == "already here"


@pytest.mark.slow
def test_unreachable_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = write_space(tmp_path)
    code = main(
        [
            "explore",
            str(space),
            "--out",
            str(tmp_path / "o"),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--scheduler" in err


def test_report_of_a_folder_that_is_not_a_results_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "study.json" in err


def test_a_folder_of_another_study_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = write_space(tmp_path)
    out = outdir.claim(tmp_path / "out", "study")
    (out / "study.json").write_text('{"study_name": "rtmcim-other-0123456789ab-s0"}')
    code = main(["explore", str(space), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--out" in err and "another study" in err
    assert (out / "study.json").read_text() == '{"study_name": "rtmcim-other-0123456789ab-s0"}'
    assert not (out / "study.db").exists()


@pytest.mark.slow
def test_report_when_the_default_design_does_not_fit(explored: Path, tmp_path: Path) -> None:
    import shutil

    from rtmcim.report import build_report

    d = tmp_path / "copy"
    shutil.copytree(explored, d)
    (d / "trials" / "reference-points.csv").write_text(
        "point,feasible,reason\n0,False,CapacityError: weights need 9 words per PE\n"
    )
    rep = build_report(d)
    assert rep.summary["reference"] is None
    assert all(c["vs_default"] is None for c in rep.summary["chosen"])
    html = (d / "report.html").read_text()
    assert "no figures in this run (CapacityError" in html
    assert "Technology sources" in html
