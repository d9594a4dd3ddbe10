"""The figures of one periphery block, in SI units."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Block:
    """A block's delay on an access, energy per access, static power and layout.

    ``load_rc_s`` is the part of ``delay_s`` spent in the distributed RC of the
    line the block drives (a wordline, a select line), reported separately.
    """

    delay_s: float = 0.0
    load_rc_s: float = 0.0
    ramp_out: float = float("inf")  # output slope, 1/s; inf = ideal step
    energy_j: float = 0.0
    leakage_w: float = 0.0
    height_m: float = 0.0
    width_m: float = 0.0
    area_m2: float = 0.0


NONE = Block()
