"""Pricing a :class:`~rtmcim.tally.Tally` with a :class:`Tech`: events in, joules and seconds out.

Energy is one dot product of event counts and per-event energies
(Accelergy-style); latency is the dot product of critical-path cycle counts
and per-step latencies. Leakage energy is leakage power times that latency.
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


def event_energies_pj(tech: Tech) -> dict[str, float]:
    """Energy per event of each tally event field, in pJ."""
    return {
        "shift_steps": tech.rtm.shift_energy_pj,
        "bit_reads": tech.rtm.read_energy_pj,
        "bit_writes": tech.rtm.write_energy_pj,
        "cell_shift_steps": tech.lim.cell_shift_energy_pj,
        "cell_bit_reads": tech.lim.cell_read_energy_pj,
        "cell_bit_writes": tech.lim.cell_write_energy_pj,
        "lim_evals": tech.lim.eval_energy_pj,
        "cmos_gate_ops": tech.cmos.gate_energy_pj,
        "latch_updates": tech.lim.latch_energy_pj,
        "bus_bit_mm": tech.wire.bus_energy_pj_per_bit_mm,
        "sram_bit_accesses": tech.sram.energy_pj_per_bit,
        "dram_bit_accesses": tech.dram.energy_pj_per_bit,
    }


def cycle_latencies_ns(tech: Tech) -> dict[str, float]:
    """Latency of one step of each tally cycle field, in ns.

    A bus cycle is taken as one clock period (the bus is pipelined by
    repeaters; wire delay per mm is used by the memory layer for the H-tree).
    """
    clock_ns = 1.0 / tech.clock_ghz
    return {
        "shift_cycles": tech.rtm.shift_latency_ns,
        "read_cycles": tech.rtm.read_latency_ns,
        "write_cycles": tech.rtm.write_latency_ns,
        "lim_cycles": tech.lim.eval_latency_ns,
        "cmos_cycles": tech.cmos.gate_latency_ns,
        "bus_cycles": clock_ns,
        "clock_cycles": clock_ns,
        "sram_cycles": tech.sram.latency_ns,
        "dram_cycles": tech.dram.latency_ns,
    }


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
    "sram_bit_accesses": "sram",
    "dram_bit_accesses": "dram",
}


def price_arrays(tech: Tech) -> tuple[np.ndarray, np.ndarray]:
    """The same prices as :func:`price` and :func:`latency_ns`, as arrays over a tally's fields.

    With ``v`` a tally's values in the order ``EVENT_FIELDS + CYCLE_FIELDS``,
    ``v @ energy`` is the energy by class (``ENERGY_CLASSES``, leakage left 0)
    and ``v @ latency`` the latency in ns; ``v`` may be a stack of tallies.
    """
    fields = EVENT_FIELDS + CYCLE_FIELDS
    energy = np.zeros((len(fields), len(ENERGY_CLASSES)))
    for name, e in event_energies_pj(tech).items():
        energy[fields.index(name), ENERGY_CLASSES.index(_CLASS_OF_EVENT[name])] = e
    latency = np.zeros(len(fields))
    for name, t in cycle_latencies_ns(tech).items():
        latency[fields.index(name)] = t
    return energy, latency


def latency_ns(tally: Tally, tech: Tech) -> float:
    lat = cycle_latencies_ns(tech)
    return sum(getattr(tally, k) * v for k, v in lat.items())


def price(tally: Tally, tech: Tech, leakage_mw: float = 0.0, latency: float | None = None) -> Cost:
    """Price ``tally``: energy by class (pJ) and latency (ns).

    ``leakage_mw`` is the static power of the CMOS that is on while the tally
    runs; it is charged for ``latency`` ns (default: the tally's own latency).
    1 mW x 1 ns = 1 pJ.
    """
    per_event = event_energies_pj(tech)
    energy = dict.fromkeys(ENERGY_CLASSES, 0.0)
    for name, e in per_event.items():
        energy[_CLASS_OF_EVENT[name]] += getattr(tally, name) * e
    lat = latency_ns(tally, tech) if latency is None else latency
    energy["leakage"] = leakage_mw * lat
    return Cost(energy_pj=energy, latency_ns=lat)
