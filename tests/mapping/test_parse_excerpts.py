"""Every bundled excerpt against the header facts written down by reading it (golden/excerpts.json), and the
two older bulletin pages that must be refused with their own reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mapping.errors import ParseError
from mapping.parse import parse_page

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "data" / "samples"
GOLDEN = {k: v for k, v in json.loads((HERE / "golden" / "excerpts.json").read_text("utf-8")).items()
          if not k.startswith("_")}
NEGATIVE = sorted((HERE / "golden" / "negative").glob("viewPubDoc_*.txt"))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def test_every_bundled_excerpt_has_expected_values():
    assert sorted(GOLDEN) == sorted(p.name for p in SAMPLES.glob("*.excerpt.txt"))


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_excerpt_header_facts(name: str):
    want = GOLDEN[name]
    path = SAMPLES / name
    q = parse_page(path.read_bytes(), str(path))
    (page,) = q.sources
    assert (page.layout.value, page.language, page.source) == (want["layout"], want["language"], str(path))
    assert q.identifier == want["identifier"]
    assert q.session == want["session"]
    assert _iso(q.date) == want["date"]
    assert (q.author, q.party) == (want["author"], want["party"])
    assert q.addressee == want["addressee"]
    assert q.title == want["title"]
    assert [[d.fr, d.nl] for d in q.descriptors] == want["descriptors"]
    assert [[e.kind.value, _iso(e.date), _iso(e.deadline)] for e in q.events] == want["events"]
    assert list(q.also_asked) == want["also_asked"]
    assert list(q.reintroduced_as) == want["reintroduced_as"]
    assert q.original_language == want["original_language"]
    assert _iso(q.answer_date) == want["answer_date"]
    assert set(q.question_text) == set(want["question_text_starts"])
    for lang, start in want["question_text_starts"].items():
        assert q.question_text[lang].startswith(start)
    assert set(q.answer_text) == set(want["answer_text_starts"])
    for lang, start in want["answer_text_starts"].items():
        assert q.answer_text[lang].startswith(start)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_excerpt_cut_mid_text_publishes_what_is_there(name: str):
    """The excerpts end mid-word: the text read is a prefix of the page, never padded, never empty strings."""
    path = SAMPLES / name
    q = parse_page(path.read_bytes(), str(path))
    raw = " ".join(path.read_text("utf-8").split())
    for text in (*q.question_text.values(), *q.answer_text.values(), *q.title.values()):
        assert text and text == text.strip()
        assert " ".join(text.split()) in raw


def test_sibling_line_cut_without_number_is_ignored():
    """SVPrintNLFR 8904 (fr) ends with 'Aussi posée à :' and no number: no sibling is made up from it."""
    path = SAMPLES / "SVPrintNLFR_LEG5_NR8904_LANGfr.excerpt.txt"
    assert path.read_text("utf-8").endswith("Aussi posée à :")
    q = parse_page(path.read_bytes(), str(path))
    assert len(q.also_asked) == 18 and "5-8904" not in q.also_asked


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_older_bulletin_pages_are_refused_with_their_reason(path: Path):
    assert len(NEGATIVE) == 2
    with pytest.raises(ParseError) as info:
        parse_page(path.read_bytes(), str(path))
    err = info.value
    assert err.field == "layout" and err.source == str(path) and err.line == 1
    assert "older" in err.reason and "bulletin" in err.reason.lower() and "question header" in err.reason
