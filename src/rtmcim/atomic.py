"""Writing files so that a crash never leaves half of one: write a temporary sibling, then rename.

A reader (a resumed study, ``rtmcim report``, the model cache) sees either the
old file or the whole new one.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def write_with(path: Path, write: Callable[[Path], object], folder: bool = False) -> Path:
    """``write(tmp)`` a file (or, with ``folder``, into a folder) at a temporary sibling of
    ``path``, then put it at ``path`` (replacing what was there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent)) / path.name
    try:
        if folder:
            tmp.mkdir()
        write(tmp)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        tmp.replace(path)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)
    return path


def write_text(path: Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(
    path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None
) -> Path:
    """``rows`` as CSV; ``columns`` default to every key in order of first appearance (a key a
    row lacks is left empty; a key not in ``columns`` is left out)."""
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)

    return write_with(path, write)
