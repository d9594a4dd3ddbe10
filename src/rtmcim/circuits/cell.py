"""The cell contract shared by adders, multipliers and the MAC (see :mod:`rtmcim.circuits.registry`).

A cell subclass supplies three things: ``_compute`` (the functional model on
plane stacks, every bit operation through an :class:`Evaluator`),
``_cost`` (the analytical event tally of one operation) and ``_footprint``
(its transistor, latch, PCSA and racetrack counts). The base class validates
input, packs and unpacks lanes, and turns a footprint into µm² with a
:class:`~rtmcim.tech.Tech`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from rtmcim.circuits.bitplanes import (
    IntArray,
    Planes,
    check_bits,
    check_operand,
    pack,
    unpack,
)
from rtmcim.circuits.logic import Evaluator, FaultHook
from rtmcim.errors import ConfigError
from rtmcim.tally import Tally
from rtmcim.tech import PriceSource, Tech, latency_ns, price

Kind = Literal["adder", "multiplier", "mac"]


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a cell is built of; :meth:`area_um2` prices it with a technology.

    ``pcsa`` PCSA evaluators, ``latches`` one-bit CMOS latches, ``cmos_transistors``
    other logic transistors (encoders, muxes), ``sense_amps`` periphery sense
    amplifiers, ``decoder_rows`` decoded rows, ``tracks`` racetracks with ``domains`` domains in total and
    ``ports`` access ports in total.
    """

    pcsa: int = 0
    latches: int = 0
    cmos_transistors: int = 0
    sense_amps: int = 0
    decoder_rows: int = 0
    tracks: int = 0
    domains: int = 0
    ports: int = 0

    def __add__(self, other: Footprint) -> Footprint:
        return Footprint(
            self.pcsa + other.pcsa,
            self.latches + other.latches,
            self.cmos_transistors + other.cmos_transistors,
            self.sense_amps + other.sense_amps,
            self.decoder_rows + other.decoder_rows,
            self.tracks + other.tracks,
            self.domains + other.domains,
            self.ports + other.ports,
        )

    def transistors(self, tech: Tech) -> float:
        return (
            self.pcsa * tech.lim.pcsa_transistors
            + self.latches * tech.lim.latch_transistors
            + self.cmos_transistors
            + self.sense_amps * tech.periphery.sense_amp_transistors
            + self.decoder_rows * tech.periphery.decoder_transistors_per_row
        )

    def area_um2(self, tech: Tech) -> float:
        r = tech.rtm
        f2 = (
            self.transistors(tech) * tech.cmos.transistor_area_f2
            + self.domains * r.cell_area_f2
            + self.ports * r.access_transistors_per_port * r.access_transistor_area_f2
            + self.tracks * r.shift_driver_area_f2
        )
        return tech.f2_to_um2(f2)


def track(domains: int, ports: int) -> Footprint:
    """One racetrack holding ``domains`` data domains read through ``ports`` ports.

    A track with p ports over d domains needs d/p - 1 overhead domains so that
    every domain can reach a port without falling off the end (DESIGN.md 1.1).
    """
    overhead = max(-(-domains // ports) - 1, 0)
    return Footprint(tracks=1, domains=domains + overhead, ports=ports)


def tracks(count: int, domains: int, ports: int) -> Footprint:
    one = track(domains, ports)
    return Footprint(
        tracks=count * one.tracks, domains=count * one.domains, ports=count * one.ports
    )


class Cell(ABC):
    """An in-memory arithmetic cell: functional model, analytical cost, area."""

    name: ClassVar[str]
    kind: ClassVar[Kind]
    description: ClassVar[str]
    supports_signed: ClassVar[bool] = True
    supports_unsigned: ClassVar[bool] = True
    max_bits: ClassVar[int] = 32
    # Products are returned as int64: an unsigned 32 x 32 product does not fit.
    max_unsigned_bits: ClassVar[int] = 32
    data_dependent: ClassVar[bool] = False
    """True if ``cost`` is a worst case that ``run`` may stay below (it never exceeds it)."""
    signed_run: ClassVar[bool] = False  # what ``run`` computes when not told

    # -- the contract -----------------------------------------------------------------

    def run(
        self,
        a: object,
        b: object,
        bits: int,
        signed: bool | None = None,
        *,
        fault: FaultHook | None = None,
    ) -> tuple[IntArray, Tally]:
        """Compute lane by lane with the cell's own bit operations; return results and events.

        The tally counts events over all lanes and the cycles of one operation
        (lanes are copies side by side): for a data-independent cell it equals
        ``cost(bits, signed).parallel(lanes)``. ``signed=None``: unsigned, but for
        the MAC cell (signed weights).
        """
        return self._run(a, b, bits, self.signed_run if signed is None else signed, fault)

    def _run(
        self, a: object, b: object, bits: int, signed: bool, fault: FaultHook | None
    ) -> tuple[IntArray, Tally]:
        bits = self._check_mode(bits, signed)
        av = check_operand(a, bits, signed, key="a")
        bv = check_operand(b, bits, signed, key="b")
        if av.shape != bv.shape:
            raise ConfigError(
                "operands must have the same number of lanes",
                key="b",
                value=bv.size,
                allowed=f"{av.size} lanes, like a",
            )
        ev = Evaluator(av.size, fault)
        planes = self._compute(ev, pack(av, bits), pack(bv, bits), bits, signed)
        return unpack(planes, av.size, self._result_signed(signed)), ev.tally()

    def cost(self, bits: int, signed: bool | None = None) -> Tally:
        """Events and critical-path cycles of one operation (``signed=None``: the cell's default)."""
        s = self.supports_signed if signed is None else signed
        return self._cost(self._check_mode(bits, s), s)

    def area_um2(self, tech: Tech, bits: int) -> float:
        """Silicon area of one cell at ``bits`` bits, from its footprint."""
        return self.footprint(bits).area_um2(tech)

    def footprint(self, bits: int) -> Footprint:
        return self._footprint(check_bits(bits, self.max_bits))

    def latency_ns(self, prices: PriceSource, bits: int, signed: bool | None = None) -> float:
        """Latency of one operation under ``prices`` (a price table, or a per-event preset)."""
        return latency_ns(self.cost(bits, signed), prices)

    def energy_pj(self, prices: PriceSource, bits: int, signed: bool | None = None) -> float:
        """Energy of one operation under ``prices`` (a price table, or a per-event preset)."""
        return price(self.cost(bits, signed), prices).total_energy_pj

    # -- for subclasses -----------------------------------------------------------------

    def _check_mode(self, bits: int, signed: bool) -> int:
        if signed and not self.supports_signed:
            raise ConfigError(
                f"cell {self.name} has no signed mode", key="signed", value=True, allowed="False"
            )
        if not signed and not self.supports_unsigned:
            raise ConfigError(
                f"cell {self.name} has no unsigned mode", key="signed", value=False, allowed="True"
            )
        limit = self.max_bits if signed else min(self.max_bits, self.max_unsigned_bits)
        return check_bits(bits, limit)

    def _result_signed(self, signed: bool) -> bool:
        return signed

    @abstractmethod
    def _compute(self, ev: Evaluator, a: Planes, b: Planes, bits: int, signed: bool) -> Planes: ...

    @abstractmethod
    def _cost(self, bits: int, signed: bool) -> Tally: ...

    @abstractmethod
    def _footprint(self, bits: int) -> Footprint: ...

    def __repr__(self) -> str:
        return f"<cell {self.name} ({self.kind})>"


def as_list(planes: Planes) -> list[Planes]:
    return [planes[k] for k in range(planes.shape[0])]


def stack(planes: list[Planes]) -> Planes:
    return np.stack(planes) if planes else np.zeros((0, 0), dtype=np.uint64)
