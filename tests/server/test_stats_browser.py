"""/stats and a senator page in headless Chromium (issue 12): the charts are drawn (each SVG has one bar per row
of its table, every bar with a size), nothing is wider than the window at 1280 and 390 px, and the pages load
nothing from another host. The screenshots are kept in var/screenshots/ (stats-1280.png, stats-390.png,
senator-1280.png, senator-390.png). Driven by tests/server/browser/chart_check.js with playwright-core, as
test_browser.py drives YASGUI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server.test_browser import SCREENSHOTS, node_modules, png_rows

pytestmark = pytest.mark.browser
CHART_CHECK = Path(__file__).resolve().parent / "browser" / "chart_check.js"
SENATOR = "/person/martine-taelman"


@pytest.fixture(scope="module")
def chart_check():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    node = shutil.which("node")
    if not chromium or not node or not (node_modules() / "playwright-core").is_dir():
        reason = f"chromium, node or playwright-core missing (looked in {node_modules()})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    def run(url: str, width: int, screenshot: Path) -> dict:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([node, str(CHART_CHECK), chromium, url, str(width), str(screenshot)],
                              capture_output=True, timeout=150, check=False,
                              env={**os.environ, "NODE_PATH": str(node_modules())})
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
        return json.loads(done.stdout)

    return run


def check_drawn(report: dict, live_url: str, width: int) -> None:
    assert report["status"] == 200
    assert report["charts"], "no chart on the page"
    for chart in report["charts"]:
        assert chart["tableRows"] == chart["rows"] > 0, chart["key"]
        assert len(chart["bars"]) == chart["rows"], f"{chart['key']}: {len(chart['bars'])} bars, {chart['rows']} rows"
        # a bar of 0 (an office that answered nothing) is drawn flat: one side only; the others have both
        assert all(bar["width"] > 0 or bar["height"] > 0 for bar in chart["bars"]), chart["key"]
        assert any(bar["width"] > 0 and bar["height"] > 0 for bar in chart["bars"]), chart["key"]
        assert 0 < chart["svgWidth"] <= width and chart["svgHeight"] > 50, chart
        assert chart["alt"] and len(chart["alt"]) > 40
    assert report["scrollWidth"] <= report["clientWidth"], (report["scrollWidth"], report["wide"])
    assert report["wide"] == [], report["wide"]
    others = [url for url in report["requests"] if not url.startswith(live_url + "/")]
    assert others == [], others
    assert [p for p in report["problems"] if "favicon" not in p and "404" not in p] == []


@pytest.mark.parametrize("width", [1280, 390])
def test_stats_page_draws_its_charts_and_fits(chart_check, live_url, width):
    shot = SCREENSHOTS / f"stats-{width}.png"
    report = chart_check(live_url + "/stats", width, shot)
    check_drawn(report, live_url, width)
    assert {c["key"] for c in report["charts"]} == {"months", "office-delay", "office-answered", "languages"}
    assert png_rows(shot.read_bytes(), max_rows=1)[0] == width and shot.stat().st_size > 20_000


@pytest.mark.parametrize("width", [1280, 390])
def test_senator_page_draws_its_chart_and_fits(chart_check, live_url, width):
    shot = SCREENSHOTS / f"senator-{width}.png"
    report = chart_check(live_url + SENATOR, width, shot)
    check_drawn(report, live_url, width)
    assert [c["key"] for c in report["charts"]] == ["years"]
    assert png_rows(shot.read_bytes(), max_rows=1)[0] == width
