"""Typed errors. Library code raises these; only the CLI prints and exits.

Every error carries what a user needs to fix the input: where (file and key
path), the offending value, and what is allowed. ``str(err)`` is one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class RtmcimError(Exception):
    """Base of every error rtmcim raises on purpose.

    Parameters
    ----------
    message:
        What went wrong, in one sentence.
    key:
        Dotted key path of the offending setting (``organization.mu.ports``).
    value:
        The offending value.
    allowed:
        What would have been accepted (``"a divisor of domains=64"``).
    source:
        The file or object the value came from.
    hint:
        How to fix it, if not obvious from ``allowed``.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        value: Any = None,
        allowed: str | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message, self.key, self.value = message, key, value
        self.allowed, self.source, self.hint = allowed, source, hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(f"{self.source}:")
        if self.key:
            parts.append(
                f"{self.key} = {self.value!r}:" if self.value is not None else f"{self.key}:"
            )
        parts.append(self.message.rstrip("."))
        line = " ".join(parts)
        if self.allowed:
            line += f" (allowed: {self.allowed})"
        if self.hint:
            line += f"; {self.hint}"
        return line.replace("\n", " ")


class ConfigError(RtmcimError):
    """A configuration file or option is invalid (unknown key, bad value, bad geometry)."""


class CapacityError(RtmcimError):
    """A workload does not fit the memory it is mapped on."""


class DataError(RtmcimError):
    """A data set or data file is missing, corrupt or of the wrong shape."""


class TraceError(RtmcimError):
    """An access trace line cannot be parsed or addresses memory that does not exist."""


def unknown(
    what: str,
    value: Any,
    names: Iterable[str],
    *,
    key: str | None = None,
    source: str | None = None,
    alternative: str | None = None,
    error: type[RtmcimError] = ConfigError,
) -> RtmcimError:
    """The error for a name that is not one of ``names``: "unknown WHAT", naming what is allowed.

    ``alternative`` is what else would do, e.g. ``"a path to a .yaml file"``.
    """
    allowed = ", ".join(names)
    if alternative:
        allowed = f"{allowed} or {alternative}" if allowed else alternative
    return error(f"unknown {what}", key=key, value=value, source=source, allowed=allowed or None)
