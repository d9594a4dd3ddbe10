"""Issue 5 acceptance, at full size: the bit-exact engine equals the integer reference on 1,000
Fashion-MNIST test images, for LeNet-5 at 8, 4 and 2 bits and for each multiplier kind.

Models are trained with the default recipe of ``rtmcim evaluate`` (3 float epochs + QAT; cached
in $RTMCIM_CACHE or ~/.cache/rtmcim, so a second run trains nothing). For each (bits, multiplier)
it prints whether every integer matched, the accuracy, the engine's wall time and its MAC/s.
Exit code 1 if any integer differs.

Usage: python benchmarks/bench_engine_exact.py [IMAGES]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from rtmcim.circuits.mac import MAC_MULTIPLIERS
from rtmcim.engine import run_engine
from rtmcim.nn import load_dataset, run_reference
from rtmcim.nn.train import train_model


def main(images: int = 1000) -> int:
    ds = load_dataset("fashion-mnist")
    x, y = ds.x_test[:images], ds.y_test[:images]
    failures = 0
    print(
        f"{'bits':>4} {'multiplier':<10} {'identical':>9} {'accuracy %':>10} {'seconds':>8} {'MAC/s':>10}"
    )
    for bits in (8, 4, 2):
        tm = train_model("lenet5", ds, bits, bits, epochs=3, seed=0)
        xq = tm.graph.quantize_input(x)
        ref = run_reference(tm.graph, xq, keep_activations=False)
        macs = sum(lay.macs for lay in tm.graph.compute_layers()) * len(xq)
        for mult in MAC_MULTIPLIERS:
            if mult == "lut" and bits > 4:
                continue  # the lookup-table multiplier stops at 4 bits
            t0 = time.perf_counter()
            res = run_engine(tm.graph, xq, multiplier=mult, adder="ripple_carry")
            dt = time.perf_counter() - t0
            same = bool(np.array_equal(res.logits, ref.logits))
            failures += not same
            acc = 100 * float(np.mean(res.predictions == y))
            print(f"{bits:>4} {mult:<10} {same!s:>9} {acc:>10.2f} {dt:>8.1f} {macs / dt:>10.3g}")
    print(
        f"result: {'all identical' if not failures else f'{failures} runs differ'} "
        f"({images} Fashion-MNIST test images)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
