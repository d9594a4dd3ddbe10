"""Validate-then-build: turning plain data into frozen models, with one-line errors.

All configuration models derive from :class:`Frozen` (immutable, unknown keys
forbidden). :func:`validate` converts pydantic's error list into a
:class:`~rtmcim.errors.ConfigError` that names the source, the key path, the
bad value and what is allowed; for an unknown key, the keys that are allowed.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from rtmcim import yamlio
from rtmcim.errors import ConfigError, unknown


class Frozen(BaseModel):
    """Base of every configuration model: frozen, strict about keys, numbers finite (no
    ``.inf``/``.nan``) and a boolean never taken for a number (``banks: true`` is not 1)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_a_number(cls, v: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return v
        field = cls.model_fields.get(info.field_name)
        if field is None or _takes_bool(field.annotation):
            return v
        items = v if isinstance(v, list | tuple) else (v,)
        if any(isinstance(x, bool) for x in items):
            raise ValueError("a boolean (true/false) is not a valid value here")
        return v


def _takes_bool(annotation: Any) -> bool:
    """Whether a field's type admits a boolean (bool or Any anywhere in it)."""
    if annotation is bool or annotation is Any:
        return True
    if annotation is None or isinstance(annotation, type):
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _takes_bool(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType) or origin is not None:
        return any(_takes_bool(a) for a in typing.get_args(annotation) if a is not Ellipsis)
    return False


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


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: itself, or the model inside ``X | None``, ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at ``loc`` (the parent of the bad key); list indices in
    ``loc`` (``conv.0.kernal``) step into the list's item model."""
    cur: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(cur, "model_fields", None)
        if fields is None or part not in fields:
            return []
        cur = _submodel(fields[part].annotation)
        if cur is None:
            return []
    fields = getattr(cur, "model_fields", None)
    return sorted(fields) if fields else []


def _shown(value: Any) -> Any:
    """A value for a one-line message: a list or mapping shortened to 60 characters."""
    if isinstance(value, dict | list | tuple):
        text = repr(value)
        return _Shown(text if len(text) <= 60 else text[:57] + "...")
    return value


class _Shown(str):
    """Text shown as it is in a message (not quoted)."""

    def __repr__(self) -> str:
        return str(self)


def validate(model: type[M], data: Any, source: str | None = None) -> M:
    """Build ``model`` from ``data`` or raise one ConfigError for the first problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict) and not isinstance(data, BaseModel):
        raise ConfigError(
            f"the file holds a {_kind(data)}, not a mapping of keys",
            source=source,
            allowed=f"a mapping with keys {', '.join(sorted(model.model_fields))}",
        )
    try:
        return model.model_validate(data)
    except (TypeError, KeyError, AttributeError) as exc:  # a validator met a value of a wrong type
        raise ConfigError(
            f"a value of the wrong type ({type(exc).__name__}: {exc})",
            source=source,
            allowed=f"the keys and types of {model.__name__}",
        ) from None
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
        msg = re.sub(r" or instance of \w+", "", msg)  # pydantic's class names mean nothing here
        ctx = err.get("ctx") or {}
        allowed_txt = None
        if "expected" in ctx:
            allowed_txt = str(ctx["expected"])
        # a whole-object check (a model validator) says what is wrong in its message
        value = None if kind == "value_error" and isinstance(value, dict) else _shown(value)
        raise ConfigError(msg, key=key, value=value, source=source, allowed=allowed_txt) from None


def _kind(data: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(data), type(data).__name__
    )


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
                key="--set",
                value=item,
                allowed="e.g. rtm.read_latency_ns=2.0",
            )
        k, v = item.split("=", 1)
        out[k.strip()] = yamlio.loads(v, f"--set {k.strip()}")
    return out
