"""Area and static power of an accelerator: memory, PEs and CMOS periphery.

* memory: the RTM organisation with its periphery (rtmcim.memory.organization);
* PEs: ``pes`` MAC cells (rtmcim.circuits MAC: multiplier, accumulator adder
  and accumulator track) sized for the widest layer of the workload;
* CMOS periphery per bank: one requantization unit, one pooling unit and a
  line buffer holding ``kernel_h`` input rows of the widest layer (latches).

Static power: CMOS periphery of the memory, the PEs' transistors and the
periphery above, at ``cmos.leakage_nw_per_transistor``; RTM cells do not leak.
"""

from __future__ import annotations

from rtmcim.circuits.mac import MacCell
from rtmcim.mapping import cmos_ops
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.workload import ComputeWork, PoolWork, Workload
from rtmcim.memory.organization import area_breakdown, leakage_mw

MULT_BITS = 16


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


def accelerator_area_um2(work: Workload, arch: Arch) -> dict[str, float]:
    """Area by component in µm²: memory arrays, memory periphery, PEs, CMOS periphery."""
    tech = arch.tech
    ab = area_breakdown(arch.org, tech)
    bits, _, _, _ = _widest(work)
    pe = arch.pes * pe_cell(work, arch).area_um2(tech, bits)
    cmos = arch.org.banks * tech.f2_to_um2(
        periphery_transistors_per_bank(work, arch) * tech.cmos.transistor_area_f2
    )
    return {
        "memory_arrays": ab.mu_arrays_um2,
        "memory_periphery": ab.periphery_um2,
        "pe_cells": pe,
        "cmos_periphery": cmos,
    }


def accelerator_leakage_mw(work: Workload, arch: Arch) -> float:
    tech = arch.tech
    bits, _, _, _ = _widest(work)
    pe_tr = arch.pes * pe_cell(work, arch).footprint(bits).transistors(tech)
    per = arch.org.banks * periphery_transistors_per_bank(work, arch)
    return leakage_mw(arch.org, tech) + (pe_tr + per) * tech.cmos.leakage_nw_per_transistor * 1e-6
