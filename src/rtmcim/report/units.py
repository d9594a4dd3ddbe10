"""Numbers as a reader wants them: engineering notation with SI prefixes and units.

``eng(3.422e-9, "m²")`` is ``"3,422 µm²"`` and ``eng(2.5e-8, "J")`` is ``"25.0 nJ"``: never
``e-03``. A report column named for its unit (``energy_pj``, ``latency_ns``, ``area_um2``,
``peak_power_mw``, ``train_s``) becomes a :class:`Quantity` in SI base units, which a table
shows in engineering notation and sorts by its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# SI prefixes by power of 1000 (BIPM, The International System of Units, 9th ed., table 7)
PREFIXES = {-6: "a", -5: "f", -4: "p", -3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G"}
PREFIXES.update({4: "T", 5: "P"})

# column suffix -> (the column's unit in SI base units, the base unit)
SUFFIXES: dict[str, tuple[float, str]] = {
    "_pj": (1e-12, "J"),
    "_nj": (1e-9, "J"),
    "_ns": (1e-9, "s"),
    "_us": (1e-6, "s"),
    "_s": (1.0, "s"),
    "_um2": (1e-12, "m²"),
    "_mm2": (1e-6, "m²"),
    "_mw": (1e-3, "W"),
    "_pj_ns": (1e-21, "J·s"),
}


def _mantissa(m: float) -> str:
    """Three significant digits, never an exponent (numbers of 1000 and more: no decimals)."""
    a = abs(m)
    if a >= 1000:
        return f"{m:,.0f}"
    if a == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(a)))
    return f"{m:.{digits}f}"


def eng(value: float, unit: str = "") -> str:
    """``value`` (in the SI base unit ``unit``) with the SI prefix that keeps the number readable.

    Linear units: the number lies in [1, 1000). Squared units (``m²``): the prefix scales the
    metre, one step is 10⁶, and the number lies in [0.1, 10⁵) (``3,422 µm²``, ``0.500 mm²``).
    """
    if value != value:  # NaN
        return "n/a"
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}∞ {unit}".rstrip()
    if value == 0:
        return f"0 {unit}".rstrip()
    value = float(f"{value:.3g}")  # three significant digits, before the prefix is chosen
    power = 2 if unit.endswith("²") else 1
    step = 3 * power
    low = -1 if power == 2 else 0  # the smallest exponent of the number shown
    k = math.floor((math.log10(abs(value)) - low) / step)
    k = max(min(k, max(PREFIXES)), min(PREFIXES))
    m = value / 10 ** (step * k)
    return f"{_mantissa(m)} {PREFIXES[k]}{unit}".rstrip()


def plain(value: float, unit: str = "") -> str:
    """A number in a unit that keeps no prefix (``%``, ``TOPS/W``, ``Mbit/mm²``)."""
    if value != value:
        return "n/a"
    return f"{_mantissa(float(f'{value:.3g}'))} {unit}".rstrip()


@dataclass(frozen=True)
class Quantity:
    """A table cell: ``si`` in the base ``unit``; shown with an SI prefix unless ``fixed``."""

    si: float
    unit: str = ""
    fixed: bool = False

    def __str__(self) -> str:
        return plain(self.si, self.unit) if self.fixed else eng(self.si, self.unit)


def percent(fraction: float) -> Quantity:
    return Quantity(fraction * 100, "%", fixed=True)


FIXED = {  # columns whose unit takes no prefix
    "density_mbit_per_mm2": ("Mbit/mm²", "density"),
    "tops_per_w": ("TOPS/W", "TOPS/W"),
}
ACCURACIES = ("accuracy", "fault_accuracy", "float_accuracy", "qat_accuracy")


def column_quantity(column: str, value: Any) -> tuple[str, Any]:
    """A report column's header without its unit suffix and its value as a Quantity
    (``("energy", Quantity(2e-8, "J"))`` for ``("energy_pj", 2e4)``); other columns unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return column, value
    if column in FIXED:
        unit, head = FIXED[column]
        return head, Quantity(float(value), unit, fixed=True)
    if column.endswith(ACCURACIES):
        return column.replace("_", " "), percent(float(value))
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if column.endswith(suffix):
            scale, unit = SUFFIXES[suffix]
            return column.removesuffix(suffix).replace("_", " "), Quantity(value * scale, unit)
    return column, value
