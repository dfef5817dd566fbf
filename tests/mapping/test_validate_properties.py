"""Property: any well-formed partial record (what a real page may give) maps to a graph the shapes accept.

DESIGN.md "Partial input is normal": a language, the text, the session, the party, descriptors, an answer may
all be missing; the shapes check what is present and never reject a page for what it did not contain.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.iris import Iris
from mapping.model import Descriptor, Event, EventKind, Layout, Question, SourcePage
from mapping.rdf import question_triples
from mapping.validate import Validator

IRIS = Iris("http://senate-kg.test/")
VALIDATOR = Validator(IRIS)
DESCRIPTORS = [("médias sociaux", "sociale media"), ("sûreté de l'Etat", "staatsveiligheid"),
               ("colle", "lijm"), ("ministère", "ministerie"), ("Chine", "China"), ("thème inventé", "verzonnen")]
WORDS = st.text(alphabet="abcdéèçëï «»'\"\\-\n", min_size=1, max_size=40).map(str.strip).filter(bool)


@st.composite
def records(draw) -> Question:
    languages = draw(st.sampled_from([("fr",), ("nl",), ("fr", "nl")]))
    bilingual = len(languages) == 2 and draw(st.booleans())
    sources = ((SourcePage("page.txt", Layout.BILINGUAL_PRINT, None, "0" * 64),) if bilingual else
               tuple(SourcePage(f"page-{lang}.txt", Layout.DETAIL, lang, "0" * 64) for lang in languages))
    sent = dt.date(2000, 1, 1) + dt.timedelta(days=draw(st.integers(0, 9000)))
    events = [Event(EventKind.SENT, sent, draw(st.one_of(st.none(), st.just(sent + dt.timedelta(days=30)))))]
    for n in range(draw(st.integers(0, 2))):
        events.append(Event(EventKind.REMINDER, sent + dt.timedelta(days=40 + n)))
    outcome = draw(st.sampled_from(["pending", "answered", "closed"]))
    answer_date = None
    if outcome == "answered":
        answer_date = sent + dt.timedelta(days=draw(st.integers(0, 400)))
        events.append(Event(EventKind.ANSWER, answer_date))
    elif outcome == "closed":
        events.append(Event(EventKind.CLOSED, sent + dt.timedelta(days=500)))
    pairs = draw(st.lists(st.sampled_from(DESCRIPTORS), max_size=4, unique=True))
    descriptors = tuple(Descriptor(fr if "fr" in languages else None, nl if "nl" in languages else None)
                        for fr, nl in pairs)
    number = draw(st.integers(1, 20000))
    return Question(
        legislature=draw(st.integers(1, 9)), number=number,
        session=draw(st.one_of(st.none(), st.just(f"{sent.year}-{sent.year + 1}"))),
        date=sent,
        author=draw(st.one_of(st.none(), WORDS)), party=draw(st.one_of(st.none(), WORDS)),
        addressee={lang: draw(WORDS) for lang in languages if draw(st.booleans())},
        title={lang: draw(WORDS) for lang in languages},
        descriptors=descriptors, events=tuple(events),
        also_asked=tuple(f"5-{n}" for n in draw(st.lists(st.integers(1, 20000), max_size=3, unique=True))
                         if n != number),
        reintroduced_as=tuple(f"8-{n}" for n in draw(st.lists(st.integers(1, 900), max_size=1))),
        original_language=draw(st.one_of(st.none(), st.sampled_from(["fr", "nl"]))),
        question_text={lang: draw(WORDS) for lang in languages if draw(st.booleans())},
        answer_text={lang: draw(WORDS) for lang in languages if outcome == "answered" and draw(st.booleans())},
        answer_date=answer_date if answer_date and draw(st.booleans()) else None,
        sources=sources,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_well_formed_partial_records_are_accepted(question: Question):
    violations = VALIDATOR.validate(question_triples(question, IRIS))
    assert violations == [], [str(v) for v in violations]
