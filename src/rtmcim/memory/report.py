"""A DESTINY-like report of one memory: capacity, area, access costs by path, leakage.

Every cost comes from the memory's price table (:mod:`rtmcim.memory.pricing`),
so the report says what the mapping and the trace runner charge. At circuit
level the report adds the component breakdown of the circuit model
(decoder, wordline, bitline, sense amplifier, mux, H-tree, shift driver, ...)
for latency, energy, area and leakage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtmcim.memory.costs import (
    AreaBreakdown,
    access_tallies,
    area_breakdown,
    circuit_level,
    leakage_mw,
)
from rtmcim.memory.macro_unit import word_read_tally, word_write_tally
from rtmcim.memory.organization import Memory, Organization, expected_random_shift_steps
from rtmcim.memory.track import overhead_domains
from rtmcim.tally import Tally
from rtmcim.tech import Prices, latency_ns, price


@dataclass(frozen=True, slots=True)
class AccessPath:
    """One way a word reaches a cell, and what it costs."""

    name: str
    description: str
    latency_ns: float
    energy_pj: float


def access_paths(mem: Memory) -> list[AccessPath]:
    """The access paths of DESIGN.md 1.3, priced by the memory's table (one word each)."""
    org, p = mem.org, mem.prices
    acc = access_tallies(org, mem.tech)
    t = org.mu.tracks
    local_r = Tally(cell_bit_reads=t, cell_read_cycles=1)
    local_w = Tally(cell_bit_writes=t, cell_write_cycles=1)
    bcast = Tally(bus_bit_mm=t * acc.htree_mm, bus_cycles=1)
    rows = [
        ("local read", "at a MU's ports, sense amps beside the PE: no decoder, no H-tree", local_r),
        ("local write", "at a MU's ports, drivers beside the PE", local_w),
        ("subarray read", "decoder, wordline, bitline, sense amp, column mux", word_read_tally(org.mu)),
        ("subarray write", "decoder, wordline, column mux, write driver", word_write_tally(org.mu)),
        ("chip read", "from the chip edge: H-tree down and up, then the subarray read", acc.read),
        ("chip write", "from the chip edge: H-tree down, then the subarray write", acc.write),
        ("broadcast", "one word from the root of the H-tree to a leaf (per receiving PE)", bcast),
        ("shift", "one MU moved by one domain (all its tracks)", acc.shift_step),
    ]  # fmt: skip
    return [_priced(n, d, tally, p) for n, d, tally in rows]


def _priced(name: str, description: str, tally: Tally, p: Prices) -> AccessPath:
    return AccessPath(name, description, latency_ns(tally, p), price(tally, p).total_energy_pj)


def circuit_breakdown(mem: Memory) -> dict[str, dict[str, float]]:
    """Component parts of the circuit model (empty at the per-event level), units in the keys."""
    if not circuit_level(mem.tech):
        return {}
    from rtmcim.memory.circuit import array_figures  # circuit-level presets only

    fig = array_figures(mem.org, mem.tech)
    out: dict[str, dict[str, float]] = {}
    for label, path in (
        ("read", fig.read),
        ("write", fig.write),
        ("local read", fig.local_read),
        ("shift", fig.shift_step),
    ):
        out[f"{label} latency ns"] = dict(path.latency_parts_ns)
        out[f"{label} energy pJ"] = dict(path.energy_parts_pj)
    out["leakage mW"] = dict(fig.leakage_parts_mw)
    return out


@dataclass(frozen=True)
class MemoryReport:
    """A DESTINY-like summary of one memory; units in field names."""

    preset: str
    tech_level: str
    tech_source: str
    tech_overrides: str
    config_source: str
    org: Organization
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
    paths: list[AccessPath] = field(default_factory=list)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def capacity_bytes(self) -> int:
        return self.org.capacity_bits // 8

    def rows(self) -> list[dict[str, Any]]:
        """Flat (section, quantity, value, unit) rows for tables and CSV."""
        a, o, g = self.area, self.org, self.org.mu
        rows, cols = o.grid
        r: list[tuple[str, str, Any, str]] = [
            ("config", "config", self.config_source, "file"),
            ("config", "tech preset", self.preset, "name"),
            ("config", "tech level", self.tech_level, "-"),
            ("config", "tech source", self.tech_source, "name or file"),
            ("config", "tech overrides", self.tech_overrides or "none", "-"),
            ("geometry", "domains per track", g.domains, "domains"),
            ("geometry", "ports per track", g.ports, "ports"),
            ("geometry", "tracks per MU", g.tracks, "tracks"),
            (
                "geometry",
                "overhead domains per track",
                overhead_domains(g.domains, g.ports, o.port_policy),
                "domains",
            ),
            ("geometry", "port policy", o.port_policy, "-"),
            ("geometry", "update policy", o.update_policy, "-"),
            ("geometry", "banks", o.banks, "banks"),
            ("geometry", "subarrays per bank", o.subarrays_per_bank, "subarrays"),
            ("geometry", "MU grid per subarray", f"{rows} x {cols}", "MUs"),
            ("geometry", "MUs", o.mus, "MUs"),
            ("capacity", "capacity", self.org.capacity_bits, "bit"),
            ("capacity", "capacity", self.capacity_bytes / 2**20, "MiB"),
            ("area", "MU", a.mu.total_um2, "um2"),
            ("area", "MU limited by", a.mu.limited_by, "-"),
            ("area", "MU arrays", a.mu_arrays_um2, "um2"),
            *(("area", name, v, "um2") for name, v in a.parts_um2.items()),
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
        for p in self.paths:
            r.append(("path", f"{p.name} latency", p.latency_ns, "ns"))
            r.append(("path", f"{p.name} energy", p.energy_pj, "pJ"))
        for group, parts in self.breakdown.items():
            what, unit = group.rsplit(" ", 1)
            r.extend((f"breakdown: {what}", part, v, unit) for part, v in parts.items())
        return [{"section": s, "quantity": q, "value": v, "unit": u} for s, q, v, u in r]


def memory_report(mem: Memory) -> MemoryReport:
    """Capacity, area, access costs by path, component breakdown and leakage of a memory."""
    org, tech, p = mem.org, mem.tech, mem.prices
    acc = access_tallies(org, tech)
    rd, wr, sh = price(acc.read, p), price(acc.write, p), price(acc.shift_step, p)
    steps = expected_random_shift_steps(org)
    rand = acc.read + acc.shift_step * steps
    return MemoryReport(
        preset=tech.name,
        tech_level=tech.level,
        tech_source=mem.config.tech,
        tech_overrides=", ".join(f"{k}={v}" for k, v in sorted(mem.config.tech_overrides.items())),
        config_source=mem.source,
        org=org,
        area=area_breakdown(org, tech),
        htree_mm=acc.htree_mm,
        read_latency_ns=rd.latency_ns,
        read_energy_pj=rd.total_energy_pj,
        write_latency_ns=wr.latency_ns,
        write_energy_pj=wr.total_energy_pj,
        shift_latency_ns_per_step=sh.latency_ns,
        shift_energy_pj_per_step=sh.total_energy_pj,
        random_shift_steps=steps,
        random_read_latency_ns=latency_ns(rand, p),
        random_read_energy_pj=price(rand, p).total_energy_pj,
        leakage_mw=leakage_mw(org, tech),
        paths=access_paths(mem),
        breakdown=circuit_breakdown(mem),
    )


__all__ = ["AccessPath", "MemoryReport", "access_paths", "circuit_breakdown", "memory_report"]
