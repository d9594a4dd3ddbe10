"""The validated technology model: per-event energy and latency, geometry, CMOS constants.

Units are in field names: ``_pj`` picojoules, ``_ns`` nanoseconds, ``_um2``
square micrometres, ``_f2`` multiples of F² (F = feature size), ``_mw``
milliwatts, ``_nw`` nanowatts. Every numeric field of every section must name
its source in the section's ``sources`` mapping (a paper, table or tool, or
``assumed: ...`` / ``derived: ...``); a preset missing one is rejected.
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import Field, PositiveFloat, model_validator

from rtmcim.config import Frozen


class _Sourced(Frozen):
    """A section whose every numeric field names its source."""

    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_value_has_a_source(self) -> Self:
        numeric = {n for n in type(self).model_fields if n != "sources"}
        missing = sorted(numeric - set(self.sources))
        if missing:
            raise ValueError(f"no source given for {', '.join(missing)} (add them under 'sources')")
        extra = sorted(set(self.sources) - numeric)
        if extra:
            raise ValueError(
                f"sources name unknown fields {', '.join(extra)}; fields: {sorted(numeric)}"
            )
        empty = sorted(k for k, v in self.sources.items() if not v.strip())
        if empty:
            raise ValueError(f"empty source for {', '.join(empty)}")
        return self


class RtmTech(_Sourced):
    """Racetrack device and array figures."""

    shift_energy_pj: PositiveFloat  # per track per one-domain step
    shift_latency_ns: PositiveFloat  # per step
    read_energy_pj: PositiveFloat  # per bit
    read_latency_ns: PositiveFloat  # per word access
    write_energy_pj: PositiveFloat  # per bit
    write_latency_ns: PositiveFloat  # per word access
    cell_area_f2: PositiveFloat  # per domain
    access_transistor_area_f2: PositiveFloat  # one port access transistor
    access_transistors_per_port: int = Field(ge=1, le=4)  # per track per port
    shift_driver_area_f2: PositiveFloat  # per track (current drivers at the track ends)
    shift_fault_prob: float = Field(ge=0, le=1)  # position error per shift step


class LimTech(_Sourced):
    """Logic-in-memory: a PCSA with MTJ branches evaluating a Boolean function."""

    eval_energy_pj: PositiveFloat
    eval_latency_ns: PositiveFloat
    pcsa_transistors: int = Field(ge=1)  # one PCSA evaluator
    latch_energy_pj: PositiveFloat  # one bit into a CMOS latch
    latch_transistors: int = Field(ge=1)
    # Accesses a compute cell makes at its own ports (operands, partial results):
    # local driver and PCSA, no row decoder, no subarray bitline or H-tree.
    cell_read_energy_pj: PositiveFloat  # per bit
    cell_write_energy_pj: PositiveFloat  # per bit
    cell_shift_energy_pj: PositiveFloat  # per track per step


class CmosTech(_Sourced):
    """CMOS logic at the preset's node, and the Horowitz 45 nm references."""

    gate_energy_pj: PositiveFloat  # one 2-input gate-equivalent switching
    gate_latency_ns: PositiveFloat  # one gate delay
    transistor_area_f2: PositiveFloat  # one logic transistor with its share of wiring
    leakage_nw_per_transistor: float = Field(ge=0)
    ref_node_nm: PositiveFloat  # node of the reference figures below
    ref_vdd_v: PositiveFloat
    ref_add8_pj: PositiveFloat
    ref_add16_pj: PositiveFloat
    ref_add32_pj: PositiveFloat
    ref_mult8_pj: PositiveFloat
    ref_mult32_pj: PositiveFloat


class PeripheryTech(_Sourced):
    """Memory periphery transistor budgets (area, leakage)."""

    decoder_transistors_per_row: PositiveFloat
    sense_amp_transistors: PositiveFloat
    write_driver_transistors: PositiveFloat
    shift_control_transistors_per_mu: PositiveFloat


class WireTech(_Sourced):
    bus_energy_pj_per_bit_mm: PositiveFloat
    bus_latency_ns_per_mm: PositiveFloat


class SramTech(_Sourced):
    """On-chip SRAM buffers (baselines)."""

    energy_pj_per_bit: PositiveFloat
    latency_ns: PositiveFloat
    cell_area_f2: PositiveFloat


class DramTech(_Sourced):
    """Off-chip DRAM (baselines)."""

    energy_pj_per_bit: PositiveFloat
    latency_ns: PositiveFloat


class Tech(Frozen):
    """A technology preset. Build with :func:`rtmcim.tech.load_tech`."""

    name: str
    description: str
    level: Literal["array", "device"]
    node_nm: PositiveFloat
    vdd_v: PositiveFloat
    clock_ghz: PositiveFloat
    rtm: RtmTech
    lim: LimTech
    cmos: CmosTech
    periphery: PeripheryTech
    wire: WireTech
    sram: SramTech
    dram: DramTech
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _top_level_sources(self) -> Self:
        needed = {"node_nm", "vdd_v", "clock_ghz"}
        missing = sorted(needed - set(self.sources))
        if missing:
            raise ValueError(f"no source given for {', '.join(missing)} (add them under 'sources')")
        return self

    @property
    def f_um(self) -> float:
        """Feature size F in micrometres."""
        return self.node_nm / 1000.0

    def f2_to_um2(self, area_f2: float) -> float:
        """Convert an area in F² to µm² at this node."""
        return area_f2 * self.f_um**2

    @property
    def cmos_scale(self) -> float:
        """Energy factor from the 45 nm references to this node.

        Rule (PARAMETERS.md): energy scales linearly with feature size and with
        the square of the supply voltage: (node/ref_node) * (vdd/ref_vdd)^2.
        """
        return (self.node_nm / self.cmos.ref_node_nm) * (self.vdd_v / self.cmos.ref_vdd_v) ** 2

    def cmos_reference_pj(self, op: Literal["add", "mult"], bits: int) -> float:
        """Horowitz energy of an n-bit add or multiply, scaled to this node.

        Between the published widths, adds interpolate linearly in bits and
        multiplies quadratically (array multipliers grow with n²); widths below
        8 extrapolate by the same law.
        """
        c = self.cmos
        if op == "add":
            pts = [(8, c.ref_add8_pj), (16, c.ref_add16_pj), (32, c.ref_add32_pj)]
            if bits <= 8:
                e = c.ref_add8_pj * bits / 8
            elif bits <= 16:
                e = pts[0][1] + (pts[1][1] - pts[0][1]) * (bits - 8) / 8
            elif bits <= 32:
                e = pts[1][1] + (pts[2][1] - pts[1][1]) * (bits - 16) / 16
            else:
                e = c.ref_add32_pj * bits / 32
        else:
            if bits <= 8:
                e = c.ref_mult8_pj * (bits / 8) ** 2
            else:
                # fit e = m8 * (n/8)^p through (8, m8) and (32, m32)
                p = math.log(c.ref_mult32_pj / c.ref_mult8_pj) / math.log(4)
                e = c.ref_mult8_pj * (bits / 8) ** p
        return e * self.cmos_scale
