"""``rtmcim memory``: a DESTINY-like report of an RTM organisation, optionally replaying a trace."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "memory",
        help="capacity, area, latency, energy and leakage of an RTM organisation",
        description=(
            "Report capacity, area (with breakdown and array efficiency), read/write/shift "
            "latency and energy and periphery leakage of the racetrack-memory organisation in "
            "CONFIG (e.g. configs/memory/default.yaml). With --trace, replay an access trace "
            "('OP ADDRESS' lines or NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD' lines, byte "
            "addresses) and report shift steps, reads, writes, energy and latency."
        ),
    )
    p.add_argument("config", metavar="CONFIG.yaml", help="memory organisation config file")
    p.add_argument("--trace", metavar="FILE", help="access trace to replay")
    p.add_argument(
        "--wrap",
        action="store_true",
        help="wrap trace addresses beyond the capacity instead of rejecting them",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rtmcim.memory import load_memory, memory_report, run_trace_file

    mem = load_memory(args.config)
    report = memory_report(mem)
    rows = report.rows()
    if args.trace:
        res = run_trace_file(mem, args.trace, wrap=args.wrap)
        c = res.cost
        trace_rows: list[tuple[str, Any, str]] = [
            ("trace file", args.trace, "file"),
            ("accesses", res.accesses, "accesses"),
            ("reads", res.reads, "accesses"),
            ("writes", res.writes, "accesses"),
            ("MU shift steps", res.mu_shift_steps, "steps"),
            ("track shift steps", int(res.tally.shift_steps), "track-steps"),
            ("mean shift per access", res.mean_shift_steps, "steps"),
            ("longest shift", res.max_shift_steps, "steps"),
            ("accesses without shift", res.accesses_without_shift, "accesses"),
            ("MUs touched", res.mus_touched, "MUs"),
        ]
        for cls, e in c.energy_pj.items():
            if e:
                trace_rows.append((f"energy: {cls}", e, "pJ"))
        trace_rows += [
            ("energy: total", c.total_energy_pj, "pJ"),
            ("latency (serial)", c.latency_ns, "ns"),
        ]
        rows += [
            {"section": "trace", "quantity": q, "value": v, "unit": u} for q, v, u in trace_rows
        ]
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
    elif args.format == "json":
        doc = {
            "config_file": mem.source,
            "config": mem.config.model_dump(),
            "tech_preset": mem.tech.name,
            "tech_level": mem.tech.level,
            "rows": rows,
        }
        sys.stdout.write(to_json(doc))
    else:
        title = (
            f"RTM memory {report.capacity_bytes / 2**20:g} MiB, {report.preset} "
            f"({mem.tech.level} level, {mem.tech.node_nm:g} nm)"
        )
        console().print(table(rows, title=title, caption=f"config: {mem.source}"))
    return 0
