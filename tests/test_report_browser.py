"""The report's HTML in a real browser: headless Chromium (Debian's package) opens it from a file.

Skipped only where Chromium or Playwright is absent; CI installs both and sets TUNE_JOBS_REQUIRE_BROWSER=1,
which turns a skip into a failure.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest
from reports import grid_rows, make_run, trial

from tune_jobs.report import build as report

CHROMIUM = shutil.which("chromium")
# As the machine's notes advise: no background networking, no first-run work, a fresh profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

REQUIRED = os.environ.get("TUNE_JOBS_REQUIRE_BROWSER") == "1"  # CI: a missing browser is a failure

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="no chromium on PATH (apt-get install chromium)"),
]


@pytest.fixture
def report_page(tmp_path):
    grid = make_run(tmp_path / "runs", "grid", grid_rows())
    seeds = [make_run(tmp_path / "runs", f"optuna-{s}", [trial(f"o{s}1", "relu", 0.1, 0.6 + s / 100, elapsed=5.0),
                                                        trial(f"o{s}2", "swish", 0.01, 0.84, elapsed=12.0)],
                      searcher="optuna", search_seed=s) for s in range(2)]
    out = tmp_path / "report"
    assert report.main([str(grid), *map(str, seeds), "--out", str(out)]) == 0
    return out / "report.html"


def test_the_report_opens_offline_without_script_errors_and_draws_its_plots(report_page, tmp_path):
    assert CHROMIUM, "TUNE_JOBS_REQUIRE_BROWSER=1 but no chromium on PATH"
    if REQUIRED:
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    errors, requests = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report_page.as_uri())
            # HiPlot draws the lines into canvases, with an SVG axis per column, named by a label.
            page.wait_for_function("document.querySelectorAll('.label-name').length >= 3", timeout=30_000)
            axes = page.evaluate("Array.from(document.querySelectorAll('.label-name')).map(t => t.textContent)")
            curve_lines = page.locator("#curve-compute svg path").count()
            time_lines = page.locator("#curve-time svg path").count()
            canvas_size = page.evaluate(
                "Math.max(...Array.from(document.querySelectorAll('canvas')).map(c => c.width * c.height))")
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [report_page.as_uri()]  # nothing fetched: the page is self-contained
    assert "cv_accuracy" in axes and "lr" in axes  # HiPlot's axes
    assert curve_lines > 5 and time_lines > 5  # matplotlib's lines, band and axes
    assert canvas_size > 100 * 100
    image = Image.open(io.BytesIO(shot)).convert("L")
    low, high = image.getextrema()
    assert high - low > 100 and len(image.getcolors(maxcolors=256) or range(256)) > 20  # drawn, not a blank page
