"""``rtmcim simulate``: bit-exact in-memory inference over a test set."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli.models import add_model_options, limited_test_set, resolve_model
from rtmcim.cli.output import add_format_option, console, progress_bar, table, to_csv, to_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="bit-exact inference of a quantized CNN on the in-memory MAC cells",
        description=(
            "Run the integer graph of --model through the functional models of the arch's MAC "
            "cells (multiplier and accumulator adder, bit-plane by bit-plane) over the test set: "
            "accuracy, agreement with the integer reference (must be 100 %%), and the events counted "
            "beside the analytical ones of the mapping. Exit code 1 if any integer differs (unless "
            "--faults or --mitigation is given: then the faulty accuracy, fault counts and the "
            "mitigation's overhead are reported)."
        ),
    )
    add_model_options(p)
    p.add_argument(
        "--limit", type=int, default=1000, help="test images to run (default 1000; 0 = all)"
    )
    p.add_argument(
        "--faults",
        default=None,
        metavar="KIND=RATE,...",
        help=(
            "inject faults: shift (position error per MU shift step), read / write (bit flip per "
            "bit read / written), or any registered fault kind, e.g. shift=1e-4,read=1e-6"
        ),
    )
    p.add_argument(
        "--mitigation",
        default=None,
        help="none, position_check[:N] (marker check every N accesses), tmr_msb[:B] (triple the "
        "B top weight bits), or any registered mitigation; several joined by '+', each once",
    )
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes (default 1): a fault-free run splits the images between them, a faulty "
        "run its image batches; the result does not depend on it",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from rtmcim.engine.faults import FaultConfig, Mitigation, run_with_faults
    from rtmcim.errors import ConfigError
    from rtmcim.mapping import evaluate_workload, load_arch
    from rtmcim.mapping.workload import workload_from_graph
    from rtmcim.nn import run_reference
    from rtmcim.tech import price

    if args.limit < 0:
        raise ConfigError(
            "must be >= 0", key="--limit", value=args.limit, allowed="0 (all) or a positive count"
        )
    if args.jobs < 1:
        raise ConfigError("must be >= 1", key="--jobs", value=args.jobs, allowed="1, 2, ...")
    faults = FaultConfig.parse(args.faults or "")
    mitigation = Mitigation.parse(args.mitigation)
    faulty = faults.any or mitigation.active
    arch = load_arch(args.arch)
    tm = resolve_model(args)
    xq, y = limited_test_set(args, tm)
    g = tm.graph
    ref = run_reference(g, xq, keep_activations=False)
    work = workload_from_graph(g, tm.spec.name)
    ev = evaluate_workload(work, arch)

    lanes_total = sum(lw.output_count for lw in work.compute_layers) * len(xq)
    bar = progress_bar(not args.no_progress)
    with bar:
        task = bar.add_task("bit-exact dot products", total=lanes_total)
        done = [0]

        def progress(rows: int) -> None:
            done[0] += rows
            bar.update(task, completed=done[0])

        run = run_with_faults(
            g, xq, arch, faults, mitigation, args.fault_seed, progress=progress, jobs=args.jobs
        )
    res = run.result
    agree = float(np.mean(res.predictions == ref.predictions)) if len(xq) else 1.0
    exact = bool(np.array_equal(res.logits, ref.logits))
    acc = float(np.mean(res.predictions == y)) if len(xq) else 0.0
    rows: list[dict[str, Any]] = []
    for lc in ev.layers:
        if lc.kind == "pool":
            continue
        counted = res.tallies[lc.name]
        analytic = lc.compute * len(xq)
        for field in (
            "lim_evals",
            "cell_bit_reads",
            "cell_bit_writes",
            "cell_shift_steps",
            "latch_updates",
            "cmos_gate_ops",
        ):
            a, c = getattr(analytic, field), getattr(counted, field)
            if a or c:
                rows.append(
                    {
                        "layer": lc.name,
                        "event": field,
                        "counted": int(c),
                        "analytical": int(a),
                        "counted_over_analytical": c / a if a else float("nan"),
                    }
                )
    summ = {
        "model": tm.spec.name,
        "dataset": tm.dataset,
        "images": len(xq),
        "arch": arch.config.name,
        "multiplier": arch.compute.multiplier,
        "adder": arch.compute.adder,
        "accuracy_pct": 100 * acc,
        "reference_accuracy_pct": 100 * float(np.mean(ref.predictions == y)) if len(xq) else 0.0,
        "prediction_agreement_pct": 100 * agree,
        "integers_identical": exact,
    }
    if faulty:
        over = price(run.overhead.tally, arch.prices, leakage_mw=ev.leakage_mw)
        summ.update(
            {
                "faults": str(faults),
                "mitigation": mitigation.name,
                "fault_seed": args.fault_seed,
                **{f"fault_{k}": v for k, v in run.stats.as_dict().items() if k != "images"},
                "mitigation_energy_overhead_pct": 100 * over.total_energy_pj / ev.total_energy_pj,
                "mitigation_latency_overhead_pct": 100 * over.latency_ns / ev.latency_ns,
                "mitigation_storage_overhead_pct": 100 * run.overhead.storage_fraction,
            }
        )
    if args.format == "json":
        sys.stdout.write(to_json({"summary": summ, "events": rows}))
    elif args.format == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        out = console()
        out.print(
            table(
                [{"figure": k, "value": v} for k, v in summ.items()],
                title="Bit-exact in-memory inference",
            )
        )
        out.print(
            table(
                rows,
                title="MAC-cell events: counted by the engine vs the mapping's analytical count",
                caption="Booth and LUT multipliers are costed at their worst case: counted <= analytical",
            )
        )
    if not exact and not faulty:
        print(
            "rtmcim simulate: the engine's integers differ from the integer reference",
            file=sys.stderr,
        )
        return 1
    return 0
