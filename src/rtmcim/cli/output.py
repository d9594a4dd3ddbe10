"""Rendering rows as a rich table, CSV or JSON. Only the CLI prints."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when a table is drawn: csv and json never load it
    from rich.console import Console
    from rich.table import Table

FORMATS = ("table", "csv", "json")

Row = Mapping[str, Any]


def add_format_option(parser: Any, default: str = "table") -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        help=f"output format (default: {default}); csv and json carry full precision",
    )


def fmt_num(v: Any) -> str:
    """Compact human formatting for tables (CSV/JSON keep full precision)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.4g}"
    if a >= 100:
        return f"{v:,.1f}"
    return f"{v:.4g}"


def table(rows: Sequence[Row], title: str | None = None, caption: str | None = None) -> Table:
    from rich.table import Table

    t = Table(title=title, caption=caption, show_lines=False)
    if not rows:
        return t
    cols = list(rows[0].keys())
    for c in cols:  # numbers, and quantities with their unit (report.units.Quantity)
        numeric = all(isinstance(r.get(c), int | float) or hasattr(r.get(c), "si") for r in rows)
        t.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        t.add_row(*(fmt_num(r.get(c, "")) for c in cols))
    return t


def to_csv(rows: Sequence[Row]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(dict(r))
    return buf.getvalue()


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n"


def console(stderr: bool = False) -> Console:
    """A rich console; when the output is not a terminal (a pipe, a file), tables get 200 columns
    instead of rich's default 80 so wide per-layer tables stay readable."""
    from rich.console import Console

    c = Console(stderr=stderr, soft_wrap=False)
    if not c.is_terminal:
        c = Console(stderr=stderr, soft_wrap=False, width=200)
    return c


def progress_bar(enabled: bool, *columns: Any, transient: bool = True) -> Any:
    """A rich Progress on stderr with ``columns`` (default: description, bar, done/total) and the
    time elapsed; shown only when ``enabled`` and stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
    cols = columns or (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(
        *cols,
        TimeElapsedColumn(),
        console=err,
        transient=transient,
        disable=not (enabled and err.is_terminal),
    )
