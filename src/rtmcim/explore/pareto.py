"""Pareto sets: which points no other point dominates.

A point ``a`` dominates ``b`` when it is at least as good in every objective
and strictly better in one. Objectives to maximize are negated first, so the
core works on minimization only. Equal points do not dominate each other: all
copies of a non-dominated point stay on the front.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_min(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(maximize):
        raise ValueError(f"values must be (n, {len(maximize)}), got {v.shape}")
    sign = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    return v * sign


def pareto_mask(values: np.ndarray, maximize: Sequence[bool], chunk: int = 512) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (n points x m objectives).

    NaN rows are never on the front. Work is chunked (n x chunk x m booleans
    at a time), so tens of thousands of points fit in memory.
    """
    v = _as_min(values, maximize)
    ok = ~np.isnan(v).any(axis=1)
    mask = ok.copy()
    cand = v[ok]
    idx = np.flatnonzero(ok)
    for s in range(0, idx.size, chunk):
        block = cand[s : s + chunk]  # (b, m): is any candidate dominating each of these?
        le = (cand[None, :, :] <= block[:, None, :]).all(axis=2)
        lt = (cand[None, :, :] < block[:, None, :]).any(axis=2)
        dominated = (le & lt).any(axis=1)
        mask[idx[s : s + chunk][dominated]] = False
    return mask


def dominates(a: Sequence[float], b: Sequence[float], maximize: Sequence[bool]) -> bool:
    """Does point ``a`` dominate point ``b``?"""
    va, vb = _as_min(np.array([a, b]), maximize)
    return bool((va <= vb).all() and (va < vb).any())


HEADLINE = "lowest energy at reference accuracy"
HEADLINE_FALLBACK = "highest accuracy"


def headline(
    accuracy: Sequence[float], energy: Sequence[float], floor: float | None
) -> tuple[str, int] | None:
    """The headline design of a front given as parallel ``accuracy`` and ``energy``: its label
    and index. The lowest energy among the designs at ``floor`` accuracy or better (the
    default design's, ``None`` when it has none), else the highest accuracy; ties go to the
    lower energy, then the earlier design. One rule for the study (which design it trains once
    more in full) and the report (which design it leads with); ``None`` for an empty front.
    """
    n = len(accuracy)
    if n == 0:
        return None
    if floor is not None:
        ok = [i for i in range(n) if accuracy[i] >= floor]
        if ok:
            return HEADLINE, min(ok, key=lambda i: (energy[i], i))
    return HEADLINE_FALLBACK, min(range(n), key=lambda i: (-accuracy[i], energy[i], i))
