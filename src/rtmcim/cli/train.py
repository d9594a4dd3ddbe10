"""``rtmcim train``: quantization-aware training of a zoo model or spec, cached, with export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rtmcim import outdir
from rtmcim.cli import values
from rtmcim.cli.output import add_format_option, console, table, to_csv, to_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a quantized CNN (QAT) and export its integer graph",
        description=(
            "Train MODEL_OR_SPEC (a zoo name: cnn_small, lenet5, vgg_small, resnet8, resnet20, "
            "mobilenet_v1_025, ds_cnn_s; or a spec .yaml, with residual and depthwise-separable "
            "blocks or an explicit graph) "
            "in float, then fine-tune it with quantization-aware training at --wbits/--abits, "
            "export the integer graph and check it against the fake-quantized network. Results "
            "are cached in $RTMCIM_CACHE (default ~/.cache/rtmcim) by a hash of everything that "
            "affects them; a second identical call reuses them."
        ),
    )
    p.add_argument("model", metavar="MODEL_OR_SPEC", help="zoo model name or spec .yaml file")
    p.add_argument(
        "--dataset",
        default="fashion-mnist",
        help="fashion-mnist (default), mnist, cifar10, digits, or an .npz file",
    )
    p.add_argument(
        "--wbits", type=values.integer(2, 8), default=8, help="weight bits, 2..8 (default 8)"
    )
    p.add_argument(
        "--abits", type=values.integer(2, 8), default=8, help="activation bits, 2..8 (default 8)"
    )
    p.add_argument(
        "--epochs",
        type=values.integer(0, 1000),
        default=8,
        help="float pre-training epochs (default 8)",
    )
    p.add_argument(
        "--qat-epochs",
        type=values.integer(0, 1000),
        default=None,
        help="QAT fine-tuning epochs (default: --epochs)",
    )
    p.add_argument("--batch-size", type=values.integer(1, 65536), default=128)
    p.add_argument(
        "--lr",
        type=values.number(0, 1, lo_open=True),
        default=2e-3,
        help="float learning rate (Adam)",
    )
    p.add_argument(
        "--qat-lr",
        type=values.number(0, 1, lo_open=True),
        default=5e-4,
        help="QAT learning rate (Adam)",
    )
    p.add_argument(
        "--early-stop",
        type=values.integer(1, 1000),
        default=None,
        metavar="PATIENCE",
        help="stop a phase after PATIENCE epochs without validation gain (holds out 10%% of train)",
    )
    p.add_argument("--seed", type=values.seed, default=0)
    p.add_argument(
        "--data-dir", default=None, help="data folder (default $RTMCIM_DATA or /usr/share/datasets)"
    )
    p.add_argument(
        "--cache-dir", default=None, help="cache folder (default $RTMCIM_CACHE or ~/.cache/rtmcim)"
    )
    p.add_argument(
        "--no-cache", action="store_true", help="train afresh, do not read or write the cache"
    )
    p.add_argument(
        "--out", default=None, help="write the trained model and integer graph to this folder"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # torch is heavy: imported here so that 'rtmcim --help' stays fast.
    from rtmcim.cli.models import train
    from rtmcim.nn.train import save_trained

    if args.out:
        outdir.check(args.out, "model")  # before any training
    hyper: dict[str, Any] = {
        "batch_size": args.batch_size,
        "lr": args.lr,
        "qat_lr": args.qat_lr,
        "early_stop": args.early_stop,
    }
    if args.qat_epochs is not None:
        hyper["qat_epochs"] = args.qat_epochs
    tm = train(args, use_cache=not args.no_cache, **hyper)
    folder = save_trained(tm, Path(args.out)) if args.out else tm.folder
    row = {**tm.summary(), "folder": str(folder) if folder else None}
    if args.format == "json":
        sys.stdout.write(to_json(row))
    elif args.format == "csv":
        sys.stdout.write(to_csv([row]))
    else:
        rows = [
            {"figure": "float accuracy %", "value": 100 * tm.float_accuracy},
            {"figure": f"QAT accuracy % (W{tm.wbits}/A{tm.abits})", "value": 100 * tm.qat_accuracy},
            {"figure": "integer-graph accuracy %", "value": 100 * tm.int_accuracy},
            {"figure": "integer vs QAT agreement %", "value": 100 * tm.agreement},
        ]
        title = f"{tm.spec.name} on {tm.dataset}" + (" (from cache)" if tm.cached else "")
        console().print(
            table(
                rows,
                title=title,
                caption=f"written to {folder}" if folder else "not written (--no-cache, no --out)",
            )
        )
    return 0
