"""Issue 5 benchmarks: the analytical evaluation of one design point (LeNet-5, default arch;
target <= 5 ms) and bit-exact simulation of Fashion-MNIST test images through LeNet-5 at 8 bits
(target: 10,000 images in <= 120 s on 2 cores), with the ratio to the integer reference.

Usage: python benchmarks/bench_mapping_engine.py [IMAGES]   (default 10000)
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from rtmcim.engine import run_engine
from rtmcim.mapping import evaluate_workload, load_arch
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn import load_dataset, run_reference
from rtmcim.nn.train import train_model

EVAL_TARGET_MS = 5.0
SIM_TARGET_S = 120.0


def main(images: int = 10_000) -> int:
    ds = load_dataset("fashion-mnist")
    tm = train_model(
        "lenet5", ds, 8, 8, epochs=3, seed=0
    )  # the default recipe of 'rtmcim evaluate'
    arch = load_arch("default")
    work = workload_from_graph(tm.graph)
    t0 = time.perf_counter()
    evaluate_workload(work, arch)  # cold: imports, and the MAC-cell cost memo is empty
    cold_ms = (time.perf_counter() - t0) * 1e3
    runs = 20
    t0 = time.perf_counter()
    for _ in range(runs):
        evaluate_workload(work, arch)
    ms = (time.perf_counter() - t0) / runs * 1e3
    print(
        f"analytical evaluation, LeNet-5 on default arch: {ms:.2f} ms per design point, mean of "
        f"{runs} (target {EVAL_TARGET_MS} ms, ratio {ms / EVAL_TARGET_MS:.2f}); "
        f"first call {cold_ms:.1f} ms"
    )

    xq = tm.graph.quantize_input(ds.x_test[:images])
    t0 = time.perf_counter()
    ref = run_reference(tm.graph, xq, keep_activations=False)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = run_engine(
        tm.graph, xq, multiplier=arch.compute.multiplier, adder=arch.compute.adder, jobs=2
    )
    t_sim = time.perf_counter() - t0
    same = bool(np.array_equal(res.logits, ref.logits))
    print(
        f"bit-exact simulation, {len(xq)} images, LeNet-5 8-bit, {arch.compute.multiplier}: "
        f"{t_sim:.1f} s (target {SIM_TARGET_S:.0f} s for 10,000, ratio "
        f"{t_sim * 10_000 / len(xq) / SIM_TARGET_S:.2f}); integer reference {t_ref:.2f} s, "
        f"engine/reference {t_sim / t_ref:.0f}x; identical: {same}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
