"""The crossover study: where in-memory computing pays as the on-chip store grows.

For each model and each capacity of the on-chip store, three designs run one
inference with the same compute resources (the base arch's PEs, as MAC cells
or as CMOS MAC units):

* ``in_memory`` — the racetrack accelerator: the base arch with its memory
  grown (or shrunk) to the capacity; weights stationary beside the PEs,
  read on the local path (:mod:`rtmcim.mapping.layer_cost`);
* ``near_memory`` — the same racetrack used as plain memory, CMOS MAC units
  beside it (:func:`rtmcim.baselines.near_memory_baseline`);
* ``cmos_sram`` — CMOS MAC units with an SRAM buffer of the capacity
  (:func:`rtmcim.baselines.cmos_baseline`), weights that do not fit streamed
  from DRAM.

How the memory grows: the base arch's macro unit and subarray (MU grid) stay;
the subarrays per bank scale with the capacity, over the base arch's banks
(fewer banks below ``banks`` subarrays). The PEs stay the base arch's count,
placed per bank (``pes / banks`` each), so compute is the same at every
capacity and only the store changes. A racetrack design whose weights and
activations do not fit the capacity cannot run (weight-stationary mapping);
the CMOS design runs as long as the largest layer's activations fit its
buffer. Every figure is priced by the arch's preset (circuit level by default:
the array costs follow the organisation at each capacity).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rtmcim.baselines import cmos_baseline, near_memory_baseline
from rtmcim.errors import CapacityError, ConfigError
from rtmcim.mapping.arch import Arch, arch_from_dict
from rtmcim.mapping.layer_cost import evaluate_workload
from rtmcim.mapping.workload import Workload, workload_from_spec
from rtmcim.nn.spec import NetSpec, parse_spec
from rtmcim.nn.zoo import zoo_spec

DESIGNS = ("in_memory", "near_memory", "cmos_sram")
ASSUMPTIONS = (
    "the same PEs (MAC cells or CMOS MAC units) at every capacity; the base arch's preset "
    "(rtm-32nm by default: 32 nm high-performance devices at 350 K, arrays from the circuit "
    "model calibrated against DESTINY v2); the leakage of the whole chip is charged over the "
    "inference (no power gating of idle arrays or drivers); a racetrack design must hold "
    "every weight and activation on chip (weight-stationary), the CMOS design streams the "
    "weights its SRAM cannot hold from DRAM; the SRAM is organised for read EDP; one "
    "inference at a time, no overlap of weight fetch and compute"
)
DEFAULT_CAPACITIES_KIB = (64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)


def vgg_wide() -> NetSpec:
    """The zoo's vgg_small with 4x the channels and an fc layer of 512: ~1.3 MB of 8-bit
    weights, a model that needs megabytes, so the crossover spans small and large models."""
    data = zoo_spec("vgg_small").model_dump(mode="json")
    data["name"] = "vgg_wide"
    for block in data["conv"]:
        block["channels"] *= 4
    data["fc"] = [{**fc, "units": 512} for fc in data["fc"]]
    return parse_spec(data, "rtmcim.explore.crossover.vgg_wide")


def default_workloads(bits: int = 8) -> list[Workload]:
    """Models of several sizes on 28x28 single-channel images, 10 classes, ``bits``-bit."""
    specs = [zoo_spec("cnn_small"), zoo_spec("lenet5"), zoo_spec("vgg_small"), vgg_wide()]
    return [workload_from_spec(s, (1, 28, 28), 10, bits, bits) for s in specs]


@dataclass(frozen=True, slots=True)
class CrossoverPoint:
    """One design running one model at one capacity (NaN figures where it cannot run)."""

    model: str
    weights_kib: float
    capacity_kib: int
    design: str
    energy_pj: float
    latency_ns: float
    area_um2: float
    note: str  # '' when it runs, else why not

    def as_row(self) -> dict[str, Any]:
        sizes = {"weights_KiB": self.weights_kib, "capacity_KiB": self.capacity_kib}
        return {
            "model": self.model,
            **sizes,
            "design": self.design,
            "energy_uJ": self.energy_pj / 1e6,
            "latency_us": self.latency_ns / 1e3,
            "area_mm2": self.area_um2 / 1e6,
            "note": self.note,
        }


def arch_at_capacity(base: Arch, capacity_bytes: int) -> Arch:
    """``base`` with its memory grown to ``capacity_bytes`` (module docstring), PEs per bank."""
    org = base.org
    rows, cols = org.grid
    sub_bytes = rows * cols * org.mu.capacity_bits // 8
    if capacity_bytes % sub_bytes or capacity_bytes < sub_bytes:
        raise ConfigError(
            "capacity is not a whole number of the base arch's subarrays",
            key="capacity_bytes",
            value=capacity_bytes,
            allowed=f"a multiple of {sub_bytes} bytes (one {rows}x{cols}-MU subarray)",
        )
    subarrays = capacity_bytes // sub_bytes
    banks = math.gcd(org.banks, subarrays)
    pes = base.pes
    mus_per_bank = subarrays // banks * rows * cols
    while banks > 1 and (pes % banks or mus_per_bank % (pes // banks)):
        banks //= 2
        mus_per_bank = subarrays // banks * rows * cols
    data = base.config.model_dump()
    data["name"] = f"{base.config.name}@{capacity_bytes // 1024}KiB"
    data["memory"].update(
        banks=banks,
        subarrays_per_bank=subarrays // banks,
        mus_per_subarray=None,
        mu_rows=rows,
        mu_cols=cols,
    )
    data["compute"].update(pe_placement="bank", pes_per_unit=max(pes // banks, 1))
    return arch_from_dict(data, f"{base.source} at {capacity_bytes} bytes")


def _point(work: Workload, cap_kib: int, design: str, fig: Any, note: str = "") -> CrossoverPoint:
    nan = math.nan
    return CrossoverPoint(
        work.name,
        work.weight_bits / 8 / 1024,
        cap_kib,
        design,
        fig.total_energy_pj if fig is not None else nan,
        fig.latency_ns if fig is not None else nan,
        fig.total_area_um2 if fig is not None else nan,
        note,
    )


def crossover_study(
    workloads: Sequence[Workload], base: Arch, capacities_kib: Iterable[int]
) -> list[CrossoverPoint]:
    """Every design on every model at every capacity (pure; a few ms per point)."""
    points: list[CrossoverPoint] = []
    for cap in capacities_kib:
        arch = arch_at_capacity(base, cap * 1024)
        for work in workloads:
            try:
                ev = evaluate_workload(work, arch)
            except CapacityError as exc:
                for d in ("in_memory", "near_memory"):
                    points.append(_point(work, cap, d, None, f"does not fit: {exc.message}"))
            else:
                points.append(_point(work, cap, "in_memory", ev))
                points.append(_point(work, cap, "near_memory", near_memory_baseline(work, arch)))
            try:
                cmos = cmos_baseline(work, arch, buffer_bytes=cap * 1024)
            except CapacityError as exc:
                points.append(_point(work, cap, "cmos_sram", None, f"does not fit: {exc.message}"))
            else:
                points.append(_point(work, cap, "cmos_sram", cmos))
    return points


def winners(points: Sequence[CrossoverPoint], figure: str) -> dict[tuple[str, int], str]:
    """The design with the least ``figure`` (``energy_pj`` or ``latency_ns``) per (model, KiB)."""
    best: dict[tuple[str, int], tuple[float, str]] = {}
    for p in points:
        v = getattr(p, figure)
        key = (p.model, p.capacity_kib)
        if not math.isnan(v) and (key not in best or v < best[key][0]):
            best[key] = (v, p.design)
    return {k: d for k, (_, d) in best.items()}


def verdict(points: Sequence[CrossoverPoint]) -> list[str]:
    """One sentence per model and figure: which design wins at which capacities."""
    lines: list[str] = []
    for figure, label in (("energy_pj", "energy"), ("latency_ns", "latency")):
        won = winners(points, figure)
        for model in dict.fromkeys(p.model for p in points):
            caps = sorted(c for (m, c) in won if m == model)
            spans: list[str] = []
            for design in DESIGNS:
                mine = [c for c in caps if won[(model, c)] == design]
                if mine:
                    spans.append(f"{design} at {_ranges(mine, caps)}")
            lines.append(f"{model}, {label}: " + ("; ".join(spans) or "no design runs"))
    return lines


def _ranges(chosen: list[int], axis: list[int]) -> str:
    """Capacities as runs over ``axis``: '64-256 KiB, 4096 KiB'."""
    runs: list[list[int]] = []
    for c in chosen:
        if runs and axis.index(c) == axis.index(runs[-1][-1]) + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return ", ".join(f"{r[0]}-{r[-1]} KiB" if len(r) > 1 else f"{r[0]} KiB" for r in runs)


__all__ = [
    "ASSUMPTIONS",
    "DEFAULT_CAPACITIES_KIB",
    "DESIGNS",
    "CrossoverPoint",
    "arch_at_capacity",
    "crossover_study",
    "default_workloads",
    "verdict",
    "winners",
]
