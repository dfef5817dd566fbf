"""Merge the records of the pages of one question (FR + NL detail pages, print views) into one Question.

Each page gives part of a question: a detail page one language, an excerpt the top of a page. Merging is
field by field over all the records of one identifier:

- hard facts (session, date, author, party, original language, answer date, addressee office per language)
  must agree; a disagreement is a ParseError naming both sources and the field, because publishing either
  value would be a guess;
- texts and titles per language: the longest wins (a cut page gives a prefix of the full text);
- descriptors: per language the longest label list (a monolingual page wins ties: its language is certain,
  while the bilingual view's FR/NL split is inferred), then paired by position;
- events, "also asked" and "reintroduced as": union, deduplicated, page order kept (events by date);
- sources: all of them.

Records are taken in the order of their source names, so the result does not depend on the order of the input.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mapping.errors import ParseError
from mapping.model import LANGUAGES, Descriptor, Event, Lang, Multilingual, Question


def _name(record: Question) -> str:
    return ", ".join(page.source for page in record.sources) or record.identifier


def _hard(records: Sequence[Question], fieldname: str, get: Callable[[Question], Any]) -> Any:
    """The one value every record that states the fact agrees on (None if none states it)."""
    stated = [(get(r), r) for r in records if get(r) is not None]
    for (value, record), (other, other_record) in itertools.pairwise(stated):
        if value != other:
            raise ParseError(f"{_name(record)} + {_name(other_record)}", fieldname,
                             f"the pages of question {record.identifier} disagree: {_name(record)} says {value!s}, "
                             f"{_name(other_record)} says {other!s}")
    return stated[0][0] if stated else None


def _office(records: Sequence[Question]) -> Multilingual:
    """The addressee per language; labels that differ only in case are the same office."""
    merged: Multilingual = {}
    for lang in LANGUAGES:
        merged_label = _hard(records, f"addressee ({lang})",
                             lambda r, lang=lang: r.addressee[lang].casefold() if lang in r.addressee else None)
        if merged_label is not None:
            merged[lang] = next(r.addressee[lang] for r in records if lang in r.addressee)
    return merged


def _longest(records: Sequence[Question], get: Callable[[Question], Multilingual]) -> Multilingual:
    """Per language the longest text: a page cut short holds a prefix of its twin's text."""
    merged: Multilingual = {}
    for lang in LANGUAGES:
        texts = [get(r)[lang] for r in records if lang in get(r)]
        if texts:
            merged[lang] = max(texts, key=len)  # max keeps the first of equal lengths: deterministic
    return merged


def _descriptor_column(records: Sequence[Question], lang: Lang) -> tuple[str, ...]:
    def column(record: Question) -> tuple[str, ...]:
        return tuple(label for d in record.descriptors if (label := getattr(d, lang)))

    def rank(record: Question) -> tuple[int, bool]:
        return len(column(record)), all(page.language for page in record.sources)

    return column(max(records, key=rank)) if records else ()


def _descriptors(records: Sequence[Question]) -> tuple[Descriptor, ...]:
    fr, nl = _descriptor_column(records, "fr"), _descriptor_column(records, "nl")
    return tuple(Descriptor(f, n) for f, n in itertools.zip_longest(fr, nl))


def _events(records: Sequence[Question]) -> tuple[Event, ...]:
    """Union by (kind, date), keeping a deadline any page gives; ordered by date, page order among equals."""
    kept: dict[tuple, Event] = {}
    for event in (e for r in records for e in r.events):
        key = (event.kind, event.date)
        if key not in kept or (event.deadline and not kept[key].deadline):
            kept[key] = event
    return tuple(sorted(kept.values(), key=lambda e: e.date))  # sorted() is stable


def _union(values: Iterable[str], exclude: str) -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(values) if v != exclude)


def merge_group(records: Iterable[Question]) -> Question:
    """Merge the records of ONE question (same identifier) into one; ParseError on conflicting hard facts."""
    group = sorted(records, key=_name)
    if not group:
        raise ValueError("merge_group needs at least one record")
    identifiers = {r.identifier for r in group}
    if len(identifiers) > 1:
        raise ValueError(f"merge_group got records of several questions: {sorted(identifiers)}")
    if len(group) == 1:
        return group[0]
    first = group[0]
    return Question(
        legislature=first.legislature,
        number=first.number,
        session=_hard(group, "session", lambda r: r.session),
        date=_hard(group, "date", lambda r: r.date),
        author=_hard(group, "author", lambda r: r.author),
        party=_hard(group, "party", lambda r: r.party),
        addressee=_office(group),
        title=_longest(group, lambda r: r.title),
        descriptors=_descriptors(group),
        events=_events(group),
        also_asked=_union((a for r in group for a in r.also_asked), first.identifier),
        reintroduced_as=_union((a for r in group for a in r.reintroduced_as), first.identifier),
        original_language=_hard(group, "original_language", lambda r: r.original_language),
        question_text=_longest(group, lambda r: r.question_text),
        answer_text=_longest(group, lambda r: r.answer_text),
        answer_date=_hard(group, "answer_date", lambda r: r.answer_date),
        sources=tuple(dict.fromkeys(page for r in group for page in r.sources)),
    )


def merge_questions(records: Iterable[Question],
                    on_error: Callable[[ParseError], None] | None = None) -> list[Question]:
    """Group records by identifier and merge each group; sorted by (legislature, number).

    A group whose pages disagree on a hard fact raises ParseError, or, when `on_error` is given, is handed to
    it and left out while every other group is still merged (the pipeline's "one bad page never stops the
    batch")."""
    groups: dict[tuple[int, int], list[Question]] = defaultdict(list)
    for record in records:
        groups[(record.legislature, record.number)].append(record)
    merged = []
    for key in sorted(groups):
        try:
            merged.append(merge_group(groups[key]))
        except ParseError as exc:
            if on_error is None:
                raise
            on_error(exc)
    return merged
