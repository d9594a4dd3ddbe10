"""Build the files of a results folder: CSV tables, summary.json, plots and report.html."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import rtmcim
from rtmcim import atomic, outdir
from rtmcim.errors import DataError
from rtmcim.explore import (
    CROSSOVER_ASSUMPTIONS,
    DEFAULT_CAPACITIES_KIB,
    OBJECTIVES,
    CrossoverPoint,
    FaultsConfig,
    crossover_study,
    default_workloads,
    verdict,
)
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.report import plots
from rtmcim.report.fault_sweep import filed_sweeps, plot_fault_sweep
from rtmcim.report.fidelity import fidelity_summary, full_gap
from rtmcim.report.interactive import crossover_data, explorer_data
from rtmcim.report.page import page
from rtmcim.report.results import (
    Results,
    arch_of,
    base_arch,
    baselines_for,
    chosen_designs,
    evaluate_point,
    load_results,
    pareto_points,
    trial_of,
    vs_default,
    workload_of,
)
from rtmcim.report.tables import point_rows, trial_rows

SUMMARY_VERSION = 1


@dataclass(frozen=True)
class Report:
    folder: Path
    files: dict[str, Path]
    summary: dict[str, Any]


def _design_record(res: Results, label: str, p: dict[str, Any]) -> dict[str, Any]:
    t = trial_of(res, p["trial"])
    arch = arch_of(res, p)
    rec: dict[str, Any] = {
        "label": label,
        "trial": p["trial"],
        "point": p["point"],
        "model": t["spec"]["name"],
        "wbits": t["wbits"],
        "abits": t["abits"],
        "model_key": t["model_key"],
        "spec": t["spec"],
        "arch_overrides": {k: p[k] for k in res.sweep_keys} if p["trial"] != -1 else {},
        "arch": arch.config.model_dump(mode="json"),
        "tech_preset": arch.tech.name,
    }
    rec.update({k: p[k] for k in ("accuracy", "energy_pj", "latency_ns", "area_um2")})
    rec["screening_accuracy"] = t.get("screening_accuracy")
    rec["accuracy_fidelity"] = t.get("accuracy_fidelity")
    gap = full_gap(t)
    if gap is not None:
        rec["full_training"] = gap
    rec.update({OBJECTIVES[o].column: p[OBJECTIVES[o].column] for o in res.objectives})
    if "fault_accuracy" in p:
        rec["fault_accuracy"] = p["fault_accuracy"]
    rec.update(
        {k: p[k] for k in ("tops_per_w", "peak_power_mw", "bank_area_um2", "density_mbit_per_mm2")}
    )
    return rec


def _heatmap_grid(
    res: Results, p: dict[str, Any]
) -> tuple[dict[str, np.ndarray], list[Any], list[Any]] | None:
    kp, kd = "memory.mu.ports", "memory.mu.domains"
    sweep = res.space.hardware.sweep
    if kp not in sweep or kd not in sweep or p["trial"] == -1:
        return None
    ports, doms = sorted(sweep[kp]), sorted(sweep[kd])
    others = [k for k in res.sweep_keys if k not in (kp, kd)]
    e = np.full((len(ports), len(doms)), np.nan)
    a = np.full_like(e, np.nan)
    for q in res.points:
        if q["trial"] != p["trial"] or any(q[k] != p[k] for k in others):
            continue
        if math.isnan(q["energy_pj"]):
            continue
        i, j = ports.index(q[kp]), doms.index(q[kd])
        e[i, j] = q["energy_pj"] / 1e3
        a[i, j] = q["area_um2"] / 1e6
    return {"energy / inference (nJ)": e, "area (mm²)": a}, ports, doms


def build_report(folder: str | Path) -> Report:
    """(Re)build every report file of a results folder from what the study stored.

    The folder must be an rtmcim study's (:mod:`rtmcim.outdir`); a ``summary.json`` that is not
    one rtmcim wrote is refused, not overwritten."""
    res = load_results(folder)
    out = res.folder
    # a study folder written before folders were marked: its study.json was just read
    outdir.check(out, "study", key="DIR", adopt=lambda _: bool(res.study.get("study_name")))
    _check_summary(out / "summary.json")
    front = pareto_points(res)
    trials_tab, front_tab = trial_rows(res), point_rows(res, front)
    files = {
        "trials.csv": atomic.write_csv(out / "trials.csv", trials_tab),
        "pareto.csv": atomic.write_csv(out / "pareto.csv", front_tab),
    }
    chosen = chosen_designs(res, front)
    evals = _evaluations(res, chosen)
    summary = _summary(res, front, chosen, evals)
    files.update(_plots(res, front, chosen, evals, summary["headline"]))
    points = _crossover_points(res, chosen.get(summary["headline"] or ""))
    summary["crossover"] = _crossover_summary(points)
    files["crossover.csv"] = atomic.write_csv(out / "crossover.csv", [p.as_row() for p in points])
    files["plots/crossover.png"] = plots.crossover(points, out / "plots" / "crossover.png")
    sweeps = filed_sweeps(out)
    for name, sw in sweeps:
        png = out / "plots" / f"fault-sweep-{name}.png"
        files[f"plots/fault-sweep-{name}.png"] = atomic.write_with(
            png, functools.partial(plot_fault_sweep, sw["points"], sw["meta"])
        )
    summary["fault_sweeps"] = [{"name": n, **sw["meta"]} for n, sw in sweeps]
    files.update(_svgs(out, files))
    text = json.dumps(summary, indent=1, sort_keys=True, default=_jsonable) + "\n"
    files["summary.json"] = atomic.write_text(out / "summary.json", text)
    ref_pt = res.reference["point"] if res.reference else None
    arch = arch_of(res, ref_pt) if ref_pt is not None else base_arch(res)
    explorer = explorer_data(res, front, summary) | {"crossover": crossover_data(points)}
    html = page(res, summary, explorer, trials_tab, files, arch)
    files["report.html"] = atomic.write_text(out / "report.html", html)
    return Report(out, files, summary)


def _check_summary(path: Path) -> None:
    """An existing summary.json must be one rtmcim wrote (a JSON object with its version)."""
    if not path.exists() and not path.is_symlink():
        return
    from rtmcim.yamlio import read_text

    text = read_text(path, "summary.json", DataError, 256 * 2**20)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("version") != SUMMARY_VERSION:
        raise DataError(
            "summary.json is not one rtmcim wrote (corrupt or changed): not overwritten",
            source=str(path),
            hint="move it away, then run 'rtmcim report' again",
        )


def _evaluations(res: Results, chosen: dict[str, dict[str, Any]]) -> dict[str, Evaluation]:
    """The chosen designs and the default design, evaluated again from their stored records."""
    evals = {label: evaluate_point(res, p) for label, p in chosen.items()}
    if res.reference is not None and res.reference["point"] is not None:
        evals["default design"] = evaluate_point(res, res.reference["point"])
    return evals


def _summary(
    res: Results,
    front: list[dict[str, Any]],
    chosen: dict[str, dict[str, Any]],
    evals: dict[str, Evaluation],
) -> dict[str, Any]:
    """summary.json: what was run, the chosen designs against the default design and the
    baselines, the front's size and the timing."""
    ref_pt = res.reference["point"] if res.reference else None
    designs = [_design_record(res, label, p) for label, p in chosen.items()]
    for d, p in zip(designs, chosen.values(), strict=True):
        d["vs_default"] = vs_default(p, ref_pt) if ref_pt is not None else None
    # baselines on the headline design's workload and arch resources, and on the default's
    headline = next(iter(chosen), None)  # chosen_designs puts the headline first
    baselines = baselines_for(res, chosen[headline], evals[headline]) if headline else None
    ref = _design_record(res, "default design", ref_pt) if ref_pt is not None else None
    ref_baselines = None
    if ref_pt is not None:
        ref_baselines = baselines_for(res, ref_pt, evals["default design"])
    summary: dict[str, Any] = {
        "version": SUMMARY_VERSION,
        "rtmcim_version": rtmcim.__version__,
        **{k: res.study.get(k) for k in ("study_name", "storage", "seed", "space")},
        "objectives": {o: OBJECTIVES[o].direction for o in res.objectives},
        "models_trained": len(res.trials),
        "distinct_models": len({t["model_key"] for t in res.trials}),
        "hw_points_per_model": min((int(t["points"]) for t in res.trials), default=0),
        "feasible_points": sum(1 for p in res.points if p["feasible"]),
        "timing": _timing(res),
        "front_size": len(front),
        "reference": ref,
        "reference_baselines": ref_baselines,
        "chosen": designs,
        "headline": headline,
        "baselines": baselines,
        **fidelity_summary(res, front),
    }
    if res.space.faults is not None:
        summary["faults"] = _faults_summary(res, res.space.faults)
    return summary


def _crossover_points(res: Results, headline: dict[str, Any] | None) -> list[CrossoverPoint]:
    """The crossover study on the default design's arch: the shipped model sizes, and the
    headline design's own workload when it is not one of them."""
    ref_pt = res.reference["point"] if res.reference else None
    arch = arch_of(res, ref_pt) if ref_pt is not None else base_arch(res)
    works = default_workloads()
    if headline is not None:
        own = workload_of(res, headline)
        if all(own != w for w in works):
            t = trial_of(res, headline["trial"])
            works.append(dataclasses.replace(own, name=f"headline ({t['spec']['name']})"))
    return crossover_study(works, arch, DEFAULT_CAPACITIES_KIB)


def _crossover_summary(points: list[CrossoverPoint]) -> dict[str, Any]:
    return {
        "capacities_kib": list(DEFAULT_CAPACITIES_KIB),
        "models": {p.model: p.weights_kib for p in points},
        "verdict": verdict(points),
        "assumptions": CROSSOVER_ASSUMPTIONS,
        "file": "crossover.csv",
    }


def _timing(res: Results) -> dict[str, float]:
    """Seconds spent training and sweeping, and the sweep's speed."""
    points = sum(int(t["points"]) for t in res.trials)
    sweep_s = sum(float(t["sweep_s"]) for t in res.trials)
    return {
        "train_s": sum(float(t["train_s"]) for t in res.trials),
        "sweep_s": sweep_s,
        "hw_points_evaluated": points,
        "hw_points_per_s": points / sweep_s if sweep_s else math.nan,
    }


def _plots(
    res: Results,
    front: list[dict[str, Any]],
    chosen: dict[str, dict[str, Any]],
    evals: dict[str, Evaluation],
    headline: str | None,
) -> dict[str, Path]:
    """The figures of the report, by their path in the results folder."""
    pdir = res.folder / "plots"
    pdir.mkdir(exist_ok=True)
    trials_by = {int(t["number"]): t for t in res.trials}
    if res.reference is not None:
        trials_by[-1] = res.reference
    files = {
        "plots/pareto_matrix.png": plots.scatter_matrix(
            res.points, front, res.objectives, pdir / "pareto_matrix.png"
        ),
        "plots/accuracy_vs_energy.png": plots.accuracy_vs_energy(
            res.points, front, trials_by, res.reference, pdir / "accuracy_vs_energy.png"
        ),
    }
    if evals:
        merged = _merge_labels(chosen, evals)
        files["plots/layer_energy.png"] = plots.layer_breakdown(merged, pdir / "layer_energy.png")
    heat = _heatmap_grid(res, chosen[headline]) if headline else None
    if heat is not None:
        title = f"{headline}: other hardware choices fixed at the design's"
        path = pdir / "heatmap_ports_domains.png"
        files["plots/heatmap_ports_domains.png"] = plots.heatmaps(*heat, title, path)
    return files


def _svgs(out: Path, files: dict[str, Path]) -> dict[str, Path]:
    """The SVG written beside each PNG figure, by its name in the results folder."""
    pngs = [name for name in files if name.startswith("plots/") and name.endswith(".png")]
    svgs = {
        name.removesuffix(".png") + ".svg": out / (name.removesuffix(".png") + ".svg")
        for name in pngs
    }
    return {name: path for name, path in svgs.items() if path.is_file()}


def _faults_summary(res: Results, f: FaultsConfig) -> dict[str, Any]:
    """How fault_accuracy was measured: rates, mitigation, images, seed and the arch it ran on."""
    extras = [t.get("extra", {}) for t in res.trials]
    images = {int(e["fault_images"]) for e in extras if "fault_images" in e}
    return {
        "rates": str(f.fault_config()),
        "mitigation": f.mitigation_config().name,
        "images": max(images) if images else f.images,
        "seed": f.seed,
        "arch": res.space.hardware.base,
        "reference_arch": res.space.reference.arch,
    }


def _merge_labels(chosen: dict[str, dict[str, Any]], evals: dict[str, Any]) -> dict[str, Any]:
    """One panel per distinct design: labels of the same point are joined."""
    by_point: dict[tuple[int, int], list[str]] = {}
    for label, p in chosen.items():
        by_point.setdefault((p["trial"], p["point"]), []).append(label)
    out = {" / ".join(labels): evals[labels[0]] for labels in by_point.values()}
    if "default design" in evals:
        out["default design"] = evals["default design"]
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return str(v)
