"""The fault kinds of one run at each site: their draws combined, their counters kept.

Every kind of the run's :class:`FaultConfig` that names a site is asked at
that site, at any rate (a zero rate draws nothing, but the events it would
see are still counted): the counts of a run do not depend on which rates
are zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rtmcim.engine.faults.config import FaultConfig, FaultStats
from rtmcim.engine.faults.kinds import FaultKind, Injector, Site


class Injectors:
    """Each kind's injector, asked site by site; ``stats`` gets their counts."""

    def __init__(self, config: FaultConfig, seed: int, stats: FaultStats) -> None:
        self.config = config
        self.stats = stats
        self._at: dict[Site, list[tuple[FaultKind, Injector]]] = {site: [] for site in Site}
        for kind, rate in config.rates:
            injector = kind.injector(kind, rate, seed)
            for site in kind.sites:
                self._at[site].append((kind, injector))

    def active(self, *sites: Site) -> bool:
        """Does a kind with a positive rate draw at any of ``sites``?"""
        return any(inj.rate > 0 for site in sites for _, inj in self._at[site])

    def flips(
        self, site: Site, bits: int, keys: Sequence[tuple[int, ...]], count: bool = True
    ) -> list[np.ndarray]:
        """Per key, the sorted indices of the ``bits`` exposed bits that flip (a bit two kinds
        flip flips back). ``count``: add the exposed bits and flips to the stats."""
        per_kind = []
        for kind, injector in self._at[site]:
            got = [injector.flips(site, bits, key) for key in keys]
            if count:
                exposed, flipped = kind.counters[site]
                self.stats.add(exposed, bits * len(keys))
                self.stats.add(flipped, sum(f.size for f in got))
            per_kind.append(got)
        return [_odd(list(parts)) for parts in zip(*per_kind, strict=True)] or [
            np.zeros(0, dtype=np.int64) for _ in keys
        ]

    def errors(
        self, site: Site, steps: np.ndarray, keys: Sequence[tuple[int, ...]], count: bool = True
    ) -> np.ndarray | None:
        """(keys, accesses) net position error of each access from the ``steps`` before it, or
        ``None`` when no kind has a positive rate here. ``count``: add steps and faults."""
        total = None
        for kind, injector in self._at[site]:
            drawn = [injector.errors(site, steps, key) for key in keys]
            if count:
                exposed, faults = kind.counters[site]
                self.stats.add(exposed, int(steps.sum()) * len(keys))
                self.stats.add(faults, sum(n for _, n in drawn))
            if injector.rate > 0:
                delta = np.stack([d for d, _ in drawn]) if drawn else np.zeros((0, steps.size))
                total = delta if total is None else total + delta
        return total


def _odd(parts: list[np.ndarray]) -> np.ndarray:
    """The indices that appear an odd number of times in ``parts``, sorted."""
    if len(parts) == 1:
        return parts[0]
    idx, n = np.unique(np.concatenate(parts), return_counts=True)
    return idx[n % 2 == 1].astype(np.int64)
