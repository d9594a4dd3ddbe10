"""Wires: resistance and capacitance per metre, bare and repeated delay and energy.

Resistance per length ``rho(T) / ((t - barrier) (w - 2 barrier))`` with the
copper resistivity corrected for temperature; capacitance per length the
parallel-plate and sidewall model of CACTI/NVSim (Ho, Mai, Horowitz, "The
future of wires", Proc. IEEE 2001):
``2 eps0 (eps_v w / h_ild + M eps_h t / s) + C_fringe``, with ``M`` the Miller
factor of switching neighbours. Width, thickness and spacing follow from the
pitch (half line, half space) and the aspect ratio.

A bare (unrepeated) wire settles to 90 % after ``2.3 x`` its Elmore delay
``r c L^2 / 2`` (one-pole approximation, as NVSim/DESTINY price wires without
repeaters). A repeated wire uses Bakoglu's optimal repeater size and spacing
(Bakoglu, Circuits, Interconnections and Packaging for VLSI, 1990), so its
delay, energy and leakage grow linearly with length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.memory.circuit.devices import (
    Devices,
    Gate,
    drain_cap_farad,
    gate_cap_farad,
    leakage_a,
    on_resistance_ohm,
)
from rtmcim.tech import Tech

EPS0_FARAD_PER_M = 8.854e-12
RESISTIVITY_REFERENCE_K = 293.0  # resistivities are quoted at 20 °C
LN_10 = math.log(10.0)  # 90 % settling of a one-pole response, in time constants


@dataclass(frozen=True, slots=True)
class Wire:
    """One wire type: SI resistance and capacitance per metre and its routing pitch."""

    r_ohm_per_m: float
    c_farad_per_m: float
    pitch_m: float


@dataclass(frozen=True, slots=True)
class Repeated:
    """A wire with optimally sized and spaced repeaters, per metre of length."""

    delay_s_per_m: float
    energy_j_per_m: float  # one transition of one bit
    leakage_w_per_m: float
    repeater_size: float  # in minimum inverters
    spacing_m: float


def _wire(
    pitch_m: float,
    aspect: float,
    ild_m: float,
    barrier_m: float,
    eps_h: float,
    rho_ohm_m: float,
    tech: Tech,
) -> Wire:
    ic = tech.interconnect
    assert ic is not None and tech.device is not None  # checked by devices()
    width = pitch_m / 2
    thickness = aspect * width
    spacing = pitch_m - width
    rho = rho_ohm_m * (
        1 + ic.resistivity_tempco_per_k * (tech.device.temperature_k - RESISTIVITY_REFERENCE_K)
    )
    r = rho / ((thickness - barrier_m) * (width - 2 * barrier_m))
    c = (
        2 * EPS0_FARAD_PER_M * (ic.vertical_dielectric * width / ild_m)
        + 2 * EPS0_FARAD_PER_M * ic.miller_factor * eps_h * thickness / spacing
        + ic.fringe_cap_ff_per_um * 1e-15 / 1e-6
    )
    return Wire(r, c, pitch_m)


def local_wire(tech: Tech) -> Wire:
    """Wordlines, bitlines and wires inside a subarray and a bank (finest metal)."""
    return _layer_wire(tech, "local")


def global_wire(tech: Tech) -> Wire:
    """The H-tree between banks (thick upper metal)."""
    return _layer_wire(tech, "global")


def _layer_wire(tech: Tech, layer: str) -> Wire:
    """The wire of one metal layer from the preset's ``interconnect`` fields of that layer."""
    ic = tech.interconnect
    assert ic is not None
    f = tech.node_nm * 1e-9
    ild_m = ic.local_ild_thickness_f * f if layer == "local" else ic.global_ild_thickness_nm * 1e-9
    return _wire(
        getattr(ic, f"{layer}_pitch_f") * f,
        getattr(ic, f"{layer}_aspect_ratio"),
        ild_m,
        getattr(ic, f"{layer}_barrier_nm") * 1e-9,
        getattr(ic, f"{layer}_dielectric"),
        getattr(ic, f"{layer}_resistivity_uohm_cm") * 1e-8,
        tech,
    )


def bare_delay_s(w: Wire, length_m: float) -> float:
    """90 % settling delay of an unrepeated wire: 2.3 x Elmore (r c L^2 / 2)."""
    return LN_10 * w.r_ohm_per_m * w.c_farad_per_m * length_m**2 / 2


def bare_energy_j(w: Wire, length_m: float, vdd_v: float) -> float:
    """Energy of one full-swing transition of an unrepeated wire."""
    return w.c_farad_per_m * length_m * vdd_v**2


def repeated(w: Wire, d: Devices) -> Repeated:
    """Optimal repeaters for ``w``: Bakoglu's size and spacing of minimum inverters."""
    wn = d.min_nmos_m
    wp = wn * d.pn_ratio
    c_in = gate_cap_farad(d, wn + wp)
    c_out = drain_cap_farad(d, wn, False) + drain_cap_farad(d, wp, True)
    r_out = on_resistance_ohm(d, wn) + on_resistance_ohm(d, wp, pmos=True)
    size = math.sqrt(r_out * w.c_farad_per_m / (c_in * w.r_ohm_per_m))
    spacing = math.sqrt(2 * r_out * (c_out + c_in) / (w.r_ohm_per_m * w.c_farad_per_m))
    r_rep, c_rep_in, c_rep_out = r_out / size, c_in * size, c_out * size
    c_seg, r_seg = w.c_farad_per_m * spacing, w.r_ohm_per_m * spacing
    # Elmore delay of one repeater plus its segment, 50 % point (0.69)
    tau = r_rep * (c_rep_in + c_rep_out + c_seg) + r_seg * c_rep_in + r_seg * c_seg / 2
    energy = (c_rep_in + c_rep_out + c_seg) * d.vdd_v**2
    leak = leakage_a(d, Gate.INV, 1, wn * size, wp * size) * d.vdd_v
    return Repeated(
        delay_s_per_m=math.log(2) * tau / spacing,
        energy_j_per_m=energy / spacing,
        leakage_w_per_m=leak / spacing,
        repeater_size=size,
        spacing_m=spacing,
    )
