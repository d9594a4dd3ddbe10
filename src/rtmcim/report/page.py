"""report.html: one function per section, from the summary and the tables of a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rtmcim.explore import HEADLINE
from rtmcim.mapping.arch import Arch
from rtmcim.report import fidelity, html
from rtmcim.report.interactive import SI_UNITS, short_keys
from rtmcim.report.results import Results, tech_sources
from rtmcim.report.units import Quantity, column_quantity, percent

Row = dict[str, Any]


def page(
    res: Results,
    s: dict[str, Any],
    explorer: dict[str, Any],
    trials_tab: list[Row],
    files: dict[str, Path],
    arch: Arch | None,
) -> str:
    """The whole report: ``s`` is summary.json's content, ``explorer`` the data of the
    interactive front (rtmcim.report.interactive), ``files`` the plots written."""
    n = len(explorer["records"])
    sections = [
        (f"The Pareto front ({n} designs)", _front(s, explorer, files)),
        ("What was searched", _searched(res, s)),
        ("Chosen designs", _chosen(res, s)),
        ("The training behind the accuracies", fidelity.section(res, s)),
        ("Against the baselines", _baselines(s)),
        ("Where in-memory computing pays: the crossover", _crossover(s, files)),
        ("Where the energy goes", _energy(files)),
        *(
            [("Accuracy against fault rate", _fault_sweeps(s, files))]
            if s.get("fault_sweeps")
            else []
        ),
        ("Model candidates", _candidates(trials_tab)),
    ]
    if arch is not None:
        sections.append((f"Technology sources ({html.esc(arch.tech.name)})", _sources(arch)))
    sections.append(("Files", _files(res)))
    title = f"rtmcim co-exploration: {res.space.name}"
    return html.page(title, sections, (html.plotly_js(), html.explorer_js()))


def quantities(d: dict[str, Any]) -> dict[str, Any]:
    """A design record's (summary.json) figures as table cells with their units."""
    fault = {"accuracy under faults": percent(d["fault_accuracy"])} if "fault_accuracy" in d else {}
    return {
        "model": d["model"],
        "W/A bits": f"{d['wbits']}/{d['abits']}",
        "accuracy": percent(d["accuracy"]),
        **fault,
        "energy": Quantity(d["energy_pj"] * 1e-12, "J"),
        "latency": Quantity(d["latency_ns"] * 1e-9, "s"),
        "area": Quantity(d["area_um2"] * 1e-12, "m²"),
        "bank area": Quantity(d["bank_area_um2"] * 1e-12, "m²"),
        "density": Quantity(d["density_mbit_per_mm2"], "Mbit/mm²", fixed=True),
    }


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
        f"<p>Model half (a CNN of a <i>family</i>: plain, <i>depth</i> blocks conv→ReLU→max-pool "
        f"of channels·2<sup>i</sup> channels; resnet, a stem and <i>depth</i> residual stages; "
        f"mobilenet, a stem and <i>depth</i> depthwise-separable blocks; one kernel size, an "
        f"optional hidden FC layer; <i>stage_wbits</i>/<i>stage_abits</i>: one width per "
        f"stage):</p>"
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
    designs = list(s["chosen"])
    keys = [
        k for k in res.sweep_keys if len({str(d["arch_overrides"].get(k)) for d in designs}) > 1
    ]
    short = short_keys(keys)
    rows = [
        _hw_after_bits(
            {"design": d["label"], "trial": d["trial"], **quantities(d)},
            {short[k]: d["arch_overrides"].get(k, "") for k in keys},
            _ratio_txt(d.get("vs_default")),
        )
        for d in designs
    ]
    ref = s["reference"]
    if ref is not None:
        rows.append(
            _hw_after_bits(
                {"design": f"default design (arch {res.space.reference.arch})", "trial": "-"}
                | quantities(ref),
                dict.fromkeys(short.values(), "-"),
                "1",
            )
        )
    first = designs[0]["arch_overrides"] if designs else {}
    same = {k: first.get(k) for k in res.sweep_keys if k not in keys}
    same_txt = ", ".join(f"{k} = {v}" for k, v in same.items() if v is not None)
    return (
        _verdict(res, s)
        + html.table(rows, table_id="chosen-table", links={"trial": "trials/trial-{v:04d}.json"})
        + (
            f"<p class='note'>The same on every chosen design: {html.esc(same_txt)}.</p>"
            if same_txt
            else ""
        )
        + "<p class='note'>Every design is traceable: trial number → "
        "<code>trials/trial-NNNN.json</code> (spec, model cache key) and the hardware "
        "overrides of the base arch; full arch configs and presets are in "
        "<code>summary.json</code>.</p>"
    )


def _hw_after_bits(row: Row, hw: Row, vs_default: str) -> Row:
    """A chosen design's row: design, trial, model, bits, hardware choices, figures, ratios."""
    head = ("design", "trial", "model", "W/A bits")
    out = {k: row[k] for k in head} | hw | {k: v for k, v in row.items() if k not in head}
    return out | {"vs default (× lower)": vs_default}


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
            "energy": Quantity(b["energy_pj"] * 1e-12, "J"),
            "latency": Quantity(b["latency_ns"] * 1e-9, "s"),
            "area": Quantity(b["area_um2"] * 1e-12, "m²"),
            "design vs baseline (× lower)": _ratio_txt(b["design_vs_baseline"]),
            "source": b["source"],
        }
        for b in s["baselines"]
    ]
    return (
        f"<p>The baselines run the workload of design “{html.esc(head)}” on the same memory and "
        "compute resources (rtmcim.baselines); ratio = baseline / design.</p>"
        + "<div id='baselines-plot' class='plot'></div>"
        + html.table(rows)
    )


def _front(s: dict[str, Any], ex: dict[str, Any], files: dict[str, Path]) -> str:
    """The interactive front: axes, colour and filters, the plot, the chosen designs side by
    side, the per-layer energy of the chosen one and the sortable, filterable table."""
    same = ", ".join(f"{k} = {v}" for k, v in ex["hw_same"].items())
    statics = "".join(
        html.image(files[name], name)
        for name in ("plots/pareto_matrix.png", "plots/accuracy_vs_energy.png")
        if name in files
    )
    return (
        "<p class='note'>Hover a point for its design; click one to inspect it (its per-layer "
        "energy below) and a second one to compare the two. The menus choose the axes and the "
        "colour and keep only the designs with a model, bit widths or hardware choice; the "
        "table follows them and sorts by any column.</p>"
        "<div id='front-controls' class='controls'></div>"
        "<div id='front-plot' class='plot' style='height:540px'></div>"
        "<div id='design-panel'></div>"
        "<div id='layer-plot' class='plot' style='height:380px'></div>"
        + (f"<p class='note'>The same on every front design: {html.esc(same)}.</p>" if same else "")
        + "<div class='scroll'>"
        + html.table(
            _front_rows(ex), table_id="front-table", links={"trial": "trials/trial-{v:04d}.json"}
        )
        + "</div>"
        + "<details><summary>The static figures (plots/*.png and .svg, for papers): every "
        "feasible design in grey, the front in colour</summary>"
        + statics
        + "</details>"
        + _faults_plot(ex)
        + html.data_script("explorer-data", {**ex, "headline": _headline_point(s)})
    )


def _front_rows(ex: dict[str, Any]) -> list[Row]:
    """One row per front design: model, bits, the hardware choices that vary, the figures."""
    rows = []
    for r in ex["records"]:
        row: Row = {"trial": r["trial"], "point": r["point"], "model": r["model"]}
        row.update({"W bits": r["wbits"], "A bits": r["abits"], **r["hw"]})
        for f in ex["figures"]:
            value = r["fig"][f["col"]]
            row[f["label"]] = _cell(f, value if value is not None else float("nan"))
        rows.append(row)
    return rows


def _cell(f: dict[str, Any], value: float) -> Any:
    """A front figure as a table cell: a Quantity in SI units, or the number as stored."""
    if f["unit"] == "%":
        return percent(value)
    if f["unit"] not in SI_UNITS:
        return Quantity(value, f["unit"], fixed=True)
    return Quantity(value * f["scale"], f["unit"])


def _faults_plot(ex: dict[str, Any]) -> str:
    if not ex.get("faults"):
        return ""
    return (
        "<h3>Accuracy under faults, per model</h3><p class='note'>Fault-free accuracy and "
        "accuracy under the space's faults on the same test images (bit-exact engine, base "
        "arch); below the dotted line the faults cost accuracy.</p>"
        "<div id='faults-plot' class='plot'></div>"
    )


def _headline_point(s: dict[str, Any]) -> dict[str, int] | None:
    head = next((d for d in s["chosen"] if d["label"] == s["headline"]), None)
    return {"trial": head["trial"], "point": head["point"]} if head else None


def _crossover(s: dict[str, Any], files: dict[str, Path]) -> str:
    c = s.get("crossover")
    if not c:
        return "<p>No crossover study in this summary.</p>"
    caps = c["capacities_kib"]
    lines = "".join(f"<li>{html.esc(v)}</li>" for v in c["verdict"])
    fig = "<div id='crossover-controls' class='controls'></div>"
    fig += "<div id='crossover-plot' class='plot' style='height:420px'></div>"
    if "plots/crossover.png" in files:
        fig += (
            "<details><summary>The static figure (plots/crossover.png and .svg): every model"
            "</summary>" + html.image(files["plots/crossover.png"], "crossover") + "</details>"
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


def _fault_sweeps(s: dict[str, Any], files: dict[str, Path]) -> str:
    """The curves of the sweeps filed in fault-sweeps/ (`rtmcim faults sweep --out`)."""
    parts = [
        "<p class='note'>The sweeps filed in <code>fault-sweeps/</code> (<code>rtmcim faults "
        "sweep --out DIR/fault-sweeps/NAME</code>): top-1 accuracy of the bit-exact engine "
        "against the fault rate, a line per mitigation, with what each mitigation costs.</p>"
    ]
    for m in s["fault_sweeps"]:
        parts.append(
            f"<h3>{html.esc(m['name'])}: {html.esc(m['kind'])} faults on {html.esc(m['model'])} "
            f"({html.esc(m['dataset'])}, arch {html.esc(m['arch'])}, {m['images']} images, "
            f"fault seed {m['fault_seed']})</h3>"
            + html.image(files[f"plots/fault-sweep-{m['name']}.png"], f"{m['name']} sweep")
        )
    return "".join(parts)


def _energy(files: dict[str, Path]) -> str:
    figs = ""
    if "plots/layer_energy.png" in files:
        figs += html.image(files["plots/layer_energy.png"], "per-layer energy")
    if "plots/heatmap_ports_domains.png" in files:
        figs += html.image(files["plots/heatmap_ports_domains.png"], "ports x domains")
    return figs


def _candidates(trials_tab: list[Row]) -> str:
    rows = [
        dict(column_quantity(c, v) for c, v in r.items() if c not in ("spec", "model_key"))
        for r in trials_tab
    ]
    return html.table(
        rows, table_id="candidates-table", links={"trial": "trials/trial-{v:04d}.json"}
    )


def _sources(arch: Arch) -> str:
    return f"<p>{html.esc(arch.tech.description)}</p>" + html.table(tech_sources(arch))


def _files(res: Results) -> str:
    return (
        "<p>trials.csv (one row per model), pareto.csv (the front, with spec and arch "
        "overrides), summary.json (versioned), trials/ (every hardware point of every "
        f"model), plots/. Rebuild with <code>rtmcim report {html.esc(str(res.folder))}</code>.</p>"
    )
