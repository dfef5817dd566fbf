"""What a fetched page is, read from its content (a 200 can be an error page, a block page or a frameset).

Kept free of `mapping/` (the harvester is upstream of it): a light look at the bytes, decoded as UTF-8 or
Windows-1252, entities resolved and tags dropped, is enough to tell a question page (its printed number matches
the one asked) from a "no such question" page, a WAF's challenge, a frameset or anything else.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    QUESTION = "question"  # a question page whose printed number is the one asked
    MISSING = "missing"  # the site says there is no such question
    BLOCKED = "blocked"  # a challenge or block page (a WAF's "checking your browser")
    FRAMESET = "frameset"  # a frameset: its content frame holds the page
    ERROR = "error"  # anything else: an error page (even with status 200), another question, garbage


class Status(StrEnum):
    PENDING = "pending"  # can still change: no answer, not closed
    ANSWERED = "answered"
    CLOSED = "closed"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str = ""
    status: Status | None = None  # for a question page
    frame: str | None = None  # for a frameset: the content frame's src


_TAG = re.compile(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>|<[^>]*>", re.S | re.I)
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"(?:Question (?:écrite )?n[°º]|Schriftelijke vraag nr\.?|Vraag nr\.?)\s*(\d{1,2})-(\d{1,6})",
                     re.I)
_BLOCK = re.compile(r"checking your browser|just a moment\.\.\.|attention required|cf-chl|captcha|access denied|"
                    r"request (?:was )?blocked|unusual traffic|are you a robot|verify you are human", re.I)
_MISSING = re.compile(r"n'existe pas|introuvable|aucune question|bestaat niet|niet gevonden|geen vraag", re.I)
_CLOSED = re.compile(r"Dossier (?:clôturé|cloturé|gesloten)", re.I)
_ANSWERED = re.compile(r"Réponse reçue le|Antwoord ontvangen op|\d/\d{4} ?(?:Réponse|Antwoord)\b", re.I)
_FRAMESET = re.compile(rb"<frameset\b", re.I)
_FRAME = re.compile(rb"<frame\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)[^>]*>", re.I)
_FRAME_NAME = re.compile(rb"\bname\s*=\s*[\"']?(\w+)", re.I)
_CONTENT_NAMES = (b"main", b"content", b"body", b"inhoud", b"contenu")


def page_text(body: bytes) -> str:
    """Bytes -> visible text, roughly: enough to classify, not the rendering the build uses (mapping/html.py)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text)))


def content_frame(body: bytes) -> str | None:
    """The frame that holds the document: one that names a question page, else one named like content, else
    the last (navigation frames come first on such sites)."""
    frames = [(m[1].decode("latin-1"), _FRAME_NAME.search(m[0])) for m in _FRAME.finditer(body)]
    if not frames:
        return None
    for src, _ in frames:
        if "Vragen/" in src:
            return html.unescape(src)
    for src, name in frames:
        if name and name[1].lower() in _CONTENT_NAMES:
            return html.unescape(src)
    return html.unescape(frames[-1][0])


def question_status(text: str) -> Status:
    if _CLOSED.search(text):
        return Status.CLOSED
    return Status.ANSWERED if _ANSWERED.search(text) else Status.PENDING


def classify(body: bytes, http_status: int, legislature: int, number: int) -> Verdict:
    """The verdict on one response to a request for question `legislature-number`."""
    text = page_text(body)
    numbers = {(int(m[1]), int(m[2])) for m in _NUMBER.finditer(text[:5000])}
    if http_status == 200 and (legislature, number) in numbers:  # first: a question's text may say "captcha"
        return Verdict(Kind.QUESTION, status=question_status(text))
    if http_status in (401, 403) or (http_status < 500 and _BLOCK.search(text[:20_000])):
        return Verdict(Kind.BLOCKED, f"HTTP {http_status}: a challenge or block page")
    if _FRAMESET.search(body[:20_000]):
        frame = content_frame(body)
        return Verdict(Kind.FRAMESET, "frameset", frame=frame) if frame else Verdict(Kind.ERROR, "empty frameset")
    if http_status == 404 or _MISSING.search(text[:5000]):
        return Verdict(Kind.MISSING, f"HTTP {http_status}: no such question")
    if numbers:
        shown = ", ".join(f"{leg}-{nr}" for leg, nr in sorted(numbers))
        return Verdict(Kind.ERROR, f"HTTP {http_status}: the page is question {shown}, not {legislature}-{number}")
    return Verdict(Kind.ERROR, f"HTTP {http_status}: not a question page ({text[:60].strip()!r})")
