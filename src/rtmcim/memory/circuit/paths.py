"""Access paths as sums of parts: latency along the critical path, energy everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The component names a path may carry (ArrayFigures' PathCost keys).
PARTS = (
    "predecoder",
    "decoder",
    "wordline",
    "bitline",
    "senseamp",
    "precharge",
    "mux",
    "write_driver",
    "cell",
    "shift_driver",
    "htree",
    "output_driver",
)


@dataclass(frozen=True)
class PathCost:
    """One access: latency along its critical path and dynamic energy, with their parts.

    ``latency_parts_ns`` sums to ``latency_ns`` (the parts on the critical
    path, in order); ``energy_parts_pj`` sums to ``energy_pj``. Keys are
    among :data:`PARTS`.
    """

    latency_ns: float = 0.0
    energy_pj: float = 0.0
    latency_parts_ns: Mapping[str, float] = field(default_factory=dict)
    energy_parts_pj: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = sorted((set(self.latency_parts_ns) | set(self.energy_parts_pj)) - set(PARTS))
        if bad:
            raise ValueError(f"unknown path parts {bad}; parts: {PARTS}")

    def __hash__(self) -> int:
        return hash((self.latency_ns, self.energy_pj))


@dataclass
class PathBuilder:
    """Collects SI parts (seconds, joules) and freezes them into a :class:`PathCost`."""

    latency_s: dict[str, float] = field(default_factory=dict)
    energy_j: dict[str, float] = field(default_factory=dict)

    def t(self, part: str, seconds: float) -> PathBuilder:
        if seconds:
            self.latency_s[part] = self.latency_s.get(part, 0.0) + seconds
        return self

    def e(self, part: str, joules: float) -> PathBuilder:
        if joules:
            self.energy_j[part] = self.energy_j.get(part, 0.0) + joules
        return self

    def add(self, other: PathBuilder, latency: bool = True) -> PathBuilder:
        """Append ``other``'s energy, and its latency unless it runs off the critical path."""
        for k, v in other.energy_j.items():
            self.e(k, v)
        if latency:
            for k, v in other.latency_s.items():
                self.t(k, v)
        return self

    def freeze(self) -> PathCost:
        lat = {k: v * 1e9 for k, v in self.latency_s.items()}
        en = {k: v * 1e12 for k, v in self.energy_j.items()}
        return PathCost(sum(lat.values()), sum(en.values()), lat, en)


ZERO = PathCost()
