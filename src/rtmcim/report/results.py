"""Reading a results folder, taking the global Pareto front and choosing designs.

Everything here is computed from the files a study wrote (``study.json``,
``trials/*.json``, ``trials/*-points.csv``), so ``rtmcim report DIR`` rebuilds
the same report without the optimizer or the training cache. The designs that
are shown in detail are re-evaluated from their stored workload and arch
overrides: the cost model is cheap and deterministic.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rtmcim.baselines import comparison
from rtmcim.errors import DataError
from rtmcim.explore import (
    METRICS,
    OBJECTIVES,
    SpaceConfig,
    headline,
    maximize_flags,
    pareto_mask,
)
from rtmcim.mapping.arch import Arch, build_arch, load_arch
from rtmcim.mapping.layer_cost import Evaluation, evaluate_workload
from rtmcim.mapping.metrics import ratios
from rtmcim.mapping.workload import Workload, workload_from_data
from rtmcim.report.fidelity import merge_fidelity

NUMERIC = ("accuracy", *METRICS)  # every design figure of the explore layer, and accuracy
FAULT_NUMERIC = ("fault_accuracy",)  # point columns of a space with a faults section


@dataclass(frozen=True)
class Results:
    folder: Path
    study: dict[str, Any]
    space: SpaceConfig
    trials: list[dict[str, Any]]  # trial metadata (trials/trial-NNNN.json), by number
    points: list[dict[str, Any]]  # every hardware point of every trial, with "trial"
    reference: dict[str, Any] | None  # reference trial metadata, its point under "point"

    @property
    def sweep_keys(self) -> list[str]:
        return list(self.space.hardware.sweep)

    @property
    def objectives(self) -> tuple[str, ...]:
        return self.space.objectives

    @property
    def numeric(self) -> tuple[str, ...]:
        """The numeric point columns: NUMERIC, and fault_accuracy when the space has faults."""
        return numeric_columns(self.space)


def numeric_columns(space: SpaceConfig) -> tuple[str, ...]:
    """The figures, fault_accuracy with a faults section, and the columns of the objectives."""
    cols = (*NUMERIC, *FAULT_NUMERIC) if space.faults is not None else NUMERIC
    extra = [OBJECTIVES[o].column for o in space.objectives]
    return (*cols, *(c for c in dict.fromkeys(extra) if c not in cols))


MAX_RESULT_BYTES = 256 * 2**20
"""Largest file of a results folder read (a study of 100000 trials writes far less)."""

TRIAL_KEYS = ("number", "spec", "wbits", "abits", "model_key", "workload", "points")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from a results file; anything else is a DataError naming the file."""
    from rtmcim.yamlio import read_text

    text = read_text(path, what, DataError, MAX_RESULT_BYTES)
    try:
        data = json.loads(text)
    except ValueError:
        raise DataError(f"{what} is corrupt (not JSON)", source=str(path)) from None
    if not isinstance(data, dict):
        raise DataError(f"{what} is corrupt (not a JSON object)", source=str(path))
    return data


def _read_trial(path: Path, reference: bool = False) -> dict[str, Any]:
    meta = _read_json(path, "trial file")
    need = TRIAL_KEYS[1:] if reference else TRIAL_KEYS
    missing = [k for k in need if k not in meta]
    if missing:
        raise DataError(
            f"trial file is corrupt (no {', '.join(missing)})",
            source=str(path),
            allowed=f"a trial file with keys {', '.join(TRIAL_KEYS)}",
        )
    if not reference and (isinstance(meta["number"], bool) or not isinstance(meta["number"], int)):
        raise DataError(
            "trial file is corrupt", key="number", value=meta["number"], source=str(path)
        )
    return meta


def _read_points(
    path: Path, trial: int, keys: list[str], numeric: tuple[str, ...] = NUMERIC
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        if path.stat().st_size > MAX_RESULT_BYTES:
            raise DataError("points file is too large", source=str(path))
        with path.open(encoding="utf-8", newline="") as fh:
            for line, r in enumerate(csv.DictReader(fh), start=2):
                rows.append(_point(r, trial, keys, numeric, f"{path}:{line}"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"points file is corrupt ({type(exc).__name__})", source=str(path)
        ) from None
    return rows


def _point(
    r: dict[str, Any], trial: int, keys: list[str], numeric: tuple[str, ...], where: str
) -> dict[str, Any]:
    try:
        p: dict[str, Any] = {"trial": trial, "point": int(r["point"])}
        for k in keys:
            p[k] = _scalar(r.get(k) or "")
        p["feasible"] = r.get("feasible") == "True"
        p["reason"] = r.get("reason") or ""
        for k in numeric:
            v = r.get(k) or ""
            p[k] = float(v) if v else math.nan
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"points file is corrupt ({type(exc).__name__})", source=where) from None
    return p


def _scalar(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def load_results(folder: str | Path) -> Results:
    """Read a results folder; a missing or broken folder is a DataError naming the file."""
    d = Path(folder)
    sj = d / "study.json"
    if not sj.is_file():
        raise DataError(
            "not a results folder (no study.json)",
            source=str(d),
            hint="give the --out folder of an 'rtmcim explore' run",
        )
    study = _read_json(sj, "study.json")
    try:
        space = SpaceConfig.model_validate(study["space"])
    except (KeyError, ValueError) as exc:
        raise DataError(f"study.json is corrupt ({type(exc).__name__})", source=str(sj)) from None
    keys = list(space.hardware.sweep)
    trials: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    tdir = d / "trials"
    for f in sorted(tdir.glob("trial-*.json")) if tdir.is_dir() else []:
        pts = f.with_name(f"{f.stem}-points.csv")
        if not pts.is_file():
            continue
        meta = _read_trial(f)
        trials.append(meta)
        points.extend(_read_points(pts, int(meta["number"]), keys, numeric_columns(space)))
    reference = None
    rf = tdir / "reference.json"
    if rf.is_file() and (tdir / "reference-points.csv").is_file():
        reference = _read_trial(rf, reference=True)
        ref_pts = _read_points(tdir / "reference-points.csv", -1, [], numeric_columns(space))
        # a reference that does not fit its own arch has no figures to compare with
        ok = bool(ref_pts) and not math.isnan(ref_pts[0]["energy_pj"])
        reference["point"] = ref_pts[0] if ok else None
        reference["reason"] = ref_pts[0]["reason"] if ref_pts else "not evaluated"
    merge_fidelity(d, space, trials, points, reference)  # the highest fidelity's accuracies
    return Results(d, study, space, trials, points, reference)


def pareto_points(res: Results) -> list[dict[str, Any]]:
    """The global Pareto front of the feasible points over the space's objectives.

    Taken in two steps: each model's own front first (a point dominated inside
    its model is dominated globally), then the front of their union.
    """
    objs = res.objectives
    mx = maximize_flags(objs)

    def front_of(pts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not pts:
            return []
        vals = np.array([[p[OBJECTIVES[o].column] for o in objs] for p in pts], dtype=float)
        return [p for p, m in zip(pts, pareto_mask(vals, mx), strict=True) if m]

    by_trial: dict[int, list[dict[str, Any]]] = {}
    for p in res.points:
        if p["feasible"]:
            by_trial.setdefault(p["trial"], []).append(p)
    local = [q for pts in by_trial.values() for q in front_of(pts)]
    front = front_of(local)
    return sorted(front, key=lambda p: (-p["accuracy"], p["energy_pj"], p["trial"], p["point"]))


def trial_of(res: Results, number: int) -> dict[str, Any]:
    if number == -1 and res.reference is not None:
        return res.reference
    for t in res.trials:
        if int(t["number"]) == number:
            return t
    raise KeyError(number)


def chosen_designs(res: Results, front: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Named designs from the front: the headline first (:func:`rtmcim.explore.headline`: the
    lowest energy at reference accuracy, else the highest accuracy), then the best per objective."""
    ref = res.reference["point"] if res.reference else None
    pick = headline(
        [p["accuracy"] for p in front],
        [p["energy_pj"] for p in front],
        ref["accuracy"] if ref is not None else None,
    )
    if pick is None:
        return {}
    out: dict[str, dict[str, Any]] = {pick[0]: front[pick[1]]}
    for name in res.objectives:
        o = OBJECTIVES[name]
        col = o.column
        pick_o = (
            max(front, key=lambda p: p[col]) if o.maximize else min(front, key=lambda p: p[col])
        )
        out.setdefault(f"{'highest' if o.maximize else 'lowest'} {name}", pick_o)
    return out


@functools.lru_cache(maxsize=8)
def _arch(name: str) -> Arch:
    return load_arch(name)


def base_arch(res: Results) -> Arch:
    return _arch(res.space.hardware.base)


def arch_of(res: Results, point: dict[str, Any]) -> Arch:
    """The arch of a point: the base arch (or the reference arch) with the point's overrides."""
    if point["trial"] == -1:
        return _arch(res.space.reference.arch)
    base = _arch(res.space.hardware.base)
    return build_arch(base, {k: point[k] for k in res.sweep_keys})


def workload_of(res: Results, point: dict[str, Any]) -> Workload:
    t = trial_of(res, point["trial"])
    return workload_from_data(str(t["spec"]["name"]), t["workload"])


def evaluate_point(res: Results, point: dict[str, Any]) -> Evaluation:
    return evaluate_workload(workload_of(res, point), arch_of(res, point))


def vs_default(point: dict[str, Any], ref: dict[str, Any]) -> dict[str, float]:
    """How many times lower than the default design: default / design."""
    return ratios(ref, point)


def baselines_for(res: Results, point: dict[str, Any], ev: Evaluation) -> list[dict[str, Any]]:
    """The registered baselines on the point's workload and arch resources, beside the point
    (``ev`` is its evaluation)."""
    return comparison(workload_of(res, point), arch_of(res, point), ev, point)


def tech_sources(arch: Arch) -> list[dict[str, str]]:
    """Every technology figure of the arch's preset with its value and source."""
    tech = arch.tech
    rows = []
    for k, v in sorted(tech.sources.items()):
        rows.append({"field": k, "value": str(getattr(tech, k, "")), "source": v})
    for name in type(tech).model_fields:
        section = getattr(tech, name)
        srcs = getattr(section, "sources", None)
        if not isinstance(srcs, dict) or name == "sources":
            continue
        for k, v in sorted(srcs.items()):
            rows.append(
                {"field": f"{name}.{k}", "value": str(getattr(section, k, "")), "source": v}
            )
    return rows


def trial_brief(folder: str | Path, number: int) -> dict[str, float] | None:
    """What a progress display tells of a finished trial, from its files: hardware points
    evaluated, feasible ones, the model's accuracy and the least energy of a feasible point
    (pJ, NaN if none); None while its files are not there or not readable."""
    tdir = Path(folder) / "trials"
    meta_file, pts_file = tdir / f"trial-{number:04d}.json", tdir / f"trial-{number:04d}-points.csv"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        with pts_file.open(encoding="utf-8", newline="") as fh:
            energies = [
                float(r["energy_pj"]) for r in csv.DictReader(fh) if r["feasible"] == "True"
            ]
    except (OSError, ValueError, KeyError):
        return None
    return {
        "points": float(meta.get("points", 0)),
        "feasible": float(len(energies)),
        "accuracy": float(meta.get("accuracy", math.nan)),
        "energy_pj": min(energies, default=math.nan),
    }
