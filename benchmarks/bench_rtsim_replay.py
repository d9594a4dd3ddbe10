"""Replay a 1,000,000-access RTSim trace with the RTSim config, in order and under FR-FCFS.

Issue 13. The trace: NVMain lines ``f"{i*4} {op} 0x{a:x} {D} 0"`` with ``D = "00" * 64``,
op ``W`` with probability 0.3, addresses ``randrange(0, 1 << 20, 64)`` (``random.seed``
below), no header line: the generator of the issue's three traces, made longer.

Prints, for ``rtmcim memory configs/memory/rtsim-rm.yaml --trace T --compat rtsim``:

* the parser's speed in one process (target: >= 3,000,000 NVMain lines/s);
* the replay's speed in one process, in order and FR-FCFS (accesses/s);
* the whole process, as a user runs it, with ``--controller fcfs`` and ``frfcfs``: wall time
  (the fastest of ``--runs`` processes, and their median), CPU time, peak memory (targets
  for the in-order run: <= 1 s and <= 200 MB) and the ratio to RTSim's own time for the same
  trace, 15.0 s whole process for ``nvmain.fast Config/RM.config T 0`` measured for the issue
  (targets: >= 50x in order, >= 20x with FR-FCFS);
* the same process without ``--trace``: what start-up, imports (numpy, pydantic, PyYAML,
  rtmcim) and the memory report cost before any trace is read.

Exits 1 if a target is missed. ``--keep PATH`` writes the trace there (to time RTSim on it);
``--rtsim NVMAIN RM.config`` also times an RTSim build on the same trace, on this machine at
this load, and prints the ratios to that time too (the targets stay on the 15.0 s).

Run: .venv/bin/python benchmarks/bench_rtsim_replay.py
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from rtmcim.memory import load_memory, read_trace, run_trace  # noqa: E402

N = 1_000_000
SEED = 13
RTSIM_SECONDS = 15.0  # issue 13: nvmain.fast on the same kind of 1,000,000-access trace
CONFIG = (
    Path(__file__).resolve().parents[1] / "src" / "rtmcim" / "configs" / "memory" / "rtsim-rm.yaml"
)
TARGET_LINES_PER_S = 3_000_000
TARGET_WHOLE_S = 1.0
TARGET_PEAK_MB = 200.0
TARGET_RATIO = {"fcfs": 50.0, "frfcfs": 20.0}


def write_trace(path: Path, n: int = N, seed: int = SEED) -> None:
    rng = random.Random(seed)
    data = "00" * 64
    with path.open("w") as f:
        for i in range(n):
            op = "W" if rng.random() < 0.3 else "R"
            f.write(f"{i * 4} {op} 0x{rng.randrange(0, 1 << 20, 64):x} {data} 0\n")


def whole_process(trace: Path | None, controller: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident MB of one ``rtmcim
    memory`` process (without a trace: start-up, imports and the memory report alone)."""
    argv = [sys.executable, "-m", "rtmcim.cli.main", "memory", str(CONFIG), "--format", "json"]
    if trace is not None:
        argv += ["--trace", str(trace), "--compat", "rtsim", "--controller", controller]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"rtmcim memory failed (status {status})")
    return secs, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux: kB


def best_of(runs: int, trace: Path | None, controller: str) -> tuple[float, float, float, float]:
    """Fastest wall time of ``runs`` processes, their median wall, least CPU and peak MB (the
    machine is shared: the fastest run is the one least disturbed)."""
    got = [whole_process(trace, controller) for _ in range(runs)]
    walls = sorted(g[0] for g in got)
    return walls[0], walls[len(walls) // 2], min(g[1] for g in got), max(g[2] for g in got)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="write the trace here and keep it")
    ap.add_argument("--rtsim", nargs=2, metavar=("NVMAIN", "RM_CONFIG"), help="time RTSim too")
    ap.add_argument("--runs", type=int, default=5, help="processes timed per figure (default 5)")
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        trace = args.keep or Path(tmp) / "random.nvt"
        write_trace(trace)
        mb = trace.stat().st_size / 2**20
        print(f"trace: {N:,} NVMain lines, 30 % writes, seed {SEED}, {mb:.0f} MB; {CONFIG.name}")
        local = local_cpu = None
        if args.rtsim:
            t0 = time.perf_counter()
            proc = subprocess.Popen([*args.rtsim, str(trace), "0"], stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            local, local_cpu = time.perf_counter() - t0, usage.ru_utime + usage.ru_stime
            if status != 0:
                raise SystemExit(f"RTSim failed (status {status})")
            print(f"  RTSim here, now: {local:.1f} s, CPU {local_cpu:.1f} s ({args.rtsim[0]})")
        # whole processes first: a child forked from a parent that already holds the parsed
        # trace would report the parent's memory as its own peak
        base, _, base_cpu, base_peak = best_of(args.runs, None, "fcfs")
        print(
            f"  no trace (start-up, imports, report): {base:5.2f} s, CPU {base_cpu:4.2f} s, "
            f"peak {base_peak:4.0f} MB"
        )
        for ctl in ("fcfs", "frfcfs"):
            secs, median, cpu, peak = best_of(args.runs, trace, ctl)
            if local is not None and local_cpu is not None:
                print(
                    f"  whole process {ctl:7s}: {local / secs:5.1f}x RTSim timed here "
                    f"(CPU time: {local_cpu / cpu:4.1f}x)"
                )
            ratio = RTSIM_SECONDS / secs
            hit = ratio >= TARGET_RATIO[ctl]
            if ctl == "fcfs":
                hit &= secs <= TARGET_WHOLE_S and peak <= TARGET_PEAK_MB
            ok &= hit
            print(
                f"  whole process {ctl:7s}: {secs:5.2f} s (median {median:4.2f}), CPU {cpu:4.2f} s, "
                f"peak {peak:4.0f} MB, {N / secs:10,.0f} accesses/s, {ratio:5.1f}x RTSim's "
                f"{RTSIM_SECONDS} s (target {TARGET_RATIO[ctl]:g}x"
                f"{', <= 1 s, <= 200 MB' if ctl == 'fcfs' else ''}): {'PASS' if hit else 'FAIL'}"
            )
        best = min(_timed(partial(read_trace, trace, "rtsim")) for _ in range(args.runs))
        rate = N / best
        ok &= rate >= TARGET_LINES_PER_S
        print(f"  parse (one process):   {rate:12,.0f} lines/s      target {TARGET_LINES_PER_S:,}")
        mem, acc = load_memory(CONFIG), read_trace(trace, "rtsim")
        for ctl in ("fcfs", "frfcfs"):
            secs = min(_timed(partial(run_trace, mem, acc, controller=ctl)) for _ in range(3))
            print(f"  replay {ctl:7s}:        {len(acc) / secs:12,.0f} accesses/s")
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
