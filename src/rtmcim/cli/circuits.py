"""``rtmcim circuits``: every in-memory arithmetic cell's latency, energy and area, beside CMOS."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli import values
from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json
from rtmcim.errors import ConfigError
from rtmcim.tech import DEFAULT_PRESET

DEFAULT_BITS = "4,8,16"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "circuits",
        help="latency, energy, area and events of every in-memory arithmetic cell, beside CMOS",
        description=(
            "One row per cell and width: latency (ns) and energy (pJ) of one operation from its "
            "analytical event tally priced with the technology preset, area (um2) from its "
            "transistor, PCSA and racetrack counts, the events per operation, the energy-delay "
            "product, and the Horowitz CMOS energy of the same operation scaled to the preset's "
            "node with the ratio of the two. Cells whose cost depends on the data (Booth, lookup "
            "table) show their worst case. Multipliers and the MAC are costed signed (the MAC: "
            "signed weights x unsigned activations), cells without a signed mode unsigned. A "
            "width above a cell's limit (full adder 1, lookup table 4) skips that cell."
        ),
    )
    p.add_argument(
        "--bits",
        default=DEFAULT_BITS,
        metavar="N[,N...]",
        help=f"operand widths, comma-separated, each 1..32 (default: {DEFAULT_BITS})",
    )
    p.add_argument(
        "--tech", default=DEFAULT_PRESET, help=f"technology preset name or file ({DEFAULT_PRESET})"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one preset value, e.g. --set lim.eval_energy_pj=0.05 (repeatable)",
    )
    p.add_argument(
        "--k",
        type=values.integer(1, 2**20),
        default=9,
        help="terms per dot product, sizing the MAC accumulator (default: 9, one 3x3 kernel)",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def parse_bits(text: str) -> list[int]:
    """``"4,8,16"`` -> ``[4, 8, 16]``; anything else is a ConfigError naming the value."""
    from rtmcim.circuits.bitplanes import MAX_BITS, check_bits

    out = []
    for part in text.split(","):
        try:
            n = int(part.strip())
        except ValueError:
            raise ConfigError(
                "width must be an integer",
                key="--bits",
                value=part.strip(),
                allowed=f"comma-separated widths 1..{MAX_BITS}",
            ) from None
        out.append(check_bits(n, MAX_BITS, key="--bits"))
    return out


def cell_prices(tech: Any) -> Any:
    """Prices of a cell's own events: its port accesses on the local path of the default
    arch's macro units (64 domains, 2 ports, 32 tracks) under ``tech``."""
    from rtmcim.mapping import load_arch
    from rtmcim.memory import prices_for

    return prices_for(tech, load_arch("default").org)


def rows_for(tech: Any, widths: list[int], k: int) -> list[dict[str, Any]]:
    """The report rows (also used by tests): one per cell and width."""
    from rtmcim.circuits import MacCell, accumulator_bits, get, names
    from rtmcim.tech import price

    prices = cell_prices(tech)

    rows: list[dict[str, Any]] = []
    for name in names():
        cell = MacCell(k=k) if name == "mac" else get(name)
        for bits in widths:
            if bits > cell.max_bits:
                continue
            if cell.kind == "mac" and accumulator_bits(bits, k) > 63:
                continue
            signed = cell.supports_signed
            tally = cell.cost(bits, signed)
            cost = price(tally, prices)
            energy = cost.total_energy_pj
            if cell.kind == "adder":
                ref = tech.cmos_reference_pj("add", bits)
            elif cell.kind == "multiplier":
                ref = tech.cmos_reference_pj("mult", bits)
            else:
                ref = tech.cmos_reference_pj("mult", bits) + tech.cmos_reference_pj(
                    "add", accumulator_bits(bits, k)
                )
            mode = "signed" if signed else "unsigned"
            if cell.kind == "mac":
                mode = "signed x unsigned"  # weights signed, post-ReLU activations unsigned
            ev = tally.events()
            rows.append(
                {
                    "cell": name,
                    "kind": cell.kind,
                    "bits": bits,
                    "mode": mode,
                    "cost": "worst case" if cell.data_dependent else "exact",
                    "latency_ns": cost.latency_ns,
                    "energy_pj": energy,
                    "area_um2": cell.area_um2(tech, bits),
                    "events": sum(ev.values()),
                    "lim_evals": ev["lim_evals"],
                    "shift_steps": ev["cell_shift_steps"],
                    "bit_reads": ev["cell_bit_reads"],
                    "bit_writes": ev["cell_bit_writes"],
                    "latch_updates": ev["latch_updates"],
                    "cmos_gate_ops": ev["cmos_gate_ops"],
                    "edp_pj_ns": cost.edp_pj_ns,
                    "cmos_ref_pj": ref,
                    "energy_x_cmos": energy / ref,
                }
            )
    return rows


def run(args: argparse.Namespace) -> int:
    from rtmcim.tech import load_tech

    widths = parse_bits(args.bits)
    if args.k < 1:
        raise ConfigError("K must be a positive integer", key="--k", value=args.k, allowed=">= 1")
    tech = load_tech(args.tech, args.overrides)
    rows = rows_for(tech, widths, args.k)
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
    elif args.format == "json":
        sys.stdout.write(to_json({"tech": tech.name, "k": args.k, "rows": rows}))
    else:
        short = {"signed": "s", "unsigned": "u", "signed x unsigned": "s x u"}
        shown = [
            {
                "cell": r["cell"] + ("*" if r["cost"] == "worst case" else ""),
                "bits": r["bits"],
                "mode": short[r["mode"]],
                "latency_ns": r["latency_ns"],
                "energy_pj": r["energy_pj"],
                "area_um2": r["area_um2"],
                "events": r["events"],
                "edp_pj_ns": r["edp_pj_ns"],
                "cmos_pj": r["cmos_ref_pj"],
                "x_cmos": r["energy_x_cmos"],
            }
            for r in rows
        ]
        console().print(
            table(
                shown,
                title=f"In-memory arithmetic cells, {tech.name} ({tech.node_nm:g} nm)",
                caption=(
                    "per operation; * worst case (data-dependent); s signed, u unsigned; port "
                    "accesses on the local path of a 64/2/32 macro unit; "
                    f"MAC = one product + one accumulator add, K={args.k}; "
                    "x_cmos = energy / CMOS energy; event breakdown in --format csv/json"
                ),
            )
        )
    return 0
