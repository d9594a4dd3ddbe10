"""Change story: a new mitigation, registered from this file alone, runs through simulate's API.

The toy mitigation is an error-correcting code on weight words (``ecc[:T]``): check bits
stored beside every weight word let each read correct up to T wrong bits; it costs the check
bits of every word read, a syndrome decode in CMOS per read and the check bits' storage.
``run_with_faults`` (what ``rtmcim simulate --mitigation`` calls) takes it by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from graphs import random_graph

from rtmcim.engine.faults import (
    MITIGATIONS,
    Effect,
    FaultConfig,
    FaultModel,
    Mitigation,
    MitigationKind,
    OverheadInputs,
    run_with_faults,
)
from rtmcim.errors import ConfigError
from rtmcim.mapping import arch_from_dict, load_arch
from rtmcim.mapping.arch import Arch
from rtmcim.nn.intgraph import IntGraph
from rtmcim.tally import Tally
from rtmcim.tech import price


def check_bits(tracks: int, t: int) -> int:
    """Hamming-style: r bits tell 2**r syndromes apart; t errors need about t times as many."""
    r = 1
    while 2**r < tracks + r + 1:
        r += 1
    return t * r


def ecc_effect(t: int) -> Effect:
    def correct(err: np.ndarray) -> np.ndarray:
        return np.where(np.bitwise_count(err) <= t, np.uint64(0), err)

    return Effect(correct=correct)


def ecc_overhead(run: OverheadInputs, t: int) -> tuple[Tally, float]:
    tracks = run.arch.org.mu.tracks
    r = check_bits(tracks, t)
    reads = sum(s.reads for s in run.streams.values())
    busiest = max(int(np.bincount(s.pe).max()) for s in run.streams.values())
    tally = Tally(bit_reads=reads * r, cmos_gate_ops=reads * r * tracks // 2, cmos_cycles=busiest)
    return tally, r / tracks


ECC = MitigationKind(
    name="ecc",
    parameter="wrong bits corrected per word",
    default=1,
    description="check bits beside every weight word; a read corrects up to T wrong bits",
    effect=ecc_effect,
    overhead=ecc_overhead,
)


@pytest.fixture
def ecc() -> Iterator[MitigationKind]:
    MITIGATIONS.register(ECC)
    yield ECC
    MITIGATIONS.unregister("ecc")


@pytest.fixture(scope="module")
def graph() -> IntGraph:
    return random_graph(8, 0, size=6, stride=1, scales=(0.002, 0.02))


@pytest.fixture(scope="module")
def arch() -> Arch:
    data = load_arch("default").config.model_dump()
    data["compute"].update(pe_placement="bank", pes_per_unit=1, multiplier="booth_r4")
    return arch_from_dict(data)


def test_the_mitigation_is_parsed_by_name_and_listed_in_errors(ecc: MitigationKind) -> None:
    assert Mitigation.parse("ecc").name == "ecc:1"
    assert Mitigation.parse("position_check:4+ecc:2").name == "position_check:4+ecc:2"
    with pytest.raises(ConfigError) as e:
        Mitigation.parse("ec")
    assert e.value.allowed is not None and "ecc[:N]" in e.value.allowed


def lanes_reading_wrong_weights(model: FaultModel, images: np.ndarray) -> int:
    """Lane weights that differ from the stored ones, over every layer of one batch."""
    model.begin(images)
    wrong = 0
    for name in model.weights.streams:
        got = model.layer_weights(name, images)
        if got is not None:
            meant = model.weights.intended[name].reshape(got.shape[2], -1)
            wrong += int((got != meant).any(axis=-1).sum())
    return wrong


@pytest.mark.parametrize(("rate", "t"), [(3e-4, 1), (3e-3, 2)])
def test_the_code_corrects_what_it_can_and_no_more(
    ecc: MitigationKind, graph: IntGraph, arch: Arch, rate: float, t: int
) -> None:
    images = np.arange(6)
    faults = FaultConfig(read=rate)
    plain = FaultModel(graph, arch, faults, seed=2)
    coded = FaultModel(graph, arch, faults, Mitigation(ecc=t), seed=2)
    assert lanes_reading_wrong_weights(plain, images) > 0
    assert lanes_reading_wrong_weights(coded, images) == 0
    if t > 1:  # words with t wrong bits get past a code that corrects fewer
        weaker = FaultModel(graph, arch, faults, Mitigation(ecc=t - 1), seed=2)
        assert lanes_reading_wrong_weights(weaker, images) > 0


def test_a_run_reports_what_the_mitigation_costs(
    ecc: MitigationKind, graph: IntGraph, arch: Arch
) -> None:
    x = np.random.default_rng(7).integers(0, 256, (8, 2, 6, 6))
    run = run_with_faults(graph, x, arch, "read=1e-4", "ecc+position_check", seed=1)
    assert run.mitigation.name == "position_check:1+ecc:1"
    alone = run_with_faults(graph, x, arch, "read=1e-4", "position_check", seed=1).overhead
    extra = run.overhead.tally.bit_reads - alone.tally.bit_reads
    reads = sum(s.reads for s in FaultModel(graph, arch, FaultConfig()).weights.streams.values())
    assert extra == reads * check_bits(arch.org.mu.tracks, 1)
    tracks = arch.org.mu.tracks
    assert run.overhead.storage_fraction == pytest.approx(
        alone.storage_fraction + check_bits(tracks, 1) / tracks
    )
    energy = [price(o.tally, arch.prices).total_energy_pj for o in (run.overhead, alone)]
    assert energy[0] > energy[1]
