"""Shift counting: the Track model against a physical tape simulation, exhaustively.

The reference below knows nothing about offsets: it keeps the track as a list
of cells (data domains plus empty overhead cells), finds where the wanted
domain physically is, and shifts the whole tape one cell at a time until the
domain sits under a port, failing if any data would fall off an end. Port
choice under ``nearest`` is "fewest steps among the ports that can be reached
without losing data, lowest port on ties"; ``eager`` then shifts back home.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.errors import ConfigError
from rtmcim.memory.track import (
    PORT_POLICIES,
    UPDATE_POLICIES,
    Track,
    overhead_domains,
    shift_steps_vectorized,
)


class Tape:
    """A physical track: ``cells[i]`` holds a domain number or None (overhead)."""

    def __init__(self, domains: int, ports: int, left: int, right: int) -> None:
        seg = domains // ports
        self.cells: list[int | None] = [None] * left + list(range(domains)) + [None] * right
        self.ports = [left + p * seg for p in range(ports)]  # ports at home sit on p*seg
        self.home = left

    def shift(self, direction: int) -> None:
        """Move all data one cell (-1: towards index 0). Data may not fall off."""
        if direction < 0:
            if self.cells[0] is not None:
                raise RuntimeError("data pushed off the left end")
            self.cells = [*self.cells[1:], None]
        else:
            if self.cells[-1] is not None:
                raise RuntimeError("data pushed off the right end")
            self.cells = [None, *self.cells[:-1]]

    def fits(self, delta: int) -> bool:
        """Could the tape move by ``delta`` cells without losing data?"""
        first = self.cells.index(0)
        last = first + sum(c is not None for c in self.cells) - 1
        return first + delta >= 0 and last + delta < len(self.cells)

    def move(self, delta: int) -> int:
        for _ in range(abs(delta)):
            self.shift(1 if delta > 0 else -1)
        return abs(delta)


def physical_steps(
    domains: int, ports: int, port_policy: str, update_policy: str, seq: Sequence[int]
) -> list[int]:
    seg = domains // ports
    # overhead on the side the data moves into: static shifts data one way only
    left = seg - 1
    right = seg - 1 if port_policy == "nearest" else 0
    tape = Tape(domains, ports, left, right)
    out = []
    for d in seq:
        where = tape.cells.index(d)
        candidates = [d // seg] if port_policy == "static" else list(range(ports))
        best = None
        for p in candidates:
            delta = tape.ports[p] - where
            if tape.fits(delta) and (best is None or abs(delta) < abs(best)):
                best = delta
        assert best is not None
        steps = tape.move(best)
        assert any(tape.cells[q] == d for q in tape.ports)  # d now sits under a port
        if update_policy == "eager":
            steps += tape.move(tape.home - tape.cells.index(0))
        assert sorted(c for c in tape.cells if c is not None) == list(range(domains))
        out.append(steps)
    return out


@pytest.mark.parametrize("port_policy", PORT_POLICIES)
@pytest.mark.parametrize("update_policy", UPDATE_POLICIES)
@pytest.mark.parametrize("ports", [1, 2, 4, 8])
def test_exhaustive_8_domain_track(ports: int, port_policy: Any, update_policy: Any) -> None:
    # Every sequence of length <= 4 is a prefix of a length-4 sequence, and the
    # per-access counts of a length-4 sequence include its prefixes' counts.
    seqs = list(itertools.product(range(8), repeat=4))
    scalar = []
    for seq in seqs:
        ref = physical_steps(8, ports, port_policy, update_policy, seq)
        got = Track(8, ports, port_policy, update_policy).run(seq)
        assert got == ref, (seq, got, ref)
        scalar.append(got)
    # the vectorized path, all 4096 sequences at once (one unit per sequence),
    # accesses interleaved across units in time order
    arr = np.array(seqs)
    unit = np.tile(np.arange(len(seqs)), 4)
    dom = arr.T.ravel()
    vec = shift_steps_vectorized(
        unit, dom, domains=8, ports=ports, port_policy=port_policy, update_policy=update_policy
    )
    assert np.array_equal(vec.reshape(4, -1).T, np.array(scalar))


def test_overhead_domains() -> None:
    assert overhead_domains(64, 2) == 31
    assert overhead_domains(64, 4) == 15
    assert overhead_domains(64, 64) == 0
    assert overhead_domains(64, 2, "nearest") == 62


def test_one_overhead_domain_less_loses_data() -> None:
    # reaching the last domain of port 0's segment from home needs seg-1 steps,
    # so with seg-2 overhead cells domain 0 would fall off the track
    tape = Tape(8, 2, left=2, right=0)  # seg = 4, needs 3
    with pytest.raises(RuntimeError, match="pushed off"):
        tape.move(-3)


def test_nearest_uses_the_next_port_backwards() -> None:
    # 8 domains, 2 ports: segments of 4. From home, domain 3 is 3 steps away
    # under its owner port 0 (offset +3) but 1 step away under port 1 (offset -1).
    assert Track(8, 2, "static").access(3) == 3
    assert Track(8, 2, "nearest").access(3) == 1
    # a tie (domain 3 from offset +1: port 0 needs +3, port 1 needs -1, both 2
    # steps) goes to the lower port
    t = Track(8, 2, "nearest")
    assert t.run([1, 3]) == [1, 2]
    assert t.offset == 3


@settings(max_examples=60, deadline=None)
@given(
    geometry=st.sampled_from(
        [(16, 1), (16, 2), (16, 4), (32, 2), (64, 4), (64, 16), (12, 3), (18, 3)]
    ),
    port_policy=st.sampled_from(PORT_POLICIES),
    update_policy=st.sampled_from(UPDATE_POLICIES),
    n_units=st.integers(1, 6),
    data=st.data(),
)
def test_vectorized_equals_scalar(
    geometry: tuple[int, int],
    port_policy: Any,
    update_policy: Any,
    n_units: int,
    data: st.DataObject,
) -> None:
    domains, ports = geometry
    n = data.draw(st.integers(0, 200))
    units = data.draw(st.lists(st.integers(0, n_units - 1), min_size=n, max_size=n))
    doms = data.draw(st.lists(st.integers(0, domains - 1), min_size=n, max_size=n))
    split = data.draw(st.integers(0, n))
    tracks = [Track(domains, ports, port_policy, update_policy) for _ in range(n_units)]
    expected = [tracks[u].access(d) for u, d in zip(units, doms, strict=True)]
    # fed in two chunks: the offsets array carries each unit's position across
    offsets = np.zeros(n_units, dtype=np.int64)
    kw = dict(domains=domains, ports=ports, port_policy=port_policy, update_policy=update_policy)
    a = shift_steps_vectorized(units[:split], doms[:split], offsets=offsets, **kw)
    b = shift_steps_vectorized(units[split:], doms[split:], offsets=offsets, **kw)
    assert list(np.concatenate([a, b])) == expected
    assert list(offsets) == [t.offset for t in tracks]


def test_bad_geometry_names_value_and_allowed() -> None:
    with pytest.raises(ConfigError) as e:
        Track(64, 3)
    msg = str(e.value)
    assert "ports = 3" in msg and "divisor of domains=64" in msg and "1, 2, 4, 8" in msg
    with pytest.raises(ConfigError, match="domains = 0"):
        Track(0, 1)
    with pytest.raises(ConfigError, match="unknown port policy"):
        Track(8, 2, "farthest")  # type: ignore[arg-type]


@pytest.mark.parametrize("update_policy", UPDATE_POLICIES)
def test_vectorized_lockstep_then_python_tail(update_policy: Any) -> None:
    # 200 units get 3 accesses each (numpy lock-step rounds), then 2 units get
    # 500 more (finished in plain Python once fewer than 64 units are busy)
    rng = np.random.default_rng(5)
    units = np.concatenate([np.tile(np.arange(200), 3), rng.integers(0, 2, 1000)])
    doms = rng.integers(0, 32, units.size)
    tracks = [Track(32, 4, "nearest", update_policy) for _ in range(200)]
    expected = [tracks[u].access(d) for u, d in zip(units.tolist(), doms.tolist(), strict=True)]
    offsets = np.zeros(200, dtype=np.int64)
    got = shift_steps_vectorized(
        units,
        doms,
        domains=32,
        ports=4,
        port_policy="nearest",
        update_policy=update_policy,
        offsets=offsets,
    )
    assert got.tolist() == expected
    assert offsets.tolist() == [t.offset for t in tracks]
