"""Change story: a new objective, registered from this file alone, runs through a co-exploration.

The toy objective is the energy-area product (EAP) of a design, to minimize. A space lists it
under ``objectives:`` like a built-in; the search optimises it, every hardware point carries
its column, and the Pareto front, the tables, the summary and the report take it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtmcim.explore import OBJECTIVES, Objective, space_from_dict
from rtmcim.explore.executors import InProcessExecutor
from rtmcim.explore.study import open_study, run_study
from rtmcim.report import build_report

pytestmark = pytest.mark.slow


def eap(m: Mapping[str, float]) -> float:
    return m["energy_pj"] * m["area_um2"]


EAP = Objective(
    name="energy_area",
    direction="minimize",
    column="eap_pj_um2",
    label="energy x area (nJ·mm²)",
    description="energy-area product per inference",
    unit="pJ*um2",
    scale=1e-9,
    log_axis=True,
    compute=eap,
)
SPACE: dict[str, Any] = {
    "name": "eap",
    "dataset": "digits",
    "sampler": "random",
    "budget": 2,
    "training": {"epochs": 1, "qat_epochs": 1},
    "model": {"wbits": [4, 8], "abits": [8], "depth": [1], "channels": [2], "kernel": [3]},
    "hardware": {
        "base": "default",
        "sweep": {"memory.mu.domains": [32, 64], "memory.mu.ports": [1, 2, 4]},
    },
    "objectives": ["accuracy", "energy_area"],
}
TINY_NET = "name: tinyref\nconv: [{channels: 2, kernel: 3, padding: 1, pool: max}]\n"


@pytest.fixture
def explored(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    OBJECTIVES.register(EAP)
    try:
        (tmp_path / "ref.yaml").write_text(TINY_NET)
        data = {**SPACE, "reference": {"model": str(tmp_path / "ref.yaml"), "arch": "default"}}
        space = space_from_dict(data, "eap")
        out = tmp_path / "out"
        run_study(space, out, InProcessExecutor(), seed=1, cache_dir=str(tmp_path / "cache"))
        build_report(out)
        yield out, space
    finally:
        OBJECTIVES.unregister("energy_area")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def front_of(points: list[tuple[float, float]]) -> set[tuple[float, float]]:
    """Brute force: the (accuracy up, EAP down) pairs no other pair dominates."""
    return {p for p in points if not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)}


def test_the_new_objective_is_searched_stored_and_reported(explored: tuple[Path, Any]) -> None:
    out, space = explored
    assert space.config.directions == ["maximize", "minimize"]
    points = []
    for f in sorted((out / "trials").glob("trial-*-points.csv")):
        trial = json.loads(f.with_name(f.name.replace("-points.csv", ".json")).read_text())
        rows = [r for r in read_csv(f) if r["feasible"] == "True"]
        for r in rows:  # every point carries the objective's column, computed from its metrics
            assert float(r["eap_pj_um2"]) == pytest.approx(
                float(r["energy_pj"]) * float(r["area_um2"]), rel=1e-12
            )
            points.append((float(trial["accuracy"]), float(r["eap_pj_um2"])))
    assert len(points) > 2

    # the search was told the best EAP of each model
    study = open_study(space, f"sqlite:///{out / 'study.db'}", 1)
    for t in study.get_trials():
        ran = t.user_attrs.get("same_as", t.number)  # a repeated proposal reuses a trial
        rows = read_csv(out / "trials" / f"trial-{ran:04d}-points.csv")
        best = min(float(r["eap_pj_um2"]) for r in rows if r["feasible"] == "True")
        assert t.values[1] == pytest.approx(best, rel=1e-12)

    # the front is the Pareto set over accuracy and EAP
    front = read_csv(out / "pareto.csv")
    got = {(float(r["accuracy"]), float(r["eap_pj_um2"])) for r in front}
    assert got == front_of(points)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["objectives"] == {"accuracy": "maximize", "energy_area": "minimize"}
    lowest = next(d for d in summary["chosen"] if d["label"] == "lowest energy_area")
    assert lowest["eap_pj_um2"] == pytest.approx(min(e for _, e in got), rel=1e-12)
    assert "best_eap_pj_um2" in read_csv(out / "trials.csv")[0]
    assert "eap_pj_um2" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "plots" / "pareto_matrix.png").stat().st_size > 1000
    assert np.isfinite([e for _, e in points]).all()
