"""Tiny studies on the digits set: Dask == local with the same seed; duplicates reuse results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rtmcim.explore.executors import DaskExecutor, InProcessExecutor
from rtmcim.explore.space import Space, space_from_dict
from rtmcim.explore.study import open_study, run_study

from .conftest import TINY_NET, TINY_SPACE

TINY: dict[str, Any] = {**TINY_SPACE, "budget": 4}


@pytest.fixture
def tiny(tmp_path: Path) -> Space:
    ref = tmp_path / "tinyref.yaml"  # a tiny reference network: it is trained too
    ref.write_text(TINY_NET)
    data = {**TINY, "reference": {"model": str(ref), "wbits": 8, "abits": 8, "arch": "default"}}
    return space_from_dict(data, "tiny")


def trials_of(space: Space, out: Path, seed: int = 3) -> list[tuple[int, dict[str, Any], Any]]:
    study = open_study(space, f"sqlite:///{out / 'study.db'}", seed)
    return [(t.number, t.params, t.values) for t in study.get_trials() if t.values is not None]


@pytest.mark.slow
def test_dask_study_equals_local_study(tmp_path: Path, tiny: Space) -> None:
    from distributed import LocalCluster

    space = tiny
    runs = {}
    local = InProcessExecutor(slots=2)
    run_study(space, tmp_path / "local", local, seed=3, cache_dir=str(tmp_path / "c1"))
    runs["local"] = trials_of(space, tmp_path / "local")
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cl:
        # by address, as 'rtmcim explore --executor dask --scheduler ADDR' does
        ex = DaskExecutor(cl.scheduler_address, jobs=2)
        r = run_study(space, tmp_path / "dask", ex, seed=3, cache_dir=str(tmp_path / "c2"))
        ex.close()
    assert r.completed == 4
    runs["dask"] = trials_of(space, tmp_path / "dask")
    assert len({str(p) for _, p, _ in runs["local"]}) == 4  # 4 distinct models (+ repeats)
    # the same proposals (second generation depends on the first one's values) and results
    assert runs["dask"] == runs["local"]
    # both trained afresh (separate caches): equality is not a cache hit
    assert (tmp_path / "c2" / "models").is_dir()


@pytest.mark.slow
def test_rerun_keeps_trials_and_runs_nothing_twice(tmp_path: Path, tiny: Space) -> None:
    space = tiny
    out = tmp_path / "out"
    cache = str(tmp_path / "cache")
    first = run_study(space, out, InProcessExecutor(), budget=2, seed=1, cache_dir=cache)
    assert (first.completed, first.new_trials) == (2, 2)
    before = trials_of(space, out, seed=1)
    again = run_study(space, out, InProcessExecutor(), budget=2, seed=1, cache_dir=cache)
    assert again.new_trials == 0
    assert trials_of(space, out, seed=1) == before
    more = run_study(space, out, InProcessExecutor(), budget=3, seed=1, cache_dir=cache)
    after = trials_of(space, out, seed=1)
    assert more.completed == 3
    assert after[:2] == before
    files = sorted(p.name for p in (out / "trials").glob("trial-*[0-9].json"))
    evaluated = {str(p) for _, p, _ in after}
    # every distinct model evaluated exactly once (a repeated proposal reuses its results)
    assert len(files) == len(evaluated)
