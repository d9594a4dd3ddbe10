"""The one way rtmcim runs work in parallel: a pool of spawned worker processes.

Workers are *spawned*, never forked: the caller may hold torch's thread pools
(or a Dask client's threads), which do not survive a fork. A spawned worker
imports rtmcim afresh, so the pool first hands it the registries' extensions
of this process (:func:`rtmcim.registry.extensions`): a fault kind, mitigation,
objective or baseline registered here exists there too (its record must be
importable by the worker: defined in a module, not in ``__main__`` of a
script run with ``python -c``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from rtmcim import registry


def process_pool(
    jobs: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """``jobs`` spawned workers; each runs ``initializer(*initargs)`` after taking the extensions."""
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_start,
        initargs=(registry.extensions(), initializer, initargs),
    )


def _start(
    found: registry.Extensions, initializer: Callable[..., object] | None, args: tuple[Any, ...]
) -> None:
    registry.restore(found)
    if initializer is not None:
        initializer(*args)
