"""Per-inference totals and derived metrics shared by every design that runs a workload.

:class:`PerInference` gives the racetrack accelerator's
:class:`~rtmcim.mapping.Evaluation` and every baseline's result the same
totals and the same definitions (2 operations per MAC; pJ/ns = mW), so they
can be put side by side and divided. A user supplies ``layers`` (each with
``macs``, ``latency_ns``, ``energy_pj`` by class and ``tally``) and
``area_um2`` (by component). :func:`ratios` is the one way two designs'
figures are divided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from rtmcim.tally import Tally
from rtmcim.tech import ENERGY_CLASSES

# figure name -> its key in :meth:`PerInference.totals` and in a design point's record
FIGURES = {
    "energy": "energy_pj",
    "latency": "latency_ns",
    "area": "area_um2",
    "leakage": "leakage_mw",
    "inferences_per_s": "inferences_per_s",
    "tops_per_w": "tops_per_w",
    "gops_per_mm2": "gops_per_mm2",
}
HEADLINE = ("energy", "latency", "area")


def ratios(
    numerator: Mapping[str, float],
    denominator: Mapping[str, float],
    names: Sequence[str] = HEADLINE,
) -> dict[str, float]:
    """``numerator / denominator`` of each figure in ``names`` (inf where the denominator is 0).

    Both are records keyed as :data:`FIGURES` (``energy_pj``, ...): a design
    point, or :meth:`PerInference.figures`.
    """
    out = {}
    for name in names:
        key = FIGURES[name]
        out[name] = numerator[key] / denominator[key] if denominator[key] else math.inf
    return out


class _Layer(Protocol):
    @property
    def macs(self) -> int: ...
    @property
    def latency_ns(self) -> float: ...
    @property
    def energy_pj(self) -> dict[str, float]: ...
    @property
    def tally(self) -> Tally: ...


class PerInference:
    """Totals over ``self.layers`` and ``self.area_um2`` for one inference."""

    layers: Sequence[_Layer]
    area_um2: Mapping[str, float]
    leakage_mw: float

    @property
    def macs(self) -> int:
        return sum(lay.macs for lay in self.layers)

    @property
    def latency_ns(self) -> float:
        """Layers run one after another."""
        return sum(lay.latency_ns for lay in self.layers)

    @property
    def energy_pj(self) -> dict[str, float]:
        tot = dict.fromkeys(ENERGY_CLASSES, 0.0)
        for lay in self.layers:
            for k, v in lay.energy_pj.items():
                tot[k] += v
        return tot

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())

    @property
    def total_area_um2(self) -> float:
        return sum(self.area_um2.values())

    @property
    def tally(self) -> Tally:
        return sum((lay.tally for lay in self.layers), Tally())

    @property
    def inferences_per_s(self) -> float:
        return 1e9 / self.latency_ns if self.latency_ns else math.inf

    @property
    def tops_per_w(self) -> float:
        """2 ops per MAC; (ops / J) / 1e12 = 2 MACs / pJ."""
        e = self.total_energy_pj
        return 2 * self.macs / e if e else math.inf

    @property
    def gops_per_mm2(self) -> float:
        gops = 2 * self.macs / self.latency_ns if self.latency_ns else math.inf  # ops/ns = Gops/s
        return gops / (self.total_area_um2 / 1e6)

    def totals(self) -> dict[str, float]:
        """The totals and derived metrics, keyed as :data:`FIGURES`."""
        attribute = {"energy_pj": "total_energy_pj", "area_um2": "total_area_um2"}
        return {key: getattr(self, attribute.get(key, key)) for key in FIGURES.values()}

    @property
    def peak_power_mw(self) -> float:
        """Largest layer-average power (pJ/ns = mW)."""
        return max(
            (sum(lay.energy_pj.values()) / lay.latency_ns for lay in self.layers if lay.latency_ns),
            default=0.0,
        )
