"""Change story: a new fault kind, registered from this file alone, runs through simulate's API.

The toy kind is a *read disturb burst*: each weight bit read starts a burst with the kind's
rate and flips itself and the next track's bit. It is injected at weight reads only, draws
under its own salt and fills its own counters; ``run_with_faults`` (what ``rtmcim simulate
--faults`` calls) takes it by name like a built-in.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from graphs import random_graph

from rtmcim.engine import run_engine
from rtmcim.engine.faults import (
    FAULT_KINDS,
    BitFlips,
    FaultConfig,
    FaultKind,
    FaultModel,
    Site,
    run_with_faults,
)
from rtmcim.errors import ConfigError
from rtmcim.mapping import arch_from_dict, load_arch
from rtmcim.mapping.arch import Arch
from rtmcim.nn.intgraph import IntGraph

SALT = 101


class BurstFlips(BitFlips):
    """A bit that flips drags the next one along (the last bit has no next)."""

    def flips(self, site: Site, bits: int, key: tuple[int, ...]) -> np.ndarray:
        first = super().flips(site, bits, key)
        return np.union1d(first, first[first + 1 < bits] + 1)


BURST = FaultKind(
    name="burst",
    per="weight bit read",
    description="read disturb: a flipped bit and its neighbour",
    salts={Site.WEIGHT_READ: SALT},
    counters={Site.WEIGHT_READ: ("burst_bits_read", "burst_flips")},
    injector=BurstFlips,
)


@pytest.fixture
def burst() -> Iterator[FaultKind]:
    FAULT_KINDS.register(BURST)
    yield BURST
    FAULT_KINDS.unregister("burst")


@pytest.fixture(scope="module")
def graph() -> IntGraph:
    return random_graph(8, 0, size=6, stride=1, scales=(0.002, 0.02))


@pytest.fixture(scope="module")
def arch() -> Arch:
    data = load_arch("default").config.model_dump()
    data["compute"].update(pe_placement="bank", pes_per_unit=1, multiplier="booth_r4")
    return arch_from_dict(data)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (12, 2, 6, 6))


def test_the_kind_is_parsed_by_name_and_listed_in_errors(burst: FaultKind) -> None:
    assert FaultConfig.parse("burst=1e-3,shift=1e-4").as_dict() == {
        "shift": 1e-4,
        "read": 0.0,
        "write": 0.0,
        "burst": 1e-3,
    }
    with pytest.raises(ConfigError) as e:
        FaultConfig.parse("bust=1e-3")
    assert e.value.allowed is not None and "burst" in e.value.allowed


def test_a_run_with_the_new_kind_flips_weight_bits_in_pairs(
    burst: FaultKind, graph: IntGraph, arch: Arch, images: np.ndarray
) -> None:
    clean = run_engine(graph, images, multiplier="booth_r4", adder="ripple_carry").logits
    quiet = run_with_faults(graph, images, arch, "burst=0", seed=1)
    assert np.array_equal(quiet.result.logits, clean)

    run = run_with_faults(graph, images, arch, "burst=2e-3", seed=1)
    s = run.stats
    assert s["burst_bits_read"] == s["weight_bits_read"] > 0  # the read kind's exposure, too
    assert s["burst_flips"] > 0 and s["weight_read_flips"] == 0
    assert not np.array_equal(run.result.logits, clean)
    assert run_with_faults(graph, images, arch, "burst=2e-3", seed=1).stats == s  # seeded

    # the run injected exactly the bursts the kind draws, image by image and layer by layer
    streams = FaultModel(graph, arch, FaultConfig()).weights.streams
    injector = BurstFlips(BURST, 2e-3, 1)
    bits = [s.reads * arch.org.mu.tracks for s in streams.values()]
    drawn = [
        injector.flips(Site.WEIGHT_READ, n, (img, li, 0))
        for img in range(len(images))
        for li, n in enumerate(bits)
    ]
    assert s["burst_flips"] == sum(d.size for d in drawn)
    assert all(np.isin(d, d + 1).any() or np.isin(d, d - 1).any() for d in drawn if d.size)


def test_adding_a_kind_changes_no_other_kinds_draws(
    graph: IntGraph, arch: Arch, images: np.ndarray
) -> None:
    before = run_with_faults(graph, images, arch, "shift=2e-2,read=1e-3", "tmr_msb", seed=4)
    FAULT_KINDS.register(BURST)
    try:
        after = run_with_faults(graph, images, arch, "shift=2e-2,read=1e-3", "tmr_msb", seed=4)
    finally:
        FAULT_KINDS.unregister("burst")
    assert np.array_equal(before.result.logits, after.result.logits)
    common = before.stats.as_dict()
    assert {k: after.stats[k] for k in common} == common
    assert after.stats["burst_flips"] == 0


def test_a_kind_cannot_reuse_a_salt() -> None:
    salt_of_shift = FAULT_KINDS["shift"].salts[Site.WEIGHT_SHIFT]
    copy = FaultKind(
        "copycat",
        "bit read",
        "reuses the salt of shift",
        {Site.WEIGHT_READ: salt_of_shift},
        {Site.WEIGHT_READ: ("a", "b")},
        BitFlips,
    )
    with pytest.raises(ConfigError, match="salts"):
        FAULT_KINDS.register(copy)
    assert "copycat" not in FAULT_KINDS
