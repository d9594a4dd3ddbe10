"""What 'rtmcim simulate' reports: the engine against the integer reference and the mapping."""

from __future__ import annotations

import numpy as np
from graphs import random_graph

from rtmcim.engine.faults import FaultConfig, Mitigation
from rtmcim.engine.simulation import CELL_EVENTS, simulate
from rtmcim.mapping import arch_from_dict, load_arch
from rtmcim.nn.reference import run_reference


def arch_with(multiplier: str) -> object:
    data = load_arch("default").config.model_dump()
    data["compute"]["multiplier"] = multiplier
    return arch_from_dict(data)


def test_a_fault_free_run_agrees_with_the_reference_and_the_mapping() -> None:
    g = random_graph(4, seed=2)
    x = np.random.default_rng(3).integers(0, 16, (6, 2, 9, 9))
    y = np.array([0, 1, 2, 0, 1, 2])
    sim = simulate(g, x, y, arch_with("shift_add"))
    s = sim.summary()
    ref = run_reference(g, x, keep_activations=False).predictions
    assert s["integers_identical"] and s["prediction_agreement_pct"] == 100.0
    assert s["accuracy_pct"] == s["reference_accuracy_pct"] == 100 * np.mean(ref == y)
    assert "faults" not in s and not sim.faulty
    rows = sim.events()
    assert {r["event"] for r in rows} <= set(CELL_EVENTS)
    assert all(r["counted"] == r["analytical"] for r in rows)  # shift-and-add: data-independent


def test_a_faulty_run_reports_its_counts_and_the_mitigations_cost() -> None:
    g = random_graph(8, seed=1)
    x = np.random.default_rng(4).integers(0, 256, (4, 2, 9, 9))
    faults, checks = FaultConfig(shift=0.05), Mitigation(position_check=2)
    sim = simulate(g, x, np.zeros(4, dtype=int), arch_with("booth_r4"), faults, checks, seed=7)
    s = sim.summary()
    assert sim.faulty and s["faults"] == "shift=0.05,read=0,write=0"
    assert s["mitigation"] == "position_check:2" and s["fault_seed"] == 7
    assert s["fault_position_errors"] > 0 and s["fault_checks"] > 0
    assert s["mitigation_energy_overhead_pct"] > 0 and s["mitigation_storage_overhead_pct"] > 0
    assert all(r["counted"] <= r["analytical"] for r in sim.events())  # Booth: worst case
