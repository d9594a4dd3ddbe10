"""Per-layer event tallies of a placed workload, and the whole-model evaluation.

For each compute layer (weight-stationary, DESIGN.md 1.3) the tally counts:

* **compute**: every output is one K-term dot product on a MAC cell,
  ``rtmcim.circuits.mac.mac_cost(n, K)`` with ``n = max(wbits, abits)``
  (signed weights, unsigned activations);
* **weight stream**: each output position walks the filter's words once; a
  word read per word on the *local path* (the sense amplifiers beside the PE
  sense the word at the ports of the MUs it owns: no decoder, no H-tree; the
  MAC cell computes on that word, so it is one access, not an array read plus
  a cell read: DESIGN.md 1.3), and the shift steps the layout and the port
  count cause, counted exactly for every PE (:mod:`rtmcim.mapping.stream`);
* **activations**: the layer's input is streamed once per round of filters
  from the activation region through the subarray periphery (one word read
  and one shift step per word, a streaming read), held in a CMOS line buffer
  (latch updates) and broadcast to the PEs over the H-tree (bus bit-mm);
* **requantization** (bias, multiply, round, clamp incl. ReLU) and pooling in
  CMOS periphery, one unit per bank, one output per clock;
* **write-back** of the (pooled) outputs to the activation region.

A depthwise (or grouped) conv has little reuse: each input channel feeds the
filters of its own group only, so its input is streamed once (each channel
in the round that owns it) and each filter's windows travel the bus on their
own instead of one broadcast serving every PE.

A residual add (:func:`add_tally`) reads its two inputs from the activation
region, aligns each onto the output scale in CMOS (a multiply each, one
rounding shift, the ReLU clamp) and writes its output back. The sum itself runs
where ``compute.residual_add`` says: ``cmos``, a ripple-carry adder in the
periphery (one unit per bank, one output per clock); ``memory``, the PEs'
own accumulator adders (``compute.adder``), its two aligned operands written
into the adder's tracks, all PEs in parallel.

Latency: PEs run in parallel; the busiest PE's chain (its dot products, word
reads and shifts, one after another: no overlap of fetch and compute is
assumed) plus the write-back, spread over banks. The tally's cycle fields
hold exactly that chain, so ``latency_ns(tally, arch.prices)`` is the layer latency
under any technology, and re-pricing never re-maps.

A layer's tally is the sum of two parts that depend on different choices:
:func:`memory_tally` (placement, banks, route length, and the weight stream's
shift steps from the layout and ports: no MAC cell) and :func:`compute_tally`
(the MAC cell's dot product, times outputs). Sweeps
(:mod:`rtmcim.mapping.batch`) cache each part by what it depends on.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtmcim.circuits.mac import MAC_MULTIPLIERS, mac_cost
from rtmcim.errors import ConfigError
from rtmcim.mapping import cmos_ops
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.metrics import PerInference
from rtmcim.mapping.place import LayerPlacement, Placement, place
from rtmcim.mapping.stream import pe_outputs, workload_stream_steps
from rtmcim.mapping.workload import AddWork, ComputeWork, LayerWork, PoolWork, Workload
from rtmcim.memory.costs import htree_mm
from rtmcim.nn.intgraph import MULT_BITS  # requantization multiplier width
from rtmcim.tally import Tally
from rtmcim.tech import latency_ns, price


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str  # conv, depthwise (a conv of one filter per channel), fc, pool, add
    macs: int
    tally: Tally  # events of the whole layer; cycles of its critical path
    compute: Tally  # the MAC-cell part alone (what the bit-exact engine counts)
    latency_ns: float
    energy_pj: dict[str, float]
    utilization: float  # MACs / (PEs x busiest PE's MACs)
    shift_steps: float  # track-steps of weights and activations
    active_pes: int

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())


@dataclass(frozen=True)
class Evaluation(PerInference):
    """A workload on an arch: per-layer costs and totals for one inference.

    Totals and derived metrics (energy, latency, TOPS/W, GOPS/mm², peak power)
    come from :class:`~rtmcim.mapping.metrics.PerInference`.
    """

    arch: Arch
    workload: Workload
    placement: Placement
    layers: tuple[LayerCost, ...]
    leakage_mw: float
    area_um2: dict[str, float] = field(default_factory=dict)


def mac_bits(lw: ComputeWork) -> int:
    """Width the MAC cell runs at: weights and activations share one operand width."""
    return max(lw.wbits, lw.abits)


def dot_product_tally(lw: ComputeWork, arch: Arch) -> Tally:
    """Events of one output (a K-term dot product) on one MAC cell."""
    return _mac_cost(mac_bits(lw), lw.reduction, arch.compute.multiplier, arch.compute.adder)


def check_widths(work: Workload, arch: Arch) -> None:
    """A layer wider than the arch's multiplier runs is a ConfigError naming the arch file,
    ``compute.multiplier``, the layer and the widths the multiplier supports."""
    name = arch.compute.multiplier
    limit = MAC_MULTIPLIERS[name]().max_bits
    for lw in work.layers:
        if isinstance(lw, ComputeWork) and mac_bits(lw) > limit:
            raise ConfigError(
                f"layer {lw.name} needs {mac_bits(lw)}-bit operands, more than the multiplier runs",
                key="compute.multiplier",
                value=name,
                source=arch.source,
                allowed=f"operands of 1..{limit} bits with {name}",
                hint="choose another multiplier, or train with narrower weights and activations",
            )


@functools.lru_cache(maxsize=4096)
def _mac_cost(bits: int, k: int, multiplier: str, adder: str) -> Tally:
    # a pure function of its arguments, returning a frozen Tally: safe to share (sweeps repeat it)
    return mac_cost(bits, k, multiplier=multiplier, adder=adder)


@dataclass(frozen=True, slots=True)
class LayerStream:
    """What a compute layer's placement gives, before shift counts, route length or MAC cell."""

    tally: Tally  # activation stream, weight reads, CMOS periphery, write-back; bus per mm of route
    outputs: int  # dot products of the layer
    busiest: int  # index of the busiest PE (the most dot products: its chain is the latency)
    busiest_outputs: int
    utilization: float  # MACs / (PEs x busiest PE's MACs)
    other_shift_steps: int  # track-steps of the activation stream and the write-back


def input_words(lw: ComputeWork, tracks: int) -> int:
    """Words of a compute layer's input in the activation region (streamed once per round)."""
    return math.ceil(lw.input_count * lw.abits / tracks)


def write_back_words(lw: ComputeWork, pool: PoolWork | None, tracks: int) -> int:
    """Words a compute layer writes back: its (pooled) outputs, requantized or raw logits."""
    out_count = pool.output_count if pool is not None else lw.output_count
    return math.ceil(out_count * (lw.out_bits or lw.acc_bits) / tracks)


def stream_tally(
    lw: ComputeWork, lp: LayerPlacement, arch: Arch, pool: PoolWork | None
) -> LayerStream:
    """Everything a compute layer costs besides its MAC cells and its weights' shifts.

    Depends on the placement, ``tracks`` and ``banks`` only; :func:`memory_tally`
    adds the weight-stream shifts and the route length.
    """
    org = arch.org
    tracks, banks, pes = org.mu.tracks, org.banks, arch.pes
    outputs = lw.output_count
    per_pe_outputs = pe_outputs(lp, lw, pes)  # outputs each PE computes
    busiest = int(np.argmax(per_pe_outputs))
    busiest_outputs = int(per_pe_outputs[busiest])

    # -- weight stream: one local word read per word per pass
    w_reads = int(per_pe_outputs.sum()) * lp.words_per_filter

    # -- activation stream: the input once per round, one word and one step per word
    rounds = lp.rounds
    window_bits = lw.positions * lw.reduction * lw.abits  # one filter's windows
    if lw.groups == 1:
        a_reads = rounds * input_words(lw, tracks)
        bcast_bits = rounds * window_bits
        latches = rounds * lw.input_count * lw.abits
    else:  # each channel once; no broadcast reuse across groups
        a_reads = input_words(lw, tracks)
        bcast_bits = rounds * window_bits * min(lw.groups, pes)
        latches = lw.input_count * lw.abits

    # -- requant (+ReLU) and pooling in CMOS, one unit per bank, then write-back
    if lw.out_bits:
        rq_gates = outputs * cmos_ops.requant_gates(lw.acc_bits, MULT_BITS, lw.out_bits)
    else:  # logits leave as accumulators: only the bias add
        rq_gates = outputs * cmos_ops.adder_gates(lw.acc_bits)
    out_count = pool.output_count if pool is not None else outputs
    out_bits = lw.out_bits or lw.acc_bits
    out_words = write_back_words(lw, pool, tracks)

    tally = Tally(
        shift_steps=(a_reads + out_words) * tracks,
        bit_reads=a_reads * tracks,
        cell_bit_reads=w_reads * tracks,
        bit_writes=out_words * tracks,
        cmos_gate_ops=rq_gates,
        latch_updates=latches,
        bus_bit_mm=bcast_bits + out_count * out_bits,  # x route length in memory_tally
        shift_cycles=math.ceil(out_words / banks),
        cell_read_cycles=busiest_outputs * lp.words_per_filter,
        write_cycles=math.ceil(out_words / banks),
        clock_cycles=math.ceil(outputs / banks),
    )
    util = lw.macs / (pes * busiest_outputs * lw.reduction) if busiest_outputs else 0.0
    return LayerStream(
        tally, outputs, busiest, busiest_outputs, util, (a_reads + out_words) * tracks
    )


def weight_shift_fields(steps_total: Any, steps_busiest: Any, tracks: Any) -> dict[str, Any]:
    """The weight stream's shifts: every PE's MU-steps (x tracks), the busiest PE's on the chain.

    Works on numbers and on numpy arrays alike (sweeps fill many layers at once).
    """
    return {"shift_steps": steps_total * tracks, "shift_cycles": steps_busiest}


def weight_shift_tally(steps_pe: np.ndarray, busiest: int, tracks: int) -> Tally:
    return Tally(**weight_shift_fields(int(steps_pe.sum()), int(steps_pe[busiest]), tracks))


def memory_tally(ls: LayerStream, steps_pe: np.ndarray, bus_len: float, tracks: int) -> Tally:
    """A layer's tally without its MAC cells: ``ls`` with the route length and weight shifts."""
    routed = dataclasses.replace(ls.tally, bus_bit_mm=ls.tally.bus_bit_mm * bus_len)
    return routed + weight_shift_tally(steps_pe, ls.busiest, tracks)


def compute_tally(dot: Tally, outputs: int, busiest_outputs: int) -> Tally:
    """The MAC cells' part: ``outputs`` dot products' events; the busiest PE's, one after another."""
    return Tally(**dot.events()) * outputs + Tally(**dot.cycles()) * busiest_outputs


def compute_layer_cost(
    lw: ComputeWork,
    lp: LayerPlacement,
    arch: Arch,
    steps_pe: np.ndarray,
    pool: PoolWork | None,
    leakage_mw: float,
    bus_len: float,
) -> LayerCost:
    ls = stream_tally(lw, lp, arch, pool)
    dot = dot_product_tally(lw, arch)
    tracks = arch.org.mu.tracks
    tally = memory_tally(ls, steps_pe, bus_len, tracks)
    tally = tally + compute_tally(dot, ls.outputs, ls.busiest_outputs)
    lat = latency_ns(tally, arch.prices)
    cost = price(tally, arch.prices, leakage_mw=leakage_mw, latency=lat)
    return LayerCost(
        name=lw.name,
        kind="depthwise" if lw.depthwise else lw.kind,
        macs=lw.macs,
        tally=tally,
        compute=dot.parallel(ls.outputs),
        latency_ns=lat,
        energy_pj=cost.energy_pj,
        utilization=ls.utilization,
        shift_steps=ls.other_shift_steps + int(steps_pe.sum()) * tracks,
        active_pes=lp.active_pes,
    )


def pool_tally(pw: PoolWork, banks: int) -> Tally:
    """Pooling in CMOS periphery, one unit per bank, one output per clock."""
    gates = pw.output_count * cmos_ops.pool_gates(pw.kind, pw.kernel * pw.kernel, pw.bits)
    return Tally(cmos_gate_ops=gates, clock_cycles=math.ceil(pw.output_count / banks))


def pool_layer_cost(pw: PoolWork, arch: Arch, leakage_mw: float) -> LayerCost:
    tally = pool_tally(pw, arch.org.banks)
    lat = latency_ns(tally, arch.prices)
    cost = price(tally, arch.prices, leakage_mw=leakage_mw, latency=lat)
    return LayerCost(pw.name, "pool", 0, tally, Tally(), lat, cost.energy_pj, 1.0, 0.0, 0)


def following_pool(work: Workload, i: int) -> PoolWork | None:
    """The pooling layer fused behind compute layer ``i`` (its outputs are written pooled):
    the next layer, if it is a pool reading layer ``i`` alone (a layer that nobody else reads)."""
    nxt = work.layers[i + 1] if i + 1 < len(work.layers) else None
    if not isinstance(nxt, PoolWork) or nxt.inputs not in ((), (work.layers[i].name,)):
        return None
    name = work.layers[i].name
    if any(name in lw.inputs for lw in work.layers[i + 2 :]):
        return None
    return nxt


def add_words(aw: AddWork, tracks: int) -> tuple[int, int, int]:
    """Words of a residual add's streams in the activation region: its two inputs read (one
    stream each) and its output written back."""
    return (
        math.ceil(aw.count * aw.a_bits / tracks),
        math.ceil(aw.count * aw.b_bits / tracks),
        math.ceil(aw.count * aw.out_bits / tracks),
    )


def add_tally(aw: AddWork, arch: Arch, where: str | None = None) -> Tally:
    """A residual add: read both inputs, align them in CMOS, sum (CMOS or the PEs' adders),
    clamp, write back (see the module docstring)."""
    tracks, banks = arch.org.mu.tracks, arch.org.banks
    a_words, b_words, out_words = add_words(aw, tracks)
    in_words = a_words + b_words
    align = (
        cmos_ops.array_multiplier_gates(aw.a_bits, MULT_BITS)
        + cmos_ops.array_multiplier_gates(aw.b_bits, MULT_BITS)
        + cmos_ops.adder_gates(aw.sum_bits)  # + 2^(shift-1)
        + 3 * aw.out_bits  # shift selection
        + 2 * cmos_ops.comparator_gates(aw.out_bits)  # clamp (ReLU)
    )
    base = Tally(
        shift_steps=(in_words + out_words) * tracks,
        bit_reads=in_words * tracks,
        bit_writes=out_words * tracks,
        cmos_gate_ops=aw.count * align,
        shift_cycles=math.ceil((in_words + out_words) / banks),
        write_cycles=math.ceil(out_words / banks),
        clock_cycles=math.ceil(aw.count / banks),
    )
    if (where or arch.compute.residual_add) == "cmos":
        return base + Tally(cmos_gate_ops=aw.count * cmos_ops.adder_gates(aw.sum_bits))
    return base + memory_add_tally(aw, arch)


def memory_add_tally(aw: AddWork, arch: Arch) -> Tally:
    """The sums of an add on the PEs' accumulator adders: operands written in, all PEs at once."""
    per_pe = math.ceil(aw.count / arch.pes)
    operands = Tally(cell_bit_writes=2 * aw.count * aw.sum_bits, cell_write_cycles=per_pe)
    return operands + adder_cells_tally(aw, arch)


def adder_cells_tally(aw: AddWork, arch: Arch) -> Tally:
    """The adder cells' own events (what the bit-exact engine counts): one add per output,
    the busiest PE's ``ceil(count / PEs)`` adds one after another."""
    dot = _add_cost(arch.compute.adder, aw.sum_bits)
    per_pe = math.ceil(aw.count / arch.pes)
    return Tally(**dot.events()) * aw.count + Tally(**dot.cycles()) * per_pe


@functools.lru_cache(maxsize=256)
def _add_cost(adder: str, bits: int) -> Tally:
    from rtmcim.circuits.registry import get

    return get(adder).cost(bits, signed=True)


def periphery_tally(lw: LayerWork, arch: Arch, add_in: str | None = None) -> Tally:
    """A layer without weights: pooling or a residual add (its sum where ``add_in`` says,
    ``cmos`` or ``memory``; default: the arch's ``compute.residual_add``)."""
    if isinstance(lw, AddWork):
        return add_tally(lw, arch, add_in)
    assert isinstance(lw, PoolWork)
    return pool_tally(lw, arch.org.banks)


def periphery_layer_cost(lw: PoolWork | AddWork, arch: Arch, leakage_mw: float) -> LayerCost:
    tally = periphery_tally(lw, arch)
    lat = latency_ns(tally, arch.prices)
    cost = price(tally, arch.prices, leakage_mw=leakage_mw, latency=lat)
    kind = "add" if isinstance(lw, AddWork) else "pool"
    compute = (
        adder_cells_tally(lw, arch)
        if isinstance(lw, AddWork) and arch.compute.residual_add == "memory"
        else Tally()
    )
    return LayerCost(lw.name, kind, 0, tally, compute, lat, cost.energy_pj, 1.0, 0.0, 0)


def evaluate_workload(work: Workload, arch: Arch) -> Evaluation:
    """Place and cost every layer of ``work`` on ``arch`` (pure: frozen in, frozen out)."""
    from rtmcim.mapping.area import accelerator_area_um2, accelerator_leakage_mw

    placement = place(work, arch)
    check_widths(work, arch)
    leak = accelerator_leakage_mw(work, arch)
    bus_len = htree_mm(arch.org, arch.tech)  # broadcast and write-back route, mm
    steps = iter(workload_stream_steps(work, placement, arch))
    costs: list[LayerCost] = []
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            lp = placement.of(lw.name)
            pool = following_pool(work, i)
            costs.append(compute_layer_cost(lw, lp, arch, next(steps), pool, leak, bus_len))
        else:
            costs.append(periphery_layer_cost(lw, arch, leak))
    return Evaluation(arch, work, placement, tuple(costs), leak, accelerator_area_um2(work, arch))
