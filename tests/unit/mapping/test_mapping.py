"""Mapping: arch validation, placement and capacity, exact weight-stream shift counts, layer costs."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from workloads import lenet_work

from rtmcim.errors import CapacityError, ConfigError
from rtmcim.mapping import arch_from_dict, evaluate_workload, load_arch, place
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import dot_product_tally
from rtmcim.mapping.place import LayerPlacement, word_locations
from rtmcim.mapping.stream import (
    pe_passes,
    weight_stream_steps,
    workload_stream_steps,
    workload_stream_steps_many,
)
from rtmcim.mapping.workload import ComputeWork, Workload
from rtmcim.memory.track import Track


def small_arch(**compute: object) -> dict[str, object]:
    return {
        "name": "small",
        "memory": {
            "banks": 1,
            "subarrays_per_bank": 2,
            "mu_rows": 4,
            "mu_cols": 4,
            "mu": {"domains": 16, "ports": 2, "tracks": 8},
            "port_policy": compute.pop("port_policy", "static"),
            "update_policy": compute.pop("update_policy", "lazy"),
        },
        "compute": {"pe_placement": "subarray", "pes_per_unit": 2, **compute},
    }


def conv(
    name: str = "c", o: int = 3, c: int = 2, hw: int = 4, k: int = 3, bits: int = 4
) -> ComputeWork:
    return ComputeWork(name, "conv", c, hw, hw, o, k, k, 1, 0, bits, bits, bits, True)


def brute_force_steps(arch_data: dict[str, object], lw: ComputeWork) -> np.ndarray:
    """Walk every pass of every PE one access at a time on scalar Track models."""
    return np.array(brute_force_workload(arch_data, Workload("w", (lw,)))[0], dtype=np.int64)


@pytest.mark.parametrize("layout", ["snake", "sequential"])
@pytest.mark.parametrize("policy", [("static", "lazy"), ("nearest", "lazy"), ("static", "eager")])
@pytest.mark.parametrize(
    "o", [3, 5, 11]
)  # fewer filters than PEs (copies), equal-ish, more (rounds)
def test_weight_stream_steps_equal_a_brute_force_walk(
    layout: str, policy: tuple[str, str], o: int
) -> None:
    data = small_arch(data_layout=layout, port_policy=policy[0], update_policy=policy[1])
    lw = conv(o=o, c=3, hw=5, k=3, bits=4)  # K = 27 weights, 2 per 8-bit word -> 14 words
    arch = arch_from_dict(data)
    lp = place(Workload("w", (lw,)), arch).layers[0]
    offsets = np.zeros(arch.org.mus, dtype=np.int64)
    fast = weight_stream_steps(lp, lw, arch, offsets)
    assert fast.tolist() == brute_force_steps(data, lw).tolist()


def pe_word_visits(
    lp: LayerPlacement, lw: ComputeWork, arch: Arch, snake: bool
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Every pass of every PE over its filter words, round by round, PE by PE, in the order
    the PE reads them (odd passes backwards under snake): (PE, PE-local MU and domain of each
    word)."""
    passes = pe_passes(lp, lw, arch.pes)
    for r in range(lp.rounds):
        for pe in range(arch.pes):
            for k in range(int(passes[r, pe])):
                u, d = word_locations(
                    lp.first_word + r * lp.words_per_filter,
                    lp.words_per_filter,
                    arch,
                    reverse=snake and k % 2 == 1,
                )
                yield pe, u, d


def brute_force_workload(arch_data: dict[str, object], work: Workload) -> list[list[int]]:
    """Every pass of every PE of every layer on scalar Track models that persist across layers."""
    arch = arch_from_dict(arch_data)
    placement = place(work, arch)
    org = arch.org
    tracks = [
        Track(org.mu.domains, org.mu.ports, org.port_policy, org.update_policy)
        for _ in range(org.mus)
    ]
    snake = arch.compute.data_layout == "snake"
    out = []
    for lw in work.compute_layers:
        lp = placement.of(lw.name)
        steps = [0] * arch.pes
        for pe, u, d in pe_word_visits(lp, lw, arch, snake):
            for uu, dd in zip(u, d, strict=True):
                steps[pe] += tracks[pe * arch.mus_per_pe + int(uu)].access(int(dd))
        out.append(steps)
    return out


@pytest.mark.parametrize("layout", ["snake", "sequential"])
@pytest.mark.parametrize("policy", [("static", "lazy"), ("nearest", "lazy"), ("static", "eager")])
@pytest.mark.parametrize("word_layout", ["bit_parallel", "bit_serial"])
@pytest.mark.parametrize("ports", [1, 2, 4, 16])
def test_workload_stream_steps_equal_a_brute_force_walk(
    layout: str, policy: tuple[str, str], word_layout: str, ports: int
) -> None:
    """Closed form (static ports) and simulation (nearest) over a whole workload, state carried.

    The layers are chosen so that PEs idle in one layer's last round and work in the next
    (5 filters on 4 PEs, then 3 filters copied over 4 PEs), passes run 1, 2 and many times,
    and filters straddle MU and segment boundaries.
    """
    data = small_arch(
        data_layout=layout, port_policy=policy[0], update_policy=policy[1], word_layout=word_layout
    )
    data["memory"]["mu"]["ports"] = ports  # type: ignore[index]
    data["memory"]["mu_rows"] = 8  # type: ignore[index]  # room for bit-serial filters
    work = Workload(
        "w",
        (
            conv("a", o=5, c=3, hw=5, k=3, bits=4),  # 9 positions, 2 rounds, last one partial
            conv("b", o=3, c=5, hw=4, k=3, bits=4),  # 4 positions over 1 copy per filter
            ComputeWork("f", "fc", 37, 1, 1, 6, 1, 1, 1, 0, 4, 4, 4, True),  # 1 pass per round
            ComputeWork("g", "fc", 6, 1, 1, 2, 1, 1, 1, 0, 4, 4, 0, False),  # 2 copies, 1 idle
        ),
    )
    arch = arch_from_dict(data)
    got = workload_stream_steps(work, place(work, arch), arch)
    assert [g.tolist() for g in got] == brute_force_workload(data, work)


def test_many_stream_problems_at_once_equal_each_alone() -> None:
    """Static-port problems are solved together in flat arrays; mixing geometries, layouts,
    policies and word layouts in one call gives each problem what it gets alone."""
    work = lenet_work(4)
    problems = []
    for domains, ports, layout, update, word, port_policy in [
        (64, 2, "snake", "lazy", "bit_parallel", "static"),
        (32, 4, "sequential", "lazy", "bit_parallel", "static"),
        (64, 1, "snake", "eager", "bit_parallel", "static"),
        (64, 8, "sequential", "lazy", "bit_parallel", "nearest"),
        (128, 4, "snake", "lazy", "bit_serial", "static"),
        (64, 16, "sequential", "eager", "bit_parallel", "static"),
    ]:
        data = load_arch("default").config.model_dump()
        data["memory"]["mu"].update(domains=domains, ports=ports)
        data["memory"].update(update_policy=update, port_policy=port_policy)
        data["compute"].update(data_layout=layout, word_layout=word)
        arch = arch_from_dict(data)
        problems.append((work, place(work, arch), arch))
    together = workload_stream_steps_many(problems)
    for (w, pl, arch), got in zip(problems, together, strict=True):
        offsets = np.zeros(arch.org.mus, dtype=np.int64)  # the simulation, state carried
        alone = [weight_stream_steps(pl.of(lw.name), lw, arch, offsets) for lw in w.compute_layers]
        assert [g.tolist() for g in got] == [x.tolist() for x in alone]


def test_snake_shifts_no_more_than_sequential() -> None:
    work = lenet_work()
    seq = evaluate_workload(work, load_arch_variant(data_layout="sequential"))
    snk = evaluate_workload(work, load_arch_variant(data_layout="snake"))
    for a, b in zip(seq.layers, snk.layers, strict=True):
        assert b.shift_steps <= a.shift_steps
    assert snk.tally.shift_steps < seq.tally.shift_steps


def load_arch_variant(**compute: object) -> object:
    base = load_arch("default").config.model_dump()
    base["compute"].update(compute)
    return arch_from_dict(base)


def test_default_arch_places_lenet_and_counts_macs() -> None:
    ev = evaluate_workload(lenet_work(), load_arch("default"))
    # LeNet-5 MACs: 6*784*25 + 16*100*150 + 120*400 + 84*120 + 10*84
    assert ev.macs == 117_600 + 240_000 + 48_000 + 10_080 + 840
    names = [lc.name for lc in ev.layers]
    assert names == ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3"]
    # 64 PEs: conv1 has 6 filters -> 10 copies each = 60 PEs busy, positions split 784/10 -> 79 max
    c1 = ev.layers[0]
    assert c1.active_pes == 60
    assert c1.utilization == pytest.approx(117_600 / (64 * 79 * 25))
    # fc1: 120 filters on 64 PEs -> 2 rounds, busiest PE 2 outputs
    assert ev.layers[4].utilization == pytest.approx(48_000 / (64 * 2 * 400))
    assert ev.latency_ns == pytest.approx(sum(lc.latency_ns for lc in ev.layers))
    assert ev.total_energy_pj > 0 and ev.peak_power_mw > 0
    assert set(ev.area_um2) == {"memory_arrays", "memory_periphery", "pe_cells", "cmos_periphery"}


def test_compute_events_are_outputs_times_the_mac_cell() -> None:
    arch = load_arch("default")
    ev = evaluate_workload(lenet_work(), arch)
    for lw, lc in zip(lenet_work().layers, ev.layers, strict=True):
        if isinstance(lw, ComputeWork):
            assert lc.compute == dot_product_tally(lw, arch).parallel(lw.output_count)


def test_repricing_needs_no_remapping() -> None:
    from rtmcim.tech import price

    work = lenet_work()
    ev = evaluate_workload(work, load_arch("default"))
    # another technology that changes prices, not the floorplan: slower MTJ writes, dearer logic
    data = load_arch("default").config.model_dump()
    data["tech_overrides"] = {"dwm_cell.write_pulse_ns": 9.2, "lim.eval_energy_pj": 0.05}
    other = arch_from_dict(data)
    again = evaluate_workload(work, other)
    for a, b in zip(ev.layers, again.layers, strict=True):
        assert a.tally == b.tally  # the events do not depend on the prices
        cost = price(a.tally, other.prices, leakage_mw=again.leakage_mw)
        assert cost.latency_ns == pytest.approx(b.latency_ns, rel=1e-12)
        assert cost.total_energy_pj == pytest.approx(b.total_energy_pj, rel=1e-12)
    assert again.latency_ns > ev.latency_ns and again.total_energy_pj > ev.total_energy_pj


def test_capacity_error_says_how_much_is_missing() -> None:
    data = small_arch()
    with pytest.raises(CapacityError) as exc:
        place(lenet_work(), arch_from_dict(data))
    msg = str(exc.value)
    assert "words per PE" in msg and "short" in msg


def test_bad_arch_names_key_and_allowed() -> None:
    data = small_arch(multiplier="karatsuba")
    with pytest.raises(ConfigError, match=r"compute\.multiplier = 'karatsuba'.*booth_r4"):
        arch_from_dict(data)
    with pytest.raises(ConfigError, match="pes_per_unit"):
        arch_from_dict(small_arch(pes_per_unit=3))
    with pytest.raises(ConfigError, match="unknown arch"):
        load_arch("no-such-arch")


def test_bit_serial_layout_words() -> None:
    from rtmcim.mapping.place import words_per_filter

    arch = arch_from_dict(small_arch(word_layout="bit_serial"))
    lw = conv(c=3, k=3, bits=4)  # K = 27 on 8 tracks -> 4 groups of 4 domains
    assert words_per_filter(lw, arch) == (math.ceil(27 / 8) * 4, 27 / 16)
    par = arch_from_dict(small_arch())
    assert words_per_filter(lw, par) == (14, 2.0)


@pytest.mark.parametrize("layout", ["snake", "sequential"])
def test_weight_stream_steps_agree_with_the_trace_runner(layout: str) -> None:
    """The same access sequence, as byte addresses, through rtmcim.memory.trace.run_trace."""
    from rtmcim.memory.organization import memory_from_dict
    from rtmcim.memory.trace import Accesses, run_trace, word_bytes

    data = small_arch(data_layout=layout)
    arch = arch_from_dict(data)
    lw = conv(o=5, c=3, hw=5, k=3, bits=4)
    lp = place(Workload("w", (lw,)), arch).layers[0]
    words: list[int] = []
    for pe, u, d in pe_word_visits(lp, lw, arch, layout == "snake"):
        # trace address map: global MU = word // domains, domain = word % domains
        words += ((pe * arch.mus_per_pe + u) * arch.org.mu.domains + d).tolist()
    mem = memory_from_dict({"organization": data["memory"]})
    acc = Accesses(
        np.zeros(len(words), dtype=bool), np.array(words, dtype=np.int64) * word_bytes(mem.org)
    )
    res = run_trace(mem, acc)
    steps = weight_stream_steps(lp, lw, arch, np.zeros(arch.org.mus, dtype=np.int64))
    assert res.mu_shift_steps == int(steps.sum())


def test_more_ports_fewer_weight_shift_steps() -> None:
    steps = []
    for ports in (1, 2, 4, 8):
        data = load_arch("default").config.model_dump()
        data["memory"]["mu"]["ports"] = ports
        ev = evaluate_workload(lenet_work(), arch_from_dict(data))
        steps.append(ev.tally.shift_steps)
    assert steps == sorted(steps, reverse=True) and steps[0] > steps[-1]


def test_more_pes_lower_latency_more_area_until_utilization_caps() -> None:
    lat, area = [], []
    for pes in (1, 2, 4, 8):
        data = load_arch("default").config.model_dump()
        data["compute"]["pes_per_unit"] = pes
        ev = evaluate_workload(lenet_work(), arch_from_dict(data))
        lat.append(ev.latency_ns)
        area.append(ev.total_area_um2)
    assert lat == sorted(lat, reverse=True) and lat[0] > 2 * lat[-1]
    assert area == sorted(area) and area[0] < area[-1]
    # fc3 has 10 filters and one output position: past 10 PEs, more PEs sit idle and its
    # latency stops falling (utilization caps it)
    fc3 = []
    for pes in (4, 8):
        data = load_arch("default").config.model_dump()
        data["compute"]["pes_per_unit"] = pes
        fc3.append(evaluate_workload(lenet_work(), arch_from_dict(data)).layers[-1])
    assert fc3[0].latency_ns == pytest.approx(fc3[1].latency_ns)
    assert fc3[1].utilization == pytest.approx(fc3[0].utilization / 2)


def test_fewer_bits_less_energy() -> None:
    arch = load_arch("default")
    energy = [evaluate_workload(lenet_work(bits), arch).total_energy_pj for bits in (8, 6, 4, 2)]
    assert energy == sorted(energy, reverse=True)
