"""The price table of a memory: what one event of each kind costs in this organisation.

A per-event preset (``level: array`` or ``device``) prices every array event at
a constant, whatever the organisation (:func:`rtmcim.tech.constant_prices`).
A circuit-level preset prices them from the circuits of the organisation
(:mod:`rtmcim.memory.circuit`): where an access goes decides what it costs
(DESIGN.md 1.3):

============================  =========================================================
tally field                   priced at (circuit level)
============================  =========================================================
``bit_reads``/``bit_writes``  a word through the subarray periphery (predecoder,
                              decoder, wordline, bitline, sense amplifier, column mux /
                              write driver), per bit; ``read_cycles``/``write_cycles``
                              its latency
``cell_bit_reads``/``_writes`` the local path: a word sensed or written at a macro
                              unit's ports by the sense amplifiers and drivers beside a
                              PE (no decoder, no H-tree); ``cell_read_cycles`` /
                              ``cell_write_cycles`` its latency
``shift_steps``               one track moved one domain (the shift driver's pulse through
                              the track), ``shift_cycles`` one MU step; a compute cell's
                              own tracks (``cell_shift_*``) shift by the same drivers
``bus_bit_mm``                the H-tree's repeated wire, per bit and mm
============================  =========================================================

Logic-in-memory, CMOS gates, latches and DRAM keep the preset's figures at
either level. Tables are cached per (preset, organisation): a sweep computes
the circuits of each organisation once.
"""

from __future__ import annotations

from rtmcim.memory.organization import Organization
from rtmcim.tech import Prices, Tech, constant_prices

_CACHE: dict[tuple[int, Organization | None], tuple[Tech, Prices]] = {}
_CACHE_LIMIT = 4096


def prices_for(tech: Tech, org: Organization | None = None) -> Prices:
    """The price table of ``org`` under ``tech`` (``org`` may be None for a per-event preset)."""
    key = (id(tech), org if tech.level == "circuit" else None)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is tech:  # id() alone could name a collected preset
        return hit[1]
    prices = constant_prices(tech)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = (tech, prices)
    return prices


__all__ = ["prices_for"]
