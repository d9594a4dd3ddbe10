"""Per-layer event tallies of a placed workload, and the whole-model evaluation.

For each compute layer (weight-stationary, DESIGN.md 1.3) the tally counts:

* **compute**: every output is one K-term dot product on a MAC cell,
  ``rtmcim.circuits.mac.mac_cost(n, K)`` with ``n = max(wbits, abits)``
  (signed weights, unsigned activations);
* **weight stream**: each output position walks the filter's words once; a
  word read per word, and the shift steps the layout and the port count cause,
  counted exactly by running the MUs' track positions
  (:func:`rtmcim.memory.track.shift_steps_vectorized`) over three passes and
  extending periodically (sequential passes repeat; snake passes alternate);
* **activations**: the layer's input is streamed once per round of filters
  from the activation region (one word read and one shift step per word, a
  streaming read), held in a CMOS line buffer (latch updates) and broadcast to
  the PEs over the H-tree (bus bit-mm);
* **requantization** (bias, multiply, round, clamp incl. ReLU) and pooling in
  CMOS periphery, one unit per bank, one output per clock;
* **write-back** of the (pooled) outputs to the activation region.

Latency: PEs run in parallel; the busiest PE's chain (its dot products, word
reads and shifts, one after another: no overlap of fetch and compute is
assumed) plus the write-back, spread over banks. The tally's cycle fields
hold exactly that chain, so ``latency_ns(tally, tech)`` is the layer latency
under any technology, and re-pricing never re-maps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from rtmcim.circuits.mac import mac_cost
from rtmcim.mapping import cmos_ops
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.metrics import PerInference
from rtmcim.mapping.place import LayerPlacement, Placement, place, word_locations
from rtmcim.mapping.workload import ComputeWork, PoolWork, Workload
from rtmcim.memory.organization import htree_mm
from rtmcim.memory.track import shift_steps_vectorized
from rtmcim.tally import Tally
from rtmcim.tech import latency_ns, price

MULT_BITS = 16  # requantization multiplier width (rtmcim.nn.intgraph.MULT_BITS)


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
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


@functools.lru_cache(maxsize=4096)
def _mac_cost(bits: int, k: int, multiplier: str, adder: str) -> Tally:
    # a pure function of its arguments, returning a frozen Tally: safe to share (sweeps repeat it)
    return mac_cost(bits, k, multiplier=multiplier, adder=adder)


def _pe_passes(lp: LayerPlacement, lw: ComputeWork, pes: int) -> np.ndarray:
    """Output positions (passes over its filter) of each PE in each round: (rounds, pes)."""
    passes = np.zeros((lp.rounds, pes), dtype=np.int64)
    if lp.copies == 1:
        for r in range(lp.rounds):
            n_f = min(pes, lw.out_channels - r * pes)
            passes[r, :n_f] = lw.positions
    else:
        base, extra = divmod(lw.positions, lp.copies)
        p = np.arange(lp.active_pes)
        copy = p // lw.out_channels
        passes[0, : lp.active_pes] = base + (copy < extra)
    return passes


def pe_outputs(lp: LayerPlacement, lw: ComputeWork, pes: int) -> np.ndarray:
    """Outputs (dot products) each PE computes for the layer, (pes,); the busiest sets the latency."""
    return _pe_passes(lp, lw, pes).sum(axis=0)


def weight_stream_steps(
    lp: LayerPlacement, lw: ComputeWork, arch: Arch, offsets: np.ndarray
) -> np.ndarray:
    """Shift steps (MU-steps) of each PE walking its filters, (pes,); ``offsets`` updated in place.

    Each PE's filter in round ``r`` occupies words ``first + r*W .. first + (r+1)*W - 1``
    of that PE. Three passes are simulated exactly; because the track state
    after pass 3 equals that after pass 1 (passes repeat, or alternate for a
    snake), ``n`` passes cost ``c1 + c2*ceil((n-1)/2) + c3*floor((n-1)/2)``.
    """
    org, comp = arch.org, arch.compute
    pes, mpp, w = arch.pes, arch.mus_per_pe, lp.words_per_filter
    passes = _pe_passes(lp, lw, pes)
    total = np.zeros(pes, dtype=np.int64)
    pe_ids = np.arange(pes, dtype=np.int64)
    snake = comp.data_layout == "snake"
    for r in range(lp.rounds):
        n = passes[r]
        act = n > 0
        if not act.any():
            continue
        ids = pe_ids[act]
        unit_l, dom = word_locations(lp.first_word + r * w, w, arch)
        unit_b, dom_b = word_locations(lp.first_word + r * w, w, arch, reverse=True)
        saved = []
        costs = []
        for k in range(3):
            backward = snake and k % 2 == 1
            u_loc, d = (unit_b, dom_b) if backward else (unit_l, dom)
            units = (ids[:, None] * mpp + u_loc[None, :]).ravel()
            doms = np.broadcast_to(d, (ids.size, w)).ravel()
            steps = shift_steps_vectorized(
                units,
                doms,
                domains=org.mu.domains,
                ports=org.mu.ports,
                port_policy=org.port_policy,
                update_policy=org.update_policy,
                offsets=offsets,
            )
            costs.append(steps.reshape(ids.size, w).sum(axis=1))
            saved.append(offsets.copy())
        nn = n[act]
        c1, c2, c3 = costs
        total[act] += c1 + c2 * ((nn - 1 + 1) // 2) + c3 * ((nn - 1) // 2)
        # leave the tracks where n passes would: after pass 1 (n odd) or pass 2 (n even)
        mus = (ids[:, None] * mpp + np.unique(unit_l)[None, :]).ravel()
        even = np.repeat(nn % 2 == 0, np.unique(unit_l).size)
        offsets[mus] = np.where(even, saved[1][mus], saved[0][mus])
    return total


def compute_layer_cost(
    lw: ComputeWork,
    lp: LayerPlacement,
    arch: Arch,
    offsets: np.ndarray,
    pool: PoolWork | None,
    leakage_mw: float,
    bus_len: float,
) -> LayerCost:
    tech, org = arch.tech, arch.org
    tracks = org.mu.tracks
    pes = arch.pes
    dot = dot_product_tally(lw, arch)
    outputs = lw.output_count

    # -- compute: one dot product per output
    compute = dot.parallel(outputs)
    passes = _pe_passes(lp, lw, pes)
    per_pe_outputs = passes.sum(axis=0)  # outputs each PE computes
    busiest = int(np.argmax(per_pe_outputs))
    busiest_outputs = int(per_pe_outputs[busiest])

    # -- weight stream
    steps_pe = weight_stream_steps(lp, lw, arch, offsets)
    w_words_pe = per_pe_outputs * lp.words_per_filter  # one read per word per pass
    w_reads = int(w_words_pe.sum())
    w_steps = int(steps_pe.sum())

    # -- activation stream: the input once per round, one word and one step per word
    rounds = lp.rounds
    in_words = math.ceil(lw.input_count * lw.abits / tracks)
    a_reads = rounds * in_words
    bcast_bits = rounds * lw.positions * lw.reduction * lw.abits

    # -- requant (+ReLU) and pooling in CMOS, one unit per bank, then write-back
    rq_gates = 0
    if lw.out_bits:
        rq_gates = outputs * cmos_ops.requant_gates(lw.acc_bits, MULT_BITS, lw.out_bits)
    else:  # logits leave as accumulators: only the bias add
        rq_gates = outputs * cmos_ops.adder_gates(lw.acc_bits)
    out_count = pool.output_count if pool is not None else outputs
    out_bits = lw.out_bits or lw.acc_bits
    out_words = math.ceil(out_count * out_bits / tracks)
    banks = org.banks

    events = Tally(
        shift_steps=(w_steps + a_reads + out_words) * tracks,
        bit_reads=(w_reads + a_reads) * tracks,
        bit_writes=out_words * tracks,
        cmos_gate_ops=rq_gates,
        latch_updates=rounds * lw.input_count * lw.abits,
        bus_bit_mm=(bcast_bits + out_count * out_bits) * bus_len,
    )
    chain = Tally(
        shift_cycles=int(steps_pe[busiest]) + math.ceil(out_words / banks),
        read_cycles=int(w_words_pe[busiest]),
        write_cycles=math.ceil(out_words / banks),
        clock_cycles=math.ceil(outputs / banks),
    )
    # the busiest PE's dot products, one after another
    chain = chain + Tally(**dot.cycles()) * busiest_outputs
    tally = Tally(**{**events.events(), **chain.cycles()}) + Tally(**compute.events())
    lat = latency_ns(tally, tech)
    cost = price(tally, tech, leakage_mw=leakage_mw, latency=lat)
    util = lw.macs / (pes * busiest_outputs * lw.reduction) if busiest_outputs else 0.0
    return LayerCost(
        name=lw.name,
        kind=lw.kind,
        macs=lw.macs,
        tally=tally,
        compute=compute,
        latency_ns=lat,
        energy_pj=cost.energy_pj,
        utilization=util,
        shift_steps=(w_steps + a_reads + out_words) * tracks,
        active_pes=lp.active_pes,
    )


def pool_layer_cost(pw: PoolWork, arch: Arch, leakage_mw: float) -> LayerCost:
    window = pw.kernel * pw.kernel
    gates = pw.output_count * cmos_ops.pool_gates(pw.kind, window, pw.bits)
    tally = Tally(cmos_gate_ops=gates, clock_cycles=math.ceil(pw.output_count / arch.org.banks))
    lat = latency_ns(tally, arch.tech)
    cost = price(tally, arch.tech, leakage_mw=leakage_mw, latency=lat)
    return LayerCost(pw.name, "pool", 0, tally, Tally(), lat, cost.energy_pj, 1.0, 0.0, 0)


def evaluate_workload(work: Workload, arch: Arch) -> Evaluation:
    """Place and cost every layer of ``work`` on ``arch`` (pure: frozen in, frozen out)."""
    from rtmcim.mapping.area import accelerator_area_um2, accelerator_leakage_mw

    placement = place(work, arch)
    leak = accelerator_leakage_mw(work, arch)
    offsets = np.zeros(arch.org.mus, dtype=np.int64)
    bus_len = htree_mm(arch.org, arch.tech)  # broadcast and write-back route, mm
    costs: list[LayerCost] = []
    layers = list(work.layers)
    for i, lw in enumerate(layers):
        if isinstance(lw, ComputeWork):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            pool = nxt if isinstance(nxt, PoolWork) else None
            costs.append(
                compute_layer_cost(lw, placement.of(lw.name), arch, offsets, pool, leak, bus_len)
            )
        else:
            costs.append(pool_layer_cost(lw, arch, leak))
    return Evaluation(arch, work, placement, tuple(costs), leak, accelerator_area_um2(work, arch))
