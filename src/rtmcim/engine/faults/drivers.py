"""Running inference under faults: in this process, or batch by batch in worker processes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtmcim.engine.faults.config import FaultConfig, FaultStats
from rtmcim.engine.faults.mitigations import Mitigation
from rtmcim.engine.faults.model import FaultModel
from rtmcim.engine.faults.overhead import MitigationOverhead
from rtmcim.engine.run import EngineResult, dot_products_per_image, run_engine, side_by_side
from rtmcim.mapping.arch import Arch
from rtmcim.nn.intgraph import IntGraph
from rtmcim.pool import process_pool


@dataclass(frozen=True)
class FaultyRun:
    result: EngineResult
    stats: FaultStats
    overhead: MitigationOverhead
    config: FaultConfig
    mitigation: Mitigation
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)


def as_config(faults: FaultConfig | str | None) -> FaultConfig:
    if faults is None:
        return FaultConfig()
    return faults if isinstance(faults, FaultConfig) else FaultConfig.parse(faults)


def as_mitigation(m: Mitigation | str | None) -> Mitigation:
    return m if isinstance(m, Mitigation) else Mitigation.parse(m)


def run_with_faults(
    graph: IntGraph,
    x: np.ndarray,
    arch: Arch,
    faults: FaultConfig | str | None,
    mitigation: Mitigation | str | None = None,
    seed: int = 0,
    *,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
) -> FaultyRun:
    """Bit-exact inference of quantized inputs ``x`` on ``arch``'s cells with faults injected.

    With zero rates and no mitigation this is exactly :func:`run_engine`
    (same integers, same speed); otherwise the weights come from the
    simulated weight stream (:class:`FaultModel`). ``jobs > 1`` runs the
    images' batches in that many processes; every fault is drawn from
    generators keyed by image (weights, activations) or by batch (the cells'
    own reads and writes), and batches do not depend on ``jobs``, so the run
    is the same for any ``jobs``.
    """
    cfg, mit = as_config(faults), as_mitigation(mitigation)
    xi = np.asarray(x)
    if not np.issubdtype(xi.dtype, np.integer):
        xi = graph.quantize_input(xi)
    model = FaultModel(graph, arch, cfg, mit, seed)
    mult, add = arch.compute.multiplier, arch.compute.adder
    if (cfg.any or mit.active) and jobs > 1 and len(xi) > model.batch_images:
        res = _run_batches_parallel(graph, xi, model, jobs, progress)
    elif cfg.any or mit.active:
        res = run_engine(
            graph,
            xi,
            multiplier=mult,
            adder=add,
            residual_add=arch.compute.residual_add,
            fault=model.cell_hook,
            weights=model,
            progress=progress,
        )
    else:
        res = run_engine(
            graph,
            xi,
            multiplier=mult,
            adder=add,
            jobs=jobs,
            progress=progress,
            residual_add=arch.compute.residual_add,
        )
        model.stats.add("images", len(xi))
    return FaultyRun(res, model.stats, model.overhead(), cfg, mit, int(seed))


def accuracy_under_faults(
    graph: IntGraph,
    x: np.ndarray,
    y: np.ndarray,
    arch: Arch,
    faults: FaultConfig | str | None,
    mitigation: Mitigation | str | None = None,
    seed: int = 0,
) -> float:
    """Top-1 accuracy (0..1) of bit-exact inference of ``x`` (floats in [0, 1] or quantized
    integers) against labels ``y`` under ``faults`` (e.g. ``"shift=1e-4"``) and ``mitigation``."""
    run = run_with_faults(graph, x, arch, faults, mitigation, seed)
    if len(y) == 0:
        return 0.0
    return float(np.mean(run.result.predictions == np.asarray(y)))


_WORKER: dict[str, FaultModel] = {}


def _start_worker(
    graph: IntGraph, arch: Arch, config: FaultConfig, m: Mitigation, seed: int
) -> None:
    _WORKER["model"] = FaultModel(graph, arch, config, m, seed)


def _run_batch(x: np.ndarray, first: int) -> tuple[EngineResult, FaultStats]:
    """One batch of images in a worker process: its result and what it exposed and injected."""
    model = _WORKER["model"]
    model.stats.reset()
    res = run_engine(
        model.graph,
        x,
        multiplier=model.arch.compute.multiplier,
        adder=model.arch.compute.adder,
        fault=model.cell_hook,
        weights=model,
        first_image=first,
        residual_add=model.arch.compute.residual_add,
    )
    return res, model.stats


def _run_batches_parallel(
    graph: IntGraph,
    x: np.ndarray,
    model: FaultModel,
    jobs: int,
    progress: Callable[[int], None] | None,
) -> EngineResult:
    """The faulty run of ``x`` batch by batch in ``jobs`` processes; ``model.stats`` gains the
    batches' counts (it holds the weights' programming, counted once when it was built)."""
    step = model.batch_images
    starts = list(range(0, len(x), step))
    per_image = dot_products_per_image(graph)
    results: list[EngineResult] = []
    args = (graph, model.arch, model.config, model.mitigation, model.seed)
    with process_pool(min(jobs, len(starts)), _start_worker, args) as pool:
        futures = [pool.submit(_run_batch, x[s : s + step], s) for s in starts]
        for fut, s in zip(futures, starts, strict=True):
            res, part = fut.result()
            results.append(res)
            model.stats.merge(part)
            if progress is not None:
                progress(per_image * len(x[s : s + step]))
    return side_by_side(results)
