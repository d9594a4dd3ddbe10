"""Subarray, bank and chip organisation of macro units, and their costs.

A memory config (YAML) names a technology preset and an organisation::

    tech: rtm-32nm-array            # preset name or a preset .yaml path
    tech_overrides: {rtm.shift_latency_ns: 1.5}   # optional
    organization:
      banks: 4
      subarrays_per_bank: 16
      mus_per_subarray: 256         # or mu_rows: 16 and mu_cols: 16
      mu: {domains: 64, ports: 2, tracks: 32}
      port_policy: static           # static | nearest
      update_policy: lazy           # lazy | eager

Physical model (every assumption is named where it is used):

* A subarray is a ``mu_rows x mu_cols`` grid of MUs. Each port of each MU row
  has its own access wordline, so the row decoder drives ``mu_rows x ports``
  wordlines. Each MU column brings ``tracks`` bitlines (the ports of a column
  share them, as cells of a DRAM column share a bitline); one pass transistor
  per bitline multiplexes the selected column onto ``tracks`` sense amplifiers
  and ``tracks`` write drivers: one word per access. Every MU has its own shift
  pulse control.
* Periphery area is its transistor count times ``cmos.transistor_area_f2``;
  periphery leaks ``cmos.leakage_nw_per_transistor`` per transistor. RTM cells
  are non-volatile and do not leak.
* Words travel between the chip edge and a subarray over an H-tree. The
  root-to-leaf length of an H-tree over a square of side ``L`` is about ``L``
  (``L/2`` horizontally plus ``L/2`` vertically, halving at each level), so the
  route is the side of the (square) chip. It is routed in upper metal above
  the arrays: no silicon area, repeaters not counted.
* The per-bit read/write energies of an array-level preset already include
  decoders, sense amplifiers and drivers (PARAMETERS.md), so periphery adds
  no energy of its own here; only the H-tree adds bus energy and latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from rtmcim import yamlio
from rtmcim.config import Frozen, validate
from rtmcim.memory.address_map import AddressMap, check_covers
from rtmcim.memory.macro_unit import (
    MuArea,
    MuGeometry,
    mu_area,
    shift_tally,
    word_read_tally,
    word_write_tally,
)
from rtmcim.memory.track import (
    PortPolicy,
    UpdatePolicy,
    overhead_domains,
    shift_steps_vectorized,
)
from rtmcim.tally import Tally
from rtmcim.tech import DEFAULT_PRESET, Tech, latency_ns, load_tech, price


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
        if "organization" in info.data:  # absent when the organisation itself failed
            check_covers(v, info.data["organization"])
        return v


@dataclass(frozen=True)
class Memory:
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


# ---------------------------------------------------------------- area


@dataclass(frozen=True, slots=True)
class SubarrayPeriphery:
    """Transistor counts of one subarray's periphery."""

    decoder: float
    sense_amps: float
    write_drivers: float
    column_mux: float
    shift_control: float

    @property
    def total(self) -> float:
        return (
            self.decoder
            + self.sense_amps
            + self.write_drivers
            + self.column_mux
            + self.shift_control
        )


def subarray_periphery(org: Organization, tech: Tech) -> SubarrayPeriphery:
    """Periphery transistors of one subarray (see the module docstring for the structure)."""
    rows, cols = org.grid
    t = org.mu.tracks
    pt = tech.periphery
    return SubarrayPeriphery(
        decoder=rows * org.mu.ports * pt.decoder_transistors_per_row,
        sense_amps=t * pt.sense_amp_transistors,
        write_drivers=t * pt.write_driver_transistors,
        # one pass transistor per bitline: a structural count, not a preset value
        column_mux=float(t * cols) if cols > 1 else 0.0,
        shift_control=rows * cols * pt.shift_control_transistors_per_mu,
    )


@dataclass(frozen=True, slots=True)
class AreaBreakdown:
    """Area of the chip by component, in µm² (chip total also in mm²)."""

    mu: MuArea
    mu_arrays_um2: float
    decoder_um2: float
    sense_amps_um2: float
    write_drivers_um2: float
    column_mux_um2: float
    shift_control_um2: float
    subarray_um2: float
    bank_um2: float
    chip_um2: float

    @property
    def periphery_um2(self) -> float:
        return self.chip_um2 - self.mu_arrays_um2

    @property
    def chip_mm2(self) -> float:
        return self.chip_um2 / 1e6

    @property
    def array_efficiency(self) -> float:
        """Fraction of the chip that is MU arrays (DESTINY's 'area efficiency')."""
        return self.mu_arrays_um2 / self.chip_um2


def subarray_area_um2(org: Organization, tech: Tech) -> float:
    """Area of one subarray (MUs plus periphery), µm²."""
    mu = mu_area(org.mu, tech, org.port_policy).total_um2
    per = tech.f2_to_um2(subarray_periphery(org, tech).total * tech.cmos.transistor_area_f2)
    return org.mus_in_subarray * mu + per


def bank_area_um2(org: Organization, tech: Tech) -> float:
    """Area of one bank, µm² (the H-tree runs over the arrays and adds none)."""
    return org.subarrays_per_bank * subarray_area_um2(org, tech)


def area_breakdown(org: Organization, tech: Tech) -> AreaBreakdown:
    mu = mu_area(org.mu, tech, org.port_policy)
    per = subarray_periphery(org, tech)
    n_sub = org.subarrays
    tr_um2 = tech.f2_to_um2(tech.cmos.transistor_area_f2)
    sub = subarray_area_um2(org, tech)
    return AreaBreakdown(
        mu=mu,
        mu_arrays_um2=org.mus * mu.total_um2,
        decoder_um2=n_sub * per.decoder * tr_um2,
        sense_amps_um2=n_sub * per.sense_amps * tr_um2,
        write_drivers_um2=n_sub * per.write_drivers * tr_um2,
        column_mux_um2=n_sub * per.column_mux * tr_um2,
        shift_control_um2=n_sub * per.shift_control * tr_um2,
        subarray_um2=sub,
        bank_um2=org.subarrays_per_bank * sub,
        chip_um2=n_sub * sub,
    )


def leakage_mw(org: Organization, tech: Tech) -> float:
    """Static power of the CMOS periphery (RTM cells are non-volatile and do not leak)."""
    transistors = org.subarrays * subarray_periphery(org, tech).total
    return transistors * tech.cmos.leakage_nw_per_transistor * 1e-6  # nW -> mW


# ---------------------------------------------------------------- access events


def htree_mm(org: Organization, tech: Tech) -> float:
    """Root-to-leaf H-tree length: the side of the square chip, mm."""
    return math.sqrt(area_breakdown(org, tech).chip_mm2)


@dataclass(frozen=True, slots=True)
class AccessTallies:
    """Events of one word access from the chip edge, and of one MU shift step."""

    read: Tally  # aligned port: sense + H-tree
    write: Tally  # aligned port: H-tree + write
    shift_step: Tally  # one MU moved by one domain
    htree_mm: float


def access_tallies(org: Organization, tech: Tech) -> AccessTallies:
    """Tallies of a word read, a word write (port already aligned) and a 1-step MU shift.

    The H-tree is a repeated, pipelined wire: its delay is rounded up to whole
    clock cycles (``bus_cycles``, priced at one clock period each); its energy
    is ``tracks`` bits times its length (``bus_bit_mm``).
    """
    mm = htree_mm(org, tech)
    cycles = math.ceil(mm * tech.wire.bus_latency_ns_per_mm * tech.clock_ghz - 1e-9)
    bus = Tally(bus_bit_mm=org.mu.tracks * mm, bus_cycles=max(cycles, 0))
    return AccessTallies(
        read=word_read_tally(org.mu) + bus,
        write=word_write_tally(org.mu) + bus,
        shift_step=shift_tally(org.mu, 1),
        htree_mm=mm,
    )


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


# ---------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """A DESTINY-like summary of one memory; units in field names."""

    preset: str
    tech_source: str
    tech_overrides: str
    config_source: str
    domains: int
    ports: int
    tracks: int
    overhead_domains: int
    port_policy: str
    update_policy: str
    banks: int
    subarrays_per_bank: int
    mu_rows: int
    mu_cols: int
    mus: int
    capacity_bits: int
    area: AreaBreakdown
    htree_mm: float
    read_latency_ns: float
    read_energy_pj: float
    write_latency_ns: float
    write_energy_pj: float
    shift_latency_ns_per_step: float
    shift_energy_pj_per_step: float
    random_shift_steps: float
    random_read_latency_ns: float
    random_read_energy_pj: float
    leakage_mw: float

    @property
    def capacity_bytes(self) -> int:
        return self.capacity_bits // 8

    def rows(self) -> list[dict[str, Any]]:
        """Flat (section, quantity, value, unit) rows for tables and CSV."""
        a = self.area
        r: list[tuple[str, str, Any, str]] = [
            ("config", "config", self.config_source, "file"),
            ("config", "tech preset", self.preset, "name"),
            ("config", "tech source", self.tech_source, "name or file"),
            ("config", "tech overrides", self.tech_overrides or "none", "-"),
            ("geometry", "domains per track", self.domains, "domains"),
            ("geometry", "ports per track", self.ports, "ports"),
            ("geometry", "tracks per MU", self.tracks, "tracks"),
            ("geometry", "overhead domains per track", self.overhead_domains, "domains"),
            ("geometry", "port policy", self.port_policy, "-"),
            ("geometry", "update policy", self.update_policy, "-"),
            ("geometry", "banks", self.banks, "banks"),
            ("geometry", "subarrays per bank", self.subarrays_per_bank, "subarrays"),
            ("geometry", "MU grid per subarray", f"{self.mu_rows} x {self.mu_cols}", "MUs"),
            ("geometry", "MUs", self.mus, "MUs"),
            ("capacity", "capacity", self.capacity_bits, "bit"),
            ("capacity", "capacity", self.capacity_bytes / 2**20, "MiB"),
            ("area", "MU", a.mu.total_um2, "um2"),
            ("area", "MU limited by", a.mu.limited_by, "-"),
            ("area", "MU arrays", a.mu_arrays_um2, "um2"),
            ("area", "row decoders", a.decoder_um2, "um2"),
            ("area", "sense amplifiers", a.sense_amps_um2, "um2"),
            ("area", "write drivers", a.write_drivers_um2, "um2"),
            ("area", "column mux", a.column_mux_um2, "um2"),
            ("area", "shift control", a.shift_control_um2, "um2"),
            ("area", "subarray", a.subarray_um2, "um2"),
            ("area", "bank", a.bank_um2, "um2"),
            ("area", "chip", a.chip_mm2, "mm2"),
            ("area", "array efficiency", a.array_efficiency * 100, "%"),
            ("area", "H-tree route", self.htree_mm, "mm"),
            ("read", "word read latency (aligned)", self.read_latency_ns, "ns"),
            ("read", "word read energy (aligned)", self.read_energy_pj, "pJ"),
            ("write", "word write latency (aligned)", self.write_latency_ns, "ns"),
            ("write", "word write energy (aligned)", self.write_energy_pj, "pJ"),
            ("shift", "MU shift latency", self.shift_latency_ns_per_step, "ns/step"),
            ("shift", "MU shift energy", self.shift_energy_pj_per_step, "pJ/step"),
            ("random", "mean shift per random access", self.random_shift_steps, "steps"),
            ("random", "random word read latency", self.random_read_latency_ns, "ns"),
            ("random", "random word read energy", self.random_read_energy_pj, "pJ"),
            ("power", "leakage (CMOS periphery)", self.leakage_mw, "mW"),
        ]
        return [{"section": s, "quantity": q, "value": v, "unit": u} for s, q, v, u in r]


def memory_report(mem: Memory) -> MemoryReport:
    """Capacity, area, access costs and leakage of a memory."""
    org, tech = mem.org, mem.tech
    acc = access_tallies(org, tech)
    rd, wr, sh = price(acc.read, tech), price(acc.write, tech), price(acc.shift_step, tech)
    steps = expected_random_shift_steps(org)
    rand = acc.read + acc.shift_step * steps
    rows, cols = org.grid
    return MemoryReport(
        preset=tech.name,
        tech_source=mem.config.tech,
        tech_overrides=", ".join(f"{k}={v}" for k, v in sorted(mem.config.tech_overrides.items())),
        config_source=mem.source,
        domains=org.mu.domains,
        ports=org.mu.ports,
        tracks=org.mu.tracks,
        overhead_domains=overhead_domains(org.mu.domains, org.mu.ports, org.port_policy),
        port_policy=org.port_policy,
        update_policy=org.update_policy,
        banks=org.banks,
        subarrays_per_bank=org.subarrays_per_bank,
        mu_rows=rows,
        mu_cols=cols,
        mus=org.mus,
        capacity_bits=org.capacity_bits,
        area=area_breakdown(org, tech),
        htree_mm=acc.htree_mm,
        read_latency_ns=rd.latency_ns,
        read_energy_pj=rd.total_energy_pj,
        write_latency_ns=wr.latency_ns,
        write_energy_pj=wr.total_energy_pj,
        shift_latency_ns_per_step=sh.latency_ns,
        shift_energy_pj_per_step=sh.total_energy_pj,
        random_shift_steps=steps,
        random_read_latency_ns=latency_ns(rand, tech),
        random_read_energy_pj=price(rand, tech).total_energy_pj,
        leakage_mw=leakage_mw(org, tech),
    )


__all__ = [
    "AccessTallies",
    "AreaBreakdown",
    "Memory",
    "MemoryConfig",
    "MemoryReport",
    "Organization",
    "SubarrayPeriphery",
    "access_tallies",
    "area_breakdown",
    "bank_area_um2",
    "expected_random_shift_steps",
    "htree_mm",
    "leakage_mw",
    "load_memory",
    "memory_from_dict",
    "memory_report",
    "subarray_area_um2",
    "subarray_periphery",
]
