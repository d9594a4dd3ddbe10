"""Memory cells: footprints, sensing and writing physics, racetrack shift energy.

Racetrack (domain-wall) cell, the DESTINY v2 sample cell of the preset:

* read in current mode: the port's MTJ (``R_on``/``R_off``) biased at
  ``V_read - V_access`` while the sense amplifier integrates; the supply
  delivers that current for the sensing time, twice (the reference cell),
  as NVSim prices current sensing (Dong et al., TCAD 2012);
* write with a current pulse ``I_w`` for ``t_w`` from the supply:
  ``Vdd I_w t_w`` per bit (NVSim's current-mode write);
* shift: every track of a macro unit carries the shift current for the shift
  pulse, from push-pull drivers at both ends (a track shifts both ways); the energy is Joule heating of the track, ``I^2 R t`` with
  ``R = rho L / (thickness x width)`` (Zhang, Sun et al., ASP-DAC 2015, as
  DESTINY v2's ``MemCell::CalculateShiftEnergy`` states it). DESTINY takes the
  track length as the tape length; here ``L`` is the whole physical track,
  data plus overhead domains, since the current flows from one end contact to
  the other.

6T SRAM cell (CACTI's, as DESTINY ships it): two access transistors on the
wordline, bitline pair precharged to ``Vdd/2``-sensing, cross-coupled
inverters that leak whether or not the cell is accessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.memory.circuit.devices import Devices, Gate, gate_cap_farad, leakage_a
from rtmcim.memory.macro_unit import MuGeometry, mu_area
from rtmcim.memory.track import PortPolicy, overhead_domains
from rtmcim.tech import Tech
from rtmcim.tech.model import DwmCellTech, SramCellTech


@dataclass(frozen=True, slots=True)
class CellPitch:
    """Width (along the wordline) and height (along the bitline) of one cell, metres."""

    width_m: float
    height_m: float


def pitch(area_f2: float, aspect_ratio: float, f_m: float) -> CellPitch:
    """A cell of ``area_f2`` with height/width = ``aspect_ratio``."""
    return CellPitch(
        width_m=math.sqrt(area_f2 / aspect_ratio) * f_m,
        height_m=math.sqrt(area_f2 * aspect_ratio) * f_m,
    )


def dwm(tech: Tech) -> DwmCellTech:
    assert tech.dwm_cell is not None  # devices() has checked the preset's level
    return tech.dwm_cell


def sram(tech: Tech) -> SramCellTech:
    assert tech.sram_cell is not None
    return tech.sram_cell


# ------------------------------------------------------------------ racetrack


@dataclass(frozen=True, slots=True)
class MuFootprint:
    """One macro unit laid out with its tracks side by side along the wordline.

    The footprint is :func:`rtmcim.memory.macro_unit.mu_area` (the larger of
    the racetrack strip and the port access transistors, plus the shift
    drivers), so this model and the ports-and-area trade-off of DESIGN.md 1.1
    are one computation.
    """

    width_m: float  # tracks x cell width
    height_m: float  # footprint / width
    storage_m2: float  # strip or access transistors, whichever is larger
    shift_drivers_m2: float
    track_domains: int  # data + overhead domains: the physical track length


def mu_footprint(geom: MuGeometry, tech: Tech, policy: PortPolicy) -> MuFootprint:
    c = dwm(tech)
    f = tech.node_nm * 1e-9
    cell = pitch(c.area_f2, c.aspect_ratio, f)
    area = mu_area(geom, tech, policy)
    width = geom.tracks * cell.width_m
    return MuFootprint(
        width_m=width,
        height_m=area.total_um2 * 1e-12 / width,
        storage_m2=tech.f2_to_um2(max(area.rtm_strip_f2, area.access_transistors_f2)) * 1e-12,
        shift_drivers_m2=tech.f2_to_um2(area.shift_driver_f2) * 1e-12,
        track_domains=geom.domains + overhead_domains(geom.domains, geom.ports, policy),
    )


def dwm_read_current_a(tech: Tech) -> float:
    """Current through a low-resistance cell while sensing (the larger of the two)."""
    c = dwm(tech)
    return (c.read_voltage_v - c.access_drop_v) / c.r_on_ohm


def dwm_read_energy_j(tech: Tech, sense_time_s: float) -> float:
    """Supply energy of sensing one bit: cell and reference cell for the sensing time."""
    return 2 * tech.vdd_v * dwm_read_current_a(tech) * sense_time_s


def dwm_write_energy_j(tech: Tech) -> float:
    """Supply energy of one bit's write pulse."""
    c = dwm(tech)
    return tech.vdd_v * c.write_current_ua * 1e-6 * c.write_pulse_ns * 1e-9


def track_resistance_ohm(tech: Tech, track_domains: int) -> float:
    c = dwm(tech)
    f = tech.node_nm * 1e-9
    length = track_domains * c.domain_length_f * f
    return c.track_resistivity_ohm_m * length / (c.track_thickness_nm * 1e-9 * c.track_width_f * f)


def shift_energy_per_track_j(tech: Tech, track_domains: int) -> float:
    """Joule energy of one shift pulse in one track (Zhang, Sun et al., ASP-DAC 2015)."""
    c = dwm(tech)
    i = c.shift_current_ua * 1e-6
    return i * i * track_resistance_ohm(tech, track_domains) * c.shift_pulse_ns * 1e-9


def shift_driver_leakage_w(d: Devices, tech: Tech) -> float:
    """One idle shift driver: the push-pull pair at one track end.

    A track is shifted both ways, and the current's direction sets the shift's
    (Parkin et al., Science 2008), so each end can source and sink: an NMOS of
    the access width (DESTINY v2's shift-driver size) and a PMOS sized for equal
    drive. DESTINY v2 counts one NMOS per end.
    """
    w = dwm(tech).access_width_f * d.f_m
    return leakage_a(d, Gate.INV, 1, w, w * d.pn_ratio) * d.vdd_v


def shift_driver_gate_cap_farad(d: Devices, tech: Tech) -> float:
    """Gate load one push-pull shift driver puts on its enable line."""
    w = dwm(tech).access_width_f * d.f_m
    return gate_cap_farad(d, w * (1 + d.pn_ratio))


# ------------------------------------------------------------------ SRAM


def sram_cell_leakage_w(d: Devices, tech: Tech) -> float:
    """Two cross-coupled inverters and the access transistors of one idle 6T cell."""
    c = sram(tech)
    inverters = 2 * leakage_a(d, Gate.INV, 1, d.f(c.nmos_width_f), d.f(c.pmos_width_f))
    # the two access transistors: one of them sees Vdd across it (CACTI/NVSim)
    access = leakage_a(d, Gate.INV, 1, d.f(c.access_width_f), 0.0)
    return (inverters + access) * d.vdd_v
