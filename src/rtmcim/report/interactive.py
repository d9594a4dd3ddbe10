"""The data behind report.html's interactive figures and tables (JSON for report/explorer.js).

One record per Pareto-front design: its model, bits, every hardware choice, its figures in the
stored units, its trial file and its per-layer energy by event class (the design evaluated again
from its stored workload and arch overrides). The browser draws the front, the filters, the
sortable table, the per-layer breakdown and the comparison of two designs from these records.
"""

from __future__ import annotations

import math
from typing import Any

from rtmcim.explore import OBJECTIVES, describe_fidelity
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.report.results import Results, evaluate_point, trial_of
from rtmcim.report.units import eng, percent, plain

# figure columns of a point, how they are shown: (column, label, SI scale, unit or "%")
FIGURES: tuple[tuple[str, str, float, str], ...] = (
    ("accuracy", "accuracy", 1.0, "%"),
    ("fault_accuracy", "accuracy under faults", 1.0, "%"),
    ("energy_pj", "energy / inference", 1e-12, "J"),
    ("latency_ns", "latency / inference", 1e-9, "s"),
    ("area_um2", "area", 1e-12, "m²"),
    ("edp_pj_ns", "energy-delay product", 1e-21, "J·s"),
    ("tops_per_w", "TOPS/W", 1.0, "TOPS/W"),
    ("peak_power_mw", "peak power", 1e-3, "W"),
    ("bank_area_um2", "memory bank area", 1e-12, "m²"),
    ("density_mbit_per_mm2", "density", 1.0, "Mbit/mm²"),
)
SI_UNITS = ("J", "s", "W", "m²", "J·s")  # shown with an SI prefix; any other unit as it is


def show(fig: dict[str, Any], value: float) -> str:
    """A point figure (one of :func:`figures`) as text with its unit (``"25.0 nJ"``)."""
    if fig["unit"] == "%":
        return str(percent(value))
    if fig["unit"] not in SI_UNITS:
        return plain(value, fig["unit"])
    return eng(value * fig["scale"], fig["unit"])


def short_keys(keys: list[str]) -> dict[str, str]:
    """Each hardware sweep key by its last part (``memory.mu.ports`` -> ``ports``), unless two
    keys share it."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: s if last.count(s) == 1 else k for k, s in zip(keys, last, strict=True)}


def varying_keys(res: Results, front: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """The hardware keys whose value differs between front designs, and the others' one value."""
    vary, same = [], {}
    for k in res.sweep_keys:
        values = {str(p[k]) for p in front}
        if len(values) > 1:
            vary.append(k)
        elif values:
            same[k] = front[0][k]
    return vary, same


def layers_of(ev: Evaluation) -> dict[str, Any]:
    """Per-layer energy (pJ) by event class: the classes that cost something, in order."""
    classes = [c for c in ev.energy_pj if ev.energy_pj[c] > 0]
    return {
        "names": [lc.name for lc in ev.layers],
        "classes": {c: [lc.energy_pj.get(c, 0.0) for lc in ev.layers] for c in classes},
    }


def _finite(v: Any) -> Any:
    """JSON has no NaN: a missing figure is null."""
    return v if not isinstance(v, float) or math.isfinite(v) else None


def figures(res: Results) -> list[dict[str, Any]]:
    """The figures of the space's points, how they are labelled and shown: the built-in ones of
    :data:`FIGURES`, then the column of any other objective (a registered one) as stored."""
    cols = set(res.numeric)
    objs = {o.column: o for o in OBJECTIVES.records()}
    out = []
    for col, label, scale, unit in FIGURES:
        if col in cols:
            o = objs.get(col)
            log = bool(o.log_axis) if o is not None else unit in SI_UNITS
            out.append({"col": col, "label": label, "scale": scale, "unit": unit, "log": log})
    known = {f[0] for f in FIGURES}
    for col in res.numeric:
        o = objs.get(col)
        if col not in known and o is not None:
            label, unit = o.label, o.unit
            out.append({"col": col, "label": label, "scale": 1.0, "unit": unit, "log": o.log_axis})
    return out


def record(
    res: Results, p: dict[str, Any], keys: dict[str, str], ev: Evaluation | None
) -> dict[str, Any]:
    """One design of the front (or the default design, trial -1) for the browser."""
    t = trial_of(res, p["trial"])
    figs_shown = figures(res)
    figs = {f["col"]: _finite(p.get(f["col"], math.nan)) for f in figs_shown}
    rec: dict[str, Any] = {
        "trial": p["trial"],
        "point": p["point"],
        "model": t["spec"]["name"],
        "wbits": t["wbits"],
        "abits": t["abits"],
        "hw": {s: p[k] for k, s in keys.items()} if p["trial"] != -1 else {},
        "fig": figs,
        "text": {
            f["col"]: show(f, figs[f["col"]]) for f in figs_shown if figs[f["col"]] is not None
        },
        "file": "trials/reference.json"
        if p["trial"] == -1
        else f"trials/trial-{p['trial']:04d}.json",
    }
    fid = t.get("accuracy_fidelity")
    if isinstance(fid, dict) and "epochs" in fid:  # the training behind the accuracy
        rec["fidelity"] = describe_fidelity(fid)
    if ev is not None:
        rec["layers"] = layers_of(ev)
    return rec


def explorer_data(
    res: Results,
    front: list[dict[str, Any]],
    summary: dict[str, Any],
    with_layers: bool = True,
) -> dict[str, Any]:
    """Everything report/explorer.js draws: the front's records, the hardware keys shown as
    columns, the figures, the default design, the baselines and the per-model fault accuracy."""
    vary, same = varying_keys(res, front)
    names = short_keys(res.sweep_keys)
    keys = {k: names[k] for k in vary}
    records = [record(res, p, keys, evaluate_point(res, p) if with_layers else None) for p in front]
    ref = res.reference["point"] if res.reference else None
    reference = None
    if ref is not None:
        reference = record(res, ref, {}, evaluate_point(res, ref) if with_layers else None)
        reference["arch"] = res.space.reference.arch
    return {
        "records": records,
        "hw_keys": [keys[k] for k in vary],
        "hw_full": {keys[k]: k for k in vary},
        "hw_same": {names[k]: v for k, v in same.items()},
        "figures": figures(res),
        "objectives": list(res.objectives),
        "reference": reference,
        "baselines": _baselines(summary),
        "faults": _faults(res),
    }


def crossover_data(points: list[Any]) -> list[dict[str, Any]]:
    """The crossover study's points (rtmcim.explore.CrossoverPoint): model, its weights (KiB),
    capacity (KiB), design, energy (pJ), latency (ns), area (µm²); null where it cannot run."""
    return [
        {
            "model": p.model,
            "weights_kib": p.weights_kib,
            "kib": p.capacity_kib,
            "design": p.design,
            "energy_pj": _finite(float(p.energy_pj)),
            "latency_ns": _finite(float(p.latency_ns)),
            "area_um2": _finite(float(p.area_um2)),
        }
        for p in points
    ]


def _baselines(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The headline design and each baseline: energy, latency and area (stored units)."""
    head = next((d for d in summary["chosen"] if d["label"] == summary["headline"]), None)
    if head is None or not summary.get("baselines"):
        return None
    label = f"{head['label']}, trial {head['trial']}"
    rows = [{"name": "design", "source": label, **_eal(head)}]
    rows += [{"name": b["name"], "source": b["source"], **_eal(b)} for b in summary["baselines"]]
    return {"design": head["label"], "rows": rows}


def _eal(d: dict[str, Any]) -> dict[str, float]:
    return {k: d[k] for k in ("energy_pj", "latency_ns", "area_um2")}


def _faults(res: Results) -> list[dict[str, Any]] | None:
    """Per model: accuracy without and with the space's faults on the first N test images."""
    if res.space.faults is None:
        return None
    out = []
    for t in sorted(res.trials, key=lambda t: int(t["number"])):
        e = t.get("extra", {})
        if "fault_accuracy" not in e:
            continue
        out.append(
            {
                "trial": t["number"],
                "model": t["spec"]["name"],
                "bits": f"W{t['wbits']}/A{t['abits']}",
                "fault_free": _finite(float(e["fault_free_accuracy"])),
                "faulty": _finite(float(e["fault_accuracy"])),
                "images": e.get("fault_images"),
            }
        )
    return out
