"""HTML -> page text (mapping/html.py): every sample's record read from its SYNTHETIC HTML (two markups, ISO-8859-1
and Windows-1252, harvest/synthetic_html.py) equals the record read from its text; decoding never crashes and
overrules a declaration that does not fit the bytes."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvest.synthetic_html import MARKUPS, make_html
from mapping.errors import ParseError
from mapping.html import decode_html, render_html
from mapping.parse import parse_page

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
QUESTION_SAMPLES = sorted(p for p in SAMPLES.glob("*.txt") if not p.name.startswith(("SOURCES", "viewPubDoc")))


def record(text: str | bytes, source: str = "page"):
    return dataclasses.replace(parse_page(text, source), sources=())


@pytest.mark.parametrize("markup", MARKUPS)
@pytest.mark.parametrize("sample", QUESTION_SAMPLES, ids=lambda p: p.name)
def test_record_from_html_equals_record_from_text(sample: Path, markup: str) -> None:
    text = sample.read_text("utf-8")
    html = make_html(text, markup)
    assert record(render_html(html, sample.name)) == record(text)


@pytest.mark.parametrize("encoding", ["iso-8859-1", "windows-1252", "utf-8"])
def test_every_encoding_with_a_true_declaration(encoding: str) -> None:
    text = (SAMPLES / "SchriftelijkeVraag_LEG5_NR8900_LANGfr.excerpt.txt").read_text("utf-8")
    assert record(render_html(make_html(text, "div", encoding), "p")) == record(text)


def test_a_lying_meta_charset_is_overruled() -> None:
    text = (SAMPLES / "SchriftelijkeVraag_LEG5_NR8905_LANGfr.excerpt.txt").read_text("utf-8")
    lying = make_html(text, "table", "windows-1252", meta_charset="utf-8")
    assert decode_html(lying)[1] == "windows-1252"
    assert record(render_html(lying, "p", "text/html; charset=utf-8")) == record(text)
    utf8_said_latin1 = make_html(text, "table", "utf-8", meta_charset="iso-8859-1")
    assert decode_html(utf8_said_latin1, "text/html; charset=iso-8859-1")[1] == "utf-8"


def test_header_charset_before_meta_and_bom_first() -> None:
    body = "<html><head><meta charset='koi8-r'></head><body><p>été €</p></body></html>"
    assert decode_html(body.encode("cp1252"), "text/html; charset=windows-1252") == (body, "windows-1252")
    assert decode_html(b"\xef\xbb\xbf" + body.encode("utf-8"), "text/html; charset=iso-8859-1")[1] == "utf-8"


def test_rendering_rules() -> None:
    html = (b"<html><head><style>p{}</style><script>alert(1)</script></head><body><!-- note -->"
            b"<p>one&nbsp;two &eacute;t&eacute;<br>three</p><table><tr><td>a</td><td>b</td></tr>"
            b"<tr><td>x<br>y</td><td>z</td></tr></table><div>end</div></body></html>")
    assert render_html(html, "p").split("\n") == ["one\xa0two été", "three", "", "a b", "x", "y", "z", "", "end", ""]


def test_a_cut_document_has_no_final_newline() -> None:
    assert render_html(b"<html><body><p>complete</p></body></html>", "p").endswith("\n")
    assert render_html(b"<html><body><p>cut in the midd", "p") == "cut in the midd"


def test_empty_and_huge_pages_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="empty"):
        render_html(b"  ", "empty.html")
    with pytest.raises(ParseError) as caught:
        render_html(b"<p>" + b"x" * 2_100_000, "huge.html")
    assert caught.value.field == "size"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "text/html; charset=utf-8", "text/html; charset=bogus"]))
def test_decoding_and_rendering_never_crash(raw: bytes, content_type: str | None) -> None:
    decode_html(raw, content_type)
    with contextlib.suppress(ParseError):
        render_html(raw, "fuzz.html", content_type)
