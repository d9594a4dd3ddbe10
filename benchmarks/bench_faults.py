"""Speed of bit-exact inference under faults, against the fault-free engine on the same processes.

LeNet-5 (8-bit, the default recipe), 300 Fashion-MNIST test images, shift faults at 1e-3 per
step (where position errors misalign about half of the weight reads), without mitigation and
with the position check, 2 processes. Target: a faulty run takes at most 5x the fault-free run
(it simulates every weight read of every lane, and every lane reads its own weights).
The faulty runs must also be the same in 1 and 2 processes (checked on the first 80 images).

Usage: python benchmarks/bench_faults.py [IMAGES]   (default 300)
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from rtmcim.engine import run_engine
from rtmcim.engine.faults import run_with_faults
from rtmcim.mapping import load_arch
from rtmcim.nn import load_dataset
from rtmcim.nn.train import train_model

TARGET_RATIO = 5.0
JOBS = 2


def main(images: int = 300) -> int:
    ds = load_dataset("fashion-mnist")
    tm = train_model("lenet5", ds, 8, 8, epochs=3, seed=0)
    arch = load_arch("default")
    xq = tm.graph.quantize_input(ds.x_test[:images])
    y = ds.y_test[:images]
    t0 = time.perf_counter()
    run_engine(
        tm.graph, xq, multiplier=arch.compute.multiplier, adder=arch.compute.adder, jobs=JOBS
    )
    free = time.perf_counter() - t0
    print(f"fault-free engine, {len(xq)} images, {JOBS} processes: {free:.1f} s")
    ok = True
    for mitigation in ("none", "position_check"):
        t0 = time.perf_counter()
        run = run_with_faults(tm.graph, xq, arch, "shift=1e-3", mitigation, seed=0, jobs=JOBS)
        took = time.perf_counter() - t0
        ratio = took / free
        acc = 100 * float(np.mean(run.result.predictions == y))
        ok &= ratio <= TARGET_RATIO
        print(
            f"shift faults 1e-3, mitigation {mitigation}: {took:.1f} s, {ratio:.1f}x the "
            f"fault-free run (target <= {TARGET_RATIO:.0f}x, ratio {ratio / TARGET_RATIO:.2f}); "
            f"accuracy {acc:.1f} %; {run.stats.misaligned_reads:,} misaligned weight reads"
        )
    head = xq[:80]
    one = run_with_faults(tm.graph, head, arch, "shift=1e-3,read=1e-4", "tmr_msb", seed=1)
    two = run_with_faults(tm.graph, head, arch, "shift=1e-3,read=1e-4", "tmr_msb", seed=1, jobs=2)
    same = bool(np.array_equal(one.result.logits, two.result.logits)) and one.stats == two.stats
    print(
        f"same run in 1 and {JOBS} processes: {same}; load average {os.getloadavg()[0]:.1f}; "
        f"{'PASS' if ok and same else 'FAIL'}"
    )
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
