"""Fault injection on a graph with a residual add: the add reads both operands from the
activation region and writes its sum back under faults, like a layer's input and output.

The graph (``random_dag_graph``, 4-bit): conv0 -> dw -> pw -> conv2 (signed) and proj
(signed, reads pw) -> add (ReLU) -> gap -> flatten -> fc -> cls. Seven compute layers (fault
keys 0..6), then the add (key 7).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from graphs import random_dag_graph, random_graph

from rtmcim.engine import run_engine
from rtmcim.engine.faults import (
    FAULT_KINDS,
    MARKER_TRACKS,
    BitFlips,
    FaultConfig,
    FaultKind,
    FaultModel,
    Mitigation,
    Site,
    run_with_faults,
)
from rtmcim.mapping import arch_from_dict, build_arch, load_arch
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import (
    add_tally,
    add_words,
    following_pool,
    input_words,
    write_back_words,
)
from rtmcim.mapping.place import place
from rtmcim.mapping.workload import AddWork, ComputeWork, workload_from_graph
from rtmcim.nn.intgraph import AddLayer, IntGraph
from rtmcim.nn.reference import add, run_layer, run_reference

BITS = 4
ADD_INDEX = 7  # after the seven compute layers'


class AtTheAdd(BitFlips):
    """Flips (at the kind's rate) only the bits of the add's streams (fault key ``ADD_INDEX``)."""

    def flips(self, site: Site, bits: int, key: tuple[int, ...]) -> np.ndarray:
        if key[1] != ADD_INDEX:
            return np.zeros(0, dtype=np.int64)
        return super().flips(site, bits, key)


ADD_WRITE = FaultKind(
    "add_write",
    "activation bit written",
    "test: every bit of the add's output flips as it is written back",
    {Site.OUTPUT_WRITE: 201},
    {Site.OUTPUT_WRITE: ("add_bits_written", "add_write_flips")},
    AtTheAdd,
)
ADD_READ = FaultKind(
    "add_read",
    "activation bit read",
    "test: every bit of the add's operands flips as it is read",
    {Site.INPUT_READ: 202},
    {Site.INPUT_READ: ("add_bits_read", "add_read_flips")},
    AtTheAdd,
)


@pytest.fixture
def test_kinds() -> Iterator[None]:
    FAULT_KINDS.register(ADD_WRITE)
    FAULT_KINDS.register(ADD_READ)
    yield
    FAULT_KINDS.unregister("add_write")
    FAULT_KINDS.unregister("add_read")


@pytest.fixture(scope="module")
def graph() -> IntGraph:
    return random_dag_graph(BITS, seed=2)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 2**BITS, (6, 2, 8, 8))


def arch_with(residual_add: str) -> Arch:
    return build_arch(load_arch("default"), {"compute.residual_add": residual_add})


def two_pe_arch() -> Arch:
    """Two PEs (one per bank): the 8-filter layers take 4 rounds of input reads."""
    data = load_arch("default").config.model_dump()
    data["compute"].update(pe_placement="bank", pes_per_unit=1, multiplier="booth_r4")
    return arch_from_dict(data)


def the_add(graph: IntGraph) -> AddLayer:
    (lay,) = [lay for lay in graph.layers if isinstance(lay, AddLayer)]
    return lay


def tail_logits(graph: IntGraph, y: np.ndarray) -> np.ndarray:
    """The layers after the add (gap, flatten, fc, cls) on the add's output ``y``."""
    i = [lay.name for lay in graph.layers].index("add")
    h = y
    for lay in graph.layers[i + 1 :]:
        h = run_layer(lay, [h])
    return h


def test_adds_key_after_the_compute_layers(graph: IntGraph) -> None:
    model = FaultModel(graph, arch_with("cmos"), FaultConfig())
    assert model.weights.layer_index == {
        "conv0": 0,
        "dw": 1,
        "pw": 2,
        "conv2": 3,
        "proj": 4,
        "fc": 5,
        "cls": 6,
    }
    assert model.activations.layer_index == {**model.weights.layer_index, "add": ADD_INDEX}
    # the add's widths are the workload's; its operands are signed (branches without ReLU)
    assert model.activations.operands["add"] == ((BITS, True), (BITS, True))
    assert model.activations.out_bits["add"] == BITS and not model.activations.out_signed["add"]


@pytest.mark.parametrize("where", ["cmos", "memory"])
def test_every_bit_of_the_adds_output_flipped_on_write(
    graph: IntGraph, images: np.ndarray, where: str, test_kinds: None
) -> None:
    """Every bit of the add's 4-bit unsigned output flips as it is written: the stored sum is
    15 - y, and the gap, fc and classifier compute on that."""
    ref = run_reference(graph, images)
    y = ref.activations["add"]
    assert y.min() >= 0 and y.max() <= 15 and len(np.unique(y)) > 4
    run = run_with_faults(graph, images, arch_with(where), "add_write=1", seed=5)
    expected = tail_logits(graph, 15 - y)
    assert not np.array_equal(expected, ref.logits)
    np.testing.assert_array_equal(run.result.logits, expected)
    assert run.stats["add_write_flips"] == len(images) * y[0].size * BITS == 6 * 128 * 4


@pytest.mark.parametrize("where", ["cmos", "memory"])
def test_every_bit_of_both_operands_flipped_on_read(
    graph: IntGraph, images: np.ndarray, where: str, test_kinds: None
) -> None:
    """Every bit of both signed 4-bit operands flips as the add reads them: a -> -a - 1 (two's
    complement within 4 bits: 7 -> -8, -8 -> 7), the stored tensors untouched."""
    ref = run_reference(graph, images)
    a, b = ref.activations["conv2"], ref.activations["proj"]
    assert a.min() < 0 < a.max() and b.min() < 0 < b.max()
    run = run_with_faults(graph, images, arch_with(where), "add_read=1", seed=5)
    y = add(-a - 1, -b - 1, the_add(graph))
    assert not np.array_equal(y, ref.activations["add"])
    np.testing.assert_array_equal(run.result.logits, tail_logits(graph, y))
    assert run.stats["add_read_flips"] == len(images) * (a[0].size + b[0].size) * BITS


def test_the_track_state_carries_through_read_a_read_b_and_the_write(graph: IntGraph) -> None:
    """One domain off when the add starts, the track stays off (no new errors): each operand
    read returns the values one 32-bit word (8 4-bit values) later, signed, zeros off the end;
    the write lands each word one later, the first left unwritten (0) and the last lost. A
    position check at every access re-aligns before the first read."""
    lanes = np.arange(2)
    rng = np.random.default_rng(3)
    a = rng.integers(-8, 8, (2, 8, 4, 4))
    b = rng.integers(-8, 8, (2, 8, 4, 4))
    y = rng.integers(0, 16, (2, 8, 4, 4))
    for mitigation in (None, "position_check"):
        model = FaultModel(
            graph, arch_with("cmos"), FaultConfig(shift=1e-12), Mitigation.parse(mitigation)
        )
        model.begin(lanes)
        model.activations.state[:] = 1
        got = [model.read_operand("add", v, lanes, k) for k, v in enumerate((a, b))]
        stored = model.write_output("add", y, lanes)
        if mitigation is None:
            for v, g in zip((a, b), got, strict=True):
                flat = v.reshape(2, -1)
                late = np.concatenate([flat[:, 8:], np.zeros((2, 8), dtype=np.int64)], axis=1)
                np.testing.assert_array_equal(g.reshape(2, -1), late)
            flat = y.reshape(2, -1)
            moved = np.concatenate([np.zeros((2, 8), dtype=np.int64), flat[:, :-8]], axis=1)
            np.testing.assert_array_equal(stored.reshape(2, -1), moved)
            assert model.stats["act_misaligned_reads"] == 2 * 2 * 16  # 16 words per operand
            assert model.stats["act_misaligned_writes"] == 2 * 16
        else:
            np.testing.assert_array_equal(got[0], a)
            np.testing.assert_array_equal(got[1], b)
            np.testing.assert_array_equal(stored, y)
            assert model.stats["act_correction_steps"] == 2  # once per image, first read
        assert model.activations.state.tolist() == [int(mitigation is None)] * 2


def test_the_adds_streams_run_in_the_hardwares_order(
    graph: IntGraph, images: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read a (its shifts, then its bits), read b, then write the sum (its bits, then the
    shifts of the write stream)."""
    model = FaultModel(graph, arch_with("cmos"), FaultConfig(shift=1e-12, read=1e-12, write=1e-12))
    seen: list[tuple[str, int]] = []
    flips, errors = model.injectors.flips, model.injectors.errors

    def note(site: Site, keys: list[tuple[int, ...]]) -> None:
        if keys and len(keys[0]) == 3 and keys[0][1] == ADD_INDEX:
            seen.append((site.value, keys[0][2]))

    def spy_flips(site: Site, bits: int, keys: list[tuple[int, ...]], count: bool = True):  # type: ignore[no-untyped-def]
        note(site, keys)
        return flips(site, bits, keys, count)

    def spy_errors(site: Site, steps: np.ndarray, keys: list[tuple[int, ...]], count: bool = True):  # type: ignore[no-untyped-def]
        note(site, keys)
        return errors(site, steps, keys, count)

    monkeypatch.setattr(model.injectors, "flips", spy_flips)
    monkeypatch.setattr(model.injectors, "errors", spy_errors)
    run_engine(graph, images[:1], multiplier="booth_r4", adder="ripple_carry", weights=model)
    assert seen == [
        ("input_shift", 0),
        ("input_read", 0),
        ("input_shift", 1),
        ("input_read", 1),
        ("output_write", 0),
        ("output_shift", 0),
    ]


@pytest.mark.parametrize("mitigation", ["none", "position_check"])
def test_zero_rates_give_the_reference(
    graph: IntGraph, images: np.ndarray, mitigation: str
) -> None:
    """Zero rates through the fault model (the mitigation makes it run) equal the reference."""
    run = run_with_faults(
        graph, images, arch_with("memory"), "shift=0,read=0,write=0", mitigation, seed=1
    )
    np.testing.assert_array_equal(run.result.logits, run_reference(graph, images).logits)
    if mitigation != "none":  # the model ran, the add's streams included
        assert run.stats["act_checks"] > 0


def test_a_faulty_run_is_reproducible_and_exposes_the_adds_streams(
    graph: IntGraph, images: np.ndarray
) -> None:
    arch = arch_with("memory")
    faults = "shift=2e-2,read=2e-2,write=2e-2"
    first = run_with_faults(graph, images, arch, faults, seed=3)
    again = run_with_faults(graph, images, arch, faults, seed=3)
    other = run_with_faults(graph, images, arch, faults, seed=4)
    np.testing.assert_array_equal(first.result.logits, again.result.logits)
    assert first.stats == again.stats
    assert first.stats != other.stats
    ref = run_reference(graph, images).logits
    assert not np.array_equal(first.result.logits, ref)
    # bits exposed: every compute layer's input once (one round each on 64 PEs) and output,
    # the add's two operands and its output
    work = workload_from_graph(graph)
    reads = sum(lw.input_count * lw.abits for lw in work.compute_layers) + 2 * 128 * BITS
    assert first.stats["act_bits_read"] == len(images) * reads
    written = sum(lw.output_count * (lw.out_bits or lw.acc_bits) for lw in work.compute_layers)
    assert first.stats["act_bits_written"] == len(images) * (written + 128 * BITS)


def test_the_adds_streams_count_as_the_mapping_charges_them(
    graph: IntGraph, images: np.ndarray
) -> None:
    """One shift step and (checking every access) one position check per word of every stream:
    a compute layer's input once per round and its write-back, the add's two operands and its
    write-back, as the mapping's add tally reads and writes them; the mitigation's activation
    markers count the same checks."""
    arch = two_pe_arch()
    tracks = arch.org.mu.tracks
    run = run_with_faults(graph, images, arch, "shift=1e-12", "position_check:1", seed=0)
    work = workload_from_graph(graph)
    placement = place(work, arch)
    words = 0
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            rounds = placement.of(lw.name).rounds
            pool = following_pool(work, i)
            words += rounds * input_words(lw, tracks) + write_back_words(lw, pool, tracks)
        elif isinstance(lw, AddWork):
            a_words, b_words, out_words = add_words(lw, tracks)
            assert (a_words, b_words, out_words) == (math.ceil(128 * BITS / 32),) * 3 == (16,) * 3
            t = add_tally(lw, arch)
            assert t.bit_reads == (a_words + b_words) * tracks
            assert t.bit_writes == out_words * tracks
            assert t.shift_steps == (a_words + b_words + out_words) * tracks
            words += a_words + b_words + out_words
    assert placement.of("pw").rounds == 4  # 8 filters on 2 PEs
    assert run.stats["act_shift_steps"] == len(images) * words
    assert run.stats["act_checks"] == len(images) * words
    assert run.overhead.tally.bit_reads == words * MARKER_TRACKS


def test_a_network_without_adds_keys_as_before() -> None:
    """Without adds the activation streams keep the compute layers' indices."""
    g = random_graph(8, 0, size=6, stride=1)
    model = FaultModel(g, arch_with("cmos"), FaultConfig())
    assert (
        model.activations.layer_index
        == model.weights.layer_index
        == {
            "conv": 0,
            "fc": 1,
            "cls": 2,
        }
    )


def test_a_signed_branch_is_written_back_signed(graph: IntGraph) -> None:
    """conv2 (no ReLU) writes signed 4-bit values: a slipped write keeps their signs, and a
    flip of the sign bit wraps within 4 bits (-3 -> 5, 5 -> -3)."""
    lanes = np.arange(1)
    h = np.random.default_rng(5).integers(-8, 8, (1, 8, 4, 4))
    model = FaultModel(graph, arch_with("cmos"), FaultConfig(shift=1e-12))
    model.begin(lanes)
    model.activations.state[:] = -1  # one domain short: word j lands on j - 1
    stored = model.write_output("conv2", h, lanes).reshape(-1)
    flat = h.reshape(-1)
    np.testing.assert_array_equal(stored, np.concatenate([flat[8:], np.zeros(8, dtype=np.int64)]))
    model = FaultModel(graph, arch_with("cmos"), FaultConfig(write=1e-12))
    model.begin(lanes)
    sign_bits = np.arange(3, 128 * BITS, BITS)  # bit 3 of every value

    def flips(site: Site, bits: int, keys: list[tuple[int, ...]], count: bool = True):  # type: ignore[no-untyped-def]
        return [sign_bits for _ in keys]

    model.activations.injectors.flips = flips  # type: ignore[method-assign]
    stored = model.write_output("conv2", h, lanes)
    np.testing.assert_array_equal(stored, np.where(h < 0, h + 8, h - 8))
