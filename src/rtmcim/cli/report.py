"""``rtmcim report``: rebuild the tables, plots and HTML report of a results folder."""

from __future__ import annotations

import argparse
from typing import Any

from rtmcim.cli.output import console


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="rebuild the report of an 'rtmcim explore' results folder",
        description=(
            "Rebuild trials.csv, pareto.csv, summary.json, plots/ (PNG and SVG) and report.html "
            "(interactive, self-contained: opens with no network) of a results folder from what "
            "the study stored there (no training, no optimizer). Fault sweeps filed in "
            "DIR/fault-sweeps/NAME (rtmcim faults sweep --out DIR/fault-sweeps/NAME) are drawn "
            "in the report: accuracy against fault rate, a line per mitigation."
        ),
    )
    p.add_argument("folder", metavar="DIR", help="the --out folder of an 'rtmcim explore' run")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rtmcim.report import build_report

    rep = build_report(args.folder)
    c = console()
    for name in sorted(rep.files):
        c.print(f"wrote {rep.folder / name}")
    return 0
