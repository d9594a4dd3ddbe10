"""The quick study's report.html in a real browser (Debian's headless Chromium, driven by
playwright without a browser download): it loads with the network cut and no JavaScript error,
the front plot has one point per front design, hovering a point shows the design's model, bits
and every hardware choice, the filters and the table agree, and a screenshot is written to
build/screenshots/ for the test log (``make browser`` installs Chromium)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rtmcim.cli.main import main

# one worker runs this module (make test: pytest --dist loadgroup): one study, one browser
pytestmark = pytest.mark.xdist_group("report-browser")
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """'rtmcim explore --preset quick' over digits, 2 models, report included."""
    d = tmp_path_factory.mktemp("quick")
    out = d / "res"
    args = ["explore", "--preset", "quick", "--dataset", "digits", "--budget", "2"]
    args += ["--out", str(out), "--cache-dir", str(d / "cache"), "--no-progress"]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def browser(quick_report: Path) -> Any:
    """The report opened in headless Chromium with every request but file:// refused; the
    page's console errors and uncaught exceptions in ``page.errors``."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make browser' (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        pg = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        refused: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))

        def offline(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        pg.route("**/*", offline)
        pg.goto((quick_report / "report.html").as_uri())
        pg.wait_for_function("() => document.getElementById('front-plot').data !== undefined")
        yield SimpleNamespace(page=pg, errors=errors, refused=refused)
        browser.close()


@pytest.fixture(scope="module")
def page(browser: Any) -> Any:
    return browser.page


def front_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "pareto.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def front_trace(page: Any) -> dict[str, Any]:
    traces = page.evaluate(
        "() => document.getElementById('front-plot').data.map("
        "t => ({meta: t.meta, x: Array.from(t.x), customdata: t.customdata ? Array.from(t.customdata) : null}))"
    )
    (front,) = [t for t in traces if t["meta"] == "front"]
    return front


@pytest.mark.slow
def test_the_report_opens_offline_with_no_javascript_error(browser: Any) -> None:
    assert browser.errors == []
    assert browser.refused == []  # everything it needs is in the file
    assert browser.page.evaluate("() => typeof Plotly") == "object"


@pytest.mark.slow
def test_the_other_figures_are_drawn(page: Any, quick_report: Path) -> None:
    summary = json.loads((quick_report / "summary.json").read_text(encoding="utf-8"))
    bars = page.evaluate(
        "() => document.getElementById('baselines-plot').data.map(t => Array.from(t.x))"
    )
    names = ["design", *(b["name"] for b in summary["baselines"])]
    assert bars == [names] * 3  # energy, latency, area
    lines = page.evaluate("() => document.getElementById('crossover-plot').data.map(t => t.name)")
    assert len(lines) == 6  # three designs, energy and latency


@pytest.mark.slow
def test_the_front_plot_has_one_point_per_front_design(page: Any, quick_report: Path) -> None:
    rows = front_rows(quick_report)
    summary = json.loads((quick_report / "summary.json").read_text(encoding="utf-8"))
    front = front_trace(page)
    assert len(front["x"]) == len(rows) == summary["front_size"] > 1
    assert sorted(front["customdata"]) == list(range(len(rows)))
    assert page.locator("#front-table tbody tr").count() == len(rows)
    first = page.evaluate("() => document.querySelector('h2').textContent")
    assert first == f"The Pareto front ({len(rows)} designs)"  # the report opens on the front


@pytest.mark.slow
def test_hovering_a_point_shows_the_design(page: Any, quick_report: Path) -> None:
    rows = front_rows(quick_report)
    space = json.loads((quick_report / "study.json").read_text(encoding="utf-8"))["space"]
    keys = list(space["hardware"]["sweep"])
    for i in (0, len(rows) - 1):
        page.wait_for_timeout(150)  # plotly drops a hover within 50 ms of the last one
        page.evaluate(
            f"() => Plotly.Fx.hover('front-plot', [{{curveNumber: 0, pointNumber: {i}}}])"
        )
        lines = page.evaluate(
            "() => Array.from(document.querySelectorAll("
            "'#front-plot .hoverlayer .hovertext tspan.line')).map(t => t.textContent)"
        )
        row = rows[front_trace(page)["customdata"][i]]
        assert lines[0] == f"{row['model']} W{row['wbits']}/A{row['abits']}"
        assert f"trial {row['trial']}, point {row['point']}" in lines
        for k in keys:  # every hardware choice, by its last name part
            assert f"{k.rsplit('.', 1)[-1]} = {row[k]}" in lines, (k, lines)
        energy = next(x for x in lines if x.startswith("energy / inference: "))
        assert energy.endswith("J") and "e-" not in energy and "e+" not in energy
        assert f"trials/trial-{int(row['trial']):04d}.json" in lines


@pytest.mark.slow
def test_a_filter_keeps_the_plot_and_the_table_in_step(page: Any, quick_report: Path) -> None:
    rows = front_rows(quick_report)
    choices = page.evaluate(
        "() => Array.from(document.querySelectorAll('#front-controls select[data-filter]'))"
        ".map(s => s.dataset.filter)"
    )
    key = next((c for c in choices if c.startswith("hw.")), "model")
    column = "model" if key == "model" else next(k for k in rows[0] if k.endswith(key[3:]))
    value = rows[0][column]
    page.select_option(f"select[data-filter='{key}']", value)
    want = sum(1 for r in rows if r[column] == value)
    assert len(front_trace(page)["x"]) == want
    assert page.locator("#front-table tbody tr:visible").count() == want
    page.select_option(f"select[data-filter='{key}']", "")
    assert len(front_trace(page)["x"]) == len(rows)


@pytest.mark.slow
def test_the_front_table_sorts_by_a_figure(page: Any) -> None:
    head = page.locator("#front-table thead th", has_text="energy / inference")
    head.click()
    values = page.evaluate(
        "() => Array.from(document.querySelectorAll('#front-table tbody tr')).map("
        "r => Number(r.cells[" + str(_column(page, "energy / inference")) + "].dataset.v))"
    )
    assert values == sorted(values) and len(values) > 1
    head.click()
    values = page.evaluate(
        "() => Array.from(document.querySelectorAll('#front-table tbody tr')).map("
        "r => Number(r.cells[" + str(_column(page, "energy / inference")) + "].dataset.v))"
    )
    assert values == sorted(values, reverse=True)


def _column(page: Any, name: str) -> int:
    heads = page.evaluate(
        "() => Array.from(document.querySelectorAll('#front-table thead th')).map(h => h.textContent)"
    )
    return int(next(i for i, h in enumerate(heads) if h == name))


@pytest.mark.slow
def test_clicking_two_designs_compares_them(page: Any) -> None:
    page.locator("#front-table tbody tr").nth(0).click()
    page.locator("#front-table tbody tr").nth(1).click()
    panel = page.locator("#design-panel").inner_text()
    assert "chosen before" in panel and "chosen / before" in panel
    layer = page.evaluate("() => document.getElementById('layer-plot').data.length")
    assert layer >= 1  # the chosen design's per-layer energy, one trace per event class


@pytest.mark.slow
def test_a_screenshot_for_the_test_log(page: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / "report-front.png"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(150)
    page.evaluate("() => Plotly.Fx.hover('front-plot', [{curveNumber: 0, pointNumber: 0}])")
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    print(f"screenshot: {path}")
