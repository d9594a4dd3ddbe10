"""The registry of baselines: one record per design the racetrack accelerator is compared with.

A :class:`Baseline` runs a workload on (the resources of) an arch and returns a
:class:`~rtmcim.baselines.result.BaselineResult` in the mapping's units; it
is given the arch's own evaluation, which a baseline derived from it reuses.
Adding one is ``BASELINES.register(Baseline(name, description, run))``:
``rtmcim evaluate`` and the report then show it beside the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rtmcim.baselines.cmos import cmos_baseline
from rtmcim.baselines.near_memory import near_memory_baseline
from rtmcim.baselines.result import BaselineResult
from rtmcim.baselines.transverse_read import transverse_read_baseline
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import Evaluation, evaluate_workload
from rtmcim.mapping.metrics import ratios
from rtmcim.mapping.workload import Workload
from rtmcim.registry import Registry


@dataclass(frozen=True)
class Baseline:
    name: str
    description: str
    run: Callable[[Workload, Arch, Evaluation], BaselineResult]  # (work, arch, its evaluation)


def _cmos(work: Workload, arch: Arch, rtm: Evaluation) -> BaselineResult:
    return cmos_baseline(work, arch)


def _near_memory(work: Workload, arch: Arch, rtm: Evaluation) -> BaselineResult:
    return near_memory_baseline(work, arch)


BASELINES: Registry[Baseline] = Registry(
    "baseline",
    "baseline",
    __name__,
    (
        Baseline("cmos", "CMOS MAC units with an SRAM buffer and DRAM", _cmos),
        Baseline("near_memory", "the arch's RTM as plain memory beside CMOS MACs", _near_memory),
        Baseline(
            "transverse_read",
            "PIRM-style transverse-read RTM PIM",
            transverse_read_baseline,
        ),
    ),
)


def compare(
    workload: Workload, arch: Arch, *, rtm: Evaluation | None = None
) -> list[BaselineResult]:
    """Every registered baseline for ``workload`` on (the resources of) ``arch``.

    ``rtm`` is the arch's own evaluation if the caller already has it.
    """
    ev = rtm if rtm is not None else evaluate_workload(workload, arch)
    return [b.run(workload, arch, ev) for b in BASELINES.records()]


def comparison(
    workload: Workload,
    arch: Arch,
    rtm: Evaluation,
    design: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Every registered baseline beside the design: its figures per inference and how many
    times the design is lower (``design_vs_baseline``: baseline / design, above 1 when the
    design needs less). ``design`` holds the design's figures keyed as
    :data:`rtmcim.mapping.metrics.FIGURES` (default: those of ``rtm``)."""
    mine = design if design is not None else rtm.totals()
    rows = []
    for b in compare(workload, arch, rtm=rtm):
        figures = b.totals()
        rows.append(
            {
                "name": b.name,
                "description": b.description,
                "source": b.source,
                **{k: figures[k] for k in ("energy_pj", "latency_ns", "area_um2")},
                "design_vs_baseline": ratios(figures, mine),
            }
        )
    return rows
