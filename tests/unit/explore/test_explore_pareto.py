"""Pareto front on hand-made points, against a brute-force definition; the headline rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rtmcim.explore.pareto import HEADLINE, dominates, headline, pareto_mask


def brute(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    n = len(values)
    out = np.ones(n, dtype=bool)
    for i, j in itertools.product(range(n), range(n)):
        if i != j and dominates(values[j], values[i], maximize):
            out[i] = False
    return out


def test_hand_made_front_two_objectives() -> None:
    # (accuracy max, energy min)
    pts = np.array(
        [
            [0.90, 10.0],  # front
            [0.80, 5.0],  # front
            [0.85, 12.0],  # dominated by 0
            [0.70, 5.0],  # dominated by 1 (equal energy, lower accuracy)
            [0.95, 20.0],  # front
            [0.90, 10.0],  # duplicate of 0: stays on the front
        ]
    )
    m = pareto_mask(pts, [True, False])
    assert m.tolist() == [True, True, False, False, True, True]


def test_four_objectives_and_nan() -> None:
    # accuracy max, energy, latency, area min
    pts = np.array(
        [
            [0.9, 1.0, 1.0, 1.0],
            [0.9, 1.0, 1.0, 2.0],  # dominated (worse area)
            [0.8, 0.5, 2.0, 1.0],  # trade-off: front
            [np.nan, 0.1, 0.1, 0.1],  # NaN: never on the front
            [1.0, 3.0, 3.0, 3.0],  # best accuracy: front
        ]
    )
    m = pareto_mask(pts, [True, False, False, False])
    assert m.tolist() == [True, False, True, False, True]


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 6, size=(60, 3)).astype(float)  # many ties
    mx = [True, False, False]
    # a small chunk exercises the chunked path
    assert (pareto_mask(pts, mx, chunk=7) == brute(pts, mx)).all()


def test_dominates_needs_a_strict_gain() -> None:
    assert dominates([1, 1], [1, 2], [False, False])
    assert not dominates([1, 2], [1, 2], [False, False])
    assert not dominates([0, 1], [1, 0], [False, False])
    assert dominates([0.9, 1], [0.8, 1], [True, False])


def test_shape_is_checked() -> None:
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        pareto_mask(np.zeros((3, 3)), [True, False])


def test_headline_is_the_lowest_energy_at_reference_accuracy() -> None:
    acc, energy = [0.80, 0.90, 0.92, 0.95], [1.0, 3.0, 2.0, 9.0]
    assert headline(acc, energy, 0.90) == (HEADLINE, 2)  # 0.92 at 2.0 beats 0.90 at 3.0
    assert headline(acc, energy, 0.70) == (HEADLINE, 0)
    # nothing reaches the floor, or no default design: the highest accuracy
    assert headline(acc, energy, 0.99) == ("highest accuracy", 3)
    assert headline(acc, energy, None) == ("highest accuracy", 3)


def test_headline_ties_go_to_lower_energy_then_the_earlier_design() -> None:
    assert headline([0.9, 0.9, 0.9], [2.0, 1.0, 1.0], None) == ("highest accuracy", 1)
    assert headline([0.9, 0.9], [1.0, 1.0], 0.5) == (HEADLINE, 0)
    assert headline([], [], 0.5) is None
