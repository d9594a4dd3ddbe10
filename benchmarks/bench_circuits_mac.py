"""Bit-exact 8-bit MAC throughput of the in-memory functional models, on one core.

Each multiplier model (with the ripple-carry accumulator adder) computes
``LANES`` dot products of ``K`` signed 8-bit weights x unsigned 8-bit
activations through its own bit-plane gate evaluations, counting every event.
The fastest one is reported in MAC/s, beside a plain numpy int64
multiply-accumulate of the same lanes, and against the 2e7 MAC/s target of
issue 3. The result is checked bit for bit against numpy.

Usage: python benchmarks/bench_circuits_mac.py [LANES] [K]
"""

from __future__ import annotations

import os

# one core: keep any BLAS/OpenMP pool out of the measurement (numpy's integer
# elementwise kernels are single-threaded anyway)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from rtmcim.circuits import mac  # noqa: E402

TARGET_MAC_PER_S = 2e7
BITS = 8
MULTIPLIERS = ("shift_add", "booth_r2", "booth_r4", "wallace")  # the LUT stops at 4 bits


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str]) -> int:
    lanes = int(argv[1]) if len(argv) > 1 else 1 << 20
    k = int(argv[2]) if len(argv) > 2 else 9
    rng = np.random.default_rng(0)
    w = rng.integers(-(1 << (BITS - 1)), 1 << (BITS - 1), size=(lanes, k), dtype=np.int64)
    x = rng.integers(0, 1 << BITS, size=(lanes, k), dtype=np.int64)
    want = (w * x).sum(axis=1)
    macs = lanes * k
    print(f"bit-exact {BITS}-bit MAC, {lanes:,} lanes x K={k} = {macs:,} MACs per call, one core")

    t_np = best_of(lambda: (w * x).sum(axis=1))
    np_rate = macs / t_np
    print(f"  numpy int64 multiply-accumulate: {np_rate:12.4g} MAC/s")

    best_name, best_rate = "", 0.0
    for name in MULTIPLIERS:
        acc, _ = mac(w[:1000], x[:1000], BITS, multiplier=name)  # warm-up
        acc, _ = mac(w, x, BITS, multiplier=name)
        if not np.array_equal(acc, want):
            print(f"  {name}: NOT bit-exact", file=sys.stderr)
            return 1
        rate = macs / best_of(lambda n=name: mac(w, x, BITS, multiplier=n))
        print(
            f"  {name:<10} + ripple_carry:      {rate:12.4g} MAC/s  ({np_rate / rate:.1f}x slower than numpy)"
        )
        if rate > best_rate:
            best_name, best_rate = name, rate
    print(
        f"fastest functional model: {best_name}, {best_rate:.4g} MAC/s; "
        f"ratio to numpy {best_rate / np_rate:.3f}; "
        f"ratio to the {TARGET_MAC_PER_S:.0e} MAC/s target {best_rate / TARGET_MAC_PER_S:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
