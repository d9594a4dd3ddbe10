"""Tidy CSV tables of a results folder: one row per trial, one row per Pareto point."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rtmcim.explore import OBJECTIVES, best
from rtmcim.report.fidelity import fidelity_columns
from rtmcim.report.results import Results, base_arch
from rtmcim.report.units import column_quantity, percent


def design_figures(d: Mapping[str, Any]) -> dict[str, Any]:
    """A design record's (summary.json) figures as table cells: each a :class:`Quantity` in SI
    base units, which a table shows in engineering notation (``25.0 nJ``, ``0.535 mm²``)."""
    fault = {"accuracy under faults": percent(d["fault_accuracy"])} if "fault_accuracy" in d else {}
    cells = {k: column_quantity(k, d[k])[1] for k in ("energy_pj", "latency_ns", "area_um2")}
    return {
        "model": d["model"],
        "W/A bits": f"{d['wbits']}/{d['abits']}",
        "accuracy": percent(d["accuracy"]),
        **fault,
        "energy": cells["energy_pj"],
        "latency": cells["latency_ns"],
        "area": cells["area_um2"],
        "bank area": column_quantity("bank_area_um2", d["bank_area_um2"])[1],
        "density": column_quantity("density_mbit_per_mm2", d["density_mbit_per_mm2"])[1],
    }


def trial_rows(res: Results) -> list[dict[str, Any]]:
    """One row per model candidate: its parameters, accuracies and best hardware figures."""
    out = []
    objs = res.objectives
    for t in sorted(res.trials, key=lambda t: int(t["number"])):
        pts = [p for p in res.points if p["trial"] == t["number"] and p["feasible"]]
        row: dict[str, Any] = {"trial": t["number"], "model": t["spec"]["name"]}
        row.update({f"param_{k}": v for k, v in sorted(t["params"].items())})
        row.update(
            {
                "wbits": t["wbits"],
                "abits": t["abits"],
                "float_accuracy": t["float_accuracy"],
                "qat_accuracy": t["qat_accuracy"],
                "accuracy": t["accuracy"],
                **fidelity_columns(t),
                **_fault_columns(res, t),
                "macs": t.get("extra", {}).get("macs"),
                "hw_points": t["points"],
                "hw_feasible": t["feasible"],
            }
        )
        for o in (OBJECTIVES[name] for name in objs):
            if not o.per_model:  # one value per model: no best
                row[f"best_{o.column}"] = best([p[o.column] for p in pts], o.maximize)
        row.update(
            {
                "train_s": round(float(t["train_s"]), 3),
                "sweep_s": round(float(t["sweep_s"]), 3),
                "cached": t["cached"],
                "model_key": t["model_key"],
                "spec": json.dumps(t["spec"], sort_keys=True),
            }
        )
        out.append(row)
    return out


def _fault_columns(res: Results, t: dict[str, Any]) -> dict[str, Any]:
    """Accuracy on the first N test images without and with the space's faults (base arch)."""
    if res.space.faults is None:
        return {}
    extra = t.get("extra", {})
    return {k: extra.get(k) for k in ("fault_free_accuracy", "fault_accuracy", "fault_images")}


def point_rows(res: Results, points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points with what makes them traceable: model key and spec, arch overrides, base arch, preset."""
    trials = {int(t["number"]): t for t in res.trials}
    tech = _tech_name(res)
    out = []
    for p in points:
        t = trials[p["trial"]]
        row: dict[str, Any] = {
            "trial": p["trial"],
            "point": p["point"],
            "model": t["spec"]["name"],
            "wbits": t["wbits"],
            "abits": t["abits"],
        }
        row.update({k: p[k] for k in res.sweep_keys})
        row.update({k: p[k] for k in res.numeric})
        row.update(fidelity_columns(t))
        row.update(
            {
                "base_arch": res.space.hardware.base,
                "tech": tech,
                "model_key": t["model_key"],
                "spec": json.dumps(t["spec"], sort_keys=True),
            }
        )
        out.append(row)
    return out


def _tech_name(res: Results) -> str:
    return base_arch(res).config.tech
