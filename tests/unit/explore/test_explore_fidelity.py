"""Multi-fidelity screening: the promotion rule on hand-made models, rank agreement on known
inputs (hand-computed, and against scipy), the fidelity section of a space."""

from __future__ import annotations

import numpy as np
import pytest

from rtmcim.errors import ConfigError
from rtmcim.explore.fidelity import (
    Contender,
    average_ranks,
    kendall_tau_b,
    promotion_round,
    rank_agreement,
    spearman_rho,
    training_settings,
)
from rtmcim.explore.space import space_from_dict


def model(number: int, accuracy: float, energies: list[float]) -> Contender:
    """A model with one hardware point per energy; objectives (accuracy max, energy min)."""
    v = np.array([[accuracy, e] for e in energies], dtype=float).reshape(len(energies), 2)
    return Contender(number, v, accuracy)


# (accuracy, energies of its feasible hardware points)
HAND = [
    model(1, 0.80, [10.0, 20.0]),  # front: the most accurate
    model(2, 0.70, [5.0]),  # front: the least energy
    model(3, 0.79, [12.0]),  # dominated by #1 (0.80, 10), but 0.79 + 0.02 > 0.80
    model(4, 0.60, [30.0]),  # dominated by #1 even 2 points up; front rank 2 (behind #3)
    model(5, 0.90, []),  # no feasible hardware point
    model(6, 0.65, [8.0]),  # dominated by #2 (0.70, 5) even 2 points up; front rank 1
]
MAX, PER_MODEL = [True, False], [True, False]


def decisions(margin: float, eta: int) -> dict[int, tuple[bool, str, float, str]]:
    out = promotion_round(HAND, MAX, PER_MODEL, margin, eta)
    return {p.number: (p.promoted, p.reason, p.rank, p.detail) for p in out}


def test_front_and_margin_are_promoted_the_rest_say_who_dominates_them() -> None:
    d = decisions(margin=0.02, eta=2)  # quota ceil(6 / 2) = 3, met by front + margin
    assert {n for n, x in d.items() if x[0]} == {1, 2, 3}
    assert d[1][:3] == (True, "front", 0)
    assert d[2][:3] == (True, "front", 0)
    assert d[3][:3] == (True, "margin", 1)
    assert d[4] == (False, "dominated", 2, "dominated by #1")
    assert d[6] == (False, "dominated", 1, "dominated by #2")
    assert d[5][:2] == (False, "infeasible")


def test_the_halving_quota_fills_by_front_rank_then_accuracy() -> None:
    d = decisions(margin=0.0, eta=2)  # front: #1, #2; quota 3: one more, rank 1 -> #3 (0.79)
    assert {n for n, x in d.items() if x[0]} == {1, 2, 3}
    assert d[3][:2] == (True, "quota")
    assert d[6][:2] == (False, "dominated")  # rank 1 too, but less accurate than #3
    d = decisions(margin=0.0, eta=3)  # quota ceil(6 / 3) = 2: the front alone
    assert {n for n, x in d.items() if x[0]} == {1, 2}


def test_the_quota_is_a_floor_never_a_cap() -> None:
    # 4 models all on the front (a trade-off curve): all promoted although ceil(4 / 2) = 2
    curve = [model(i, 0.6 + 0.1 * i, [float(2**i)]) for i in range(4)]
    out = promotion_round(curve, MAX, PER_MODEL, 0.0, 2)
    assert [(p.promoted, p.reason) for p in out] == [(True, "front")] * 4


def test_a_model_less_accurate_but_smaller_in_area_stays_on_the_front() -> None:
    # (accuracy max, energy min, area min): #2 loses on accuracy and energy, wins on area
    a = Contender(1, np.array([[0.9, 10.0, 10.0]]), 0.9)
    b = Contender(2, np.array([[0.8, 12.0, 5.0]]), 0.8)
    c = Contender(3, np.array([[0.8, 12.0, 11.0]]), 0.8)  # dominated by #1 in all three
    out = promotion_round([a, b, c], [True, False, False], [True, False, False], 0.05, 100)
    assert [(p.number, p.promoted, p.reason) for p in out] == [
        (1, True, "front"),
        (2, True, "front"),
        (3, False, "dominated"),
    ]
    # 0.8 + 0.1 > 0.9: within a 10-point margin #3 would be on the front
    out = promotion_round([a, b, c], [True, False, False], [True, False, False], 0.11, 100)
    assert out[2].reason == "margin"


def test_rank_agreement_hand_computed() -> None:
    # pairs of (1,3,2,5,4) against 1..5: 10 pairs, 2 discordant -> tau = (8 - 2) / 10
    ra = rank_agreement([1, 2, 3, 4, 5], [1, 3, 2, 5, 4])
    assert ra.kendall_tau == pytest.approx(0.6)
    # sum d^2 = 4 -> rho = 1 - 6 * 4 / (5 * 24) = 0.8
    assert ra.spearman == pytest.approx(0.8)
    assert ra.models == 5
    assert kendall_tau_b([0.1, 0.2, 0.3], [0.9, 0.5, 0.4]) == pytest.approx(-1.0)
    assert spearman_rho([0.1, 0.2, 0.3], [0.2, 0.4, 0.8]) == pytest.approx(1.0)
    # ties: x has one tied pair -> tau_b = (5 - 0) / sqrt((6 - 1) * 6) = 0.9129
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / np.sqrt(30))
    assert average_ranks([0.3, 0.1, 0.3, 0.2]).tolist() == [3.5, 1.0, 3.5, 2.0]
    # undefined: fewer than 2 models, or one ranking constant
    assert rank_agreement([0.5], [0.7]).kendall_tau is None
    assert rank_agreement([0.5, 0.5], [0.7, 0.8]).as_dict() == {
        "kendall_tau": None,
        "spearman": None,
        "models": 2,
    }


def test_rank_agreement_equals_scipy_with_ties() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(7)
    for n in (3, 5, 13, 40):
        for _ in range(20):
            x = np.round(rng.uniform(0.7, 0.8, n), 2)  # rounded: ties
            y = np.round(x + rng.normal(0, 0.02, n), 2)
            ra = rank_agreement(x.tolist(), y.tolist())
            tau, rho = stats.kendalltau(x, y).statistic, stats.spearmanr(x, y).statistic
            if np.isnan(tau):
                assert ra.kendall_tau is None
            else:
                assert ra.kendall_tau == pytest.approx(tau, abs=1e-12)
            if np.isnan(rho):
                assert ra.spearman is None
            else:
                assert ra.spearman == pytest.approx(rho, abs=1e-12)


SPACE = {
    "name": "f",
    "dataset": "digits",
    "model": {"channels": [2, 4]},
    "hardware": {"sweep": {"memory.mu.ports": [1, 2]}},
    "training": {"epochs": 1, "qat_epochs": 1, "train_subset": 500},
}


def test_fidelity_section_validated_and_absent_section_hashes_as_before() -> None:
    plain = space_from_dict(SPACE)
    assert "fidelity" not in plain.config.canonical()
    data = {**SPACE, "fidelity": {"rungs": [{"epochs": 3, "qat_epochs": 2}], "margin": 0.01}}
    sp = space_from_dict(data)
    assert sp.config.content_hash() != plain.config.content_hash()
    rungs = training_settings(sp.config.training.model_dump(), sp.config.fidelity)
    assert [(r["epochs"], r["qat_epochs"], r["train_subset"]) for r in rungs] == [
        (1, 1, 500),
        (3, 2, None),  # no train_subset: the whole training split
    ]
    assert rungs[1]["batch_size"] == rungs[0]["batch_size"] == 128  # kept from `training`
    for bad, key in (
        ({"rungs": []}, "fidelity.rungs"),
        ({"rungs": [{"epochs": 3}]}, "fidelity.rungs.0.qat_epochs"),
        ({"rungs": [{"epochs": 1, "qat_epochs": 1, "lr": 1}]}, "fidelity.rungs.0.lr"),
        ({"rungs": [{"epochs": 1, "qat_epochs": 1}], "eta": 1}, "fidelity.eta"),
    ):
        with pytest.raises(ConfigError) as e:
            space_from_dict({**SPACE, "fidelity": bad})
        assert e.value.key == key


def test_shipped_presets_screen_then_promote() -> None:
    from rtmcim.explore.space import load_space

    default, thorough = load_space("default").config, load_space("thorough").config
    assert default.fidelity is not None and thorough.fidelity is not None
    assert default.fidelity.full_check
    top = default.fidelity.rungs[-1]
    assert top.train_subset is None and top.early_stop is None  # the whole training split
    # thorough: the default's rungs (shared cache entries), then training to convergence
    assert thorough.fidelity.rungs[:-1] == default.fidelity.rungs
    last = thorough.fidelity.rungs[-1]
    assert last.train_subset is None and last.early_stop is not None
    assert (thorough.model, thorough.hardware, thorough.training) == (
        default.model,
        default.hardware,
        default.training,
    )
    quick = load_space("quick").config
    assert quick.fidelity is not None and quick.fidelity.rungs[-1].train_subset is None
