"""LeNet-5 on Fashion-MNIST: float and QAT accuracy at 8/6/4/3/2 bits, seconds per epoch.

Targets (issue 4): 8-bit >= 89 %, 4-bit >= 88 % test accuracy, one epoch <= 30 s
on 2 CPU cores. The float pre-training is cached once and shared by every bit
width; results are cached in $RTMCIM_CACHE (default ~/.cache/rtmcim), so a second
run only re-reads them (pass --fresh to retrain and re-time).

Usage: python benchmarks/bench_nn_qat.py [--epochs 12] [--qat-epochs 4] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from rtmcim.nn import load_dataset, train_model

TARGETS = {8: 0.89, 4: 0.88}
EPOCH_TARGET_S = 30.0
BITS = (8, 6, 4, 3, 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=12, help="float pre-training epochs")
    ap.add_argument("--qat-epochs", type=int, default=4, help="QAT fine-tuning epochs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fresh", action="store_true", help="ignore the cache (temporary cache dir)")
    ap.add_argument(
        "--bits", type=int, nargs="+", default=list(BITS), help="W/A bit widths (default 8 6 4 3 2)"
    )
    args = ap.parse_args(argv)
    cache = tempfile.mkdtemp(prefix="rtmcim-bench-") if args.fresh else None
    ds = load_dataset("fashion-mnist")
    ok = True
    float_s: list[float] = []
    qat_s: list[float] = []
    print(
        f"LeNet-5 on Fashion-MNIST: {args.epochs} float epochs + {args.qat_epochs} QAT epochs, seed {args.seed}"
    )
    for b in args.bits:
        t0 = time.perf_counter()
        tm = train_model(
            "lenet5",
            ds,
            b,
            b,
            epochs=args.epochs,
            seed=args.seed,
            qat_epochs=args.qat_epochs,
            cache_dir=cache,
        )
        wall = time.perf_counter() - t0
        if b == args.bits[0]:
            print(f"float accuracy            {tm.float_accuracy * 100:6.2f} %")
        fs = [h["seconds"] for h in tm.history if h["phase"] == "float"]
        qs = [h["seconds"] for h in tm.history if h["phase"] == "qat"]
        float_s += fs if b == args.bits[0] else []
        qat_s += qs
        target = TARGETS.get(b)
        verdict = ""
        if target is not None:
            met = tm.qat_accuracy >= target
            ok &= met
            verdict = f"target >= {target * 100:.0f} %: {'met' if met else 'NOT MET'}"
        print(
            f"{b}-bit W/A QAT accuracy   {tm.qat_accuracy * 100:6.2f} %  integer graph "
            f"{tm.int_accuracy * 100:6.2f} %  agreement {tm.agreement * 100:6.2f} %  "
            f"({'cached' if tm.cached else f'{wall:.0f} s'})  {verdict}"
        )
    # Best-of-N is the figure least disturbed by other processes on the machine; the
    # median is printed beside it, with the load average, so a busy machine shows.
    load = os.getloadavg()[0]
    for name, xs in (("float", float_s), ("QAT", qat_s)):
        if xs:
            best, med = min(xs), statistics.median(xs)
            met = best <= EPOCH_TARGET_S
            ok &= met
            print(
                f"seconds per {name} epoch  best {best:6.1f} s  median {med:6.1f} s over {len(xs)} "
                f"(target <= {EPOCH_TARGET_S:.0f} s: {'met' if met else 'NOT MET'}; "
                f"2 threads, load average now {load:.1f})"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
