"""HTML page bytes -> the page text `mapping.parse` reads. No rdflib, no HTTP: bytes and headers in, text out.

Why it sits here: the parser's grammar is written against the text rendering of a senate.be page (the samples);
rendering the HTML to that same text keeps one grammar for both inputs, so a page's HTML and its text give the
same record.

Decoding (`decode_html`), in the order the issue states and never failing: a byte-order mark is unambiguous and
wins; then the charset of the HTTP `Content-Type`, then the page's `<meta charset>`; a declaration that does not
fit the bytes is overruled. Non-ASCII bytes that are valid UTF-8 are UTF-8 whatever the page declares (legacy
French/Dutch text is practically never valid UTF-8, see `mapping.text.decode_bytes`); a legacy declaration
(ISO-8859-1, the site's usual one) is read as Windows-1252, its superset for printable text, as browsers do;
anything else falls back to Windows-1252 with Latin-1 for its five undefined bytes.

Rendering (`render_html`) uses lxml's HTML parser (libxml2): it is C-fast (the build renders thousands of pages),
it repairs the old-style markup such sites serve (unclosed `<p>`, `<font>` soup, nested tables) without giving up,
and it is already the most widely deployed Python HTML parser. html5lib follows the WHATWG algorithm exactly but
is pure Python and ~10x slower; selectolax is as fast but its tree API is thinner. Rules: block elements and
`<br>` end lines; `<hr>` is a rule line of underscores (as text browsers and the samples show it); `<p>` and
headings are paragraphs (a blank line around them); a table row is one line of its cells joined by a space,
unless a cell holds several lines (a `<br>`-joined list), then each cell is a block of its own, in order;
entities are decoded, scripts, styles and comments dropped. A document cut short (its bytes end in text, not in
markup) renders without a final newline, as a cut text excerpt does, so the parser drops its last line.
"""

from __future__ import annotations

import codecs
import re

import lxml.html
from lxml import etree

from mapping.errors import ParseError
from mapping.text import MAX_PAGE_BYTES

FALLBACK = "windows-1252"
# Legacy single-byte declarations read as Windows-1252 (WHATWG encoding standard: the labels of windows-1252).
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp1252",
                        "windows-1252", "x-cp1252", "cp819", "ibm819", "iso-ir-100", "iso_8859-1"})
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
META_SNIFF_BYTES = 4096  # browsers look for the meta charset in the first 1024 bytes; old pages put it later

def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


BLOCKS = _names("""address article aside blockquote body center dd details dir div dl dt fieldset figcaption
figure footer form frame frameset header hr html legend li main menu nav noframes ol section summary ul
caption thead tbody tfoot""")
PARAGRAPHS = _names("p h1 h2 h3 h4 h5 h6 pre table")
DROPPED = _names("script style head noscript template select option button iframe object embed")
CELLS = frozenset({"td", "th"})
RULE_TEXT = "________________"
_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")  # HTML white space only: a non-breaking space is text


# ------------------------------------------------------------------------------------------------ decoding
def _charset_name(label: str | None) -> str | None:
    """A declared label -> a Python codec name, or None when Python does not know it (then it is ignored)."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return FALLBACK
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charsets(raw: bytes, content_type: str | None) -> list[str]:
    """The declarations in the order they count: the HTTP header's, then the meta tag's."""
    found = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        found.append(m[1])
    if m := _META_CHARSET.search(raw[:META_SNIFF_BYTES]):
        found.append(m[1].decode("ascii", "replace"))
    return [name for label in found if (name := _charset_name(label))]


def _strict(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """HTML bytes -> (text, encoding used). Never raises on any bytes."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding, errors="replace"), encoding
    if not raw.isascii() and (text := _strict(raw, "utf-8")) is not None:
        return text, "utf-8"  # valid non-ASCII UTF-8 is UTF-8, even when the page says Latin-1 (a lying meta)
    for encoding in declared_charsets(raw, content_type):
        if encoding == "utf-8" or encoding.startswith("utf-16"):
            continue  # declared UTF but not valid UTF (checked above): the declaration lies
        if (text := _strict(raw, encoding)) is not None:
            return text, encoding
    return raw.decode("cp1252", errors="senate-kg-cp1252"), FALLBACK


# ------------------------------------------------------------------------------------------------ rendering
class _Lines:
    """Accumulates rendered text: words joined by single spaces, pending breaks (1: new line, 2: blank line)
    emitted only between pieces of text, so no block ever adds leading or doubled empty lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending = 0
        self.at_line_start = True
        self.space = False

    def text(self, text: str | None) -> None:
        if not text:
            return
        collapsed = _SPACE_RUN.sub(" ", text)
        if collapsed[:1] == " ":
            self.space = True
            collapsed = collapsed[1:]
        if not collapsed:
            return
        if self.parts and self.pending:
            self.parts.append("\n" * self.pending)
            self.at_line_start = True
        elif self.space and not self.at_line_start:
            self.parts.append(" ")
        self.pending = 0
        trailing = collapsed.endswith(" ")
        self.parts.append(collapsed.rstrip(" ") if trailing else collapsed)
        self.space = trailing
        self.at_line_start = False

    def raw_lines(self, text: str) -> None:
        """A cell's own rendered lines, its line breaks and blank lines kept."""
        for i, line in enumerate(text.split("\n")):
            if i:
                self.brk(1 if line else 2)
            self.text(line)

    def brk(self, kind: int) -> None:
        self.pending = max(self.pending, kind)
        self.space = False

    def result(self) -> str:
        return "".join(self.parts)


def _tag(element: etree._Element) -> str | None:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else None  # comments and processing instructions have no str tag


def _walk(element: etree._Element, out: _Lines) -> None:
    tag = _tag(element)
    if tag is None or tag in DROPPED:
        return
    if tag == "br":
        out.brk(1)
        return
    if tag == "tr":
        _row(element, out)
        return
    if tag == "hr":  # a rule line, as text browsers draw it and as the samples show it: a block separator
        out.brk(1)
        out.text(RULE_TEXT)
        out.brk(1)
        return
    kind = 2 if tag in PARAGRAPHS else 1 if tag in BLOCKS or tag in CELLS else 0
    if kind:
        out.brk(kind)
    out.text(element.text)
    for child in element:
        _walk(child, out)
        out.text(child.tail)
    if kind:
        out.brk(kind)


def _render_children(element: etree._Element) -> str:
    inner = _Lines()
    inner.text(element.text)
    for child in element:
        _walk(child, inner)
        inner.text(child.tail)
    return inner.result()


def _row(row: etree._Element, out: _Lines) -> None:
    """A table row: one line of its cells when each is one line, else each cell a block of its own, in order."""
    cells = [_render_children(cell) for cell in row if _tag(cell) in CELLS]
    cells = [cell for cell in cells if cell]  # a cell of one &nbsp; is kept: it is a blank line
    out.brk(1)
    if all("\n" not in cell for cell in cells):
        out.text(" ".join(cells))
    else:
        for cell in cells:
            out.brk(1)
            out.raw_lines(cell)
    out.brk(1)


def _ends_in_markup(raw: bytes) -> bool:
    """Whether the document was received whole: complete HTML ends with a tag, a page cut short in its text."""
    return raw.rstrip()[-1:] == b">"


def _document(text: str, source: str) -> etree._Element:
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(source, "html", f"no HTML document could be read ({exc})") from exc


def render_html(raw: bytes, source: str, content_type: str | None = None) -> str:
    """HTML bytes -> page text for `mapping.parse.parse_page`; raises ParseError naming `source` when the bytes
    hold no document at all (empty) or are too large to be a page."""
    if len(raw) > MAX_PAGE_BYTES:
        raise ParseError(source, "size", f"{len(raw)} bytes is over the {MAX_PAGE_BYTES}-byte limit for a page")
    text, _ = decode_html(raw, content_type)
    text = text.replace("\x00", "")  # libxml2 stops at a NUL
    if not text.strip():
        raise ParseError(source, "html", "the page is empty")
    out = _Lines()
    _walk(_document(text, source), out)
    rendered = out.result()
    return rendered + "\n" if _ends_in_markup(raw) else rendered


def looks_like_html(raw: bytes) -> bool:
    """A page given without a telling suffix: HTML when its first markup is a doctype or an html/head/body tag."""
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<frameset", b"<meta", b"<!--"))
