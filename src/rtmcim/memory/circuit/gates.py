"""Gates and driver chains sized by logical effort.

A driver chain is the inverter chain that lets a small gate (a decoder NAND, a
predecoder output) drive a large load (a wordline, a predecode wire, a mux
select line). Its stages are sized by logical effort (Sutherland, Sproull and
Harris, *Logical Effort*, 1999): with path effort ``F = g C_load / C_in`` the
delay is least with ``N ~ log_4 F`` stages of equal effort ``F^(1/N)``; the
stage count is made odd so that the chain inverts (a NAND's active-low output
becomes an active-high line), and no transistor exceeds the preset's maximum
width (a larger load is then driven more slowly). Each stage's delay is the
Horowitz delay of its RC time constant (:func:`~.devices.horowitz_s`); the
last stage also charges the load's distributed RC.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from rtmcim.memory.circuit.devices import (
    Devices,
    Gate,
    gate_cap_farad,
    gate_layout_m,
    gate_output_cap_farad,
    horowitz_s,
    leakage_a,
    on_resistance_ohm,
    transconductance,
)

# Height available to a periphery gate, in F (NVSim lays out drivers in 40 F rows).
GATE_HEIGHT_F = 40.0
# Height used for the capacitance of folded periphery transistors (NVSim MAX_TRANSISTOR_HEIGHT).
CAP_HEIGHT_F = 20.0


def nand_effort(d: Devices, inputs: int) -> float:
    """Logical effort of a NAND with the node's P/N ratio: (n + r) / (1 + r)."""
    return (inputs + d.pn_ratio) / (1 + d.pn_ratio)


@dataclass(frozen=True, slots=True, eq=False)
class Chain:
    """An inverter chain: NMOS widths per stage (PMOS = ``pn_ratio`` x)."""

    widths_n_m: tuple[float, ...]
    c_in_farad: tuple[float, ...]
    c_out_farad: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Timing:
    """Delay of a driven load: the whole, the part due to the load's own RC, the output slope."""

    delay_s: float
    load_rc_s: float
    ramp_out: float  # 1/s


@functools.lru_cache(maxsize=8192)
def size_chain(d: Devices, effort_first: float, c_in_first: float, c_load: float) -> Chain:
    """Inverter chain after a gate of logical effort ``effort_first`` and input cap ``c_in_first``."""
    path_effort = max(1.0, effort_first * c_load / c_in_first)
    stages = max(0, round(math.log(path_effort) / math.log(d.stage_effort)) - 1)
    if stages % 2 == 0:
        stages += 1  # an odd chain inverts
    per_stage = path_effort ** (1.0 / (stages + 1))
    unit = gate_cap_farad(d, 1.0) * (1 + d.pn_ratio)  # input cap per metre of NMOS width
    last = min(max(c_load / per_stage / unit, d.min_nmos_m), d.max_nmos_m)
    widths = [last]
    for _ in range(stages - 1):
        widths.append(max(widths[-1] / per_stage, d.min_nmos_m))
    widths.reverse()
    h = d.f(CAP_HEIGHT_F)
    c_in = tuple(gate_cap_farad(d, w * (1 + d.pn_ratio)) for w in widths)
    c_out = tuple(gate_output_cap_farad(d, Gate.INV, 1, w, w * d.pn_ratio, h) for w in widths)
    return Chain(tuple(widths), c_in, c_out)


def chain_timing(d: Devices, chain: Chain, c_load: float, r_load: float, ramp_in: float) -> Timing:
    """Delay through the chain into a load of capacitance ``c_load`` behind resistance ``r_load``."""
    total = 0.0
    ramp = ramp_in
    n = len(chain.widths_n_m)
    for i, w in enumerate(chain.widths_n_m):
        r = on_resistance_ohm(d, w)
        beta = 1.0 / (r * transconductance(d, w))
        if i < n - 1:
            tau = r * (chain.c_out_farad[i] + chain.c_in_farad[i + 1])
            delay, ramp = horowitz_s(tau, beta, ramp)
            total += delay
        else:
            lumped = r * (chain.c_out_farad[i] + c_load)
            full, ramp_out = horowitz_s(lumped + r_load * c_load / 2, beta, ramp)
            lumped_only, _ = horowitz_s(lumped, beta, ramp)
            return Timing(total + full, full - lumped_only, ramp_out)
    return Timing(total, 0.0, ramp)


def chain_energy_j(d: Devices, chain: Chain, c_load: float) -> float:
    """Energy of one transition of every stage and the load."""
    caps = sum(chain.c_out_farad) + sum(chain.c_in_farad[1:]) + c_load
    return caps * d.vdd_v**2


def chain_leakage_w(d: Devices, chain: Chain) -> float:
    return sum(leakage_a(d, Gate.INV, 1, w, w * d.pn_ratio) for w in chain.widths_n_m) * d.vdd_v


@functools.lru_cache(maxsize=8192)
def chain_layout_m(d: Devices, chain: Chain) -> tuple[float, float]:
    """(height, width): the stages side by side in one row."""
    h = w = 0.0
    for wn in chain.widths_n_m:
        sh, sw = gate_layout_m(d, Gate.INV, 1, wn, wn * d.pn_ratio, d.f(GATE_HEIGHT_F))
        h, w = max(h, sh), w + sw
    return h, w


@dataclass(frozen=True, slots=True)
class NandGate:
    """A NAND with minimum-sized transistors scaled for equal drive (NMOS x inputs)."""

    inputs: int
    wn_m: float
    wp_m: float
    c_in_farad: float
    c_out_farad: float


@functools.lru_cache(maxsize=64)
def nand_gate(d: Devices, inputs: int) -> NandGate:
    wn = inputs * d.min_nmos_m
    wp = d.pn_ratio * d.min_nmos_m
    c_in = gate_cap_farad(d, wn + wp)
    c_out = gate_output_cap_farad(d, Gate.NAND, inputs, wn, wp, d.f(CAP_HEIGHT_F))
    return NandGate(inputs, wn, wp, c_in, c_out)


def nand_timing(d: Devices, g: NandGate, c_next: float, ramp_in: float) -> tuple[float, float]:
    """(delay, ramp out) of a NAND driving ``c_next`` through its series pull-down."""
    r = on_resistance_ohm(d, g.wn_m) * g.inputs
    beta = 1.0 / (r * transconductance(d, g.wn_m))
    return horowitz_s(r * (g.c_out_farad + c_next), beta, ramp_in)


def nand_leakage_w(d: Devices, g: NandGate) -> float:
    return leakage_a(d, Gate.NAND, g.inputs, g.wn_m, g.wp_m) * d.vdd_v


def nand_layout_m(d: Devices, g: NandGate) -> tuple[float, float]:
    return gate_layout_m(d, Gate.NAND, g.inputs, g.wn_m, g.wp_m, d.f(GATE_HEIGHT_F))
