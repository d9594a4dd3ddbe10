"""Per-inference totals and ratios: the definitions every design shares, on designs made by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from rtmcim.mapping.metrics import FIGURES, PerInference, ratios
from rtmcim.tally import Tally


@dataclass(frozen=True)
class Layer:
    macs: int
    latency_ns: float
    energy_pj: dict[str, float]
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class Design(PerInference):
    layers: tuple[Layer, ...]
    area_um2: dict[str, float]
    leakage_mw: float = 0.5


def two_layers() -> Design:
    """1,000 MACs in 10 ns for 400 pJ, then 500 MACs in 30 ns for 100 pJ; 2 mm² in all."""
    return Design(
        (
            Layer(1000, 10.0, {"read": 300.0, "logic": 100.0}),
            Layer(500, 30.0, {"read": 60.0, "leakage": 40.0}),
        ),
        {"memory": 1.5e6, "pes": 0.5e6},
    )


def test_totals_of_a_known_design() -> None:
    d = two_layers()
    t = d.totals()
    assert list(t) == list(FIGURES.values())
    assert t["energy_pj"] == 500.0 and t["latency_ns"] == 40.0 and t["area_um2"] == 2e6
    assert d.energy_pj["read"] == 360.0 and d.macs == 1500
    assert t["inferences_per_s"] == pytest.approx(2.5e7)  # one per 40 ns
    assert t["tops_per_w"] == pytest.approx(6.0)  # 3,000 ops / 500 pJ
    assert t["gops_per_mm2"] == pytest.approx(37.5)  # 3,000 ops / 40 ns = 75 Gops/s, / 2 mm²
    assert d.peak_power_mw == pytest.approx(40.0)  # the first layer: 400 pJ / 10 ns
    assert t["leakage_mw"] == 0.5


def test_ratios_divide_figure_by_figure() -> None:
    a = {"energy_pj": 6.0, "latency_ns": 2.0, "area_um2": 5.0}
    b = {"energy_pj": 3.0, "latency_ns": 4.0, "area_um2": 0.0}
    assert ratios(a, b) == {"energy": 2.0, "latency": 0.5, "area": math.inf}
    assert ratios(b, a, ("latency",)) == {"latency": 2.0}
    d = two_layers().totals()
    assert ratios(d, d, tuple(FIGURES)) == dict.fromkeys(FIGURES, 1.0)
