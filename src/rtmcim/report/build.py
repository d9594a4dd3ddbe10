"""Build the files of a results folder: CSV tables, summary.json, plots and report.html."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import rtmcim
from rtmcim import atomic
from rtmcim.explore import OBJECTIVES, FaultsConfig
from rtmcim.report import html, plots
from rtmcim.report.results import (
    Results,
    arch_of,
    base_arch,
    baselines_for,
    chosen_designs,
    evaluate_point,
    load_results,
    pareto_points,
    tech_sources,
    trial_of,
    vs_default,
)
from rtmcim.report.tables import point_rows, trial_rows

SUMMARY_VERSION = 1
HEADLINE = "lowest energy at reference accuracy"


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
    """(Re)build every report file of a results folder from what the study stored."""
    res = load_results(folder)
    out = res.folder
    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    front = pareto_points(res)
    trials_tab = trial_rows(res)
    files["trials.csv"] = atomic.write_csv(out / "trials.csv", trials_tab)
    front_tab = point_rows(res, front)
    files["pareto.csv"] = atomic.write_csv(out / "pareto.csv", front_tab)

    chosen = chosen_designs(res, front)
    ref_pt = res.reference["point"] if res.reference else None
    designs = [_design_record(res, label, p) for label, p in chosen.items()]
    evals: dict[str, Any] = {}
    for label, p in chosen.items():
        evals[label] = evaluate_point(res, p)
    if ref_pt is not None:
        evals["default design"] = evaluate_point(res, ref_pt)
    ref_rec = _design_record(res, "default design", ref_pt) if ref_pt is not None else None
    for d, p in zip(designs, chosen.values(), strict=True):
        d["vs_default"] = vs_default(p, ref_pt) if ref_pt is not None else None

    # baselines on the headline design's workload and arch resources
    headline_label = HEADLINE if HEADLINE in chosen else next(iter(chosen), None)
    baselines = None
    if headline_label is not None:
        baselines = baselines_for(res, chosen[headline_label], evals[headline_label])
    ref_baselines = None
    if ref_pt is not None:
        ref_baselines = baselines_for(res, ref_pt, evals["default design"])

    # plots
    trials_by = {int(t["number"]): t for t in res.trials}
    if res.reference is not None:
        trials_by[-1] = res.reference
    objs = res.objectives
    files["plots/pareto_matrix.png"] = plots.scatter_matrix(
        res.points, front, objs, pdir / "pareto_matrix.png"
    )
    files["plots/accuracy_vs_energy.png"] = plots.accuracy_vs_energy(
        res.points, front, trials_by, res.reference, pdir / "accuracy_vs_energy.png"
    )
    if evals:
        files["plots/layer_energy.png"] = plots.layer_breakdown(
            _merge_labels(chosen, evals), pdir / "layer_energy.png"
        )
    heat = _heatmap_grid(res, chosen[headline_label]) if headline_label else None
    if heat is not None:
        grid, ports, doms = heat
        files["plots/heatmap_ports_domains.png"] = plots.heatmaps(
            grid,
            ports,
            doms,
            f"{headline_label}: other hardware choices fixed at the design's",
            pdir / "heatmap_ports_domains.png",
        )

    n_pts = [int(t["points"]) for t in res.trials]
    timing = {
        "train_s": sum(float(t["train_s"]) for t in res.trials),
        "sweep_s": sum(float(t["sweep_s"]) for t in res.trials),
        "hw_points_evaluated": sum(n_pts),
    }
    timing["hw_points_per_s"] = (
        timing["hw_points_evaluated"] / timing["sweep_s"] if timing["sweep_s"] else math.nan
    )
    summary: dict[str, Any] = {
        "version": SUMMARY_VERSION,
        "rtmcim_version": rtmcim.__version__,
        "study_name": res.study.get("study_name"),
        "storage": res.study.get("storage"),
        "seed": res.study.get("seed"),
        "space": res.study.get("space"),
        "objectives": {o: OBJECTIVES[o].direction for o in objs},
        "models_trained": len(res.trials),
        "distinct_models": len({t["model_key"] for t in res.trials}),
        "hw_points_per_model": min(n_pts) if n_pts else 0,
        "feasible_points": sum(1 for p in res.points if p["feasible"]),
        "timing": timing,
        "front_size": len(front),
        "reference": ref_rec,
        "reference_baselines": ref_baselines,
        "chosen": designs,
        "headline": headline_label,
        "baselines": baselines,
    }
    if res.space.faults is not None:
        summary["faults"] = _faults_summary(res, res.space.faults)
    text = json.dumps(summary, indent=1, sort_keys=True, default=_jsonable) + "\n"
    files["summary.json"] = atomic.write_text(out / "summary.json", text)

    arch_for_sources = arch_of(res, ref_pt) if ref_pt is not None else base_arch(res)
    files["report.html"] = atomic.write_text(
        out / "report.html", _html(res, summary, front_tab, trials_tab, files, arch_for_sources)
    )
    return Report(out, files, summary)


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


def _faults_html(fs: dict[str, Any]) -> str:
    return (
        f"<p>Accuracy under faults (<code>fault_accuracy</code>): fault rates "
        f"<code>{html.esc(fs['rates'])}</code>, mitigation <code>{html.esc(fs['mitigation'])}"
        f"</code>, first {fs['images']} test images, fault seed {fs['seed']}; bit-exact engine, "
        f"measured once per model on the base arch <code>{html.esc(fs['arch'])}</code> (the "
        f"default design on <code>{html.esc(fs['reference_arch'])}</code>), not on each "
        "hardware point, so every point of a model carries the same value. trials.csv gives "
        "the fault-free accuracy on the same images beside it.</p>"
    )


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


def _fault_cell(d: dict[str, Any]) -> dict[str, Any]:
    return {"accuracy under faults": d["fault_accuracy"]} if "fault_accuracy" in d else {}


def _ratio_txt(r: dict[str, float] | None) -> str:
    if not r:
        return "n/a"
    return ", ".join(f"{k} ×{v:.3g}" for k, v in r.items())


def _html(
    res: Results,
    s: dict[str, Any],
    front_tab: list[dict[str, Any]],
    trials_tab: list[dict[str, Any]],
    files: dict[str, Path],
    arch: Any,
) -> str:
    sp = res.space
    sections: list[tuple[str, str]] = []
    hw = "".join(
        f"<li><code>{html.esc(k)}</code>: {html.esc(', '.join(map(str, v)))}</li>"
        for k, v in sp.hardware.sweep.items()
    )
    mh = "".join(
        f"<li><code>{html.esc(k)}</code>: {html.esc(', '.join(map(str, v)))}</li>"
        for k, v in sp.model.choices().items()
    )
    c = sp.constraints
    searched = (
        f"<p>Data set <b>{html.esc(sp.dataset)}</b>; sampler <b>{sp.sampler}</b>, seed "
        f"{s['seed']}, budget {res.study.get('budget')} model trials; "
        f"{s['models_trained']} models trained ({s['distinct_models']} distinct), each with QAT "
        f"({sp.training.epochs} float + {sp.training.qat_epochs} QAT epochs on "
        f"{sp.training.train_subset or 'all'} training images), and every model swept over "
        f"<b>{s['hw_points_per_model']:,}</b> hardware points "
        f"({s['timing']['hw_points_evaluated']:,} evaluations at "
        f"{s['timing']['hw_points_per_s']:.0f} points/s).</p>"
        f"<p>Model half (a CNN of <i>depth</i> conv blocks conv→ReLU→max-pool, block i with "
        f"channels·2<sup>i</sup> channels, one kernel size, an optional hidden FC layer):</p>"
        f"<ul>{mh}</ul><p>Hardware half (overrides of arch <code>{html.esc(sp.hardware.base)}"
        f"</code>):</p><ul>{hw}</ul>"
        f"<p>Objectives: {html.esc(', '.join(f'{k} ({v})' for k, v in s['objectives'].items()))}."
        f" Constraints: area ≤ {c.area_budget_mm2} mm², accuracy ≥ {c.accuracy_floor}, "
        f"peak power ≤ {c.peak_power_mw} mW, and the model must fit the memory.</p>"
    )
    if "faults" in s:
        searched += _faults_html(s["faults"])
    sections.append(("What was searched", searched))

    ref = s["reference"]
    chosen_rows = []
    for d in s["chosen"]:
        chosen_rows.append(
            {
                "design": d["label"],
                "trial": d["trial"],
                "model": d["model"],
                "W/A bits": f"{d['wbits']}/{d['abits']}",
                "accuracy": d["accuracy"],
                **_fault_cell(d),
                "energy nJ": d["energy_pj"] / 1e3,
                "latency µs": d["latency_ns"] / 1e3,
                "area mm²": d["area_um2"] / 1e6,
                "bank area mm²": d["bank_area_um2"] / 1e6,
                "Mbit/mm²": d["density_mbit_per_mm2"],
                "vs default (× lower)": _ratio_txt(d.get("vs_default")),
                "hardware": ", ".join(
                    f"{k.split('.')[-1]}={v}" for k, v in d["arch_overrides"].items()
                ),
            }
        )
    if ref is not None:
        chosen_rows.append(
            {
                "design": "default design",
                "trial": "-",
                "model": ref["model"],
                "W/A bits": f"{ref['wbits']}/{ref['abits']}",
                "accuracy": ref["accuracy"],
                **_fault_cell(ref),
                "energy nJ": ref["energy_pj"] / 1e3,
                "latency µs": ref["latency_ns"] / 1e3,
                "area mm²": ref["area_um2"] / 1e6,
                "bank area mm²": ref["bank_area_um2"] / 1e6,
                "Mbit/mm²": ref["density_mbit_per_mm2"],
                "vs default (× lower)": "1",
                "hardware": f"arch {sp.reference.arch}",
            }
        )
    head = s["headline"]
    hd = next((d for d in s["chosen"] if d["label"] == head), None)
    if hd is not None and ref is not None and head == HEADLINE:
        r = hd["vs_default"]
        verdict = (
            f"<p><b>Best design at equal or better accuracy than the default design</b> "
            f"(LeNet-5-class reference {html.esc(ref['model'])} W{ref['wbits']}/A{ref['abits']} on "
            f"arch <code>{html.esc(sp.reference.arch)}</code>, accuracy {ref['accuracy']:.4f}, "
            f"measured in this run): trial {hd['trial']}, {html.esc(hd['model'])} "
            f"W{hd['wbits']}/A{hd['abits']}, accuracy {hd['accuracy']:.4f}: energy "
            f"<b>{r['energy']:.3g}×</b> lower, latency <b>{r['latency']:.3g}×</b> lower, area "
            f"<b>{r['area']:.3g}×</b> lower than the default design "
            "(ratio = default / design; below 1 means worse).</p>"
        )
    elif ref is not None:
        verdict = (
            "<p><b>No design on the front reaches the default design's accuracy</b> "
            f"({ref['accuracy']:.4f}); the chosen designs below trade accuracy for cost.</p>"
        )
    else:
        why = res.reference.get("reason", "") if res.reference else "not evaluated yet"
        verdict = f"<p>The default design has no figures in this run ({html.esc(why)}).</p>"
    sections.append(
        (
            "Chosen designs",
            verdict
            + html.table(chosen_rows)
            + "<p class='note'>Every design is traceable: trial number → "
            "<code>trials/trial-NNNN.json</code> (spec, model cache key) and the hardware "
            "overrides of the base arch; full arch configs and presets are in "
            "<code>summary.json</code>.</p>",
        )
    )
    if s["baselines"] is not None and hd is not None:
        brows = [
            {
                "baseline": b["name"],
                "energy nJ": b["energy_pj"] / 1e3,
                "latency µs": b["latency_ns"] / 1e3,
                "area mm²": b["area_um2"] / 1e6,
                "design vs baseline (× lower)": _ratio_txt(b["design_vs_baseline"]),
                "source": b["source"],
            }
            for b in s["baselines"]
        ]
        sections.append(
            (
                "Against the baselines",
                f"<p>The baselines run the workload of design “{html.esc(head)}” on the same "
                "memory and compute resources (rtmcim.baselines); ratio = baseline / design.</p>"
                + html.table(brows),
            )
        )
    else:
        sections.append(("Against the baselines", "<p>Baselines are not available.</p>"))

    front_cols = ["trial", "point", "model", "wbits", "abits", *res.sweep_keys]
    front_cols += ["accuracy", *(["fault_accuracy"] if "faults" in s else [])]
    front_cols += ["energy_pj", "latency_ns", "area_um2", "bank_area_um2"]
    front_cols += ["density_mbit_per_mm2"]
    front_cols += [c for c in (OBJECTIVES[o].column for o in res.objectives) if c not in front_cols]
    shown = front_tab[:60]
    sections.append(
        (
            f"The Pareto front ({len(front_tab)} designs)",
            html.image(files["plots/pareto_matrix.png"], "Pareto scatter matrix")
            + html.image(files["plots/accuracy_vs_energy.png"], "accuracy vs energy")
            + html.table(shown, front_cols)
            + (
                f"<p class='note'>First {len(shown)} of {len(front_tab)}; all in pareto.csv.</p>"
                if len(front_tab) > len(shown)
                else ""
            ),
        )
    )
    figs = ""
    if "plots/layer_energy.png" in files:
        figs += html.image(files["plots/layer_energy.png"], "per-layer energy")
    if "plots/heatmap_ports_domains.png" in files:
        figs += html.image(files["plots/heatmap_ports_domains.png"], "ports x domains")
    sections.append(("Where the energy goes", figs))
    tcols = [c for c in trials_tab[0] if c not in ("spec", "model_key")] if trials_tab else None
    sections.append(("Model candidates", html.table(trials_tab, tcols)))
    if arch is not None:
        sections.append(
            (
                f"Technology sources ({html.esc(arch.tech.name)})",
                f"<p>{html.esc(arch.tech.description)}</p>" + html.table(tech_sources(arch)),
            )
        )
    sections.append(
        (
            "Files",
            "<p>trials.csv (one row per model), pareto.csv (the front, with spec and arch "
            "overrides), summary.json (versioned), trials/ (every hardware point of every "
            "model), plots/. Rebuild with <code>rtmcim report "
            f"{html.esc(str(res.folder))}</code>.</p>",
        )
    )
    return html.page(f"rtmcim co-exploration: {sp.name}", sections)
