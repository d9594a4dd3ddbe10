"""Mapping and costs of graph networks: depthwise convs, residual adds (CMOS or in-memory),
global pooling, the skip tensor in the capacity check, batch = single-point evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from graphs import random_dag_graph

from rtmcim.engine import run_engine
from rtmcim.errors import CapacityError, RtmcimError
from rtmcim.explore.objectives import metrics, point_metrics
from rtmcim.mapping import build_arch, evaluate_workload, load_arch
from rtmcim.mapping.batch import evaluate_points
from rtmcim.mapping.layer_cost import add_tally
from rtmcim.mapping.workload import (
    AddWork,
    ComputeWork,
    held_bits,
    workload_from_data,
    workload_from_graph,
    workload_from_spec,
    workload_to_data,
)
from rtmcim.nn.zoo import zoo_spec


def resnet8(bits: int = 8):  # type: ignore[no-untyped-def]
    return workload_from_spec(zoo_spec("resnet8"), (1, 28, 28), 10, bits, bits)


def test_every_node_has_a_row_and_adds_and_depthwise_are_costed() -> None:
    ev = evaluate_workload(resnet8(), load_arch("default"))
    kinds = {lc.name: lc.kind for lc in ev.layers}
    assert kinds["res1_0_add"] == "add" and kinds["gap"] == "pool"
    assert [lc.name for lc in ev.layers] == [lw.name for lw in resnet8().layers]
    add = next(lc for lc in ev.layers if lc.name == "res2_0_add")
    assert add.total_energy_pj > 0 and add.latency_ns > 0
    mb = workload_from_spec(zoo_spec("ds_cnn_s"), (1, 28, 28), 10, 8, 8)
    evm = evaluate_workload(mb, load_arch("default"))
    dw = next(lc for lc in evm.layers if lc.name == "sep1_dw")
    pw = next(lc for lc in evm.layers if lc.name == "sep1_pw")
    assert dw.macs == 64 * 9 * 14 * 14 and pw.macs == 64 * 64 * 14 * 14
    # low reuse: per MAC, a depthwise conv moves far more activation bits over the bus
    assert dw.tally.bus_bit_mm / dw.macs > 5 * pw.tally.bus_bit_mm / pw.macs


def test_residual_add_cmos_or_memory_costed_either_way() -> None:
    aw = AddWork("add", 16 * 28 * 28, 8, 8, 8)
    base = load_arch("default")
    cmos = add_tally(aw, base)
    mem = add_tally(aw, build_arch(base, {"compute.residual_add": "memory"}))
    assert cmos.lim_evals == 0 and mem.lim_evals > 0  # the PEs' adders evaluate in memory
    # the CMOS sum is a ripple-carry adder of sum_bits per output
    assert cmos.cmos_gate_ops - mem.cmos_gate_ops == aw.count * 5 * aw.sum_bits
    assert mem.cell_bit_writes >= 2 * aw.count * aw.sum_bits  # operands written to the cells
    assert cmos.bit_reads == mem.bit_reads == 2 * math.ceil(aw.count * 8 / 32) * 32


def test_capacity_counts_the_skip_tensor_until_its_add() -> None:
    work = resnet8()
    held = dict(zip([lw.name for lw in work.layers], held_bits(work.layers), strict=True))
    # while the residual branch runs, conv0's output waits for res1_0_add (as conv1's input
    # it is counted as such, not as held)
    assert held["res1_0_conv1"] == 0 and held["res1_0_conv2"] == 16 * 28 * 28 * 8
    assert held["res1_0_add"] == 0 and held["conv0"] == 0
    # stage 2: the projection reads res1_0_add after conv1 and conv2 ran
    assert held["res2_0_conv2"] == 16 * 28 * 28 * 8 + 0  # res1_0_add for the projection
    assert held["res2_0_proj"] == 32 * 14 * 14 * 8  # conv2's output waits for the add
    first = work.layers[2]  # res1_0_conv2
    assert isinstance(first, ComputeWork)
    need = first.input_count * 8 + first.output_count * 8 + 16 * 28 * 28 * 8
    assert work.max_activation_bits >= need
    arch = build_arch(load_arch("default"), {"compute.activation_fraction": 0.02})
    with pytest.raises(CapacityError, match="activations need"):
        evaluate_workload(work, arch)


def test_workload_round_trips_through_plain_data() -> None:
    work = resnet8(4)
    assert workload_from_data(work.name, workload_to_data(work)) == work


@pytest.mark.parametrize("where", ["cmos", "memory"])
def test_batch_equals_single_point_on_a_graph(where: str) -> None:
    work = resnet8(4)
    base = build_arch(load_arch("default"), {"compute.residual_add": where})
    hps = [
        {"memory.mu.ports": p, "compute.pes_per_unit": n, "compute.adder": a}
        for p in (1, 2)
        for n in (1, 4)
        for a in ("ripple_carry", "bit_serial")
    ]
    archs = [build_arch(base, hp) for hp in hps]
    got = point_metrics(evaluate_points(work, archs))
    for arch, m in zip(archs, got, strict=True):
        try:
            want = metrics(evaluate_workload(work, arch))
        except RtmcimError:
            assert m is None
            continue
        assert m is not None
        for key, value in want.items():
            assert math.isclose(m[key], value, rel_tol=1e-9), (key, m[key], value)


@pytest.mark.parametrize("adder", ["ripple_carry", "bit_serial"])
def test_engine_counts_the_in_memory_add_the_mapping_predicts(adder: str) -> None:
    g = random_dag_graph(4, seed=5)
    x = np.random.default_rng(0).integers(0, 16, (4, 2, 8, 8))
    arch = build_arch(
        load_arch("default"), {"compute.residual_add": "memory", "compute.adder": adder}
    )
    res = run_engine(g, x, multiplier="booth_r4", adder=adder, residual_add="memory")
    ev = evaluate_workload(workload_from_graph(g), arch)
    add = next(lc for lc in ev.layers if lc.kind == "add")
    assert res.tallies[add.name].events() == (add.compute * len(x)).events()
    assert res.tallies[add.name].lim_evals > 0
    for lc in ev.layers:  # booth_r4 skips work on some operands: at most the worst case
        if lc.kind in ("conv", "depthwise", "fc"):
            counted, analytic = res.tallies[lc.name].events(), (lc.compute * len(x)).events()
            assert all(counted[k] <= v for k, v in analytic.items()), lc.name
