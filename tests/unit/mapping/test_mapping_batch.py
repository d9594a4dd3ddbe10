"""The batch evaluator equals evaluate_workload point by point, errors included."""

from __future__ import annotations

import itertools
import math

import pytest
from workloads import lenet_work

from rtmcim.errors import RtmcimError
from rtmcim.explore.objectives import metrics, point_metrics
from rtmcim.mapping import build_arch, evaluate_workload, load_arch
from rtmcim.mapping.batch import evaluate_points

SWEEP = {
    "memory.mu.domains": [32, 64],
    "memory.mu.ports": [1, 2, 4],
    "memory.mu.tracks": [16, 32],
    "memory.banks": [1, 2],
    "memory.port_policy": ["static", "nearest"],
    "memory.update_policy": ["lazy", "eager"],
    "compute.pe_placement": ["subarray", "bank"],
    "compute.pes_per_unit": [4, 16],
    "compute.multiplier": ["booth_r4", "lut"],  # lut cannot run 8 bits: an error per point
    "compute.word_layout": ["bit_parallel", "bit_serial"],
    "compute.data_layout": ["snake", "sequential"],
}


def points(stride: int) -> list[dict[str, object]]:
    combos = list(itertools.product(*SWEEP.values()))[::stride]
    return [dict(zip(SWEEP, c, strict=True)) for c in combos]


@pytest.mark.parametrize("bits", [8, 4])
def test_batch_equals_evaluate_workload_point_by_point(bits: int) -> None:
    work = lenet_work(bits)
    base = load_arch("default")
    archs = [build_arch(base, hp) for hp in points(stride=13)]
    pc = evaluate_points(work, archs)
    got = point_metrics(pc)
    fits = 0
    for arch, err, m in zip(archs, pc.error, got, strict=True):
        try:
            ev = evaluate_workload(work, arch)
        except RtmcimError as exc:
            assert err == f"{type(exc).__name__}: {exc}"
            assert m is None
            continue
        fits += 1
        assert err == "" and m is not None
        want = metrics(ev)
        for key, value in want.items():
            assert math.isclose(m[key], value, rel_tol=1e-9), (key, m[key], value)
    assert 0 < fits < len(archs)  # both kinds of point are exercised


def test_batch_of_one_point_is_the_default_design() -> None:
    work = lenet_work(8)
    arch = load_arch("default")
    pc = evaluate_points(work, [arch])
    ev = evaluate_workload(work, arch)
    assert pc.error == [""]
    assert pc.energy_pj[0] == pytest.approx(ev.total_energy_pj, rel=1e-12)
    assert pc.latency_ns[0] == pytest.approx(ev.latency_ns, rel=1e-12)
    assert pc.area_um2[0] == pytest.approx(ev.total_area_um2, rel=1e-12)
    for k, cls in enumerate(ev.energy_pj):
        assert pc.energy_by_class_pj[0, k] == pytest.approx(ev.energy_pj[cls], rel=1e-12, abs=1e-9)
