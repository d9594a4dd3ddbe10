"""Racetrack subarrays: macro units mapped onto the subarray circuit, shifts, local accesses.

Correspondence with a memory-array circuit (and with DESTINY's DWM arrays):
a subarray of ``mu_rows x mu_cols`` macro units is a cell array of
``mu_cols x tracks`` bitlines (one per track; the ports of a column of MUs
share it, as the cells of a column share a bitline) and ``mu_rows x
(domains + overhead)`` domain rows. Only the ports have access devices
(Zhang, Sun et al., ASP-DAC 2015; DESIGN.md 1.1): each port of each MU row is
one access row on its own wordline, so the row decoder drives
``mu_rows x ports`` wordlines, each gating the port transistors of every
track of the row. One word is the ``tracks`` bits of one MU at one port,
sensed through a ``mu_cols``:1 column multiplexer by ``tracks`` sense
amplifiers.

DESTINY v2 instead treats every domain row as an access row (a wordline and
an access drain per domain, like an STT-MRAM array with shift overhead).
``access_rows_per_mu`` selects that assumption (``= domains``) for
comparison; the default is the ports.

A shift moves every track of one MU by one domain: an MU-row select line and
a per-MU gate enable the MU's shift drivers (a push-pull pair at each end of
every track, the NMOS of the access width), which pass the shift current for
the shift pulse.

The local path is a word read or written at the ports of one MU by sense
amplifiers and drivers beside it (a MAC cell next to its weights): a port
select line across the MU, the MU-long bitline, the sense amplifier or write
driver and the cell; no decoder, no column multiplexer, no H-tree. It
depends on the technology and the MU geometry only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rtmcim.memory.circuit import cells
from rtmcim.memory.circuit.decoder import address_bits, line_driver, one_hot
from rtmcim.memory.circuit.devices import Devices, drain_cap_farad, gate_cap_farad, horowitz_s
from rtmcim.memory.circuit.paths import PathBuilder
from rtmcim.memory.circuit.sensing import sense_amps, write_drivers
from rtmcim.memory.circuit.subarray import Subarray, SubarraySpec
from rtmcim.memory.circuit.wires import Wire
from rtmcim.memory.macro_unit import MuGeometry
from rtmcim.memory.organization import Organization
from rtmcim.tech import Tech


def rtm_spec(
    org: Organization, fp: cells.MuFootprint, tech: Tech, access_rows_per_mu: int | None = None
) -> SubarraySpec:
    """The subarray geometry of ``org`` whose MUs have footprint ``fp`` (module docstring)."""
    mu_rows, mu_cols = org.grid
    g = org.mu
    c = cells.dwm(tech)
    f = tech.node_nm * 1e-9
    per_port = tech.rtm.access_transistors_per_port
    access_rows = g.ports if access_rows_per_mu is None else access_rows_per_mu
    mus = mu_rows * mu_cols
    return SubarraySpec(
        kind="rtm",
        wordlines=mu_rows * access_rows,
        columns=mu_cols * g.tracks,
        mux=mu_cols,
        word_bits=g.tracks,
        array_width_m=mu_cols * fp.width_m,
        array_height_m=mu_rows * fp.height_m,
        column_pitch_m=fp.width_m / g.tracks,
        wordline_gates=mu_cols * g.tracks * per_port,
        # two neighbouring access devices share a drain contact
        bitline_drains=mu_rows * access_rows * per_port / 2,
        access_width_m=c.access_width_f * f,
        storage_m2=mus * fp.storage_m2,
        shift_drivers_m2=mus * fp.shift_drivers_m2,
    )


@dataclass(frozen=True, slots=True)
class Shift:
    path: PathBuilder
    leakage_w: float  # per subarray: the per-track drivers and the select logic
    control_m2: float  # per subarray: MU-row select and per-MU enable gates


def shift_path(
    org: Organization, fp: cells.MuFootprint, tech: Tech, d: Devices, local: Wire
) -> Shift:
    """One MU moved by one domain: MU-row select, per-MU enable gate, drivers, pulse."""
    g = org.mu
    mu_rows, mu_cols = org.grid
    c = cells.dwm(tech)
    width = mu_cols * fp.width_m
    per_mu = line_driver(
        d,
        2,
        2 * g.tracks * cells.shift_driver_gate_cap_farad(d, tech)
        + 2 * local.c_farad_per_m * fp.width_m,
        local.r_ohm_per_m * fp.width_m,
        math.inf,
    )
    row_sel = one_hot(
        d,
        address_bits(mu_rows),
        mu_cols * per_mu_input_cap(d) + local.c_farad_per_m * width,
        local.r_ohm_per_m * width,
        math.inf,
    )
    shift = PathBuilder()
    shift.t("decoder", row_sel.delay_s).e("decoder", row_sel.energy_j)
    shift.t("shift_driver", per_mu.delay_s).e("shift_driver", per_mu.energy_j)
    shift.t("cell", c.shift_pulse_ns * 1e-9)
    shift.e("cell", g.tracks * cells.shift_energy_per_track_j(tech, fp.track_domains))
    mus = mu_rows * mu_cols
    leak = (
        mus * 2 * g.tracks * cells.shift_driver_leakage_w(d, tech)
        + mus * per_mu.leakage_w
        + row_sel.leakage_w
    )
    return Shift(shift, leak, mus * per_mu.area_m2 + row_sel.area_m2)


def local_paths(
    g: MuGeometry, fp: cells.MuFootprint, tech: Tech, d: Devices, local: Wire
) -> tuple[PathBuilder, PathBuilder]:
    """(read, write) of one word at the ports of one MU, by circuits beside it."""
    c = cells.dwm(tech)
    pc = tech.periphery_circuit
    assert pc is not None
    w_acc = c.access_width_f * d.f_m
    vdd2 = d.vdd_v**2
    per_port = tech.rtm.access_transistors_per_port
    c_sel = local.c_farad_per_m * fp.width_m + g.tracks * per_port * gate_cap_farad(d, w_acc)
    sel = line_driver(d, 1, c_sel, local.r_ohm_per_m * fp.width_m, math.inf)
    sa = sense_amps(d, pc, g.tracks, fp.width_m, c.min_sense_voltage_v, current_mode=True)
    c_drain = drain_cap_farad(d, w_acc, False, w_acc)
    c_bl = local.c_farad_per_m * fp.height_m + g.ports * per_port / 2 * c_drain + sa.c_input_farad
    r_bl = local.r_ohm_per_m * fp.height_m
    tau = r_bl * c_bl / 2 * (c.r_off_ohm + r_bl / 3) / (c.r_off_ohm + r_bl)
    bl_delay, _ = horowitz_s(tau, 0.0, sel.ramp_out)
    v_max = c.read_voltage_v * r_bl / (r_bl + c.r_on_ohm)
    lr = PathBuilder()
    lr.t("wordline", sel.delay_s).e("wordline", sel.energy_j)
    lr.t("bitline", bl_delay).e("bitline", g.tracks * c_bl * v_max**2 / 3)
    lr.t("senseamp", sa.block.delay_s).e("senseamp", sa.block.energy_j)
    lr.e("cell", g.tracks * cells.dwm_read_energy_j(tech, sa.block.delay_s))
    drv = write_drivers(d, g.tracks, fp.width_m / g.tracks, c.write_current_ua * 1e-6)
    charge, _ = horowitz_s(r_bl * c_bl / 2, 0.0, math.inf)
    lw = PathBuilder()
    lw.t("wordline", sel.delay_s).e("wordline", sel.energy_j)
    lw.t("bitline", charge).e("bitline", g.tracks * c_bl * vdd2)
    lw.e("write_driver", drv.energy_j)
    lw.t("cell", c.write_pulse_ns * 1e-9).e("cell", g.tracks * cells.dwm_write_energy_j(tech))
    return lr, lw


def per_mu_input_cap(d: Devices) -> float:
    """Input capacitance of one per-MU NAND2 enable gate (minimum NAND2)."""
    return gate_cap_farad(d, 2 * d.min_nmos_m + d.pn_ratio * d.min_nmos_m)


def with_shift_control(sub: Subarray, shift: Shift, array_height_m: float) -> Subarray:
    """The subarray with the shift control beside the row decoder and its leakage added."""
    area = dict(sub.area_m2)
    area["shift_driver"] = area.get("shift_driver", 0.0) + shift.control_m2
    leak = dict(sub.leakage_w)
    leak["shift_driver"] = leak.get("shift_driver", 0.0) + shift.leakage_w
    return replace(
        sub, area_m2=area, leakage_w=leak, width_m=sub.width_m + shift.control_m2 / array_height_m
    )
