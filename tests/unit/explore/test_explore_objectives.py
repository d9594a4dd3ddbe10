"""Trial values and constraints of a model candidate from its hardware points."""

from __future__ import annotations

import math
from typing import Any

from rtmcim.explore.candidate import CandidateResult
from rtmcim.explore.objectives import violation
from rtmcim.explore.space import Constraints, space_from_dict
from rtmcim.explore.study import constraint_values, trial_values

BASE: dict[str, Any] = {
    "dataset": "digits",
    "hardware": {"base": "default", "sweep": {"memory.mu.ports": [1, 2]}},
}


def result(points: list[dict[str, Any]], accuracy: float = 0.8) -> CandidateResult:
    return CandidateResult(
        number=0,
        params={},
        spec={"name": "m"},
        wbits=8,
        abits=8,
        model_key="k",
        float_accuracy=accuracy,
        qat_accuracy=accuracy,
        accuracy=accuracy,
        cached=True,
        workload=[],
        points=points,
        train_s=0.0,
        sweep_s=0.0,
    )


def pt(e: float, lat: float, area: float, feasible: bool = True) -> dict[str, Any]:
    return {
        "feasible": feasible,
        "accuracy": 0.8,
        "energy_pj": e,
        "latency_ns": lat,
        "area_um2": area,
        "edp_pj_ns": e * lat,
        "tops_per_w": 1000.0 / e,
    }


def test_values_are_the_best_feasible_figures() -> None:
    space = space_from_dict(BASE)
    res = result([pt(10, 5, 3), pt(20, 1, 9), pt(1, 1, 1, feasible=False)])
    assert trial_values(space, res) == [0.8, 10, 1, 3]  # the infeasible point is ignored


def test_derived_objectives() -> None:
    space = space_from_dict({**BASE, "objectives": ["accuracy", "edp", "tops_per_w"]})
    res = result([pt(10, 5, 3), pt(20, 1, 9)])
    assert space.config.directions == ["maximize", "minimize", "maximize"]
    assert trial_values(space, res) == [0.8, 20, 100.0]


def test_no_point_that_runs_the_model_gives_no_values() -> None:
    space = space_from_dict(BASE)
    res = result([{"feasible": False, "reason": "CapacityError: ..."}])
    assert trial_values(space, res) is None


def test_constraints() -> None:
    space = space_from_dict({**BASE, "constraints": {"accuracy_floor": 0.9}})
    c = constraint_values(space, result([pt(1, 1, 1)], accuracy=0.8))
    assert math.isclose(c["accuracy_floor"], 0.1)
    assert c["feasible_hardware"] == 0.0
    c = constraint_values(space, result([pt(1, 1, 1, feasible=False)], accuracy=0.95))
    assert c["accuracy_floor"] < 0 and c["feasible_hardware"] == 1.0


def test_hardware_violations_say_why() -> None:
    c = Constraints(area_budget_mm2=1.0, peak_power_mw=10.0)
    assert violation({"area_um2": 0.5e6, "peak_power_mw": 5.0}, c) == ""
    assert "area" in violation({"area_um2": 2e6, "peak_power_mw": 5.0}, c)
    assert "peak power" in violation({"area_um2": 0.5e6, "peak_power_mw": 50.0}, c)
