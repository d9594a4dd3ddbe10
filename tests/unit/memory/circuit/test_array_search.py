"""Organisation search: right capacity, sorted by the target, fast enough for sweeps."""

from __future__ import annotations

import time

import pytest

from rtmcim.memory import MuGeometry, Organization
from rtmcim.memory.circuit import TARGETS, SramOrganization, array_figures, optimize_organization
from rtmcim.tech import Tech, load_tech

MB4 = 4 * 2**23


@pytest.fixture(scope="module")
def tech() -> Tech:
    return load_tech("rtm-32nm")


@pytest.mark.parametrize("target", list(TARGETS))
def test_search_returns_the_capacity_sorted_by_target(tech: Tech, target: str) -> None:
    found = optimize_organization(MB4, 32, tech, target, top=5)
    assert len(found) == 5
    metric = TARGETS[target]
    values = [metric(f) for _, f in found]
    assert values == sorted(values)
    for org, fig in found:
        assert isinstance(org, Organization)
        assert org.capacity_bits == fig.capacity_bits == MB4
        assert fig == array_figures(org, tech)
        assert org.mu.tracks == fig.word_bits == 32


def test_each_target_wins_on_its_own_measure(tech: Tech) -> None:
    best = {t: optimize_organization(MB4, 32, tech, t, top=1)[0][1] for t in TARGETS}
    for target, metric in TARGETS.items():
        for other in best.values():
            assert metric(best[target]) <= metric(other) * (1 + 1e-9), target
    assert best["read-latency"].read.latency_ns < best["read-energy"].read.latency_ns


def test_sram_and_mu_geometry(tech: Tech) -> None:
    found = optimize_organization(2**20, 64, tech, "read-edp", cell="sram", top=3)
    assert all(isinstance(o, SramOrganization) and o.capacity_bits == 2**20 for o, _ in found)
    assert all(o.word_bits == 64 for o, _ in found)
    mu = MuGeometry(domains=32, ports=4, tracks=64)
    (org, _), *_ = optimize_organization(2**23, 64, tech, "area", mu=mu)
    assert isinstance(org, Organization) and org.mu == mu and org.capacity_bits == 2**23


def test_a_4mb_search_is_fast(tech: Tech) -> None:
    t0 = time.perf_counter()
    optimize_organization(MB4, 64, tech, "read-edp")  # a word width not searched before
    assert time.perf_counter() - t0 < 10.0
