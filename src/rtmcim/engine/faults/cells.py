"""Faults in the compute cells' own reads and writes: an Evaluator hook.

The cells evaluate their gates on bit-planes of many lanes at once
(:mod:`rtmcim.circuits.logic`); the hook flips bits of what a cell senses
(the Evaluator's ``read``) and of the full-adder sums it writes (``xor3``),
each at the rate of the fault kinds injected at :data:`Site.CELL_READ` and
:data:`Site.CELL_WRITE`. All of them draw from one generator, in the cells'
order of events: it is keyed by the first image of a batch, and batches
depend on the model only, so a run is the same in one process or several.
"""

from __future__ import annotations

import numpy as np

from rtmcim.circuits.bitplanes import Planes
from rtmcim.circuits.logic import Mask
from rtmcim.engine.faults.config import FaultConfig, FaultStats
from rtmcim.engine.faults.kinds import CELL_SALT, Site

# the Evaluator's event names of each cell site
CELL_EVENTS = {Site.CELL_READ: "read", Site.CELL_WRITE: "xor3"}


class CellFaults:
    """Evaluator hook: bit flips on what a cell senses and on the sums it writes."""

    def __init__(self, config: FaultConfig, seed: int, stats: FaultStats) -> None:
        # Evaluator event -> (rate, exposed counter, flips counter)
        self.events: dict[str, tuple[float, str, str]] = {}
        for kind, rate in config.rates:
            for site, event in CELL_EVENTS.items():
                if site in kind.counters and rate > 0:
                    self.events[event] = (rate, *kind.counters[site])
        self.seed = seed
        self.rng = np.random.default_rng([seed, CELL_SALT])
        self.stats = stats

    def begin(self, first_image: int) -> None:
        """A new batch: the draws are keyed by its first image."""
        self.rng = np.random.default_rng([self.seed, CELL_SALT, first_image])

    def __call__(self, kind: str, planes: Planes, active: Mask | None) -> Planes:
        if kind not in self.events:
            return planes
        p, exposed_name, flips_name = self.events[kind]
        words = planes.shape[-1]
        nplanes = planes.size // words
        # padding lanes are exposed too when no mask is given: their bits are ignored anyway
        exposed = planes.size * 64 if active is None else active.count * nplanes
        flips = np.zeros(planes.size, dtype=np.uint64)
        m = int(self.rng.binomial(planes.size * 64, p))
        if m:
            pos = self.rng.choice(planes.size * 64, size=m, replace=False)
            np.bitwise_or.at(
                flips, pos // 64, np.left_shift(np.uint64(1), (pos % 64).astype(np.uint64))
            )
        mask = flips.reshape(planes.shape)
        if active is not None:
            mask = mask & active.plane
        n = int(np.bitwise_count(mask).sum())
        self.stats.add(exposed_name, exposed)
        self.stats.add(flips_name, n)
        return planes ^ mask if n else planes


def cell_faults(config: FaultConfig, seed: int, stats: FaultStats) -> CellFaults | None:
    """The hook, or ``None`` when no kind with a positive rate hits the cells."""
    hook = CellFaults(config, seed, stats)
    return hook if hook.events else None
