"""The outer multi-objective search over models, resumable, in Optuna storage.

For each trial the optimizer (NSGA-II by default; random and grid selectable)
proposes a point of the model half; an executor trains it (cached) and sweeps
every hardware point (:mod:`rtmcim.explore.candidate`). The trial's values are
the model's accuracy and, for each hardware objective, the best value over the
model's feasible hardware points; every point itself is written to the results
folder, where the global Pareto front is taken (:mod:`rtmcim.report`).

Results folder::

    study.json                     what was run: space, seed, storage, study name
    study.db                       the Optuna study (unless --storage names another)
    reference.json                 the default design (reference model on the reference arch)
    trials/trial-NNNN.json         one model candidate: spec, accuracies, workload, timings
    trials/trial-NNNN-points.csv   its hardware points, one row each
    fidelity/                      with a `fidelity` section: the promotion rounds'
                                   trainings and decisions (explore.promote)

Resuming: the study is found again by its name (a hash of the space and the
seed). Completed trials are kept; a trial that was running when the process
died is marked failed and its parameters are queued again; a proposal equal
to a completed trial reuses that trial's results instead of running twice.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtmcim import atomic, outdir
from rtmcim.errors import ConfigError, RtmcimError
from rtmcim.explore.candidate import CandidateResult, CandidateTask
from rtmcim.explore.executors import Executor
from rtmcim.explore.objectives import OBJECTIVES, best
from rtmcim.explore.space import Space, model_grid_size
from rtmcim.nn.data import check_dataset
from rtmcim.nn.spec import content_hash

SUMMARY_VERSION = 1
FAILED_REASON = "failed_reason"
MAX_REPEATS = 200  # proposals in a row that repeat evaluated models: the optimizer has converged


@dataclass(frozen=True)
class StudyEvent:
    """Progress of a study for the caller's callback."""

    kind: str  # "start" | "submitted" | "trial" | "reference" | "reused" | "promote" | "trained" | "done"
    done: int  # trials finished (complete or failed on purpose)
    total: int  # the budget
    message: str = ""
    number: int = -1


@dataclass(frozen=True)
class StudyRun:
    out_dir: Path
    study_name: str
    storage: str
    completed: int
    failed: int
    new_trials: int
    seconds: float
    promotions: int = 0  # trainings at a higher fidelity run in this call (explore.promote)


def study_name(space: Space, seed: int) -> str:
    h = content_hash({"space": space.config.canonical(), "points": list(space.hw_points)})
    return f"rtmcim-{space.config.name}-{h[:12]}-s{seed}"


def default_storage(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / 'study.db').resolve()}"


def open_study(space: Space, storage: str, seed: int) -> Any:
    """Create the study or load it again; an unusable storage URL is a ConfigError."""
    import optuna
    import sqlalchemy.exc

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        store = optuna.storages.RDBStorage(storage)
    except (
        ValueError,
        ImportError,
        sqlalchemy.exc.SQLAlchemyError,
        sqlalchemy.exc.ArgumentError,
    ) as exc:
        raise ConfigError(
            f"cannot open the study storage ({type(exc).__name__})",
            key="--storage",
            value=storage,
            allowed="an SQLAlchemy URL, e.g. sqlite:///results/study.db or postgresql://HOST/DB",
        ) from None
    return optuna.create_study(
        storage=store,
        study_name=study_name(space, seed),
        directions=space.config.directions,
        sampler=make_sampler(space, seed),
        load_if_exists=True,
    )


def make_sampler(space: Space, seed: int) -> Any:
    import optuna

    cfg = space.config
    if cfg.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if cfg.sampler == "grid":
        return _grid_sampler(cfg.model.choices(), seed)
    # constraints reach NSGA-II through Trial.set_constraint (constrained domination)
    return optuna.samplers.NSGAIISampler(population_size=cfg.population, seed=seed)


def _grid_sampler(choices: dict[str, list[Any]], seed: int) -> Any:
    """Optuna's grid sampler without its ``study.stop()`` once every grid point is told: that
    call raises outside ``Study.optimize`` (optuna 4-5), and this study asks and tells on its
    own; its loop stops at the budget, and a proposal past the grid repeats a point, which
    the loop reuses. (A budget of the whole grid crashed the last trial before.)"""
    import optuna

    class GridSampler(optuna.samplers.GridSampler):
        def after_trial(self, *args: Any, **kwargs: Any) -> None:
            return None

    return GridSampler(choices, seed=seed)


def _set_constraints(trial: Any, values: dict[str, float]) -> None:
    trial.set_user_attr("constraints", values)
    for k, v in values.items():
        trial.set_constraint(k, v)


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def trial_values(space: Space, res: CandidateResult) -> list[float] | None:
    """The trial's objective values; ``None`` when no hardware point could run the model."""
    objs = space.config.objectives
    pts = res.feasible_points or [p for p in res.points if "energy_pj" in p]
    if not pts:
        return None
    return [
        best([float(p[OBJECTIVES[o].column]) for p in pts], OBJECTIVES[o].maximize) for o in objs
    ]


def constraint_values(space: Space, res: CandidateResult) -> dict[str, float]:
    """NSGA-II constraint values (<= 0 satisfied): accuracy floor, a feasible hardware point."""
    floor = space.config.constraints.accuracy_floor
    return {
        "accuracy_floor": (floor - res.accuracy) if floor is not None else 0.0,
        "feasible_hardware": 0.0 if res.feasible_points else 1.0,
    }


def write_result(out_dir: Path, res: CandidateResult, name: str) -> None:
    """trials/<name>.json and trials/<name>-points.csv (written before the trial is told)."""
    d = out_dir / "trials"
    d.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in res.__dict__.items() if k != "points"}
    meta["points"] = len(res.points)
    meta["feasible"] = len(res.feasible_points)
    atomic.write_text(d / f"{name}.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
    atomic.write_csv(d / f"{name}-points.csv", res.points)


def trial_file(number: int) -> str:
    return f"trial-{number:04d}"


def _recover(study: Any, out_dir: Path) -> int:
    """Fail trials left running by a dead process and queue their parameters again."""
    from optuna.trial import TrialState

    requeued = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        if t.state == TrialState.RUNNING:
            study.tell(t.number, state=TrialState.FAIL)
            if t.params:
                study.enqueue_trial(t.params, skip_if_exists=True)
                requeued += 1
    keep = {
        trial_file(t.number)
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
    }
    folder = out_dir / "trials"
    if folder.is_dir():
        for f in folder.glob("trial-*.json"):
            if f.stem not in keep:
                f.unlink()
                (folder / f"{f.stem}-points.csv").unlink(missing_ok=True)
    return requeued


def _finished(study: Any) -> tuple[int, int, dict[str, int]]:
    """(models evaluated, models failed on purpose, params key -> the trial that ran them).

    A trial that reused another's results (``same_as``) is not counted: the
    budget is a number of distinct models.
    """
    from optuna.trial import TrialState

    complete = failed = 0
    by_params: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        if "same_as" in t.user_attrs:
            continue
        if t.state == TrialState.COMPLETE:
            complete += 1
            by_params.setdefault(_params_key(t.params), t.number)
        elif t.state == TrialState.FAIL and FAILED_REASON in t.user_attrs:
            failed += 1
            by_params.setdefault(_params_key(t.params), t.number)
    return complete, failed, by_params


def suggest(trial: Any, space: Space) -> dict[str, Any]:
    return {k: trial.suggest_categorical(k, v) for k, v in space.config.model.choices().items()}


def run_study(
    space: Space,
    out_dir: str | Path,
    executor: Executor,
    *,
    budget: int | None = None,
    storage: str | None = None,
    seed: int = 0,
    cache_dir: str | None = None,
    data_dir: str | None = None,
    threads: int = 1,
    progress: Callable[[StudyEvent], None] | None = None,
) -> StudyRun:
    """Run (or resume) the study until ``budget`` model trials are finished.

    ``threads`` is the torch thread count of each training (part of the model
    cache key): give the same value to reproduce a study on another executor.
    """
    t_start = time.perf_counter()
    out = Path(out_dir)
    name = study_name(space, seed)
    total = budget if budget is not None else space.config.budget
    if total < 1:
        raise ConfigError("must be at least 1", key="--budget", value=total)
    # every input is checked before the folder is created or a byte written
    check_dataset(space.config.dataset, data_dir)
    url = check_inputs(out, name, storage)
    outdir.claim(out, "study", adopt=lambda d: _study_name_in(d) == name)
    study = open_study(space, url, seed)
    # the budget counts distinct models: never more than the model half holds
    total = min(total, model_grid_size(space.config.model))
    _write_study_json(out, space, url, name, seed, total)
    _recover(study, out)
    shared = {"seed": seed, "cache_dir": cache_dir, "data_dir": data_dir, "threads": threads}
    loop = _Loop(space, out, study, executor, total, shared, progress)
    loop.emit("start", f"{len(space.hw_points)} hardware points per model; {executor.describe()}")
    loop.run()
    promotions = 0
    if space.config.fidelity is not None:  # multi-fidelity: the promotion rounds, resumable
        from rtmcim.explore.promote import run_promotions

        promotions = run_promotions(space, out, executor, shared, loop.emit)
    complete, failed, _ = _finished(study)
    loop.emit("done")
    seconds = time.perf_counter() - t_start
    return StudyRun(out, study.study_name, url, complete, failed, loop.new, seconds, promotions)


class _Loop:
    """One run of a study: ask the optimizer for a batch, evaluate it, tell the results."""

    def __init__(
        self,
        space: Space,
        out: Path,
        study: Any,
        executor: Executor,
        total: int,
        shared: dict[str, Any],
        progress: Callable[[StudyEvent], None] | None,
    ) -> None:
        self.space, self.out, self.study, self.executor = space, out, study, executor
        self.total, self.shared, self.progress = total, shared, progress
        done = (out / "reference.json").exists() and (out / "trials" / "reference.json").exists()
        self.need_reference = not done
        self.new = 0  # trials evaluated in this run
        self.reused_in_a_row = 0

    def emit(self, kind: str, msg: str = "", number: int = -1) -> None:
        if self.progress is not None:
            c, f, _ = _finished(self.study)
            self.progress(StudyEvent(kind, c + f, self.total, msg, number))

    def task(self, number: int, params: dict[str, Any]) -> CandidateTask:
        cfg = self.space.config
        return CandidateTask(number, params, cfg.canonical(), self.space.hw_points, **self.shared)

    def run(self) -> None:
        while True:
            complete, failed, by_params = _finished(self.study)
            remaining = self.total - complete - failed
            if remaining <= 0 or self.reused_in_a_row > MAX_REPEATS:
                return
            batch, twins = self._ask(min(self.executor.slots, remaining), by_params)
            if not batch:
                continue
            self._evaluate(batch)
            if twins:  # proposals repeating one earlier in the batch: now evaluated
                _, _, by_params = _finished(self.study)
                for trial, key in twins:
                    _reuse(self.study, trial, by_params[key])
                    self.emit(
                        "reused", f"trial {trial.number} = trial {by_params[key]} (same model)"
                    )

    def _ask(
        self, n: int, by_params: dict[str, int]
    ) -> tuple[list[tuple[Any, dict[str, Any]]], list[tuple[Any, str]]]:
        """Up to ``n`` new models to evaluate, and the proposals that repeat one of them; a
        proposal of a model evaluated before reuses its results at once."""
        batch: list[tuple[Any, dict[str, Any]]] = []
        twins: list[tuple[Any, str]] = []
        in_batch: set[str] = set()
        for _ in range(n):
            trial = self.study.ask()
            params = suggest(trial, self.space)
            key = _params_key(params)
            prev = by_params.get(key)
            if prev is not None:
                _reuse(self.study, trial, prev)
                self.emit(
                    "reused", f"trial {trial.number} = trial {prev} (same model)", trial.number
                )
                self.reused_in_a_row += 1
            elif key in in_batch:
                twins.append((trial, key))
            else:
                self.reused_in_a_row = 0
                in_batch.add(key)
                batch.append((trial, params))
        return batch, twins

    def _evaluate(self, batch: list[tuple[Any, dict[str, Any]]]) -> None:
        """Run the batch (and the reference design, the first time) and tell every trial."""
        tasks = [self.task(t.number, p) for t, p in batch]
        if self.need_reference:
            tasks.append(self.task(-1, {}))
        self.emit("submitted", ", ".join(f"#{t.number}" for t, _ in batch))
        results: dict[int, Any] = {}
        for i, res in self.executor.run(tasks):
            results[i] = res
            if i == len(batch):  # the reference design
                self._keep_reference(res)
        for i, (trial, _) in enumerate(batch):
            self._tell(trial, results[i])

    def _keep_reference(self, res: CandidateResult | RtmcimError) -> None:
        if isinstance(res, RtmcimError):
            raise res
        write_result(self.out, res, "reference")
        atomic.write_text(
            self.out / "reference.json", json.dumps({"file": "trials/reference.json"})
        )
        self.need_reference = False
        self.emit("reference", f"reference accuracy {res.accuracy:.4f}")

    def _tell(self, trial: Any, res: CandidateResult | RtmcimError) -> None:
        from optuna.trial import TrialState

        if isinstance(res, RtmcimError):
            trial.set_user_attr(FAILED_REASON, str(res))
            self.study.tell(trial, state=TrialState.FAIL)
            self.emit("trial", f"#{trial.number} failed: {res}", trial.number)
            return
        write_result(self.out, res, trial_file(trial.number))
        values = trial_values(self.space, res)
        for k, v in _trial_attrs(res).items():
            trial.set_user_attr(k, v)
        _set_constraints(trial, constraint_values(self.space, res))
        if values is None or any(not math.isfinite(v) for v in values):
            why = "no hardware point can hold the model"
            if values is not None and "fault_reason" in res.extra:
                why = f"no fault_accuracy on the base arch: {res.extra['fault_reason']}"
            trial.set_user_attr(FAILED_REASON, why)
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, values)
        self.new += 1
        self.emit("trial", _trial_txt(trial.number, res), trial.number)


def _trial_attrs(res: CandidateResult) -> dict[str, Any]:
    """What a trial keeps of its evaluation in the study storage."""
    attrs = {
        "accuracy": res.accuracy,
        "model_key": res.model_key,
        "model": res.spec["name"],
        "points": len(res.points),
        "feasible": len(res.feasible_points),
    }
    if "fault_accuracy" in res.extra:
        attrs["fault_accuracy"] = res.extra["fault_accuracy"]
    return attrs


def _trial_txt(number: int, res: CandidateResult) -> str:
    return (
        f"#{number} {res.spec['name']} W{res.wbits}A{res.abits} acc {res.accuracy:.3f}"
        f"{_fault_txt(res)}, {len(res.feasible_points)}/{len(res.points)} feasible, "
        f"train {res.train_s:.1f}s sweep {res.sweep_s:.1f}s"
    )


def _fault_txt(res: CandidateResult) -> str:
    e = res.extra
    if "fault_accuracy" not in e:
        return ""
    return (
        f" (first {e['fault_images']} test images: {e['fault_free_accuracy']:.3f} fault-free, "
        f"{e['fault_accuracy']:.3f} under faults)"
    )


def check_inputs(out: Path, name: str, storage: str | None) -> str:
    """Refuse a results folder rtmcim may not write (:mod:`rtmcim.outdir`) or that holds another
    study, and a storage that is not usable or holds tables that are not Optuna's; writes
    nothing. Returns the storage URL."""
    outdir.check(out, "study", adopt=lambda d: _study_name_in(d) == name)
    _check_folder(out, name)
    url = storage or default_storage(out)
    if storage is not None or out.is_dir():  # the default database's folder is made later
        check_storage(url)
    return url


_STORAGE_ALLOWED = "an SQLAlchemy URL, e.g. sqlite:///results/study.db or postgresql://HOST/DB"


def optuna_tables() -> set[str]:
    """The tables an Optuna storage holds (and alembic's version table)."""
    from optuna.storages._rdb import models

    return {*models.BaseModel.metadata.tables, "alembic_version"}


def check_storage(url: str) -> None:
    """Refuse, without creating anything, a storage URL that cannot be opened, or whose database
    holds tables that are not an Optuna study's (a user's own database is never written into)."""
    import sqlalchemy
    import sqlalchemy.exc

    def refuse(msg: str) -> ConfigError:
        return ConfigError(msg, key="--storage", value=url, allowed=_STORAGE_ALLOWED)

    try:
        parsed = sqlalchemy.engine.make_url(url)
    except (sqlalchemy.exc.ArgumentError, ValueError):
        raise refuse("not an SQLAlchemy URL") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db in ("", ":memory:"):
            return
        path = Path(db)
        if not path.exists() and not path.is_symlink():
            if not path.parent.is_dir():
                raise refuse(f"no folder {path.parent} for the SQLite database")
            return  # a new file: created when the study opens
        if not path.is_file():
            raise refuse("the SQLite database is not a file")
    try:
        engine = sqlalchemy.create_engine(url)
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError) as exc:
        raise refuse(f"cannot open the study storage ({type(exc).__name__})") from None
    try:
        names = set(sqlalchemy.inspect(engine).get_table_names())
    except (sqlalchemy.exc.SQLAlchemyError, OSError, ValueError) as exc:
        raise refuse(f"cannot read the study storage ({type(exc).__name__})") from None
    finally:
        engine.dispose()
    foreign = sorted(names - optuna_tables())
    if foreign:
        shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
        raise refuse(f"the database holds tables that are not an Optuna study's ({shown})")


def _study_name_in(out: Path) -> str | None:
    """The study a results folder's study.json names (None: none, or unreadable)."""
    sj = out / "study.json"
    try:
        if not sj.is_file() or sj.stat().st_size > 2**24:
            return None
        data = json.loads(sj.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("study_name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _check_folder(out: Path, name: str) -> None:
    """Refuse a results folder that holds another study: its results would be mixed or lost."""
    sj = out / "study.json"
    if not sj.is_file():
        return
    try:
        other = json.loads(sj.read_text(encoding="utf-8")).get("study_name")
    except (ValueError, AttributeError, OSError):
        other = None
    if other != name:
        raise ConfigError(
            f"the results folder holds another study ({other}, not {name})",
            key="--out",
            value=str(out),
            hint="the space, data set or seed differ: give a new --out folder",
        )


def _reuse(study: Any, trial: Any, prev: int) -> None:
    """Tell ``trial`` the results of the completed trial ``prev`` with the same parameters."""
    from optuna.trial import TrialState

    old = study.get_trials(deepcopy=False)[prev]
    for k, v in old.user_attrs.items():
        if k != "constraints":
            trial.set_user_attr(k, v)
    if "constraints" in old.user_attrs:
        _set_constraints(trial, dict(old.user_attrs["constraints"]))
    trial.set_user_attr("same_as", prev)
    if old.state == TrialState.COMPLETE:
        study.tell(trial, old.values)
    else:
        study.tell(trial, state=TrialState.FAIL)


def _write_study_json(out: Path, space: Space, url: str, name: str, seed: int, budget: int) -> None:
    data = {
        "version": SUMMARY_VERSION,
        "study_name": name,
        "storage": url,
        "seed": seed,
        "budget": budget,
        "space_source": space.source,
        "space": space.config.canonical(),
        "hw_points": len(space.hw_points),
        "hw_rejected": space.hw_rejected,
    }
    atomic.write_text(out / "study.json", json.dumps(data, indent=1, sort_keys=True) + "\n")
