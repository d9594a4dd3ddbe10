"""Layer ``baselines``: the same workload, in the same units, on designs to compare against.

* :func:`cmos_baseline` — a CMOS accelerator with as many MAC units as the
  RTM arch has PEs, an SRAM buffer and DRAM for weights that do not fit;
* :func:`near_memory_baseline` — the RTM arch's memory used as plain memory,
  CMOS MAC units beside it, every operand through sense amplifiers and bus;
* :func:`transverse_read_baseline` — a PIRM-style transverse-read RTM PIM from
  PIRM's published per-operation ratios.

Each returns a frozen :class:`BaselineResult` whose tallies are priced by the
arch's own :class:`~rtmcim.tech.Tech`; each module's docstring and the
result's ``source`` say where every figure comes from.
"""

from __future__ import annotations

from rtmcim.baselines.cmos import DEFAULT_BUFFER_BYTES, cmos_baseline
from rtmcim.baselines.near_memory import near_memory_baseline
from rtmcim.baselines.result import BaselineResult, LayerRow, ratios
from rtmcim.baselines.transverse_read import transverse_read_baseline
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.mapping.workload import Workload


def compare(
    workload: Workload,
    arch: Arch,
    *,
    rtm: Evaluation | None = None,
    buffer_bytes: int | None = None,
) -> list[BaselineResult]:
    """All three baselines for ``workload`` on (the resources of) ``arch``: CMOS, near-memory, PIRM.

    ``rtm`` is the arch's own evaluation if the caller already has it (the
    transverse-read baseline is derived from it); ``buffer_bytes`` sizes the
    CMOS baseline's SRAM buffer (None: 64 KiB, doubled until the largest
    layer's activations fit).
    """
    return [
        cmos_baseline(workload, arch, buffer_bytes=buffer_bytes),
        near_memory_baseline(workload, arch),
        transverse_read_baseline(workload, arch, rtm),
    ]


__all__ = [
    "DEFAULT_BUFFER_BYTES",
    "BaselineResult",
    "LayerRow",
    "cmos_baseline",
    "compare",
    "near_memory_baseline",
    "ratios",
    "transverse_read_baseline",
]
