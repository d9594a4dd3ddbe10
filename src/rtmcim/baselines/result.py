"""The common result of every baseline: per-layer rows and totals, in the mapping's units.

A :class:`BaselineResult` carries the same quantities as
:class:`rtmcim.mapping.Evaluation` (energy by the classes of
:data:`rtmcim.tech.ENERGY_CLASSES` in pJ, latency in ns, area by component in
µm², leakage in mW) and the same derived metrics, so a report can put the
racetrack accelerator and its baselines side by side and divide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtmcim.mapping.layer_cost import Evaluation
from rtmcim.mapping.metrics import FIGURES, PerInference
from rtmcim.mapping.metrics import ratios as figure_ratios
from rtmcim.tally import Tally
from rtmcim.tech import PriceSource, price


@dataclass(frozen=True)
class LayerRow:
    """One layer of a baseline: its tally (events; critical-path cycles) and their prices."""

    name: str
    kind: str
    macs: int
    tally: Tally
    latency_ns: float
    energy_pj: dict[str, float]

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())


def priced_row(
    name: str, kind: str, macs: int, tally: Tally, prices: PriceSource, leakage_mw: float
) -> LayerRow:
    """Price a layer's tally with ``prices``; leakage is charged over the layer's latency."""
    cost = price(tally, prices, leakage_mw=leakage_mw)
    return LayerRow(name, kind, macs, tally, cost.latency_ns, cost.energy_pj)


@dataclass(frozen=True)
class BaselineResult(PerInference):
    """One baseline design running one workload for one inference.

    ``figures`` holds named numbers reported beside the totals (units in the
    keys), e.g. the per-MAC energy under the gate model and under Horowitz's.
    Totals and derived metrics come from
    :class:`~rtmcim.mapping.metrics.PerInference`, as for the RTM evaluation.
    """

    name: str
    description: str
    source: str  # where every figure of this baseline comes from
    workload: str
    layers: tuple[LayerRow, ...]
    area_um2: dict[str, float]
    leakage_mw: float
    figures: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str, float, dict, list) for JSON/CSV writers; units in the keys."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _KEYS}
        out["area_um2"], out["figures"] = dict(self.area_um2), dict(self.figures)
        out["layers"] = [
            {**{k: getattr(r, k) for k in _LAYER_KEYS}, "events": r.tally.nonzero()}
            for r in self.layers
        ]
        return out


# what BaselineResult.to_dict writes, in order
_KEYS = (
    "name",
    "description",
    "source",
    "workload",
    "macs",
    "latency_ns",
    "energy_pj",
    "total_energy_pj",
    "area_um2",
    "total_area_um2",
    "leakage_mw",
    "inferences_per_s",
    "tops_per_w",
    "gops_per_mm2",
    "peak_power_mw",
    "figures",
)
_LAYER_KEYS = ("name", "kind", "macs", "latency_ns", "energy_pj", "total_energy_pj")


def ratios(rtm: Evaluation, base: BaselineResult) -> dict[str, float]:
    """How the baseline compares with the racetrack accelerator: baseline / RTM.

    Above 1 means the baseline needs more (energy, latency, area, leakage) or
    delivers more (TOPS/W, GOPS/mm², inferences/s).
    """
    return figure_ratios(base.totals(), rtm.totals(), tuple(FIGURES))
