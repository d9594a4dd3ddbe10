"""Area and static power of an accelerator: memory, PEs and CMOS periphery.

* memory: the RTM organisation with its periphery (rtmcim.memory.organization);
* PEs: ``pes`` MAC cells (rtmcim.circuits MAC: multiplier, accumulator adder
  and accumulator track) sized for the widest layer of the workload;
* CMOS periphery per bank: one requantization unit, one pooling unit and a
  line buffer holding ``kernel_h`` input rows of the widest layer (latches).

Static power: CMOS periphery of the memory (its circuit model at circuit level),
the PEs' transistors and the periphery above
(:func:`rtmcim.memory.costs.logic_leakage_mw`); RTM cells do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtmcim.circuits.mac import MacCell
from rtmcim.mapping import cmos_ops
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.workload import ComputeWork, PoolWork, Workload
from rtmcim.memory.costs import AreaBreakdown, area_breakdown, leakage_mw, logic_leakage_mw
from rtmcim.nn.intgraph import MULT_BITS


def _widest(work: Workload) -> tuple[int, int, int, int]:
    """(MAC bits, largest K, accumulator bits, output bits) over the compute layers."""
    cl = work.compute_layers
    bits = max(max(lw.wbits, lw.abits) for lw in cl)
    k = max(lw.reduction for lw in cl)
    acc = max(lw.acc_bits for lw in cl)
    out = max(lw.out_bits or lw.acc_bits for lw in cl)
    return bits, k, acc, out


def pe_cell(work: Workload, arch: Arch) -> MacCell:
    _, k, _, _ = _widest(work)
    return MacCell(arch.compute.multiplier, arch.compute.adder, k)


def periphery_transistors_per_bank(work: Workload, arch: Arch) -> float:
    _, _, acc, out = _widest(work)
    gates = cmos_ops.requant_gates(acc, MULT_BITS, out)
    pools = [lw for lw in work.layers if isinstance(lw, PoolWork)]
    if pools:
        gates += max(cmos_ops.pool_gates(p.kind, p.kernel * p.kernel, p.bits) for p in pools)
    line = max(
        lw.kernel_h * lw.in_w * lw.in_channels * lw.abits
        for lw in work.layers
        if isinstance(lw, ComputeWork)
    )
    return gates * cmos_ops.TRANSISTORS_PER_GATE + line * arch.tech.lim.latch_transistors


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One PE and one bank's CMOS periphery, sized for a workload: area (µm²) and transistors."""

    pe_area_um2: float
    pe_transistors: float
    periphery_area_um2: float
    periphery_transistors: float


def unit_figures(work: Workload, arch: Arch) -> UnitFigures:
    """Depends on the workload, the MAC cell (multiplier, adder) and the technology only."""
    tech = arch.tech
    bits, _, _, _ = _widest(work)
    cell = pe_cell(work, arch)
    periph = periphery_transistors_per_bank(work, arch)
    return UnitFigures(
        cell.area_um2(tech, bits),
        cell.footprint(bits).transistors(tech),
        tech.f2_to_um2(periph * tech.cmos.transistor_area_f2),
        periph,
    )


def accelerator_area_um2(
    work: Workload,
    arch: Arch,
    units: UnitFigures | None = None,
    memory: AreaBreakdown | None = None,
) -> dict[str, float]:
    """Area by component in µm²: memory arrays, memory periphery, PEs, CMOS periphery.

    ``units`` and ``memory`` may be given precomputed (sweeps share them).
    """
    u = units or unit_figures(work, arch)
    ab = memory or area_breakdown(arch.org, arch.tech)
    return {
        "memory_arrays": ab.mu_arrays_um2,
        "memory_periphery": ab.periphery_um2,
        "pe_cells": arch.pes * u.pe_area_um2,
        "cmos_periphery": arch.org.banks * u.periphery_area_um2,
    }


def accelerator_leakage_mw(
    work: Workload,
    arch: Arch,
    units: UnitFigures | None = None,
    memory_mw: float | None = None,
) -> float:
    """Static power in mW: the memory's CMOS periphery, the PEs and the banks' CMOS periphery."""
    tech = arch.tech
    u = units or unit_figures(work, arch)
    mem = leakage_mw(arch.org, tech) if memory_mw is None else memory_mw
    transistors = arch.pes * u.pe_transistors + arch.org.banks * u.periphery_transistors
    return mem + logic_leakage_mw(transistors, tech)
