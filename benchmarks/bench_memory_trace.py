"""Time the access-trace runner on 1,000,000 uniformly random accesses.

Target (issue 2): >= 1,000,000 accesses/s on one core. Prints accesses/s for
every port x update policy of the default organisation and the ratio to the
target; exits 1 if the default policy (static, lazy) misses it. Parsing a
trace file is timed separately (informational: it is I/O-bound Python).

Run: .venv/bin/python benchmarks/bench_memory_trace.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# one core: keep BLAS-backed numpy from spreading work (set before importing numpy)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rtmcim.memory import Accesses, load_memory, memory_from_dict, read_trace, run_trace  # noqa: E402

N = 1_000_000
TARGET = 1_000_000.0
SEED = 12345
CONFIG = (
    Path(__file__).resolve().parents[1] / "src" / "rtmcim" / "configs" / "memory" / "default.yaml"
)


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    base = load_memory(CONFIG)
    rng = np.random.default_rng(SEED)
    words = base.org.words
    wb = (base.org.mu.tracks + 7) // 8
    acc = Accesses(rng.random(N) < 0.3, rng.integers(0, words, N).astype(np.int64) * wb)
    print(f"trace runner, {N:,} uniformly random accesses (seed {SEED}), config {CONFIG.name}:")
    print(f"{base.org.mus:,} MUs, {base.org.mu.domains} domains, {base.org.mu.ports} ports")
    default_rate = 0.0
    for pp in ("static", "nearest"):
        for up in ("lazy", "eager"):
            data = base.config.model_dump()
            data["organization"].update(port_policy=pp, update_policy=up)
            mem = memory_from_dict(data, "bench")
            secs = best_of(partial(run_trace, mem, acc))
            rate = N / secs
            if (pp, up) == ("static", "lazy"):
                default_rate = rate
            print(
                f"  {pp:8s} {up:6s} {secs * 1e3:8.1f} ms  {rate:14,.0f} accesses/s  "
                f"{rate / TARGET:6.2f}x target"
            )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.trace"
        lines = [
            f"{i} {'W' if w else 'R'} {hex(a)} 0 0"
            for i, (w, a) in enumerate(zip(acc.is_write, acc.address, strict=True))
        ]
        path.write_text("\n".join(lines) + "\n")
        secs = best_of(partial(read_trace, path), repeats=1)
        print(f"  parsing the same trace as NVMain text: {N / secs:,.0f} lines/s (informational)")
    ok = default_rate >= TARGET
    print(
        f"default policy (static, lazy): {default_rate:,.0f} accesses/s = "
        f"{default_rate / TARGET:.2f}x the {TARGET:,.0f}/s target: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
