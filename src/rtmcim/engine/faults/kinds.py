"""Fault kinds: one record per kind of racetrack fault, in a registry.

A :class:`FaultKind` says what its rate is a probability *per* (an MU shift
step, a bit read, a bit written), at which :class:`Site` of a run it is
injected, with which RNG salt per site, which counters of
:class:`~rtmcim.engine.faults.config.FaultStats` it fills there (events
exposed, faults injected), and the :class:`Injector` that draws its faults.

The built-in kinds (rates per event, PARAMETERS.md for typical values):

``shift``
    a *position error* per MU shift step: the step stops one domain short or
    goes one too far (each with half the rate's probability). It hits the
    weight MUs (the whole MU is misaligned by the running sum of its errors)
    and the activation track (one step per word read or written).
``read``
    a bit flip per bit sensed: weight words read from the array, each
    layer's input activations as every round of filters streams them (a
    residual add's two operands as it reads them), and the bits a compute
    cell senses at its own ports.
``write``
    a bit flip per bit written: weight bits when they are programmed (once
    per run), each layer's (pooled) outputs and each residual add's sums as
    they are written back, and the full-adder sums a compute cell writes to
    its result tracks.

Adding a kind is one ``FAULT_KINDS.register(FaultKind(...))``: name, unit,
sites with fresh salts and counters, and an injector (:class:`BitFlips` and
:class:`PositionErrors` serve any bit or position site). Salts keep a kind's
draws apart from every other's, so adding a kind never changes another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from rtmcim.engine.faults.words import bits_flipped
from rtmcim.errors import ConfigError
from rtmcim.registry import Registry


class Site(StrEnum):
    """Where in a run a fault can happen."""

    PROGRAM = "program"  # each weight bit as programmed (once per run and copy)
    WEIGHT_SHIFT = "weight_shift"  # each shift step of a weight MU, before a word read
    WEIGHT_READ = "weight_read"  # each weight bit read
    INPUT_SHIFT = "input_shift"  # each step of the activation track before a word is read
    INPUT_READ = "input_read"  # each activation bit read (every round of filters)
    OUTPUT_WRITE = "output_write"  # each activation bit written back
    OUTPUT_SHIFT = "output_shift"  # each step of the activation track before a word is written
    CELL_READ = "cell_read"  # each bit a compute cell senses at its own ports
    CELL_WRITE = "cell_write"  # each full-adder sum a compute cell writes


POSITION_SITES = frozenset({Site.WEIGHT_SHIFT, Site.INPUT_SHIFT, Site.OUTPUT_SHIFT})
# the compute cells' own reads and writes draw from one generator shared by all kinds (the
# Evaluator calls the hook in the cells' order of events), under this salt
CELL_SITES = frozenset({Site.CELL_READ, Site.CELL_WRITE})
CELL_SALT = 4


class Injector:
    """Draws one fault kind's faults at one rate; every draw comes from :meth:`rng`.

    ``key`` names the place within the site: ``(image, layer, copy)`` for
    weight reads and shifts, ``(copy,)`` for programming, ``(image, layer,
    round)`` for activation reads and shifts (round 0 for the write-back; a
    residual add's operand ``k`` as its round ``k``, its layer numbered after the
    compute layers).
    """

    def __init__(self, kind: FaultKind, rate: float, seed: int) -> None:
        self.kind, self.rate, self.seed = kind, rate, seed

    def rng(self, site: Site, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.kind.salts[site], *key])

    def flips(self, site: Site, bits: int, key: tuple[int, ...]) -> np.ndarray:
        """Sorted indices of the ``bits`` bits exposed at a bit site that flip."""
        return np.zeros(0, dtype=np.int64)

    def errors(self, site: Site, steps: np.ndarray, key: tuple[int, ...]) -> tuple[np.ndarray, int]:
        """Net position error of each access of a position site (the sum of +-1 per faulty step
        of the ``steps`` taken before it), and the number of faulty steps."""
        return np.zeros(steps.size, dtype=np.int64), 0


class BitFlips(Injector):
    """Each exposed bit flips independently with the kind's rate."""

    def flips(self, site: Site, bits: int, key: tuple[int, ...]) -> np.ndarray:
        if self.rate <= 0:
            return np.zeros(0, dtype=np.int64)
        return bits_flipped(self.rng(site, *key), bits, self.rate)


class PositionErrors(Injector):
    """Each shift step stops one domain short or goes one too far, each with half the rate."""

    def errors(self, site: Site, steps: np.ndarray, key: tuple[int, ...]) -> tuple[np.ndarray, int]:
        p = self.rate
        delta = np.zeros(steps.size, dtype=np.int64)
        if p <= 0 or not steps.size:
            return delta, 0
        if site is Site.WEIGHT_SHIFT:  # a word read may follow several steps
            rng = self.rng(site, *key)
            k = rng.binomial(steps, p)
            nz = np.flatnonzero(k)
            delta[nz] = 2 * rng.binomial(k[nz], 0.5) - k[nz]
            return delta, int(k.sum())
        # the activation track: one step per word, the directions from a second generator
        k = self.rng(site, *key).binomial(1, p, steps.size)
        nz = np.flatnonzero(k)
        delta[nz] = 2 * self.rng(site, *key, 1).binomial(1, 0.5, nz.size) - 1
        return delta, int(nz.size)


@dataclass(frozen=True)
class FaultKind:
    """One kind of fault: see the module docstring."""

    name: str  # as in --faults NAME=RATE
    per: str  # the event its rate is a probability per
    description: str
    salts: Mapping[Site, int]  # the sites it draws at (all but the cells'), each with its salt
    counters: Mapping[Site, tuple[str, str]]  # per site: (events exposed, faults) counter names
    injector: type[Injector]

    @property
    def sites(self) -> frozenset[Site]:
        return frozenset(self.counters)


def _check(kind: FaultKind, registry: Registry[FaultKind]) -> None:
    """Every site has counters; salts are fresh: no kind's draws can repeat another's."""
    taken = {CELL_SALT} | {s for k in registry.records() for s in k.salts.values()}
    mine = list(kind.salts.values())
    for site in kind.sites - CELL_SITES:
        if site not in kind.salts:
            raise ConfigError("a fault site needs a salt", key=f"{kind.name}.salts", value=site)
    if len(set(mine)) != len(mine) or taken & set(mine):
        raise ConfigError(
            "a fault kind's salts must be its own",
            key=f"{kind.name}.salts",
            value=sorted(mine),
            allowed=f"integers other than {sorted(taken)}",
        )


# Where the built-in kinds are injected: (kind, site, RNG salt, counter of the events exposed,
# counter of the faults). The cells' sites draw from the cells' shared generator (no salt).
_BUILTIN_SITES: tuple[tuple[str, Site, int | None, str, str], ...] = (
    ("shift", Site.WEIGHT_SHIFT, 1, "mu_shift_steps", "position_errors"),
    ("shift", Site.INPUT_SHIFT, 7, "act_shift_steps", "act_position_errors"),
    ("shift", Site.OUTPUT_SHIFT, 8, "act_shift_steps", "act_position_errors"),
    ("read", Site.WEIGHT_READ, 2, "weight_bits_read", "weight_read_flips"),
    ("read", Site.INPUT_READ, 5, "act_bits_read", "act_read_flips"),
    ("read", Site.CELL_READ, None, "cell_bits_read", "cell_read_flips"),
    ("write", Site.PROGRAM, 3, "weight_bits_stored", "weight_write_flips"),
    ("write", Site.OUTPUT_WRITE, 6, "act_bits_written", "act_write_flips"),
    ("write", Site.CELL_WRITE, None, "cell_bits_written", "cell_write_flips"),
)


# what the built-in kinds' rates are per, and what they are
_PER = {"shift": "MU shift step", "read": "bit read", "write": "bit written"}
_WHAT = {
    "shift": "position error: a shift step stops one domain short or goes one too far",
    "read": "bit flip of a bit sensed: weight words, input activations, a cell's own reads",
    "write": "bit flip of a bit written: weights programmed, outputs written back, a cell's sums",
}


def _builtin(name: str, injector: type[Injector]) -> FaultKind:
    rows = [r for r in _BUILTIN_SITES if r[0] == name]
    salts = {site: salt for _, site, salt, _, _ in rows if salt is not None}
    counters = {site: (exposed, faults) for _, site, _, exposed, faults in rows}
    return FaultKind(name, _PER[name], _WHAT[name], salts, counters, injector)


FAULT_KINDS: Registry[FaultKind] = Registry(
    "fault kind",
    "--faults",
    __name__,
    (_builtin("shift", PositionErrors), _builtin("read", BitFlips), _builtin("write", BitFlips)),
    _check,
)
