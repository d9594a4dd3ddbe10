"""The bit-exact engine equals the integer reference on graph networks: a residual add with a
signed branch, a depthwise conv, a pointwise conv and global pooling, for every multiplier and
adder, with the add summed in CMOS or on the adder cells; and with faults, batch by batch."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import random_dag_graph

from rtmcim.circuits.mac import MAC_ADDERS, MAC_MULTIPLIERS
from rtmcim.engine import run_engine
from rtmcim.engine.faults import run_with_faults
from rtmcim.mapping import build_arch, load_arch
from rtmcim.nn.reference import run_reference

CASES = [(m, b) for m in MAC_MULTIPLIERS for b in (2, 4, 8) if not (m == "lut" and b > 4)]


@pytest.mark.parametrize(("multiplier", "bits"), CASES)
@pytest.mark.parametrize("adder", list(MAC_ADDERS))
@pytest.mark.parametrize("where", ["cmos", "memory"])
def test_engine_equals_reference_on_every_node_type(
    multiplier: str, bits: int, adder: str, where: str
) -> None:
    g = random_dag_graph(bits, seed=bits + 11)
    x = np.random.default_rng(bits).integers(0, 2**bits, (3, 2, 8, 8))
    ref = run_reference(g, x)
    res = run_engine(g, x, multiplier=multiplier, adder=adder, residual_add=where)
    assert np.array_equal(res.logits, ref.logits)
    assert ("add" in res.tallies) == (where == "memory")


def test_faulty_run_on_a_graph_is_reproducible_and_clean_run_exact() -> None:
    g = random_dag_graph(4, seed=2)
    x = np.random.default_rng(0).integers(0, 16, (6, 2, 8, 8))
    arch = build_arch(load_arch("default"), {"compute.residual_add": "memory"})
    clean = run_with_faults(g, x, arch, None)
    assert np.array_equal(clean.result.logits, run_reference(g, x).logits)
    a = run_with_faults(g, x, arch, "shift=0.05", seed=3)
    b = run_with_faults(g, x, arch, "shift=0.05", seed=3)
    assert np.array_equal(a.result.logits, b.result.logits)
    stats = a.stats.as_dict()
    assert stats["position_errors"] > 0 and stats["act_position_errors"] > 0
