"""The bit-exact engine equals the integer reference, and counts the events the mapping predicts."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import random_graph

from rtmcim.circuits.mac import MAC_ADDERS, MAC_MULTIPLIERS
from rtmcim.engine import run_engine
from rtmcim.engine.run import dot_products, dot_products_of_blocks
from rtmcim.mapping import arch_from_dict, evaluate_workload, load_arch
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.reference import run_reference


def arch_with(multiplier: str, adder: str = "ripple_carry") -> object:
    data = load_arch("default").config.model_dump()
    data["compute"].update(multiplier=multiplier, adder=adder)
    return arch_from_dict(data)


CASES = [(m, b) for m in MAC_MULTIPLIERS for b in (2, 3, 4, 8) if not (m == "lut" and b > 4)]


@pytest.mark.parametrize(("multiplier", "bits"), CASES)
@pytest.mark.parametrize("adder", list(MAC_ADDERS))
def test_engine_equals_reference_and_mapping_counts(multiplier: str, bits: int, adder: str) -> None:
    g = random_graph(bits, seed=bits, pool="avg" if bits % 2 else "max")
    rng = np.random.default_rng(100 + bits)
    x = rng.integers(0, 2**bits, (7, 2, 9, 9))
    ref = run_reference(g, x)
    res = run_engine(g, x, multiplier=multiplier, adder=adder)
    assert np.array_equal(res.logits, ref.logits)

    arch = arch_with(multiplier, adder)
    ev = evaluate_workload(workload_from_graph(g), arch)
    data_dependent = MAC_MULTIPLIERS[multiplier].data_dependent
    for lc in ev.layers:
        if lc.kind == "pool":
            continue
        analytic = (lc.compute * len(x)).events()
        counted = res.tallies[lc.name].events()
        if data_dependent:
            assert all(counted[k] <= v for k, v in analytic.items())
        else:
            assert counted == analytic
        assert res.tallies[lc.name].cycles() == lc.compute.cycles() or data_dependent


def test_engine_reports_progress_in_dot_products() -> None:
    g = random_graph(4)
    x = np.zeros((3, 2, 9, 9), dtype=np.int64)
    seen: list[int] = []
    run_engine(g, x, multiplier="shift_add", adder="ripple_carry", progress=seen.append)
    # conv: 3 images x 25 positions x 4 channels; fc: 3 x 6; classifier: 3 x 3
    assert sum(seen) == 3 * 25 * 4 + 3 * 6 + 3 * 3


def test_parallel_run_equals_serial_run() -> None:
    g = random_graph(4, seed=3)
    x = np.random.default_rng(7).integers(0, 16, (5, 2, 9, 9))
    seen: list[int] = []
    one = run_engine(g, x, multiplier="booth_r4", adder="ripple_carry")
    two = run_engine(
        g, x, multiplier="booth_r4", adder="ripple_carry", jobs=2, progress=seen.append
    )
    assert np.array_equal(one.logits, two.logits)
    assert one.tallies == two.tallies
    assert sum(seen) == 5 * (4 * 5 * 5 + 6 + 3)


def test_blocks_share_calls_and_equal_separate_dot_products() -> None:
    """The rounds of a layer (blocks of one K) run their lanes together: the same integers as
    each block alone (= numpy's products), and the tally of the blocks side by side."""
    rng = np.random.default_rng(3)
    bits, k = 6, 20
    lim = 2 ** (bits - 1)
    blocks = []
    for rows, filters in ((7, 3), (7, 5), (4, 2)):
        cols = rng.integers(0, 2**bits, (rows, k))
        weight = rng.integers(-lim, lim, (filters, k))
        lane_w = rng.integers(-lim, lim, (rows, filters, k)) if filters == 5 else None
        blocks.append((cols, weight, lane_w))
    outs, tally = dot_products_of_blocks(blocks, bits, "booth_r4", "ripple_carry")
    alone = [
        dot_products(c, w, bits, "booth_r4", "ripple_carry", lane_weights=lw) for c, w, lw in blocks
    ]
    for (cols, weight, lane_w), out, (single, _) in zip(blocks, outs, alone, strict=True):
        np.testing.assert_array_equal(out, single)
        expect = cols @ weight.T if lane_w is None else np.einsum("rk,rok->ro", cols, lane_w)
        np.testing.assert_array_equal(out, expect)
    side = alone[0][1].beside(alone[1][1]).beside(alone[2][1])
    assert tally == side
