"""Merging the pages of one question: detail pages FR + NL, print views, the bilingual view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest

from mapping.errors import ParseError
from mapping.merge import merge_group, merge_questions
from mapping.model import Descriptor, Event, EventKind, Layout, Question
from mapping.parse import parse_page

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def parsed(*names: str) -> list[Question]:
    return [parse_page((SAMPLES / n).read_bytes(), n) for n in names]


BILINGUAL = "000_a9f2765591931727.txt"
Q8900 = (BILINGUAL, "SchriftelijkeVraag_LEG5_NR8900_LANGfr.excerpt.txt",
         "SchriftelijkeVraag_LEG5_NR8900_LANGnl.excerpt.txt")
Q1923 = ("SchriftelijkeVraag_LEG7_NR1923_LANGfr.excerpt.txt", "SchriftelijkeVraag_LEG7_NR1923_LANGnl.excerpt.txt")


def test_three_pages_of_5_8900_make_one_complete_record():
    (q,) = merge_questions(parsed(*Q8900))
    alone = parsed(BILINGUAL)[0]
    assert q.identifier == "5-8900" and q.is_complete
    assert [p.source for p in q.sources] == sorted(Q8900)
    assert {p.layout for p in q.sources} == {Layout.BILINGUAL_PRINT, Layout.DETAIL}
    # the complete bilingual page is longer than the cut detail pages: its texts win, nothing is lost
    assert q.question_text == alone.question_text and q.answer_text == alone.answer_text
    assert q.title == alone.title and q.descriptors == alone.descriptors and q.addressee == alone.addressee
    assert q.events == alone.events and q.also_asked == alone.also_asked
    assert (q.session, q.date, q.author, q.party, q.original_language, q.answer_date) == (
        "2012-2013", dt.date(2013, 4, 30), "Martine Taelman", "Open Vld", "nl", dt.date(2013, 5, 30))


def test_french_and_dutch_detail_pages_of_7_1923_give_both_languages():
    fr, nl = parsed(*Q1923)
    (q,) = merge_questions([fr, nl])
    assert q.languages == ("fr", "nl") and q.is_complete
    assert q.title == {**fr.title, **nl.title}
    assert q.addressee == {"fr": "premier ministre", "nl": "eerste minister"}
    assert q.question_text == {**fr.question_text, **nl.question_text}
    assert q.descriptors[:2] == (Descriptor("médias sociaux", "sociale media"), Descriptor("Chine", "China"))
    assert len(q.descriptors) == 6 and all(d.fr and d.nl for d in q.descriptors)
    assert q.events == (Event(EventKind.SENT, dt.date(2023, 3, 6), dt.date(2023, 4, 6)),)
    assert q.original_language == "fr" and q.answer_date is None and q.answer_text == {}


def test_a_single_page_is_a_question_too():
    (fr,) = parsed(Q1923[0])
    assert merge_questions([fr]) == [fr] and not fr.is_complete and fr.languages == ("fr",)


def test_result_does_not_depend_on_input_order():
    records = parsed(*Q8900, *Q1923, "SVPrint_LEG5_NR8902_LANGnl.excerpt.txt")
    results = [merge_questions(list(p)) for p in itertools.permutations(records)]
    assert all(r == results[0] for r in results)
    assert [q.identifier for q in results[0]] == ["5-8900", "5-8902", "7-1923"]


def test_cut_text_loses_to_the_longer_one():
    (full,) = parsed(BILINGUAL)
    cut = dataclasses.replace(full, question_text={"fr": full.question_text["fr"][:100]}, answer_text={},
                              sources=(dataclasses.replace(full.sources[0], source="cut.txt"),))
    (q,) = merge_questions([cut, full])
    assert q.question_text == full.question_text and q.answer_text == full.answer_text


def test_events_and_siblings_are_unioned_in_date_order():
    (full,) = parsed(BILINGUAL)
    later = dataclasses.replace(full, events=(Event(EventKind.REMINDER, dt.date(2013, 5, 15)), full.events[1]),
                                also_asked=("5-9999",), sources=(dataclasses.replace(full.sources[0], source="z"),))
    (q,) = merge_questions([full, later])
    assert [e.kind for e in q.events] == [EventKind.SENT, EventKind.REMINDER, EventKind.ANSWER]
    assert q.also_asked == (*full.also_asked, "5-9999")


def test_deadline_from_either_page_is_kept():
    fr, nl = parsed(*Q1923)
    nl = dataclasses.replace(nl, events=(Event(EventKind.SENT, dt.date(2023, 3, 6)),))
    (q,) = merge_questions([nl, fr])
    assert q.events == (Event(EventKind.SENT, dt.date(2023, 3, 6), dt.date(2023, 4, 6)),)


def test_monolingual_descriptor_list_wins_over_a_bilingual_split():
    (full,) = parsed(BILINGUAL)
    (nl,) = parsed(Q8900[2])
    misread = dataclasses.replace(full, descriptors=(*full.descriptors[:4], Descriptor("médias sociaux", None),
                                                     Descriptor(None, "sociale media")))
    merged = merge_group([misread, dataclasses.replace(nl, descriptors=nl.descriptors)])
    assert [d.nl for d in merged.descriptors] == [d.nl for d in full.descriptors]


@pytest.mark.parametrize("field, value, shown", [
    ("date", dt.date(2013, 5, 1), "2013-05-01"),
    ("author", "Martine Taelmans", "Martine Taelmans"),
    ("party", "VLD", "VLD"),
    ("session", "2013-2014", "2013-2014"),
    ("original_language", "fr", "fr"),
    ("answer_date", dt.date(2013, 6, 1), "2013-06-01"),
])
def test_disagreeing_hard_fact_names_both_pages_and_the_field(field, value, shown):
    nl, fr, bil = parsed(*reversed(Q8900))
    other = dataclasses.replace(fr, **{field: value})
    with pytest.raises(ParseError) as info:
        merge_questions([bil, nl, other])
    err = info.value
    assert err.field == field
    assert Q8900[1] in err.source and shown in err.reason and "disagree" in err.reason


def test_disagreeing_office_is_refused_but_case_is_not_a_disagreement():
    fr, bil = parsed(Q8900[1], BILINGUAL)
    with pytest.raises(ParseError) as info:
        merge_questions([bil, dataclasses.replace(fr, addressee={"fr": "ministre de la Justice"})])
    assert info.value.field == "addressee (fr)"
    (q,) = merge_questions([bil, dataclasses.replace(fr, addressee={"fr": "Premier Ministre"})])
    assert q.addressee["fr"] in ("premier ministre", "Premier Ministre")


def test_on_error_reports_the_bad_group_and_keeps_the_others():
    fr, nl, bil = parsed(*Q8900)
    bad = dataclasses.replace(fr, author="Someone Else")
    errors: list[ParseError] = []
    merged = merge_questions([bil, bad, *parsed(*Q1923)], on_error=errors.append)
    assert [q.identifier for q in merged] == ["7-1923"]
    assert len(errors) == 1 and errors[0].field == "author"


def test_merge_group_refuses_mixed_questions():
    with pytest.raises(ValueError):
        merge_group(parsed(BILINGUAL, Q1923[0]))
