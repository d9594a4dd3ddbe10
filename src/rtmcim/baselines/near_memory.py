"""Baseline (b): racetrack memory used as plain memory, with CMOS MAC units beside it.

The same memory organisation as the RTM arch (``arch.org``) and the same
weight-stationary placement (:func:`rtmcim.mapping.place`, with its capacity
check), but no logic in the memory: every operand is read out through the
subarray's sense amplifiers and carried over the H-tree to a CMOS MAC array at
the H-tree root. Priced by the same :class:`~rtmcim.tech.Tech`:

* **memory events** are the RTM arch's own: the weight stream walks each PE's
  filters word by word with the shift steps counted by
  :func:`rtmcim.mapping.layer_cost.weight_stream_steps` (same layout, ports,
  track state carried from layer to layer), one word read per word per pass;
  a layer's input is streamed once per round of filters (one word read and
  one shift step per word); outputs (pooled when a pool follows) are written
  back to the activation region. Read/write/shift energies from the preset
  (array level: RTSim/DESTINY, see the preset's sources).
* **bus**: every weight word and activation word read crosses the H-tree
  (``tracks`` bits x :func:`rtmcim.memory.organization.htree_mm`), as do the
  written outputs; the line buffer then broadcasts operands to the MAC units
  over the MAC array (``sqrt`` of its area, the same square-side rule).
* **MAC units**: ``arch.pes`` CMOS MAC units exactly as in
  :mod:`rtmcim.baselines.cmos` (gate-equivalent counts, accumulator register),
  unit ``p`` consuming PE ``p``'s weight stream; requantization and pooling as
  in the mapping layer.
* **latency** (no overlap of fetch and compute, as in the mapping layer): the
  slowest PE's shift steps, plus the reads of the busiest subarray (a subarray
  has one set of ``tracks`` sense amplifiers, so the PEs sharing it read one
  after another; a PE is charged to the subarray of its first MU), plus one
  H-tree pipeline fill, plus the busiest MAC unit's MACs at one per clock,
  plus requantization and write-back spread over banks.
* **area**: the memory (arrays and periphery, :func:`area_breakdown`), the
  MAC units, and the mapping layer's CMOS periphery; **leakage**: memory
  periphery, MAC units and CMOS periphery (RTM cells do not leak).
"""

from __future__ import annotations

import math

import numpy as np

from rtmcim.baselines.cmos import (
    following_pool,
    mac_tally,
    requant_gates,
    workload_mac_unit,
    written_outputs,
)
from rtmcim.baselines.result import BaselineResult, LayerRow, priced_row
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.area import periphery_transistors_per_bank
from rtmcim.mapping.layer_cost import periphery_tally
from rtmcim.mapping.place import LayerPlacement, place
from rtmcim.mapping.stream import pe_outputs, weight_stream_steps
from rtmcim.mapping.workload import AddWork, ComputeWork, PoolWork, Workload
from rtmcim.memory.costs import access_tallies, area_breakdown, logic_leakage_mw
from rtmcim.memory.costs import leakage_mw as memory_leakage_mw
from rtmcim.tally import Tally

SOURCE = (
    "memory: the RTM arch's organisation and weight-stream shift counting "
    "(rtmcim.mapping.layer_cost.weight_stream_steps), read/write/shift energies of the preset "
    "(array level: RTSim/DESTINY), H-tree bus (rtmcim.memory.organization.htree_mm, "
    "wire.bus_energy_pj_per_bit_mm); MAC units and requant/pool as baselines.cmos "
    "(gate-equivalent counts x cmos.gate_energy_pj, derived from Horowitz, ISSCC 2014)"
)


def pe_subarrays(arch: Arch) -> np.ndarray:
    """Subarray index of each PE (that of its first MU), (pes,)."""
    first_mu = np.arange(arch.pes, dtype=np.int64) * arch.mus_per_pe
    return first_mu // arch.org.mus_in_subarray


def mac_array_mm(work: Workload, arch: Arch) -> float:
    """Side of the (square) CMOS MAC array, mm: the broadcast wire from the line buffer."""
    return math.sqrt(arch.pes * workload_mac_unit(work).area_um2(arch.tech) / 1e6)


def compute_layer_tally(
    lw: ComputeWork,
    lp: LayerPlacement,
    arch: Arch,
    offsets: np.ndarray,
    pool: PoolWork | None,
    mac_mm: float,
) -> Tally:
    """Events and critical-path cycles of one compute layer; ``offsets`` (track state) updated."""
    org, tech = arch.org, arch.tech
    tracks, banks = org.mu.tracks, org.banks
    acc = access_tallies(org, tech)

    steps_pe = weight_stream_steps(lp, lw, arch, offsets)
    outs_pe = pe_outputs(lp, lw, arch.pes)
    words_pe = outs_pe * lp.words_per_filter
    w_reads = int(words_pe.sum())
    reads_per_subarray = np.bincount(pe_subarrays(arch), weights=words_pe, minlength=org.subarrays)

    in_words = math.ceil(lw.input_count * lw.abits / tracks)
    a_reads = lp.rounds * in_words
    bcast_bits = lp.rounds * lw.positions * lw.reduction * lw.abits
    out_bits = written_outputs(lw, pool)
    out_words = math.ceil(out_bits / tracks)

    events = mac_tally(lw) * lw.macs + Tally(
        shift_steps=(int(steps_pe.sum()) + a_reads + out_words) * tracks,
        bit_reads=(w_reads + a_reads) * tracks,
        bit_writes=out_words * tracks,
        cmos_gate_ops=requant_gates(lw),
        latch_updates=lp.rounds * lw.input_count * lw.abits,  # line buffer
        bus_bit_mm=((w_reads + a_reads) * tracks + out_bits) * acc.htree_mm + bcast_bits * mac_mm,
    )
    chain = Tally(
        shift_cycles=int(steps_pe.max()) + math.ceil(out_words / banks),
        read_cycles=math.ceil(float(reads_per_subarray.max())),
        bus_cycles=acc.read.bus_cycles,  # pipelined H-tree: one fill per layer
        write_cycles=math.ceil(out_words / banks),
        clock_cycles=int(outs_pe.max()) * lw.reduction + math.ceil(lw.output_count / banks),
    )
    return events + chain


def area_um2(work: Workload, arch: Arch) -> dict[str, float]:
    tech = arch.tech
    ab = area_breakdown(arch.org, tech)
    return {
        "memory_arrays": ab.mu_arrays_um2,
        "memory_periphery": ab.periphery_um2,
        "mac_units": arch.pes * workload_mac_unit(work).area_um2(tech),
        "cmos_periphery": arch.org.banks
        * tech.f2_to_um2(periphery_transistors_per_bank(work, arch) * tech.cmos.transistor_area_f2),
    }


def leakage_mw(work: Workload, arch: Arch) -> float:
    tech = arch.tech
    cmos = arch.pes * workload_mac_unit(work).transistors(
        tech
    ) + arch.org.banks * periphery_transistors_per_bank(work, arch)
    return memory_leakage_mw(arch.org, tech) + logic_leakage_mw(cmos, tech)


def near_memory_baseline(work: Workload, arch: Arch) -> BaselineResult:
    """``work`` with ``arch.org`` as plain memory and ``arch.pes`` CMOS MAC units beside it (pure)."""
    tech = arch.tech
    placement = place(work, arch)
    leak = leakage_mw(work, arch)
    mac_mm = mac_array_mm(work, arch)
    offsets = np.zeros(arch.org.mus, dtype=np.int64)
    rows: list[LayerRow] = []
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            t = compute_layer_tally(
                lw, placement.of(lw.name), arch, offsets, following_pool(work, i), mac_mm
            )
            rows.append(priced_row(lw.name, lw.kind, lw.macs, t, arch.prices, leak))
        else:
            t = periphery_tally(lw, arch, "cmos")  # a CMOS accelerator adds in CMOS
            kind = "add" if isinstance(lw, AddWork) else "pool"
            rows.append(priced_row(lw.name, kind, 0, t, arch.prices, leak))
    return BaselineResult(
        name="near_memory",
        description=(
            f"RTM as plain memory ({arch.org.mus} MUs) with {arch.pes} CMOS MAC units beside it; "
            "every operand through the sense amplifiers and the H-tree"
        ),
        source=SOURCE,
        workload=work.name,
        layers=tuple(rows),
        area_um2=area_um2(work, arch),
        leakage_mw=leak,
        figures={
            "mac_units": float(arch.pes),
            "htree_mm": access_tallies(arch.org, tech).htree_mm,
            "mac_array_mm": mac_mm,
        },
    )
