"""Registries: one record per name, one lookup, one error listing what exists.

Every extension point of rtmcim is a :class:`Registry` of frozen records:
circuit cells, fault kinds, mitigations, objectives and baselines. A module
defines its registry with the built-in records; an extension (a new fault
kind, a new objective, ...) is one :meth:`Registry.register` call of a new
record, from any module, and every path that uses that concept sees it.

Processes that rtmcim starts (:func:`rtmcim.pool.process_pool`) are spawned,
so they import rtmcim afresh: :func:`extensions` and :func:`restore` carry the
records registered in this process over to them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from rtmcim.errors import ConfigError, unknown


class Named(Protocol):
    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=Named)

_ALL: dict[str, Registry[Any]] = {}


class Registry(Generic[R]):
    """Records by name, in registration order (built-ins first); read like a mapping of names.

    ``what`` names the concept in errors ("unknown fault kind"); ``key`` is
    the default key path an unknown name is reported under; ``module`` is the
    module that defines the registry (a spawned process imports it to find it
    again); ``check(record, registry)`` may refuse a record (ConfigError).
    """

    def __init__(
        self,
        what: str,
        key: str,
        module: str,
        builtins: Iterable[R] = (),
        check: Callable[[R, Registry[R]], None] | None = None,
    ) -> None:
        if what in _ALL:
            raise ValueError(f"a registry of {what} exists already")
        self.what, self.key, self.module = what, key, module
        self._check = check
        self._records: dict[str, R] = {}
        for record in builtins:
            self.register(record)
        self._builtin = frozenset(self._records)
        _ALL[what] = self

    def register(self, record: R) -> R:
        """Add ``record`` under its ``name``; a name that exists already is refused."""
        name = record.name
        if name in self._records:
            raise ConfigError(
                f"a {self.what} of this name exists already", key=self.key, value=name
            )
        if self._check is not None:
            self._check(record, self)
        self._records[name] = record
        return record

    def unregister(self, name: str) -> None:
        """Remove an extension (built-ins stay)."""
        if name in self._builtin:
            raise ConfigError(f"a built-in {self.what} cannot be removed", value=name)
        self._records.pop(name, None)

    def get(self, name: object, *, key: str | None = None, source: str | None = None) -> R:
        """The record called ``name``; anything else is a ConfigError listing the names."""
        if not isinstance(name, str) or name not in self._records:
            raise unknown(self.what, name, self.names(), key=key or self.key, source=source)
        return self._records[name]

    def names(self) -> list[str]:
        return list(self._records)

    def records(self) -> tuple[R, ...]:
        return tuple(self._records.values())

    def extensions(self) -> tuple[R, ...]:
        """The records registered after the built-ins."""
        return tuple(r for n, r in self._records.items() if n not in self._builtin)

    def __getitem__(self, name: str) -> R:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def __iter__(self) -> Iterator[str]:
        """The names, as a mapping's keys."""
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._records)


Extensions = list[tuple[str, str, tuple[Any, ...]]]


def extensions() -> Extensions:
    """Every registry's extensions as (module, what, records): what :func:`restore` takes."""
    return [(r.module, r.what, r.extensions()) for r in _ALL.values() if r.extensions()]


def restore(found: Extensions) -> None:
    """Register ``found`` (from :func:`extensions` in another process) here, once."""
    for module, what, records in found:
        importlib.import_module(module)
        registry = _ALL[what]
        for record in records:
            if record.name not in registry:
                registry.register(record)
