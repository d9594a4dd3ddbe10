"""``rtmcim simulate``: bit-exact in-memory inference over a test set."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rtmcim.cli import values
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
        "--limit",
        type=values.integer(0, 10**7),
        default=1000,
        help="test images to run (default 1000; 0 = all)",
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
    p.add_argument(
        "--fault-seed", type=values.seed, default=0, help="seed of the fault draws (default 0)"
    )
    p.add_argument(
        "--jobs",
        type=values.integer(1, 256),
        default=1,
        help="processes (default 1): a fault-free run splits the images between them, a faulty "
        "run its image batches; the result does not depend on it",
    )
    add_format_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rtmcim.cli.models import check_model_inputs, min_weight_bits
    from rtmcim.engine.faults import FaultConfig, Mitigation
    from rtmcim.engine.run import dot_products_per_image
    from rtmcim.engine.simulation import simulate
    from rtmcim.errors import ConfigError
    from rtmcim.mapping import load_arch

    if args.limit < 0:
        raise ConfigError(
            "must be >= 0", key="--limit", value=args.limit, allowed="0 (all) or a positive count"
        )
    if args.jobs < 1:
        raise ConfigError("must be >= 1", key="--jobs", value=args.jobs, allowed="1, 2, ...")
    faults = FaultConfig.parse(args.faults or "")
    mitigation = Mitigation.parse(args.mitigation)
    arch = load_arch(args.arch)
    ds = check_model_inputs(args, arch)
    tm = resolve_model(args, ds)
    mitigation.check_weight_bits(min_weight_bits(tm.graph))
    xq, y = limited_test_set(args, tm)
    bar = progress_bar(not args.no_progress)
    with bar:
        lanes = dot_products_per_image(tm.graph) * len(xq)
        task = bar.add_task("bit-exact dot products", total=lanes)
        sim = simulate(
            tm.graph,
            xq,
            y,
            arch,
            faults,
            mitigation,
            args.fault_seed,
            jobs=args.jobs,
            progress=lambda done: bar.advance(task, done),
        )
    summ = {"model": tm.spec.name, "dataset": tm.dataset, **sim.summary()}
    rows = sim.events()
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
    if not sim.integers_identical and not sim.faulty:
        print(
            "rtmcim simulate: the engine's integers differ from the integer reference",
            file=sys.stderr,
        )
        return 1
    return 0
