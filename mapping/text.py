"""Text primitives the page parser is built from: decoding, normalising, dates, paragraphs, language evidence.

Nothing here knows a page layout; `mapping.parse` composes these pieces. Vocabulary (month names, stop words)
is data, in the tables below, so that a new spelling is a one-line change rather than a new branch.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence

MAX_PAGE_BYTES = 2_000_000  # a real question page is < 100 KB; anything far larger is not a page (or an attack)

# ------------------------------------------------------------------------------------------------ decoding
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")  # bytes Windows-1252 leaves undefined


def _cp1252_with_latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; read them as Latin-1 (then dropped as control characters)
    instead of failing the whole page on one stray byte."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(b) for b in bad), exc.end


codecs.register_error("senate-kg-cp1252", _cp1252_with_latin1_fallback)


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding name). UTF-8 first (with or without BOM): legacy French/Dutch text in
    Windows-1252 is practically never valid UTF-8, so a strict UTF-8 success is a reliable verdict. Otherwise
    Windows-1252, whose undefined bytes fall back to Latin-1: decoding never fails."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="senate-kg-cp1252"), "windows-1252"


# ------------------------------------------------------------------------------------------------ normalising
_NEWLINES = re.compile(r"[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # after "\r\n" -> "\n"
_SPACE = r"[\t \xa0\u1680\u2000-\u200a\u202f\u205f\u3000]"  # tabs and every Unicode space
# Only what is not already one plain space: matching each plain space too made this the parser's hot spot.
_SPACES = re.compile(rf"[\t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]{_SPACE}*| {_SPACE}+")
# C0/C1 controls, zero-width characters, BOMs, lone surrogates and non-characters: nothing a reader can see,
# and several are illegal in XML (RDF/XML, HTML) downstream.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ud800-\udfff"
                        r"\ufdd0-\ufdef\ufffe\uffff]")


def normalise_line(line: str) -> str:
    """One line as the parser sees it: invisible characters removed, every run of (non-breaking) spaces one
    plain space, stripped. Collapsing space runs keeps the grammar's regexes linear and makes the same text
    compare equal across layouts (the print views pad with non-breaking spaces, the detail pages do not)."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def normalise_text(text: str) -> str:
    """Text -> lines joined by "\\n", each normalised as `normalise_line` does; every Unicode line break becomes
    "\\n". Whole-text substitutions: one regex pass per page, not one per line."""
    text = _SPACES.sub(" ", _INVISIBLE.sub("", _NEWLINES.sub("\n", text.replace("\r\n", "\n"))))
    return "\n".join(line.strip() for line in text.split("\n"))


_LINE_ENDS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def ends_with_newline(text: str) -> bool:
    """Whether the page's last line is terminated. A page cut short (the excerpts are cut at 2,000 bytes)
    ends mid-line: that last line may be incomplete and its structured facts cannot be trusted."""
    return _SPACES.sub("", _INVISIBLE.sub("", text[-200:])).endswith(_LINE_ENDS)


# ------------------------------------------------------------------------------------------------ dates
MONTHS: dict[str, int] = {
    # French
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "août": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    # French as printed without accents (older pages, some mojibake repairs)
    "fevrier": 2, "aout": 8, "decembre": 12,
    # Dutch
    "januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7, "augustus": 8,
    "september": 9, "oktober": 10, "november": 11, "december": 12,
}
MONTH_NAMES: dict[str, tuple[str, ...]] = {  # for formatting: index 0 is January
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}

# Fragments to compose the grammar's regexes from (no nested quantifiers: linear on any input).
NUMERIC_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
LONG_DATE = r"\d{1,2}(?:er)? [^\W\d_]{3,9} \d{4}"  # "30 avril 2013", "1er mars 2013", "30 april 2013"
ANY_DATE = rf"(?:{NUMERIC_DATE}|{LONG_DATE})"

_NUMERIC_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_LONG_DATE = re.compile(r"(\d{1,2})(?:er)? ([^\W\d_]+) (\d{4})", re.I)


def _calendar_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a calendar date ({exc})") from exc


def parse_date(text: str) -> dt.date:
    """"30/4/2013", "30 avril 2013", "1er mars 2013" or "30 april 2013" -> date (the whole text, strict).
    Raises ValueError saying why; the parser turns it into a ParseError naming the field."""
    text = " ".join(text.split())  # str.split() also splits on non-breaking spaces
    if m := _NUMERIC_DATE.fullmatch(text):
        return _calendar_date(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _LONG_DATE.fullmatch(text):
        month = MONTHS.get(m[2].lower())
        if month is None:
            raise ValueError(f"{text!r}: unknown month name {m[2]!r}")
        return _calendar_date(int(m[3]), month, int(m[1]), text)
    raise ValueError(f"{text!r} is not a date (expected d/m/yyyy or 'd month yyyy')")


def format_date(date: dt.date, style: str = "numeric") -> str:
    """The inverse of `parse_date` in the page's notations: style "numeric" ("30/4/2013"), "fr" ("30 avril 2013",
    "1er mars 2013") or "nl" ("30 april 2013")."""
    if style == "numeric":
        return f"{date.day}/{date.month}/{date.year:04d}"
    names = MONTH_NAMES.get(style)
    if names is None:
        raise ValueError(f"unknown date style {style!r}: expected numeric, fr or nl")
    day = "1er" if style == "fr" and date.day == 1 else str(date.day)
    return f"{day} {names[date.month - 1]} {date.year:04d}"


# ------------------------------------------------------------------------------------------------ paragraphs
def paragraphs(lines: Iterable[str]) -> str:
    """Lines (already normalised) -> paragraphs joined by a blank line; a paragraph is a run of non-blank lines
    (joined by "\\n"), so the text keeps the page's own breaks and nothing else."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return "\n\n".join("\n".join(block) for block in blocks if block)


# ------------------------------------------------------------------------------------------------ language
def _wordset(words: str) -> frozenset[str]:
    """A word list written as prose-like lines: easier to read and extend than a quoted list."""
    return frozenset(words.split())


# Function words frequent in one of the two languages and absent (or rare) in the other. "de", "en" and
# "a" are deliberately missing from the Dutch list: they are French words too ("de" = of, "en" = in).
FRENCH_WORDS = _wordset("""
le la les des du et au aux un une est sont pour par sur dans avec que qui ne pas ce cette ces cet il elle ils
elles son sa ses leur leurs vous nous votre vos notre nos je mon ma mes y on été être ont avez sommes plus mais
ou où quel quelle quels quelles comment combien pourquoi aussi également selon entre chez sans sous vers afin
dont lors depuis ainsi fait peut doit ministre question réponse monsieur madame tous toutes tout très si
l' d' qu' n' j' s' c' à a
""")
DUTCH_WORDS = _wordset("""
het een van voor met op aan te door bij is zijn niet dat die wordt worden er om naar ook als uw u ik wat hoe
hoeveel welke welk deze dit hij zij we wij heeft hebben kan kunnen zal zullen nog maar of over tot uit onder
geen meer werd werden zo dan daar hier mijn ons onze hun haar wel reeds bent ben heb zich binnen tussen
waarom wanneer minister vraag antwoord mevrouw mijnheer alle zeer ter per sinds
""")
_WORD = re.compile(r"[^\W\d_]+'?")  # "l'" and "d'" are words of their own: the surest French evidence
_FRENCH_LETTERS = re.compile(r"[éèêàâçôûîùœ]")
_DUTCH_CLUSTERS = re.compile(r"ij|aa|uu|oe|sch|cht")  # rare in French, everywhere in Dutch


@functools.lru_cache(maxsize=1 << 16)
def word_evidence(word: str) -> float:
    """How French (> 0) or Dutch (< 0) one lower-case word is: a function word counts 1, a spelling cue 0.5.
    Cached: a page repeats its words, and a corpus its vocabulary."""
    if word in FRENCH_WORDS:
        return 1.0
    if word in DUTCH_WORDS:
        return -1.0
    if _FRENCH_LETTERS.search(word):
        return 0.5
    if len(word) > 2 and _DUTCH_CLUSTERS.search(word):
        return -0.5
    return 0.0


EVIDENCE_SAMPLE = 400  # characters of a paragraph read for its language: some 60 words decide it


def language_evidence(text: str, sample: int | None = EVIDENCE_SAMPLE) -> float:
    """Sum of word evidence over the first `sample` characters (None: all): > 0 reads French, < 0 Dutch,
    0 undecided (numbers, URLs, proper names)."""
    text = text if sample is None else text[:sample]
    return sum(map(word_evidence, _WORD.findall(text.lower().replace("’", "'"))))


@functools.lru_cache(maxsize=1 << 16)
def token_evidence(token: str) -> float:
    """`language_evidence` of one space-separated token (a title word), cached: titles repeat their words."""
    return language_evidence(token, None)


def split_point(scores: Sequence[float], prefer: float | None = None, tolerance: float = 0.0) -> int:
    """Where a French run followed by a Dutch run switches: the k in 0..n maximising the French evidence before
    k minus the French evidence from k on (the bilingual views print FR then NL with no separator).

    Ties, and candidates within `tolerance` of the best, go to the one nearest `prefer` (the middle, when both
    halves are expected to be parallel translations); k = n means "all French", k = 0 "all Dutch".
    """
    n = len(scores)
    prefer = n / 2 if prefer is None else prefer
    prefix = [0.0]
    for s in scores:
        prefix.append(prefix[-1] + s)
    best = max(prefix)
    candidates = [k for k in range(n + 1) if prefix[k] >= best - tolerance]
    return min(candidates, key=lambda k: (abs(k - prefer), -prefix[k]))
