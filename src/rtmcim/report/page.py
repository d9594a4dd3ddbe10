"""report.html: one function per section, from the summary and the tables of a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rtmcim.explore import OBJECTIVES
from rtmcim.mapping.arch import Arch
from rtmcim.report import html
from rtmcim.report.results import Results, tech_sources
from rtmcim.report.tables import design_figures

HEADLINE = "lowest energy at reference accuracy"
Row = dict[str, Any]


def page(
    res: Results,
    s: dict[str, Any],
    front_tab: list[Row],
    trials_tab: list[Row],
    files: dict[str, Path],
    arch: Arch | None,
) -> str:
    """The whole report: ``s`` is summary.json's content, ``files`` the plots written."""
    sections = [
        ("What was searched", _searched(res, s)),
        ("Chosen designs", _chosen(res, s)),
        ("Against the baselines", _baselines(s)),
        ("Where in-memory computing pays: the crossover", _crossover(s, files)),
        (f"The Pareto front ({len(front_tab)} designs)", _front(res, s, front_tab, files)),
        ("Where the energy goes", _energy(files)),
        ("Model candidates", _candidates(trials_tab)),
    ]
    if arch is not None:
        sections.append((f"Technology sources ({html.esc(arch.tech.name)})", _sources(arch)))
    sections.append(("Files", _files(res)))
    return html.page(f"rtmcim co-exploration: {res.space.name}", sections)


def _choices(choices: dict[str, Any]) -> str:
    return "".join(
        f"<li><code>{html.esc(k)}</code>: {html.esc(', '.join(map(str, v)))}</li>"
        for k, v in choices.items()
    )


def _searched(res: Results, s: dict[str, Any]) -> str:
    sp, c = res.space, res.space.constraints
    objectives = ", ".join(f"{k} ({v})" for k, v in s["objectives"].items())
    text = (
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
        f"<ul>{_choices(sp.model.choices())}</ul><p>Hardware half (overrides of arch <code>"
        f"{html.esc(sp.hardware.base)}</code>):</p><ul>{_choices(sp.hardware.sweep)}</ul>"
        f"<p>Objectives: {html.esc(objectives)}. Constraints: area ≤ {c.area_budget_mm2} mm², "
        f"accuracy ≥ {c.accuracy_floor}, peak power ≤ {c.peak_power_mw} mW, and the model must "
        "fit the memory.</p>"
    )
    return text + (_faults(s["faults"]) if "faults" in s else "")


def _faults(fs: dict[str, Any]) -> str:
    return (
        f"<p>Accuracy under faults (<code>fault_accuracy</code>): fault rates "
        f"<code>{html.esc(fs['rates'])}</code>, mitigation <code>{html.esc(fs['mitigation'])}"
        f"</code>, first {fs['images']} test images, fault seed {fs['seed']}; bit-exact engine, "
        f"measured once per model on the base arch <code>{html.esc(fs['arch'])}</code> (the "
        f"default design on <code>{html.esc(fs['reference_arch'])}</code>), not on each "
        "hardware point, so every point of a model carries the same value. trials.csv gives "
        "the fault-free accuracy on the same images beside it.</p>"
    )


def _ratio_txt(r: dict[str, float] | None) -> str:
    if not r:
        return "n/a"
    return ", ".join(f"{k} ×{v:.3g}" for k, v in r.items())


def _chosen(res: Results, s: dict[str, Any]) -> str:
    rows = [
        {
            "design": d["label"],
            "trial": d["trial"],
            **design_figures(d),
            "vs default (× lower)": _ratio_txt(d.get("vs_default")),
            "hardware": ", ".join(
                f"{k.split('.')[-1]}={v}" for k, v in d["arch_overrides"].items()
            ),
        }
        for d in s["chosen"]
    ]
    ref = s["reference"]
    if ref is not None:
        rows.append(
            {
                "design": "default design",
                "trial": "-",
                **design_figures(ref),
                "vs default (× lower)": "1",
                "hardware": f"arch {res.space.reference.arch}",
            }
        )
    return (
        _verdict(res, s)
        + html.table(rows)
        + "<p class='note'>Every design is traceable: trial number → "
        "<code>trials/trial-NNNN.json</code> (spec, model cache key) and the hardware "
        "overrides of the base arch; full arch configs and presets are in "
        "<code>summary.json</code>.</p>"
    )


def _verdict(res: Results, s: dict[str, Any]) -> str:
    """How the headline design compares with the default design."""
    ref, head = s["reference"], s["headline"]
    hd = next((d for d in s["chosen"] if d["label"] == head), None)
    if hd is not None and ref is not None and head == HEADLINE:
        r = hd["vs_default"]
        return (
            f"<p><b>Best design at equal or better accuracy than the default design</b> "
            f"(LeNet-5-class reference {html.esc(ref['model'])} W{ref['wbits']}/A{ref['abits']} "
            f"on arch <code>{html.esc(res.space.reference.arch)}</code>, accuracy "
            f"{ref['accuracy']:.4f}, measured in this run): trial {hd['trial']}, "
            f"{html.esc(hd['model'])} W{hd['wbits']}/A{hd['abits']}, accuracy "
            f"{hd['accuracy']:.4f}: energy <b>{r['energy']:.3g}×</b> lower, latency "
            f"<b>{r['latency']:.3g}×</b> lower, area <b>{r['area']:.3g}×</b> lower than the "
            "default design (ratio = default / design; below 1 means worse).</p>"
        )
    if ref is not None:
        return (
            "<p><b>No design on the front reaches the default design's accuracy</b> "
            f"({ref['accuracy']:.4f}); the chosen designs below trade accuracy for cost.</p>"
        )
    why = res.reference.get("reason", "") if res.reference else "not evaluated yet"
    return f"<p>The default design has no figures in this run ({html.esc(why)}).</p>"


def _baselines(s: dict[str, Any]) -> str:
    head = s["headline"]
    if s["baselines"] is None or not any(d["label"] == head for d in s["chosen"]):
        return "<p>Baselines are not available.</p>"
    rows = [
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
    return (
        f"<p>The baselines run the workload of design “{html.esc(head)}” on the same memory and "
        "compute resources (rtmcim.baselines); ratio = baseline / design.</p>" + html.table(rows)
    )


def _front(res: Results, s: dict[str, Any], front_tab: list[Row], files: dict[str, Path]) -> str:
    cols = ["trial", "point", "model", "wbits", "abits", *res.sweep_keys, "accuracy"]
    cols += ["fault_accuracy"] if "faults" in s else []
    cols += ["energy_pj", "latency_ns", "area_um2", "bank_area_um2", "density_mbit_per_mm2"]
    cols += [c for c in (OBJECTIVES[o].column for o in res.objectives) if c not in cols]
    shown = front_tab[:60]
    more = len(front_tab) > len(shown)
    return (
        html.image(files["plots/pareto_matrix.png"], "Pareto scatter matrix")
        + html.image(files["plots/accuracy_vs_energy.png"], "accuracy vs energy")
        + html.table(shown, cols)
        + (
            f"<p class='note'>First {len(shown)} of {len(front_tab)}; all in pareto.csv.</p>"
            if more
            else ""
        )
    )


def _crossover(s: dict[str, Any], files: dict[str, Path]) -> str:
    c = s.get("crossover")
    if not c:
        return "<p>No crossover study in this summary.</p>"
    caps = c["capacities_kib"]
    lines = "".join(f"<li>{html.esc(v)}</li>" for v in c["verdict"])
    fig = (
        html.image(files["plots/crossover.png"], "crossover")
        if "plots/crossover.png" in files
        else ""
    )
    return (
        "<p>Energy and latency per inference of the racetrack in-memory design, the same "
        "racetrack as plain memory with CMOS MAC units (near-memory), and CMOS MAC units with "
        f"an SRAM of the same capacity, as the on-chip store grows from {caps[0]} KiB to "
        f"{caps[-1]} KiB, on models of several sizes (the least figure wins):</p>"
        f"<ul>{lines}</ul>{fig}"
        f"<p class='note'>Assumptions: {html.esc(c['assumptions'])}. Every point is in "
        f"<code>{html.esc(c['file'])}</code>.</p>"
    )


def _energy(files: dict[str, Path]) -> str:
    figs = ""
    if "plots/layer_energy.png" in files:
        figs += html.image(files["plots/layer_energy.png"], "per-layer energy")
    if "plots/heatmap_ports_domains.png" in files:
        figs += html.image(files["plots/heatmap_ports_domains.png"], "ports x domains")
    return figs


def _candidates(trials_tab: list[Row]) -> str:
    cols = [c for c in trials_tab[0] if c not in ("spec", "model_key")] if trials_tab else None
    return html.table(trials_tab, cols)


def _sources(arch: Arch) -> str:
    return f"<p>{html.esc(arch.tech.description)}</p>" + html.table(tech_sources(arch))


def _files(res: Results) -> str:
    return (
        "<p>trials.csv (one row per model), pareto.csv (the front, with spec and arch "
        "overrides), summary.json (versioned), trials/ (every hardware point of every "
        f"model), plots/. Rebuild with <code>rtmcim report {html.esc(str(res.folder))}</code>.</p>"
    )
