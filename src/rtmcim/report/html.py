"""A self-contained HTML report: text, sortable tables, inlined (base64) PNG figures and the
interactive figures (plotly's JavaScript embedded: the file opens with no network)."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from rtmcim.report.units import Quantity

CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.6em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td{white-space:nowrap} td.l{white-space:normal} .wide{overflow-x:auto;max-width:100%}
th{background:#f2f2f2} td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
code{background:#f5f5f5;padding:1px 4px}
.note{color:#555;font-size:13px}
th{cursor:pointer;user-select:none} th.asc:after{content:" ▲"} th.desc:after{content:" ▼"}
tbody tr:hover{background:#fafae6} tr.sel1{background:#fde2e2} tr.sel2{background:#e2ecfd}
.controls{display:flex;flex-wrap:wrap;gap:.4em 1.2em;font-size:13px;margin:.4em 0}
.controls label{white-space:nowrap} .plot{width:100%;border:1px solid #eee;margin:.4em 0}
.scroll{max-height:34em;overflow:auto;border:1px solid #eee}
.scroll thead th{position:sticky;top:0}
#design-panel table{font-size:12px}
"""


def esc(v: Any) -> str:
    return html.escape(str(v))


def num(v: Any) -> str:
    """A cell as text: quantities in engineering notation with their unit, counts with
    thousands separators, other numbers without an exponent."""
    if isinstance(v, Quantity):
        return esc(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return esc(v)
    if isinstance(v, int):
        return f"{v:,}"
    if v != v:  # NaN
        return "n/a"
    return esc(Quantity(v))


def sort_key(v: Any) -> str:
    """The value a table column sorts by (``data-v``): the number, or the text."""
    if isinstance(v, Quantity):
        return repr(v.si)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(v)
    return esc(v)


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] | None = None,
    table_id: str | None = None,
    links: dict[str, str] | None = None,
) -> str:
    """A table whose columns sort when their header is clicked (report/explorer.js).

    ``links`` maps a column to a template of the link its cells carry when they hold a count
    (``{v}``: the value).
    """
    if not rows:
        return "<p class='note'>(none)</p>"
    cols = list(columns) if columns is not None else list(rows[0])
    links = links or {}
    ident = f" id='{esc(table_id)}'" if table_id else ""
    out = [f"<div class='wide'><table class='sortable'{ident}><thead><tr>"]
    for c in cols:
        out.append(f"<th title='click to sort'>{esc(c)}</th>")
    out.append("</tr></thead><tbody>")
    for i, r in enumerate(rows):
        out.append(f"<tr data-i='{i}'>")
        for c in cols:
            v = r.get(c, "")
            numeric = isinstance(v, int | float | Quantity) and not isinstance(v, bool)
            cls = "" if numeric else " class='l'"
            text = num(v)
            if c in links and isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                text = f"<a href='{esc(links[c].format(v=v))}'>{text}</a>"
            out.append(f"<td{cls} data-v='{sort_key(v)}'>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{data}'>"


def data_script(element_id: str, data: Any) -> str:
    """JSON data for the page's scripts (``</`` escaped so the data cannot end the script)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f"<script id='{esc(element_id)}' type='application/json'>{text}</script>"


def plotly_js() -> str:
    """plotly.js as shipped in the plotly package, for a <script> element: no network needed."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs()).replace("</script", "<\\/script")


def explorer_js() -> str:
    """report/explorer.js: the front explorer, filters, sortable tables and the other figures."""
    return resources.files("rtmcim.report").joinpath("explorer.js").read_text(encoding="utf-8")


def page(title: str, sections: Sequence[tuple[str, str]], scripts: Sequence[str] = ()) -> str:
    """The page: ``sections`` (heading, HTML), then ``scripts`` (JavaScript sources) in order."""
    body = [f"<h1>{esc(title)}</h1>"]
    for head, content in sections:
        body.append(f"<h2>{esc(head)}</h2>\n{content}")
    body += [f"<script>{js}</script>" for js in scripts]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
