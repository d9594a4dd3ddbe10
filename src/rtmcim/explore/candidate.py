"""One model candidate: train it (QAT, cached by content hash), then sweep the hardware half.

:func:`evaluate_candidate` is the unit of work an executor runs (a local
process or a Dask worker): its input, :class:`CandidateTask`, is plain
picklable data, and its output, :class:`CandidateResult`, too. Hardware
evaluation is cheap (milliseconds per point) next to training, so every valid
hardware point of the space is evaluated for every model (DESIGN.md 1.5).

When the space has a ``faults`` section, each model is also run once on the
bit-exact engine with those faults (:func:`fault_figures`), on the base arch
of the hardware half, not per hardware point: a faulty engine run costs
seconds, the sweep milliseconds per point.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rtmcim.errors import RtmcimError
from rtmcim.explore.objectives import computed, point_metrics, violation
from rtmcim.explore.space import FaultsConfig, SpaceConfig, model_spec, reference_spec
from rtmcim.mapping.arch import Arch, build_arch, load_arch
from rtmcim.mapping.batch import evaluate_points
from rtmcim.mapping.workload import Workload, workload_from_graph, workload_to_data
from rtmcim.nn.data import Dataset, load_dataset
from rtmcim.nn.intgraph import IntGraph

if TYPE_CHECKING:
    from rtmcim.nn.train import TrainedModel

SUBSET_SEED = 12345  # fixed: the training subset is part of the data, not of the search


@dataclass(frozen=True)
class CandidateTask:
    """Everything a worker needs to evaluate one model candidate."""

    number: int  # trial number (-1: the reference design)
    params: dict[str, Any]  # model-half parameters, or {} for the reference
    space: dict[str, Any]  # SpaceConfig.canonical()
    hw_points: tuple[dict[str, Any], ...]
    seed: int
    cache_dir: str | None = None
    data_dir: str | None = None
    threads: int = 2
    # the training of this task (explore.fidelity.training_settings, with its "rung");
    # None: the space's `training` (the screening, rung 0)
    fidelity: dict[str, Any] | None = None
    sweep: bool = True  # False: train (a promotion) and measure accuracies only


@dataclass(frozen=True)
class CandidateResult:
    number: int
    params: dict[str, Any]
    spec: dict[str, Any]
    wbits: int
    abits: int
    model_key: str
    float_accuracy: float
    qat_accuracy: float
    accuracy: float  # integer-graph test accuracy (what the hardware runs)
    cached: bool
    workload: list[dict[str, Any]]
    points: list[dict[str, Any]]  # one per hardware point: overrides, feasible, reason, metrics
    train_s: float
    sweep_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible_points(self) -> list[dict[str, Any]]:
        return [p for p in self.points if p["feasible"]]


@functools.lru_cache(maxsize=4)
def training_data(name: str, data_dir: str | None, subset: int | None) -> Dataset:
    """The data set, its training split cut to ``subset`` images (seeded, per-process memo)."""
    ds = load_dataset(name, data_dir)
    if subset is None or subset >= len(ds.y_train):
        return ds
    idx = np.sort(np.random.default_rng(SUBSET_SEED).permutation(len(ds.y_train))[:subset])
    return Dataset(ds.info, ds.x_train[idx], ds.y_train[idx], ds.x_test, ds.y_test)


@functools.lru_cache(maxsize=8)
def _hardware_archs(base: str, points_json: str) -> tuple[Arch, ...]:
    arch0 = load_arch(base)
    return tuple(build_arch(arch0, hp) for hp in json.loads(points_json))


def hardware_archs(base: str, hw_points: Sequence[dict[str, Any]]) -> tuple[Arch, ...]:
    """The arch of every hardware point (validated once per process, reused for every model)."""
    return _hardware_archs(base, json.dumps(list(hw_points), sort_keys=True))


def sweep(
    work: Workload,
    archs: Sequence[Arch],
    hw_points: Sequence[dict[str, Any]],
    space: SpaceConfig,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate ``work`` on every hardware point (``archs[i]`` built from ``hw_points[i]``).

    All points are evaluated together (:func:`rtmcim.mapping.batch.evaluate_points`,
    equal to ``evaluate_workload`` point by point); infeasible points say why:
    does not fit (capacity), a cell that cannot run these bits, or a broken
    hardware constraint.
    """
    n = len(hw_points)
    pc = evaluate_points(work, archs)
    out: list[dict[str, Any]] = []
    for i, (hp, m) in enumerate(zip(hw_points, point_metrics(pc), strict=True)):
        rec: dict[str, Any] = {"point": i, **hp}
        if m is None:
            rec.update(feasible=False, reason=pc.error[i])
        else:
            rec.update(m)
            rec.update(computed(m, space.objectives))
            why = violation(m, space.constraints)
            rec.update(feasible=not why, reason=why)
        out.append(rec)
    if progress is not None:
        progress(n, n)
    return out


def fault_figures(graph: IntGraph, ds: Dataset, arch: Arch, faults: FaultsConfig) -> dict[str, Any]:
    """Accuracy of ``graph`` on the first ``faults.images`` test images, fault-free and under
    ``faults`` (bit-exact engine on ``arch``'s cells, fault draws seeded by ``faults.seed``).

    The fault-free figure comes from the integer reference executor, which the engine
    reproduces exactly. A model that does not fit ``arch`` gets ``fault_accuracy`` NaN and
    the reason under ``fault_reason``.
    """
    from rtmcim.engine.faults import accuracy_under_faults
    from rtmcim.nn.reference import run_reference

    n = min(faults.images, len(ds.y_test))
    x, y = graph.quantize_input(ds.x_test[:n]), ds.y_test[:n]
    t0 = time.perf_counter()
    free = float(np.mean(run_reference(graph, x, keep_activations=False).predictions == y))
    out: dict[str, Any] = {
        "fault_free_accuracy": free,
        "fault_images": n,
        "fault_arch": arch.config.name,
    }
    try:
        acc = accuracy_under_faults(
            graph, x, y, arch, faults.fault_config(), faults.mitigation_config(), faults.seed
        )
    except RtmcimError as exc:  # e.g. the model does not fit the base arch
        acc = math.nan
        out["fault_reason"] = f"{type(exc).__name__}: {exc}"
    out["fault_accuracy"] = acc
    out["fault_s"] = time.perf_counter() - t0
    return out


def _settings(task: CandidateTask, space: SpaceConfig) -> dict[str, Any]:
    """The task's training settings: its fidelity's, or the space's `training` (rung 0)."""
    if task.fidelity is not None:
        return dict(task.fidelity)
    return {**space.training.model_dump(), "early_stop": None, "rung": 0}


def _train(
    task: CandidateTask, space: SpaceConfig, progress: Callable[[Any], None] | None
) -> tuple[TrainedModel, Dataset, dict[str, Any]]:
    """The candidate trained (or from the cache) at the task's fidelity, its data set, and the
    fidelity record of its accuracy (epochs, training-set size, epochs run)."""
    from rtmcim.nn.train import train_model

    if task.params:
        spec = model_spec(task.params)
        wbits, abits = int(task.params["wbits"]), int(task.params["abits"])
    else:
        spec = reference_spec(space)
        wbits, abits = space.reference.wbits, space.reference.abits
    tr = _settings(task, space)
    ds = training_data(space.dataset, task.data_dir, tr["train_subset"])
    hyper = {k: tr[k] for k in ("qat_epochs", "batch_size", "lr", "qat_lr", "early_stop")}
    settings = {
        "cache_dir": task.cache_dir,
        "progress": progress,
        "threads": tr.get("threads", task.threads),
        **hyper,
    }
    tm = train_model(spec, ds, wbits, abits, tr["epochs"], task.seed, **settings)
    return tm, ds, fidelity_record(tr, tm, len(ds.y_train))


def fidelity_record(tr: dict[str, Any], tm: TrainedModel, n: int) -> dict[str, Any]:
    """What stands behind an accuracy: rung, epochs, training images (of ``n`` in the split),
    early stop, epochs run."""
    if tr["early_stop"] is not None:
        n -= max(1, int(n * tm.config.val_fraction))  # held out to decide when to stop
    run = {ph: sum(1 for h in tm.history if h["phase"] == ph) for ph in ("float", "qat")}
    return {
        "rung": tr.get("rung", 0),
        "epochs": tm.config.epochs,
        "qat_epochs": tm.config.qat,
        "train_images": n,
        "early_stop": tr["early_stop"],
        "epochs_run": run,
        "seed": tm.config.seed,
        "threads": tm.config.threads,
    }


def evaluate_candidate(
    task: CandidateTask,
    train_progress: Callable[[Any], None] | None = None,
    sweep_progress: Callable[[int, int], None] | None = None,
) -> CandidateResult:
    """Train the candidate (or take it from the cache) and sweep every hardware point.

    With a ``faults`` section in the space, ``fault_accuracy`` (accuracy on the first
    ``faults.images`` test images under the space's fault rates) is measured once per model
    on the *base arch* of the hardware half (the reference on its reference arch) and put on
    every point record, like ``accuracy``; ``extra`` holds it with the fault-free accuracy on
    the same images.
    """
    space = SpaceConfig.model_validate(task.space)
    t0 = time.perf_counter()
    tm, ds, fidelity = _train(task, space, train_progress)
    spec, wbits, abits = tm.spec, tm.wbits, tm.abits
    t1 = time.perf_counter()
    work = workload_from_graph(tm.graph, spec.name)
    if not task.sweep:  # a promotion: the hardware figures do not depend on the training
        base = load_arch(space.reference.arch if not task.params else space.hardware.base)
        points: list[dict[str, Any]] = []
    elif task.params:
        base = load_arch(space.hardware.base)
        archs = hardware_archs(space.hardware.base, task.hw_points)
        points = sweep(work, archs, task.hw_points, space, sweep_progress)
    else:
        base = load_arch(space.reference.arch)
        points = sweep(work, (base,), ({},), space, sweep_progress)
    for p in points:
        p["accuracy"] = tm.int_accuracy
    t2 = time.perf_counter()
    faulty: dict[str, Any] = {}
    if space.faults is not None:
        faulty = fault_figures(tm.graph, ds, base, space.faults)
        for p in points:
            p["fault_accuracy"] = faulty["fault_accuracy"]
    return CandidateResult(
        number=task.number,
        params=dict(task.params),
        spec=spec.canonical(),
        wbits=wbits,
        abits=abits,
        model_key=tm.key,
        float_accuracy=tm.float_accuracy,
        qat_accuracy=tm.qat_accuracy,
        accuracy=tm.int_accuracy,
        cached=tm.cached,
        workload=workload_to_data(work),
        points=points,
        train_s=t1 - t0,
        sweep_s=t2 - t1,
        extra={
            "folder": str(tm.folder) if tm.folder else None,
            "macs": work.macs,
            "accuracy_fidelity": fidelity,
            **faulty,
        },
    )
