"""Results folders rtmcim owns: it writes into a folder only if the folder is new, empty, or
carries rtmcim's marker for the same kind of job; it never writes among files it did not write.

The marker, :data:`MARKER`, is a small JSON file (``{"kind": "study", "rtmcim_version": ...}``)
written first into every results folder (a study of ``rtmcim explore``, a trained model of
``rtmcim train --out``, a fault sweep). :func:`check` refuses, without writing a byte, a folder
rtmcim may not write (a file, a folder of the user's files, another kind of job's folder, a place
that cannot be created or written); :func:`claim` checks, creates the folder and marks it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rtmcim import __version__, atomic
from rtmcim.errors import ConfigError

MARKER = ".rtmcim-folder.json"
KINDS = ("study", "model", "sweep")
_WHAT = {"study": "an 'rtmcim explore' study", "model": "a trained model", "sweep": "a fault sweep"}
_MAX_MARKER_BYTES = 4096


def marker_kind(folder: str | Path) -> str | None:
    """The kind of job whose marker ``folder`` carries, or None (no marker, or not ours)."""
    path = Path(folder) / MARKER
    try:
        if path.stat().st_size > _MAX_MARKER_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if kind in KINDS else None


def check(
    folder: str | Path,
    kind: str,
    key: str = "--out",
    adopt: Callable[[Path], bool] | None = None,
) -> Path:
    """Raise a ConfigError naming ``key`` unless rtmcim may write a ``kind`` folder at ``folder``
    (new, empty, or marked for ``kind``) and can: writes nothing. Returns the folder's path.

    ``adopt(folder)`` says whether an unmarked folder is one rtmcim wrote before it marked its
    folders (a study's ``study.json`` naming the same study): such a folder is accepted."""
    if kind not in KINDS:
        raise ValueError(f"unknown folder kind {kind!r}")
    p = Path(folder)
    text = str(folder)

    def refuse(msg: str, allowed: str | None = None, hint: str | None = None) -> ConfigError:
        return ConfigError(msg, key=key, value=text, allowed=allowed, hint=hint)

    if p.is_symlink() and not p.exists():
        raise refuse("is a broken symbolic link or a link loop", "a folder path")
    if not p.exists():
        parent = p.parent
        while not parent.exists() and parent != parent.parent:
            if parent.is_symlink():
                raise refuse(f"{parent} is a broken symbolic link", "a folder path")
            parent = parent.parent
        if not parent.is_dir():
            raise refuse(f"cannot create the folder: {parent} is not a folder", "a folder path")
        _probe(parent, refuse)
        return p
    if not p.is_dir():
        raise refuse("names a file, not a folder", "a new, empty or rtmcim-written folder")
    try:
        entries = sorted(e.name for e in p.iterdir())
    except OSError as exc:
        raise refuse(f"cannot list the folder ({exc.strerror or type(exc).__name__})") from None
    if entries:
        have = marker_kind(p)
        if have is None and adopt is not None and adopt(p):
            have = kind
        if have is None:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise refuse(
                f"the folder holds files rtmcim did not write ({shown})",
                f"a new or empty folder, or one rtmcim wrote for {_WHAT[kind]} (it holds {MARKER})",
                "rtmcim never writes among files it did not write: give another folder",
            )
        if have != kind:
            raise refuse(
                f"the folder holds {_WHAT[have]}, not {_WHAT[kind]}",
                f"a new or empty folder, or one rtmcim wrote for {_WHAT[kind]}",
            )
    _probe(p, refuse)
    return p


def claim(
    folder: str | Path,
    kind: str,
    key: str = "--out",
    adopt: Callable[[Path], bool] | None = None,
) -> Path:
    """:func:`check`, then create the folder and write the marker (if it is not there yet)."""
    p = check(folder, kind, key, adopt)
    p.mkdir(parents=True, exist_ok=True)
    if marker_kind(p) != kind:
        doc: dict[str, Any] = {"kind": kind, "rtmcim_version": __version__}
        atomic.write_text(p / MARKER, json.dumps(doc) + "\n")
    return p


def _probe(folder: Path, refuse: Any) -> None:
    """Create and remove an empty folder in ``folder``: can rtmcim write there?"""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".rtmcim-probe-", dir=folder))
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise refuse(f"cannot write in {folder} ({why})", "a folder rtmcim may write") from None
