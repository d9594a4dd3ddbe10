"""Column periphery: sense amplifiers, precharger, column multiplexer, write drivers.

* Sense amplifier: CACTI's latch-type voltage sense amplifier (transistor
  widths in the preset), whose regeneration time is ``C/gm ln(Vdd/dV)``;
  for current-mode (MTJ) sensing an I-V converter in front of it, whose area,
  delay, energy and leakage are the HSPICE figures NVSim publishes per node.
  Sense amplifiers sit at the pitch of ``mux`` bitlines, stacked in rows when
  that pitch is narrower than their widest transistor.
* Precharger: per bitline two precharge PMOS and an equaliser, switched by a
  per-column inverter from an enable line driven by a sized chain (NVSim).
  The bitline's own recharge is priced with the bitline, not here.
* Column multiplexer: one NMOS pass transistor per bitline, at least the
  preset's width and wide enough to pass the write current (NVSim).
* Write driver: one per sense amplifier, sized to source the write current
  (racetrack) or to pull a bitline down within the cell's drive (SRAM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.memory.circuit.block import Block
from rtmcim.memory.circuit.devices import (
    Devices,
    Gate,
    drain_cap_farad,
    gate_cap_farad,
    gate_layout_m,
    leakage_a,
    on_resistance_ohm,
    transconductance,
)
from rtmcim.memory.circuit.gates import (
    GATE_HEIGHT_F,
    chain_energy_j,
    chain_layout_m,
    chain_leakage_w,
    chain_timing,
    size_chain,
)
from rtmcim.tech.model import PeripheryCircuitTech


def _layout_area(d: Devices, wn: float, wp: float) -> float:
    h, w = gate_layout_m(d, Gate.INV, 1, wn, wp, d.f(GATE_HEIGHT_F))
    return h * w


@dataclass(frozen=True, slots=True)
class SenseAmps:
    block: Block  # all sense amplifiers of a subarray; energy = one access (all of them)
    c_input_farad: float  # load one sense amplifier puts on its bitline/mux output


def sense_amps(
    d: Devices,
    pc: PeripheryCircuitTech,
    count: int,
    pitch_m: float,
    sense_v: float,
    current_mode: bool,
) -> SenseAmps:
    """``count`` sense amplifiers at ``pitch_m`` each, resolving ``sense_v``."""
    wp, wn = d.f(pc.sa_pmos_width_f), d.f(pc.sa_nmos_width_f)
    wiso, wen, wmux = (
        d.f(pc.sa_isolation_width_f),
        d.f(pc.sa_enable_width_f),
        d.f(pc.sa_mux_width_f),
    )
    # sense amplifiers narrower than their widest transistor are stacked in rows, each
    # row at a multiple of the pitch (the layout changes, not the count)
    layout_pitch = pitch_m * math.ceil(max(wp, wn, wiso, wen, wmux) / pitch_m)
    c_load = (
        gate_cap_farad(d, wp + wn)
        + drain_cap_farad(d, wn, False, layout_pitch)
        + drain_cap_farad(d, wp, True, layout_pitch)
        + drain_cap_farad(d, wiso, True, layout_pitch)
        + drain_cap_farad(d, wmux, False, layout_pitch)
    )
    gm = transconductance(d, wn) + transconductance(d, wp, pmos=True)
    latch_s = c_load / gm * math.log(d.vdd_v / sense_v)
    energy = c_load * d.vdd_v**2
    leak = leakage_a(d, Gate.INV, 1, wen, 0.0) * d.vdd_v
    # cross-coupled pair (2 P, 2 N), isolation and enable devices
    area = 2 * _layout_area(d, 0, wp) + _layout_area(d, 0, wiso)
    area += 2 * _layout_area(d, wn, 0) + _layout_area(d, wen, 0)
    delay = latch_s
    if current_mode:
        delay += pc.iv_converter_latency_ns * 1e-9
        energy += pc.iv_converter_energy_pj * 1e-12
        leak += pc.iv_converter_leakage_nw * 1e-9
        area += pc.iv_converter_area_f2 * d.f_m**2
    height = area / pitch_m
    return SenseAmps(
        Block(
            delay_s=delay,
            energy_j=count * energy,
            leakage_w=count * leak,
            height_m=height,
            width_m=count * pitch_m,
            area_m2=count * area,
        ),
        c_load,
    )


def precharger(
    d: Devices,
    pc: PeripheryCircuitTech,
    columns: int,
    column_pitch_m: float,
    c_bitline: float,
    r_bitline: float,
    c_wire_per_m: float,
    ramp_in: float,
) -> Block:
    """Precharge and equalise ``columns`` bitlines; delay = restoring one bitline (off the read path)."""
    w_pre, w_eq = d.f(pc.precharge_width_f), d.min_nmos_m
    wn, wp = d.min_nmos_m, d.min_nmos_m * d.pn_ratio
    h = d.f(GATE_HEIGHT_F)
    c_per_column_gate = gate_cap_farad(d, w_eq) + 2 * gate_cap_farad(d, w_pre)
    c_inv_out = drain_cap_farad(d, wn, False, h) + drain_cap_farad(d, wp, True, h)
    c_inv_in = gate_cap_farad(d, wn + wp)
    c_enable = columns * (c_inv_in + c_wire_per_m * column_pitch_m)
    chain = size_chain(d, 1.0, c_inv_in, c_enable)
    t = chain_timing(d, chain, c_enable, 0.0, ramp_in)
    r_up = on_resistance_ohm(d, w_pre, pmos=True)
    c_out = drain_cap_farad(d, w_pre, True, h) + drain_cap_farad(d, w_eq, True, h)
    restore = math.log(2) * (r_up * (c_bitline + c_out) + r_bitline * c_bitline / 2)
    energy = (
        chain_energy_j(d, chain, c_enable) + columns * (c_per_column_gate + c_inv_out) * d.vdd_v**2
    )
    leak = (
        chain_leakage_w(d, chain)
        + columns
        * (leakage_a(d, Gate.INV, 1, wn, wp) + leakage_a(d, Gate.INV, 1, 0.0, w_pre))
        * d.vdd_v
    )
    per_column = 2 * _layout_area(d, 0, w_pre) + _layout_area(d, 0, w_eq) + _layout_area(d, wn, wp)
    ch, cw = chain_layout_m(d, chain)
    area = columns * per_column + ch * cw
    width = columns * column_pitch_m
    return Block(
        delay_s=t.delay_s + restore,
        energy_j=energy,
        leakage_w=leak,
        height_m=area / width,
        width_m=width,
        area_m2=area,
    )


@dataclass(frozen=True, slots=True)
class ColumnMux:
    block: Block  # pass transistors of all columns; energy = the selected ones switching
    width_m: float  # of one pass transistor
    r_pass_ohm: float
    c_drain_farad: float  # one pass transistor's drain


def column_mux(
    d: Devices,
    pc: PeripheryCircuitTech,
    columns: int,
    mux: int,
    column_pitch_m: float,
    min_current_a: float,
    c_next: float,
) -> ColumnMux:
    """A ``mux``:1 pass-transistor multiplexer on every bitline (none when ``mux == 1``)."""
    w = max(d.f(pc.mux_pass_width_f), min_current_a / d.ion_n_a_per_m)
    r = on_resistance_ohm(d, w)
    c_drain = drain_cap_farad(d, w, False, d.f(GATE_HEIGHT_F))
    if mux <= 1:
        return ColumnMux(Block(), w, 0.0, 0.0)
    outputs = columns // mux
    c_out = mux * c_drain + c_next  # the shared output node and the sense amplifier behind it
    delay = math.log(10) * r * c_out  # 90 % transfer through the selected pass gate
    energy = outputs * c_out * d.vdd_v * (d.vdd_v - d.vth_v)  # NMOS passes Vdd - Vth
    area = columns * _layout_area(d, w, 0.0)
    width = columns * column_pitch_m
    return ColumnMux(
        Block(delay_s=delay, energy_j=energy, height_m=area / width, width_m=width, area_m2=area),
        w,
        r,
        c_drain,
    )


def write_drivers(d: Devices, count: int, pitch_m: float, drive_current_a: float) -> Block:
    """``count`` bitline drivers (an inverter each) able to source ``drive_current_a``."""
    wn = max(d.min_nmos_m, drive_current_a / d.ion_n_a_per_m)
    wp = max(d.min_nmos_m * d.pn_ratio, drive_current_a / d.ion_p_a_per_m)
    energy = gate_cap_farad(d, wn + wp) * d.vdd_v**2  # per driver switched
    area = _layout_area(d, wn, wp)
    return Block(
        energy_j=count * energy,
        leakage_w=count * leakage_a(d, Gate.INV, 1, wn, wp) * d.vdd_v,
        height_m=area / pitch_m,
        width_m=count * pitch_m,
        area_m2=count * area,
    )
