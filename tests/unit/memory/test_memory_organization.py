"""MU and organisation cost models: golden numbers, trends and config validation."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from rtmcim.errors import ConfigError
from rtmcim.memory import (
    Accesses,
    MuGeometry,
    access_tallies,
    expected_random_shift_steps,
    load_memory,
    memory_from_dict,
    memory_report,
    mu_area,
    run_trace,
    shift_tally,
    word_read_tally,
)
from rtmcim.tally import Tally
from rtmcim.tech import load_tech

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "rtmcim" / "configs" / "memory"
F2_UM2 = 0.032**2  # one F² at 32 nm, in µm²


def org(**over: object) -> dict:
    base: dict = {
        "banks": 1,
        "subarrays_per_bank": 1,
        "mus_per_subarray": 16,
        "mu": {"domains": 64, "ports": 2, "tracks": 32},
    }
    mu = over.pop("mu", None)
    base.update(over)
    if mu:
        base["mu"] = {**base["mu"], **mu}  # type: ignore[dict-item]
    return {"tech": "rtm-32nm-array", "organization": base}


def test_per_event_config_golden() -> None:
    # the default organisation under the per-event preset (array-level.yaml = default.yaml
    # with tech: rtm-32nm-array): every figure by hand
    r = memory_report(load_memory(CONFIGS / "array-level.yaml"))
    # capacity: 4 banks x 16 subarrays x (16 x 16) MUs x 64 domains x 32 tracks
    assert r.org.mus == 4 * 16 * 256 == 16384
    assert r.org.capacity_bits == 16384 * 64 * 32 == 4 * 2**20 * 8 == 8 * r.capacity_bytes
    # MU: RTM strip 32 x (64 + 31 overhead) x 2 F² = 6080 F²; access transistors
    # 32 tracks x 2 ports x 2 transistors x 12 F² = 1536 F²; strip wins;
    # shift drivers 32 x 40 F² = 1280 F²  ->  7360 F² = 7.53664 µm²
    assert r.area.mu.rtm_strip_f2 == 6080
    assert r.area.mu.access_transistors_f2 == 1536
    assert r.area.mu.total_f2 == 7360
    assert r.area.mu.total_um2 == pytest.approx(7360 * F2_UM2)
    # periphery per subarray (transistors): decoder 16 rows x 2 ports x 4 = 128,
    # sense amps 32 x 10 = 320, write drivers 32 x 6 = 192, column mux 32 x 16 = 512,
    # shift control 256 MUs x 20 = 5120; total 6272 x 30 F² = 188160 F²
    periphery_um2 = 6272 * 30 * F2_UM2
    subarray_um2 = 256 * 7360 * F2_UM2 + periphery_um2
    assert r.area.subarray_um2 == pytest.approx(subarray_um2) == pytest.approx(2122.05568)
    assert r.area.parts_um2["shift_control"] == pytest.approx(64 * 5120 * 30 * F2_UM2)
    chip_um2 = 64 * subarray_um2
    assert r.area.chip_mm2 == pytest.approx(chip_um2 / 1e6) == pytest.approx(0.13581156352)
    assert r.area.array_efficiency == pytest.approx(256 * 7360 / (256 * 7360 + 188160))
    assert r.area.array_efficiency == pytest.approx(0.9092032, rel=1e-6)
    # leakage: 64 subarrays x 6272 transistors x 1 nW = 0.401408 mW
    assert r.leakage_mw == pytest.approx(0.401408)
    # H-tree: side of the chip, sqrt(0.13581 mm²) = 0.36853 mm, 0.1 ns/mm: 0.036853 ns a way
    htree = math.sqrt(chip_um2 / 1e6)
    assert r.htree_mm == pytest.approx(htree) == pytest.approx(0.368526, rel=1e-5)
    way = htree * 0.1
    # read: address down, data up; 32 data + 20 address bits (2^20 words) x 0.3685 mm x 0.1
    assert r.read_latency_ns == pytest.approx(1.61338 + 2 * way)
    assert r.read_energy_pj == pytest.approx(32 * 2.503 + (32 + 20) * htree * 0.1)
    assert r.read_energy_pj == pytest.approx(82.01234, rel=1e-6)
    assert r.write_latency_ns == pytest.approx(4.84522 + way)
    assert r.write_energy_pj == pytest.approx(32 * 3.406 + (32 + 20) * htree * 0.1)
    # shift: all 32 tracks move one step: 32 x 0.609 pJ = 19.488 pJ, 2.14192 ns
    assert r.shift_energy_pj_per_step == pytest.approx(19.488)
    assert r.shift_latency_ns_per_step == pytest.approx(2.14192)
    # uniform random accesses, static + lazy: E|X - Y| for X, Y uniform on
    # 0..S-1 (S = 32) is (S² - 1) / (3 S) = 1023 / 96 = 10.65625 steps
    assert r.random_shift_steps == pytest.approx(1023 / 96)
    assert r.random_read_latency_ns == pytest.approx(1.61338 + 2 * way + 1023 / 96 * 2.14192)


def test_circuit_config_reports_the_circuit_model() -> None:
    from rtmcim.memory.circuit import array_figures

    mem = load_memory(CONFIGS / "default.yaml")  # no tech: the circuit-level default
    assert mem.tech.name == "rtm-32nm" and mem.tech.level == "circuit"
    r = memory_report(mem)
    fig = array_figures(mem.org, mem.tech)
    # what the mapping and the trace runner charge is what the circuit model says
    assert r.read_latency_ns == pytest.approx(fig.read.latency_ns, rel=1e-9)
    assert r.read_energy_pj == pytest.approx(fig.read.energy_pj, rel=1e-9)
    assert r.write_latency_ns == pytest.approx(fig.write.latency_ns, rel=1e-9)
    assert r.write_energy_pj == pytest.approx(fig.write.energy_pj, rel=1e-9)
    assert r.shift_energy_pj_per_step == pytest.approx(fig.shift_step.energy_pj, rel=1e-9)
    assert r.leakage_mw == pytest.approx(fig.leakage_mw)
    assert r.area.chip_um2 == pytest.approx(fig.chip_um2)
    paths = {p.name: p for p in r.paths}
    for op in ("read", "write"):
        local, sub, chip = (paths[f"{w} {op}"] for w in ("local", "subarray", "chip"))
        assert local.energy_pj < sub.energy_pj < chip.energy_pj
        assert local.latency_ns < sub.latency_ns < chip.latency_ns
    for group, parts in r.breakdown.items():
        if group.startswith("read latency"):
            assert sum(parts.values()) == pytest.approx(fig.read.latency_ns)
        if group.startswith("read energy"):
            assert sum(parts.values()) == pytest.approx(fig.read.energy_pj)
    rows = {(x["section"], x["quantity"], x["unit"]) for x in r.rows()}
    # the row names scripts rely on
    for key in (
        ("area", "chip", "mm2"),
        ("read", "word read latency (aligned)", "ns"),
        ("read", "word read energy (aligned)", "pJ"),
        ("write", "word write latency (aligned)", "ns"),
        ("write", "word write energy (aligned)", "pJ"),
        ("power", "leakage (CMOS periphery)", "mW"),
        ("breakdown: read latency", "senseamp", "ns"),
        ("breakdown: shift energy", "shift_driver", "pJ"),
        ("path", "local read energy", "pJ"),
    ):
        assert key in rows, key


def test_expected_random_shift_matches_hand_formulas() -> None:
    def exp(pp: str, up: str) -> float:
        return expected_random_shift_steps(
            memory_from_dict(org(port_policy=pp, update_policy=up)).org
        )

    # eager static: 2 x E[d % S] = 2 x (S - 1) / 2 = 31
    assert exp("static", "eager") == pytest.approx(31)
    # eager nearest: port 0's segment may go back to port 1 (cost 2 min(o, 32 - o)
    # for o > 0), port 1's segment may not (cost 2 o):
    # (2 (1+..+16 + 15+..+1) + 2 (0+..+31)) / 64 = (2 (136 + 120) + 992) / 64 = 23.5
    assert exp("nearest", "eager") == pytest.approx(23.5)
    assert exp("static", "lazy") == pytest.approx(1023 / 96)
    assert exp("nearest", "lazy") < exp("static", "lazy")


def test_mu_event_tallies() -> None:
    g = MuGeometry(domains=64, ports=2, tracks=32)
    assert word_read_tally(g) == Tally(bit_reads=32, read_cycles=1)
    assert shift_tally(g, 5) == Tally(shift_steps=160, shift_cycles=5)


def test_area_grows_with_tracks() -> None:
    tech = load_tech()
    areas = [mu_area(MuGeometry(tracks=t), tech).total_um2 for t in (8, 16, 32, 64)]
    assert areas == sorted(areas) and len(set(areas)) == 4
    chips = [
        memory_report(memory_from_dict(org(mu={"tracks": t}))).area.chip_mm2
        for t in (8, 16, 32, 64)
    ]
    assert chips == sorted(chips) and len(set(chips)) == 4


def test_area_with_ports() -> None:
    # Each port adds access transistors (their footprint grows linearly) but
    # shortens the segment, so fewer overhead domains are needed. With the
    # per-event preset's 12 F² transistors the RTM strip dominates up to 4 ports
    # and the MU area falls; from 8 ports on the transistors dominate and the
    # area grows with every added port.
    tech = load_tech("rtm-32nm-array")
    ports = (1, 2, 4, 8, 16, 32, 64)
    a = [mu_area(MuGeometry(domains=64, ports=p), tech, "static") for p in ports if p <= 16]
    acc = [x.access_transistors_f2 for x in a]
    assert acc == sorted(acc) and len(set(acc)) == len(acc)
    strip = [x.rtm_strip_f2 for x in a]
    assert strip == sorted(strip, reverse=True)
    dominated = [x.total_f2 for x in a if x.limited_by == "access transistors"]
    assert len(dominated) >= 2 and dominated == sorted(dominated)
    # with larger access transistors (40 F², the upper end of 1T-1MTJ cells)
    # the transistors dominate from 2 ports on and area grows with every port;
    # a single port still needs a track of 64 + 63 cells, the largest strip
    big = load_tech("rtm-32nm-array", overrides={"rtm.access_transistor_area_f2": 40.0})
    grown = [mu_area(MuGeometry(domains=64, ports=p), big).total_f2 for p in (2, 4, 8, 16)]
    assert grown == sorted(grown) and len(set(grown)) == 4
    # the circuit-level default (DESTINY's cell: 4 F² domains, one 35 F² access transistor
    # per port) keeps the U-shape with its minimum at 8 ports
    circuit = load_tech("rtm-32nm")
    u = [mu_area(MuGeometry(domains=64, ports=p), circuit).total_f2 for p in (1, 2, 4, 8, 16)]
    assert u[:4] == sorted(u[:4], reverse=True) and u[4] > u[3]


def test_shift_energy_falls_with_ports_on_a_random_stream() -> None:
    rng = np.random.default_rng(7)
    n = 20000
    words = 16 * 64  # 16 MUs x 64 domains, 4-byte words
    acc = Accesses(rng.random(n) < 0.3, rng.integers(0, words, n).astype(np.int64) * 4)
    for pp in ("static", "nearest"):
        energy = []
        for p in (1, 2, 4, 8, 16):
            mem = memory_from_dict(org(mu={"ports": p}, port_policy=pp))
            energy.append(run_trace(mem, acc).cost.energy_pj["shift"])
        assert all(b < a for a, b in itertools.pairwise(energy)), (pp, energy)


def test_access_tallies_include_the_htree() -> None:
    mem = memory_from_dict(org())
    t = access_tallies(mem.org, mem.tech)
    # the word and its address (16 MUs x 64 domains = 2^10 words: 10 bits) cross the route;
    # a write goes down once, a read goes down and back up
    assert t.read.bit_reads == 32 and t.read.bus_cycles == 2 and t.write.bus_cycles == 1
    assert t.read.bus_bit_mm == pytest.approx((32 + 10) * t.htree_mm)


# ------------------------------------------------------------------ bad input


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mem.yaml"
    p.write_text(text)
    return p


GOOD = """\
tech: rtm-32nm-array
organization:
  banks: 2
  subarrays_per_bank: 4
  mus_per_subarray: 64
  mu: {domains: 64, ports: 2, tracks: 32}
"""


def test_good_config_loads_and_round_trips(tmp_path: Path) -> None:
    mem = load_memory(write(tmp_path, GOOD))
    assert mem.org.grid == (8, 8)
    again = memory_from_dict(mem.config.model_dump())
    assert again.config == mem.config


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            GOOD.replace("ports: 2", "ports: 3"),
            [
                "mem.yaml",
                "organization.mu",
                "ports=3",
                "domains=64",
                "allowed ports: 1, 2, 4, 8, 16",
            ],
        ),
        (
            GOOD.replace("banks: 2", "banks: 0"),
            ["organization.banks = 0", "greater than or equal to 1"],
        ),
        (
            GOOD.replace("tracks: 32", "tracks: -4"),
            ["organization.mu.tracks = -4", "greater than or equal to 8"],
        ),
        (
            GOOD.replace("domains: 64", "domains: 1024"),
            ["organization.mu.domains = 1024", "less than or equal to 512"],
        ),
        (GOOD.replace("banks: 2", "bankz: 2"), ["organization.bankz", "unknown key", "banks"]),
        (GOOD + "  banks: 3\n", ["duplicate key", "banks", "line 3", "line 7"]),
        (
            GOOD.replace("port_policy", "x") + "  port_policy: farthest\n",
            ["organization.port_policy = 'farthest'", "static", "nearest"],
        ),
        (GOOD.replace("rtm-32nm-array", "rtm-7nm"), ["tech = 'rtm-7nm'", "rtm-32nm-array"]),
        (
            GOOD + "tech_overrides: {rtm.shift_latency_nss: 1.0}\n",
            ["rtm.shift_latency_nss", "unknown override key", "shift_latency_ns"],
        ),
        (
            GOOD.replace("  mus_per_subarray: 64\n", ""),
            ["organization", "mus_per_subarray, or both mu_rows and mu_cols"],
        ),
    ],
)
def test_bad_config(tmp_path: Path, text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as e:
        load_memory(write(tmp_path, text))
    msg = str(e.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_shipped_configs_load() -> None:
    for p in sorted(CONFIGS.glob("*.yaml")):
        r = memory_report(load_memory(p))
        assert r.capacity_bytes > 0 and 0 < r.area.array_efficiency < 1
