"""The grid sampler asked and told as the study does: a budget of the whole grid visits every
point once and ends without error (optuna's own sampler calls ``study.stop()`` after the last
point, which raises outside ``Study.optimize``), and a budget past the grid repeats points."""

from __future__ import annotations

import itertools

import optuna

from rtmcim.explore.space import load_space
from rtmcim.explore.study import make_sampler, suggest


def _asked(n: int) -> list[tuple[object, ...]]:
    space = load_space("tiny")
    study = optuna.create_study(
        directions=space.config.directions, sampler=make_sampler(space, seed=0)
    )
    seen = []
    for _ in range(n):
        trial = study.ask()
        params = suggest(trial, space)
        seen.append(tuple(sorted(params.items())))
        study.tell(trial, [0.5] * len(space.config.directions))
    return seen


def test_a_budget_of_the_whole_grid_visits_every_point_once() -> None:
    space = load_space("tiny")
    choices = space.config.model.choices()
    grid = {
        tuple(sorted(zip(choices, p, strict=True))) for p in itertools.product(*choices.values())
    }
    assert len(grid) == 6  # family x wbits
    seen = _asked(len(grid))
    assert set(seen) == grid and len(set(seen)) == len(seen)


def test_a_budget_past_the_grid_repeats_grid_points() -> None:
    seen = _asked(8)
    assert len(set(seen)) == 6 and len(seen) == 8
