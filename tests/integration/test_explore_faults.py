"""Accuracy under faults in the co-exploration (issue 7.4): a one-model study on the digits set."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtmcim.explore.candidate import (
    CandidateTask,
    evaluate_candidate,
    fault_figures,
    training_data,
)
from rtmcim.explore.executors import InProcessExecutor
from rtmcim.explore.space import FaultsConfig, Space, space_from_dict
from rtmcim.explore.study import run_study
from rtmcim.mapping.arch import build_arch, load_arch
from rtmcim.nn.reference import run_reference
from rtmcim.nn.train import load_trained
from rtmcim.report import build_report

pytestmark = pytest.mark.slow  # trains a model (about 25 s with the fault runs)

IMAGES = 32
PARAMS = {"wbits": 8, "abits": 8, "depth": 1, "channels": 4, "kernel": 3, "fc": 0}
# the reference is the candidate's own network: its training is a cache hit
REF_NET = "name: cnn-d1c4k3f0\nconv: [{channels: 4, kernel: 3, padding: 1, pool: max}]\n"


def make_space(folder: Path, faults: dict[str, Any] | None) -> Space:
    ref = folder / "ref.yaml"
    ref.write_text(REF_NET)
    data: dict[str, Any] = {
        "name": "tinyfaults",
        "dataset": "digits",
        "budget": 1,
        "population": 2,
        "training": {"epochs": 2, "qat_epochs": 1, "batch_size": 32},
        "model": {k: [v] for k, v in PARAMS.items()},
        "hardware": {"base": "default", "sweep": {"memory.mu.domains": [32, 64]}},
        "objectives": ["accuracy", "energy"] + (["fault_accuracy"] if faults else []),
        "reference": {"model": str(ref), "wbits": 8, "abits": 8, "arch": "default"},
    }
    if faults is not None:
        data["faults"] = faults
    return space_from_dict(data, "tiny")


def task(space: Space, cache: Path) -> CandidateTask:
    # threads=1 as run_study's default: the same model cache key as the study's training
    cfg = space.config.canonical()
    return CandidateTask(0, PARAMS, cfg, space.hw_points, 0, str(cache), threads=1)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Space, Path, Path]:
    d = tmp_path_factory.mktemp("faults")
    space = make_space(d, {"rates": "shift=2e-2", "images": IMAGES, "seed": 7})
    out, cache = d / "res", d / "cache"
    run = run_study(space, out, InProcessExecutor(), seed=0, cache_dir=str(cache))
    assert run.completed == 1
    build_report(out)
    return space, out, cache


def first_images_accuracy(graph: Any) -> float:
    ds = training_data("digits", None, None)
    pred = run_reference(graph, ds.x_test[:IMAGES], keep_activations=False).predictions
    return float(np.mean(pred == ds.y_test[:IMAGES]))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_point_carries_the_models_fault_accuracy(study: tuple[Space, Path, Path]) -> None:
    _, out, _ = study
    meta = json.loads((out / "trials" / "trial-0000.json").read_text())
    extra = meta["extra"]
    fa, free = extra["fault_accuracy"], extra["fault_free_accuracy"]
    assert extra["fault_images"] == IMAGES and extra["fault_arch"] == "default"
    assert 0.0 <= fa <= 1.0
    # a decently trained model, and 2e-2 position errors per shift step cost it accuracy
    assert free > 0.6
    assert fa < free
    pts = rows(out / "trials" / "trial-0000-points.csv")
    assert len(pts) == 2
    assert {float(p["fault_accuracy"]) for p in pts} == {fa}
    ref = rows(out / "trials" / "reference-points.csv")
    assert 0.0 <= float(ref[0]["fault_accuracy"]) <= 1.0


def test_report_shows_fault_accuracy(study: tuple[Space, Path, Path]) -> None:
    _, out, _ = study
    meta = json.loads((out / "trials" / "trial-0000.json").read_text())
    trials = rows(out / "trials.csv")
    assert float(trials[0]["fault_accuracy"]) == meta["extra"]["fault_accuracy"]
    assert float(trials[0]["fault_free_accuracy"]) == meta["extra"]["fault_free_accuracy"]
    assert "best_fault_accuracy" not in trials[0]
    front = rows(out / "pareto.csv")
    assert front and all(
        float(r["fault_accuracy"]) == meta["extra"]["fault_accuracy"] for r in front
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["faults"] == {
        "rates": "shift=0.02,read=0,write=0",
        "mitigation": "none",
        "images": IMAGES,
        "seed": 7,
        "arch": "default",
        "reference_arch": "default",
    }
    html = (out / "report.html").read_text()
    assert f"first {IMAGES} test images" in html and "base arch <code>default</code>" in html
    assert "accuracy under faults" in html


def test_same_seed_same_fault_accuracy_and_zero_rate_is_fault_free(
    study: tuple[Space, Path, Path], tmp_path: Path
) -> None:
    space, out, cache = study
    meta = json.loads((out / "trials" / "trial-0000.json").read_text())
    again = evaluate_candidate(task(space, cache))  # the model is cached: no training
    assert again.cached
    assert again.extra["fault_accuracy"] == meta["extra"]["fault_accuracy"]
    free = first_images_accuracy(graph_of(again))
    assert again.extra["fault_free_accuracy"] == free
    # zero rates through the faulty path (the position check makes it run the fault model)
    zero = make_space(
        tmp_path, {"rates": "shift=0", "mitigation": "position_check", "images": IMAGES}
    )
    res = evaluate_candidate(task(zero, cache))
    assert res.extra["fault_accuracy"] == res.extra["fault_free_accuracy"] == free
    assert all(p["fault_accuracy"] == free for p in res.points)


def test_no_faults_section_no_fault_column(study: tuple[Space, Path, Path], tmp_path: Path) -> None:
    _, _, cache = study
    plain = make_space(tmp_path, None)
    res = evaluate_candidate(task(plain, cache))
    assert res.cached
    assert not any(k.startswith("fault") for k in res.extra)
    assert all("fault_accuracy" not in p for p in res.points)


def test_a_base_arch_too_small_gives_nan_and_the_reason(study: tuple[Space, Path, Path]) -> None:
    _, out, _ = study
    meta = json.loads((out / "trials" / "trial-0000.json").read_text())
    graph = load_trained(Path(meta["extra"]["folder"])).graph
    small = {"memory.banks": 1, "memory.subarrays_per_bank": 1, "memory.mu_rows": 2}
    small.update({"memory.mu_cols": 2, "memory.mu.domains": 32, "memory.mu.ports": 1})
    arch = build_arch(load_arch("default"), small)
    faults = FaultsConfig(rates="shift=1e-2", images=IMAGES)
    f = fault_figures(graph, training_data("digits", None, None), arch, faults)
    assert math.isnan(f["fault_accuracy"])
    assert f["fault_reason"].startswith("CapacityError")
    assert f["fault_free_accuracy"] == first_images_accuracy(graph)


def graph_of(res: Any) -> Any:
    return load_trained(Path(res.extra["folder"])).graph
