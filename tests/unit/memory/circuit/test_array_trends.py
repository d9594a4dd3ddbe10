"""Trends and invariants of the circuit model: what must hold whatever the calibration."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from rtmcim.memory import MuGeometry, Organization, mu_area, overhead_domains
from rtmcim.memory.circuit import (
    PARTS,
    ArrayFigures,
    PathCost,
    SramOrganization,
    array_figures,
    optimize_organization,
)
from rtmcim.tech import Tech, load_tech

PATHS = ("read", "write", "subarray_read", "subarray_write", "local_read", "local_write")


@pytest.fixture(scope="module")
def tech() -> Tech:
    return load_tech("rtm-32nm")


def rtm(banks: int = 1, spb: int = 1, rows: int = 16, cols: int = 16, **mu: int) -> Organization:
    return Organization(
        banks=banks, subarrays_per_bank=spb, mu_rows=rows, mu_cols=cols, mu=MuGeometry(**mu)
    )


def _costs(fig: ArrayFigures, path: str) -> tuple[float, float]:
    p: PathCost = getattr(fig, path)
    return p.latency_ns, p.energy_pj


def _non_decreasing(values: list[float]) -> bool:
    return all(b >= a * (1 - 1e-9) for a, b in pairwise(values))


@pytest.mark.parametrize("path", ["subarray_read", "subarray_write"])
def test_rtm_costs_grow_with_rows_and_columns(tech: Tech, path: str) -> None:
    by_rows = [_costs(array_figures(rtm(rows=r), tech), path) for r in (1, 2, 4, 8, 16, 32)]
    # from an 8:1 column mux up: narrower subarrays are ruled by their sense-amplifier strip
    # (32 I-V converters under a few micrometres of array), whose height, not the array's,
    # sets the predecode wires (DESTINY rejects them below 2:1)
    by_cols = [_costs(array_figures(rtm(cols=c), tech), path) for c in (8, 16, 32, 64)]
    for series in (by_rows, by_cols):
        assert _non_decreasing([t for t, _ in series]), series
        assert _non_decreasing([e for _, e in series]), series
        assert series[-1][0] > series[0][0] and series[-1][1] > series[0][1]


@pytest.mark.parametrize("path", ["subarray_read", "subarray_write"])
def test_sram_costs_grow_with_rows_and_columns(tech: Tech, path: str) -> None:
    by_rows = [
        _costs(array_figures(SramOrganization(4, 4, r, 256), tech), path)
        for r in (16, 64, 256, 1024)
    ]
    by_cols = [
        _costs(array_figures(SramOrganization(4, 4, 256, c), tech), path)
        for c in (64, 128, 256, 512)
    ]
    for series in (by_rows, by_cols):
        assert _non_decreasing([t for t, _ in series]), series
        assert _non_decreasing([e for _, e in series]), series


def test_area_efficiency_falls_as_subarrays_shrink(tech: Tech) -> None:
    # 4 MB of 64x32-bit MUs in ever smaller subarrays
    mus = 4 * 2**23 // (64 * 32)
    eff = []
    for side in (32, 16, 8, 4, 2, 1):
        org = rtm(banks=4, spb=mus // side**2 // 4, rows=side, cols=side)
        eff.append(array_figures(org, tech).array_efficiency)
    assert all(a > b for a, b in pairwise(eff)), eff
    # 8 MiB of 6T cells in ever smaller square subarrays
    sram = [
        array_figures(SramOrganization(4, 2**26 // (r * r) // 4, r, r), tech).array_efficiency
        for r in (1024, 512, 256, 128, 64)
    ]
    assert all(a > b for a, b in pairwise(sram)), sram


def test_sram_energy_per_bit_grows_with_capacity(tech: Tech) -> None:
    per_bit = []
    for kb in (8, 32, 256, 1024, 4096):
        (_, fig), *_ = optimize_organization(kb * 8192, 64, tech, "read-edp", cell="sram")
        per_bit.append(fig.read.energy_pj / 64)
    assert all(a < b for a, b in pairwise(per_bit)), per_bit


def test_ports_shorten_no_access_but_size_the_mu_as_mu_area_says(tech: Tech) -> None:
    base = array_figures(rtm(banks=4, spb=16, ports=2), tech)
    for ports in (1, 2, 4, 8):
        org = rtm(banks=4, spb=16, ports=ports)
        fig = array_figures(org, tech)
        area = mu_area(org.mu, tech)
        cells_um2 = fig.area_parts_um2["cells"]
        assert cells_um2 == pytest.approx(
            org.mus * tech.f2_to_um2(max(area.rtm_strip_f2, area.access_transistors_f2))
        )
        # the per-track shift drivers are the MU's; its select logic comes on top
        assert fig.area_parts_um2["shift_driver"] >= org.mus * tech.f2_to_um2(area.shift_driver_f2)
        for path in ("read", "write"):
            for a, b in zip(_costs(fig, path), _costs(base, path), strict=True):
                assert a == pytest.approx(b, rel=0.1), (ports, path)
    # more ports add wordlines: the array never gets cheaper to access than with one port
    one, eight = array_figures(rtm(ports=1), tech), array_figures(rtm(ports=8), tech)
    assert eight.subarray_read.latency_ns >= one.subarray_read.latency_ns * 0.97


@pytest.mark.parametrize(
    "org",
    [
        rtm(banks=4, spb=16),
        rtm(banks=32, spb=2, ports=4, tracks=64),
        SramOrganization(8, 4, 512, 512),
    ],
    ids=["rtm-4MB", "rtm-w64-p4", "sram-1MB"],
)
def test_local_cheaper_than_subarray_cheaper_than_full(
    tech: Tech, org: Organization | SramOrganization
) -> None:
    fig = array_figures(org, tech)
    for op in ("read", "write"):
        local, sub, full = (getattr(fig, f"{p}{op}") for p in ("local_", "subarray_", ""))
        assert local.energy_pj < sub.energy_pj < full.energy_pj, op
        assert local.latency_ns < sub.latency_ns <= full.latency_ns, op


@pytest.mark.parametrize(
    "org",
    [
        rtm(banks=4, spb=16),
        rtm(banks=1, spb=1, rows=1, cols=1, ports=1),
        SramOrganization(1, 2, 128, 256),
    ],
    ids=["rtm", "rtm-tiny", "sram"],
)
def test_parts_sum_to_totals(tech: Tech, org: Organization | SramOrganization) -> None:
    fig = array_figures(org, tech)
    for path in (*PATHS, "shift_step"):
        p: PathCost = getattr(fig, path)
        assert set(p.latency_parts_ns) <= set(PARTS) and set(p.energy_parts_pj) <= set(PARTS)
        assert sum(p.latency_parts_ns.values()) == pytest.approx(p.latency_ns)
        assert sum(p.energy_parts_pj.values()) == pytest.approx(p.energy_pj)
    assert "htree" not in fig.subarray_read.energy_parts_pj
    assert {"decoder", "mux", "htree", "predecoder"}.isdisjoint(fig.local_read.latency_parts_ns)
    assert sum(fig.area_parts_um2.values()) == pytest.approx(fig.chip_um2)
    assert sum(fig.leakage_parts_mw.values()) == pytest.approx(fig.leakage_mw)
    assert fig.chip_um2 == pytest.approx(
        fig.chip_height_um * fig.chip_width_um + fig.area_parts_um2.get("htree", 0)
    )
    assert 0 < fig.array_efficiency < 1
    assert fig.capacity_bits == org.capacity_bits


def test_sram_does_not_shift_and_leaks_in_its_cells(tech: Tech) -> None:
    fig = array_figures(SramOrganization(4, 4, 256, 256), tech)
    assert fig.shift_step == PathCost() and fig.shift_step.energy_pj == 0
    assert (
        fig.leakage_parts_mw["cell"] > fig.leakage_mw / 2
    )  # 6T cells dominate an HP SRAM's leakage
    rt = array_figures(rtm(banks=4, spb=16), tech)
    assert "cell" not in rt.leakage_parts_mw  # racetrack cells are non-volatile


def test_shift_step_is_the_joule_heat_of_every_track(tech: Tech) -> None:
    for ports in (1, 2, 4):
        org = rtm(banks=4, spb=16, ports=ports)
        fig = array_figures(org, tech)
        c = tech.dwm_cell
        assert c is not None
        f_m = tech.node_nm * 1e-9
        length = (64 + overhead_domains(64, ports, "static")) * c.domain_length_f * f_m
        r_track = (
            c.track_resistivity_ohm_m
            * length
            / (c.track_thickness_nm * 1e-9 * c.track_width_f * f_m)
        )
        joules = (c.shift_current_ua * 1e-6) ** 2 * r_track * c.shift_pulse_ns * 1e-9
        assert fig.shift_step.energy_parts_pj["cell"] == pytest.approx(32 * joules * 1e12)
        assert fig.shift_step.latency_parts_ns["cell"] == pytest.approx(c.shift_pulse_ns)
        assert fig.shift_step.energy_pj > fig.shift_step.energy_parts_pj["cell"]


def test_local_path_depends_on_the_mu_only(tech: Tech) -> None:
    a = array_figures(rtm(banks=4, spb=16, rows=16, cols=16), tech)
    b = array_figures(rtm(banks=64, spb=1, rows=2, cols=64), tech)
    assert a.local_read == b.local_read and a.local_write == b.local_write
    assert a.subarray_read != b.subarray_read
    c = array_figures(rtm(banks=4, spb=16, tracks=64), tech)
    assert c.local_read.energy_pj == pytest.approx(2 * a.local_read.energy_pj, rel=0.05)


def test_figures_are_cached_and_pure(tech: Tech) -> None:
    org = rtm(banks=2, spb=8, rows=8, cols=8)
    first = array_figures(org, tech)
    assert array_figures(org, tech) is first
    again = array_figures(rtm(banks=2, spb=8, rows=8, cols=8), load_tech("rtm-32nm"))
    assert again == first
    hot = array_figures(org, load_tech("rtm-32nm", {"device.temperature_k": 390}))
    assert hot.leakage_mw > first.leakage_mw  # off currents rise with temperature
    assert math.isfinite(hot.read.latency_ns)
