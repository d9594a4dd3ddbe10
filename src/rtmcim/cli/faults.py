"""``rtmcim faults sweep``: accuracy vs fault rate, with and without mitigation, and its cost."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rtmcim import outdir
from rtmcim.cli import values
from rtmcim.cli.models import (
    add_model_options,
    check_model_inputs,
    limited_test_set,
    min_weight_bits,
    resolve_model,
)
from rtmcim.cli.output import add_format_option, console, progress_bar, table, to_csv, to_json

SHOWN = (
    "rate",
    "mitigation",
    "accuracy_pct",
    "agreement_with_fault_free_pct",
    "position_errors",
    "misaligned_reads",
    "energy_overhead_pct",
    "latency_overhead_pct",
    "storage_overhead_pct",
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "faults",
        help="racetrack reliability: accuracy of bit-exact inference under faults",
        description="Racetrack faults (position errors, read and write bit flips) and mitigation.",
    )
    # the same parser class as the verb's: a bad option is one line and exit 2
    verbs = p.add_subparsers(dest="faults_verb", metavar="ACTION", parser_class=type(p))
    verbs.required = True
    s = verbs.add_parser(
        "sweep",
        help="accuracy vs fault rate, with and without mitigation (CSV + PNG)",
        description=(
            "Run bit-exact inference of --model on --arch over --limit test images with faults of "
            "one --kind at each rate of --rates, once without mitigation and once with "
            "--mitigation, plus a fault-free run; write sweep.csv, sweep.json and sweep.png "
            "(accuracy vs rate) to --out, with the mitigation's energy, latency and storage "
            "overhead (its extra events priced with the arch's technology)."
        ),
    )
    add_model_options(s)
    s.add_argument(
        "--kind",
        default="shift",
        help="fault kind to sweep: a registered kind, e.g. shift, read or write (default shift)",
    )
    s.add_argument(
        "--rates",
        default="1e-6..1e-1",
        help="LO..HI (log-spaced, one point per decade unless --points) or a list a,b,c",
    )
    s.add_argument(
        "--points",
        type=values.integer(1, 1000),
        default=None,
        help="rates in LO..HI (default: per decade)",
    )
    s.add_argument(
        "--mitigation",
        default="position_check",
        help="mitigation to compare against none (default position_check; see 'simulate --help')",
    )
    s.add_argument(
        "--limit",
        type=values.integer(0, 10**7),
        default=300,
        help="test images (default 300; 0 = all)",
    )
    s.add_argument(
        "--fault-seed", type=values.seed, default=0, help="seed of the fault draws (default 0)"
    )
    s.add_argument(
        "--jobs",
        type=values.integer(1, 256),
        default=1,
        help="runs in parallel processes (default 1)",
    )
    s.add_argument("--out", default="results/faults", help="output folder (default results/faults)")
    add_format_option(s)
    s.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rtmcim.explore.fault_sweep import parse_rates, run_fault_sweep, sweep_settings
    from rtmcim.mapping import load_arch
    from rtmcim.report.fault_sweep import write_fault_sweep

    outdir.check(args.out, "sweep")
    _, mitigation = sweep_settings(args.kind, args.mitigation, args.jobs)  # before any training
    rates = parse_rates(args.rates, args.points)
    arch = load_arch(args.arch)
    ds = check_model_inputs(args, arch)
    tm = resolve_model(args, ds)
    mitigation.check_weight_bits(min_weight_bits(tm.graph))
    xq, y = limited_test_set(args, tm)
    bar = progress_bar(not args.no_progress)
    with bar:
        task = bar.add_task(f"{args.kind} sweep (runs)", total=None)
        sweep = run_fault_sweep(
            tm.graph,
            xq,
            y,
            arch,
            args.kind,
            rates,
            mitigation,
            args.fault_seed,
            jobs=args.jobs,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    meta = {
        "model": tm.spec.name,
        "dataset": tm.dataset,
        **sweep.meta,
        "command": "rtmcim " + " ".join(sys.argv[1:]) if sys.argv else "",
    }
    files = write_fault_sweep(Path(args.out), sweep.rows, meta)
    if args.format == "json":
        sys.stdout.write(
            to_json(
                {
                    "meta": meta,
                    "points": sweep.rows,
                    "files": [str(files["csv"]), str(files["png"])],
                }
            )
        )
    elif args.format == "csv":
        sys.stdout.write(to_csv(sweep.rows))
    else:
        console().print(
            table(
                [{c: r.get(c) for c in SHOWN} for r in sweep.rows],
                title=f"Accuracy under {args.kind} faults: {meta['model']} on {meta['dataset']}, "
                f"{meta['images']} images, arch {meta['arch']}",
                caption=f"wrote {files['csv']} and {files['png']}",
            )
        )
    return 0
