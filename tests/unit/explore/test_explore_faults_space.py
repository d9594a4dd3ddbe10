"""The optional faults section of a search space and the fault_accuracy objective (issue 7.4)."""

from __future__ import annotations

from typing import Any

import pytest

from rtmcim.errors import ConfigError
from rtmcim.explore.space import SpaceConfig, load_space, space_from_dict

BASE: dict[str, Any] = {
    "name": "t",
    "dataset": "digits",
    "budget": 2,
    "model": {"wbits": [8], "abits": [8], "depth": [1], "channels": [4], "kernel": [3], "fc": [0]},
    "hardware": {"base": "default", "sweep": {"memory.mu.domains": [32, 64]}},
}
FAULTS: dict[str, Any] = {"rates": "shift=1e-3,read=1e-6", "mitigation": "position_check:4"}

# content hash of configs/spaces/quick.yaml computed before the faults section existed: a space
# without faults must hash as before, or every existing study would stop resuming
QUICK_HASH = "fff26afe38b6f83ce9708235600c307d4d62cd6dcd9b4e45d67d3d3a27af1014"


def with_(**top: Any) -> dict[str, Any]:
    return {**BASE, **top}


def one_line_error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as exc:
        space_from_dict(data, "t.yaml")
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith("t.yaml:")
    return text


def test_good_faults_section_parses_with_defaults() -> None:
    s = space_from_dict(with_(faults=FAULTS, objectives=["accuracy", "fault_accuracy", "energy"]))
    f = s.config.faults
    assert f is not None
    assert (f.images, f.seed) == (300, 0)
    fc = f.fault_config()
    assert fc.as_dict() == {"shift": 1e-3, "read": 1e-6, "write": 0.0}
    m = f.mitigation_config()
    assert (m.effect.check_interval, m.effect.tmr_bits) == (4, 0)
    assert s.config.directions == ["maximize", "maximize", "minimize"]


@pytest.mark.parametrize(
    ("faults", "needle"),
    [
        ({"rates": "shift=2"}, "faults.rates.shift = '2': a fault rate must be a probability"),
        ({"rates": "shift=-1e-3"}, "faults.rates.shift = '-1e-3'"),
        ({"rates": "spin=1e-3"}, "faults.rates = 'spin': unknown fault kind"),
        ({"rates": "shift"}, "faults.rates.shift"),
        ({"rates": "shift=1e-3", "mitigation": "magic"}, "faults.mitigation = 'magic'"),
        ({"rates": "shift=1e-3", "mitigation": "tmr_msb:0"}, "faults.mitigation.tmr_msb"),
        ({"rates": "shift=1e-3", "images": 0}, "faults.images"),
        ({"rates": "shift=1e-3", "colour": 1}, "faults.colour: unknown key"),
        ({"mitigation": "none"}, "faults.rates: required key is missing"),
    ],
)
def test_bad_faults_section_names_the_key(faults: dict[str, Any], needle: str) -> None:
    assert needle in one_line_error(with_(faults=faults))


def test_fault_objective_needs_a_faults_section() -> None:
    text = one_line_error(with_(objectives=["accuracy", "fault_accuracy"]))
    assert "objectives.1 = 'fault_accuracy'" in text
    assert "needs a faults section" in text


def test_space_without_faults_hashes_as_before() -> None:
    quick = load_space("quick").config
    assert "faults" not in quick.canonical()
    # the quick space as it was before faults (and fidelities) existed
    data = quick.canonical()
    del data["fidelity"]
    assert SpaceConfig.model_validate(data).content_hash() == QUICK_HASH
    plain = space_from_dict(BASE).config
    faulty = space_from_dict(with_(faults=FAULTS)).config
    assert faulty.content_hash() != plain.content_hash()
    assert faulty.canonical()["faults"] == {**FAULTS, "images": 300, "seed": 0}


@pytest.mark.parametrize("data", [BASE, with_(faults=FAULTS)])
def test_canonical_round_trips(data: dict[str, Any]) -> None:
    cfg = space_from_dict(data).config
    again = SpaceConfig.model_validate(cfg.canonical())
    assert again == cfg
    assert again.content_hash() == cfg.content_hash()


def test_shipped_faults_space() -> None:
    s = load_space("faults")
    assert "fault_accuracy" in s.config.objectives
    assert s.config.faults is not None and s.config.faults.images == 300
    assert str(s.config.faults.fault_config()) == "shift=0.001,read=0,write=0"
    # the same search as the quick space, plus faults
    quick = load_space("quick")
    assert s.hw_points == quick.hw_points
    assert s.config.model == quick.config.model
