"""``rtmcim tech``: list the technology presets or show one with every value's source."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json
from rtmcim.tech import DEFAULT_PRESET, load_tech, preset_names


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "tech",
        help="list technology presets, or show one with the source of every value",
        description=(
            "Without PRESET, list the shipped technology presets. With PRESET (a name or a "
            ".yaml file), print every value with its unit and source. Units are in the field "
            "names: _pj picojoules, _ns nanoseconds, _f2 multiples of F squared, _nw nanowatts."
        ),
    )
    p.add_argument("preset", nargs="?", help=f"preset name or file (e.g. {DEFAULT_PRESET})")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one value, e.g. --set rtm.shift_latency_ns=1.0 (repeatable)",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.preset is None:
        rows: list[dict[str, Any]] = []
        for name in preset_names():
            t = load_tech(name)
            rows.append(
                {
                    "preset": name,
                    "level": t.level,
                    "node_nm": t.node_nm,
                    "description": t.description,
                }
            )
        _emit(rows, args.format, "Technology presets")
        return 0
    tech = load_tech(args.preset, args.overrides)
    rows = []
    for key in ("node_nm", "vdd_v", "clock_ghz"):
        rows.append({"key": key, "value": getattr(tech, key), "source": tech.sources[key]})
    for section in ("rtm", "lim", "cmos", "periphery", "wire", "sram", "dram"):
        sec = getattr(tech, section)
        for name in type(sec).model_fields:
            if name != "sources":
                rows.append(
                    {
                        "key": f"{section}.{name}",
                        "value": getattr(sec, name),
                        "source": sec.sources[name],
                    }
                )
    if args.format == "json":
        sys.stdout.write(to_json(tech.model_dump()))
    else:
        _emit(rows, args.format, f"{tech.name} ({tech.level} level, {tech.node_nm:g} nm)")
    return 0


def _emit(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    if fmt == "csv":
        sys.stdout.write(to_csv(rows))
    elif fmt == "json":
        sys.stdout.write(to_json(rows))
    else:
        console().print(table(rows, title=title))
