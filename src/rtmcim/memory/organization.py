"""Subarray, bank and chip organisation of macro units: the memory config and its geometry.

A memory config (YAML) names a technology preset and an organisation::

    tech: rtm-32nm                  # preset name or a preset .yaml path (default: rtm-32nm)
    tech_overrides: {dwm_cell.shift_pulse_ns: 1.5}   # optional
    organization:
      banks: 4
      subarrays_per_bank: 16
      mus_per_subarray: 256         # or mu_rows: 16 and mu_cols: 16
      mu: {domains: 64, ports: 2, tracks: 32}
      port_policy: static           # static | nearest
      update_policy: lazy           # lazy | eager

A subarray is a ``mu_rows x mu_cols`` grid of MUs; each port of each MU row
has its own access wordline; each MU column brings ``tracks`` bitlines, and a
column multiplexer selects one MU column: one word (``tracks`` bits at one
port) per access. What an organisation costs (area, leakage, access events)
is :mod:`rtmcim.memory.costs`; what an event costs, :mod:`rtmcim.memory.pricing`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from rtmcim import yamlio
from rtmcim.config import Frozen, validate
from rtmcim.memory.address_map import AddressMap, covers_if_valid
from rtmcim.memory.macro_unit import MuGeometry
from rtmcim.memory.track import PortPolicy, UpdatePolicy, shift_steps_vectorized
from rtmcim.tech import DEFAULT_PRESET, Prices, Tech, load_tech

MAX_MUS = 2**27
"""Most MUs in one memory: a trace replay or a mapping keeps an 8-byte offset per MU (1 GiB at
this bound, on a 24 GB machine); 2**27 MUs of 64 x 32 bits are 32 GiB of racetrack memory."""


class Organization(Frozen):
    """Banks of subarrays of MUs. Give ``mus_per_subarray`` or ``mu_rows`` and ``mu_cols``."""

    banks: int = Field(ge=1, le=1024)
    subarrays_per_bank: int = Field(ge=1, le=4096)
    mus_per_subarray: int | None = Field(default=None, ge=1, le=1 << 20)
    mu_rows: int | None = Field(default=None, ge=1, le=4096)
    mu_cols: int | None = Field(default=None, ge=1, le=4096)
    mu: MuGeometry = Field(default_factory=MuGeometry)
    port_policy: PortPolicy = "static"
    update_policy: UpdatePolicy = "lazy"

    @model_validator(mode="after")
    def _one_way_to_size_a_subarray(self) -> Self:
        grid = (self.mu_rows is not None, self.mu_cols is not None)
        if self.mus_per_subarray is None and grid != (True, True):
            raise ValueError("give mus_per_subarray, or both mu_rows and mu_cols")
        if self.mus_per_subarray is not None and any(grid):
            raise ValueError("give mus_per_subarray or mu_rows/mu_cols, not both")
        if self.mus > MAX_MUS:
            raise ValueError(
                f"banks x subarrays_per_bank x MUs per subarray = {self.mus:,} MUs: more than "
                f"{MAX_MUS:,} (allowed), whose per-MU state alone would take "
                f"{8 * self.mus / 2**30:,.0f} GiB"
            )
        return self

    @property
    def grid(self) -> tuple[int, int]:
        """(rows, cols) of MUs in a subarray; from a count, the squarest factorisation."""
        if self.mu_rows is not None and self.mu_cols is not None:
            return self.mu_rows, self.mu_cols
        n = self.mus_per_subarray or 1
        rows = max(r for r in range(1, math.isqrt(n) + 1) if n % r == 0)
        return rows, n // rows

    @property
    def mus_in_subarray(self) -> int:
        rows, cols = self.grid
        return rows * cols

    @property
    def subarrays(self) -> int:
        return self.banks * self.subarrays_per_bank

    @property
    def mus(self) -> int:
        return self.subarrays * self.mus_in_subarray

    @property
    def words(self) -> int:
        """Addressable words (one word = ``tracks`` bits at one domain of one MU)."""
        return self.mus * self.mu.domains

    @property
    def capacity_bits(self) -> int:
        return self.mus * self.mu.capacity_bits

    def shift_steps(self, unit: Any, domain: Any, offsets: np.ndarray | None = None) -> np.ndarray:
        """:func:`shift_steps_vectorized` on this organisation's MUs: its geometry and its port
        and update policies (``offsets``: each MU's offset, updated in place; default home)."""
        return shift_steps_vectorized(
            unit,
            domain,
            domains=self.mu.domains,
            ports=self.mu.ports,
            port_policy=self.port_policy,
            update_policy=self.update_policy,
            offsets=offsets,
        )


class MemoryConfig(Frozen):
    """A memory config file: technology preset plus organisation (and its address map)."""

    tech: str = DEFAULT_PRESET
    tech_overrides: dict[str, Any] = Field(default_factory=dict)
    organization: Organization
    address_map: AddressMap = Field(default_factory=AddressMap)

    @field_validator("address_map")
    @classmethod
    def _map_covers_organization(cls, v: AddressMap, info: ValidationInfo) -> AddressMap:
        return covers_if_valid(v, info.data, "organization")


class _HoldsMemory(Protocol):
    @property
    def tech(self) -> Tech: ...

    @property
    def org(self) -> Organization: ...


class PricedMemory:
    """Mixin of whatever holds a ``tech`` and an ``org`` (a memory config, an accelerator):
    what one event of each kind costs in that memory, cached per organisation."""

    @property
    def prices(self: _HoldsMemory) -> Prices:
        from rtmcim.memory.pricing import prices_for  # pricing builds on this module

        return prices_for(self.tech, self.org)


@dataclass(frozen=True)
class Memory(PricedMemory):
    """A validated config, the technology it names, and where both came from."""

    config: MemoryConfig
    tech: Tech
    source: str

    @property
    def org(self) -> Organization:
        return self.config.organization


def load_memory(path: str | Path) -> Memory:
    """Read, validate and build a memory config file (errors: ConfigError naming the key)."""
    p = Path(path)
    cfg = validate(MemoryConfig, yamlio.load(p), str(p))
    tech_ref: str | Path = cfg.tech
    rel = p.parent / cfg.tech
    if cfg.tech.endswith((".yaml", ".yml")) and not Path(cfg.tech).is_absolute() and rel.exists():
        tech_ref = rel  # a preset file named relative to the config file
    tech = load_tech(tech_ref, cfg.tech_overrides or None)
    return Memory(cfg, tech, str(p))


def memory_from_dict(data: Any, source: str = "<dict>") -> Memory:
    """Same as :func:`load_memory` for already-parsed data (notebooks, sweeps)."""
    cfg = validate(MemoryConfig, data, source)
    return Memory(cfg, load_tech(cfg.tech, cfg.tech_overrides or None), source)


def expected_random_shift_steps(org: Organization) -> float:
    """Mean shift steps per access when every access picks a domain uniformly at random.

    Exact: the track offset is a Markov chain over the legal offsets; its
    stationary distribution weights the mean cost of the next access. The
    transitions come from the same shift counter the trace runner uses (one
    unit per (start offset, domain) pair), so the two agree on long random
    streams. Under ``eager`` every access starts from home.
    """
    g = org.mu
    if org.update_policy == "eager":
        states = [0]
    else:
        lo = -(g.segment - 1) if org.port_policy == "nearest" else 0
        states = list(range(lo, g.segment))
    n = len(states)
    start = np.repeat(np.array(states, dtype=np.int64), g.domains)
    end = start.copy()
    steps = org.shift_steps(np.arange(start.size), np.tile(np.arange(g.domains), n), end)
    cost = steps.reshape(n, g.domains).mean(axis=1)
    if n == 1:
        return float(cost[0])
    trans = np.zeros((n, n))
    np.add.at(trans, (start - states[0], end - states[0]), 1.0 / g.domains)
    # stationary pi: (T^T - I) pi = 0 with one (redundant) balance equation
    # replaced by sum(pi) = 1; the chain has one recurrent class (every state
    # can reach every target offset), so the system is regular
    a = trans.T - np.eye(n)
    a[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    pi = np.linalg.solve(a, b)
    return float(pi @ cost)


__all__ = [
    "Memory",
    "MemoryConfig",
    "Organization",
    "expected_random_shift_steps",
    "load_memory",
    "memory_from_dict",
]
