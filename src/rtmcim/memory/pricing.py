"""The price table of a memory: what one event of each kind costs in this organisation.

A per-event preset (``level: array`` or ``device``) prices every array event at
a constant, whatever the organisation (:func:`rtmcim.tech.constant_prices`).
A circuit-level preset prices them from the circuits of the organisation
(:mod:`rtmcim.memory.circuit`): where an access goes decides what it costs
(DESIGN.md 1.3):

==============================  =======================================================
tally field                     priced at (circuit level), per bit or per step
==============================  =======================================================
``bit_reads``, ``bit_writes``   a word through the subarray periphery (predecoder,
                                decoder, wordline, bitline, sense amplifier, column
                                mux / write driver); ``read_cycles``/``write_cycles``
                                its latency
``cell_bit_reads``, ``_writes`` the local path: a word sensed or written at a macro
                                unit's ports by the sense amplifiers and drivers beside
                                a PE (no decoder, no H-tree); ``cell_read_cycles`` /
                                ``cell_write_cycles`` its latency
``shift_steps``                 one track moved one domain (the shift current through the
                                track and its drivers), ``shift_cycles`` one MU step; a
                                compute cell's own tracks (``cell_shift_*``) shift alike
``bus_bit_mm``, ``bus_cycles``  the H-tree's wire per bit and mm; one traversal of the
                                route
==============================  =======================================================

At both levels a ``bus_cycles`` step is one traversal of this memory's H-tree
route. Logic-in-memory, CMOS gates, latches and DRAM keep the preset's figures
at either level; SRAM events are priced by the SRAM a baseline builds
(:func:`sram_prices`). Tables are cached per (preset, organisation): a sweep
computes the circuits of each organisation once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtmcim.memory.costs import circuit_level, htree_latency_ns
from rtmcim.memory.organization import Organization
from rtmcim.tech import Prices, Tech, constant_prices
from rtmcim.tech.price import logic_energies_pj, logic_latencies_ns

if TYPE_CHECKING:  # the circuit model is imported by circuit-level presets only
    from rtmcim.memory.circuit import ArrayFigures, SramOrganization

_CACHE: dict[tuple[int, Organization | None], tuple[Tech, Prices]] = {}
_CACHE_LIMIT = 4096
SRAM_TARGET = "read-edp"  # how a baseline's SRAM is organised (DESTINY's usual target)


def prices_for(tech: Tech, org: Organization) -> Prices:
    """The price table of ``org`` under ``tech`` (cached per preset object and organisation)."""
    key = (id(tech), org)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is tech:  # id() alone could name a collected preset
        return hit[1]
    prices = _circuit_prices(tech, org) if circuit_level(tech) else _constant_prices(tech, org)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = (tech, prices)
    return prices


def _constant_prices(tech: Tech, org: Organization) -> Prices:
    base = constant_prices(tech)
    latency = dict(base.latency_ns, bus_cycles=htree_latency_ns(org, tech))
    return Prices(dict(base.energy_pj), latency, base.source)


def _circuit_prices(tech: Tech, org: Organization) -> Prices:
    from rtmcim.memory.circuit import array_figures

    fig = array_figures(org, tech)
    w, tracks = fig.word_bits, org.mu.tracks
    shift_pj = fig.shift_step.energy_pj / tracks  # per track-step
    energy = {
        **logic_energies_pj(tech),
        "shift_steps": shift_pj,
        "bit_reads": fig.subarray_read.energy_pj / w,
        "bit_writes": fig.subarray_write.energy_pj / w,
        "cell_shift_steps": shift_pj,
        "cell_bit_reads": fig.local_read.energy_pj / w,
        "cell_bit_writes": fig.local_write.energy_pj / w,
        "bus_bit_mm": fig.htree_pj_per_bit_mm,
        # a racetrack design holds no SRAM; a baseline's own SRAM replaces these
        "sram_bit_reads": tech.sram.energy_pj_per_bit,
        "sram_bit_writes": tech.sram.energy_pj_per_bit,
    }
    latency = {
        **logic_latencies_ns(tech),
        "shift_cycles": fig.shift_step.latency_ns,
        "read_cycles": fig.subarray_read.latency_ns,
        "write_cycles": fig.subarray_write.latency_ns,
        "cell_shift_cycles": fig.shift_step.latency_ns,
        "cell_read_cycles": fig.local_read.latency_ns,
        "cell_write_cycles": fig.local_write.latency_ns,
        "bus_cycles": fig.htree_mm * fig.htree_ns_per_mm,
        "sram_cycles": tech.sram.latency_ns,
    }
    rows, cols = org.grid
    source = (
        f"circuit model of {org.banks} x {org.subarrays_per_bank} x {rows}x{cols} MUs "
        f"({org.mu.domains}/{org.mu.ports}/{org.mu.tracks}) under preset {tech.name}"
    )
    return Prices(energy, latency, source)


def sram_organization(tech: Tech, capacity_bytes: int, word_bits: int) -> SramOrganization:
    """The SRAM of ``capacity_bytes`` a baseline builds: DESTINY-style search on read EDP."""
    from rtmcim.memory.circuit import SramOrganization, optimize_organization

    best = optimize_organization(
        8 * capacity_bytes, word_bits, tech, SRAM_TARGET, cell="sram", top=1
    )
    org = best[0][0]
    assert isinstance(org, SramOrganization)
    return org


def sram_figures(tech: Tech, capacity_bytes: int, word_bits: int) -> ArrayFigures:
    """Circuit figures of the SRAM a baseline builds (circuit-level presets only)."""
    from rtmcim.memory.circuit import array_figures

    return array_figures(sram_organization(tech, capacity_bytes, word_bits), tech)


def sram_prices(base: Prices, tech: Tech, capacity_bytes: int, word_bits: int) -> Prices:
    """``base`` with its SRAM events priced for an SRAM of ``capacity_bytes``.

    Circuit level: the SRAM's own subarray access per bit (the design's bus
    carries the bits to the MAC units, so the SRAM's H-tree is not charged
    twice); its write latency per ``sram_cycles`` step. Per-event level: the
    preset's SRAM constants, whatever the capacity.
    """
    if not circuit_level(tech):
        return base
    fig = sram_figures(tech, capacity_bytes, word_bits)
    energy = dict(
        base.energy_pj,
        sram_bit_reads=fig.subarray_read.energy_pj / fig.word_bits,
        sram_bit_writes=fig.subarray_write.energy_pj / fig.word_bits,
        bus_bit_mm=fig.htree_pj_per_bit_mm,
    )
    latency = dict(base.latency_ns, sram_cycles=fig.subarray_write.latency_ns)
    source = f"{base.source}; SRAM: circuit model of {capacity_bytes} bytes, {word_bits}-bit words"
    return Prices(energy, latency, source)


__all__ = ["prices_for", "sram_figures", "sram_organization", "sram_prices"]
