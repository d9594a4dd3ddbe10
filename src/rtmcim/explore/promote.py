"""The promotion rounds of a multi-fidelity study (:mod:`rtmcim.explore.fidelity`), resumable.

After the outer search has screened its budget of models at rung 0 (the
space's ``training``), :func:`run_promotions` plays the rounds: models of
rung ``r`` compared at rung ``r``, the promoted ones trained at rung ``r + 1``;
the default design is trained at the top rung beside the last round. Then the
front is closed: every model with a point on the final front (each model at
the highest fidelity it reached) that is below the top rung is trained at the
top rung, until none is. Last, with ``full_check``, the headline design is
trained as ``rtmcim train SPEC --wbits W --abits A --seed S`` does (same cache
entry), which measures the gap between the front's accuracy and a full
training.

Files of the results folder::

    fidelity/trial-NNNN-rR.json    trial NNNN's model trained at rung R >= 1
    fidelity/reference-rR.json     the default design at the top rung
    fidelity/trial-NNNN-full.json  the headline trained with `rtmcim train`'s defaults
    fidelity/rounds.json           every round's decisions, with their reasons

Rung 0 is the trial's own record (``trials/trial-NNNN.json``). A record is
written as soon as its training ends, and a re-run replays the rounds (the
decisions are a function of the stored records) and trains only what has no
record yet: a study killed during a round loses and repeats nothing finished.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtmcim import atomic
from rtmcim.errors import RtmcimError
from rtmcim.explore.fidelity import (
    FULL,
    Contender,
    Promotion,
    full_settings,
    promotion_round,
    training_settings,
)
from rtmcim.explore.objectives import OBJECTIVES, maximize_flags
from rtmcim.explore.pareto import headline, pareto_mask
from rtmcim.explore.space import Space

if TYPE_CHECKING:  # the report reads records through this module: no training code at import
    from rtmcim.explore.candidate import CandidateResult
    from rtmcim.explore.executors import Executor

FOLDER = "fidelity"
RECORD_KEYS = (
    "accuracy",
    "float_accuracy",
    "qat_accuracy",
    "model_key",
    "cached",
    "train_s",
    "fault_accuracy",
    "fault_free_accuracy",
    "fault_images",
)


def record_name(number: int) -> str:
    return "reference" if number == -1 else f"trial-{number:04d}"


def record_path(out: Path, number: int, rung: int | str) -> Path:
    tag = FULL if rung == FULL else f"r{rung}"
    return out / FOLDER / f"{record_name(number)}-{tag}.json"


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError):
        return None


def screening_record(trial: dict[str, Any]) -> dict[str, Any]:
    """The rung-0 record of a trial file's metadata (its own accuracies)."""
    extra = trial.get("extra", {})
    rec = {k: trial[k] for k in RECORD_KEYS if k in trial}
    rec.update({k: extra[k] for k in RECORD_KEYS if k in extra})
    rec["number"] = int(trial["number"])
    rec["accuracy_fidelity"] = extra.get("accuracy_fidelity") or {"rung": 0}
    return rec


def model_records(out: str | Path, number: int) -> list[dict[str, Any]]:
    """Every record of one model of the ladder, lowest rung first (rung 0 from its trial file);
    a training that failed at a rung is left out."""
    d = Path(out)
    trial = _load(d / "trials" / f"{record_name(number)}.json")
    if trial is None:
        return []
    recs = [screening_record(trial)]
    for f in sorted((d / FOLDER).glob(f"{record_name(number)}-r*.json"), key=_rung_of):
        rec = _load(f)
        if rec is not None and "error" not in rec:
            recs.append(rec)
    return recs


def _rung_of(f: Path) -> int:
    return int(f.stem.rsplit("-r", 1)[1])


def full_record(out: str | Path, number: int) -> dict[str, Any] | None:
    """The record of the model trained with `rtmcim train`'s defaults, if it was."""
    rec = _load(record_path(Path(out), number, FULL))
    return rec if rec is not None and "error" not in rec else None


def rounds(out: str | Path) -> list[dict[str, Any]]:
    data = _load(Path(out) / FOLDER / "rounds.json")
    return list(data.get("rounds", [])) if data else []


def _record(res: CandidateResult | RtmcimError, number: int, rung: int | str) -> dict[str, Any]:
    if isinstance(res, RtmcimError):
        return {"number": number, "rung": rung, "error": str(res)}
    rec = {k: getattr(res, k) for k in RECORD_KEYS if hasattr(res, k)}
    rec.update({k: res.extra[k] for k in RECORD_KEYS if k in res.extra})
    rec.update(number=number, model=res.spec["name"], wbits=res.wbits, abits=res.abits)
    rec["accuracy_fidelity"] = res.extra["accuracy_fidelity"]
    rec["spec"] = res.spec
    rec["folder"] = res.extra.get("folder")  # the cache entry: spec.yaml, model, integer graph
    return rec


class _Points:
    """A model's feasible hardware points: the hardware objectives' columns and the energy."""

    def __init__(self, path: Path, hardware: Sequence[str]) -> None:
        rows: list[list[float]] = []
        energy: list[float] = []
        with path.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("feasible") != "True":
                    continue
                rows.append([float(r[c]) for c in hardware])
                energy.append(float(r["energy_pj"]))
        self.values = np.array(rows, dtype=float).reshape(len(rows), len(hardware))
        self.energy = np.array(energy, dtype=float)


def run_promotions(
    space: Space,
    out: Path,
    executor: Executor,
    shared: dict[str, Any],
    emit: Callable[[str, str], None] | None = None,
) -> int:
    """Play every promotion round of a screened study; the trainings run in this call."""
    return _Promoter(space, out, executor, shared, emit).run()


class _Promoter:
    def __init__(
        self,
        space: Space,
        out: Path,
        executor: Executor,
        shared: dict[str, Any],
        emit: Callable[[str, str], None] | None,
    ) -> None:
        cfg = space.config
        assert cfg.fidelity is not None
        self.space, self.out, self.executor, self.shared = space, out, executor, shared
        self.fid = cfg.fidelity
        self.emit = emit or (lambda kind, msg: None)
        self.rungs = training_settings(cfg.training.model_dump(), cfg.fidelity)
        self.top = len(self.rungs) - 1
        objs = cfg.objectives
        self.maximize = maximize_flags(objs)
        self.per_model = [OBJECTIVES[o].per_model for o in objs]
        hardware = [OBJECTIVES[o].column for o in objs if not OBJECTIVES[o].per_model]
        self.points: dict[int, _Points] = {}
        self.params: dict[int, dict[str, Any]] = {}
        for f in sorted((out / "trials").glob("trial-*.json")):
            pts = f.with_name(f"{f.stem}-points.csv")
            meta = _load(f)
            if meta is None or not pts.is_file():
                continue
            n = int(meta["number"])
            self.points[n] = _Points(pts, hardware)
            self.params[n] = dict(meta["params"])
        self.trained = 0
        self.log: list[dict[str, Any]] = []

    def run(self) -> int:
        current = sorted(self.points)
        for r in range(1, self.top + 1):
            decisions = promotion_round(
                [self._contender(n, r - 1) for n in current],
                self.maximize,
                self.per_model,
                self.fid.margin,
                self.fid.eta,
            )
            up = [d.number for d in decisions if d.promoted]
            self._log(f"rung {r - 1} -> {r}", r, decisions)
            reference = [-1] if r == self.top and self._has_reference() else []
            self._train(up + reference, r)
            current = [n for n in up if self._at(n, r) is not None]
        self._close_front()
        if self.fid.full_check:
            head = self._headline()
            if head is not None:
                self._train([head], FULL)
        atomic.write_text(
            self.out / FOLDER / "rounds.json",
            json.dumps({"rounds": self.log}, indent=1, sort_keys=True) + "\n",
        )
        return self.trained

    def _has_reference(self) -> bool:
        return (self.out / "trials" / "reference.json").is_file()

    def _at(self, number: int, rung: int) -> dict[str, Any] | None:
        if rung == 0:
            meta = _load(self.out / "trials" / f"{record_name(number)}.json")
            return screening_record(meta) if meta is not None else None
        rec = _load(record_path(self.out, number, rung))
        return rec if rec is not None and "error" not in rec else None

    def _highest(self, number: int) -> dict[str, Any]:
        recs = model_records(self.out, number)
        return recs[-1]

    def _values(self, number: int, rec: dict[str, Any]) -> np.ndarray:
        """The model's points with the per-model columns taken from ``rec``."""
        pts = self.points[number]
        cols, h = [], 0
        for o in self.space.config.objectives:
            ob = OBJECTIVES[o]
            if ob.per_model:
                cols.append(np.full(len(pts.values), float(rec.get(ob.column, math.nan))))
            else:
                cols.append(pts.values[:, h])
                h += 1
        return np.stack(cols, axis=1) if cols else np.zeros((len(pts.values), 0))

    def _contender(self, number: int, rung: int) -> Contender:
        rec = self._at(number, rung)
        assert rec is not None
        return Contender(number, self._values(number, rec), float(rec["accuracy"]))

    def _log(self, name: str, rung: int | str, decisions: Sequence[Promotion]) -> None:
        ups = [d for d in decisions if d.promoted]
        self.log.append(
            {
                "round": name,
                "to_rung": rung,
                "decisions": [
                    {
                        "trial": d.number,
                        "promoted": d.promoted,
                        "reason": d.reason,
                        "rank": d.rank if math.isfinite(d.rank) else None,
                        "detail": d.detail,
                    }
                    for d in decisions
                ],
            }
        )
        self.emit(
            "promote",
            f"{name}: {len(ups)} of {len(decisions)} models promoted "
            f"({', '.join(f'#{d.number} {d.reason}' for d in ups)})",
        )

    def _front(self) -> list[tuple[int, int]]:
        """(model, row) of the final front: each model at its highest fidelity."""
        rows: list[np.ndarray] = []
        owners: list[tuple[int, int]] = []
        for n in sorted(self.points):
            v = self._values(n, self._highest(n))
            if not len(v):
                continue
            keep = np.flatnonzero(pareto_mask(v, self.maximize))
            rows.append(v[keep])
            owners.extend((n, int(k)) for k in keep)
        if not rows:
            return []
        m = pareto_mask(np.concatenate(rows), self.maximize)
        return [o for o, on in zip(owners, m, strict=True) if on]

    def _close_front(self) -> None:
        """Train every front model below the top rung at the top rung, until none is."""
        while True:
            below = sorted(
                {
                    n
                    for n, _ in self._front()
                    if self._highest(n)["accuracy_fidelity"].get("rung") != self.top
                }
            )
            if not below:
                return
            decisions = [Promotion(n, True, "closure", 0.0, "on the final front") for n in below]
            self._log(f"front closure -> rung {self.top}", self.top, decisions)
            before = self.trained
            self._train(below, self.top)
            if self.trained == before and all(self._at(n, self.top) is None for n in below):
                return  # their top-rung training failed: nothing more to do

    def _headline(self) -> int | None:
        """The report's headline design (:func:`~rtmcim.explore.pareto.headline`), its model."""
        front = self._front()
        acc = [float(self._highest(n)["accuracy"]) for n, _ in front]
        energy = [float(self.points[o[0]].energy[self._row(o)]) for o in front]
        ref = model_records(self.out, -1)
        floor = float(ref[-1]["accuracy"]) if ref and self._reference_fits() else None
        pick = headline(acc, energy, floor)
        return front[pick[1]][0] if pick is not None else None

    def _row(self, owner: tuple[int, int]) -> int:
        return owner[1]

    def _reference_fits(self) -> bool:
        path = self.out / "trials" / "reference-points.csv"
        if not path.is_file():
            return False
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        return bool(rows) and rows[0].get("energy_pj", "") not in ("", "nan")

    def _train(self, numbers: Sequence[int], rung: int | str) -> None:
        """Train the models without a record at ``rung``; each record is written on arrival."""
        from rtmcim.explore.candidate import CandidateTask

        todo = [n for n in numbers if not record_path(self.out, n, rung).is_file()]
        if not todo:
            return
        settings = {**self.rungs[-1], **full_settings()} if rung == FULL else self.rungs[int(rung)]
        settings = {**settings, "rung": rung}
        cfg = self.space.config.canonical()
        tasks = [
            CandidateTask(
                n, self.params.get(n, {}), cfg, (), fidelity=settings, sweep=False, **self.shared
            )
            for n in todo
        ]
        (self.out / FOLDER).mkdir(parents=True, exist_ok=True)
        for i, res in self.executor.run(tasks):
            rec = _record(res, todo[i], rung)
            atomic.write_text(
                record_path(self.out, todo[i], rung),
                json.dumps(rec, indent=1, sort_keys=True) + "\n",
            )
            self.trained += 1
            self.emit("trained", _trained_txt(rec, rung))


def _trained_txt(rec: dict[str, Any], rung: int | str) -> str:
    who = "reference" if rec["number"] == -1 else f"#{rec['number']}"
    if "error" in rec:
        return f"{who} at rung {rung} failed: {rec['error']}"
    return (
        f"{who} {rec['model']} W{rec['wbits']}A{rec['abits']} at rung {rung}: "
        f"acc {rec['accuracy']:.3f}, train {rec['train_s']:.1f}s"
    )
