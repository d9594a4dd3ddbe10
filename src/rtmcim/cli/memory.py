"""``rtmcim memory``: a DESTINY-like report of an RTM organisation, optionally replaying a trace."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rtmcim.cli import values
from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json
from rtmcim.errors import ConfigError

if TYPE_CHECKING:
    from rtmcim.memory import TraceResult


MAX_CAPACITY_BYTES = 2**40  # 1 TiB: far above any on-chip memory this tool models
_UNITS = {"b": 1, "kb": 1024, "kib": 1024, "mb": 2**20, "mib": 2**20, "gb": 2**30, "gib": 2**30}


def _size(text: str) -> int:
    """Bytes from '4MiB', '256 KB' (binary, as DESTINY reads KB and MB) or a plain integer."""
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("kmgib")
    unit = t[len(num) :] or "b"
    try:
        value = float(num)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 4MiB, 256KiB)") from None
    if (
        unit not in _UNITS
        or not 0 < value * _UNITS[unit] <= MAX_CAPACITY_BYTES
        or value * _UNITS[unit] != int(value * _UNITS[unit])
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole positive number of bytes up to 1 TiB "
            "(units: B, KiB, MiB, GiB)"
        )
    return int(value * _UNITS[unit])


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "memory",
        help="capacity, area, latency, energy and leakage of an RTM organisation",
        description=(
            "Report capacity, area (with breakdown and array efficiency), read/write/shift "
            "latency and energy and periphery leakage of the racetrack-memory organisation in "
            "CONFIG (e.g. configs/memory/default.yaml), the cost of each access path (local "
            "ports beside a PE, subarray periphery, chip edge through the H-tree, broadcast, "
            "shift) and, under a circuit-level preset (the default rtm-32nm), the component "
            "breakdown (decoder, wordline, bitline, sense amp, mux, H-tree, shift driver). "
            "With --optimize, search organisations of a capacity like DESTINY. With --trace, replay an access trace "
            "('OP ADDRESS' lines or NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD' lines, byte "
            "addresses mapped by the config's address_map) and report shift steps, reads, "
            "writes, energy and latency. RTSim users: configs/memory/rtsim-rm.yaml with "
            "--compat rtsim --controller frfcfs reproduces RTSim's figures."
        ),
    )
    p.add_argument(
        "config",
        metavar="CONFIG.yaml",
        nargs="?",
        help="memory organisation config file (optional with --optimize and --capacity)",
    )
    opt = p.add_argument_group(
        "organisation search (DESTINY-style; needs a circuit-level preset such as rtm-32nm)"
    )
    opt.add_argument(
        "--optimize",
        metavar="TARGET",
        help="search banks, subarrays per bank and subarray rows/columns (the column mux) for "
        "the capacity and word width and print the best organisations ranked by TARGET: "
        "read-latency, read-energy, read-edp, area or leakage (rtmcim.memory.circuit.TARGETS)",
    )
    opt.add_argument(
        "--capacity",
        type=_size,
        metavar="SIZE",
        help="capacity to organise, e.g. 256KiB, 4MiB or bytes (default: CONFIG's)",
    )
    opt.add_argument(
        "--word-bits",
        type=values.integer(1, 4096),
        metavar="N",
        help="bits per access (default: CONFIG's tracks per MU; 32 without CONFIG, 64 for SRAM)",
    )
    opt.add_argument(
        "--cell",
        choices=("rtm", "sram"),
        default="rtm",
        help="racetrack macro units (CONFIG's domains and ports) or 6T SRAM (default: rtm)",
    )
    opt.add_argument(
        "--tech", metavar="PRESET", help="preset name or file (default: CONFIG's, or rtm-32nm)"
    )
    opt.add_argument(
        "--top",
        type=values.integer(1, 1000),
        default=5,
        metavar="N",
        help="designs to list (default: 5)",
    )
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
        type=values.integer(1, 4096),
        default=32,
        metavar="N",
        help="frfcfs: requests the controller's queue holds (default 32, RTSim)",
    )
    p.add_argument(
        "--starvation-threshold",
        type=values.integer(0, 2**20),
        default=4,
        metavar="N",
        help="frfcfs: row hits served before an older request to another row goes first "
        "(default 4, RTSim)",
    )
    p.add_argument(
        "--row-domains",
        type=values.integer(1, 512),
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

    if args.optimize is not None:
        return run_optimize(args)
    if args.config is None:
        raise ConfigError(
            "a memory config is needed", key="CONFIG", allowed="a .yaml file, or --optimize"
        )
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


def design_row(rank: int, org: Any, fig: Any) -> dict[str, Any]:
    """One organisation of a search and its figures, units in the keys."""
    if hasattr(org, "mu_rows"):
        grid = f"{org.mu_rows} x {org.mu_cols} MUs"
    else:
        grid = f"{org.rows} x {org.columns} cells"
    return {
        "rank": rank,
        "banks": org.banks,
        "subarrays_per_bank": org.subarrays_per_bank,
        "subarray": grid,
        "read_ns": fig.read.latency_ns,
        "read_pJ": fig.read.energy_pj,
        "read_edp_pJ_ns": fig.read.latency_ns * fig.read.energy_pj,
        "write_ns": fig.write.latency_ns,
        "write_pJ": fig.write.energy_pj,
        "area_mm2": fig.chip_mm2,
        "efficiency_pct": 100 * fig.array_efficiency,
        "leakage_mW": fig.leakage_mw,
    }


def _search_inputs(args: argparse.Namespace) -> tuple[Any, int, int, Any]:
    """(tech, capacity in bits, word bits, MU geometry or None) from CONFIG and the flags."""
    from rtmcim.memory import load_memory
    from rtmcim.tech import DEFAULT_PRESET, load_tech

    mem = load_memory(args.config) if args.config else None
    if mem is None and args.capacity is None:
        raise ConfigError(
            "--optimize needs a capacity", key="--capacity", allowed="e.g. 4MiB, or a CONFIG"
        )
    if args.tech:
        tech = load_tech(args.tech)
    else:
        tech = mem.tech if mem is not None else load_tech(DEFAULT_PRESET)
    if tech.level != "circuit":
        raise ConfigError(
            "the organisation search needs a circuit-level preset",
            key="tech",
            value=tech.name,
            allowed="a level: circuit preset, e.g. rtm-32nm",
        )
    capacity = 8 * args.capacity if args.capacity is not None else mem.org.capacity_bits  # type: ignore[union-attr]
    mu = None
    if args.cell == "rtm" and mem is not None:
        mu = mem.org.mu
    default_word = 64 if args.cell == "sram" else (mu.tracks if mu is not None else 32)
    word = args.word_bits or default_word
    if mu is not None and word != mu.tracks:
        mu = mu.model_copy(update={"tracks": word})
    return tech, capacity, word, mu


def run_optimize(args: argparse.Namespace) -> int:
    """``--optimize``: the best organisations for a capacity and word width, ranked."""
    from rtmcim.memory.circuit import optimize_organization

    if args.trace:
        raise ConfigError(
            "--trace replays the organisation of CONFIG; run it without --optimize",
            key="--trace",
            value=args.trace,
        )
    tech, capacity, word, mu = _search_inputs(args)
    best = optimize_organization(
        capacity, word, tech, args.optimize, cell=args.cell, mu=mu, top=args.top
    )
    rows = [design_row(i + 1, org, fig) for i, (org, fig) in enumerate(best)]
    chosen = best[0][0]
    if args.format == "csv":
        sys.stdout.write(to_csv(rows))
        return 0
    if args.format == "json":
        doc = {
            "target": args.optimize,
            "cell": args.cell,
            "capacity_bits": capacity,
            "word_bits": word,
            "tech_preset": tech.name,
            "designs": rows,
            "chosen": chosen.model_dump() if hasattr(chosen, "model_dump") else asdict(chosen),
        }
        sys.stdout.write(to_json(doc))
        return 0
    out = console()
    out.print(
        table(
            rows,
            title=(
                f"{args.cell.upper()} {capacity / 8 / 2**20:g} MiB, {word}-bit words, "
                f"ranked by {args.optimize} ({tech.name})"
            ),
            caption="read/write from the chip edge (H-tree included); rank 1 is the choice",
        )
    )
    if hasattr(chosen, "model_dump"):
        import yaml

        snippet = {"organization": chosen.model_dump(exclude_none=True, exclude={"address_map"})}
        out.print("chosen organisation, as a memory config:")
        out.print(yaml.safe_dump(snippet, sort_keys=False).rstrip(), markup=False)
    return 0
