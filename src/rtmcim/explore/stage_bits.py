"""Per-stage bit widths: a search dimension of the model half of a space.

A space's model half may give ``stage_wbits`` and ``stage_abits``: each a list of
choices, each choice a list of widths, one per stage (stage ``i`` is the ``i``-th
conv block of a ``plain`` model, the ``i``-th residual stage of a ``resnet``, the
``i``-th separable block of a ``mobilenet``)::

    stage_wbits: [[8], [8, 4], [8, 4, 2]]   # a choice shorter than the depth repeats its last

The stem conv, the hidden FC layers and the classifier keep the point's
``wbits``/``abits``. Optuna's categorical choices must be primitives, so a choice
travels through the optimizer (and its database) as text, ``"8-4-2"``
(:func:`encode`), and :func:`decode` turns it back into widths for
:func:`rtmcim.explore.space.model_spec`. A model built with stage widths has a
name that tells them (``resnet-d2c8k3f0-w84``): the model cache and the report
keep such models apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rtmcim.errors import ConfigError
from rtmcim.nn.spec import MAX_BITS, MIN_BITS

STAGE_KEYS = ("stage_wbits", "stage_abits")
"""The model-space keys of per-stage widths (absent: the space is as it was before them)."""

SEP = "-"
"""Between the widths of a choice encoded for the optimizer."""

_ALLOWED = f"a list of widths {MIN_BITS}..{MAX_BITS}, one per stage, e.g. [8, 4]"
_ALLOWED_ALL = f"choices, each {_ALLOWED.replace('[8, 4]', '[[8], [8, 4]]')}"


def check_choices(key: str, v: Any) -> tuple[tuple[int, ...], ...] | None:
    """The choices of ``model.<key>`` as plain data gives them, checked (each a non-empty list
    of integer widths in MIN_BITS..MAX_BITS); raises ValueError naming ``model.<key>.I``."""
    if v is None:
        return None
    if not isinstance(v, list | tuple):
        raise ValueError(f"model.{key} = {v!r} is not a list of choices (allowed: {_ALLOWED_ALL})")
    if not v:
        raise ValueError(f"model.{key} is an empty list (allowed: {_ALLOWED_ALL})")
    out: list[tuple[int, ...]] = []
    for i, choice in enumerate(v):
        ok = isinstance(choice, list | tuple) and len(choice) > 0
        ok = ok and all(isinstance(b, int) and not isinstance(b, bool) for b in choice)
        if not ok or not all(MIN_BITS <= b <= MAX_BITS for b in choice):
            raise ValueError(f"model.{key}.{i} = {choice!r} is not valid (allowed: {_ALLOWED})")
        out.append(tuple(int(b) for b in choice))
    if len(set(out)) != len(out):
        raise ValueError(f"model.{key} repeats a choice")
    return tuple(out)


def check_lengths(key: str, choices: Sequence[Sequence[int]], max_depth: int) -> None:
    """A choice with more widths than the deepest model has stages cannot be meant."""
    for i, choice in enumerate(choices):
        if len(choice) > max_depth:
            raise ValueError(
                f"model.{key}.{i} = {list(choice)!r} gives {len(choice)} widths, more than the "
                f"deepest model has stages (allowed: 1..{max_depth} widths: the largest model.depth)"
            )


def encode(choice: Sequence[int]) -> str:
    """A choice as the optimizer's categorical value: ``(8, 4)`` -> ``"8-4"``."""
    return SEP.join(str(int(b)) for b in choice)


def decode(value: Any, key: str = "stage_wbits") -> tuple[int, ...]:
    """A choice back from the optimizer (text ``"8-4"``, or widths as they are)."""
    try:
        parts = value.split(SEP) if isinstance(value, str) else list(value)
        widths = tuple(int(b) for b in parts)
    except (TypeError, ValueError):
        widths = ()
    if not widths or not all(MIN_BITS <= b <= MAX_BITS for b in widths):
        raise ConfigError(
            "not a choice of per-stage widths",
            key=key,
            value=value,
            allowed=f"widths {MIN_BITS}..{MAX_BITS} joined by '{SEP}', e.g. '8{SEP}4'",
        )
    return widths


def per_stage(params: dict[str, Any], key: str, depth: int) -> list[int] | None:
    """The width of each of ``depth`` stages from ``params[key]`` (its last width repeated), or
    None when the point has no such key."""
    if key not in params:
        return None
    widths = decode(params[key], key)
    return [widths[min(i, len(widths) - 1)] for i in range(depth)]


def name_suffix(wbits: list[int] | None, abits: list[int] | None) -> str:
    """What a model name gains with stage widths: ``-w84`` (weights), ``-a88`` (activations)."""
    out = ""
    for tag, widths in (("w", wbits), ("a", abits)):
        if widths is not None:
            out += f"-{tag}" + "".join(str(b) for b in widths)
    return out


def block_bits(wbits: list[int] | None, abits: list[int] | None, i: int) -> dict[str, int]:
    """The ``wbits``/``abits`` keys of stage ``i``'s block (none when not searched)."""
    out: dict[str, int] = {}
    if wbits is not None:
        out["wbits"] = wbits[i]
    if abits is not None:
        out["abits"] = abits[i]
    return out
