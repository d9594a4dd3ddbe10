"""Address maps: every address lands in the organisation; the default map is rtmcim's original."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.errors import ConfigError, TraceError
from rtmcim.mapping import arch_from_dict
from rtmcim.memory import Accesses, AddressMap, load_memory, map_addresses, memory_from_dict

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "rtmcim" / "configs" / "memory"


def org_dict(banks: int, subarrays: int, mus: int, domains: int, tracks: int) -> dict[str, object]:
    return {
        "banks": banks,
        "subarrays_per_bank": subarrays,
        "mus_per_subarray": mus,
        "mu": {"domains": domains, "ports": 2, "tracks": tracks},
    }


ORGS = st.tuples(
    st.integers(1, 4),  # banks
    st.integers(1, 5),  # subarrays per bank
    st.integers(1, 12),  # MUs per subarray
    st.sampled_from([16, 32, 48, 64]),  # domains
    st.sampled_from([8, 12, 24, 32, 64]),  # tracks (12 and 24: words of 2 and 3 bytes)
)


@settings(max_examples=60, deadline=None)
@given(ORGS, st.lists(st.integers(0, 1 << 40), min_size=1, max_size=50))
def test_default_map_is_the_original_mixed_radix(geom: tuple[int, ...], addrs: list[int]) -> None:
    # rtmcim's map before address maps existed, written out independently: a word is
    # ceil(tracks / 8) bytes; domain lowest, then MU, subarray, bank.
    b, s, m, d, t = geom
    mem = memory_from_dict({"organization": org_dict(b, s, m, d, t)})
    words = b * s * m * d
    wb = math.ceil(t / 8)
    a = np.array([x % (words * wb) for x in addrs], dtype=np.int64)
    loc = map_addresses(mem.org, Accesses(np.zeros(a.size, dtype=bool), a))
    w = a // wb
    assert list(loc.domain) == list(w % d)
    assert list(loc.mu) == list((w // d) % m)
    assert list(loc.subarray) == list((w // (d * m)) % s)
    assert list(loc.bank) == list(w // (d * m * s))
    assert list(loc.mu_global) == list(w // d)


@settings(max_examples=60, deadline=None)
@given(
    ORGS,
    st.permutations(["CH", "RK", "BK", "SA", "R", "C"]),
    st.sampled_from([1, 2, 8, 64, 4096]),
    st.lists(st.integers(0, (1 << 62) - 1), min_size=1, max_size=50),
)
def test_every_address_lands_in_the_organisation(
    geom: tuple[int, ...], order: list[str], line: int, addrs: list[int]
) -> None:
    b, s, m, d, t = geom
    amap = {"line_bytes": line, "order": ":".join(order), "above_capacity": "wrap"}
    mem = memory_from_dict({"organization": org_dict(b, s, m, d, t), "address_map": amap})
    a = np.array(addrs, dtype=np.int64)
    loc = map_addresses(
        mem.org, Accesses(np.zeros(a.size, dtype=bool), a), amap=mem.config.address_map
    )
    for arr, hi in ((loc.bank, b), (loc.subarray, s), (loc.mu, m), (loc.domain, d)):
        assert arr.min() >= 0 and arr.max() < hi
    assert loc.mu_global.max() < mem.org.mus
    # the map is a bijection of lines onto (MU, domain) within one capacity
    lines = np.arange(mem.org.words, dtype=np.int64) * line
    full = map_addresses(
        mem.org, Accesses(np.zeros(lines.size, bool), lines), amap=mem.config.address_map
    )
    assert np.unique(full.mu_global * d + full.domain).size == mem.org.words


def test_rtsim_map_is_nvmain_drcdecoder() -> None:
    # RM.config + DRCDecoder: 64-byte lines, column (domain) = next 6 bits, row (DBC) = next 8,
    # higher bits ignored
    mem = load_memory(CONFIGS / "rtsim-rm.yaml")
    rng = np.random.default_rng(3)
    a = rng.integers(0, 1 << 40, 1000)
    loc = map_addresses(mem.org, Accesses(np.zeros(a.size, bool), a), amap=mem.config.address_map)
    assert list(loc.domain) == list((a >> 6) & 63)
    assert list(loc.mu_global) == list((a >> 12) & 255)


def test_error_above_capacity_names_the_line() -> None:
    mem = memory_from_dict(
        {"organization": org_dict(1, 1, 2, 16, 32), "address_map": {"line_bytes": 64}}
    )
    acc = Accesses(np.zeros(2, bool), np.array([0, 32 * 64]), "t.trace", np.array([3, 7]))
    with pytest.raises(TraceError, match=r"t.trace:7: .*beyond the memory's capacity.*0x7ff"):
        map_addresses(mem.org, acc, amap=mem.config.address_map)
    assert list(map_addresses(mem.org, acc, wrap=True, amap=mem.config.address_map).mu_global) == [
        0,
        0,
    ]


@pytest.mark.parametrize(
    ("amap", "fragments"),
    [
        ({"lines": 64}, ["address_map.lines", "unknown key", "line_bytes, order"]),
        ({"order": "R:C"}, ["address_map", "does not cover", "BK (2)", "SA (3)"]),
        ({"order": "BK:SA:R:X"}, ["address_map.order", "unknown field 'X'"]),
        ({"order": "BK:SA:R:C:C"}, ["address_map.order", "'C' appears twice"]),
        ({"line_bytes": 48}, ["address_map.line_bytes = 48", "not a power of two"]),
        ({"above_capacity": "clip"}, ["address_map.above_capacity", "wrap", "error"]),
    ],
)
def test_bad_address_map(amap: dict[str, object], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as e:
        memory_from_dict({"organization": org_dict(2, 3, 4, 16, 32), "address_map": amap}, "m.yaml")
    msg = str(e.value)
    assert msg.startswith("m.yaml:") and "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_arch_configs_take_an_address_map() -> None:
    base = {
        "memory": org_dict(2, 2, 4, 64, 32),
        "compute": {"pe_placement": "subarray"},
    }
    arch = arch_from_dict({**base, "address_map": {"line_bytes": 64, "order": "SA:BK:R:C"}})
    assert arch.config.address_map == AddressMap(line_bytes=64, order="SA:BK:R:C")
    assert arch_from_dict(base).config.address_map == AddressMap()
    with pytest.raises(ConfigError, match="does not cover"):
        arch_from_dict({**base, "address_map": {"order": "R:C"}})
