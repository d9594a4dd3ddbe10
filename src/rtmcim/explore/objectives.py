"""Objectives and constraints of one design point (a trained model on one arch).

Every figure is per inference and carries its unit in its name. The four core
objectives are ``accuracy`` (max), ``energy`` (pJ, min), ``latency`` (ns, min)
and ``area`` (µm², min); ``edp`` and ``tops_per_w`` are derived ones.
``fault_accuracy`` (max) is the model's accuracy under the space's fault rates,
measured once per model on the base arch, like ``accuracy`` the same on every
hardware point of that model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rtmcim.explore.space import OBJECTIVES, Constraints
from rtmcim.mapping.batch import PointCosts
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.memory.costs import area_breakdown

# objective name -> column of a point record
COLUMN = {
    "accuracy": "accuracy",
    "energy": "energy_pj",
    "latency": "latency_ns",
    "area": "area_um2",
    "edp": "edp_pj_ns",
    "tops_per_w": "tops_per_w",
    "fault_accuracy": "fault_accuracy",
}

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


def violation(point: dict[str, Any], c: Constraints) -> str:
    """Why a point breaks a hardware constraint ('' when it does not)."""
    if c.area_budget_mm2 is not None and point["area_um2"] / 1e6 > c.area_budget_mm2:
        return f"area {point['area_um2'] / 1e6:.3g} mm2 > budget {c.area_budget_mm2:g}"
    if c.peak_power_mw is not None and point["peak_power_mw"] > c.peak_power_mw:
        return f"peak power {point['peak_power_mw']:.4g} mW > budget {c.peak_power_mw:g}"
    return ""


def objective_values(point: dict[str, Any], objectives: tuple[str, ...]) -> list[float]:
    return [float(point[COLUMN[o]]) for o in objectives]


def maximize_flags(objectives: tuple[str, ...]) -> list[bool]:
    return [OBJECTIVES[o][0] == "maximize" for o in objectives]


def best(values: list[float], maximize: bool) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan
    return max(finite) if maximize else min(finite)
