"""Baseline (a): a CMOS accelerator with SRAM buffers, and DRAM for the weights that do not fit.

The design, every figure priced by the same :class:`~rtmcim.tech.Tech` as the
racetrack accelerator:

* **MAC units**: as many as the RTM arch has PEs (``arch.pes``), each a CMOS
  array multiplier (``wbits x abits``) and a ripple-carry accumulator adder of
  the layer's accumulator width (``wbits + abits + ceil(log2 K)``, as the
  mapping layer sizes it), gate-equivalent counts from
  :mod:`rtmcim.mapping.cmos_ops` priced at ``cmos.gate_energy_pj`` (derived
  from Horowitz, ISSCC 2014, in the preset). The accumulator register is
  ``acc_bits`` latches updated once per MAC (``lim.latch_energy_pj``). The
  Horowitz reference energy of the same multiply and add
  (:meth:`Tech.cmos_reference_pj`, scaled to the node) is reported beside in
  ``figures``; the gate model is what is charged.
* **Dataflow**: the RTM arch's own weight-stationary dealing of filters to PEs
  (``rtmcim.mapping.place``: filters round-robin over PEs, or copied when there
  are fewer filters than PEs) so both designs have the same utilization. One
  MAC per clock per unit (``clock_cycles``): the SRAM reads are pipelined with
  the MACs, so they add energy and no cycles.
* **SRAM buffer** (``buffer_bytes``; by default the capacity the workload
  needs, like the racetrack that holds every weight on chip: 64 KiB, doubled
  until it holds the weights and the largest layer's input + output
  activations). At circuit level (the default preset) the SRAM is a 6T array
  of that capacity organised for read EDP and priced by the same circuit
  model as the racetrack (:func:`rtmcim.memory.pricing.sram_prices`): its
  energy per bit, latency, area and leakage grow with its capacity. A
  per-event preset prices it at ``sram.energy_pj_per_bit`` (Horowitz's 8 KB
  figure) and ``sram.cell_area_f2`` per bit, whatever its size. Reuse model: a weight is read from the buffer for every MAC (``wbits`` bits
  per MAC); a layer's input activations are read once per round of filters
  into a line buffer (latches, as in the mapping layer) and broadcast to the
  units; outputs are written back once (after pooling when a pooling layer
  follows, as in the mapping layer), ``sram_word_bits`` per SRAM cycle.
* **DRAM** (``dram.energy_pj_per_bit``, Han et al. 640 pJ per 32-bit access):
  the buffer first reserves the largest layer's input + output activations
  (``Workload.max_activation_bits``); the remaining bits hold weights, layer
  by layer in execution order. The weights that do not fit stream from DRAM
  every inference, are staged through the buffer (one SRAM write per bit) and
  cost ``ceil(bits / dram_access_bits)`` DRAM accesses of ``dram.latency_ns``
  each on the critical path (no overlap with compute: the mapping layer's
  no-overlap assumption).
* **Wires**: weights, broadcast activations and outputs travel over a bus as
  long as the side of the (square) chip, the H-tree rule of
  :func:`rtmcim.memory.organization.htree_mm`.
* **Requantization and pooling** in CMOS exactly as in the mapping layer (one
  unit per bank of the RTM arch, one output per clock; gate counts from
  :mod:`rtmcim.mapping.cmos_ops`; pooling layers reuse
  :func:`rtmcim.mapping.layer_cost.periphery_tally`).
* **Area**: MAC units (gates x 4 transistors + accumulator latches, times
  ``cmos.transistor_area_f2``), the SRAM (circuit level: the whole array with
  its periphery; per-event level: ``sram.cell_area_f2`` per bit, periphery not
  counted), and the CMOS periphery of the mapping layer (requant/pool units and
  line buffers).
* **Leakage**: the logic transistors above
  (:func:`rtmcim.memory.costs.logic_leakage_mw`) plus the SRAM (circuit
  level: the array model's leakage; per-event level: 6 transistors per bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.baselines.result import BaselineResult, LayerRow, priced_row
from rtmcim.errors import CapacityError
from rtmcim.mapping import cmos_ops
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.area import periphery_transistors_per_bank
from rtmcim.mapping.layer_cost import MULT_BITS, periphery_tally
from rtmcim.mapping.workload import AddWork, ComputeWork, PoolWork, Workload
from rtmcim.memory.costs import circuit_level, logic_leakage_mw
from rtmcim.memory.pricing import sram_figures, sram_prices
from rtmcim.tally import Tally
from rtmcim.tech import Tech

DEFAULT_BUFFER_BYTES = 64 * 1024  # a typical embedded accelerator's global buffer
SRAM_WORD_BITS = 64  # Horowitz's wider SRAM read (64-bit, 10 pJ at 45 nm)
DRAM_ACCESS_BITS = 512  # one DDR burst: 8 beats x 64 bits
SRAM_TRANSISTORS_PER_BIT = 6  # 6T cell

SOURCE = (
    "MAC: gate-equivalent counts (rtmcim.mapping.cmos_ops: array multiplier + ripple-carry "
    "accumulator) x cmos.gate_energy_pj (derived from Horowitz, ISSCC 2014, 8-bit add 0.03 pJ), "
    "accumulator register x lim.latch_energy_pj; Horowitz reference per MAC reported beside; "
    "SRAM: circuit-level preset: a 6T array of the buffer's capacity from the circuit model "
    "(rtmcim.memory.circuit, calibrated against DESTINY v2), per-event preset: "
    "sram.energy_pj_per_bit (Horowitz 8 KB SRAM 32-bit read 5 pJ, scaled), 140 F2 cells "
    "(FPIRM, arXiv 2204.13788); DRAM: dram.energy_pj_per_bit (Han et al., arXiv 1506.02626, "
    "640 pJ per 32-bit access); requant/pool: rtmcim.mapping.cmos_ops as in the mapping layer"
)


@dataclass(frozen=True, slots=True)
class MacUnit:
    """A CMOS MAC unit: array multiplier and accumulator adder, with an accumulator register."""

    wbits: int
    abits: int
    acc_bits: int

    @property
    def gates(self) -> int:
        return cmos_ops.array_multiplier_gates(self.wbits, self.abits) + cmos_ops.adder_gates(
            self.acc_bits
        )

    def transistors(self, tech: Tech) -> float:
        return (
            self.gates * cmos_ops.TRANSISTORS_PER_GATE + self.acc_bits * tech.lim.latch_transistors
        )

    def area_um2(self, tech: Tech) -> float:
        return tech.f2_to_um2(self.transistors(tech) * tech.cmos.transistor_area_f2)


def layer_mac_unit(lw: ComputeWork) -> MacUnit:
    """The MAC unit as a layer exercises it (its widths and accumulator)."""
    return MacUnit(lw.wbits, lw.abits, lw.acc_bits)


def workload_mac_unit(work: Workload) -> MacUnit:
    """The MAC unit built for the widest layer of ``work`` (what the silicon holds)."""
    cl = work.compute_layers
    return MacUnit(
        max(lw.wbits for lw in cl), max(lw.abits for lw in cl), max(lw.acc_bits for lw in cl)
    )


def mac_tally(lw: ComputeWork) -> Tally:
    """Events of one MAC of layer ``lw`` on a CMOS MAC unit (no cycles: the caller counts clocks)."""
    unit = layer_mac_unit(lw)
    return Tally(cmos_gate_ops=unit.gates, latch_updates=unit.acc_bits)


def horowitz_mac_pj(lw: ComputeWork, tech: Tech) -> float:
    """Horowitz reference of one MAC: a multiply and an accumulator-wide add, scaled to the node."""
    return tech.cmos_reference_pj("mult", max(lw.wbits, lw.abits)) + tech.cmos_reference_pj(
        "add", lw.acc_bits
    )


def rounds_and_busiest_outputs(lw: ComputeWork, pes: int) -> tuple[int, int]:
    """(rounds of filters, outputs of the busiest unit) under the mapping's weight-stationary dealing.

    The same rule as :func:`rtmcim.mapping.place` (without its capacity check,
    which is about racetrack words): ``O >= P`` filters go round-robin in
    ``ceil(O/P)`` rounds; fewer filters are copied ``P // O`` times and the
    copies split the output positions.
    """
    if lw.out_channels >= pes:
        rounds = math.ceil(lw.out_channels / pes)
        return rounds, rounds * lw.positions
    copies = pes // lw.out_channels
    return 1, math.ceil(lw.positions / copies)


def requant_gates(lw: ComputeWork) -> int:
    """CMOS gates of the requantization of the layer's outputs (as the mapping layer counts them)."""
    if lw.out_bits:
        return lw.output_count * cmos_ops.requant_gates(lw.acc_bits, MULT_BITS, lw.out_bits)
    return lw.output_count * cmos_ops.adder_gates(lw.acc_bits)  # logits: the bias add only


def written_outputs(lw: ComputeWork, pool: PoolWork | None) -> int:
    """Bits a compute layer writes back: its (pooled, when a pool follows) outputs."""
    count = pool.output_count if pool is not None else lw.output_count
    return count * (lw.out_bits or lw.acc_bits)


def following_pool(work: Workload, i: int) -> PoolWork | None:
    nxt = work.layers[i + 1] if i + 1 < len(work.layers) else None
    return nxt if isinstance(nxt, PoolWork) else None


def default_buffer_bytes(work: Workload) -> int:
    """64 KiB, doubled until the weights and the largest layer's activations fit."""
    size = DEFAULT_BUFFER_BYTES
    while 8 * size < work.weight_bits + work.max_activation_bits:
        size *= 2
    return size


def dram_spill_bits(work: Workload, buffer_bytes: int) -> dict[str, int]:
    """Weight bits of each compute layer that do not fit the buffer (streamed from DRAM).

    The buffer reserves the largest input + output activation footprint, then
    keeps weights resident layer by layer in execution order.
    """
    buffer_bits = 8 * buffer_bytes
    act = work.max_activation_bits
    if act > buffer_bits:
        raise CapacityError(
            f"activations need {act} bits but the SRAM buffer holds {buffer_bits} "
            f"({act - buffer_bits} bits short)",
            key="buffer_bytes",
            value=buffer_bytes,
            hint=f"use a buffer of at least {math.ceil(act / 8)} bytes",
        )
    room = buffer_bits - act
    spill: dict[str, int] = {}
    for lw in work.compute_layers:
        kept = min(room, lw.weight_bits)
        room -= kept
        spill[lw.name] = lw.weight_bits - kept
    return spill


def area_um2(
    work: Workload, arch: Arch, buffer_bytes: int = DEFAULT_BUFFER_BYTES
) -> dict[str, float]:
    """Area by component: MAC units, SRAM buffer cells, CMOS periphery (requant/pool/line buffer)."""
    tech = arch.tech
    if circuit_level(tech):
        sram_um2 = sram_figures(tech, buffer_bytes, SRAM_WORD_BITS).chip_um2
    else:
        sram_um2 = tech.f2_to_um2(8 * buffer_bytes * tech.sram.cell_area_f2)
    return {
        "mac_units": arch.pes * workload_mac_unit(work).area_um2(tech),
        "sram_buffer": sram_um2,
        "cmos_periphery": arch.org.banks
        * tech.f2_to_um2(periphery_transistors_per_bank(work, arch) * tech.cmos.transistor_area_f2),
    }


def leakage_mw(work: Workload, arch: Arch, buffer_bytes: int = DEFAULT_BUFFER_BYTES) -> float:
    tech = arch.tech
    transistors = arch.pes * workload_mac_unit(work).transistors(
        tech
    ) + arch.org.banks * periphery_transistors_per_bank(work, arch)
    if circuit_level(tech):
        sram_mw = sram_figures(tech, buffer_bytes, SRAM_WORD_BITS).leakage_mw
    else:
        sram_mw = logic_leakage_mw(SRAM_TRANSISTORS_PER_BIT * 8 * buffer_bytes, tech)
    return logic_leakage_mw(transistors, tech) + sram_mw


def compute_layer_tally(
    lw: ComputeWork,
    arch: Arch,
    pool: PoolWork | None,
    spill_bits: int,
    bus_mm: float,
    sram_word_bits: int = SRAM_WORD_BITS,
    dram_access_bits: int = DRAM_ACCESS_BITS,
) -> Tally:
    """Events and critical-path cycles of one compute layer on the CMOS accelerator."""
    rounds, busiest = rounds_and_busiest_outputs(lw, arch.pes)
    weight_bits = lw.macs * lw.wbits  # a weight read per MAC
    act_bits = rounds * lw.input_count * lw.abits  # input read once per round
    bcast_bits = rounds * lw.positions * lw.reduction * lw.abits  # operands broadcast to units
    out_bits = written_outputs(lw, pool)
    banks = arch.org.banks
    events = mac_tally(lw) * lw.macs + Tally(
        cmos_gate_ops=requant_gates(lw),
        latch_updates=act_bits,  # line buffer
        sram_bit_reads=weight_bits + act_bits,
        sram_bit_writes=out_bits + spill_bits,  # outputs, and DRAM weights staged in
        dram_bit_accesses=spill_bits,
        bus_bit_mm=(weight_bits + bcast_bits + out_bits) * bus_mm,
    )
    chain = Tally(
        clock_cycles=busiest * lw.reduction + math.ceil(lw.output_count / banks),
        sram_cycles=math.ceil(out_bits / sram_word_bits) + math.ceil(spill_bits / sram_word_bits),
        dram_cycles=math.ceil(spill_bits / dram_access_bits),
    )
    return events + chain


def cmos_baseline(
    work: Workload,
    arch: Arch,
    *,
    buffer_bytes: int | None = None,
    sram_word_bits: int = SRAM_WORD_BITS,
    dram_access_bits: int = DRAM_ACCESS_BITS,
) -> BaselineResult:
    """``work`` on a CMOS accelerator with ``arch.pes`` MAC units and an SRAM buffer (pure).

    ``buffer_bytes`` None: :func:`default_buffer_bytes`; a given size too small
    for the activations raises :class:`~rtmcim.errors.CapacityError`.
    """
    tech = arch.tech
    if buffer_bytes is None:
        buffer_bytes = default_buffer_bytes(work)
    area = area_um2(work, arch, buffer_bytes)
    leak = leakage_mw(work, arch, buffer_bytes)
    prices = sram_prices(arch.prices, tech, buffer_bytes, sram_word_bits)
    bus_mm = math.sqrt(sum(area.values()) / 1e6)  # side of the square chip
    spill = dram_spill_bits(work, buffer_bytes)
    rows: list[LayerRow] = []
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            t = compute_layer_tally(
                lw,
                arch,
                following_pool(work, i),
                spill[lw.name],
                bus_mm,
                sram_word_bits,
                dram_access_bits,
            )
            rows.append(priced_row(lw.name, lw.kind, lw.macs, t, prices, leak))
        else:
            t = periphery_tally(lw, arch, "cmos")  # a CMOS accelerator adds in CMOS
            kind = "add" if isinstance(lw, AddWork) else "pool"
            rows.append(priced_row(lw.name, kind, 0, t, prices, leak))
    cl = work.compute_layers
    macs = sum(lw.macs for lw in cl)
    gate_pj = sum(lw.macs * layer_mac_unit(lw).gates for lw in cl) * tech.cmos.gate_energy_pj
    reg_pj = sum(lw.macs * lw.acc_bits for lw in cl) * tech.lim.latch_energy_pj
    ref_pj = sum(lw.macs * horowitz_mac_pj(lw, tech) for lw in cl)
    figures = {
        "mac_units": float(arch.pes),
        "buffer_bytes": float(buffer_bytes),
        "mac_energy_pj_gate_model": (gate_pj + reg_pj) / macs if macs else 0.0,
        "mac_energy_pj_gate_model_without_register": gate_pj / macs if macs else 0.0,
        "mac_energy_pj_horowitz": ref_pj / macs if macs else 0.0,
        "dram_spill_bits": float(sum(spill.values())),
        "weights_resident_bits": float(work.weight_bits - sum(spill.values())),
        "bus_mm": bus_mm,
    }
    return BaselineResult(
        name="cmos",
        description=(
            f"CMOS accelerator: {arch.pes} MAC units (one MAC per clock), "
            f"{buffer_bytes / 1024:g} KiB SRAM buffer, DRAM for weights that do not fit"
        ),
        source=SOURCE,
        workload=work.name,
        layers=tuple(rows),
        area_um2=area,
        leakage_mw=leak,
        figures=figures,
    )
