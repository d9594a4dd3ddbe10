"""argparse types for the CLI's numbers: each refuses, in one line naming the value and the
allowed range, what the library could not use (a negative seed, a seed numpy cannot take, a
count that would not fit in memory, ``inf``), before a verb prints or writes anything."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

SEED_MAX = 2**32 - 1
"""numpy and Optuna seeds are 32-bit unsigned."""


def integer(lo: int, hi: int) -> Callable[[str], int]:
    """An integer in ``lo..hi``."""

    def parse(text: str) -> int:
        try:
            v = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an integer (allowed: {lo}..{hi})"
            ) from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is out of range (allowed: {lo}..{hi})")
        return v

    parse.__name__ = "integer"
    return parse


seed = integer(0, SEED_MAX)
"""A random seed: 0..2**32-1."""


def number(lo: float, hi: float, *, lo_open: bool = False) -> Callable[[str], float]:
    """A finite number in ``lo..hi`` (``lo`` excluded with ``lo_open``)."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        low_ok = v > lo if lo_open else v >= lo
        if not (math.isfinite(v) and low_ok and v <= hi):
            side = "(" if lo_open else "["
            raise argparse.ArgumentTypeError(f"{text} is out of range (allowed: {side}{lo}, {hi}])")
        return v

    parse.__name__ = "number"
    return parse
