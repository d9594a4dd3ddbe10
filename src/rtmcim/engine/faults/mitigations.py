"""Mitigations: one record per way of fighting faults, in a registry; a run's choice of them.

A :class:`MitigationKind` has a positive integer parameter (``NAME:N``), an
:class:`Effect` on the run (what the fault model does differently) and an
``overhead`` function: its extra events per inference and its extra storage.
The built-ins:

``position_check[:N]``
    every MU carries ``MARKER_TRACKS`` marker tracks holding each domain's
    position mod 4 (a Gray code); every N-th access of an MU (default 1)
    reads the marker under the port (one read cycle, ``MARKER_TRACKS`` bits),
    compares it with the expected code in CMOS and re-shifts by the decoded
    misalignment (-1, +1, or +2 for an ambiguous 2). Misalignments that are a
    multiple of 4 are not seen. (Position-error detection by extra marker
    domains read beside the data follows p-ECC, Zhang et al., "Hi-fi
    playback: tolerating position errors in shift operations of racetrack
    memory", ISCA 2015; the mod-4 code is the simplest such code that tells
    -1 from +1.) The activation track is checked the same way.
``tmr_msb[:B]``
    the top B bits of every weight (default 2) are stored twice more in
    replica MUs that shift in lockstep with the weight MUs but fail
    independently; each read takes the bitwise majority of the three copies
    of those bits (one PCSA majority per bit). Protects against bit flips and,
    because the copies sit on independent tracks, against a single copy's
    position error.

A :class:`Mitigation` is a run's choice: ``none``, one of them, or several
joined by ``+`` (``position_check:16+tmr_msb``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from rtmcim.engine.faults.overhead import (
    MitigationOverhead,
    OverheadInputs,
    position_check_overhead,
    tmr_overhead,
)
from rtmcim.errors import ConfigError, unknown
from rtmcim.registry import Registry
from rtmcim.tally import Tally

WordCorrection = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Effect:
    """What mitigations change in a run (nothing by default).

    ``check_interval``: a position check every N accesses of a track (weight
    MUs and the activation track); ``tmr_bits``: the top bits of every weight
    held thrice and read by majority; ``correct``: the error bits of each
    weight word read (uint64, the word read XOR the word meant) -> the error
    bits left after correction (an error-correcting code).
    """

    check_interval: int = 0
    tmr_bits: int = 0
    correct: WordCorrection | None = None

    @staticmethod
    def combine(effects: Iterable[Effect]) -> Effect:
        """Several at once: the most frequent check, the most protected bits, every correction."""
        out = Effect()
        for e in effects:
            checks = [i for i in (out.check_interval, e.check_interval) if i]
            corrections = [c for c in (out.correct, e.correct) if c is not None]
            out = Effect(
                min(checks, default=0),
                max(out.tmr_bits, e.tmr_bits),
                _chain(corrections) if corrections else None,
            )
        return out


def _chain(corrections: list[WordCorrection]) -> WordCorrection:
    if len(corrections) == 1:
        return corrections[0]

    def both(err: np.ndarray) -> np.ndarray:
        for c in corrections:
            err = c(err)
        return err

    return both


@dataclass(frozen=True)
class MitigationKind:
    """One mitigation: see the module docstring."""

    name: str
    parameter: str  # what N in NAME:N is
    default: int
    description: str
    effect: Callable[[int], Effect]
    overhead: Callable[[OverheadInputs, int], tuple[Tally, float]]  # (events/inference, storage)
    counters: tuple[str, ...] = ()  # FaultStats counters the fault model fills for it
    maximum: int = 2**20  # the largest N that means something
    per_weight_bit: bool = False  # N counts bits of a weight: at most the weights' width


def _check_interval(n: int) -> Effect:
    return Effect(check_interval=n)


def _tmr(n: int) -> Effect:
    return Effect(tmr_bits=n)


MITIGATIONS: Registry[MitigationKind] = Registry(
    "mitigation",
    "--mitigation",
    __name__,
    (
        MitigationKind(
            "position_check",
            "accesses between marker checks",
            1,
            "marker tracks read every N accesses of a track; a misalignment is shifted back",
            _check_interval,
            position_check_overhead,
            (
                "act_checks",
                "act_correction_steps",
                "checks",
                "correction_steps",
                "corrections_busiest_pe",
            ),
        ),
        MitigationKind(
            "tmr_msb",
            "protected top bits of each weight",
            2,
            "the top B bits of each weight in two replica MUs, read by majority",
            _tmr,
            tmr_overhead,
            maximum=8,  # QAT weights are at most 8 bits (rtmcim.nn.spec.MAX_BITS)
            per_weight_bit=True,
        ),
    ),
)


@dataclass(frozen=True, init=False)
class Mitigation:
    """A run's mitigations: every registered one with its parameter (0: off).

    ``Mitigation(position_check=4, tmr_msb=2)``; ``Mitigation()`` is none.
    """

    settings: tuple[tuple[MitigationKind, int], ...]

    def __init__(self, **params: int) -> None:
        for name, n in params.items():
            MITIGATIONS.get(name, key="mitigation")
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ConfigError(
                    "a mitigation parameter must be an integer", key=name, value=n, allowed=">= 0"
                )
        got = tuple((k, params.get(k.name, 0)) for k in MITIGATIONS.records())
        object.__setattr__(self, "settings", got)

    def check_weight_bits(self, wbits: int, key: str = "--mitigation") -> None:
        """Refuse a parameter that counts weight bits beyond the model's ``wbits``."""
        for k, n in self.chosen:
            if k.per_weight_bit and n > wbits:
                raise ConfigError(
                    f"protects more bits than the model's {wbits}-bit weights hold",
                    key=f"{key}.{k.name}",
                    value=n,
                    allowed=f"1..{wbits} ({k.parameter})",
                )

    @property
    def chosen(self) -> tuple[tuple[MitigationKind, int], ...]:
        return tuple((k, n) for k, n in self.settings if n)

    @property
    def active(self) -> bool:
        return bool(self.chosen)

    @property
    def name(self) -> str:
        return "+".join(f"{k.name}:{n}" for k, n in self.chosen) or "none"

    def __str__(self) -> str:
        return self.name

    @property
    def effect(self) -> Effect:
        return Effect.combine(k.effect(n) for k, n in self.chosen)

    @property
    def counters(self) -> tuple[str, ...]:
        """The counters of every registered mitigation (the same columns for every run)."""
        return tuple(c for k, _ in self.settings for c in k.counters)

    def overhead(self, inputs: OverheadInputs) -> MitigationOverhead:
        """Extra events per inference and extra weight storage of the chosen mitigations."""
        tally, storage = Tally(), 0.0
        for kind, n in self.chosen:
            t, s = kind.overhead(inputs, n)
            tally, storage = tally + t, storage + s
        return MitigationOverhead(self.name, tally, storage)

    @classmethod
    def parse(cls, text: str | None, key: str = "--mitigation") -> Mitigation:
        """``none``, ``NAME[:N]`` of a registered mitigation, or several joined by ``+``."""
        if text is None or text.strip() in ("", "none"):
            return cls()
        params: dict[str, int] = {}
        for part in text.split("+"):
            name, colon, arg = part.strip().partition(":")
            if name not in MITIGATIONS:
                forms = ["none", *(f"{n}[:N]" for n in MITIGATIONS.names())]
                raise unknown(
                    "mitigation", name or part, forms, key=key, alternative="several joined by '+'"
                )
            kind = MITIGATIONS.get(name)
            try:
                n = int(arg) if colon else kind.default
            except ValueError:
                n = -1
            if not 1 <= n <= kind.maximum:
                raise ConfigError(
                    "a mitigation parameter out of range",
                    key=f"{key}.{name}",
                    value=arg,
                    allowed=f"an integer 1..{kind.maximum} ({kind.parameter})",
                )
            if name in params:
                raise ConfigError(
                    "mitigation given twice", key=f"{key}.{name}", value=part, allowed="once"
                )
            params[name] = n
        return cls(**params)
