"""Bit-exact inference of a test set on an arch's cells, held against the integer reference and
the mapping's analytical events (what ``rtmcim simulate`` reports)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtmcim.engine.faults import FaultConfig, FaultyRun, Mitigation, run_with_faults
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import Evaluation, evaluate_workload
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.intgraph import IntGraph
from rtmcim.nn.reference import ReferenceResult, run_reference
from rtmcim.tech import price

# the MAC cells' events, counted by the engine and predicted by the mapping
CELL_EVENTS = (
    "lim_evals",
    "cell_bit_reads",
    "cell_bit_writes",
    "cell_shift_steps",
    "latch_updates",
    "cmos_gate_ops",
)


@dataclass(frozen=True)
class Simulation:
    """One simulated test set: the (faulty) run, the reference, the mapping's evaluation."""

    run: FaultyRun
    reference: ReferenceResult
    evaluation: Evaluation
    labels: np.ndarray

    @property
    def integers_identical(self) -> bool:
        return bool(np.array_equal(self.run.result.logits, self.reference.logits))

    def summary(self) -> dict[str, Any]:
        """Accuracy, agreement with the reference and, under faults, the counts and the
        mitigation's overhead (percent of the mapping's energy and latency per inference)."""
        pred, n = self.run.result.predictions, len(self.labels)
        arch = self.evaluation.arch
        out = {
            "images": n,
            "arch": arch.config.name,
            "multiplier": arch.compute.multiplier,
            "adder": arch.compute.adder,
            "accuracy_pct": 100 * float(np.mean(pred == self.labels)) if n else 0.0,
            "reference_accuracy_pct": 100 * _share(self.reference.predictions, self.labels),
            "prediction_agreement_pct": 100 * _share(pred, self.reference.predictions, 1.0),
            "integers_identical": self.integers_identical,
        }
        return out | (self._faults() if self.faulty else {})

    @property
    def faulty(self) -> bool:
        return self.run.config.any or self.run.mitigation.active

    def _faults(self) -> dict[str, Any]:
        run, ev = self.run, self.evaluation
        over = price(run.overhead.tally, ev.arch.prices, leakage_mw=ev.leakage_mw)
        return {
            "faults": str(run.config),
            "mitigation": run.mitigation.name,
            "fault_seed": run.seed,
            **{f"fault_{k}": v for k, v in run.stats.as_dict().items() if k != "images"},
            "mitigation_energy_overhead_pct": 100 * over.total_energy_pj / ev.total_energy_pj,
            "mitigation_latency_overhead_pct": 100 * over.latency_ns / ev.latency_ns,
            "mitigation_storage_overhead_pct": 100 * run.overhead.storage_fraction,
        }

    def events(self) -> list[dict[str, Any]]:
        """Per compute layer and MAC-cell event: the engine's count beside the mapping's."""
        rows = []
        for lc in self.evaluation.layers:
            if lc.name not in self.run.result.tallies:  # pools, adds in CMOS: no cells
                continue
            counted = self.run.result.tallies[lc.name]
            analytic = lc.compute * len(self.labels)
            for event in CELL_EVENTS:
                a, c = getattr(analytic, event), getattr(counted, event)
                if a or c:
                    row = {
                        "layer": lc.name,
                        "event": event,
                        "counted": int(c),
                        "analytical": int(a),
                    }
                    rows.append(row | {"counted_over_analytical": c / a if a else float("nan")})
        return rows


def _share(a: np.ndarray, b: np.ndarray, empty: float = 0.0) -> float:
    return float(np.mean(a == b)) if len(a) else empty


def simulate(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    faults: FaultConfig | None = None,
    mitigation: Mitigation | None = None,
    seed: int = 0,
    *,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """Run quantized images ``x`` (labels ``y``) through ``arch``'s cells, under ``faults``."""
    ref = run_reference(graph, x, keep_activations=False)
    ev = evaluate_workload(workload_from_graph(graph), arch)
    run = run_with_faults(graph, x, arch, faults, mitigation, seed, progress=progress, jobs=jobs)
    return Simulation(run, ref, ev, np.asarray(y))
