"""Strict YAML and the validate-then-build error messages."""

from pathlib import Path

import pytest
from pydantic import Field

from rtmcim import yamlio
from rtmcim.config import Frozen, parse_overrides, validate
from rtmcim.errors import ConfigError


class Inner(Frozen):
    ports: int = Field(ge=1)
    domains: int = 64


class Outer(Frozen):
    mu: Inner
    name: str = "x"


def test_duplicate_key_is_rejected_with_both_lines() -> None:
    with pytest.raises(ConfigError) as exc:
        yamlio.loads("a: 1\nb: 2\na: 3\n", "cfg.yaml")
    msg = str(exc.value)
    assert "cfg.yaml" in msg and "a" in msg and "line 1" in msg and "line 3" in msg


def test_nested_duplicate_key_is_rejected() -> None:
    with pytest.raises(ConfigError, match="duplicate key"):
        yamlio.loads("mu:\n  ports: 1\n  ports: 2\n")


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"bad\.yaml:2"):
        yamlio.loads("a: 1\nb: x: y\nc: 3\n", "bad.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        yamlio.load(tmp_path / "nope.yaml")


def test_unknown_key_lists_allowed_keys() -> None:
    with pytest.raises(ConfigError) as exc:
        validate(Outer, {"mu": {"ports": 2, "tracks": 3}}, "cfg.yaml")
    msg = str(exc.value)
    assert "cfg.yaml" in msg and "mu.tracks" in msg and "unknown key" in msg
    assert "domains, ports" in msg


def test_out_of_range_names_key_and_value() -> None:
    with pytest.raises(ConfigError) as exc:
        validate(Outer, {"mu": {"ports": 0}}, "cfg.yaml")
    msg = str(exc.value)
    assert "mu.ports = 0" in msg and "greater than or equal to 1" in msg
    assert "\n" not in msg


def test_missing_required_key() -> None:
    with pytest.raises(ConfigError, match="mu: required key is missing"):
        validate(Outer, {})


def test_round_trip_through_yaml() -> None:
    o = validate(Outer, {"mu": {"ports": 4, "domains": 32}, "name": "y"})
    assert validate(Outer, yamlio.loads(yamlio.dumps(o.model_dump()))) == o


def test_parse_overrides_reads_yaml_scalars() -> None:
    assert parse_overrides(["a.b=1.5", "c=true", "d=text"]) == {"a.b": 1.5, "c": True, "d": "text"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["nothing"])
