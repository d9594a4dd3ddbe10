"""Fault rates of a run and the counts of what it exposed and injected.

:class:`FaultConfig` holds a rate for every registered fault kind (read from
the registry once, when it is made: the records travel with it, to worker
processes too); :class:`FaultStats` counts, by name, the events exposed to
faults and the faults injected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rtmcim.engine.faults.kinds import FAULT_KINDS, FaultKind
from rtmcim.errors import ConfigError, unknown


def _rate(name: str, value: object, key: str) -> float:
    try:
        r = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        r = math.nan
    if not (0.0 <= r <= 1.0):  # also rejects NaN
        raise ConfigError(
            "a fault rate must be a probability",
            key=f"{key}.{name}",
            value=value,
            allowed="a number in [0, 1], e.g. 1e-6",
        )
    return r


@dataclass(frozen=True, init=False)
class FaultConfig:
    """Probability per event of every registered fault kind (``FaultConfig(shift=1e-4)``)."""

    rates: tuple[tuple[FaultKind, float], ...]

    def __init__(self, **rates: float) -> None:
        for name in rates:
            FAULT_KINDS.get(name, key="faults")
        kinds = FAULT_KINDS.records()
        got = tuple((k, _rate(k.name, rates.get(k.name, 0.0), "faults")) for k in kinds)
        object.__setattr__(self, "rates", got)

    def rate(self, name: str) -> float:
        rates = self.as_dict()
        if name not in rates:
            raise unknown("fault kind", name, rates, key="faults")
        return rates[name]

    @property
    def kinds(self) -> tuple[FaultKind, ...]:
        return tuple(k for k, _ in self.rates)

    @property
    def any(self) -> bool:
        return any(r > 0 for _, r in self.rates)

    def as_dict(self) -> dict[str, float]:
        return {k.name: r for k, r in self.rates}

    def __str__(self) -> str:
        return ",".join(f"{k.name}={r:g}" for k, r in self.rates)

    @classmethod
    def parse(cls, text: str, key: str = "--faults") -> FaultConfig:
        """``"shift=1e-4,read=1e-6,write=1e-6"`` (any subset; ``""`` or ``"none"``: no faults)."""
        text = text.strip()
        if text in ("", "none"):
            return cls()
        rates: dict[str, float] = {}
        for part in text.split(","):
            name, eq, val = part.partition("=")
            name = name.strip()
            FAULT_KINDS.get(name or part, key=key)
            if not eq:
                raise ConfigError(
                    "a fault needs a rate", key=f"{key}.{name}", value=part, allowed="KIND=RATE"
                )
            if name in rates:
                raise ConfigError(
                    "fault kind given twice", key=f"{key}.{name}", value=val, allowed="once"
                )
            rates[name] = _rate(name, val.strip(), key)
        return cls(**rates)


class FaultStats:
    """Counts by name: events exposed to faults and faults injected (totals over a run)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._counts = dict.fromkeys(names, 0)

    def add(self, name: str, n: int) -> None:
        self._counts[name] += int(n)

    def __getitem__(self, name: str) -> int:
        return self._counts[name]

    def as_dict(self) -> dict[str, int]:
        return dict(self._counts)

    def merge(self, other: FaultStats) -> None:
        for name, n in other.as_dict().items():
            self.add(name, n)

    def reset(self) -> None:
        for name in self._counts:
            self._counts[name] = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FaultStats) and self._counts == other._counts

    def __repr__(self) -> str:
        return f"FaultStats({self._counts})"
