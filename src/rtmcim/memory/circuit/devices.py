"""Transistors of the node: on-resistance, gate and drain capacitance, leakage, delay.

All quantities inside the circuit model are SI (metres, farads, ohms, seconds,
joules, watts, amperes) and named so (``_m``, ``_farad``, ``_ohm``, ``_s``,
``_j``, ``_w``, ``_a``); the public figures convert to ns, pJ, µm² and mW.

The device equations are the CACTI/NVSim ones (Dong et al., TCAD 2012;
CACTI 5.1 report, Thoziyoor et al. 2008), on the device table of the preset:

* on-resistance ``R = k * Vdd / (Ion * W)``, ``k`` the effective-resistance
  multiplier (velocity saturation);
* gate capacitance per width ``Cg = Cideal + Coverlap + 3 Cfringe``;
* drain capacitance from the diffusion area and perimeter, with junction
  capacitances reduced by the reverse bias ``Vdd`` (``C0 / (1 + Vdd/PB)^m``),
  and wide transistors folded into fingers that fit the available height;
* subthreshold leakage ``Ioff * W``, with the averaged stacking factors of
  CACTI for NAND/NOR gates;
* the Horowitz (1983) delay of a stage with a ramp input.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import Enum

from rtmcim.errors import ConfigError
from rtmcim.tech import Tech

UM = 1e-6
FF = 1e-15

# Layout rules in multiples of F (CACTI 5.1 report, Sec. 2; also NVSim constant.h).
CONTACT_F = 1.0
CONTACT_GATE_GAP_F = 0.75
GATE_GAP_F = 1.5  # between two gates on one diffusion (poly-to-poly)
PN_GAP_F = 2.0  # between P and N diffusions of one gate
POWER_RAIL_F = 2.0
FOLD_OVERHEAD_F = 3.0  # height lost per finger when a transistor is folded
# one diffusion contact region along the channel: contact plus a gap on each side
CONTACT_REGION_F = CONTACT_F + 2 * CONTACT_GATE_GAP_F

# CACTI's averaged leakage of stacked gates relative to the unstacked transistors
# (CACTI 5.1; NVSim constant.h): NAND2 0.48, NAND3 0.31, NOR2 0.95, NOR3 0.62.
_STACK = {("nand", 2): 0.48, ("nand", 3): 0.31, ("nor", 2): 0.95, ("nor", 3): 0.62}

SILICON_SATURATION_VELOCITY_M_PER_S = 1e5


class Gate(Enum):
    INV = "inv"
    NAND = "nand"
    NOR = "nor"


@dataclass(frozen=True, slots=True, eq=False)
class Devices:
    """The node's transistors at the operating temperature (SI units).

    Compared and hashed by identity: one instance per technology (built once and
    cached by the caller), so that the layout and capacitance helpers below can
    be memoised cheaply.
    """

    f_m: float  # feature size
    vdd_v: float
    vth_v: float
    temperature_k: float
    gate_cap_farad_per_m: float
    cj_bottom_farad_per_m2: float  # bias-adjusted
    cj_side_farad_per_m: float
    cj_gate_edge_farad_per_m: float
    ion_n_a_per_m: float
    ion_p_a_per_m: float
    ioff_n_a_per_m: float
    ioff_p_a_per_m: float
    resistance_multiplier: float
    pn_ratio: float
    gm_n_per_m: float  # transconductance per metre of width
    gm_p_per_m: float
    min_nmos_m: float
    max_nmos_m: float
    stage_effort: float

    def f(self, multiple: float) -> float:
        """``multiple`` F in metres."""
        return multiple * self.f_m


def _at_temperature(table: list[float], temperature_k: float) -> float:
    """Linear interpolation of a 300..400 K table in 10 K steps."""
    x = (temperature_k - 300.0) / 10.0
    i = min(int(x), len(table) - 2)
    return table[i] + (table[i + 1] - table[i]) * (x - i)


def devices(tech: Tech) -> Devices:
    """The transistor parameters of ``tech`` (a ``level: circuit`` preset)."""
    d, pc = tech.device, tech.periphery_circuit
    if d is None or pc is None:
        raise ConfigError(
            "the circuit model needs a level: circuit preset",
            key="tech",
            value=tech.name,
            allowed="a preset with device, interconnect, dwm_cell, sram_cell and periphery_circuit sections (e.g. rtm-32nm)",
        )
    vdd = tech.vdd_v
    f_m = tech.node_nm * 1e-9
    cg = (d.cap_ideal_gate_ff_per_um * (1 + d.cap_overlap_ratio) + 3 * d.cap_fringe_ff_per_um) * (
        FF / UM
    )
    # reverse-biased junctions at Vdd (BSIM4 junction model)
    cj = (
        d.cap_junction_ff_per_um2
        * FF
        / UM**2
        / (1 + vdd / d.junction_potential_v) ** d.junction_grading
    )
    cjsw = (
        d.cap_sidewall_ff_per_um
        * FF
        / UM
        / (1 + vdd / d.junction_potential_v) ** d.sidewall_grading
    )
    cjswg = (
        d.cap_gate_edge_ff_per_um
        * FF
        / UM
        / (1 + vdd / d.junction_potential_v) ** d.sidewall_grading
    )
    length_m = d.gate_length_nm * 1e-9
    cox = d.cox_ff_per_um2 * FF / UM**2
    mun, mup = d.mobility_n_cm2_per_vs * 1e-4, d.mobility_p_cm2_per_vs * 1e-4
    # saturation transconductance per width: mu Cox / 2 / L * Vdsat_eff (MASTAR-style, NVSim)
    vdsat_n = min(length_m * SILICON_SATURATION_VELOCITY_M_PER_S / mun, vdd - d.vth_v)
    vdsat_p = min(length_m * SILICON_SATURATION_VELOCITY_M_PER_S / mup, vdd - d.vth_v)
    t = d.temperature_k
    # tables are per micrometre: µA/µm == A/m
    return Devices(
        f_m=f_m,
        vdd_v=vdd,
        vth_v=d.vth_v,
        temperature_k=t,
        gate_cap_farad_per_m=cg,
        cj_bottom_farad_per_m2=cj,
        cj_side_farad_per_m=cjsw,
        cj_gate_edge_farad_per_m=cjswg,
        ion_n_a_per_m=_at_temperature(d.ion_n_ua_per_um, t),
        ion_p_a_per_m=_at_temperature(d.ion_p_ua_per_um, t),
        ioff_n_a_per_m=_at_temperature(d.ioff_n_ua_per_um, t),
        ioff_p_a_per_m=_at_temperature(d.ioff_p_ua_per_um, t),
        resistance_multiplier=d.resistance_multiplier,
        pn_ratio=d.pn_ratio,
        gm_n_per_m=mun * cox / 2 / length_m * vdsat_n,
        gm_p_per_m=mup * cox / 2 / length_m * vdsat_p,
        min_nmos_m=pc.min_nmos_width_f * f_m,
        max_nmos_m=pc.max_nmos_width_f * f_m,
        stage_effort=pc.stage_effort,
    )


def on_resistance_ohm(d: Devices, width_m: float, pmos: bool = False) -> float:
    ion = d.ion_p_a_per_m if pmos else d.ion_n_a_per_m
    return d.resistance_multiplier * d.vdd_v / (ion * width_m)


def gate_cap_farad(d: Devices, width_m: float) -> float:
    return d.gate_cap_farad_per_m * width_m


def transconductance(d: Devices, width_m: float, pmos: bool = False) -> float:
    return (d.gm_p_per_m if pmos else d.gm_n_per_m) * width_m


def _diffusion_cap(
    d: Devices, width_m: float, max_height_m: float, contacts_m: float, fingers_shared: int = 1
) -> float:
    """Junction capacitance of one drain node: bottom, isolation-edge and gate-edge parts."""
    if width_m <= 0:
        return 0.0
    if width_m <= max_height_m:
        fingers, height = 1, width_m
    else:
        fingers = math.ceil(width_m / max(max_height_m - FOLD_OVERHEAD_F * d.f_m, d.f_m))
        height = max_height_m
    length = contacts_m * fingers_shared + (fingers - 1) * GATE_GAP_F * d.f_m
    bottom = length * height * d.cj_bottom_farad_per_m2
    # an even number of fingers hides the drain's short edges between gates
    side = (2 * length if fingers % 2 == 0 else 2 * length + height) * d.cj_side_farad_per_m
    edge = fingers * height * d.cj_gate_edge_farad_per_m
    return bottom + side + edge


@functools.lru_cache(maxsize=8192)
def gate_output_cap_farad(
    d: Devices, gate: Gate, inputs: int, wn_m: float, wp_m: float, max_height_m: float
) -> float:
    """Capacitance at a gate's output node (its own drains).

    Series transistors share one output contact region plus the gaps between
    their gates; parallel ones each bring a contact region.
    """
    pn_split = wp_m / (wp_m + wn_m) if wp_m + wn_m > 0 else 0.0
    usable = max_height_m - PN_GAP_F * d.f_m if 0 < pn_split < 1 else max_height_m
    hmax_p = usable * pn_split if pn_split < 1 else max_height_m
    hmax_n = usable * (1 - pn_split) if pn_split > 0 else max_height_m
    region = CONTACT_REGION_F * d.f_m
    series = region + (inputs - 1) * GATE_GAP_F * d.f_m
    if gate is Gate.INV:
        n_len, p_len, n_share, p_share = region, region, 1, 1
    elif gate is Gate.NAND:  # NMOS in series, PMOS in parallel
        n_len, p_len, n_share, p_share = series, region, 1, inputs
    else:  # NOR: PMOS in series, NMOS in parallel
        n_len, p_len, n_share, p_share = region, series, inputs, 1
    return _diffusion_cap(d, wn_m, hmax_n, n_len, n_share) + _diffusion_cap(
        d, wp_m, hmax_p, p_len, p_share
    )


def drain_cap_farad(
    d: Devices, width_m: float, pmos: bool = False, max_height_m: float = 1.0
) -> float:
    """Drain capacitance of one transistor (the height limit folds it into fingers)."""
    if pmos:
        return gate_output_cap_farad(d, Gate.INV, 1, 0.0, width_m, max_height_m)
    return gate_output_cap_farad(d, Gate.INV, 1, width_m, 0.0, max_height_m)


def leakage_a(d: Devices, gate: Gate, inputs: int, wn_m: float, wp_m: float) -> float:
    """Subthreshold current of an idle gate (averaged over its input states)."""
    if gate is Gate.INV:
        # one of the two transistors is off: the worse one sets the current
        return max(wn_m * d.ioff_n_a_per_m, wp_m * d.ioff_p_a_per_m)
    if gate is Gate.NAND:
        return _STACK[("nand", min(inputs, 3))] * inputs * wp_m * d.ioff_p_a_per_m
    return _STACK[("nor", min(inputs, 3))] * inputs * wn_m * d.ioff_n_a_per_m


def horowitz_s(tau_s: float, beta: float, ramp_in_s_inv: float) -> tuple[float, float]:
    """Delay of a stage with time constant ``tau_s`` and input slope; (delay, output slope).

    Horowitz, "Timing models for MOS circuits" (Stanford 1983), as in CACTI:
    ``t = tau * sqrt(ln(vs)^2 + 2 a b (1 - vs))`` with ``a = 1 / (tau * ramp)``,
    ``vs = 0.5``; slopes are in 1/s (an ideal step is ``math.inf``).
    """
    vs = 0.5
    alpha = 0.0 if math.isinf(ramp_in_s_inv) else 1.0 / (ramp_in_s_inv * tau_s)
    delay = tau_s * math.sqrt(math.log(vs) ** 2 + 2 * alpha * beta * (1 - vs))
    return delay, (1 - vs) / delay


@functools.lru_cache(maxsize=8192)
def gate_layout_m(
    d: Devices, gate: Gate, inputs: int, wn_m: float, wp_m: float, max_height_m: float
) -> tuple[float, float]:
    """(height, width) of a gate's layout, folding transistors taller than the height limit."""

    def strip(w: float, hmax: float) -> tuple[float, float]:
        if w <= 0:
            return 0.0, 0.0
        if w < hmax:
            return w, d.f_m  # one finger of gate length F
        fingers = math.ceil(w / max(hmax - FOLD_OVERHEAD_F * d.f_m, d.f_m))
        return hmax, fingers * d.f_m + (fingers - 1) * GATE_GAP_F * d.f_m

    split = wp_m / (wp_m + wn_m) if wp_m + wn_m > 0 else 0.0
    if split in (0.0, 1.0):
        hmax_n = hmax_p = max_height_m
    else:
        hmax_p = split * (max_height_m - PN_GAP_F * d.f_m)
        hmax_n = hmax_p / split * (1 - split)
    hn, un = strip(wn_m, hmax_n)
    hp, up = strip(wp_m, hmax_p)
    ends = 2 * CONTACT_REGION_F * d.f_m  # a contact region at each end of the diffusion
    between_series = (inputs - 1) * GATE_GAP_F * d.f_m
    between_parallel = (inputs - 1) * CONTACT_REGION_F * d.f_m
    if gate is Gate.INV:
        width_n, width_p = ends + un, ends + up
    elif gate is Gate.NAND:
        width_n = ends + un * inputs + between_series
        width_p = ends + up * inputs + between_parallel
    else:
        width_p = ends + up * inputs + between_series
        width_n = ends + un * inputs + between_parallel
    width = max(width_n if wn_m > 0 else 0.0, width_p if wp_m > 0 else 0.0)
    # a complete gate has a P-N gap and two power rails; a lone transistor has neither
    rails = (PN_GAP_F + 2 * POWER_RAIL_F) * d.f_m if wn_m > 0 and wp_m > 0 else 0.0
    return hn + hp + rails, width
