"""Engineering notation of the report's tables: golden strings, and every number shown reads
back within its three significant digits."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtmcim.report.units import PREFIXES, Quantity, column_quantity, eng, percent


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.422e-9, "m²", "3,420 µm²"),  # 3.422e-03 mm² of the old table
        (5e-7, "m²", "0.500 mm²"),
        (3e-6, "m²", "3.00 mm²"),
        (2.5e-8, "J", "25.0 nJ"),
        (1.0773e-5, "J", "10.8 µJ"),
        (999.96e-9, "s", "1.00 µs"),  # rounds up into the next prefix
        (12.5e-6, "s", "12.5 µs"),
        (0.342, "W", "342 mW"),
        (-2e-3, "J", "-2.00 mJ"),
        (0.0, "J", "0 J"),
        (math.nan, "J", "n/a"),
        (99999.6e-12, "m²", "0.100 mm²"),
    ],
)
def test_golden_strings(value: float, unit: str, text: str) -> None:
    assert eng(value, unit) == text


SCALE = {p: 1000.0**k for k, p in PREFIXES.items()}


def read_back(text: str, unit: str) -> float:
    m = re.fullmatch(r"(-?[\d,]+(?:\.\d+)?) (\D?)" + re.escape(unit), text)
    assert m is not None, text
    step = SCALE[m.group(2)] ** (2 if unit.endswith("²") else 1)
    return float(m.group(1).replace(",", "")) * step


@given(
    st.floats(min_value=1e-17, max_value=1e16),
    st.sampled_from(["J", "s", "W", "m²"]),
)
def test_every_number_reads_back_without_an_exponent(value: float, unit: str) -> None:
    text = eng(value, unit)
    assert "e" not in text.split(" ")[0]
    assert read_back(text, unit) == pytest.approx(value, rel=5e-3)
    number = float(text.split(" ")[0].replace(",", ""))
    low, high = (0.1, 1e5) if unit == "m²" else (1.0, 1000.0)
    assert low <= number < high or value < 1e-15 or value >= 1e15


def test_columns_named_for_their_unit_become_quantities() -> None:
    assert column_quantity("energy_pj", 2e4) == ("energy", Quantity(2e-8, "J"))
    assert column_quantity("best_area_um2", 3422.0) == ("best area", Quantity(3.422e-9, "m²"))
    head, q = column_quantity("best_edp_pj_ns", 1e6)
    assert head == "best edp" and str(q) == "1.00 fJ·s"
    assert column_quantity("train_s", 12.3) == ("train", Quantity(12.3, "s"))
    assert column_quantity("qat_accuracy", 0.5) == ("qat accuracy", percent(0.5))
    assert str(percent(0.91234)) == "91.2 %"
    assert column_quantity("macs", 1234) == ("macs", 1234)  # a count stays a count
    assert column_quantity("model", "lenet5") == ("model", "lenet5")
    assert str(column_quantity("tops_per_w", 0.0067)[1]) == "0.00670 TOPS/W"
