"""``rtmcim memory``: a DESTINY-like report of an RTM organisation, optionally replaying a trace."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json

if TYPE_CHECKING:
    from rtmcim.memory import TraceResult


def _count(lo: int) -> Any:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"{v} is below {lo}")
        return v

    return parse


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "memory",
        help="capacity, area, latency, energy and leakage of an RTM organisation",
        description=(
            "Report capacity, area (with breakdown and array efficiency), read/write/shift "
            "latency and energy and periphery leakage of the racetrack-memory organisation in "
            "CONFIG (e.g. configs/memory/default.yaml). With --trace, replay an access trace "
            "('OP ADDRESS' lines or NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD' lines, byte "
            "addresses mapped by the config's address_map) and report shift steps, reads, "
            "writes, energy and latency. RTSim users: configs/memory/rtsim-rm.yaml with "
            "--compat rtsim --controller frfcfs reproduces RTSim's figures."
        ),
    )
    p.add_argument("config", metavar="CONFIG.yaml", help="memory organisation config file")
    p.add_argument("--trace", metavar="FILE", help="access trace to replay")
    p.add_argument(
        "--wrap",
        action="store_true",
        help="wrap trace addresses beyond the capacity instead of rejecting them "
        "(as address_map: {above_capacity: wrap})",
    )
    p.add_argument(
        "--compat",
        choices=("rtmcim", "rtsim"),
        default="rtmcim",
        help="trace rules (default: rtmcim). rtsim: NVMain's trace reader -- line 1 is the "
        "version line (NVMV0/NVMV1, anything else dropped), addresses hexadecimal, the cycle "
        "column the arrival time (it may not decrease), a last line without newline dropped",
    )
    p.add_argument(
        "--controller",
        choices=("fcfs", "frfcfs"),
        default="fcfs",
        help="issue order (default: fcfs, in trace order). frfcfs: RTSim's RTM controller "
        "(FR-FCFS with starvation limit, NVMain command timing)",
    )
    p.add_argument(
        "--queue-depth",
        type=_count(1),
        default=32,
        metavar="N",
        help="frfcfs: requests the controller's queue holds (default 32, RTSim)",
    )
    p.add_argument(
        "--starvation-threshold",
        type=_count(0),
        default=4,
        metavar="N",
        help="frfcfs: row hits served before an older request to another row goes first "
        "(default 4, RTSim)",
    )
    p.add_argument(
        "--row-domains",
        type=_count(1),
        default=32,
        metavar="N",
        help="frfcfs: domains of an MU that form one row (NVMain RBSize; default 32, RTSim)",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def trace_summary(res: TraceResult, args: argparse.Namespace) -> dict[str, Any]:
    """The JSON ``trace`` object: counts, RTSim's totalnumShifts and the shift energy."""
    return {
        "file": args.trace,
        "compat": args.compat,
        "controller": res.controller,
        "accesses": res.accesses,
        "reads": res.reads,
        "writes": res.writes,
        "mu_shift_steps": res.mu_shift_steps,
        "track_shifts": res.track_shifts,
        "shift_energy_nj": res.shift_energy_pj / 1000.0,
        "row_hits": res.row_hits,
        "activations": res.activations,
        "controller_cycles": res.controller_cycles,
    }


def _trace_rows(res: TraceResult, args: argparse.Namespace) -> list[tuple[str, Any, str]]:
    c = res.cost
    rows: list[tuple[str, Any, str]] = [
        ("trace file", args.trace, "file"),
        ("trace rules", args.compat, "-"),
        ("controller", res.controller, "-"),
        ("accesses", res.accesses, "accesses"),
        ("reads", res.reads, "accesses"),
        ("writes", res.writes, "accesses"),
        ("MU shift steps", res.mu_shift_steps, "steps"),
        ("track shift steps", res.track_shifts, "track-steps"),
        ("mean shift per access", res.mean_shift_steps, "steps"),
        ("longest shift", res.max_shift_steps, "steps"),
        ("accesses without shift", res.accesses_without_shift, "accesses"),
        ("MUs touched", res.mus_touched, "MUs"),
    ]
    if res.controller == "frfcfs":
        rows += [
            ("row hits", res.row_hits, "accesses"),
            ("row activations", res.activations, "rows"),
            ("controller cycles", res.controller_cycles, "cycles"),
        ]
    for cls, e in c.energy_pj.items():
        if e:
            rows.append((f"energy: {cls}", e, "pJ"))
    rows += [
        ("energy: total", c.total_energy_pj, "pJ"),
        ("latency (serial)", c.latency_ns, "ns"),
    ]
    return rows


def run(args: argparse.Namespace) -> int:
    from rtmcim.memory import FrFcfs, load_memory, memory_report, run_trace_file

    mem = load_memory(args.config)
    report = memory_report(mem)
    rows = report.rows()
    summary = None
    if args.trace:
        policy = FrFcfs(args.queue_depth, args.starvation_threshold, args.row_domains)
        res = run_trace_file(
            mem,
            args.trace,
            wrap=args.wrap,
            compat=args.compat,
            controller=args.controller,
            policy=policy,
        )
        summary = trace_summary(res, args)
        rows += [
            {"section": "trace", "quantity": q, "value": v, "unit": u}
            for q, v, u in _trace_rows(res, args)
        ]
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
    elif args.format == "json":
        doc: dict[str, Any] = {
            "config_file": mem.source,
            "config": mem.config.model_dump(),
            "tech_preset": mem.tech.name,
            "tech_level": mem.tech.level,
            "rows": rows,
        }
        if summary is not None:
            doc["trace"] = summary
        sys.stdout.write(to_json(doc))
    else:
        title = (
            f"RTM memory {report.capacity_bytes / 2**20:g} MiB, {report.preset} "
            f"({mem.tech.level} level, {mem.tech.node_nm:g} nm)"
        )
        console().print(table(rows, title=title, caption=f"config: {mem.source}"))
    return 0
