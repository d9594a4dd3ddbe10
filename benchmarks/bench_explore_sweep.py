"""Hardware points evaluated per second for one LeNet-class model (issue 6 target: >= 10,000/s).

Trains LeNet-5 on the digits set (8-bit, cached), builds the arch of every hardware
point of the default search space once (as a study does, once per process for all its
models), then maps and costs the model on all of them
(``rtmcim.explore.candidate.sweep`` -> ``rtmcim.mapping.batch.evaluate_points``) in one
process, from cold caches. LeNet-5 at 8, 6, 4 and 3 bits are four models (every
model's sweep starts cold, since its workload differs); the median of the four is
the figure (this machine's timings are noisy: single runs vary up to 2x).

Usage: python benchmarks/bench_explore_sweep.py
"""

from __future__ import annotations

import os
import statistics
import time

from rtmcim.explore.candidate import hardware_archs, sweep
from rtmcim.explore.space import load_space
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.train import train_model

TARGET = 10_000


def main() -> None:
    space = load_space("default")
    pts = space.hw_points
    t0 = time.perf_counter()
    archs = hardware_archs(space.config.hardware.base, pts)
    build = time.perf_counter() - t0
    print(f"{len(pts)} hardware points of the default space: archs built in {build:.3f} s (once)")
    rates = []
    for bits in (8, 6, 4, 3):
        tm = train_model("lenet5", "digits", bits, bits, 1, 0, qat_epochs=0)
        work = workload_from_graph(tm.graph)
        t0 = time.perf_counter()
        out = sweep(work, archs, pts, space.config)
        dt = time.perf_counter() - t0
        rate = len(pts) / dt
        rates.append(rate)
        feasible = sum(p["feasible"] for p in out)
        print(
            f"lenet5 W{bits}/A{bits}: {len(pts)} points in {dt * 1e3:.1f} ms = {rate:,.0f} points/s "
            f"({feasible} feasible); target {TARGET:,}/s, ratio {rate / TARGET:.2f}; "
            f"with the arch build: {len(pts) / (dt + build):,.0f} points/s"
        )
    med = statistics.median(rates)
    print(
        f"median {med:,.0f} points/s over {len(rates)} models; target {TARGET:,}/s, "
        f"ratio {med / TARGET:.2f}; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
