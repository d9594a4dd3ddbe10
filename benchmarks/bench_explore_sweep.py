"""Hardware points evaluated per second for one LeNet-class model (issue 6 target: >= 10,000/s).

Trains LeNet-5 on the digits set (8-bit, cached), then maps and costs it on every hardware
point of the default search space (``rtmcim.explore.candidate.sweep``), in one process.

Usage: python benchmarks/bench_explore_sweep.py
"""

from __future__ import annotations

import os
import time

from rtmcim.explore.candidate import sweep
from rtmcim.explore.space import load_space
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.train import train_model

TARGET = 10_000


def main() -> None:
    space = load_space("default")
    tm = train_model("lenet5", "digits", 8, 8, 1, 0, qat_epochs=0)
    work = workload_from_graph(tm.graph)
    pts = space.hw_points
    t0 = time.perf_counter()
    out = sweep(work, space.base_arch, pts, space.config)
    dt = time.perf_counter() - t0
    rate = len(pts) / dt
    feasible = sum(p["feasible"] for p in out)
    print(
        f"lenet5 W8/A8: {len(pts)} hardware points in {dt:.2f} s = {rate:,.0f} points/s "
        f"({feasible} feasible); target {TARGET:,}/s, ratio {rate / TARGET:.3f}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
