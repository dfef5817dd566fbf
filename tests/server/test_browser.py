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
