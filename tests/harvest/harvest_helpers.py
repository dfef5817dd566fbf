"""Helpers of the harvester's tests (the fixtures are in conftest.py): the stand-in site's pages, made from the
sample pages or from bench/synthetic.py's pages. Nothing here contacts any other host."""

from __future__ import annotations

from pathlib import Path

from harvest.site import PageKey
from harvest.standin import Page
from harvest.synthetic_html import make_html
from tests.corpora import load_bench

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
# The samples the harvester would fetch for legislature 5: the print view of 5-8904 (LANG=fr) and the detail
# pages of the others; 5-8902 (only a monolingual print view, which the harvester does not ask for) and the
# numbers between are gaps.
E2E_SAMPLES = ("SVPrintNLFR_LEG5_NR8904_LANGfr", "SchriftelijkeVraag_LEG5_NR8900_LANGfr",
               "SchriftelijkeVraag_LEG5_NR8900_LANGnl", "SchriftelijkeVraag_LEG5_NR8901_LANGnl",
               "SchriftelijkeVraag_LEG5_NR8905_LANGfr", "SchriftelijkeVraag_LEG5_NR8905_LANGnl",
               "SchriftelijkeVraag_LEG5_NR8906_LANGfr", "SchriftelijkeVraag_LEG5_NR8912_LANGfr",
               "SchriftelijkeVraag_LEG5_NR8916_LANGfr", "SchriftelijkeVraag_LEG5_NR8916_LANGnl")


def key_of(name: str) -> PageKey:
    layout, leg, nr, lang = name.split("_")
    return PageKey(layout, int(leg[3:]), int(nr[2:]), lang[4:])


def sample_files(names=E2E_SAMPLES) -> list[Path]:
    return [SAMPLES / f"{name}.excerpt.txt" for name in names]


def sample_site_pages(markup: str = "table") -> dict[PageKey, Page]:
    pages = {}
    for name, path in zip(E2E_SAMPLES, sample_files(), strict=True):
        text = path.read_text("utf-8")
        pages[key_of(name)] = Page(make_html(text, markup), "text/html", text)
    return pages


def synthetic_texts(count: int) -> dict[int, str]:
    """number -> page text of bench/synthetic.py's pages (legislature 99)."""
    synthetic = load_bench("synthetic")
    return {page.expected.number: page.text for page in synthetic.generate(count, seed=1)}


def synthetic_site_pages(texts: dict[int, str], markup: str = "div") -> dict[PageKey, Page]:
    return {PageKey("SVPrintNLFR", 99, n, "fr"): Page(make_html(t, markup), "text/html", t) for n, t in texts.items()}


FAST = ("--delay", "0", "--timeout", "0.5", "--retries", "2", "--backoff", "0.01")
