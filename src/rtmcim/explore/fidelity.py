"""Multi-fidelity screening: training fidelities, the promotion rule and rank agreement.

A space's optional ``fidelity`` section lists training fidelities above the
screening one (its ``training`` section, rung 0)::

    fidelity:
      rungs:                          # lowest first; the last is the top fidelity
        - {epochs: 2, qat_epochs: 1, train_subset: 30000}
        - {epochs: 4, qat_epochs: 2}  # no train_subset: the whole training split
      eta: 2                          # each round promotes at least ceil(n / eta) models
      margin: 0.02                    # ... and every model within 2 points of the front
      full_check: true                # the headline also trained as `rtmcim train` does

The outer search (NSGA-II) runs on the screening accuracy. Then, in rounds,
the models of rung ``r`` are compared at rung ``r``'s accuracy and the
promising ones are trained at rung ``r + 1`` (:func:`promotion_round`). This is
successive halving over the model half with Pareto dominance in place of a
single score: Optuna's pruners (successive halving, Hyperband) stop trials of
*single-objective* studies from intermediate values and do not serve
multi-objective ones, so the rounds are run here, on the stored results.

Promotion rule at rung ``r`` (``promotion_round``), on the models' feasible
hardware points with each model's rung-``r`` accuracy:

1. a model with a point on the global Pareto front is promoted (``front``);
2. a model whose point would be on the front with its accuracy (and any other
   per-model objective, e.g. ``fault_accuracy``) raised by ``margin`` is
   promoted (``margin``): short training ranks models noisily;
3. if fewer than ``ceil(n / eta)`` models are promoted, the rest are filled by
   non-dominated-sorting rank, then accuracy (``quota``). The quota is a floor,
   never a cap: no model of the front is left at a low fidelity.

Rank agreement (:func:`rank_agreement`): Kendall's tau-b and Spearman's rho
between the screening accuracy and the final one of the models trained at more
than one fidelity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from rtmcim.config import Frozen
from rtmcim.explore.pareto import pareto_mask

FULL = "full"  # the rung label of a training with `rtmcim train`'s defaults


class Rung(Frozen):
    """One training fidelity above the screening one (unset fields: the whole split, no early stop)."""

    epochs: int = Field(ge=0, le=1000)
    qat_epochs: int = Field(ge=0, le=1000)
    train_subset: int | None = Field(default=None, ge=100)
    early_stop: int | None = Field(default=None, ge=1, le=1000)


class FidelityConfig(Frozen):
    rungs: tuple[Rung, ...] = Field(min_length=1, max_length=8)
    eta: int = Field(default=2, ge=2, le=100)
    margin: float = Field(default=0.02, ge=0.0, le=1.0)
    full_check: bool = True


def training_settings(screening: dict[str, Any], fidelity: FidelityConfig | None) -> list[dict]:
    """The training settings of every rung: rung 0 is ``screening`` (a space's ``training``),
    the next ones override its epochs, QAT epochs, subset and early stop."""
    rungs = [{**screening, "early_stop": None}]
    for r in fidelity.rungs if fidelity is not None else ():
        rungs.append({**screening, **r.model_dump()})
    return rungs


def full_settings() -> dict[str, Any]:
    """The training `rtmcim train SPEC` runs by default (its cache entry is shared with it)."""
    from rtmcim.nn.train import TrainConfig

    d = TrainConfig().model_dump()
    keep = ("epochs", "qat_epochs", "batch_size", "lr", "qat_lr", "early_stop", "threads")
    return {**{k: d[k] for k in keep}, "train_subset": None}


def describe(fid: dict[str, Any]) -> str:
    """A fidelity record in words: '4+2 epochs on 60,000 images'."""
    run = fid.get("epochs_run") or {}
    ep = f"{fid['epochs']}+{fid['qat_epochs']} epochs"
    if fid.get("early_stop"):
        ep = (
            f"{run.get('float', '?')}+{run.get('qat', '?')} epochs (early stop {fid['early_stop']})"
        )
    n = fid.get("train_images")
    return f"{ep} on {int(n):,} images" if n is not None else f"{ep} on the whole training split"


@dataclass(frozen=True)
class Contender:
    """One model at one rung: its feasible hardware points' objective values (one row each,
    in the space's objective order), per-model columns filled with this rung's values."""

    number: int
    values: np.ndarray  # (points, objectives)
    accuracy: float  # tie-break of the quota


@dataclass(frozen=True)
class Promotion:
    number: int
    promoted: bool
    reason: str  # "front" | "margin" | "quota" | "dominated" | "infeasible"
    rank: float  # best non-dominated-sorting rank of its points (0: the front; inf: no point)
    detail: str = ""


def _ranks(v: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """Non-dominated sorting rank of each row (0 = the front, then peeled front by front)."""
    rank = np.full(len(v), np.inf)
    left = np.arange(len(v))
    r = 0
    while left.size:
        m = pareto_mask(v[left], maximize)
        if not m.any():  # NaN rows
            break
        rank[left[m]] = r
        left = left[~m]
        r += 1
    return rank


def _signed(v: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    return v * np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)


def _undominated(own: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Which rows of ``own`` no row of ``others`` dominates (both minimization-signed)."""
    if not len(others):
        return np.ones(len(own), dtype=bool)
    le = np.all(others[None, :, :] <= own[:, None, :], axis=2)
    lt = np.any(others[None, :, :] < own[:, None, :], axis=2)
    return np.asarray(~np.any(le & lt, axis=1))


def promotion_round(
    contenders: Sequence[Contender],
    maximize: Sequence[bool],
    per_model: Sequence[bool],
    margin: float,
    eta: int,
) -> list[Promotion]:
    """Which models go up one fidelity, and why (the rule of the module docstring)."""
    fronts = [
        c.values[pareto_mask(c.values, maximize)] if len(c.values) else c.values for c in contenders
    ]
    owner = np.concatenate([np.full(len(f), i) for i, f in enumerate(fronts)] or [np.zeros(0)])
    pts = np.concatenate(fronts) if fronts else np.zeros((0, len(maximize)))
    rank = _ranks(pts, maximize) if len(pts) else np.zeros(0)
    signed = _signed(pts, maximize) if len(pts) else pts
    bonus = np.where(np.asarray(per_model, dtype=bool), margin, 0.0)
    out: list[Promotion] = []
    for i, c in enumerate(contenders):
        mine = owner == i
        if not mine.any():
            out.append(Promotion(c.number, False, "infeasible", math.inf, "no feasible point"))
            continue
        r = float(rank[mine].min())
        if r == 0:
            out.append(Promotion(c.number, True, "front", r))
            continue
        raised = _signed(fronts[i] + bonus * np.where(np.asarray(maximize), 1.0, -1.0), maximize)
        if _undominated(raised, signed[~mine]).any():
            out.append(Promotion(c.number, True, "margin", r, f"within {margin:g} of the front"))
            continue
        out.append(
            Promotion(c.number, False, "dominated", r, _dominator(i, signed, owner, contenders))
        )
    quota = math.ceil(len(contenders) / eta)
    chosen = sum(p.promoted for p in out)
    if chosen < quota:
        order = sorted(
            (k for k, p in enumerate(out) if not p.promoted and math.isfinite(p.rank)),
            key=lambda k: (out[k].rank, -contenders[k].accuracy, contenders[k].number),
        )
        for k in order[: quota - chosen]:
            p = out[k]
            out[k] = Promotion(
                p.number, True, "quota", p.rank, f"front rank {p.rank:g}, ceil(n/{eta})"
            )
    return out


def _dominator(i: int, signed: np.ndarray, owner: np.ndarray, cons: Sequence[Contender]) -> str:
    """'dominated by #N': the first model with a front point dominating model i's best point."""
    mine = signed[owner == i]
    for j in sorted(set(owner.tolist()) - {i}, key=lambda j: cons[int(j)].number):
        if not _undominated(mine, signed[owner == j]).any():
            return f"dominated by #{cons[int(j)].number}"
    return "dominated by several models"


@dataclass(frozen=True)
class RankAgreement:
    kendall_tau: float | None  # None: fewer than 2 models, or a constant ranking
    spearman: float | None
    models: int
    pairs: list[tuple[float, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kendall_tau": self.kendall_tau, "spearman": self.spearman, "models": self.models}


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b (ties counted as in scipy.stats.kendalltau's default)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(a)
    if n < 2:
        return None
    i, j = np.triu_indices(n, k=1)
    sx, sy = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
    s = float((sx * sy).sum())  # concordant - discordant
    n0 = n * (n - 1) / 2
    tx, ty = float((sx == 0).sum()), float((sy == 0).sum())
    den = math.sqrt((n0 - tx) * (n0 - ty))
    return s / den if den > 0 else None


def average_ranks(x: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    a = np.asarray(x, dtype=float)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a))
    sa = a[order]
    k = 0
    while k < len(a):
        m = k
        while m + 1 < len(a) and sa[m + 1] == sa[k]:
            m += 1
        ranks[order[k : m + 1]] = (k + m) / 2 + 1
        k = m + 1
    return ranks


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho: the Pearson correlation of the average ranks."""
    if len(x) < 2:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    dx, dy = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float((dx * dx).sum() * (dy * dy).sum()))
    return float((dx * dy).sum()) / den if den > 0 else None


def rank_agreement(screening: Sequence[float], final: Sequence[float]) -> RankAgreement:
    """How well the screening accuracy ranks models as the final (highest-fidelity) one does."""
    if len(screening) != len(final):
        raise ValueError("screening and final accuracies differ in length")
    return RankAgreement(
        kendall_tau_b(screening, final),
        spearman_rho(screening, final),
        len(screening),
        list(zip(map(float, screening), map(float, final), strict=True)),
    )
