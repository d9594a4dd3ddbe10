"""The FR-FCFS controller: a queue worked by hand, and RTSim's own figures on three traces."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.errors import ConfigError
from rtmcim.memory import Accesses, FrFcfs, load_memory, memory_from_dict, run_trace, run_trace_file
from rtmcim.memory.controller import CommandTiming, StaticShift
from rtmcim.memory.frfcfs import frfcfs_schedule
from rtmcim.memory.trace import map_addresses, schedule
from rtmcim.memory.track import Track

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "rtmcim" / "configs" / "memory"

# 1 bank, 1 subarray, 2 MUs of 16 domains, 2 ports (segments of 8), 32 tracks: word w of 4
# bytes sits in MU w // 16 at domain w % 16. With row_domains 8 a row is one port's segment:
# row id = 2 * MU + domain // 8.
SMALL = {
    "organization": {
        "banks": 1,
        "subarrays_per_bank": 1,
        "mus_per_subarray": 2,
        "mu": {"domains": 16, "ports": 2, "tracks": 32},
    }
}
#          request:  0        1        2        3        4        5        6
MU_DOMAIN = [(0, 1), (0, 12), (0, 3), (0, 5), (1, 2), (0, 2), (0, 14)]
#          row:      0        1        0        0        2        0        1


def hand_queue() -> Accesses:
    words = np.array([16 * m + d for m, d in MU_DOMAIN], dtype=np.int64)
    return Accesses(np.zeros(7, dtype=bool), words * 4, cycle=np.zeros(7, dtype=np.int64))


def test_frfcfs_hand_worked_queue() -> None:
    # Queue depth 4, starvation threshold 2; every request is in the trace at cycle 0, so the
    # queue holds the 4 oldest requests not yet taken, and a taken request's slot is refilled
    # with the next one before the following decision.
    #   decision 0: queue 0 1 2 3, no row open -> oldest: 0; opens row 0           (miss)
    #   decision 1: queue 1 2 3 4, row 0 open, 0 hits served -> oldest in row 0: 2   (hit 1)
    #   decision 2: queue 1 3 4 5, 1 hit served -> 3                                 (hit 2)
    #   decision 3: queue 1 4 5 6, 2 hits served = threshold -> the oldest request to another
    #               row goes first although 5 hits row 0: 1; opens row 1            (miss)
    #   decision 4: queue 4 5 6, row 1 open -> 6                                     (hit)
    #   decision 5: queue 4 5, nothing in row 1 -> oldest: 4; opens row 2            (miss)
    #   decision 6: queue 5 -> 5; opens row 0                                        (miss)
    # Order 0 2 3 1 6 4 5: 3 row hits, 4 activations.
    # Shift steps (static ports, lazy, offset = domain % 8): MU 0 goes 0 -> 1 (1), 3 (2),
    # 5 (2), 12 -> 4 (1), 14 -> 6 (2), 2 (4); MU 1: 2 (2). Total 14. In trace order MU 0 goes
    # 1 (1), 12 -> 4 (3), 3 (1), 5 (2), 2 (3), 14 -> 6 (4) and MU 1 2 (2): total 16.
    mem = memory_from_dict(SMALL)
    acc = hand_queue()
    loc = map_addresses(mem.org, acc)
    policy = FrFcfs(queue_depth=4, starvation_threshold=2, row_domains=8)
    s = schedule(mem.org, acc, loc, "frfcfs", policy)
    assert list(s.order) == [0, 2, 3, 1, 6, 4, 5]
    assert (s.row_hits, s.activations) == (3, 4)
    assert list(s.steps) == [1, 2, 2, 1, 2, 2, 4]
    assert run_trace(mem, acc, controller="frfcfs", policy=policy).mu_shift_steps == 14
    assert run_trace(mem, acc).mu_shift_steps == 16
    # the same steps as the vectorised shift counter applied in issue order
    o = s.order
    assert list(mem.org.shift_steps(loc.mu_global[o], loc.domain[o])) == list(s.steps)
    # threshold 4: decision 3 serves the row-0 hit 5 before the starved 1
    s4 = schedule(mem.org, acc, loc, "frfcfs", FrFcfs(4, 4, 8))
    assert list(s4.order) == [0, 2, 3, 5, 1, 6, 4]
    # a queue of one sees one request at a time: trace order
    assert list(schedule(mem.org, acc, loc, "frfcfs", FrFcfs(1, 2, 8)).order) == list(range(7))


def test_late_arrivals_are_not_reordered() -> None:
    # requests 1000 cycles apart arrive after the controller is idle: served in trace order
    mem = memory_from_dict(SMALL)
    acc = hand_queue()
    late = Accesses(acc.is_write, acc.address, cycle=np.arange(7, dtype=np.int64) * 1000)
    loc = map_addresses(mem.org, late)
    s = schedule(mem.org, late, loc, "frfcfs", FrFcfs(4, 2, 8))
    assert list(s.order) == list(range(7))
    assert s.last_cycle > 6000


@pytest.mark.parametrize(
    ("kw", "key"),
    [({"queue_depth": 0}, "queue_depth"), ({"row_domains": 0}, "row_domains")],
)
def test_policy_is_validated(kw: dict[str, int], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        FrFcfs(**kw)


def rtsim_issue_traces(folder: Path) -> dict[str, Path]:
    """The three traces of issue 13, from its generator (random.seed(1), no header line)."""
    random.seed(1)
    data = "00" * 64
    seq = [("R", 64 * i) for i in range(4096)]
    rand = [("R", random.randrange(0, 1 << 20, 64)) for _ in range(4096)]
    mixed = []
    for _ in range(4096):
        op = "W" if random.random() < 0.3 else "R"
        mixed.append((op, random.randrange(0, 1 << 20, 64)))
    out = {}
    for name, accs in (("seq_reads", seq), ("rand_reads", rand), ("mixed", mixed)):
        p = folder / f"{name}.nvt"
        p.write_text("".join(f"{i * 4} {op} 0x{a:x} {data} 0\n" for i, (op, a) in enumerate(accs)))
        out[name] = p
    return out


# RTSim (tud-ccc/RTSim 918a40b, Config/RM.config, nvmain.fast): reads, writes, totalnumShifts,
# shiftEnergy in nJ, rb_hits, activates
RTSIM = {
    "seq_reads": (4095, 0, 358_720, 218.595, 3221, 874),
    "rand_reads": (4095, 0, 1_415_552, 862.602, 265, 3830),
    "mixed": (2802, 1293, 1_438_144, 876.369, 248, 3847),
}


def test_rtsim_figures_on_the_issue_traces(tmp_path: Path) -> None:
    mem = load_memory(CONFIGS / "rtsim-rm.yaml")
    for name, path in rtsim_issue_traces(tmp_path).items():
        reads, writes, shifts, energy_nj, hits, acts = RTSIM[name]
        r = run_trace_file(mem, path, compat="rtsim", controller="frfcfs")
        assert (r.reads, r.writes, r.track_shifts) == (reads, writes, shifts), name
        assert r.shift_energy_pj / 1000 == pytest.approx(energy_nj, rel=1e-3), name
        assert (r.row_hits, r.activations) == (hits, acts), name
    # in trace order the sequential stream walks each DBC once: 64 x 93 MU steps
    seq = run_trace_file(mem, tmp_path / "seq_reads.nvt", compat="rtsim")
    assert seq.mu_shift_steps == 64 * 93


def more_rtsim_traces(folder: Path) -> dict[str, Path]:
    """Five more traces (one random.Random(7) stream, in this order; no header line)."""
    r = random.Random(7)
    specs: dict[str, list[tuple[int, str, int]]] = {}
    specs["w100"] = [(i * 4, "W", r.randrange(0, 1 << 20, 64)) for i in range(3000)]
    specs["w50"] = [
        (i * 4, "W" if r.random() < 0.5 else "R", r.randrange(0, 1 << 20, 64)) for i in range(3000)
    ]
    specs["hot"] = [
        (i * 4, "W" if r.random() < 0.3 else "R", r.randrange(0, 1 << 14, 64)) for i in range(3000)
    ]
    bursty, c = [], 0
    for _ in range(3000):  # idle gaps and bursts: arrival times decide what is queued
        c += r.choice([0, 0, 1, 2, 50, 200])
        bursty.append((c, "W" if r.random() < 0.3 else "R", r.randrange(0, 1 << 16, 64)))
    specs["bursty"] = bursty
    for _ in range(3000):  # a trace of unaligned addresses above 1 MiB, not kept here
        r.random(), r.randrange(0, 1 << 30)
    specs["zero"] = [  # every request at cycle 0
        (0, "W" if r.random() < 0.3 else "R", r.randrange(0, 1 << 18, 64)) for i in range(3000)
    ]
    out = {}
    for name, rows in specs.items():
        p = folder / f"{name}.nvt"
        p.write_text("".join(f"{c} {op} 0x{a:x} {'00' * 64} 0\n" for c, op, a in rows))
        out[name] = p
    return out


# RTSim as above on these: reads, writes, totalnumShifts, shiftEnergy (nJ), rb_hits, activates
RTSIM_MORE = {
    "w100": (0, 2999, 1_090_464, 664.501, 184, 2815),
    "w50": (1471, 1528, 1_048_160, 638.722, 188, 2811),
    "hot": (2088, 911, 1_026_624, 625.599, 2365, 634),
    "bursty": (2140, 859, 1_041_216, 634.491, 277, 2722),
    "zero": (2109, 890, 1_029_248, 627.198, 628, 2371),
}


def test_rtsim_figures_on_writes_hot_rows_bursts_and_cycle_zero(tmp_path: Path) -> None:
    mem = load_memory(CONFIGS / "rtsim-rm.yaml")
    for name, path in more_rtsim_traces(tmp_path).items():
        reads, writes, shifts, energy_nj, hits, acts = RTSIM_MORE[name]
        r = run_trace_file(mem, path, compat="rtsim", controller="frfcfs")
        assert (r.reads, r.writes, r.track_shifts) == (reads, writes, shifts), name
        assert r.shift_energy_pj / 1000 == pytest.approx(energy_nj, rel=1e-3), name
        assert (r.row_hits, r.activations) == (hits, acts), name


@pytest.mark.parametrize(("port", "update"), [("nearest", "lazy"), ("static", "eager")])
def test_frfcfs_steps_follow_the_port_policies(port: str, update: str) -> None:
    # the controller's own step count (for its timing) equals the shift counter run in
    # issue order, whatever the policies
    data = {**SMALL, "organization": {**SMALL["organization"], "port_policy": port}}  # type: ignore[dict-item]
    data["organization"]["update_policy"] = update  # type: ignore[index]
    mem = memory_from_dict(data)
    rng = np.random.default_rng(11)
    acc = Accesses(
        rng.random(300) < 0.3, rng.integers(0, 32, 300) * 4, cycle=np.zeros(300, np.int64)
    )
    loc = map_addresses(mem.org, acc)
    s = schedule(mem.org, acc, loc, "frfcfs", FrFcfs(8, 2, 8))
    o = s.order
    assert sorted(o) == list(range(300))
    assert list(mem.org.shift_steps(loc.mu_global[o], loc.domain[o])) == list(s.steps)


def _shift_of(kind: str, unit: np.ndarray, domain: np.ndarray) -> StaticShift | object:
    """The shift counter of one replay: static ports (lazy or eager) or a fresh callable."""
    if kind != "nearest":
        return StaticShift(unit, domain, 16, 2, 6, eager=kind == "eager")
    tracks = [Track(16, 2, "nearest", "lazy") for _ in range(6)]
    return lambda i: tracks[int(unit[i])].access(int(domain[i]))


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 40),  # queue depth
    st.integers(0, 6),  # starvation threshold
    st.sampled_from([4, 8, 16]),  # row domains
    st.lists(st.integers(0, 12), min_size=16, max_size=16),  # command timing
    st.sampled_from([0, 1, 3, 20]),  # mean cycles between requests
    st.sampled_from(["lazy", "eager", "nearest"]),  # static lazy / static eager / callable
    st.sampled_from([1, 10**12, 0]),  # row ids given, too far apart for a table, or implied
)
def test_compiled_decisions_equal_the_python_reference(
    seed: int,
    depth: int,
    thr: int,
    row_domains: int,
    t: list[int],
    spacing: int,
    kind: str,
    row_scale: int,
) -> None:
    # _native.frfcfs transcribes take_decisions into C; whatever the timing values, arrivals,
    # policy and shift counter, its result must be the Python loop's
    timing = CommandTiming(
        t_rcd=t[0], t_rp=max(1, t[1]), t_burst=t[2], t_rtp=t[3], t_cwd=t[4], t_cas=t[5],
        t_wtr=t[6], t_wr=t[7], t_wp=t[8], t_rrd=t[9], t_sh=t[9] % 3, t_ras=t[10],
        t_al=t[11] % 3, t_ccd=t[12], t_rtrs=t[13] % 4, t_raw=t[14], raw=1 + t[15] % 5,
        t_cmd=t[15],
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    n = 3000
    unit = rng.integers(0, 6, n)
    domain = rng.integers(0, 16, n)
    row = unit * (16 // row_domains) + domain // row_domains
    cycle = np.cumsum(rng.integers(0, 2 * spacing + 1, n)) if spacing else None
    is_write = rng.random(n) < 0.3
    policy = FrFcfs(depth, thr, row_domains, timing)
    # 0: static ports leave the rows to the controller (MU x row_domains domains)
    given = None if row_scale == 0 and kind != "nearest" else row * max(row_scale, 1)
    fast = frfcfs_schedule(given, is_write, cycle, _shift_of(kind, unit, domain), policy)  # type: ignore[arg-type]
    ref = frfcfs_schedule(
        row,
        is_write,
        cycle,
        _shift_of(kind, unit, domain),
        policy,
        native=False,  # type: ignore[arg-type]
    )
    assert list(fast.order) == list(ref.order) and list(fast.steps) == list(ref.steps)
    assert (fast.row_hits, fast.activations, fast.last_cycle) == (
        ref.row_hits,
        ref.activations,
        ref.last_cycle,
    )


def test_the_compiled_loop_is_built() -> None:
    # pip builds rtmcim.memory._native (setup.py); without it every replay falls back to the
    # Python references, correct but about 100x slower: a stale venv needs `make venv`
    from rtmcim.memory import _native

    assert callable(_native.frfcfs) and callable(_native.parse_chunk)


@pytest.mark.slow
def test_rtsim_figures_on_the_benchmark_million(tmp_path: Path) -> None:
    # benchmarks/bench_rtsim_replay.py's trace: 1,000,000 lines, 30 % writes, random.Random(13).
    # RTSim (918a40b, Config/RM.config, nvmain.fast, built with g++ -O3 for issue 13) on it:
    # reads 700263, writes 299736, totalnumShifts 341055584, shiftEnergy 207831nJ,
    # rb_hits 61038, activates 938961
    rng = random.Random(13)
    path = tmp_path / "million.nvt"
    data = "00" * 64
    with path.open("w") as f:
        for i in range(1_000_000):
            op = "W" if rng.random() < 0.3 else "R"
            f.write(f"{i * 4} {op} 0x{rng.randrange(0, 1 << 20, 64):x} {data} 0\n")
    mem = load_memory(CONFIGS / "rtsim-rm.yaml")
    r = run_trace_file(mem, path, compat="rtsim", controller="frfcfs")
    assert (r.reads, r.writes, r.track_shifts) == (700_263, 299_736, 341_055_584)
    assert (r.row_hits, r.activations) == (61_038, 938_961)
    assert r.shift_energy_pj / 1000 == pytest.approx(207_831, rel=1e-5)
