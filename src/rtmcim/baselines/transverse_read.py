"""Baseline (c): a transverse-read RTM in-memory design in the style of PIRM, from its published ratios.

PIRM (Ollivier et al., "PIRM: Processing In Racetrack Memories", arXiv
2108.01202) computes with *transverse reads* (sensing several domains of a
track at once) and reports, against prior domain-wall-memory processing in
memory: 8-bit addition **6.9x faster with 5.5x less energy**, 8-bit
multiplication **2.3x faster with 3.4x less energy**, at **about 10 % area
overhead**. We have no cell-level model of a transverse read, so this baseline
is exactly those ratios applied to a stand-in for "prior DWM PIM":

* the stand-in is the RTM arch's own in-memory MAC cell (our PCSA
  logic-in-memory multiplier and accumulator adder, ``arch.compute``), costed
  by the mapping layer (:func:`rtmcim.mapping.evaluate_workload`);
* each layer's compute part (one dot product per output,
  :func:`rtmcim.mapping.layer_cost.dot_product_tally`) is split into its
  multiplies (``K`` products of the arch's multiplier) and its accumulator
  adds (the rest); the multiply part's events are divided by 3.4 and its
  critical-path cycles by 2.3, the add part's events by 5.5 and cycles by
  6.9. Every other event of the layer (weight stream, shifts, activation
  reads, requantization, write-back, bus) is the RTM arch's, unchanged;
  pooling layers are unchanged;
* the ratios were published for 8-bit operands and are applied at every
  width, and to our accumulator add, which is wider than 8 bits: an
  extrapolation, stated here;
* area: the memory (arrays and periphery) x 1.10 for PIRM's overhead, plus the
  mapping layer's CMOS periphery (requant/pool/line buffers); there are no
  separate PE cells (PIRM computes in the memory's transverse-read periphery,
  which the 10 % covers); leakage: memory periphery x 1.10 plus the CMOS
  periphery.
"""

from __future__ import annotations

from rtmcim.baselines.result import BaselineResult, LayerRow, priced_row
from rtmcim.circuits.mac import MAC_MULTIPLIERS
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.area import periphery_transistors_per_bank
from rtmcim.mapping.layer_cost import (
    Evaluation,
    LayerCost,
    dot_product_tally,
    evaluate_workload,
    mac_bits,
)
from rtmcim.mapping.stream import pe_outputs
from rtmcim.mapping.workload import ComputeWork, Workload
from rtmcim.memory.costs import area_breakdown, logic_leakage_mw
from rtmcim.memory.costs import leakage_mw as memory_leakage_mw
from rtmcim.tally import CYCLE_FIELDS, EVENT_FIELDS, Tally

# PIRM (arXiv 2108.01202) vs prior domain-wall-memory PIM, 8-bit operations
ADD_SPEEDUP = 6.9
ADD_ENERGY_REDUCTION = 5.5
MULT_SPEEDUP = 2.3
MULT_ENERGY_REDUCTION = 3.4
AREA_OVERHEAD = 0.10

SOURCE = (
    "PIRM (arXiv 2108.01202) published ratios vs prior DWM PIM: 8-bit add 6.9x faster / 5.5x "
    "less energy, 8-bit multiply 2.3x faster / 3.4x less energy, ~10 % area overhead; applied "
    "to this arch's own PCSA in-memory multiplies and accumulator adds (the 'prior DWM PIM' "
    "stand-in, rtmcim.mapping.evaluate_workload): multiply events / 3.4 and cycles / 2.3, add "
    "events / 5.5 and cycles / 6.9, everything else unchanged; memory area and leakage x 1.10"
)


def scaled(t: Tally, events: float, cycles: float) -> Tally:
    """``t`` with its events times ``events`` and its cycles times ``cycles``."""
    return Tally(
        **{n: getattr(t, n) * events for n in EVENT_FIELDS},
        **{n: getattr(t, n) * cycles for n in CYCLE_FIELDS},
    )


def minus(a: Tally, b: Tally) -> Tally:
    """``a - b`` field by field (``b`` must be a part of ``a``)."""
    d = {n: av - getattr(b, n) for n, av in a.as_dict().items()}
    bad = {n: v for n, v in d.items() if v < -1e-9 * max(1.0, abs(getattr(a, n)))}
    if bad:
        raise ValueError(f"not a part of the tally: negative {bad}")
    return Tally(**{n: max(v, 0.0) for n, v in d.items()})


def split_dot_product(lw: ComputeWork, arch: Arch) -> tuple[Tally, Tally]:
    """(multiplies, accumulator adds) of one K-term dot product on the arch's MAC cell."""
    dot = dot_product_tally(lw, arch)
    mult = MAC_MULTIPLIERS[arch.compute.multiplier]()
    mults = mult.product_cost(mac_bits(lw), True, False) * lw.reduction
    return mults, minus(dot, mults)


def pirm_layer_tally(lw: ComputeWork, lc: LayerCost, ev: Evaluation) -> Tally:
    """The RTM layer's tally with its multiplies and adds at PIRM's published ratios."""
    arch = ev.arch
    lp = ev.placement.of(lw.name)
    outputs = lw.output_count
    busiest = int(pe_outputs(lp, lw, arch.pes).max())  # the chain holds its dot products
    mults, adds = split_dot_product(lw, arch)
    rest = minus(lc.tally, scaled(mults + adds, outputs, busiest))
    return (
        rest
        + scaled(mults, outputs / MULT_ENERGY_REDUCTION, busiest / MULT_SPEEDUP)
        + scaled(adds, outputs / ADD_ENERGY_REDUCTION, busiest / ADD_SPEEDUP)
    )


def area_um2(work: Workload, arch: Arch, rtm: Evaluation) -> dict[str, float]:
    ab = area_breakdown(arch.org, arch.tech)
    k = 1.0 + AREA_OVERHEAD
    return {
        "memory_arrays": ab.mu_arrays_um2 * k,
        "memory_periphery": ab.periphery_um2 * k,
        "cmos_periphery": rtm.area_um2["cmos_periphery"],
    }


def leakage_mw(work: Workload, arch: Arch) -> float:
    tech = arch.tech
    per = arch.org.banks * periphery_transistors_per_bank(work, arch)
    return (1.0 + AREA_OVERHEAD) * memory_leakage_mw(arch.org, tech) + logic_leakage_mw(per, tech)


def transverse_read_baseline(
    work: Workload, arch: Arch, rtm: Evaluation | None = None
) -> BaselineResult:
    """PIRM-style transverse-read PIM for ``work`` (pure; ``rtm`` reuses an existing evaluation)."""
    if rtm is not None and (rtm.workload != work or rtm.arch != arch):
        raise ValueError("rtm must be the evaluation of this workload on this arch")
    ev = rtm if rtm is not None else evaluate_workload(work, arch)
    leak = leakage_mw(work, arch)
    by_name = {lw.name: lw for lw in work.compute_layers}
    rows: list[LayerRow] = []
    for lc in ev.layers:
        lw = by_name.get(lc.name)
        t = pirm_layer_tally(lw, lc, ev) if lw is not None else lc.tally
        rows.append(priced_row(lc.name, lc.kind, lc.macs, t, arch.prices, leak))
    return BaselineResult(
        name="transverse_read",
        description=(
            "PIRM-style transverse-read RTM PIM: this arch's in-memory multiplies and adds at "
            "PIRM's published speed/energy ratios, memory area +10 %"
        ),
        source=SOURCE,
        workload=work.name,
        layers=tuple(rows),
        area_um2=area_um2(work, arch, ev),
        leakage_mw=leak,
        figures={
            "add_speedup": ADD_SPEEDUP,
            "add_energy_reduction": ADD_ENERGY_REDUCTION,
            "mult_speedup": MULT_SPEEDUP,
            "mult_energy_reduction": MULT_ENERGY_REDUCTION,
            "area_overhead": AREA_OVERHEAD,
        },
    )
