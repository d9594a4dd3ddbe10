"""Layer ``circuits``: bit-plane maths, logic-in-memory gates, adders, multipliers, the MAC.

Every cell has a bit-exact functional model (computed by its own gate
evaluations on bit-planes, each counted as an event) and an analytical cost;
tests hold the two equal. Entry points: :func:`get` and :func:`names` (the
registry contract is in :mod:`rtmcim.circuits.registry`), :func:`mac` and
:func:`mac_cost` for the engine and the mapper.
"""

from rtmcim.circuits.bitplanes import pack, unpack
from rtmcim.circuits.cell import Cell, Footprint
from rtmcim.circuits.logic import Evaluator, FaultHook, Mask
from rtmcim.circuits.mac import MacCell, accumulator_bits, mac, mac_cost
from rtmcim.circuits.registry import get, names

__all__ = [
    "Cell",
    "Evaluator",
    "FaultHook",
    "Footprint",
    "MacCell",
    "Mask",
    "accumulator_bits",
    "get",
    "mac",
    "mac_cost",
    "names",
    "pack",
    "unpack",
]
