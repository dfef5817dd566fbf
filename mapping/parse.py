"""Page text -> Question record, for every senate.be question page layout. Imports neither rdflib nor Flask.

The three layouts (mapping.layouts) share one grammar, read top to bottom:

    banner                       "SÉNAT DE BELGIQUE BELGISCHE SENAAT" | "BELGISCHE SENAAT" | "Version à imprimer …"
    header region                session, date, number, author(s), addressee(s), title, descriptors,
                                 chronology events, relations ("Aussi posée à : question écrite 5-8901")
    question header + text       "Question n° 5-8900 du 30 avril 2013 : (Question posée en néerlandais) …"
    answer header + text         "Réponse reçue le 30 mai 2013 : Antwoord ontvangen op 30 mei 2013 :"

The print views separate header blocks with rules ("________"), the detail pages with blank lines; both are
block separators here, so one reader serves all three. What differs per layout is data: the banner and the
page's language (None for the bilingual view, whose title, descriptors and texts are split by language
evidence, `mapping.text.split_point`).

A page cut short (no newline at its end) is normal: its last line may be incomplete, so the structured facts
on it (an event, a sibling number, a descriptor, the author) are dropped, while a cut title or text is kept
as it is. Anything else that cannot be read raises `ParseError(source, field, reason, line)`; nothing else
escapes `parse_page`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping.errors import ParseError
from mapping.layouts import (
    ADDRESSEE_PREFIXES,
    ALSO_ASKED,
    AUTHOR_PREFIXES,
    DEADLINE_LABELS,
    EVENT_LABELS,
    ORIGINAL_LANGUAGES,
    REINTRODUCED_AS,
    RELATION_LABELS,
    LayoutSpec,
    detect_layout,
)
from mapping.model import Descriptor, Event, EventKind, Lang, Question, SourcePage
from mapping.text import (
    ANY_DATE,
    LONG_DATE,
    MAX_PAGE_BYTES,
    NUMERIC_DATE,
    decode_bytes,
    ends_with_newline,
    language_evidence,
    normalise_text,
    paragraphs,
    parse_date,
    split_point,
    token_evidence,
)

__all__ = ["decode_page", "detect_layout", "parse_page", "split_title"]

# ------------------------------------------------------------------------------------------------ grammar
_ID = r"(\d{1,2})-(\d{1,6})"  # "5-8900": legislature, number (6 digits: more than a legislature has ever reached)
_SENATE = r"(?:(?:S[ÉE]NAT|SENAAT) )?"  # the print views prefix the number with the house's name
_RULE = re.compile(r"_{3,}(?: _{3,})*")
_SESSION = re.compile(r"(?:Session|Zitting) (\d{4}-\d{4})", re.I)
_DATE_PART = re.compile(LONG_DATE, re.I)
_NUMBER = re.compile(rf"{_SENATE}(?:Question écrite n[°º]|Schriftelijke vraag nr\.?) ?{_ID}", re.I)
_QUESTION_HEADER = re.compile(
    rf"{_SENATE}(?:Question(?: écrite)? n[°º]|(?:Schriftelijke v|V)raag nr\.?) ?{_ID} (?:du|d\.d\.) ({ANY_DATE}) ?:"
    r"(?: ?\((?:Question posée en|Vraag gesteld in het) ([^()]{1,40})\))?", re.I)
_ANSWER_HEADER = re.compile(rf"(?:Réponse reçue le|Antwoord ontvangen op) ({ANY_DATE})(?: ?:)?", re.I)
_CHRONOLOGY = re.compile(r"Chronologie|Chronology", re.I)
_EVENT = re.compile(rf"({NUMERIC_DATE}) ?")
_RELATION = re.compile(rf"([^:]{{2,60}}?) ?: ?(?:question écrite|schriftelijke vraag) {_ID}", re.I)
_AUTHOR_DATE = re.compile(rf" (?:du|d\.d\.) ({ANY_DATE})$", re.I)
_PARTY = re.compile(r" ?\(([^()]{1,60})\)$")
_TITLE_DASHES = frozenset({"-", "–", "—"})

MIDDLE_PIECE_BONUS = 3.0  # evidence points: see split_title
DESCRIPTOR_TOLERANCE = 1.0  # evidence points a split may lose to stay in the middle of an even list
# Lines between the banner and the question header. Real pages have < 100 (the complete sample 71); a header
# line costs ~10 us (it is classified against every grammar piece), so without a cap a 2 MB page of one-letter
# lines took ~8 s and came out with a million descriptors (found by tests/stress/test_fuzz_parser.py).
MAX_HEADER_LINES = 2_000


class _Kind:
    """Line kinds of the header region (plain strings: cheap to compare, readable in errors)."""

    BLANK, RULE, SESSION, DATE, NUMBER, CHRONOLOGY, EVENT, RELATION, TEXT = (
        "blank", "rule", "session", "date", "number", "chronology", "event", "relation", "text")


def _covering(pattern: re.Pattern[str], line: str) -> list[re.Match[str]] | None:
    """The matches of `pattern` when they cover the whole line (separated by spaces only), else None.
    Used for the lines the bilingual view prints twice side by side ("Session … Zitting …")."""
    matches, pos = [], 0
    for m in pattern.finditer(line):
        if line[pos:m.start()].strip():
            return None
        matches.append(m)
        pos = m.end()
    return matches if matches and not line[pos:].strip() else None


def _classify(line: str) -> str:
    """What a header-region line is, from its own text; author, addressee, title and descriptors are all
    'text' here and told apart by position."""
    if not line:
        return _Kind.BLANK
    if _RULE.fullmatch(line):
        return _Kind.RULE
    if _EVENT.match(line):
        return _Kind.EVENT
    if _RELATION.fullmatch(line):
        return _Kind.RELATION
    if _CHRONOLOGY.fullmatch(line):
        return _Kind.CHRONOLOGY
    if _covering(_SESSION, line):
        return _Kind.SESSION
    if _covering(_NUMBER, line):
        return _Kind.NUMBER
    if _covering(_DATE_PART, line):
        return _Kind.DATE
    return _Kind.TEXT


# ------------------------------------------------------------------------------------------------ state
@dataclass
class _Found:
    """What the page said, each fact with the index of its line (0-based) for consistency checks and errors."""

    numbers: list[tuple[tuple[int, int], int]] = field(default_factory=list)
    sessions: list[tuple[str, int]] = field(default_factory=list)
    dates: list[tuple[dt.date, int]] = field(default_factory=list)
    authors: list[tuple[tuple[str, str | None], int]] = field(default_factory=list)
    addressee: dict[Lang, str] = field(default_factory=dict)
    blocks: list[tuple[int, list[str]]] = field(default_factory=list)  # free text: title, then descriptors
    events: list[Event] = field(default_factory=list)
    relations: dict[str, list[str]] = field(default_factory=dict)
    original_languages: list[tuple[str, int]] = field(default_factory=list)
    answer_dates: list[tuple[dt.date, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Page:
    """The cursor-free facts about the page every grammar piece needs."""

    source: str
    lines: list[str]
    spec: LayoutSpec
    cut_line: int | None  # index of the last line when the page ends mid-line (it may be incomplete)

    def error(self, fieldname: str, reason: str, index: int | None = None) -> ParseError:
        return ParseError(self.source, fieldname, reason, None if index is None else index + 1)


# ------------------------------------------------------------------------------------------------ pieces
def _date(page: _Page, text: str, fieldname: str, index: int) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise page.error(fieldname, str(exc), index) from exc


def _read_author(page: _Page, line: str, index: int, found: _Found) -> bool:
    """"de Martine Taelman (Open Vld)" / "van … (MR) d.d. 6 maart 2023": name, party, and on the detail
    pages the question's date. Returns False when the line is not an author line."""
    prefix = next((p for p in AUTHOR_PREFIXES if line.startswith(p)), None)
    if prefix is None:
        return False
    rest = line[len(prefix):]
    if m := _AUTHOR_DATE.search(rest):
        found.dates.append((_date(page, m[1], "date", index), index))
        rest = rest[:m.start()]
    party = None
    if m := _PARTY.search(rest):
        party, rest = m[1].strip(), rest[:m.start()]
    name = rest.strip()
    if not name:
        raise page.error("author", f"no author name in {line!r}", index)
    found.authors.append(((name, party or None), index))
    return True


def _addressee_prefix(line: str) -> tuple[str, Lang] | None:
    return next(((p, lang) for p, lang in ADDRESSEE_PREFIXES if line.startswith(p) and len(line) > len(p)), None)


def _read_addressee(page: _Page, line: str, index: int, found: _Found) -> bool:
    """"au premier ministre" -> fr "premier ministre" (the article is stripped, see layouts.ADDRESSEE_PREFIXES).
    On a monolingual page the label is in the page's language whatever its article."""
    hit = _addressee_prefix(line)
    if hit is None:
        return False
    prefix, lang = hit
    lang = page.spec.language or lang
    if lang in found.addressee:
        if page.spec.language:  # a second office line on a one-language page is not an addressee
            return False
        raise page.error("addressee", f"two {lang} addressee lines ({found.addressee[lang]!r} and {line!r})", index)
    found.addressee[lang] = line[len(prefix):].strip()
    return True


def _read_event(page: _Page, line: str, index: int) -> Event:
    """"30/4/2013Envoi question (Fin du délai de réponse: 26/1/2023)" -> Event(SENT, date, deadline)."""
    m = _EVENT.match(line)
    date = _date(page, m[1], "events", index)
    label, deadline = line[m.end():].strip(), None
    if label.endswith(")") and "(" in label:
        opening = label.rfind("(")
        note, label = label[opening + 1:-1], label[:opening].strip()
        note_label, colon, when = note.partition(":")
        if not colon or note_label.strip().lower() not in DEADLINE_LABELS:
            raise page.error("events", f"unknown note {note!r} on a chronology event (known: "
                                       f"{', '.join(sorted(DEADLINE_LABELS))})", index)
        deadline = _date(page, when.strip(), "events", index)
    kind = EVENT_LABELS.get(label.lower())
    if kind is None:
        raise page.error("events", f"unknown chronology event {label!r} (known: {', '.join(EVENT_LABELS)})", index)
    return Event(kind, date, deadline)


def _read_relation(page: _Page, line: str, index: int, found: _Found) -> None:
    """"Ook gesteld aan : schriftelijke vraag 5-8901", "Réintroduite comme : question écrite 7-804"."""
    m = _RELATION.fullmatch(line)
    relation = RELATION_LABELS.get(m[1].strip().lower())
    if relation is None:
        raise page.error("links", f"unknown relation {m[1].strip()!r} (known: {', '.join(RELATION_LABELS)})", index)
    found.relations.setdefault(relation, []).append(f"{int(m[2])}-{int(m[3])}")


def _read_structured(page: _Page, kind: str, line: str, index: int, found: _Found) -> None:
    """The lines the header region is made of, other than people and free text."""
    if kind == _Kind.SESSION:
        found.sessions.extend((m[1], index) for m in _SESSION.finditer(line))
    elif kind == _Kind.DATE:
        found.dates.extend((_date(page, m[0], "date", index), index) for m in _DATE_PART.finditer(line))
    elif kind == _Kind.NUMBER:
        found.numbers.extend(((int(m[1]), int(m[2])), index) for m in _NUMBER.finditer(line))
    elif kind == _Kind.EVENT:
        found.events.append(_read_event(page, line, index))
    elif kind == _Kind.RELATION:
        _read_relation(page, line, index, found)


def _person_role(page: _Page, line: str, found: _Found, max_people: int) -> str | None:
    """Right after the number come the author line(s), then the addressee line(s), told by their prefixes."""
    if not found.addressee and len(found.authors) < max_people and line.startswith(AUTHOR_PREFIXES):
        return "author"
    if _addressee_prefix(line):
        return "addressee"
    return None


def _read_cut_event(page: _Page, line: str, index: int, found: _Found) -> None:
    """The last line of a cut page: an event whose label reads completely is complete (its date comes first);
    a partial label or deadline is dropped rather than guessed."""
    with contextlib.suppress(ParseError):
        found.events.append(_read_event(page, line, index))


@dataclass
class _Cursor:
    """Where the header reader is: its phase and whether a free-text block is open (kept outside the handlers)."""

    phase: int = 0  # index into _PHASES
    block_open: bool = False


def _top(page: _Page, cursor: _Cursor, found: _Found, kind: str, line: str, index: int, cut: bool) -> bool:
    """Session and date lines, then the number line, which opens the people phase."""
    if kind in (_Kind.SESSION, _Kind.DATE, _Kind.NUMBER):
        if not cut:
            _read_structured(page, kind, line, index, found)
        if kind == _Kind.NUMBER:
            cursor.phase = PEOPLE
        return True
    if cut:
        return True
    raise page.error("number", f"expected the session, date or question number ('Question écrite n° 5-8900'), "
                               f"found {line[:80]!r}", index)


def _people(page: _Page, cursor: _Cursor, found: _Found, kind: str, line: str, index: int, cut: bool) -> bool:
    """Author line(s), then addressee line(s), told by their prefixes; anything else ends the phase."""
    if kind != _Kind.TEXT:
        return False
    role = _person_role(page, line, found, 1 if page.spec.language else 2)
    if role and cut:  # a cut name or office would mint a wrong IRI: leave it to the complete page
        return True
    if role == "author":
        return _read_author(page, line, index, found)
    return role == "addressee" and _read_addressee(page, line, index, found)


def _free(page: _Page, cursor: _Cursor, found: _Found, kind: str, line: str, index: int, cut: bool) -> bool:
    """Free text blocks: the title, then the descriptors, one per line."""
    if kind != _Kind.TEXT:
        return False
    in_title = not found.blocks or (cursor.block_open and len(found.blocks) == 1)
    if cut and not in_title:  # a cut title is kept as it is; a cut descriptor is not
        return True
    if not cursor.block_open:
        found.blocks.append((index, []))
        cursor.block_open = True
    found.blocks[-1][1].append(line)
    return True


def _chronology(page: _Page, cursor: _Cursor, found: _Found, kind: str, line: str, index: int, cut: bool) -> bool:
    """"Chronologie", events, relations; on a cut page's last line only a complete event is kept."""
    if kind not in (_Kind.CHRONOLOGY, _Kind.EVENT, _Kind.RELATION):
        return cut  # a cut line of any other kind is dropped
    if not cut:
        _read_structured(page, kind, line, index, found)
    elif kind == _Kind.EVENT:
        _read_cut_event(page, line, index, found)
    return True


_PHASES = (("top", _top), ("people", _people), ("free", _free), ("chronology", _chronology))
PEOPLE = 1


def _read_header(page: _Page, start: int, end: int) -> _Found:
    """The header region, lines start..end-1: each line goes to the current phase's handler, or to a later
    phase's when the current one does not take it (top -> people -> free -> chronology, never back)."""
    found, cursor = _Found(), _Cursor()
    for index in range(start, end):
        line = page.lines[index]
        kind, cut = _classify(line), index == page.cut_line
        if kind in (_Kind.BLANK, _Kind.RULE):
            cursor.block_open = False
            continue
        first = cursor.phase
        for offset, (_, handler) in enumerate(_PHASES[first:]):
            if handler(page, cursor, found, kind, line, index, cut):
                cursor.phase = max(cursor.phase, first + offset)
                break
        else:
            raise page.error("header", f"unexpected line {line[:80]!r} ({kind}) in the {_PHASES[cursor.phase][0]} "
                                       "part of the header", index)
    return found


def _find_line(page: _Page, pattern: re.Pattern[str], start: int, end: int) -> int | None:
    return next((i for i in range(start, end) if pattern.match(page.lines[i])), None)


def _header_parts(pattern: re.Pattern[str], line: str) -> tuple[list[re.Match[str]], str]:
    """The consecutive matches of `pattern` from the start of the line (the bilingual view prints the FR and
    NL headers on one line) and whatever text follows them on that line."""
    parts, pos = [], 0
    while m := pattern.match(line, pos):
        parts.append(m)
        pos = m.end()
        while pos < len(line) and line[pos] == " ":
            pos += 1
    return parts, line[pos:]


def _read_question_header(page: _Page, index: int, found: _Found) -> str:
    """"Question n° 5-8900 du 30 avril 2013 : (Question posée en néerlandais)": number, date, original language;
    returns any text that follows on the same line."""
    parts, rest = _header_parts(_QUESTION_HEADER, page.lines[index])
    for m in parts:
        found.numbers.append(((int(m[1]), int(m[2])), index))
        found.dates.append((_date(page, m[3], "date", index), index))
        if m[4]:
            lang = ORIGINAL_LANGUAGES.get(m[4].strip().lower())
            if lang is None:
                raise page.error("original_language", f"{m[4]!r} is neither French nor Dutch", index)
            found.original_languages.append((lang, index))
    return rest


def _read_answer_header(page: _Page, index: int, found: _Found) -> str:
    """"Réponse reçue le 30 mai 2013 : Antwoord ontvangen op 30 mei 2013 :" -> the answer date(s)."""
    parts, rest = _header_parts(_ANSWER_HEADER, page.lines[index])
    found.answer_dates.extend((_date(page, m[1], "answer_date", index), index) for m in parts)
    return rest


def _show(value: object) -> str:
    """A value in an error message: identifiers as printed, long text shortened."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}-{value[1]}"
    text = " ".join(str(v) for v in value if v) if isinstance(value, tuple) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _agreed(page: _Page, values: Sequence[tuple[object, int]], fieldname: str):
    """The one value the page gives for a fact printed several times (FR and NL columns, header and question
    line); ParseError when two of them differ, naming both lines."""
    for (value, index), (other, other_index) in itertools.pairwise(values):
        if value != other:
            raise page.error(fieldname, f"the page gives two different values: {_show(value)} (line {index + 1}) "
                                        f"and {_show(other)} (line {other_index + 1})", other_index)
    return values[0][0] if values else None


# ------------------------------------------------------------------------------------------------ languages
def _first_upper(word: str) -> bool:
    letter = next((c for c in word if c.isalnum()), "")
    return letter.isupper()


def split_title(line: str) -> tuple[str, str]:
    """The bilingual view prints the FR and NL titles on one line: "… - Recours aux médias sociaux Federale
    overheidsdiensten - …". The switch is a word boundary where a capitalised word starts; each title has as
    many " - " pieces as its translation, so with an odd number of pieces the switch lies in the middle one.
    Among candidates, the one with the most French evidence before it and Dutch after it wins, the middle
    piece earning a bonus (MIDDLE_PIECE_BONUS) as the structural prior. Raises ValueError if no split exists."""
    words = line.split(" ")
    n = len(words)
    half = n // 2
    if n % 2 == 0 and n and words[:half] == words[half:]:
        return " ".join(words[:half]), " ".join(words[half:])  # identical titles ("Covid-19 Covid-19")
    boundaries = [i for i in range(1, n) if words[i] not in _TITLE_DASHES and words[i - 1] not in _TITLE_DASHES]
    candidates = [i for i in boundaries if _first_upper(words[i])] or boundaries
    if not candidates:
        raise ValueError(f"cannot tell where the French title ends and the Dutch one begins in {line[:120]!r}")
    piece_of, pieces = [], 0
    for word in words:
        pieces += word in _TITLE_DASHES
        piece_of.append(pieces)
    pieces += 1
    prefix = [0.0]
    for word in words:
        prefix.append(prefix[-1] + token_evidence(word))

    def score(i: int) -> tuple[float, float]:
        bonus = MIDDLE_PIECE_BONUS if pieces % 2 == 1 and piece_of[i] == pieces // 2 else 0.0
        return 2 * prefix[i] - prefix[n] + bonus, -abs(i - n / 2)

    best = max(candidates, key=score)
    return " ".join(words[:best]), " ".join(words[best:])


def _split_lines(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """A FR run of text followed by its NL translation with no separator: split between the non-blank lines
    where the language evidence switches (mapping.text.split_point), blank lines going with their side."""
    units = [i for i, line in enumerate(lines) if line]
    if not units:
        return [], []
    k = split_point([language_evidence(lines[i]) for i in units])
    cut = units[k] if k < len(units) else len(lines)
    return list(lines[:cut]), list(lines[cut:])


def _split_descriptors(labels: Sequence[str]) -> tuple[Descriptor, ...]:
    """FR list then NL list, paired by position. Both lists normally have the same length, so an even list
    splits in the middle unless the evidence clearly says otherwise; an odd one (a label missing in one
    language) splits where the evidence switches. A label printed twice is in both lists ("Provence-Alpes-Côte
    d'Azur", "ambassade"): it says nothing about where the switch is, whatever its spelling suggests."""
    tolerance = DESCRIPTOR_TOLERANCE if len(labels) % 2 == 0 else 0.0
    twice = {label for label, count in Counter(labels).items() if count > 1}
    k = split_point([0.0 if label in twice else language_evidence(label) for label in labels], tolerance=tolerance)
    return tuple(Descriptor(fr, nl) for fr, nl in itertools.zip_longest(labels[:k], labels[k:]))


# ------------------------------------------------------------------------------------------------ assembly
def _dedupe_events(events: Sequence[Event]) -> tuple[Event, ...]:
    """The bilingual view prints the chronology twice: one event per (kind, date), in page order, keeping a
    deadline printed on either copy."""
    kept: dict[tuple, Event] = {}  # a dict keeps the order in which each key was first seen
    for event in events:
        key = (event.kind, event.date)
        if key not in kept or (event.deadline and not kept[key].deadline):
            kept[key] = event
    return tuple(kept.values())


def _dedupe(values: Sequence[str], exclude: str = "") -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(values) if v != exclude)


def _texts(page: _Page, lines: Sequence[str]) -> dict[Lang, str]:
    """Body lines -> {lang: paragraphs}; the bilingual view is split by language evidence."""
    if page.spec.language:
        text = paragraphs(lines)
        return {page.spec.language: text} if text else {}
    fr, nl = _split_lines(lines)
    return {lang: text for lang, text in (("fr", paragraphs(fr)), ("nl", paragraphs(nl))) if text}


def _title(page: _Page, found: _Found) -> dict[Lang, str]:
    if not found.blocks or not found.blocks[0][1]:
        return {}
    index, lines = found.blocks[0]
    title = " ".join(lines)
    if page.spec.language:
        return {page.spec.language: title}
    try:
        fr, nl = split_title(title)
    except ValueError as exc:
        raise page.error("title", str(exc), index) from exc
    return {"fr": fr, "nl": nl}


def _descriptors(page: _Page, found: _Found) -> tuple[Descriptor, ...]:
    if len(found.blocks) > 2:
        index, lines = found.blocks[2]
        raise page.error("descriptors", f"unexpected text block {lines[0][:80]!r} after the title and the "
                                        "descriptors", index)
    labels = found.blocks[1][1] if len(found.blocks) > 1 else []
    if page.spec.language == "fr":
        return tuple(Descriptor(label, None) for label in labels)
    if page.spec.language == "nl":
        return tuple(Descriptor(None, label) for label in labels)
    return _split_descriptors(labels)


def _source_page(page: _Page, raw: bytes) -> SourcePage:
    return SourcePage(page.source, page.spec.layout, page.spec.language, hashlib.sha256(raw).hexdigest())


def _assemble(page: _Page, found: _Found, body: tuple[list[str], list[str]], raw: bytes) -> Question:
    number = _agreed(page, found.numbers, "number")
    if number is None:
        raise page.error("number", "no question number found ('Question écrite n° 5-8900' / "
                                   "'Schriftelijke vraag nr. 5-8900')")
    legislature, nr = number
    identifier = f"{legislature}-{nr}"
    author = _agreed(page, found.authors, "author")
    events = _dedupe_events(found.events)
    answer_date = _agreed(page, found.answer_dates, "answer_date")
    if answer_date is None:  # page cut before the answer text: the chronology still dates the answer
        answer_date = next((e.date for e in reversed(events) if e.kind is EventKind.ANSWER), None)
    return Question(
        legislature=legislature,
        number=nr,
        session=_agreed(page, found.sessions, "session"),
        date=_agreed(page, found.dates, "date"),
        author=author[0] if author else None,
        party=author[1] if author else None,
        addressee=dict(found.addressee),
        title=_title(page, found),
        descriptors=_descriptors(page, found),
        events=events,
        also_asked=_dedupe(found.relations.get(ALSO_ASKED, []), exclude=identifier),
        reintroduced_as=_dedupe(found.relations.get(REINTRODUCED_AS, []), exclude=identifier),
        original_language=_agreed(page, found.original_languages, "original_language"),
        question_text=_texts(page, body[0]),
        answer_text=_texts(page, body[1]),
        answer_date=answer_date,
        sources=(_source_page(page, raw),),
    )


def _read_body(page: _Page, question_at: int | None, found: _Found) -> tuple[list[str], list[str]]:
    """Question and answer lines below the question header."""
    if question_at is None:
        return [], []
    end = len(page.lines)
    answer_at = _find_line(page, _ANSWER_HEADER, question_at + 1, end)
    first_question_line = _read_question_header(page, question_at, found)
    question = [first_question_line, *page.lines[question_at + 1:answer_at if answer_at is not None else end]]
    if answer_at is None:
        return question, []
    first_answer_line = _read_answer_header(page, answer_at, found)
    return question, [first_answer_line, *page.lines[answer_at + 1:]]


# ------------------------------------------------------------------------------------------------ entry points
def decode_page(raw: bytes) -> str:
    """Bytes in UTF-8 or Windows-1252/Latin-1 -> text with normalised spaces."""
    return normalise_text(decode_bytes(raw)[0])


def _raw_and_text(text: str | bytes, source: str) -> tuple[bytes, str]:
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if len(raw) > MAX_PAGE_BYTES:
            raise ParseError(source, "size", f"{len(raw)} bytes is over the {MAX_PAGE_BYTES}-byte limit for a page")
        return raw, decode_bytes(raw)[0]
    if isinstance(text, str):
        if len(text) > MAX_PAGE_BYTES:  # checked before encoding: never encode a huge string for nothing
            raise ParseError(source, "size", f"{len(text)} characters is over the {MAX_PAGE_BYTES} limit for a page")
        raw = text.encode("utf-8", errors="surrogatepass")
        if len(raw) > MAX_PAGE_BYTES:
            raise ParseError(source, "size", f"{len(raw)} bytes is over the {MAX_PAGE_BYTES}-byte limit for a page")
        return raw, text
    raise ParseError(source, "input", f"expected page text or bytes, got {type(text).__name__}")


def _parse(text: str | bytes, source: str) -> Question:
    raw, decoded = _raw_and_text(text, source)
    lines = normalise_text(decoded).split("\n")
    spec, banner_at = detect_layout(lines, source)
    cut_line = None if ends_with_newline(decoded) else len(lines) - 1
    page = _Page(source, lines, spec, cut_line)
    question_at = _find_line(page, _QUESTION_HEADER, banner_at + 1, len(lines))
    header_end = question_at if question_at is not None else len(lines)
    if header_end - banner_at - 1 > MAX_HEADER_LINES:
        raise page.error("header", f"{header_end - banner_at - 1} lines before the question text: a question page's "
                                   f"header has at most {MAX_HEADER_LINES}", banner_at + 1 + MAX_HEADER_LINES)
    found = _read_header(page, banner_at + 1, header_end)
    body = _read_body(page, question_at, found)
    return _assemble(page, found, body, raw)


def parse_page(text: str | bytes, source: str) -> Question:
    """Parse one page of any layout into a (possibly partial) Question; raises ParseError.

    `source` (the file path) names the page in errors and in `SourcePage`. A failure of the parser itself is
    reported as a ParseError on field "page" whose reason starts with "parser failure" (and chains the cause),
    so that one odd page never stops a batch; the property tests treat that reason as a bug.
    """
    try:
        return _parse(text, source)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: nothing but ParseError leaves the parser
        raise ParseError(source, "page", f"parser failure ({type(exc).__name__}: {exc})") from exc

