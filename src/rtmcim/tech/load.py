"""Finding, reading and overriding technology presets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rtmcim import yamlio
from rtmcim.config import parse_overrides, set_dotted, validate
from rtmcim.errors import ConfigError
from rtmcim.tech.model import Tech

DEFAULT_PRESET = "rtm-32nm"


def preset_names() -> list[str]:
    """Names of the presets shipped inside the package."""
    return yamlio.shipped_names("rtmcim.tech", "presets")


def _read_preset(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    text = str(name_or_path)
    if text in preset_names():
        return yamlio.load_shipped("rtmcim.tech", "presets", text, "preset"), f"preset {text}"
    p = Path(text)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        return yamlio.load(p), str(p)
    raise ConfigError(
        "unknown technology preset",
        key="tech",
        value=text,
        allowed=f"one of {', '.join(preset_names())} or a path to a preset .yaml file",
    )


def load_tech(
    name_or_path: str | Path = DEFAULT_PRESET,
    overrides: dict[str, Any] | list[str] | tuple[str, ...] | None = None,
) -> Tech:
    """Load a preset by name or file, optionally overriding single values.

    ``overrides`` maps dotted keys to values (``{"rtm.read_latency_ns": 2.0}``)
    or is a list of ``KEY=VALUE`` strings. An overridden value's source
    becomes ``"override: <previous source>"`` so reports show it was changed.
    """
    data, where = _read_preset(name_or_path)
    if not isinstance(data, dict):
        raise ConfigError("a technology preset must be a mapping", source=where)
    if overrides:
        ov = parse_overrides(overrides) if isinstance(overrides, list | tuple) else dict(overrides)
        for key, value in ov.items():
            _apply_override(data, key, value, where)
        where = f"{where} (with overrides)"
    return validate(Tech, data, where)


def _apply_override(data: dict[str, Any], key: str, value: Any, where: str) -> None:
    parts = key.split(".")
    section = data.get(parts[0]) if len(parts) == 2 else None
    if len(parts) == 2 and isinstance(section, dict):
        if parts[1] not in section or parts[1] == "sources":
            allowed = sorted(k for k in section if k != "sources")
            raise ConfigError(
                "unknown override key", key=key, source=where, allowed=", ".join(allowed)
            )
        old = section.get("sources", {}).get(parts[1], "")
        section.setdefault("sources", {})[parts[1]] = f"override (was: {old})"
    elif len(parts) == 1 and parts[0] in data and not isinstance(data[parts[0]], dict):
        old = data.get("sources", {}).get(parts[0], "")
        data.setdefault("sources", {})[parts[0]] = f"override (was: {old})"
    else:
        allowed = sorted(k for k in data if k != "sources")
        raise ConfigError(
            "unknown override key",
            key=key,
            source=where,
            allowed=f"SECTION.FIELD with SECTION in {', '.join(allowed)}",
        )
    set_dotted(data, key, value)
