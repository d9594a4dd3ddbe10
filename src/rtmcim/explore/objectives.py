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

from rtmcim.explore.space import OBJECTIVES, Constraints
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.memory.organization import area_breakdown

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


def metrics(ev: Evaluation) -> dict[str, float]:
    """The figures of one evaluated design (accuracy is the model's, added by the caller)."""
    ab = area_breakdown(ev.arch.org, ev.arch.tech)
    area = ev.total_area_um2
    macs = sum(lc.macs for lc in ev.layers)
    util = sum(lc.utilization * lc.macs for lc in ev.layers) / macs if macs else 0.0
    return {
        "energy_pj": ev.total_energy_pj,
        "latency_ns": ev.latency_ns,
        "area_um2": area,
        "edp_pj_ns": ev.total_energy_pj * ev.latency_ns,
        "tops_per_w": ev.tops_per_w,
        "peak_power_mw": ev.peak_power_mw,
        "bank_area_um2": ab.bank_um2,
        "density_mbit_per_mm2": ev.arch.org.capacity_bits / 1e6 / (area / 1e6),
        "array_efficiency": ab.array_efficiency,
        "utilization": util,
        "pes": float(ev.arch.pes),
    }


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
