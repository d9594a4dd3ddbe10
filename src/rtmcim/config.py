"""Validate-then-build: turning plain data into frozen models, with one-line errors.

All configuration models derive from :class:`Frozen` (immutable, unknown keys
forbidden). :func:`validate` converts pydantic's error list into a
:class:`~rtmcim.errors.ConfigError` that names the source, the key path, the
bad value and what is allowed; for an unknown key, the keys that are allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from rtmcim import yamlio
from rtmcim.errors import ConfigError, unknown


class Frozen(BaseModel):
    """Base of every configuration model: frozen, strict about keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


M = TypeVar("M", bound=BaseModel)

UNION_TAGS: set[str] = set()
"""Tags of discriminated unions: pydantic puts them in an error's key path, the user never
wrote them (``conv.0.residual.channels`` is ``conv.0.channels`` in the file)."""


def _user_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        p
        for i, p in enumerate(loc)
        if not (p in UNION_TAGS and i > 0 and isinstance(loc[i - 1], int))
    )


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at ``loc`` (the parent of the bad key)."""
    cur: Any = model
    for part in loc[:-1]:
        fields = getattr(cur, "model_fields", None)
        if fields is None or part not in fields:
            return []
        ann = fields[part].annotation
        cur = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if cur is None:
            return []
    fields = getattr(cur, "model_fields", None)
    return sorted(fields) if fields else []


def validate(model: type[M], data: Any, source: str | None = None) -> M:
    """Build ``model`` from ``data`` or raise one ConfigError for the first problem."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key also shows up as a missing one: name the misspelling first
        err = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
        loc = _user_loc(tuple(err.get("loc", ())))
        key = ".".join(str(p) for p in loc) or None
        kind = err.get("type", "")
        value = err.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            raise unknown("key", None, allowed, key=key, source=source) from None
        if kind == "missing":
            raise ConfigError("required key is missing", key=key, source=source) from None
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        ctx = err.get("ctx") or {}
        allowed_txt = None
        if "expected" in ctx:
            allowed_txt = str(ctx["expected"])
        if isinstance(value, dict | list):
            value = None
        raise ConfigError(msg, key=key, value=value, source=source, allowed=allowed_txt) from None


def load_model(model: type[M], path: str | Path) -> M:
    """Read a YAML file and validate it as ``model``."""
    return validate(model, yamlio.load(path), str(path))


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c = value`` inside nested dicts, creating levels as needed."""
    parts = dotted.split(".")
    cur = data
    for p in parts[:-1]:
        nxt = cur.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise ConfigError("cannot override inside a non-mapping value", key=dotted)
        cur = nxt
    cur[parts[-1]] = value


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Parse ``["rtm.shift_latency_ns=1.5", ...]`` into ``{"rtm.shift_latency_ns": 1.5}``.

    Values are read as YAML scalars, so numbers, booleans and strings all work.
    """
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(
                "override must look like KEY=VALUE",
                value=item,
                allowed="e.g. rtm.read_latency_ns=2.0",
            )
        k, v = item.split("=", 1)
        out[k.strip()] = yamlio.loads(v, f"--set {k.strip()}")
    return out
