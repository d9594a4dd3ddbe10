"""Area, leakage, route length and access events of a memory organisation, at either level.

A **circuit-level** preset (the default, ``rtm-32nm``) computes them from the
array's circuits (:mod:`rtmcim.memory.circuit`, an NVSim/DESTINY-class model
calibrated against DESTINY v2). A **per-event** preset (``level: array`` or
``device``, kept for comparison) uses the first, flat model:

* a subarray is a ``mu_rows x mu_cols`` grid of MUs; the row decoder drives
  ``mu_rows x ports`` wordlines; each MU column brings ``tracks`` bitlines,
  multiplexed by one pass transistor each onto ``tracks`` sense amplifiers and
  write drivers (one word per access); every MU has its own shift control;
* periphery area is its transistor count times ``cmos.transistor_area_f2``,
  its leakage ``cmos.leakage_nw_per_transistor`` per transistor (RTM cells are
  non-volatile and do not leak);
* words travel between the chip edge and a subarray over an H-tree whose
  root-to-leaf length is about the side ``L`` of the (square) chip (``L/2``
  horizontally plus ``L/2`` vertically, halving at each level), routed in
  upper metal above the arrays (no silicon area);
* the per-bit read/write energies already include decoders, sense amplifiers
  and drivers, so periphery adds no energy of its own; the H-tree adds bus
  energy and latency.

Every function here is pure; the circuit figures are cached per organisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rtmcim.memory.macro_unit import MuArea, mu_area, shift_tally, word_read_tally, word_write_tally
from rtmcim.memory.organization import Organization
from rtmcim.tally import Tally
from rtmcim.tech import Tech

if TYPE_CHECKING:  # the circuit model is imported by circuit-level presets only
    from rtmcim.memory.circuit import ArrayFigures


def circuit_level(tech: Tech) -> bool:
    """Whether ``tech`` prices arrays from their circuits (else from per-event constants)."""
    return tech.level == "circuit"


def _figures(org: Organization, tech: Tech) -> ArrayFigures:
    from rtmcim.memory.circuit import array_figures

    return array_figures(org, tech)


# ---------------------------------------------------------------- area


@dataclass(frozen=True, slots=True)
class SubarrayPeriphery:
    """Transistor counts of one subarray's periphery (per-event presets)."""

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
    """Periphery transistors of one subarray under the per-event model (module docstring)."""
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


@dataclass(frozen=True)
class AreaBreakdown:
    """Area of the chip by component, in µm² (chip total also in mm²).

    ``parts_um2`` holds the periphery by component: at circuit level the
    model's parts (decoder, sense amplifiers, precharge, mux, write drivers,
    shift drivers, other: routing and white space); at the per-event level
    the transistor-count parts. ``mu_arrays_um2`` is the racetrack cells.
    """

    mu: MuArea
    mu_arrays_um2: float
    parts_um2: dict[str, float] = field(default_factory=dict)
    subarray_um2: float = 0.0
    bank_um2: float = 0.0
    chip_um2: float = 0.0

    @property
    def periphery_um2(self) -> float:
        return self.chip_um2 - self.mu_arrays_um2

    @property
    def chip_mm2(self) -> float:
        return self.chip_um2 / 1e6

    @property
    def array_efficiency(self) -> float:
        """Fraction of the chip that is racetrack cells (DESTINY's 'area efficiency')."""
        return self.mu_arrays_um2 / self.chip_um2


def area_breakdown(org: Organization, tech: Tech) -> AreaBreakdown:
    mu = mu_area(org.mu, tech, org.port_policy)
    if circuit_level(tech):
        fig = _figures(org, tech)
        parts = {k: v for k, v in fig.area_parts_um2.items() if k != "cells"}
        return AreaBreakdown(
            mu=mu,
            mu_arrays_um2=fig.area_parts_um2["cells"],
            parts_um2=parts,
            subarray_um2=fig.subarray_um2,
            bank_um2=fig.chip_um2 / org.banks,  # a bank with its share of the routing
            chip_um2=fig.chip_um2,
        )
    per = subarray_periphery(org, tech)
    n_sub = org.subarrays
    tr_um2 = tech.f2_to_um2(tech.cmos.transistor_area_f2)
    sub = org.mus_in_subarray * mu.total_um2 + per.total * tr_um2
    return AreaBreakdown(
        mu=mu,
        mu_arrays_um2=org.mus * mu.total_um2,
        parts_um2={
            "decoder": n_sub * per.decoder * tr_um2,
            "senseamp": n_sub * per.sense_amps * tr_um2,
            "write_driver": n_sub * per.write_drivers * tr_um2,
            "mux": n_sub * per.column_mux * tr_um2,
            "shift_control": n_sub * per.shift_control * tr_um2,
        },
        subarray_um2=sub,
        bank_um2=org.subarrays_per_bank * sub,
        chip_um2=n_sub * sub,
    )


# ---------------------------------------------------------------- leakage


def logic_leakage_nw_per_transistor(tech: Tech) -> float:
    """Static power of one CMOS logic transistor (PEs, requantization, line buffers), nW.

    Circuit level: a minimum inverter of the preset's devices at its
    temperature (the worse of its two off transistors, CACTI/NVSim's rule),
    shared by its two transistors; per-event level: the preset's constant.
    """
    if not circuit_level(tech):
        return tech.cmos.leakage_nw_per_transistor
    hit = _LOGIC_LEAK.get(id(tech))
    if hit is not None and hit[0] is tech:  # sweeps ask once per point: cache per preset
        return hit[1]
    from rtmcim.memory.circuit.devices import Gate, devices, leakage_a

    d = devices(tech)
    assert tech.periphery_circuit is not None  # a circuit-level preset has it (Tech validates)
    wn = d.f(tech.periphery_circuit.min_nmos_width_f)
    nw = leakage_a(d, Gate.INV, 1, wn, wn * d.pn_ratio) * d.vdd_v * 1e9 / 2
    if len(_LOGIC_LEAK) > 64:
        _LOGIC_LEAK.clear()
    _LOGIC_LEAK[id(tech)] = (tech, nw)
    return nw


_LOGIC_LEAK: dict[int, tuple[Tech, float]] = {}


def logic_leakage_mw(transistors: float, tech: Tech) -> float:
    """Static power of ``transistors`` CMOS logic transistors, mW."""
    return transistors * logic_leakage_nw_per_transistor(tech) * 1e-6  # nW -> mW


def leakage_mw(org: Organization, tech: Tech) -> float:
    """Static power of the memory's CMOS periphery (RTM cells are non-volatile and do not leak)."""
    if circuit_level(tech):
        return float(_figures(org, tech).leakage_mw)
    return logic_leakage_mw(org.subarrays * subarray_periphery(org, tech).total, tech)


# ---------------------------------------------------------------- access events


def htree_mm(org: Organization, tech: Tech) -> float:
    """Root-to-leaf H-tree length, mm: from the floorplan, or the side of the square chip."""
    if circuit_level(tech):
        return float(_figures(org, tech).htree_mm)
    return math.sqrt(area_breakdown(org, tech).chip_mm2)


def htree_latency_ns(org: Organization, tech: Tech) -> float:
    """One traversal of the H-tree route (what a ``bus_cycles`` step costs on this memory)."""
    if circuit_level(tech):
        fig = _figures(org, tech)
        return float(fig.htree_mm * fig.htree_ns_per_mm)
    return htree_mm(org, tech) * tech.wire.bus_latency_ns_per_mm


@dataclass(frozen=True, slots=True)
class AccessTallies:
    """Events of one word access from the chip edge, and of one MU shift step."""

    read: Tally  # aligned port: request down the H-tree, subarray read, data back up
    write: Tally  # aligned port: address and data down the H-tree, subarray write
    shift_step: Tally  # one MU moved by one domain
    htree_mm: float


def address_bits(org: Organization) -> int:
    """Address lines of a word access: ``ceil(log2(words))``."""
    return max(0, math.ceil(math.log2(org.words)))


def access_tallies(org: Organization, tech: Tech) -> AccessTallies:
    """Tallies of a word read, a word write (port already aligned) and a 1-step MU shift.

    The H-tree carries the word's ``tracks`` data bits and its address bits
    over the route (``bus_bit_mm``; at circuit level as many bit-routes as the
    model's H-tree energy, whose address lines end level by level); a ``bus_cycles`` step is one traversal
    of the route, down to the subarray. A write takes one; a read also
    brings its data back up, which at circuit level costs what the model
    says (an unrepeated wire's return through the open stubs is slower than
    the way down, NVSim/DESTINY's Elmore rule), at the per-event level one
    more traversal.
    """
    mm = htree_mm(org, tech)
    bits: float = org.mu.tracks + address_bits(org)
    up = 1.0
    if circuit_level(tech):
        fig = _figures(org, tech)
        down_ns = fig.htree_mm * fig.htree_ns_per_mm
        up = fig.read.latency_parts_ns.get("htree", 0.0) / down_ns - 1.0 if down_ns else 0.0
        # address bits drop off as each level decodes one: the model's own bit count
        bit_mm = fig.htree_pj_per_bit_mm * fig.htree_mm
        bits = fig.read.energy_parts_pj.get("htree", 0.0) / bit_mm if bit_mm else 0.0
    return AccessTallies(
        read=word_read_tally(org.mu) + Tally(bus_bit_mm=bits * mm, bus_cycles=1.0 + up),
        write=word_write_tally(org.mu) + Tally(bus_bit_mm=bits * mm, bus_cycles=1.0),
        shift_step=shift_tally(org.mu, 1),
        htree_mm=mm,
    )


__all__ = [
    "AccessTallies",
    "AreaBreakdown",
    "SubarrayPeriphery",
    "access_tallies",
    "address_bits",
    "area_breakdown",
    "circuit_level",
    "htree_latency_ns",
    "htree_mm",
    "leakage_mw",
    "logic_leakage_mw",
    "logic_leakage_nw_per_transistor",
    "subarray_periphery",
]
