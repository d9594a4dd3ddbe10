"""One subarray: wordline and bitline RC, row and column decoding, sensing, layout.

A subarray is a cell array of ``wordlines`` access rows by ``columns``
bitlines with, on its left, the row decoder's final stage (one driver per
wordline, sized for the wordline's load) and, below it, the precharger, the
``mux``:1 column multiplexer, one sense amplifier and one write driver per
output bit (NVSim's subarray, Dong et al., TCAD 2012, Fig. 3).

Wordline: local wire across the array plus the gates of the access
transistors on it. Bitline: local wire along the array plus the drains of
the access transistors on it (two cells share a drain contact). Bitline
sensing:

* racetrack (current mode): the ICCAD 2009 model NVSim uses,
  ``tau = R_bl C_bl / 2 (R_off + R_bl / 3) / (R_off + R_bl)``; the bitline swings
  only to the small bias the cell current sets, so its energy is tiny next to
  the sense amplifier's;
* SRAM (voltage mode): the cell's access and pull-down transistors discharge
  the bitline until the sense amplifier's input difference appears,
  ``tau ln(V_pre / (V_pre - dV / 2))`` with ``V_pre = Vdd / 2`` (NVSim's SRAM model),
  every bitline of the row swinging on a read, the written ones on a write.

Times are Horowitz delays with input slopes passed along the path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.memory.circuit import cells
from rtmcim.memory.circuit.block import Block
from rtmcim.memory.circuit.decoder import address_bits, line_driver, one_hot, row_decoder
from rtmcim.memory.circuit.devices import (
    Devices,
    drain_cap_farad,
    gate_cap_farad,
    horowitz_s,
    on_resistance_ohm,
    transconductance,
)
from rtmcim.memory.circuit.paths import PathBuilder
from rtmcim.memory.circuit.sensing import column_mux, precharger, sense_amps, write_drivers
from rtmcim.memory.circuit.wires import Wire
from rtmcim.tech import Tech


@dataclass(frozen=True, slots=True)
class SubarraySpec:
    """The geometry the circuit model needs, for a racetrack or an SRAM subarray."""

    kind: str  # "rtm" or "sram"
    wordlines: int
    columns: int
    mux: int  # bitlines per sense amplifier
    word_bits: int
    array_width_m: float
    array_height_m: float
    column_pitch_m: float
    wordline_gates: float  # access-transistor gates on one wordline
    bitline_drains: float  # access-transistor drains on one bitline
    access_width_m: float
    storage_m2: float  # the cells (racetrack: strips or port transistors)
    shift_drivers_m2: float = 0.0  # racetrack: per-track shift drivers inside the MUs


@dataclass(frozen=True, slots=True)
class Subarray:
    """A subarray's paths (SI parts), leakage and layout."""

    read: PathBuilder
    write: PathBuilder
    local_read: PathBuilder  # SRAM: a word read in place (racetrack: see racetrack.local_paths)
    local_write: PathBuilder
    leakage_w: dict[str, float]
    area_m2: dict[str, float]
    height_m: float
    width_m: float
    row_bits: int  # address bits decoded by the predecoder for the row
    mux_bits: int
    row_nand_c_farad: float  # load of one row driver on a predecode line
    c_bitline_farad: float
    r_bitline_ohm: float
    sense: Block


def _lines(spec: SubarraySpec, d: Devices, local: Wire) -> tuple[float, float, float, float]:
    """(C, R) of one wordline and of one bitline."""
    c_wl = local.c_farad_per_m * spec.array_width_m + spec.wordline_gates * gate_cap_farad(
        d, spec.access_width_m
    )
    r_wl = local.r_ohm_per_m * spec.array_width_m
    # access transistors are laid out unfolded beside their cells (the footprint of the
    # racetrack port transistor and of the 6T cell's access device)
    c_drain = drain_cap_farad(d, spec.access_width_m, False, spec.access_width_m)
    c_bl = local.c_farad_per_m * spec.array_height_m + spec.bitline_drains * c_drain
    r_bl = local.r_ohm_per_m * spec.array_height_m
    return c_wl, r_wl, c_bl, r_bl


def subarray(spec: SubarraySpec, tech: Tech, d: Devices, local: Wire, ramp_in: float) -> Subarray:
    """Area, leakage and the read/write paths of one subarray (decoder input slope ``ramp_in``)."""
    pc = tech.periphery_circuit
    assert pc is not None
    rtm = spec.kind == "rtm"
    c_wl, r_wl, c_bl, r_bl = _lines(spec, d, local)
    rows, row_c_in = row_decoder(d, spec.wordlines, c_wl, r_wl, ramp_in)
    outputs = spec.columns // spec.mux
    sense_v = cells.dwm(tech).min_sense_voltage_v if rtm else cells.sram(tech).min_sense_voltage_v
    sa = sense_amps(d, pc, outputs, spec.column_pitch_m * spec.mux, sense_v, current_mode=rtm)
    write_i = cells.dwm(tech).write_current_ua * 1e-6 if rtm else 0.0
    mux = column_mux(d, pc, spec.columns, spec.mux, spec.column_pitch_m, write_i, sa.c_input_farad)
    mux_bits = address_bits(spec.mux)
    c_select = local.c_farad_per_m * spec.array_width_m + outputs * gate_cap_farad(d, mux.width_m)
    mux_dec = one_hot(d, mux_bits, c_select, local.r_ohm_per_m * spec.array_width_m, ramp_in)
    pre = precharger(
        d, pc, spec.columns, spec.column_pitch_m, c_bl, r_bl, local.c_farad_per_m, ramp_in
    )
    # a write driver passes the same current as the column multiplexer's pass gate
    drive_i = max(write_i, mux.width_m * d.ion_n_a_per_m)
    wdrv = write_drivers(d, outputs, spec.column_pitch_m * spec.mux, drive_i)
    c_bl_total = c_bl + mux.c_drain_farad

    # ---- read
    row_total = rows.delay_s
    read, local_read, local_write = PathBuilder(), PathBuilder(), PathBuilder()
    if row_total >= mux_dec.delay_s:
        read.t("decoder", row_total - rows.load_rc_s).t("wordline", rows.load_rc_s)
    else:
        read.t("decoder", mux_dec.delay_s)
    vdd2 = d.vdd_v**2
    read.e("decoder", rows.energy_j - c_wl * vdd2 + mux_dec.energy_j).e("wordline", c_wl * vdd2)
    c_node = (spec.mux * mux.c_drain_farad if spec.mux > 1 else 0.0) + sa.c_input_farad
    if rtm:
        r_off = cells.dwm(tech).r_off_ohm
        tau = r_bl * c_bl / 2 * (r_off + r_bl / 3) / (r_off + r_bl)
        bl_delay, _ = horowitz_s(tau, 0.0, rows.ramp_out)
        # bias levels of the bitline while the cell current flows (ICCAD 2009 / NVSim)
        r_cell = cells.dwm(tech).r_on_ohm + on_resistance_ohm(d, spec.access_width_m)
        v_read = cells.dwm(tech).read_voltage_v
        v_max = v_read * (mux.r_pass_ohm + r_bl) / (mux.r_pass_ohm + r_bl + r_cell)
        v_min = v_read * mux.r_pass_ohm / (mux.r_pass_ohm + r_bl + r_cell)
        bl_energy = c_bl * (v_max**2 + v_min**2 + v_max * v_min) / 3 + c_node * v_min**2
        read.t("bitline", bl_delay).e("bitline", outputs * bl_energy)
        read.e("cell", outputs * cells.dwm_read_energy_j(tech, sa.block.delay_s))
    else:
        sc = cells.sram(tech)
        v_pre = d.vdd_v / 2
        r_pull = on_resistance_ohm(d, d.f(sc.nmos_width_f))
        r_acc = on_resistance_ohm(d, spec.access_width_m)
        tau = (r_acc + r_pull) * (c_bl + c_node) + r_bl * (c_node + c_bl / 2)
        tau *= math.log(v_pre / (v_pre - sc.min_sense_voltage_v / 2))
        beta = 1.0 / (r_pull * transconductance(d, spec.access_width_m))
        bl_delay, _ = horowitz_s(tau, beta, rows.ramp_out)
        read.t("bitline", bl_delay).e("bitline", spec.columns * c_bl_total * v_pre**2)
        # in place: the row's own driver (no decoding), bitlines, sense amplifiers
        own = line_driver(d, 1, c_wl, r_wl, math.inf)
        own_bl, _ = horowitz_s(tau, beta, own.ramp_out)
        local_read.t("wordline", own.delay_s).e("wordline", own.energy_j)
        local_read.t("bitline", own_bl).e("bitline", spec.columns * c_bl_total * v_pre**2)
        local_read.t("senseamp", sa.block.delay_s).e("senseamp", sa.block.energy_j)
        local_read.e("precharge", pre.energy_j)
    read.t("mux", mux.block.delay_s).e("mux", mux.block.energy_j)
    read.t("senseamp", sa.block.delay_s).e("senseamp", sa.block.energy_j)
    read.e("precharge", pre.energy_j)

    # ---- write: wordline and column path in parallel, then the cell
    write = PathBuilder()
    r_drive = mux.r_pass_ohm + on_resistance_ohm(d, drive_i / d.ion_n_a_per_m)
    charge, _ = horowitz_s(r_drive * c_bl_total + r_bl * c_bl / 2, 0.0, math.inf)
    if row_total >= mux_dec.delay_s + charge:
        write.t("decoder", row_total - rows.load_rc_s).t("wordline", rows.load_rc_s)
    else:
        write.t("decoder", mux_dec.delay_s).t("bitline", charge)
    write.e("decoder", rows.energy_j - c_wl * vdd2 + mux_dec.energy_j).e("wordline", c_wl * vdd2)
    write.e("mux", mux.block.energy_j).e("write_driver", wdrv.energy_j)
    if rtm:
        c = cells.dwm(tech)
        write.t("cell", c.write_pulse_ns * 1e-9)
        write.e("cell", outputs * cells.dwm_write_energy_j(tech))
        write.e("bitline", outputs * c_bl_total * vdd2)
    else:
        sc = cells.sram(tech)
        # the cell flips once its storage node is pulled through the access device
        c_node_cell = gate_cap_farad(d, d.f(sc.nmos_width_f + sc.pmos_width_f))
        flip, _ = horowitz_s(on_resistance_ohm(d, spec.access_width_m) * c_node_cell, 0.0, math.inf)
        write.t("cell", flip).e("cell", outputs * c_node_cell * vdd2)
        write.e("bitline", outputs * c_bl_total * (d.vdd_v / 2) ** 2)
        own = line_driver(d, 1, c_wl, r_wl, math.inf)
        own_charge, _ = horowitz_s(r_drive * c_bl + r_bl * c_bl / 2, 0.0, math.inf)
        # the row's driver and the bitline drivers work in parallel
        if own.delay_s >= own_charge:
            local_write.t("wordline", own.delay_s)
        else:
            local_write.t("bitline", own_charge)
        local_write.e("wordline", own.energy_j)
        local_write.e("write_driver", wdrv.energy_j)
        local_write.t("cell", flip).e("cell", outputs * c_node_cell * vdd2)
        local_write.e("bitline", outputs * c_bl * (d.vdd_v / 2) ** 2)

    # ---- leakage and layout
    leak = {
        "decoder": rows.leakage_w + mux_dec.leakage_w,
        "senseamp": sa.block.leakage_w,
        "precharge": pre.leakage_w,
        "write_driver": wdrv.leakage_w,
    }
    if not rtm:
        leak["cell"] = spec.wordlines * spec.columns * cells.sram_cell_leakage_w(d, tech)
    below = pre.height_m + mux.block.height_m + sa.block.height_m + wdrv.height_m
    # the row decoder folds when taller than the array (NVSim's "magic folding")
    dec_w = (
        rows.area_m2 / spec.array_height_m if rows.height_m > spec.array_height_m else rows.width_m
    )
    height = spec.array_height_m + below
    # the column-select decoder sits in the corner beside the sense amplifiers (NVSim),
    # sharing the decoder column; the column holds both at least
    left = max(
        dec_w,
        mux_dec.width_m if mux_dec.area_m2 else 0.0,
        (rows.area_m2 + mux_dec.area_m2) / height,
    )
    width = spec.array_width_m + left
    area = {
        "cells": spec.storage_m2,
        "shift_driver": spec.shift_drivers_m2,
        "decoder": rows.area_m2 + mux_dec.area_m2,
        "precharge": pre.area_m2,
        "mux": mux.block.area_m2,
        "senseamp": sa.block.area_m2,
        "write_driver": wdrv.area_m2,
    }
    return Subarray(
        read=read,
        write=write,
        local_read=local_read,
        local_write=local_write,
        leakage_w=leak,
        area_m2=area,
        height_m=height,
        width_m=width,
        row_bits=address_bits(spec.wordlines),
        mux_bits=mux_bits,
        row_nand_c_farad=row_c_in,
        c_bitline_farad=c_bl_total,
        r_bitline_ohm=r_bl,
        sense=sa.block,
    )
