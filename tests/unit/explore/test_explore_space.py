"""Search-space validation: one-line errors naming the key; shipped spaces; model specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rtmcim.errors import ConfigError
from rtmcim.explore.space import load_space, model_spec, shipped_spaces, space_from_dict

GOOD: dict[str, Any] = {
    "name": "t",
    "dataset": "digits",
    "budget": 2,
    "model": {
        "wbits": [4, 8],
        "abits": [8],
        "depth": [1],
        "channels": [4],
        "kernel": [3],
        "fc": [0],
    },
    "hardware": {
        "base": "default",
        "sweep": {"memory.mu.domains": [32, 64], "memory.mu.ports": [1, 2, 4]},
    },
}


def bad(**changes: Any) -> dict[str, Any]:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    for dotted, v in changes.items():
        parts = dotted.split("__")
        cur = data
        for p in parts[:-1]:
            cur[p] = dict(cur.get(p, {}))
            cur = cur[p]
        cur[parts[-1]] = v
    return data


def one_line(exc: pytest.ExceptionInfo[ConfigError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_good_space_counts_points() -> None:
    s = space_from_dict(GOOD, "t.yaml")
    assert len(s.hw_points) == 6
    assert s.hw_rejected == 0
    assert s.config.directions == ["maximize", "minimize", "minimize", "minimize"]
    arch = s.arch(s.hw_points[-1])
    assert (arch.org.mu.domains, arch.org.mu.ports) == (64, 4)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"bogus": 1}, "bogus: unknown key"),
        ({"model__wbits": []}, "model.wbits"),
        ({"model__wbits": [4, 9]}, "model.wbits.1 = 9"),
        ({"model__depth": [1, 1]}, "repeats"),
        ({"objectives": ["accuracy", "joy"]}, "'joy' is not an objective"),
        ({"sampler": "annealing"}, "sampler"),
        ({"hardware__sweep": {"memory.mu.colour": [1]}}, "memory.mu.colour: not an arch key"),
        ({"hardware__sweep": {"memory.mu.ports": []}}, "list is empty"),
        (
            {"hardware__sweep": {"compute.multiplier": ["abacus"]}},
            "hardware.sweep.compute.multiplier = 'abacus'",
        ),
        ({"hardware__base": "nosuch"}, "hardware.base = 'nosuch'"),
        ({"constraints__area_budget_mm2": -1}, "constraints.area_budget_mm2"),
        ({"reference__model": "alexnet"}, "reference.model = 'alexnet'"),
    ],
)
def test_bad_space_names_the_key(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        space_from_dict(bad(**changes), "t.yaml")
    text = one_line(exc)
    assert needle in text
    assert text.startswith("t.yaml:")


def test_empty_space() -> None:
    with pytest.raises(ConfigError, match="empty"):
        space_from_dict({}, "e.yaml")


def test_contradictory_space() -> None:
    # 3 ports never divide 64 domains: no combination is a valid arch
    data = bad(hardware__sweep={"memory.mu.domains": [64], "memory.mu.ports": [3]})
    with pytest.raises(ConfigError) as exc:
        space_from_dict(data, "c.yaml")
    assert "contradictory" in one_line(exc)


def test_partly_invalid_sweep_keeps_valid_points() -> None:
    data = bad(hardware__sweep={"memory.mu.domains": [64], "memory.mu.ports": [2, 3]})
    s = space_from_dict(data)
    assert [p["memory.mu.ports"] for p in s.hw_points] == [2]
    assert s.hw_rejected == 1


def test_shipped_spaces_load_and_are_big_enough() -> None:
    assert {"default", "quick"} <= set(shipped_spaces())
    default = load_space("default")
    assert len(default.hw_points) >= 1000  # issue 6: >= 1,000 hardware points per model
    assert default.config.budget >= 12  # and >= 12 model candidates
    quick = load_space("quick")
    assert quick.config.budget < default.config.budget


def test_missing_space_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown search space"):
        load_space(tmp_path / "nope.yaml")


def test_model_spec_follows_the_parameters() -> None:
    spec = model_spec({"depth": 2, "channels": 4, "kernel": 5, "fc": 32, "wbits": 4, "abits": 4})
    assert [b.channels for b in spec.conv] == [4, 8]
    assert [b.kernel for b in spec.conv] == [5, 5]
    assert [b.padding for b in spec.conv] == [2, 2]
    assert [f.units for f in spec.fc] == [32]
    assert model_spec({"depth": 1, "channels": 4, "kernel": 3, "fc": 0}).fc == ()
