"""A self-contained HTML report: text, tables and inlined (base64) PNG figures."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.6em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
code{background:#f5f5f5;padding:1px 4px}
.note{color:#555;font-size:13px}
"""


def esc(v: Any) -> str:
    return html.escape(str(v))


def num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return esc(v)
    if isinstance(v, int):
        return f"{v:,}"
    if v != v:  # NaN
        return "n/a"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5 or a < 1e-2:
        return f"{v:.3e}"
    return f"{v:,.4g}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    if not rows:
        return "<p class='note'>(none)</p>"
    cols = list(columns) if columns is not None else list(rows[0])
    out = ["<table><tr>"]
    for c in cols:
        out.append(f"<th>{esc(c)}</th>")
    out.append("</tr>")
    for r in rows:
        out.append("<tr>")
        for c in cols:
            v = r.get(c, "")
            cls = "" if isinstance(v, int | float) and not isinstance(v, bool) else " class='l'"
            out.append(f"<td{cls}>{num(v)}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{data}'>"


def page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    body = [f"<h1>{esc(title)}</h1>"]
    for head, content in sections:
        body.append(f"<h2>{esc(head)}</h2>\n{content}")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
