"""``rtmcim evaluate``: per-layer and total costs of a quantized CNN on a racetrack accelerator."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli.models import add_model_options, check_model_inputs, resolve_model
from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json

CLASSES = ("shift", "read", "write", "logic", "cmos", "latch", "bus", "leakage")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "evaluate",
        help="map a quantized CNN onto a racetrack accelerator: latency, energy, area per layer",
        description=(
            "Place the integer graph of --model on the accelerator --arch (weight-stationary), "
            "count every event of every layer (shift steps, port reads and writes, logic-in-memory "
            "evaluations, CMOS operations, bus traffic) and price them with the arch's technology "
            "preset. Prints a per-layer table, totals per inference (energy, latency, inferences/s, "
            "TOPS/W, GOPS/mm2, area breakdown, memory density, peak power) and the baselines side by "
            "side. Units: energy nJ, latency us, area mm2, power mW."
        ),
    )
    add_model_options(p)
    add_format_option(p)
    p.set_defaults(run=run)


def layer_rows(ev: Any) -> list[dict[str, Any]]:
    rows = []
    for lc in ev.layers:
        row: dict[str, Any] = {
            "layer": lc.name,
            "kind": lc.kind,
            "MACs": lc.macs,
            "latency_us": lc.latency_ns / 1e3,
            "energy_nJ": lc.total_energy_pj / 1e3,
        }
        for c in CLASSES:
            row[f"{c}_nJ"] = lc.energy_pj[c] / 1e3
        row["utilization_pct"] = 100 * lc.utilization
        row["shift_track_steps"] = int(lc.shift_steps)
        rows.append(row)
    return rows


def summary(ev: Any, tm: Any) -> dict[str, Any]:
    from rtmcim.memory.costs import area_breakdown

    arch = ev.arch
    ab = area_breakdown(arch.org, arch.tech)
    area = ev.area_um2
    bank_like = area["memory_arrays"] + area["memory_periphery"]
    total_mm2 = ev.total_area_um2 / 1e6
    return {
        "model": tm.spec.name,
        "dataset": tm.dataset,
        "wbits": tm.wbits,
        "abits": tm.abits,
        "int_accuracy_pct": 100 * tm.int_accuracy,
        "model_key": tm.key,
        "arch": arch.config.name,
        "arch_source": arch.source,
        "preset": arch.tech.name,
        "tech_level": arch.tech.level,
        "prices": arch.prices.source,
        "pes": arch.pes,
        "macs": ev.macs,
        "energy_per_inference_uJ": ev.total_energy_pj / 1e6,
        "latency_per_inference_us": ev.latency_ns / 1e3,
        "inferences_per_s": ev.inferences_per_s,
        "tops_per_w": ev.tops_per_w,
        "gops_per_mm2": ev.gops_per_mm2,
        "peak_power_mW": ev.peak_power_mw,
        "leakage_mW": ev.leakage_mw,
        "area_mm2": total_mm2,
        **{f"area_{k}_mm2": v / 1e6 for k, v in area.items()},
        "memory_capacity_Mbit": arch.org.capacity_bits / 1e6,
        "memory_density_Mbit_per_mm2": arch.org.capacity_bits / 1e6 / total_mm2,
        "memory_only_density_Mbit_per_mm2": arch.org.capacity_bits / 1e6 / ab.chip_mm2,
        "compute_fraction_of_bank_area_pct": 100
        * (area["pe_cells"] + area["cmos_periphery"])
        / (bank_like + area["pe_cells"] + area["cmos_periphery"]),
        "energy_by_class_uJ": {k: v / 1e6 for k, v in ev.energy_pj.items()},
    }


def baseline_rows(work: Any, arch: Any, ev: Any) -> list[dict[str, Any]]:
    """The design, then every registered baseline: figures and baseline / design ratios."""
    from rtmcim.baselines import comparison

    design = {
        "name": f"RTM in-memory ({arch.config.name})",
        "source": "this tool",
        **{k: ev.totals()[k] for k in ("energy_pj", "latency_ns", "area_um2")},
        "design_vs_baseline": dict.fromkeys(("energy", "latency", "area"), 1.0),
    }
    return [
        {
            "design": b["name"],
            "energy_uJ": b["energy_pj"] / 1e6,
            "latency_us": b["latency_ns"] / 1e3,
            "area_mm2": b["area_um2"] / 1e6,
            **{f"{k}_ratio": v for k, v in b["design_vs_baseline"].items()},
            "source": b["source"],
        }
        for b in [design, *comparison(work, arch, ev)]
    ]


def run(args: argparse.Namespace) -> int:
    from rtmcim.mapping import evaluate_workload, load_arch
    from rtmcim.mapping.workload import workload_from_graph

    arch = load_arch(args.arch)
    ds = check_model_inputs(args, arch)  # the model, the data and the fit, before any training
    tm = resolve_model(args, ds)
    work = workload_from_graph(tm.graph, tm.spec.name)
    ev = evaluate_workload(work, arch)
    rows = layer_rows(ev)
    summ = summary(ev, tm)
    base = baseline_rows(work, arch, ev)
    if args.format == "json":
        sys.stdout.write(to_json({"summary": summ, "layers": rows, "baselines": base}))
        return 0
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
        return 0
    out = console()
    show = [
        "layer",
        "kind",
        "MACs",
        "latency_us",
        "energy_nJ",
        *(f"{c}_nJ" for c in CLASSES),
        "utilization_pct",
        "shift_track_steps",
    ]
    out.print(
        table(
            [{k: r[k] for k in show} for r in rows],
            title=f"{tm.spec.name} on {arch.config.name}: per layer, one inference",
        )
    )
    flat = [{"figure": k, "value": v} for k, v in summ.items() if not isinstance(v, dict)]
    out.print(table(flat, title="Totals per inference"))
    if base:
        out.print(
            table(
                [{k: v for k, v in r.items() if k != "source"} for r in base],
                title="Against the baselines (ratio = baseline / RTM; > 1 means RTM is better)",
            )
        )
        for r in base[1:]:
            out.print(f"[dim]{r['design']}: {r['source']}[/dim]")
    return 0
