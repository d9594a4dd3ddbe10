"""The registry of in-memory arithmetic cells: ``get(name)`` and ``names()``.

This is the contract the mapping layer, the bit-exact engine and outside
users call; keep it stable.

A cell (:class:`rtmcim.circuits.cell.Cell`) has

* ``name`` (str), ``kind`` (``"adder"``, ``"multiplier"`` or ``"mac"``),
  ``supports_signed``, ``supports_unsigned`` (bool), ``max_bits`` (int),
  ``data_dependent`` (bool: ``cost`` is a worst case that ``run`` may stay
  below, never above), ``description`` (str);
* ``run(a, b, bits, signed=None, *, fault=None) -> (np.ndarray[int64], Tally)``
  (``signed=None``: unsigned, signed weights for the MAC):
  numpy integer arrays of one lane per element in, results out, computed by
  the cell's own bit operations on bit-planes; the tally counts events over
  all lanes and the critical-path cycles of one operation (lanes are copies
  side by side), i.e. ``cost(bits, signed).parallel(lanes)`` for a
  data-independent cell. ``fault`` is an optional hook
  ``fault(kind, planes, active) -> planes`` applied to every gate
  evaluation and read (see :mod:`rtmcim.circuits.logic`);
* ``cost(bits, signed=None) -> Tally``: events and critical-path cycles of
  one operation (``signed=None``: signed if the cell supports it);
* ``area_um2(tech, bits) -> float``; ``latency_ns(prices, bits)`` and
  ``energy_pj(prices, bits)`` price ``cost`` with :func:`rtmcim.tech.latency_ns`
  and :func:`rtmcim.tech.price` (``prices``: a :class:`rtmcim.tech.Prices` table,
  e.g. ``rtmcim.memory.prices_for(tech, org)``, or a per-event preset).

Results: adders wrap modulo ``2**bits`` (see :mod:`rtmcim.circuits.adders`);
the full adder returns ``a + b`` (sum and carry); multipliers return the
exact ``2 * bits``-bit product; the MAC cell returns dot products with a
``2n + ceil(log2 K)``-bit accumulator (``a`` weights, signed if ``signed``;
``b`` unsigned activations; shape ``(lanes,)`` or ``(lanes, K)``).

Bad input raises :class:`rtmcim.errors.ConfigError` naming the value and what
is allowed: an unknown name, a width outside ``1..max_bits`` (31 for unsigned
multipliers, whose product must fit int64), an operand outside the width, a
mode the cell lacks.

For the engine, :func:`rtmcim.circuits.mac.mac` and
:func:`rtmcim.circuits.mac.mac_cost` take a multiplier and an adder by name.
"""

from __future__ import annotations

from rtmcim.circuits.adders import ADDERS
from rtmcim.circuits.cell import Cell
from rtmcim.circuits.mac import MacCell
from rtmcim.circuits.multipliers import MULTIPLIERS
from rtmcim.registry import Registry

CELLS: Registry[type[Cell]] = Registry(
    "circuit cell", "cell", __name__, (*ADDERS, *MULTIPLIERS, MacCell)
)


def names() -> list[str]:
    """Names of every registered cell, adders first, then multipliers, then the MAC."""
    return CELLS.names()


def get(name: str) -> Cell:
    """A fresh cell by name; an unknown name raises ConfigError listing the known ones."""
    return CELLS.get(name)()
