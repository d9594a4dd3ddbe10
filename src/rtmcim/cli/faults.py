"""``rtmcim faults sweep``: accuracy vs fault rate, with and without mitigation, and its cost."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rtmcim.cli.models import add_model_options, limited_test_set, resolve_model
from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json


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
        "--kind", default="shift", help="fault kind to sweep: shift, read or write (default shift)"
    )
    s.add_argument(
        "--rates",
        default="1e-6..1e-1",
        help="LO..HI (log-spaced, one point per decade unless --points) or a list a,b,c",
    )
    s.add_argument("--points", type=int, default=None, help="rates in LO..HI (default: per decade)")
    s.add_argument(
        "--mitigation",
        default="position_check",
        help="mitigation to compare against none (default position_check; see 'simulate --help')",
    )
    s.add_argument("--limit", type=int, default=300, help="test images (default 300; 0 = all)")
    s.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)")
    s.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (default 1)")
    s.add_argument("--out", default="results/faults", help="output folder (default results/faults)")
    add_format_option(s)
    s.set_defaults(run=run)


def _point(job: tuple[Any, ...]) -> dict[str, Any]:
    from rtmcim.engine.faults import sweep_point

    return sweep_point(*job).row()


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rtmcim.engine.faults import FAULT_KINDS, Mitigation, parse_rates
    from rtmcim.engine.run import run_engine
    from rtmcim.errors import ConfigError
    from rtmcim.mapping import load_arch

    if args.kind not in FAULT_KINDS:
        raise ConfigError(
            "unknown fault kind", key="--kind", value=args.kind, allowed=", ".join(FAULT_KINDS)
        )
    if args.limit < 0:
        raise ConfigError("must be >= 0", key="--limit", value=args.limit, allowed="0 (all) or > 0")
    if args.jobs < 1:
        raise ConfigError("must be >= 1", key="--jobs", value=args.jobs, allowed=">= 1")
    rates = parse_rates(args.rates, args.points)
    mit = Mitigation.parse(args.mitigation)
    arch = load_arch(args.arch)
    tm = resolve_model(args)
    xq, y = limited_test_set(args, tm)
    g = tm.graph
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    err = console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=args.no_progress or not err.is_terminal,
    )
    mitigations = ["none"] + ([mit.name] if mit.active else [])
    with bar:
        base = bar.add_task("fault-free run (images)", total=len(xq))
        clean = run_engine(
            g,
            xq,
            multiplier=arch.compute.multiplier,
            adder=arch.compute.adder,
            progress=None,
        ).predictions
        bar.update(base, completed=len(xq))
        jobs = [
            (g, xq, y, arch, args.kind, r, m, args.fault_seed, clean)
            for m in mitigations
            for r in [0.0, *rates]
        ]
        task = bar.add_task(f"{args.kind} sweep (runs)", total=len(jobs))
        rows: list[dict[str, Any]] = []
        if args.jobs == 1:
            for job in jobs:
                rows.append(_point(job))
                bar.advance(task)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("fork")) as pool:
                for row in pool.map(_point, jobs):
                    rows.append(row)
                    bar.advance(task)
    rows.sort(key=lambda r: (r["mitigation"] != "none", r["mitigation"], r["rate"]))
    meta = {
        "model": tm.spec.name,
        "dataset": tm.dataset,
        "arch": arch.config.name,
        "kind": args.kind,
        "images": len(xq),
        "fault_seed": args.fault_seed,
        "mitigation": mit.name,
        "command": "rtmcim " + " ".join(sys.argv[1:]) if sys.argv else "",
    }
    csv_path = out_dir / "sweep.csv"
    csv_path.write_text(to_csv(rows), encoding="utf-8")
    (out_dir / "sweep.json").write_text(to_json({"meta": meta, "points": rows}), encoding="utf-8")
    png = out_dir / "sweep.png"
    _plot(rows, meta, png)
    if args.format == "json":
        sys.stdout.write(
            to_json({"meta": meta, "points": rows, "files": [str(csv_path), str(png)]})
        )
    elif args.format == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        cols = (
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
        console().print(
            table(
                [{c: r.get(c) for c in cols} for r in rows],
                title=f"Accuracy under {args.kind} faults: {meta['model']} on {meta['dataset']}, "
                f"{meta['images']} images, arch {meta['arch']}",
                caption=f"wrote {csv_path} and {png}",
            )
        )
    return 0


def _plot(rows: list[dict[str, Any]], meta: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    clean = next((r["accuracy_pct"] for r in rows if r["rate"] == 0), None)
    for name in sorted({r["mitigation"] for r in rows}, key=lambda n: n != "none"):
        pts = sorted((r["rate"], r) for r in rows if r["mitigation"] == name and r["rate"] > 0)
        if not pts:
            continue
        label = "no mitigation" if name == "none" else name
        if name != "none":
            r0 = pts[0][1]
            label += (
                f" (+{r0['energy_overhead_pct']:.1f} % energy, +{r0['latency_overhead_pct']:.1f} %"
                f" latency, +{r0['storage_overhead_pct']:.1f} % storage)"
            )
        ax.plot([p[0] for p in pts], [p[1]["accuracy_pct"] for p in pts], marker="o", label=label)
    if clean is not None:
        ax.axhline(clean, color="grey", linestyle="--", linewidth=1, label="fault-free")
    ax.set_xscale("log")
    ax.set_xlabel(
        f"{meta['kind']} fault rate (per {'MU shift step' if meta['kind'] == 'shift' else 'bit'})"
    )
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(
        f"{meta['model']} / {meta['dataset']} on {meta['arch']}: {meta['images']} images",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
