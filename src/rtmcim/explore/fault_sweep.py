"""Accuracy against fault rate: one fault kind at a range of rates, with and without mitigation.

Each point is a whole faulty run of the bit-exact engine
(:func:`rtmcim.engine.faults.run_with_faults`) and the mitigation's extra
events priced with the arch's technology against the mapping's cost of one
inference. The points run in spawned worker processes (``jobs``); every
fault is drawn from generators keyed by the seed, so the points do not
depend on ``jobs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtmcim.engine.faults import (
    FAULT_KINDS,
    FaultConfig,
    FaultKind,
    Mitigation,
    run_with_faults,
)
from rtmcim.engine.run import run_engine
from rtmcim.errors import ConfigError
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import Evaluation, evaluate_workload
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.intgraph import IntGraph
from rtmcim.pool import process_pool
from rtmcim.tech import price


def parse_rates(text: str, points: int | None = None, key: str = "--rates") -> list[float]:
    """``"1e-6..1e-1"`` -> log-spaced rates (``points``, default one per decade), or ``"a,b,c"``."""
    lo_s, dots, hi_s = text.partition("..")
    try:
        if dots:
            lo, hi = float(lo_s), float(hi_s)
            if not (0 < lo <= hi <= 1):
                raise ValueError
            n = points if points is not None else max(2, round(math.log10(hi / lo)) + 1)
            if n < 1:
                raise ConfigError("must be >= 1", key="--points", value=n, allowed=">= 1")
            if n == 1 or lo == hi:
                return [lo]
            return [float(v) for v in np.geomspace(lo, hi, n)]
        rates = [float(v) for v in text.split(",")]
        if not rates or any(not (0 <= r <= 1) for r in rates):
            raise ValueError
        return rates
    except ValueError:
        raise ConfigError(
            "not a range of fault rates",
            key=key,
            value=text,
            allowed="LO..HI with 0 < LO <= HI <= 1 (e.g. 1e-6..1e-1), or a list like 1e-5,1e-3",
        ) from None


@dataclass(frozen=True)
class SweepPoint:
    """Accuracy of one run under one fault rate and mitigation, with the mitigation's cost."""

    kind: str
    rate: float
    mitigation: str
    images: int
    accuracy_pct: float
    agreement_pct: float  # predictions equal to the fault-free engine's
    stats: dict[str, int]
    overhead_energy_pj: float  # per inference
    overhead_latency_ns: float
    energy_overhead_pct: float  # of the mapping's energy per inference
    latency_overhead_pct: float
    storage_overhead_pct: float

    def row(self) -> dict[str, Any]:
        """One row of sweep.csv: the run, its accuracy, the mitigation's cost, the counts."""
        run = ("kind", "rate", "mitigation", "images", "accuracy_pct")
        overhead = ("energy_overhead_pct", "latency_overhead_pct", "storage_overhead_pct")
        return {
            **{k: getattr(self, k) for k in run},
            "agreement_with_fault_free_pct": self.agreement_pct,
            **{k: getattr(self, k) for k in overhead},
            "overhead_energy_nJ": self.overhead_energy_pj / 1e3,
            "overhead_latency_us": self.overhead_latency_ns / 1e3,
            **{k: v for k, v in self.stats.items() if k != "images"},
        }


def sweep_point(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    kind: str,
    rate: float,
    mitigation: Mitigation | str | None,
    seed: int,
    fault_free: np.ndarray | None = None,
    ev: Evaluation | None = None,
) -> SweepPoint:
    """One point of an accuracy-vs-rate sweep: faults of ``kind`` at ``rate`` only. ``ev`` is
    the mapping's evaluation of ``graph`` on ``arch`` if the caller has it."""
    FAULT_KINDS.get(kind, key="--kind")
    run = run_with_faults(graph, x, arch, FaultConfig(**{kind: rate}), mitigation, seed)
    pred = run.result.predictions
    ev = ev if ev is not None else evaluate_workload(workload_from_graph(graph), arch)
    over = price(run.overhead.tally, arch.prices, leakage_mw=ev.leakage_mw)
    n = len(pred)
    return SweepPoint(
        kind,
        float(rate),
        run.mitigation.name,
        n,
        100 * float(np.mean(pred == np.asarray(y))) if n else 0.0,
        100 * float(np.mean(pred == fault_free)) if fault_free is not None and n else 100.0,
        run.stats.as_dict(),
        over.total_energy_pj,
        over.latency_ns,
        100 * over.total_energy_pj / ev.total_energy_pj,
        100 * over.latency_ns / ev.latency_ns,
        100 * run.overhead.storage_fraction,
    )


def sweep_settings(
    kind: str, mitigation: Mitigation | str | None, jobs: int
) -> tuple[FaultKind, Mitigation]:
    """The fault kind and mitigation of a sweep; a bad one (or ``jobs`` < 1) is a ConfigError."""
    fault_kind = FAULT_KINDS.get(kind, key="--kind")
    mit = mitigation if isinstance(mitigation, Mitigation) else Mitigation.parse(mitigation)
    if jobs < 1:
        raise ConfigError("must be >= 1", key="--jobs", value=jobs, allowed=">= 1")
    return fault_kind, mit


@dataclass(frozen=True)
class FaultSweep:
    """The rows of a sweep (no mitigation first, then by mitigation and rate) and what it ran."""

    rows: list[dict[str, Any]]
    meta: dict[str, Any]


def run_fault_sweep(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    kind: str,
    rates: Sequence[float],
    mitigation: Mitigation | str | None,
    seed: int = 0,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> FaultSweep:
    """A fault-free run, then faults of ``kind`` at 0 and each rate, without mitigation and (if
    one is given) with ``mitigation``. ``progress(done, total)`` follows the faulty runs."""
    fault_kind, mit = sweep_settings(kind, mitigation, jobs)
    mult, add = arch.compute.multiplier, arch.compute.adder
    clean = run_engine(
        graph, x, multiplier=mult, adder=add, residual_add=arch.compute.residual_add
    ).predictions
    runs = [
        (kind, r, m, seed)
        for m in ["none", *([mit.name] if mit.active else [])]
        for r in (0.0, *rates)
    ]
    shared = (graph, x, y, arch, clean)
    rows: list[dict[str, Any]] = []
    if progress is not None:
        progress(0, len(runs))
    if jobs == 1:
        _start(*shared)
        for run in runs:
            rows.append(_point(run))
            if progress is not None:
                progress(len(rows), len(runs))
    else:
        with process_pool(jobs, _start, shared) as workers:
            for row in workers.map(_point, runs):
                rows.append(row)
                if progress is not None:
                    progress(len(rows), len(runs))
    rows.sort(key=lambda r: (r["mitigation"] != "none", r["mitigation"], r["rate"]))
    meta = {
        "arch": arch.config.name,
        "kind": kind,
        "per": fault_kind.per,
        "images": len(x),
        "fault_seed": seed,
        "mitigation": mit.name,
    }
    return FaultSweep(rows, meta)


_SHARED: dict[str, Any] = {}


def _start(graph: IntGraph, x: np.ndarray, y: np.ndarray, arch: Arch, clean: np.ndarray) -> None:
    """What every point of a sweep shares, kept once per process."""
    ev = evaluate_workload(workload_from_graph(graph), arch)
    _SHARED.update(graph=graph, x=x, y=y, arch=arch, clean=clean, ev=ev)


def _point(run: tuple[str, float, str, int]) -> dict[str, Any]:
    kind, rate, mitigation, seed = run
    s = _SHARED
    point = sweep_point(
        s["graph"], s["x"], s["y"], s["arch"], kind, rate, mitigation, seed, s["clean"], s["ev"]
    )
    return point.row()
