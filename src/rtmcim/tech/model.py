"""The validated technology model: per-event energy and latency, geometry, CMOS constants.

Units are in field names: ``_pj`` picojoules, ``_ns`` nanoseconds, ``_um2``
square micrometres, ``_f2`` multiples of F² (F = feature size), ``_f`` multiples
of F, ``_mw`` milliwatts, ``_nw`` nanowatts. Every numeric field of every
section must name its source in the section's ``sources`` mapping (a paper,
table or tool, or ``assumed: ...`` / ``derived: ...``); a preset missing one is
rejected.

Presets come in three levels: ``array`` and ``device`` price events with
per-event constants; ``circuit`` presets also carry the device, interconnect,
cell and periphery parameters from which :mod:`rtmcim.memory.circuit` computes
array area, latency, energy and leakage (sections :class:`DeviceTech`,
:class:`InterconnectTech`, :class:`DwmCellTech`, :class:`SramCellTech`,
:class:`PeripheryCircuitTech`, which the other levels may omit).
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import Field, PositiveFloat, model_validator

from rtmcim.config import Frozen

MAX_MAGNITUDE = 1e12
"""Largest magnitude of a technology figure in its unit (the shipped presets stay within 1e-12
..1e6): beyond it, event counts times prices would overflow to inf."""


class _Sourced(Frozen):
    """A section whose every numeric field names its source."""

    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _figures_in_range(self) -> Self:
        for name in type(self).model_fields:
            v = getattr(self, name)
            if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) > MAX_MAGNITUDE:
                raise ValueError(
                    f"{name} = {v!r} is beyond any physical figure (allowed: |value| <= "
                    f"{MAX_MAGNITUDE:g} in the field's unit)"
                )
        return self

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


class DeviceTech(_Sourced):
    """The node's CMOS transistors (one device roadmap, e.g. ITRS high performance).

    On and off currents are tabulated per micrometre of gate width from 300 K to
    400 K in 10 K steps; the model interpolates at ``temperature_k``.
    """

    node_nm: PositiveFloat  # the node these tables describe (the preset's node_nm must match)
    temperature_k: float = Field(ge=300, le=400)  # operating temperature
    vth_v: PositiveFloat
    gate_length_nm: PositiveFloat  # physical gate length
    cap_ideal_gate_ff_per_um: PositiveFloat  # intrinsic gate capacitance per width
    cap_fringe_ff_per_um: PositiveFloat  # gate fringe capacitance (counted 3x: CACTI)
    cap_overlap_ratio: PositiveFloat  # overlap capacitance / ideal gate capacitance
    cap_junction_ff_per_um2: PositiveFloat  # zero-bias bottom junction capacitance
    cap_sidewall_ff_per_um: PositiveFloat  # zero-bias isolation-edge sidewall capacitance
    cap_gate_edge_ff_per_um: PositiveFloat  # zero-bias gate-edge sidewall capacitance
    junction_potential_v: PositiveFloat  # built-in potential (BSIM4 PB)
    junction_grading: PositiveFloat  # bottom junction grading coefficient
    sidewall_grading: PositiveFloat  # sidewall grading coefficient
    cox_ff_per_um2: PositiveFloat  # gate oxide capacitance per area
    mobility_n_cm2_per_vs: PositiveFloat  # effective electron mobility
    mobility_p_cm2_per_vs: PositiveFloat  # effective hole mobility
    pn_ratio: PositiveFloat  # PMOS/NMOS width for equal drive
    resistance_multiplier: PositiveFloat  # effective on-resistance / (vdd / Ion)
    ion_n_ua_per_um: list[PositiveFloat]  # 300..400 K in 10 K steps
    ion_p_ua_per_um: list[PositiveFloat]
    ioff_n_ua_per_um: list[PositiveFloat]
    ioff_p_ua_per_um: list[PositiveFloat]

    @model_validator(mode="after")
    def _tables_span_300_to_400_k(self) -> Self:
        for name in ("ion_n_ua_per_um", "ion_p_ua_per_um", "ioff_n_ua_per_um", "ioff_p_ua_per_um"):
            if len(getattr(self, name)) != 11:
                raise ValueError(f"{name} needs 11 values (300 K to 400 K in 10 K steps)")
        return self


class InterconnectTech(_Sourced):
    """Local (inside arrays) and global (H-tree) copper wires: geometry and materials.

    Resistance and capacitance per micrometre follow from these
    (:mod:`rtmcim.memory.circuit.wires`).
    """

    local_pitch_f: PositiveFloat
    local_aspect_ratio: PositiveFloat  # thickness / width
    local_ild_thickness_f: PositiveFloat
    local_barrier_nm: float = Field(ge=0)
    local_dielectric: PositiveFloat  # horizontal (line-to-line) dielectric constant
    local_resistivity_uohm_cm: PositiveFloat  # at 293 K, size effects included
    global_pitch_f: PositiveFloat
    global_aspect_ratio: PositiveFloat
    global_ild_thickness_nm: PositiveFloat
    global_barrier_nm: float = Field(ge=0)
    global_dielectric: PositiveFloat
    global_resistivity_uohm_cm: PositiveFloat
    vertical_dielectric: PositiveFloat  # dielectric constant towards the planes above/below
    miller_factor: PositiveFloat  # switching neighbours (1 = quiet, 2 = opposite)
    fringe_cap_ff_per_um: float = Field(ge=0)
    resistivity_tempco_per_k: float = Field(ge=0)
    global_repeated: bool  # H-tree wires with optimally spaced repeaters or bare RC wires


class DwmCellTech(_Sourced):
    """A racetrack (domain-wall memory) cell: one domain, MTJ port, CMOS access device."""

    area_f2: PositiveFloat  # per domain
    aspect_ratio: PositiveFloat  # height / width
    r_on_ohm: PositiveFloat
    r_off_ohm: PositiveFloat
    read_voltage_v: PositiveFloat  # current-mode sensing bias
    access_drop_v: float = Field(ge=0)  # voltage across the access device
    write_current_ua: PositiveFloat
    write_pulse_ns: PositiveFloat
    shift_current_ua: PositiveFloat
    shift_pulse_ns: PositiveFloat
    access_width_f: PositiveFloat  # access transistor (and shift driver) width
    track_resistivity_ohm_m: PositiveFloat
    track_thickness_nm: PositiveFloat
    track_width_f: PositiveFloat
    domain_length_f: PositiveFloat
    min_sense_voltage_v: PositiveFloat


class SramCellTech(_Sourced):
    """A 6T SRAM cell."""

    area_f2: PositiveFloat
    aspect_ratio: PositiveFloat  # height / width
    access_width_f: PositiveFloat
    nmos_width_f: PositiveFloat  # pull-down
    pmos_width_f: PositiveFloat  # pull-up
    min_sense_voltage_v: PositiveFloat
    stitch_columns: int = Field(ge=1)  # a well/strap stitch every this many columns
    stitch_overhead_f: float = Field(ge=0)


class PeripheryCircuitTech(_Sourced):
    """Sense amplifiers and periphery transistor sizes of the array circuit model."""

    iv_converter_area_f2: PositiveFloat  # current-mode sensing front end, per sense amp
    iv_converter_latency_ns: PositiveFloat
    iv_converter_energy_pj: PositiveFloat
    iv_converter_leakage_nw: float = Field(ge=0)
    sa_pmos_width_f: PositiveFloat  # latch-type voltage sense amplifier (CACTI)
    sa_nmos_width_f: PositiveFloat
    sa_isolation_width_f: PositiveFloat
    sa_enable_width_f: PositiveFloat
    sa_mux_width_f: PositiveFloat
    precharge_width_f: PositiveFloat
    mux_pass_width_f: PositiveFloat
    min_nmos_width_f: PositiveFloat
    max_nmos_width_f: PositiveFloat
    stage_effort: PositiveFloat  # logical-effort fan-out per stage of a driver chain


CIRCUIT_SECTIONS = ("device", "interconnect", "dwm_cell", "sram_cell", "periphery_circuit")


class Tech(Frozen):
    """A technology preset. Build with :func:`rtmcim.tech.load_tech`."""

    name: str
    description: str
    level: Literal["array", "device", "circuit"]
    node_nm: float = Field(gt=0, le=1000)  # bounds: any CMOS node, supply and clock
    vdd_v: float = Field(gt=0, le=10)
    clock_ghz: float = Field(gt=0, le=100)
    rtm: RtmTech
    lim: LimTech
    cmos: CmosTech
    periphery: PeripheryTech
    wire: WireTech
    sram: SramTech
    dram: DramTech
    # circuit level (rtmcim.memory.circuit); optional for the array and device levels
    device: DeviceTech | None = None
    interconnect: InterconnectTech | None = None
    dwm_cell: DwmCellTech | None = None
    sram_cell: SramCellTech | None = None
    periphery_circuit: PeripheryCircuitTech | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _top_level_sources(self) -> Self:
        needed = {"node_nm", "vdd_v", "clock_ghz"}
        missing = sorted(needed - set(self.sources))
        if missing:
            raise ValueError(f"no source given for {', '.join(missing)} (add them under 'sources')")
        return self

    @model_validator(mode="after")
    def _circuit_level_has_circuit_sections(self) -> Self:
        if self.level == "circuit":
            missing = [s for s in CIRCUIT_SECTIONS if getattr(self, s) is None]
            if missing:
                raise ValueError(f"a level: circuit preset needs the sections {', '.join(missing)}")
            assert self.device is not None
            if abs(self.node_nm - self.device.node_nm) > 1e-9:
                raise ValueError(
                    f"node_nm = {self.node_nm:g} is outside this preset's device and wire tables "
                    f"(allowed: {self.device.node_nm:g}; another node needs a preset with its "
                    "own tables)"
                )
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
