"""Property tests: mutated real pages give a Question or a ParseError (never anything else, never slowly);
dates round-trip through their printed forms; the FR/NL switch is found in any FR-then-NL run of real text."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.errors import ParseError
from mapping.model import LANGUAGES, Question
from mapping.parse import _split_lines, parse_page
from mapping.text import format_date, normalise_text, paragraphs, parse_date

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "data" / "samples"
PAGES = [p.read_text("utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
PAGES += [p.read_text("utf-8") for p in sorted((HERE / "golden" / "negative").glob("*.txt"))]
COMPLETE = (SAMPLES / "000_a9f2765591931727.txt").read_text("utf-8")
SLOW = 0.5  # seconds: a mutated page of < 12 KB parses in a few milliseconds

MUTATIONS = ("delete", "duplicate", "swap", "truncate", "insert", "replace", "join")
TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["\xa0", "\r", "\r\n", "\u2028", "\x00", "\ufeff", "________", "30/2/2013", "(", ")", ":", " : ",
     "Question écrite n° 5-8900", "Rappel", "Aussi posée à : question écrite 5-1", "du 31 avril 2013", "1er"])


@st.composite
def mutated_page(draw) -> str | bytes:
    """A real page with a few line-level and character-level mutations, as text or as UTF-8/cp1252 bytes."""
    lines = draw(st.sampled_from(PAGES)).split("\n")
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(MUTATIONS))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        j = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            lines = [draw(TEXT)]
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            cut = "\n".join(lines)
            lines = cut[:draw(st.integers(0, len(cut)))].split("\n")
        elif op == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(TEXT) + lines[i][pos:]
        elif op == "replace":
            lines[i] = draw(TEXT)
        elif op == "join" and i + 1 < len(lines):
            lines[i:i + 2] = [lines[i] + " " + lines[i + 1]]
    page = "\n".join(lines)
    encoding = draw(st.sampled_from(["str", "utf-8", "cp1252"]))
    return page if encoding == "str" else page.encode(encoding, errors="replace")


def _check_record(q: Question) -> None:
    """What any record the parser returns must satisfy, whatever the page."""
    assert q.legislature >= 0 and q.number >= 0
    for values in (q.addressee, q.title, q.question_text, q.answer_text):
        assert set(values) <= set(LANGUAGES)
        for text in values.values():
            assert text and text == text.strip() and "\xa0" not in text and "\r" not in text
    assert q.identifier not in q.also_asked and len(set(q.also_asked)) == len(q.also_asked)
    assert len({(e.kind, e.date) for e in q.events}) == len(q.events)
    assert all(isinstance(e.date, dt.date) for e in q.events)
    assert q.original_language in (None, *LANGUAGES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_page())
def test_mutated_pages_give_a_record_or_a_parse_error(page):
    start = time.perf_counter()
    try:
        q = parse_page(page, "mutated.txt")
    except ParseError as err:
        assert err.source == "mutated.txt" and err.field and err.reason
        assert not err.reason.startswith("parser failure"), err  # a bug caught by parse_page's last resort
    else:
        _check_record(q)
    assert time.perf_counter() - start < SLOW


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=3000))
def test_arbitrary_text_gives_a_record_or_a_parse_error(text):
    try:
        parse_page("SÉNAT DE BELGIQUE BELGISCHE SENAAT\n" + text, "any.txt")
    except ParseError as err:
        assert not err.reason.startswith("parser failure"), err


@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["numeric", "fr", "nl"]))
def test_dates_round_trip(date, style):
    assert parse_date(format_date(date, style)) == date


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_long_dates_read_in_any_case(date):
    assert parse_date(format_date(date, "fr").upper()) == date
    assert parse_date(format_date(date, "nl").title()) == date


@given(st.text(max_size=200))
def test_normalising_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


def _answer_paragraphs() -> tuple[list[str], list[str]]:
    body = COMPLETE.split("Antwoord ontvangen op 30 mei 2013 :")[1]
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    return paras[:13], paras[13:]


FR_ANSWER, NL_ANSWER = _answer_paragraphs()


@given(st.integers(0, 12), st.integers(1, 13), st.integers(0, 12), st.integers(1, 13))
def test_language_switch_found_in_any_run_of_real_paragraphs(fr_start, fr_len, nl_start, nl_len):
    """Any slice of the real FR answer followed by any slice of the real NL answer splits where it should."""
    fr, nl = FR_ANSWER[fr_start:fr_start + fr_len], NL_ANSWER[nl_start:nl_start + nl_len]
    lines = "\n\n".join(fr + nl).split("\n")
    left, right = _split_lines(lines)
    assert paragraphs(left).split("\n\n") == fr
    assert paragraphs(right).split("\n\n") == nl
