"""The record a question page is parsed into: plain frozen dataclasses, independent of RDF and of page layout.

One `Question` is built per page by the parser; the pages of one question (the FR and NL detail pages, or a
print view) are merged into one `Question` by `mapping.merge`. Multilingual values are dicts keyed by the
language codes "fr" and "nl"; a language that was not read is absent (never an empty string).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

Lang = str  # "fr" or "nl"
Multilingual = dict[Lang, str]

LANGUAGES: tuple[Lang, ...] = ("fr", "nl")


class Layout(StrEnum):
    """The senate.be page layouts the parser reads."""

    BILINGUAL_PRINT = "SVPrintNLFR"  # bilingual print view: FR and NL side by side (or one after the other)
    DETAIL = "SchriftelijkeVraag"  # monolingual detail page, FR or NL
    PRINT = "SVPrint"  # monolingual print view


class EventKind(StrEnum):
    """Chronology events; the value is the suffix used in the event IRI (`…/event/WQ-5-8900-SUB`)."""

    SENT = "SUB"  # "Envoi question" / "Verzending vraag"
    REMINDER = "RMD"  # "Rappel"
    ANSWER = "ASW"  # "Réponse" / "Antwoord"
    CLOSED = "CLO"  # "Dossier clôturé" / "Dossier gesloten"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    date: dt.date
    deadline: dt.date | None = None  # "(Fin du délai de réponse: 6/4/2023)", only on SENT


@dataclass(frozen=True)
class Descriptor:
    """One EuroVoc descriptor as printed: the FR and NL labels paired by position (one may be missing)."""

    fr: str | None
    nl: str | None


@dataclass(frozen=True)
class SourcePage:
    """One page a question was read from."""

    source: str  # the file path (or URL) given to the parser; used in error messages and provenance
    layout: Layout
    language: Lang | None  # the page's language (detail/print views); None for the bilingual view
    sha256: str  # of the raw input bytes: detects a changed page
    url: str | None = None  # the senate.be URL the page was fetched from (a harvest archive), when known
    fetched: str | None = None  # when those bytes were first fetched (ISO 8601 UTC), when known


@dataclass(frozen=True)
class Question:
    legislature: int  # 5 in "5-8900"
    number: int  # 8900 in "5-8900"
    session: str | None = None  # "2012-2013"
    date: dt.date | None = None  # date of the question ("30 avril 2013")
    author: str | None = None  # "Martine Taelman"
    party: str | None = None  # "Open Vld" (the party at the time of asking)
    addressee: Multilingual = field(default_factory=dict)  # {"fr": "premier ministre", "nl": "eerste minister"}
    title: Multilingual = field(default_factory=dict)
    descriptors: tuple[Descriptor, ...] = ()
    events: tuple[Event, ...] = ()  # deduplicated, in page order
    also_asked: tuple[str, ...] = ()  # sibling identifiers "5-8901", deduplicated, own number excluded
    reintroduced_as: tuple[str, ...] = ()  # "7-804"
    original_language: Lang | None = None  # language the question was asked in
    question_text: Multilingual = field(default_factory=dict)  # paragraphs joined by "\n\n"
    answer_text: Multilingual = field(default_factory=dict)
    answer_date: dt.date | None = None  # "Réponse reçue le 30 mai 2013"
    sources: tuple[SourcePage, ...] = ()

    @property
    def identifier(self) -> str:
        """The Senate's own identifier, "5-8900"."""
        return f"{self.legislature}-{self.number}"

    @property
    def languages(self) -> tuple[Lang, ...]:
        """The languages this record was read in (from titles, texts and source pages)."""
        seen = set(self.title) | set(self.question_text) | {p.language for p in self.sources if p.language}
        if any(p.layout is Layout.BILINGUAL_PRINT for p in self.sources):
            seen |= set(LANGUAGES)
        return tuple(lang for lang in LANGUAGES if lang in seen)

    @property
    def is_complete(self) -> bool:
        """Both languages read, with title and question text in each: nothing a later harvest could add."""
        return all(lang in self.title and lang in self.question_text for lang in LANGUAGES)
