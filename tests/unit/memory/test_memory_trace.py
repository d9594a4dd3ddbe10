"""The access-trace runner: parsing, the address map, and shift counts derived by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtmcim.errors import TraceError
from rtmcim.memory import (
    Accesses,
    Memory,
    expected_random_shift_steps,
    htree_mm,
    map_addresses,
    memory_from_dict,
    parse_trace_text,
    read_trace,
    run_trace,
    run_trace_file,
)

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "rtmcim" / "configs" / "memory"


def small(port_policy: str = "static", update_policy: str = "lazy", ports: int = 2) -> Memory:
    """1 bank x 1 subarray x 4 MUs of 64 domains x 32 tracks: 256 words of 4 bytes."""
    return memory_from_dict(
        {
            "tech": "rtm-32nm-array",
            "organization": {
                "banks": 1,
                "subarrays_per_bank": 1,
                "mus_per_subarray": 4,
                "mu": {"domains": 64, "ports": ports, "tracks": 32},
                "port_policy": port_policy,
                "update_policy": update_policy,
            },
        }
    )


def sequential(passes: int) -> Accesses:
    words = np.tile(np.arange(256), passes)
    return Accesses(np.zeros(words.size, dtype=bool), (words * 4).astype(np.int64))


@pytest.mark.parametrize("port_policy", ["static", "nearest"])
def test_sequential_stream_lazy(port_policy: str) -> None:
    # Word w lives in MU w // 64 at domain w % 64; each MU sees domains 0..63
    # in order. Segment S = 32: port 0 serves 0..31 at offsets 0..31, port 1
    # serves 32..63 at offsets 0..31.
    # First pass, per MU: 31 one-step moves (0 -> 31), a jump back 31 -> 0 for
    # domain 32, 31 one-step moves again: 31 + 31 + 31 = 93 = (2P - 1)(S - 1).
    # Second pass, per MU: the MU sits at offset 31, so domain 0 costs 31, then
    # the same 93: 124. Four MUs, two passes: 4 x (93 + 124) = 868.
    # nearest gives the same: stepping forward one domain is always 1 step under
    # the current port (the other port is 33 away), and the hop to domain 32 or
    # back to 0 has only one legal port (port 1 is the last; offset 0 has no
    # backward alternative).
    mem = small(port_policy)
    assert run_trace(mem, sequential(1)).mu_shift_steps == 4 * 93
    res = run_trace(mem, sequential(2))
    assert res.mu_shift_steps == 4 * (93 + 124) == 868
    assert res.reads == 512 and res.writes == 0 and res.mus_touched == 4
    assert res.max_shift_steps == 31
    # each MU-step moves 32 tracks
    assert res.tally.shift_steps == 868 * 32
    assert res.tally.shift_cycles == 868


def test_sequential_stream_eager() -> None:
    # eager static: every access shifts out d % 32 and back: per MU per pass
    # 2 x 2 x (0 + 1 + ... + 31) = 4 x 496 = 1984; 4 MUs x 2 passes = 15872
    res = run_trace(small("static", "eager"), sequential(2))
    assert res.mu_shift_steps == 2 * 4 * 1984 == 15872


def test_random_stream_matches_the_hand_derived_mean() -> None:
    # Uniform random domains: lazy static costs E|X - Y|, X, Y uniform on 0..31,
    # = (S² - 1) / (3 S) = 1023 / 96 = 10.65625 steps per access (the first
    # access of each MU starts from 0, a negligible bias over 200,000 accesses);
    # eager static costs 2 E[X] = 31. Standard deviation per access is about
    # 7.5 (lazy) and 18.5 (eager), so the standard error of the mean over
    # 200,000 accesses is below 0.05; we allow 0.15.
    rng = np.random.default_rng(2026)
    n = 200_000
    acc = Accesses(rng.random(n) < 0.5, rng.integers(0, 256, n).astype(np.int64) * 4)
    lazy = run_trace(small("static", "lazy"), acc)
    assert lazy.mean_shift_steps == pytest.approx(1023 / 96, abs=0.15)
    eager = run_trace(small("static", "eager"), acc)
    assert eager.mean_shift_steps == pytest.approx(31, abs=0.15)
    # and exactly: eager cost is 2 (d % 32) access by access
    d = (acc.address // 4) % 64
    assert eager.mu_shift_steps == int((2 * (d % 32)).sum())
    assert lazy.reads + lazy.writes == n
    # nearest + lazy has no short formula; the Markov-chain expectation the
    # report prints must match what the runner counts
    near = small("nearest", "lazy")
    mean = run_trace(near, acc).mean_shift_steps
    assert mean == pytest.approx(expected_random_shift_steps(near.org), abs=0.15)
    assert mean < lazy.mean_shift_steps


def test_trace_energy_and_latency_are_priced_tallies() -> None:
    mem = small()
    acc = parse_trace_text("W 0x0\nR 0x7c\nR 4\n", "t")
    res = run_trace(mem, acc)
    # steps: W domain 0 -> 0; R domain 31 -> 31; R domain 1 -> 30
    assert res.mu_shift_steps == 61
    tech = mem.tech
    assert res.cost.energy_pj["shift"] == pytest.approx(61 * 32 * tech.rtm.shift_energy_pj)
    assert res.cost.energy_pj["read"] == pytest.approx(2 * 32 * tech.rtm.read_energy_pj)
    assert res.cost.energy_pj["write"] == pytest.approx(32 * tech.rtm.write_energy_pj)
    lat = 61 * tech.rtm.shift_latency_ns + 2 * tech.rtm.read_latency_ns + tech.rtm.write_latency_ns
    # the H-tree: a read goes down and comes back, a write goes down (one route each way)
    route_ns = htree_mm(mem.org, tech) * tech.wire.bus_latency_ns_per_mm
    assert res.cost.latency_ns == pytest.approx(lat + (2 * 2 + 1) * route_ns)
    assert res.cost.energy_pj["leakage"] == pytest.approx(res.leakage_mw * res.cost.latency_ns)


def test_address_map() -> None:
    mem = memory_from_dict(
        {
            "organization": {
                "banks": 2,
                "subarrays_per_bank": 3,
                "mus_per_subarray": 5,
                "mu": {"domains": 16, "ports": 2, "tracks": 12},  # 2-byte words
            }
        }
    )
    # capacity 2 x 3 x 5 x 16 = 480 words; byte 2w + 1 lies in word w.
    # MU = w // 16; mu = MU % 5; subarray = (MU // 5) % 3; bank = MU // 15.
    # e.g. w = 479: MU 29, mu 4, subarray 5 % 3 = 2, bank 1, domain 15.
    w = np.array([0, 17, 16 * 5, 16 * 15, 479])
    acc = Accesses(np.zeros(5, dtype=bool), (w * 2 + 1).astype(np.int64))
    loc = map_addresses(mem.org, acc)
    assert list(loc.domain) == [0, 1, 0, 0, 15]
    assert list(loc.mu_global) == [0, 1, 5, 15, 29]
    assert list(loc.mu) == [0, 1, 0, 0, 4]
    assert list(loc.subarray) == [0, 0, 1, 0, 2]
    assert list(loc.bank) == [0, 0, 0, 1, 1]
    beyond = Accesses(np.zeros(1, dtype=bool), np.array([480 * 2], dtype=np.int64), "t.trace")
    with pytest.raises(TraceError, match=r"beyond the memory's capacity .*0x3bf"):
        map_addresses(mem.org, beyond)
    assert list(map_addresses(mem.org, beyond, wrap=True).mu_global) == [0]


def test_nvmain_and_simple_formats() -> None:
    nv = parse_trace_text("NVMV1\n5 R 0x40 00ff 0000 0\n9 W 0x44 0a 1\n", "a")
    simple = parse_trace_text("# comment\nr 64\n\nW 0x44  # trailing\n", "b")
    for acc in (nv, simple):
        assert list(acc.is_write) == [False, True]
        assert list(acc.address) == [64, 68]
    res = run_trace_file(small(), CONFIGS / "example.trace")
    # example.trace: W d0 (0), W d1 (1), R d0 (1), R d31 (31), R d32 -> port 1
    # offset 0 (31), W MU 1 d0 (0), R MU 0 d63 -> offset 31 (31): 95 steps
    assert (res.accesses, res.reads, res.writes, res.mu_shift_steps) == (7, 4, 3, 95)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("R 0x0\nX 0x4\n", 2, "unknown operation 'X'"),
        ("R 0x0\nR 0xzz\n", 2, "address '0xzz'"),
        ("R 0x0\nR -4\n", 2, "address '-4'"),
        ("R\n", 1, "expected 2 or 4-6 fields, got 1"),
        ("1 R 0x0 00 0\nR 0x0\n", 2, "began nvmain"),
        ("x R 0x0 00 0\n", 1, "cycle must be an integer"),
    ],
)
def test_malformed_trace_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    p = tmp_path / "bad.trace"
    p.write_text(text)
    with pytest.raises(TraceError) as e:
        read_trace(p)
    msg = str(e.value)
    assert f"bad.trace:{line}:" in msg and fragment in msg and "allowed: 'OP ADDRESS'" in msg
    assert "\n" not in msg


def test_missing_trace_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="trace file not found"):
        read_trace(tmp_path / "nope.trace")
