"""``rtmcim explore``: co-explore racetrack hardware and CNN models; write a results folder."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from rtmcim.cli import values
from rtmcim.cli.output import console, progress_bar, table


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explore",
        help="co-explore racetrack hardware and CNN models (Pareto front, report)",
        description=(
            "Search a space of CNN models (outer multi-objective search: NSGA-II, random or grid; "
            "each model trained once with QAT at the screening fidelity and cached) and, for every "
            "model, sweep every hardware point of the space. With a 'fidelity:' section (the "
            "shipped presets have one) the promising models (on the front or within a margin of "
            "it, at least 1/eta of them) are trained again at higher fidelities in rounds, every "
            "model of the final front at the top one, and the headline design once more as "
            "'rtmcim train' does: the best designs are printed with the fidelity of their "
            "accuracy, the headline's gap to that full training and the screening-to-final "
            "Kendall tau. Writes trials.csv, pareto.csv, summary.json, plots and report.html to "
            "--out. Re-running the same command resumes the study: completed trials and "
            "trainings are kept, none is run twice. An optional 'faults:' section in the space "
            "(rates: shift=1e-3, mitigation: none|position_check[:N]|tmr_msb[:B], images: 300, "
            "seed: 0) adds the fault_accuracy column and objective: accuracy under those faults on "
            "the bit-exact engine, measured once per model on the base arch of the hardware half. "
            "report.html is interactive and self-contained; 'rtmcim dashboard OUT' serves the "
            "study in optuna-dashboard."
        ),
    )
    p.add_argument(
        "space",
        nargs="?",
        default=None,
        metavar="SPACE",
        help="a space .yaml file or a shipped space name (default: the --preset space)",
    )
    p.add_argument(
        "--preset",
        choices=("quick", "default", "thorough"),
        default="default",
        help=(
            "shipped space used when SPACE is not given: default (<= 15 min), quick (<= 3 min) "
            "or thorough (the default space, every front model trained to convergence)"
        ),
    )
    p.add_argument(
        "--budget",
        type=values.integer(1, 100000),
        default=None,
        help="model trials (default: the space's)",
    )
    p.add_argument("--out", default=None, help="results folder (default: results/<space name>)")
    p.add_argument(
        "--storage",
        default=None,
        help="Optuna storage, any SQLAlchemy URL (default: sqlite:///OUT/study.db)",
    )
    p.add_argument("--executor", choices=("local", "dask"), default="local")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, tcp://HOST:8786")
    p.add_argument(
        "--jobs",
        type=values.integer(1, 256),
        default=1,
        help="models evaluated at once (local: worker processes; 1 = in this process)",
    )
    p.add_argument("--seed", type=values.seed, default=0, help="optimizer and training seed")
    p.add_argument(
        "--threads",
        type=values.integer(0, 256),
        default=0,
        help="torch threads per training (default: CPU cores // --jobs; part of the model cache key)",
    )
    p.add_argument("--dataset", default=None, help="override the space's data set (e.g. digits)")
    p.add_argument("--data-dir", default=None, help="data folder (default $RTMCIM_DATA)")
    p.add_argument("--cache-dir", default=None, help="model cache (default $RTMCIM_CACHE)")
    p.add_argument("--no-report", action="store_true", help="do not build the report at the end")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (trials done, points evaluated, best so far, ETA): one line per "
        "event instead, as when stderr is not a terminal",
    )
    p.set_defaults(run=run)


def _space(args: argparse.Namespace) -> Any:
    from rtmcim.explore.space import load_space, space_from_dict

    space = load_space(args.space or args.preset)
    if args.dataset:
        data = space.config.canonical()
        data["dataset"] = args.dataset
        space = space_from_dict(data, space.source)
    return space


def _executor(args: argparse.Namespace, train_cb: Any, sweep_cb: Any) -> Any:
    from rtmcim.errors import ConfigError
    from rtmcim.explore.executors import DaskExecutor, InProcessExecutor, ProcessExecutor

    if args.jobs < 1:
        raise ConfigError("must be at least 1", key="--jobs", value=args.jobs)
    if args.executor == "dask":
        return DaskExecutor(args.scheduler, jobs=args.jobs if args.jobs > 1 else None)
    if args.scheduler:
        raise ConfigError(
            "--scheduler needs --executor dask", key="--scheduler", value=args.scheduler
        )
    if args.jobs == 1:
        return InProcessExecutor(train_cb, sweep_cb)
    return ProcessExecutor(args.jobs)


def run(args: argparse.Namespace) -> int:
    from rtmcim.explore.study import check_inputs, run_study, study_name
    from rtmcim.nn.data import check_dataset

    # every input is checked before anything is printed or written
    space = _space(args)
    out = Path(args.out) if args.out else Path("results") / space.config.name
    check_dataset(space.config.dataset, args.data_dir)
    check_inputs(out, study_name(space, args.seed), args.storage)
    bar, train_cb, sweep_cb, progress = _progress(args, args.budget or space.config.budget, out)
    executor = _executor(args, train_cb, sweep_cb)
    try:
        with bar:
            run = run_study(
                space,
                out,
                executor,
                budget=args.budget,
                storage=args.storage,
                seed=args.seed,
                cache_dir=args.cache_dir,
                data_dir=args.data_dir,
                threads=args.threads or max(1, (os.cpu_count() or 1) // args.jobs),
                progress=progress,
            )
    finally:
        executor.close()
    console().print(
        f"study {run.study_name}: {run.completed} trials complete, {run.failed} failed, "
        f"{run.new_trials} new in this run, {run.promotions} trainings at higher fidelities "
        f"({run.seconds:.1f} s)"
    )
    if not args.no_report:
        _report(out, space)
    return 0


def _progress(args: argparse.Namespace, trials: int, out: Path) -> tuple[Any, Any, Any, Any]:
    """A bar over the model trials (trials done, hardware points evaluated, the best so far and
    the time left) and one over the current model's training and sweep, and the callbacks that
    feed them (training, sweep, study events). Without a terminal or with --no-progress: one
    line per event on stderr, as before."""
    from rich.progress import BarColumn, TextColumn

    from rtmcim.cli.study_progress import StudyStats, stats_column

    stats = StudyStats()
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    ]
    bar = progress_bar(not args.no_progress, *columns, stats_column(stats), transient=False)
    trials_task = bar.add_task("model trials", total=trials, study=True)
    inner = bar.add_task("current model", total=1, visible=False)

    def train_cb(ev: Any) -> None:
        what = f"  train {ev.phase} epoch {ev.epoch}/{ev.epochs}"
        bar.update(inner, description=what, completed=ev.step, total=ev.steps, visible=True)

    def sweep_cb(done: int, total: int) -> None:
        bar.update(inner, description="  hardware sweep", completed=done, total=total, visible=True)

    def progress(ev: Any) -> None:
        from rtmcim.report.results import trial_brief

        stats.begin(ev.done)
        if ev.kind == "trial" and ev.number >= 0:
            brief = trial_brief(out, ev.number)
            if brief is not None:
                stats.add(brief)
        bar.update(trials_task, completed=ev.done, total=ev.total)
        if ev.message and ev.kind in (
            "start",
            "trial",
            "reference",
            "reused",
            "promote",
            "trained",
        ):
            if not bar.disable:
                bar.console.print(f"[dim]{ev.kind}:[/dim] {ev.message}")
            else:
                print(f"{ev.kind}: {ev.message}", file=sys.stderr, flush=True)

    return bar, train_cb, sweep_cb, progress


def _report(out: Path, space: Any) -> None:
    """Build the results folder's report and print its best designs."""
    from rtmcim.report import build_report, design_figures

    rep = build_report(out)
    rows = []
    for d in rep.summary["chosen"]:
        vs = d.get("vs_default") or {}
        lower = {
            f"{k[0].upper()} ×lower": vs.get(k, math.nan) for k in ("energy", "latency", "area")
        }
        rows.append(
            {"design": d["label"], **design_figures(d), "accuracy from": _fidelity_txt(d), **lower}
        )
    ref = rep.summary["reference"]
    cap = None
    if ref:
        cap = (
            f"vs default design = {ref['model']} W{ref['wbits']}/A{ref['abits']} on arch "
            f"{space.config.reference.arch} (accuracy {ref['accuracy']:.4f}); "
            "ratios = default / design"
        )
    c = console()
    c.print(
        table(rows, title=f"Best designs ({rep.summary['front_size']} on the front)", caption=cap)
    )
    _print_fidelity(c, rep.summary)
    _print_verdict(c, rep.summary)
    c.print(f"report: {(out / 'report.html').resolve()}")


def _fidelity_txt(d: dict[str, Any]) -> str:
    from rtmcim.explore import describe_fidelity

    f = d.get("accuracy_fidelity")
    return describe_fidelity(f) if f and "epochs" in f else "?"


def _print_fidelity(c: Any, summary: dict[str, Any]) -> None:
    """The headline's gap to a full `rtmcim train`, and how well screening ranked models."""
    head = next((d for d in summary["chosen"] if d["label"] == summary.get("headline")), None)
    gap = head.get("full_training") if head else None
    if head is not None and gap is not None:
        c.print(
            f"headline ({head['label']}): accuracy {head['accuracy']:.4f} after "
            f"{_fidelity_txt(head)}; trained as `rtmcim train` does ({_fidelity_txt(gap)}): "
            f"{gap['accuracy']:.4f}, gap {gap['gap_points']:+.2f} points",
            markup=False,
            soft_wrap=True,
        )
        c.print(f"  (that training: {gap['command']})", markup=False, soft_wrap=True)
    elif head is not None:
        c.print(f"headline ({head['label']}): no full `rtmcim train` in this study", markup=False)
    ra = summary.get("rank_agreement") or {}
    tau, rho = ra.get("kendall_tau"), ra.get("spearman")
    big = ra.get("largest_front_change")
    txt = (
        f"screening-to-final rank agreement over {ra.get('models', 0)} models trained at more "
        f"than one fidelity: Kendall tau {'n/a' if tau is None else f'{tau:.2f}'}, Spearman "
        f"{'n/a' if rho is None else f'{rho:.2f}'}"
    )
    if big is not None:
        txt += (
            f"; largest change of a front model {big['change_points']:+.1f} points "
            f"(trial {big['trial']}, {big['model']})"
        )
    c.print(txt, markup=False, soft_wrap=True)


def _print_verdict(c: Any, summary: dict[str, Any]) -> None:
    """The headline design against the baselines, and the crossover study's verdict."""
    head = summary.get("headline")
    for b in summary.get("baselines") or []:
        r = b["design_vs_baseline"]
        c.print(
            f"{head} vs {b['name']}: energy x{r['energy']:.3g}, latency x{r['latency']:.3g}, "
            f"area x{r['area']:.3g} (baseline / design; below 1: the baseline is better)"
        )
    cross = summary.get("crossover")
    if cross:
        c.print("crossover (least energy / latency per inference, by on-chip capacity):")
        for line in cross["verdict"]:
            c.print(f"  {line}", markup=False)
