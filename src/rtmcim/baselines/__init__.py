"""Layer ``baselines``: the same workload, in the same units, on designs to compare against.

* :func:`cmos_baseline` — a CMOS accelerator with as many MAC units as the
  RTM arch has PEs, an SRAM buffer and DRAM for weights that do not fit;
* :func:`near_memory_baseline` — the RTM arch's memory used as plain memory,
  CMOS MAC units beside it, every operand through sense amplifiers and bus;
* :func:`transverse_read_baseline` — a PIRM-style transverse-read RTM PIM from
  PIRM's published per-operation ratios.

Each returns a frozen :class:`BaselineResult` whose tallies are priced by the
arch's own :class:`~rtmcim.tech.Tech`; each module's docstring and the
result's ``source`` say where every figure comes from. They are records of
:data:`BASELINES` (:mod:`rtmcim.baselines.registry`): :func:`compare` runs
every registered one.
"""

from __future__ import annotations

from rtmcim.baselines.cmos import DEFAULT_BUFFER_BYTES, cmos_baseline
from rtmcim.baselines.near_memory import near_memory_baseline
from rtmcim.baselines.registry import BASELINES, Baseline, compare, comparison
from rtmcim.baselines.result import BaselineResult, LayerRow, ratios
from rtmcim.baselines.transverse_read import transverse_read_baseline

__all__ = [
    "BASELINES",
    "DEFAULT_BUFFER_BYTES",
    "Baseline",
    "BaselineResult",
    "LayerRow",
    "cmos_baseline",
    "compare",
    "comparison",
    "near_memory_baseline",
    "ratios",
    "transverse_read_baseline",
]
