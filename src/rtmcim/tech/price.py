"""Pricing a :class:`~rtmcim.tally.Tally`: events in, joules and seconds out.

Energy is one dot product of event counts and per-event energies
(Accelergy-style); latency is the dot product of critical-path cycle counts
and per-step latencies. Leakage energy is leakage power times that latency.
The per-event table is a :class:`Prices`: from a per-event preset's constants
(:func:`constant_prices`), or from the circuit model of one memory
organisation (``rtmcim.memory.prices_for``); functions here accept either a
table or a per-event :class:`Tech`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtmcim.tally import CYCLE_FIELDS, EVENT_FIELDS, Tally
from rtmcim.tech.model import Tech

ENERGY_CLASSES: tuple[str, ...] = (
    "shift",
    "read",
    "write",
    "logic",
    "cmos",
    "latch",
    "bus",
    "sram",
    "dram",
    "leakage",
)


@dataclass(frozen=True, slots=True)
class Cost:
    """A priced tally: energy by class in pJ and latency in ns."""

    energy_pj: dict[str, float]
    latency_ns: float

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())

    @property
    def edp_pj_ns(self) -> float:
        """Energy-delay product."""
        return self.total_energy_pj * self.latency_ns


@dataclass(frozen=True, eq=False)
class Prices:
    """Energy of one event of each tally event field (pJ) and latency of one step of each cycle
    field (ns): everything a tally needs to become joules and seconds (Accelergy's
    energy-per-action table).

    A per-event preset (``level: array`` or ``device``) gives one table for every memory
    (:func:`constant_prices`); a circuit-level preset gives one per memory organisation,
    computed from the array's circuits (``rtmcim.memory.prices_for``). ``source`` says which.
    """

    energy_pj: dict[str, float]
    latency_ns: dict[str, float]
    source: str

    def __post_init__(self) -> None:
        missing = (set(EVENT_FIELDS) - set(self.energy_pj)) | (
            set(CYCLE_FIELDS) - set(self.latency_ns)
        )
        if missing:
            raise ValueError(f"prices missing for {sorted(missing)}")


PriceSource = Tech | Prices


def constant_prices(tech: Tech) -> Prices:
    """The table of a per-event preset: every array event at its preset constant.

    A circuit-level preset has no such constants: its array events are priced per
    organisation by the circuit model (``rtmcim.memory.prices_for(tech, org)``).
    """
    if tech.level == "circuit":
        raise ValueError(
            f"preset {tech.name!r} is circuit-level: its array events are priced per memory "
            "organisation; use rtmcim.memory.prices_for(tech, org)"
        )
    r = tech.rtm
    clock_ns = 1.0 / tech.clock_ghz
    energy = {
        "shift_steps": r.shift_energy_pj,
        "bit_reads": r.read_energy_pj,
        "bit_writes": r.write_energy_pj,
        **logic_energies_pj(tech),
        "bus_bit_mm": tech.wire.bus_energy_pj_per_bit_mm,
        "sram_bit_reads": tech.sram.energy_pj_per_bit,
        "sram_bit_writes": tech.sram.energy_pj_per_bit,
    }
    latency = {
        "shift_cycles": r.shift_latency_ns,
        "read_cycles": r.read_latency_ns,
        "write_cycles": r.write_latency_ns,
        # a cell's own ports: the device's shift, read and write times (the per-event presets
        # take them equal to the array's, as RTSim/DESTINY give one figure for each)
        "cell_shift_cycles": r.shift_latency_ns,
        "cell_read_cycles": r.read_latency_ns,
        "cell_write_cycles": r.write_latency_ns,
        **logic_latencies_ns(tech),
        # the bus is pipelined by repeaters: one clock per cycle (the memory layer counts
        # H-tree cycles from the wire delay per mm)
        "bus_cycles": clock_ns,
        "sram_cycles": tech.sram.latency_ns,
    }
    return Prices(energy, latency, f"preset {tech.name} (per-event constants, level {tech.level})")


def logic_energies_pj(tech: Tech) -> dict[str, float]:
    """Energies of the events no memory organisation changes: a cell's own port accesses at
    the preset's device figures, logic-in-memory, CMOS gates, latches and DRAM."""
    return {
        "cell_shift_steps": tech.lim.cell_shift_energy_pj,
        "cell_bit_reads": tech.lim.cell_read_energy_pj,
        "cell_bit_writes": tech.lim.cell_write_energy_pj,
        "lim_evals": tech.lim.eval_energy_pj,
        "cmos_gate_ops": tech.cmos.gate_energy_pj,
        "latch_updates": tech.lim.latch_energy_pj,
        "dram_bit_accesses": tech.dram.energy_pj_per_bit,
    }


def logic_latencies_ns(tech: Tech) -> dict[str, float]:
    """Latencies of the steps no memory organisation changes."""
    return {
        "lim_cycles": tech.lim.eval_latency_ns,
        "cmos_cycles": tech.cmos.gate_latency_ns,
        "clock_cycles": 1.0 / tech.clock_ghz,
        "dram_cycles": tech.dram.latency_ns,
    }


def as_prices(source: PriceSource) -> Prices:
    """``source`` itself if it is a table, else the constant table of a per-event preset."""
    return source if isinstance(source, Prices) else constant_prices(source)


def event_energies_pj(source: PriceSource) -> dict[str, float]:
    """Energy per event of each tally event field, in pJ."""
    return dict(as_prices(source).energy_pj)


def cycle_latencies_ns(source: PriceSource) -> dict[str, float]:
    """Latency of one step of each tally cycle field, in ns."""
    return dict(as_prices(source).latency_ns)


_CLASS_OF_EVENT = {
    "shift_steps": "shift",
    "bit_reads": "read",
    "bit_writes": "write",
    "cell_shift_steps": "shift",
    "cell_bit_reads": "read",
    "cell_bit_writes": "write",
    "lim_evals": "logic",
    "cmos_gate_ops": "cmos",
    "latch_updates": "latch",
    "bus_bit_mm": "bus",
    "sram_bit_reads": "sram",
    "sram_bit_writes": "sram",
    "dram_bit_accesses": "dram",
}


def price_arrays(source: PriceSource) -> tuple[np.ndarray, np.ndarray]:
    """The same prices as :func:`price` and :func:`latency_ns`, as arrays over a tally's fields.

    With ``v`` a tally's values in the order ``EVENT_FIELDS + CYCLE_FIELDS``,
    ``v @ energy`` is the energy by class (``ENERGY_CLASSES``, leakage left 0)
    and ``v @ latency`` the latency in ns; ``v`` may be a stack of tallies.
    """
    p = as_prices(source)
    fields = EVENT_FIELDS + CYCLE_FIELDS
    energy = np.zeros((len(fields), len(ENERGY_CLASSES)))
    for name, e in p.energy_pj.items():
        energy[fields.index(name), ENERGY_CLASSES.index(_CLASS_OF_EVENT[name])] = e
    latency = np.zeros(len(fields))
    for name, t in p.latency_ns.items():
        latency[fields.index(name)] = t
    return energy, latency


def latency_ns(tally: Tally, source: PriceSource) -> float:
    """Latency of ``tally``'s critical path, ns."""
    lat = as_prices(source).latency_ns
    return sum(getattr(tally, k) * v for k, v in lat.items())


def price(
    tally: Tally, source: PriceSource, leakage_mw: float = 0.0, latency: float | None = None
) -> Cost:
    """Price ``tally``: energy by class (pJ) and latency (ns).

    ``leakage_mw`` is the static power of the CMOS that is on while the tally
    runs; it is charged for ``latency`` ns (default: the tally's own latency).
    1 mW x 1 ns = 1 pJ.
    """
    p = as_prices(source)
    energy = dict.fromkeys(ENERGY_CLASSES, 0.0)
    for name, e in p.energy_pj.items():
        energy[_CLASS_OF_EVENT[name]] += getattr(tally, name) * e
    lat = latency_ns(tally, p) if latency is None else latency
    energy["leakage"] = leakage_mw * lat
    return Cost(energy_pj=energy, latency_ns=lat)
