"""Fault injection in the bit-exact engine: exactness at zero rates, seeds, rates, the crafted
position-error case, mitigation and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from graphs import random_graph

from rtmcim.circuits.mac import operand_dtype
from rtmcim.cli.main import main
from rtmcim.engine import run_engine
from rtmcim.engine.faults import (
    LANE_WEIGHT_BUDGET,
    MAX_BATCH_IMAGES,
    FaultConfig,
    FaultModel,
    Mitigation,
    accuracy_under_faults,
    batch_images_for,
    misalignment,
    run_with_faults,
    words_read,
    words_written,
)
from rtmcim.errors import ConfigError
from rtmcim.explore.fault_sweep import parse_rates, sweep_point
from rtmcim.mapping import arch_from_dict, load_arch
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import following_pool, stream_tally
from rtmcim.mapping.place import place
from rtmcim.mapping.stream import weight_stream_steps
from rtmcim.mapping.weight_reads import physical_word, signed_from_unsigned, unsigned_weights
from rtmcim.mapping.workload import ComputeWork, workload_from_graph
from rtmcim.nn.intgraph import ConvLayer, IntGraph, LinearLayer
from rtmcim.tech import price

BITS = 8


def small_graph(seed: int = 0) -> IntGraph:
    """conv 3x3 (stride 1, pad 1) on 2x6x6 -> max pool -> fc -> classifier, 8-bit integers."""
    return random_graph(BITS, seed, size=6, stride=1, scales=(0.002, 0.02))


def small_arch(layout: str = "snake", ports: int = 2, pes_per_unit: int = 1) -> Arch:
    """Two PEs (one per bank), so each PE walks long streams over many passes."""
    data = load_arch("default").config.model_dump()
    data["memory"]["mu"]["ports"] = ports
    data["compute"].update(
        pe_placement="bank", pes_per_unit=pes_per_unit, data_layout=layout, multiplier="booth_r4"
    )
    return arch_from_dict(data)


@pytest.fixture(scope="module")
def graph() -> IntGraph:
    return small_graph()


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 2**BITS, (24, 2, 6, 6))


@pytest.fixture(scope="module")
def clean(graph: IntGraph, images: np.ndarray) -> np.ndarray:
    logits: np.ndarray = run_engine(
        graph, images, multiplier="booth_r4", adder="ripple_carry"
    ).logits
    return logits


# -- the word-wide weight read against a bit-by-bit one ------------------------------------


def bit_by_bit_weights(
    model: FaultModel, name: str, images: np.ndarray, errs: list[np.ndarray]
) -> np.ndarray:
    """The weights each lane reads, worked out one bit at a time from the slot maps: every copy
    reads the word under its port (0 off the data), takes its read flips (drawn as the model
    draws them), the protected tracks take the majority, and every bit that differs from the
    intended one toggles that bit of the weight it belongs to."""
    s = model.weights.streams[name]
    li = model.weights.layer_index[name]
    tracks = model.arch.org.mu.tracks
    nwords = model.weights.mem.shape[1]
    u = np.broadcast_to(
        unsigned_weights(model.weights.intended[name], s.wbits).astype(np.int64)[None, None],
        (len(images), s.positions, s.out_channels, s.k),
    ).copy()
    tmr = model.effect.tmr_bits
    for bi, img in enumerate(images):
        got = []
        for c in range(model.weights.copies):
            rng = np.random.default_rng([model.seed, 2, int(img), li, c])  # the "read" salt
            n = s.reads * tracks
            p = model.config.rate("read")
            m = int(rng.binomial(n, p)) if p > 0 else 0
            flipped = np.sort(rng.choice(n, size=m, replace=False)) if m else np.zeros(0, int)
            word, valid = physical_word(s, model.arch, np.arange(s.reads), errs[c][bi], nwords)
            bits = model.weights.stored[c][s.pe, word].astype(np.int64) * valid[:, None]
            for f in flipped:
                bits[f // tracks, f % tracks] ^= 1
            got.append(bits)
        for r in range(s.reads):
            for t in range(tracks):
                k, b = s.slot_k[s.jword[r], t], s.slot_b[s.jword[r], t]
                if k < 0:
                    continue
                bit = got[0][r, t]
                if model.weights.copies == 3 and b >= s.wbits - tmr:
                    bit = int(got[0][r, t] + got[1][r, t] + got[2][r, t] >= 2)
                if bit != model.weights.mem[s.pe[r], s.word[r], t]:
                    u[bi, s.pos[r], s.filt[r], k] ^= 1 << b
    return signed_from_unsigned(u, s.wbits)


@pytest.mark.parametrize("word_layout", ["bit_parallel", "bit_serial"])
@pytest.mark.parametrize("tracks", [32, 12])
@pytest.mark.parametrize("mitigation", ["none", "tmr_msb:3"])
def test_word_wide_reads_equal_bit_by_bit_reads(
    graph: IntGraph, word_layout: str, tracks: int, mitigation: str
) -> None:
    data = small_arch().config.model_dump()
    data["memory"]["mu"]["tracks"] = tracks
    data["compute"]["word_layout"] = word_layout
    arch = arch_from_dict(data)
    model = FaultModel(
        graph, arch, FaultConfig(read=2e-2, write=2e-2), Mitigation.parse(mitigation), seed=3
    )
    images = np.arange(5, 9)
    model.begin(images)
    rng = np.random.default_rng(11)
    for name, s in model.weights.streams.items():
        errs = [
            rng.choice([-2, -1, 0, 0, 0, 0, 1, 2], size=(len(images), s.reads))
            for _ in range(model.weights.copies)
        ]
        got = model.weights.read_weights(name, images, errs)
        assert got is not None
        np.testing.assert_array_equal(got, bit_by_bit_weights(model, name, images, errs))


@pytest.mark.parametrize("wbits", range(2, 17))
def test_patterns_round_trip_in_the_smallest_type(wbits: int) -> None:
    """Every signed ``wbits``-bit weight -> its pattern -> back, in the type the lane weights use
    (15-bit patterns in int16: 2**15 itself does not fit)."""
    lo, hi = -(1 << (wbits - 1)), 1 << (wbits - 1)
    w = np.arange(lo, hi).reshape(1, -1)
    u = unsigned_weights(w, wbits).astype(operand_dtype(wbits))
    back = signed_from_unsigned(u, wbits)
    assert back.dtype == u.dtype
    np.testing.assert_array_equal(back, w)


def test_a_batch_of_lane_weights_fits_the_budget(graph: IntGraph) -> None:
    model = FaultModel(graph, small_arch(), FaultConfig(shift=1e-3))
    largest = max(s.positions * s.out_channels * s.k for s in model.weights.streams.values())
    assert model.batch_images == min(MAX_BATCH_IMAGES, LANE_WEIGHT_BUDGET // largest)
    assert batch_images_for({}) == MAX_BATCH_IMAGES


def test_a_faulty_run_is_the_same_in_two_processes(graph: IntGraph) -> None:
    """Batches run in worker processes give the same integers, tallies, counts and overhead;
    cell faults too (their generator is keyed by the batch, and batches do not depend on jobs)."""
    images = np.random.default_rng(5).integers(0, 2**BITS, (MAX_BATCH_IMAGES + 9, 2, 6, 6))
    cfg = FaultConfig(shift=1e-2, read=1e-3, write=1e-3)
    one = run_with_faults(graph, images, small_arch(), cfg, "tmr_msb+position_check:4", seed=2)
    two = run_with_faults(
        graph, images, small_arch(), cfg, "tmr_msb+position_check:4", seed=2, jobs=2
    )
    np.testing.assert_array_equal(one.result.logits, two.result.logits)
    assert one.result.tallies == two.result.tallies
    assert one.stats == two.stats and one.stats["images"] == len(images)
    assert one.stats["cell_read_flips"] > 0 and one.stats["position_errors"] > 0
    assert one.overhead == two.overhead


# -- zero rates, seeds -----------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["snake", "sequential"])
@pytest.mark.parametrize("mitigation", ["none", "position_check:3", "tmr_msb:2+position_check"])
def test_zero_rates_give_the_fault_free_integers(
    graph: IntGraph, images: np.ndarray, clean: np.ndarray, layout: str, mitigation: str
) -> None:
    run = run_with_faults(graph, images, small_arch(layout), "shift=0,read=0,write=0", mitigation)
    assert np.array_equal(run.result.logits, clean)
    assert run.stats["position_errors"] == run.stats["weight_read_flips"] == 0


def test_zero_rates_take_the_plain_engine_path(graph: IntGraph, images: np.ndarray) -> None:
    # no fault model in the loop: same tallies as run_engine, event for event
    run = run_with_faults(graph, images, small_arch(), FaultConfig(), None)
    plain = run_engine(graph, images, multiplier="booth_r4", adder="ripple_carry")
    assert run.result.tallies == plain.tallies
    assert not run.overhead.tally


def test_same_seed_same_run_other_seed_differs(graph: IntGraph, images: np.ndarray) -> None:
    arch = small_arch()
    cfg = "shift=2e-2,read=1e-3,write=1e-3"
    a = run_with_faults(graph, images, arch, cfg, seed=5)
    b = run_with_faults(graph, images, arch, cfg, seed=5)
    c = run_with_faults(graph, images, arch, cfg, seed=6)
    assert np.array_equal(a.result.logits, b.result.logits)
    assert a.stats == b.stats
    assert a.stats != c.stats
    assert not np.array_equal(a.result.logits, c.result.logits)


def test_an_images_weight_faults_do_not_depend_on_batching(
    graph: IntGraph, images: np.ndarray
) -> None:
    arch = small_arch()
    full = run_with_faults(graph, images, arch, "shift=2e-2", seed=1).result.logits
    head = run_with_faults(graph, images[:5], arch, "shift=2e-2", seed=1).result.logits
    assert np.array_equal(full[:5], head)


# -- rates -------------------------------------------------------------------------------------


def within_5_sigma(observed: int, trials: int, p: float) -> bool:
    mean = trials * p
    return abs(observed - mean) <= 5 * math.sqrt(trials * p * (1 - p)) + 1


@pytest.mark.parametrize("p", [1e-3, 3e-2])
def test_observed_fault_counts_match_the_rates(
    graph: IntGraph, images: np.ndarray, p: float
) -> None:
    run = run_with_faults(
        graph, images, small_arch(), FaultConfig(shift=p, read=p, write=p), seed=2
    )
    s = run.stats
    assert (
        s["mu_shift_steps"] > 1000
        and s["weight_bits_read"] > 1000
        and s["cell_bits_written"] > 1000
    )
    assert s["act_bits_read"] > 1000 and s["act_bits_written"] > 1000
    pairs = [
        (s["position_errors"], s["mu_shift_steps"]),
        (s["weight_read_flips"], s["weight_bits_read"]),
        (s["weight_write_flips"], s["weight_bits_stored"]),
        (s["cell_read_flips"], s["cell_bits_read"]),
        (s["cell_write_flips"], s["cell_bits_written"]),
        (s["act_read_flips"], s["act_bits_read"]),
        (s["act_write_flips"], s["act_bits_written"]),
        (s["act_position_errors"], s["act_shift_steps"]),
    ]
    for observed, trials in pairs:
        assert within_5_sigma(observed, trials, p), (observed, trials, p)


def test_activation_bits_exposed_equal_the_mappings_events(
    graph: IntGraph, images: np.ndarray
) -> None:
    """Reads: the input once per round (the mapping's line-buffer latch updates); writes: the
    (pooled) outputs written back, at their width (accumulator width for the logits)."""
    arch = small_arch()
    run = run_with_faults(graph, images, arch, FaultConfig(read=1e-12, write=1e-12), seed=0)
    work = workload_from_graph(graph)
    placement = place(work, arch)
    reads = sum(  # the input into the CMOS line buffer, once per round
        stream_tally(lw, placement.of(lw.name), arch, None).tally.latch_updates
        for lw in work.compute_layers
    )
    assert reads == 2 * 6 * 6 * BITS * 2 + 36 * BITS * 3 + 6 * BITS * 2  # rounds: 2, 3, 2
    assert run.stats["act_bits_read"] == len(images) * reads
    pooled = {"conv": 4 * 3 * 3}  # conv's output is written after the 2x2 max pool
    written = sum(
        pooled.get(lw.name, lw.output_count) * (lw.out_bits or lw.acc_bits)
        for lw in work.compute_layers
    )
    assert run.stats["act_bits_written"] == len(images) * written
    assert run.stats["act_read_flips"] == run.stats["act_write_flips"] == 0


def test_activation_stream_steps_equal_the_mappings(graph: IntGraph, images: np.ndarray) -> None:
    """One shift step per activation word read or written: the input once per round,
    ceil(inputs x bits / tracks) words, and the (pooled) write-back, as the mapping counts."""
    arch = small_arch()
    run = run_with_faults(graph, images, arch, FaultConfig(shift=1e-12), seed=0)
    work = workload_from_graph(graph)
    placement = place(work, arch)
    tracks = arch.org.mu.tracks
    mapped = sum(
        stream_tally(lw, placement.of(lw.name), arch, following_pool(work, i)).other_shift_steps
        for i, lw in enumerate(work.layers)
        if isinstance(lw, ComputeWork)
    )
    reads = 2 * math.ceil(72 * 8 / 32) + 3 * math.ceil(36 * 8 / 32) + 2 * 2  # 36 + 27 + 4
    written = math.ceil(36 * 8 / 32) + math.ceil(6 * 8 / 32) + 2  # pooled conv, fc, 3 logits
    assert mapped == (reads + written) * tracks
    assert run.stats["act_shift_steps"] == len(images) * (reads + written)


def test_a_slipped_activation_stream_returns_later_words_until_corrected() -> None:
    """8-bit values, 4 to a 32-bit word; words 0..3. An over-shift before word 1 makes reads
    1 and 2 return words 2 and 3 and read 3 run off the stream (zeros); a position check
    before word 2 re-aligns from there on."""
    values = np.arange(1, 17)  # word j holds values 4j+1 .. 4j+4
    delta = np.array([[0, +1, 0, 0]])
    e, _ = misalignment(delta, np.zeros(1, dtype=np.int64), 0, 4)
    assert e.tolist() == [[0, 1, 1, 1]]
    got = words_read(values, 8, 32, e[0])
    assert got.tolist() == [1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0]
    e, corr = misalignment(delta, np.zeros(1, dtype=np.int64), 2, 4)  # checks at reads 0 and 2
    assert e.tolist() == [[0, 1, 0, 0]] and corr.tolist() == [1]
    got = words_read(values, 8, 32, e[0])
    assert got.tolist() == [1, 2, 3, 4, 9, 10, 11, 12, 9, 10, 11, 12, 13, 14, 15, 16]


def test_a_slipped_write_back_displaces_words_and_loses_the_last() -> None:
    """Words 0..3 written with an over-shift before word 1: words 1, 2 land on 2, 3, word 3
    falls off the stream and word 1 stays unwritten (0). An under-shift before word 1 writes
    it over word 0 (the later write wins). Signed values (logits) come back signed."""
    values = np.arange(1, 17)
    got = words_written(values, 8, 32, np.array([0, 1, 1, 1]))
    assert got.tolist() == [1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 9, 10, 11, 12]
    got = words_written(values, 8, 32, np.array([0, -1, 0, 0]))
    assert got.tolist() == [5, 6, 7, 8, 0, 0, 0, 0, 9, 10, 11, 12, 13, 14, 15, 16]
    logits = np.array([-70000, 5, -1, 123456])
    assert words_written(logits, 19, 32, np.zeros(3, dtype=np.int64), True).tolist() == [
        -70000,
        5,
        -1,
        123456,
    ]


def test_a_misalignment_carries_from_the_write_back_into_the_next_reads(graph: IntGraph) -> None:
    """The activation track's state carries from stream to stream: a track one domain off while
    the conv layer's output is written and still off when the fc layer reads it returns every
    word but the one pushed off the end; read at home instead, the data reads one word early.
    A position check at every access re-aligns before the first write."""
    arch = small_arch()
    lanes = np.arange(2)
    h = np.random.default_rng(4).integers(0, 256, (2, 4, 3, 3))  # the pooled conv output
    bits, tracks = 8, arch.org.mu.tracks
    n = 9  # 36 values x 8 bits / 32
    for mitigation in (None, "position_check"):
        model = FaultModel(graph, arch, FaultConfig(shift=1e-12), Mitigation.parse(mitigation))
        model.begin(lanes)
        model.activations.state[:] = 1
        stored = model.write_output("conv", h, lanes)
        off = words_written(h[0].reshape(-1), bits, tracks, np.ones(n, dtype=np.int64))
        if mitigation is None:
            assert stored[0].reshape(-1).tolist() == off.tolist()
            read = model.read_input("fc", stored.reshape(2, -1), lanes, 0)
            kept = h.reshape(2, -1).copy()
            kept[:, -4:] = 0  # the last word (4 values) was pushed off the stream
            np.testing.assert_array_equal(read, kept)
            home = words_read(stored[0].reshape(-1), bits, tracks, np.zeros(n, dtype=np.int64))
            assert home.tolist() == off.tolist()  # what a re-aligned read would return
        else:
            np.testing.assert_array_equal(stored, h)
            assert model.stats["act_correction_steps"] == 2


def test_an_activation_read_flip_reaches_only_its_rounds_filters(
    graph: IntGraph, images: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2 PEs, 4 conv filters: round 0 computes filters 0-1, round 1 filters 2-3. Faults in the
    input as round 1 reads it change filters 2-3 only; the stored input is untouched."""
    conv_only = IntGraph(
        layers=(graph.layers[0],), input_shape=(2, 6, 6), input_bits=BITS, classes=4
    )
    arch = small_arch()
    assert arch.pes == 2
    model = FaultModel(conv_only, arch, FaultConfig(read=1e-12))
    assert [f.tolist() for f in model.round_filters("conv")] == [[0, 1], [2, 3]]

    def read_input(name: str, h: np.ndarray, imgs: np.ndarray, rnd: int) -> np.ndarray:
        if rnd == 0:
            return h
        return np.zeros_like(h)  # round 1 reads nothing but flipped-to-zero bits

    monkeypatch.setattr(model, "read_input", read_input)
    x = images[:4]
    clean = run_engine(conv_only, x, multiplier="booth_r4", adder="ripple_carry").logits
    faulty = run_engine(
        conv_only, x, multiplier="booth_r4", adder="ripple_carry", weights=model
    ).logits
    assert np.array_equal(faulty[:, :2], clean[:, :2])
    assert not np.array_equal(faulty[:, 2:], clean[:, 2:])


def test_a_written_activation_flip_is_seen_by_the_next_layer(
    graph: IntGraph, images: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = FaultModel(graph, small_arch(), FaultConfig(write=1e-12))
    seen: list[str] = []

    def write_output(name: str, h: np.ndarray, imgs: np.ndarray) -> np.ndarray:
        seen.append(name)
        if name != "conv":
            return h
        assert h.shape[1:] == (4, 3, 3)  # written after the pool
        return np.zeros_like(h)  # every stored activation lost

    monkeypatch.setattr(model, "write_output", write_output)
    x = images[:4]
    faulty = run_engine(graph, x, multiplier="booth_r4", adder="ripple_carry", weights=model)
    assert seen == ["conv", "fc", "cls"]
    # with a zero input the fc layer outputs its requantized bias, whatever the image
    assert np.all(faulty.logits == faulty.logits[0])


def test_stream_shift_steps_equal_the_mappings(graph: IntGraph) -> None:
    arch = small_arch()
    model = FaultModel(graph, arch, FaultConfig())
    work = workload_from_graph(graph)
    placement = place(work, arch)
    offsets = np.zeros(arch.org.mus, dtype=np.int64)
    for lw in work.compute_layers:
        mapped = weight_stream_steps(placement.of(lw.name), lw, arch, offsets)
        s = model.weights.streams[lw.name]
        assert np.array_equal(np.bincount(s.pe, weights=s.steps, minlength=arch.pes), mapped)
        # every lane reads every word of its filter once
        assert s.reads == lw.output_count * s.words_per_filter


# -- the crafted position error ------------------------------------------------------------------


def pe_words(graph: IntGraph, arch: Arch, pe: int) -> list[np.ndarray]:
    """The 4-weight words of one PE, in placement order (filter words padded with 0)."""
    words: list[np.ndarray] = []
    per = arch.org.mu.tracks // BITS
    for lay in graph.layers:
        if not isinstance(lay, ConvLayer | LinearLayer):
            continue
        w = lay.weight.reshape(lay.weight.shape[0], -1).astype(np.int64)
        o, k = w.shape
        nw = -(-k // per)
        for f in range(pe, o, arch.pes):  # filters p, p + P, ... (O >= P here)
            padded = np.zeros(nw * per, dtype=np.int64)
            padded[:k] = w[f]
            words += list(padded.reshape(nw, per))
    return words


@pytest.mark.parametrize("interval", [0, 7])
def test_a_position_error_shifts_the_weights_read_after_it_until_corrected(
    graph: IntGraph, interval: int
) -> None:
    # sequential layout, one port: a PE's word i sits at domain i of its MU, so an MU one domain
    # ahead (+1) hands every later read the PE's next word
    arch = small_arch("sequential", ports=1)
    model = FaultModel(graph, arch, FaultConfig(), Mitigation(position_check=interval))
    s = model.weights.streams["conv"]
    images = np.arange(1)
    model.begin(images)
    pe = 0
    mine = np.flatnonzero(s.pe == pe)  # in time order
    assert np.unique(s.mu[mine]).size == 1  # the PE's conv words fit one MU
    t_err = mine[40]  # the 41st read of PE 0: the shift before it overshoots by one domain
    delta = np.zeros((1, s.reads), dtype=np.int64)
    delta[0, t_err] = 1
    err = model.weights.propagate(s, delta)[0]

    before, after = mine[:40], mine[40:]
    assert not err[before].any() and not err[s.pe != pe].any()
    if interval == 0:
        assert (err[after] == 1).all()  # persists: nothing corrects it
    else:
        rank = s.rank[after]
        corrected = rank >= -(-s.rank[t_err] // interval) * interval  # the next check onwards
        assert (err[after][~corrected] == 1).all() and not err[after][corrected].any()
        assert corrected.any() and (~corrected).any()

    w = model.weights.read_weights("conv", images, [err[None]])
    assert w is not None
    words = pe_words(graph, arch, pe)
    conv = graph.layers[0]
    assert isinstance(conv, ConvLayer)
    clean_w = conv.weight.reshape(4, -1).astype(np.int64)
    for t in mine:
        pos, f, j = s.pos[t], s.filt[t], s.jword[t]
        got = w[0, pos, f, 4 * j : 4 * j + 4]
        k = min(4, clean_w.shape[1] - 4 * j)
        if err[t] == 0:
            assert np.array_equal(got[:k], clean_w[f, 4 * j : 4 * j + k])
        else:
            assert np.array_equal(got[:k], words[s.word[t] + 1][:k])
    # lanes of other PEs are untouched
    others = np.unique(s.filt[s.pe != pe])
    assert np.array_equal(w[0][:, others], np.broadcast_to(clean_w[others], w[0][:, others].shape))


def test_misalignment_carries_into_the_next_layer(graph: IntGraph) -> None:
    arch = small_arch("sequential", ports=1)
    model = FaultModel(graph, arch, FaultConfig())
    model.begin(np.arange(1))
    conv, fc = model.weights.streams["conv"], model.weights.streams["fc"]
    delta = np.zeros((1, conv.reads), dtype=np.int64)
    delta[0, np.flatnonzero(conv.pe == 1)[-1]] = -1  # the very last conv read of PE 1
    model.weights.propagate(conv, delta)
    err = model.weights.propagate(fc, np.zeros((1, fc.reads), dtype=np.int64))[0]
    same_mu = np.isin(fc.mu, conv.mu[conv.pe == 1])
    assert (err[same_mu] == -1).all() and not err[~same_mu].any()


# -- mitigation ----------------------------------------------------------------------------------


def test_position_check_recovers_and_costs_events(
    graph: IntGraph, images: np.ndarray, clean: np.ndarray
) -> None:
    arch = small_arch()
    bad = run_with_faults(graph, images, arch, "shift=2e-2", None, seed=3)
    good = run_with_faults(graph, images, arch, "shift=2e-2", "position_check", seed=3)
    assert bad.stats["misaligned_reads"] > 0 and not np.array_equal(bad.result.logits, clean)
    assert good.stats["position_errors"] == bad.stats["position_errors"]  # the same faults happened
    assert good.stats["correction_steps"] > 0
    assert np.array_equal(good.result.logits, clean)
    t = good.overhead.tally
    # weight markers on the local path (beside the PE), activation markers through the periphery
    assert t.cell_bit_reads > 0 and t.cell_read_cycles > 0 and t.bit_reads > 0
    assert t.shift_steps > 0 and t.cmos_gate_ops > 0
    assert not bad.overhead.tally
    assert price(t, arch.prices).total_energy_pj > 0 and good.overhead.storage_fraction > 0
    # checking less often costs fewer reads
    sparse = run_with_faults(graph, images, arch, "shift=2e-2", "position_check:8", seed=3)
    assert 0 < sparse.overhead.tally.cell_bit_reads < t.cell_bit_reads
    assert 0 < sparse.overhead.tally.bit_reads < t.bit_reads


def test_tmr_of_every_bit_outvotes_a_single_copys_position_error(
    graph: IntGraph, images: np.ndarray, clean: np.ndarray
) -> None:
    arch = small_arch()
    model = FaultModel(graph, arch, FaultConfig(shift=1e-3), Mitigation.parse("tmr_msb:8"))
    lanes = np.arange(4)
    model.begin(lanes)
    rng = np.random.default_rng(2)
    for name, s in model.weights.streams.items():
        w = model.weights.intended[name].reshape(s.out_channels, s.k).astype(np.int64)
        one_off = rng.choice([-2, -1, 1, 2], size=(len(lanes), s.reads))
        errs = [one_off, np.zeros_like(one_off), np.zeros_like(one_off)]
        got = model.weights.read_weights(name, lanes, errs)
        assert got is not None  # the misaligned copy's reads are looked at, and outvoted
        np.testing.assert_array_equal(got, np.broadcast_to(w, got.shape))
        bad = model.weights.read_weights(name, lanes, [one_off, one_off, np.zeros_like(one_off)])
        assert bad is not None and not np.array_equal(bad, np.broadcast_to(w, bad.shape))
    # in whole runs (misalignments persist, so two copies of one MU can both be off; the
    # activation streams are not protected) TMR leaves fewer inferences wrong
    bad = run_with_faults(graph, images, arch, "shift=5e-4", None, seed=4)
    tmr = run_with_faults(graph, images, arch, "shift=5e-4", "tmr_msb:8", seed=4)
    wrong = [int((r.result.logits != clean).any(axis=1).sum()) for r in (bad, tmr)]
    assert wrong[1] < wrong[0]
    t = tmr.overhead.tally
    assert t.cell_bit_reads > 0 and t.lim_evals > 0 and t.shift_steps > 0
    assert tmr.overhead.storage_fraction == pytest.approx(2.0)


def test_accuracy_under_faults_falls_with_the_rate(graph: IntGraph, images: np.ndarray) -> None:
    arch = small_arch()
    y = np.argmax(run_engine(graph, images, multiplier="booth_r4", adder="ripple_carry").logits, 1)
    assert accuracy_under_faults(graph, images, y, arch, "shift=0") == 1.0
    assert accuracy_under_faults(graph, images, y, arch, "shift=0.3", seed=1) < 1.0
    assert accuracy_under_faults(graph, images, y, arch, "shift=0.3", "position_check", 1) > (
        accuracy_under_faults(graph, images, y, arch, "shift=0.3", None, 1)
    )
    pt = sweep_point(graph, images, y, arch, "shift", 0.3, "position_check", 1)
    assert pt.energy_overhead_pct > 0 and pt.latency_overhead_pct > 0


# -- configuration and bad input ---------------------------------------------------------------


def test_fault_config_parses_and_prints() -> None:
    c = FaultConfig.parse("shift=1e-4, read=1e-6,write=0")
    assert c.as_dict() == {"shift": 1e-4, "read": 1e-6, "write": 0.0} and c.any
    assert FaultConfig.parse(str(c)) == c
    assert not FaultConfig.parse("none").any
    assert Mitigation.parse("position_check:4+tmr_msb") == Mitigation(position_check=4, tmr_msb=2)
    assert Mitigation.parse(Mitigation(position_check=4, tmr_msb=2).name) == Mitigation(
        position_check=4, tmr_msb=2
    )
    assert parse_rates("1e-6..1e-1") == pytest.approx([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    assert parse_rates("1e-4..1e-2", 5)[2] == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("shift=-1e-4", "--faults.shift", "-1e-4"),
        ("read=1.5", "--faults.read", "1.5"),
        ("write=nan", "--faults.write", "nan"),
        ("shift=abc", "--faults.shift", "abc"),
        ("bend=1e-3", "--faults", "bend"),
        ("shift", "--faults.shift", "shift"),
        ("shift=1e-3,shift=1e-4", "--faults.shift", "1e-4"),
    ],
)
def test_bad_fault_config_names_key_value_and_allowed(text: str, key: str, value: str) -> None:
    with pytest.raises(ConfigError) as e:
        FaultConfig.parse(text)
    assert e.value.key == key and str(e.value.value) == value and e.value.allowed


@pytest.mark.parametrize("text", ["magic", "position_check:0", "tmr_msb:x", "none+position_chek"])
def test_bad_mitigation(text: str) -> None:
    with pytest.raises(ConfigError) as e:
        Mitigation.parse(text)
    assert e.value.allowed and e.value.key is not None and e.value.key.startswith("--mitigation")


def test_rates_out_of_range_in_code() -> None:
    with pytest.raises(ConfigError):
        FaultConfig(shift=2.0)
    for bad in ("1e-3..2", "0..1e-2", "1e-1..1e-3", "x"):
        with pytest.raises(ConfigError):
            parse_rates(bad)


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--model", "lenet5", "--faults", "shift=-1"],
        ["simulate", "--model", "lenet5", "--faults", "shift=1.1"],
        ["simulate", "--model", "lenet5", "--faults", "wobble=1e-3"],
        ["simulate", "--model", "lenet5", "--mitigation", "prayer"],
        ["faults", "sweep", "--model", "lenet5", "--kind", "wobble"],
        ["faults", "sweep", "--model", "lenet5", "--mitigation", "prayer"],
        ["faults", "sweep", "--model", "lenet5", "--rates", "1e-3..7"],
        ["faults", "sweep", "--model", "lenet5", "--no-such-option"],
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = int(e.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
