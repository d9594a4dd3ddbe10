"""Objectives and metrics of one design point (a trained model on one arch).

Every figure is per inference and carries its unit in its name. An
:class:`Objective` is one record in :data:`OBJECTIVES`: its direction, the
column of a point record that holds it, its unit, how a plot labels and
scales it, and where it comes from:

* ``hardware`` objectives are figures of each hardware point: the four core
  ones ``energy`` (pJ, min), ``latency`` (ns, min) and ``area`` (µm², min)
  with ``accuracy``, and the derived ``edp`` and ``tops_per_w``; an objective
  with ``compute`` derives its column from a point's :data:`METRICS`;
* ``model``: ``accuracy`` (max), the model's own, the same on every hardware
  point of that model;
* ``faults``: ``fault_accuracy`` (max), the model's accuracy under the space's
  fault rates, measured once per model on the base arch (a space needs a
  ``faults`` section for it).

Adding an objective is one ``OBJECTIVES.register(Objective(...))`` with a
``compute``; a space may then list it under ``objectives:`` and the search,
the Pareto front and the report take it as they take the built-ins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtmcim.mapping.batch import PointCosts
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.memory.costs import area_breakdown
from rtmcim.registry import Registry

if TYPE_CHECKING:
    from rtmcim.explore.space import Constraints

Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Objective:
    """One objective of the search: see the module docstring."""

    name: str
    direction: Direction
    column: str  # the column of a point record
    label: str  # axis label, in plot units
    description: str
    unit: str = ""
    scale: float = 1.0  # column value x scale = plotted value
    log_axis: bool = False  # plotted as log10 (costs span decades)
    compute: Callable[[Mapping[str, float]], float] | None = None  # from a point's METRICS
    source: Literal["hardware", "model", "faults"] = "hardware"

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"

    @property
    def per_model(self) -> bool:
        """The same value on every hardware point of a model (no best-of-points figure)."""
        return self.source != "hardware"


def _cost(name: str, column: str, unit: str, label: str, scale: float, what: str) -> Objective:
    """A cost to minimize, plotted on a log axis."""
    return Objective(name, "minimize", column, label, what, unit, scale, log_axis=True)


OBJECTIVES: Registry[Objective] = Registry(
    "objective",
    "objectives",
    __name__,
    (
        Objective(
            "accuracy",
            "maximize",
            "accuracy",
            "accuracy",
            "integer-graph test accuracy",
            source="model",
        ),
        _cost("energy", "energy_pj", "pJ", "energy / inference (nJ)", 1e-3, "energy per inference"),
        _cost(
            "latency", "latency_ns", "ns", "latency / inference (µs)", 1e-3, "latency per inference"
        ),
        _cost("area", "area_um2", "um2", "area (mm²)", 1e-6, "accelerator area"),
        _cost(
            "edp", "edp_pj_ns", "pJ*ns", "EDP (nJ·µs)", 1e-6, "energy-delay product per inference"
        ),
        Objective(
            "tops_per_w",
            "maximize",
            "tops_per_w",
            "TOPS/W",
            "energy efficiency (2 ops per MAC)",
            unit="TOPS/W",
        ),
        Objective(
            "fault_accuracy",
            "maximize",
            "fault_accuracy",
            "accuracy under faults",
            "integer-graph accuracy under the space's fault rates "
            "(bit-exact engine, base arch, first N test images)",
            source="faults",
        ),
    ),
)
CORE_OBJECTIVES = ("accuracy", "energy", "latency", "area")

METRICS = (
    "energy_pj",
    "latency_ns",
    "area_um2",
    "edp_pj_ns",
    "tops_per_w",
    "peak_power_mw",
    "bank_area_um2",
    "density_mbit_per_mm2",
    "array_efficiency",
    "utilization",
    "pes",
)


def figures(
    energy_pj: Any,
    latency_ns: Any,
    area_um2: Any,
    macs: int,
    peak_power_mw: Any,
    bank_area_um2: Any,
    capacity_bits: Any,
    array_efficiency: Any,
    utilization: Any,
    pes: Any,
) -> dict[str, Any]:
    """The ``METRICS`` of a design from its base figures (floats, or numpy arrays over points)."""
    return {
        "energy_pj": energy_pj,
        "latency_ns": latency_ns,
        "area_um2": area_um2,
        "edp_pj_ns": energy_pj * latency_ns,
        "tops_per_w": 2 * macs / energy_pj,  # 2 ops per MAC; (ops / J) / 1e12 = 2 MACs / pJ
        "peak_power_mw": peak_power_mw,
        "bank_area_um2": bank_area_um2,
        "density_mbit_per_mm2": capacity_bits / 1e6 / (area_um2 / 1e6),
        "array_efficiency": array_efficiency,
        "utilization": utilization,
        "pes": pes,
    }


def metrics(ev: Evaluation) -> dict[str, float]:
    """The figures of one evaluated design (accuracy is the model's, added by the caller)."""
    ab = area_breakdown(ev.arch.org, ev.arch.tech)
    macs = sum(lc.macs for lc in ev.layers)
    util = sum(lc.utilization * lc.macs for lc in ev.layers) / macs if macs else 0.0
    return figures(
        ev.total_energy_pj,
        ev.latency_ns,
        ev.total_area_um2,
        macs,
        ev.peak_power_mw,
        ab.bank_um2,
        ev.arch.org.capacity_bits,
        ab.array_efficiency,
        util,
        float(ev.arch.pes),
    )


def point_metrics(pc: PointCosts) -> list[dict[str, float] | None]:
    """:func:`metrics` of every point of a batch evaluation (None where a point does not map)."""
    cols = figures(
        pc.energy_pj,
        pc.latency_ns,
        pc.area_um2,
        pc.macs,
        pc.peak_power_mw,
        pc.bank_area_um2,
        pc.capacity_bits,
        pc.array_efficiency,
        pc.utilization,
        pc.pes,
    )
    as_lists = {k: np.asarray(v, dtype=float).tolist() for k, v in cols.items()}
    return [None if err else {k: as_lists[k][i] for k in METRICS} for i, err in enumerate(pc.error)]


def computed(metrics: Mapping[str, float], objectives: Sequence[str]) -> dict[str, float]:
    """The columns of the ``objectives`` that derive theirs from a point's metrics."""
    out = {}
    for name in objectives:
        o = OBJECTIVES[name]
        if o.compute is not None:
            out[o.column] = float(o.compute(metrics))
    return out


def violation(point: dict[str, Any], c: Constraints) -> str:
    """Why a point breaks a hardware constraint ('' when it does not)."""
    if c.area_budget_mm2 is not None and point["area_um2"] / 1e6 > c.area_budget_mm2:
        return f"area {point['area_um2'] / 1e6:.3g} mm2 > budget {c.area_budget_mm2:g}"
    if c.peak_power_mw is not None and point["peak_power_mw"] > c.peak_power_mw:
        return f"peak power {point['peak_power_mw']:.4g} mW > budget {c.peak_power_mw:g}"
    return ""


def objective_values(point: Mapping[str, Any], objectives: Sequence[str]) -> list[float]:
    return [float(point[OBJECTIVES[o].column]) for o in objectives]


def maximize_flags(objectives: Sequence[str]) -> list[bool]:
    return [OBJECTIVES[o].maximize for o in objectives]


def best(values: list[float], maximize: bool) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan
    return max(finite) if maximize else min(finite)
