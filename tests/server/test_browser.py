"""The question page in a real browser: headless Chromium (Debian's `chromium`) over the live server.

A screenshot must be a real picture (sane size, not blank) in which the French and Dutch titles are drawn side
by side, and the DOM Chromium built must hold both titles in their own `lang` cells. Skipped when Chromium is
missing, except on CI (env CI set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 1000
QUESTION = "/eli/dl/doc/WQ-5-8900"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: apt-get install -y chromium")
        pytest.skip("chromium is not installed")
    return found


def run_chromium(binary: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=90, check=False)


# ------------------------------------------------------------------ a small PNG reader (no Pillow needed)
def png_rows(data: bytes, max_rows: int) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, the first `max_rows` unfiltered rows) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = zlib.decompressobj().decompress(bytes(idat), (stride + 1) * max_rows)
    rows, previous = [], bytearray(stride)
    for y in range(min(max_rows, height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        _unfilter(kind, line, previous, bpp)
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        else:
            up_left = previous[i - bpp] if i >= bpp else 0
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF


def dark_columns(row: bytes, bpp: int) -> list[int]:
    """x of the pixels dark enough to be body text (#1d232b); the red header band is not."""
    return [x // bpp for x in range(0, len(row), bpp) if row[x] < 90 and row[x + 1] < 90 and row[x + 2] < 90]


# ------------------------------------------------------------------ the tests
def test_question_page_screenshot(chromium, live_url, tmp_path: Path):
    out = tmp_path / "question.png"
    result = run_chromium(chromium, f"--screenshot={out}", f"--window-size={WIDTH},{HEIGHT}",
                          live_url + QUESTION + ".html")
    assert out.exists(), result.stderr.decode(errors="replace")[-2000:]
    width, height, bpp, rows = png_rows(out.read_bytes(), max_rows=420)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = {row[x:x + 3] for row in rows[::7] for x in range(0, len(row), bpp * 13)}
    assert len(colours) > 8, "the screenshot is blank"
    # French and Dutch titles side by side: between the red header and the grey facts box, lines of text in
    # both halves and none in the gutter between the columns (a title stacked full width would cross it)
    top = next(y for y, row in enumerate(rows) if min(row[10 * bpp:10 * bpp + 3]) > 240)
    facts = next(y for y, row in enumerate(rows[top:], start=top)
                 if row[WIDTH // 2 * bpp:WIDTH // 2 * bpp + 3] in (b"\xf4\xf6\xf8", b"\xd9\xde\xe3"))
    title_rows = [dark_columns(row, bpp) for row in rows[top:facts]]
    both = [xs for xs in title_rows if xs and min(xs) < WIDTH * 0.45 and max(xs) > WIDTH * 0.55]
    gutter = [x for xs in title_rows for x in xs if abs(x - WIDTH // 2) <= 6]
    assert len(both) > 10, "no line above the facts has text in both the left and the right half"
    assert gutter == [], "text crosses the middle of the page: the titles are not in two columns"


def test_rendered_dom_has_both_titles_in_their_language_cells(chromium, live_url):
    result = run_chromium(chromium, "--dump-dom", live_url + QUESTION)
    dom = result.stdout.decode("utf-8", errors="replace")
    assert '<html lang="fr">' in dom, result.stderr.decode(errors="replace")[-2000:]
    h1 = dom[dom.index('<h1 class="pair titles">'):]
    h1 = h1[:h1.index("</h1>")]
    fr = h1.index('lang="fr"')
    nl = h1.index('lang="nl"')
    assert fr < nl
    assert "Services publics fédéraux" in h1[fr:nl]
    assert "Federale overheidsdiensten" in h1[nl:]


# ------------------------------------------------------------------ YASGUI at /sparql, Swagger UI at /api
# Driven by tests/server/browser/page_check.js with playwright-core (npm; `.ci/run` installs it into
# var/node/, or set SENATE_KG_NODE_MODULES to a node_modules folder that has it) and Debian's Chromium.
PAGE_CHECK = Path(__file__).resolve().parent / "browser" / "page_check.js"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SENATE_KG_SCREENSHOTS", ROOT / "var" / "screenshots"))  # var/ is gitignored


def node_modules() -> Path:
    return Path(os.environ.get("SENATE_KG_NODE_MODULES", ROOT / "var" / "node" / "node_modules"))


@pytest.fixture(scope="module")
def page_check(chromium):
    """Runs page_check.js on a URL: what the page requested, the errors it reported, what it found."""
    node = shutil.which("node")
    if not node or not (node_modules() / "playwright-core").is_dir():
        reason = f"node or playwright-core missing (npm install --prefix var/node playwright-core; looked in " \
                 f"{node_modules()})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    def run(url: str, action: str, screenshot: Path) -> dict:
        import json

        screenshot.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([node, str(PAGE_CHECK), chromium, url, action, str(screenshot)], capture_output=True,
                              timeout=150, check=False, env={**os.environ, "NODE_PATH": str(node_modules())})
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
        return json.loads(done.stdout)

    return run


def only_own_host(report: dict, live_url: str) -> None:
    """Every request went to the server under test, and the page said so in its policy."""
    others = [url for url in report["requests"] if not url.startswith(live_url + "/")]
    assert others == [], f"the page requested other hosts: {others}"
    assert report["failed"] == [], report["failed"]
    policy = report["csp"] or ""
    for directive in ("default-src 'none'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy, policy


def test_yasgui_runs_an_example_and_shows_its_table(page_check, live_url):
    shot = SCREENSHOTS / "sparql-yasgui.png"
    report = page_check(live_url + "/sparql?example=questions-per-party", "yasgui", shot)
    assert report["failure"] is None, report
    found = report["found"]
    assert found["plainFormHidden"] is True  # YASGUI replaced the plain form
    assert found["tabs"] and "Questions per party" in found["tabs"][0]
    assert [h for h in found["headers"] if h][:3] == ["party", "party_label", "questions"]
    assert any("org/party/" in cell for row in found["rows"] for cell in row), found["rows"]
    only_own_host(report, live_url)
    # the only console errors allowed: the favicon's 404, and the inline <style> of YASGUI's column resizer,
    # which the policy blocks (the table is drawn without it)
    unexpected = [p for p in report["problems"] if "favicon" not in p and "404" not in p
                  and "Applying inline style violates" not in p]
    assert unexpected == []
    assert shot.stat().st_size > 20_000  # a picture of the page, kept under var/screenshots/
    width, height, _, _ = png_rows(shot.read_bytes(), max_rows=1)
    assert (width, height) == (WIDTH, HEIGHT)


def test_api_viewer_renders_the_openapi_description(page_check, live_url):
    shot = SCREENSHOTS / "api-swagger-ui.png"
    report = page_check(live_url + "/api", "swagger", shot)
    assert report["failure"] is None, report
    found = report["found"]
    assert found["title"].startswith("senate-kg API")
    assert "/api/queries/questions-per-party" in found["operations"] and "/api/search" in found["operations"]
    assert "http://eurovoc.europa.eu/5451" in found["example"]  # the query's `#+ example:` value
    only_own_host(report, live_url)
    assert [p for p in report["problems"] if "404" not in p] == []
    assert shot.stat().st_size > 20_000
