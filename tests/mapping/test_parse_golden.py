"""The complete bilingual print view (data/samples/000_a9f2765591931727.txt): every field of the record."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from mapping.model import Descriptor, Event, EventKind, Layout, SourcePage
from mapping.parse import parse_page

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "000_a9f2765591931727.txt"


@pytest.fixture(scope="module")
def q():
    return parse_page(SAMPLE.read_bytes(), str(SAMPLE))


def test_identity_and_header(q):
    assert (q.legislature, q.number, q.identifier) == (5, 8900, "5-8900")
    assert q.session == "2012-2013"
    assert q.date == dt.date(2013, 4, 30)
    assert (q.author, q.party) == ("Martine Taelman", "Open Vld")


def test_addressee_without_article(q):
    """Decision: the article ("au", "à la", "aan de") is stripped; the office is what is left."""
    assert q.addressee == {"fr": "premier ministre", "nl": "eerste minister"}


def test_title_split_exactly(q):
    assert q.title == {
        "fr": "Services publics fédéraux - Communication avec les citoyens - Recours aux médias sociaux",
        "nl": "Federale overheidsdiensten - Communicatie met burgers - Gebruik van sociale media",
    }


def test_descriptors_paired_by_position(q):
    assert q.descriptors == (
        Descriptor("ministère", "ministerie"),
        Descriptor("communauté virtuelle", "virtuele gemeenschap"),
        Descriptor("sensibilisation du public", "bewustmaking van de burgers"),
        Descriptor("relation administration-administré", "betrekking tussen overheid en burger"),
        Descriptor("médias sociaux", "sociale media"),
    )


def test_chronology_and_siblings_deduplicated(q):
    assert q.events == (Event(EventKind.SENT, dt.date(2013, 4, 30)), Event(EventKind.ANSWER, dt.date(2013, 5, 30)))
    assert q.also_asked == tuple(f"5-{n}" for n in range(8901, 8919))
    assert q.reintroduced_as == ()


def test_original_language(q):
    assert q.original_language == "nl"


def test_question_texts(q):
    fr, nl = q.question_text["fr"].split("\n\n"), q.question_text["nl"].split("\n\n")
    assert set(q.question_text) == {"fr", "nl"}
    assert len(fr) == len(nl) == 6
    assert fr[0].startswith("Ces dernières années, nos entreprises et nos autorités ont découvert")
    assert fr[-1].startswith("4) A-t-on enregistré") and fr[-1].endswith("constamment attentif à ce problème ?")
    assert nl[0].startswith("Bedrijven en overheden hebben de afgelopen jaren de kracht van de sociale media")
    assert nl[-1].startswith("4) Zijn er bij de FOD's") and nl[-1].endswith("hiervoor permanente aandacht ?")
    assert "\xa0" not in q.question_text["fr"] and "\xa0" not in q.question_text["nl"]
    assert "réponse aux questions suivantes :" in fr[1]  # the non-breaking space before ":" is a plain one


def test_answer_split_by_language_evidence(q):
    fr, nl = q.answer_text["fr"].split("\n\n"), q.answer_text["nl"].split("\n\n")
    assert fr[0].startswith("1, 2 et 3. Le Service public fédéral (SPF) Chancellerie du premier ministre")
    assert fr[-1] == "4. Je n’ai connaissance d’aucun abus."
    assert nl[0].startswith("1, 2 en 3. De Federale Overheidsdienst")
    assert nl[-1] == "4. Ik heb geen weet van enig misbruik."
    assert len(fr) == len(nl) == 13
    assert q.answer_date == dt.date(2013, 5, 30)


def test_source_page(q):
    assert q.sources == (SourcePage(str(SAMPLE), Layout.BILINGUAL_PRINT, None,
                                    hashlib.sha256(SAMPLE.read_bytes()).hexdigest()),)
    assert q.languages == ("fr", "nl") and q.is_complete


def test_same_record_from_text_and_from_bytes(q):
    assert parse_page(SAMPLE.read_text("utf-8"), str(SAMPLE)) == q


def test_same_record_from_windows_1252_bytes(q):
    """A legacy-encoded copy of the page reads the same (the hash differs: it is another file)."""
    legacy = parse_page(SAMPLE.read_text("utf-8").encode("cp1252"), str(SAMPLE))
    assert legacy.sources[0].sha256 != q.sources[0].sha256
    assert {**legacy.__dict__, "sources": None} == {**q.__dict__, "sources": None}
