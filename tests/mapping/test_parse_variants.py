"""Pages the samples do not show but the layouts allow: other legislatures and months, the French print view,
long sibling runs, several reminders, closed files, one-language descriptors, encodings, cut pages; and the
errors a broken page must give (file, field, reason, line)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from mapping.errors import ParseError
from mapping.layouts import detect_layout
from mapping.model import Descriptor, Event, EventKind, Layout
from mapping.parse import parse_page, split_title
from mapping.text import MAX_PAGE_BYTES

RULE = "________________"


def bilingual(*, number="3-412", title="Sécurité routière - Radars Verkeersveiligheid - Flitspalen",
              descriptors=("sécurité routière", "radar", "verkeersveiligheid", "radar"),
              events=("2/2/2004Verzending vraag", "1/3/2004Antwoord"), siblings=(),
              question="Quelle est la position du ministre sur les radars ?\n\nWat is het standpunt van de minister?",
              answer="Le ministre a répondu à la question.\n\nDe minister heeft op de vraag geantwoord.",
              answer_header="Réponse reçue le 1er mars 2004 : Antwoord ontvangen op 1 maart 2004 :",
              header_date="2 février 2004 2 februari 2004", qdate=("2 février 2004", "2 februari 2004")) -> str:
    lines = ["SÉNAT DE BELGIQUE BELGISCHE SENAAT", RULE, "Session 2003-2004 Zitting 2003-2004", RULE,
             header_date, RULE, f"Question écrite n° {number} Schriftelijke vraag nr. {number}", "",
             "de Jean Exemple (cdH)", "", "van Jean Exemple (cdH)", "", "à la ministre de la Mobilité", "",
             "aan de minister van Mobiliteit", RULE, title, RULE, *descriptors, "________ ________", *events,
             *events, "________ ________", *siblings, "________ ________",
             f"Question n° {number} du {qdate[0]} : (Question posée en français) "
             f"Vraag nr. {number} d.d. {qdate[1]} : (Vraag gesteld in het Frans)", "", question, "\xa0"]
    if answer is not None:
        lines += [answer_header, "", answer]
    return "\n".join(lines) + "\n"


def detail_fr(*, number="8-215", author="de Anne Exemple (Les Engagés) du 1er mars 2024",
              events=("1/3/2024Envoi question (Fin du délai de réponse: 4/4/2024)",), relations=(),
              body="Question n° 8-215 du 1er mars 2024 : (Question posée en français)\n\nMa question.") -> str:
    lines = ["Version à imprimer bilingue Version à imprimer unilingue", "", f"Question écrite n° {number}", "",
             author, "", "au ministre de la Justice", "", "Prisons - Surpopulation", "", "prison", "surpopulation",
             "", "Chronologie", "", *events, "", *relations, "", body]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ variants
def test_bilingual_other_legislature_and_months():
    q = parse_page(bilingual(), "b.txt")
    assert (q.legislature, q.number, q.session) == (3, 412, "2003-2004")
    assert q.date == dt.date(2004, 2, 2) and q.answer_date == dt.date(2004, 3, 1)  # "1er mars" = 1 maart
    assert q.addressee == {"fr": "ministre de la Mobilité", "nl": "minister van Mobiliteit"}
    assert q.title == {"fr": "Sécurité routière - Radars", "nl": "Verkeersveiligheid - Flitspalen"}
    assert q.descriptors == (Descriptor("sécurité routière", "verkeersveiligheid"), Descriptor("radar", "radar"))
    assert q.original_language == "fr"
    assert q.question_text == {"fr": "Quelle est la position du ministre sur les radars ?",
                               "nl": "Wat is het standpunt van de minister?"}
    assert q.answer_text == {"fr": "Le ministre a répondu à la question.",
                             "nl": "De minister heeft op de vraag geantwoord."}


@pytest.mark.parametrize("number", ["9-1", "12-99999", "8-123456"])
def test_question_numbers_of_any_length_a_legislature_may_reach(number):
    q = parse_page(bilingual(number=number), "b.txt")
    assert q.identifier == number
    detail = parse_page(detail_fr(number=number, body=f"Question n° {number} du 1er mars 2024 : "
                                                      "(Question posée en français)\n\nMa question."), "d.txt")
    assert detail.identifier == number


def test_bilingual_long_sibling_run_in_both_label_languages():
    siblings = [f"Aussi posée à : question écrite 3-{n}" for n in range(413, 473)]
    siblings += [f"Ook gesteld aan : schriftelijke vraag 3-{n}" for n in range(413, 473)]
    q = parse_page(bilingual(siblings=siblings), "b.txt")
    assert q.also_asked == tuple(f"3-{n}" for n in range(413, 473))


def test_bilingual_several_reminders_and_closed_in_dutch():
    events = ("2/2/2004Verzending vraag", "2/4/2004Rappel", "2/6/2004Rappel", "2/9/2004Rappel",
              "1/10/2004Dossier gesloten")
    q = parse_page(bilingual(events=events, answer=None), "b.txt")
    assert [e.kind for e in q.events] == [EventKind.SENT] + [EventKind.REMINDER] * 3 + [EventKind.CLOSED]
    assert q.events[-1].date == dt.date(2004, 10, 1)


def test_bilingual_unanswered_has_no_answer():
    q = parse_page(bilingual(events=("2/2/2004Verzending vraag",), answer=None), "b.txt")
    assert q.answer_text == {} and q.answer_date is None
    assert set(q.question_text) == {"fr", "nl"}


@pytest.mark.parametrize("descriptors, expected", [
    (("sécurité routière", "contrôle de vitesse", "véhicule"),
     (Descriptor("sécurité routière", None), Descriptor("contrôle de vitesse", None), Descriptor("véhicule", None))),
    (("sécurité routière", "contrôle de vitesse", "verkeersveiligheid"),
     (Descriptor("sécurité routière", "verkeersveiligheid"), Descriptor("contrôle de vitesse", None))),
    (("sécurité routière", "verkeersveiligheid", "snelheidscontrole"),
     (Descriptor("sécurité routière", "verkeersveiligheid"), Descriptor(None, "snelheidscontrole"))),
    ((), ()),
], ids=["french-only", "one-dutch-missing", "one-french-missing", "none"])
def test_bilingual_descriptors_present_in_one_language_only(descriptors, expected):
    assert parse_page(bilingual(descriptors=descriptors), "b.txt").descriptors == expected


@pytest.mark.parametrize("line, fr, nl", [
    ("Réseau social «TikTok» - Membres du gouvernement fédéral - Collaborateurs des cellules stratégiques - "
     "Présence - Risques - Mises en garde - Règles d'utilisation Sociaal netwerk «TikTok» - Leden van de federale "
     "regering - Medewerkers van strategische cellen - Aanwezigheid - Risico's - Waarschuwingen - Regels voor het "
     "gebruik",
     "Réseau social «TikTok» - Membres du gouvernement fédéral - Collaborateurs des cellules stratégiques - "
     "Présence - Risques - Mises en garde - Règles d'utilisation",
     "Sociaal netwerk «TikTok» - Leden van de federale regering - Medewerkers van strategische cellen - "
     "Aanwezigheid - Risico's - Waarschuwingen - Regels voor het gebruik"),
    ("Facebook - Publicités politiques - Refus par l'utilisateur Facebook - Politieke advertenties - Weigering "
     "door de gebruiker", "Facebook - Publicités politiques - Refus par l'utilisateur",
     "Facebook - Politieke advertenties - Weigering door de gebruiker"),
    ("Covid-19 Covid-19", "Covid-19", "Covid-19"),
    ("Chine China", "Chine", "China"),
])
def test_title_split(line, fr, nl):
    assert split_title(line) == (fr, nl)


def test_french_print_view():
    page = "\n".join([
        "SÉNAT DE BELGIQUE", "________", "Session 2012-2013", "________", "30 avril 2013", "________",
        "SENAT Question écrite n° 5-8902", "", "de Martine Taelman (Open Vld)", "",
        "au vice-premier ministre et ministre des Affaires étrangères", "________",
        "Services publics fédéraux - Communication avec les citoyens", "________", "ministère", "médias sociaux",
        "________", "30/4/2013Envoi question", "18/12/2013Rappel", "17/2/2014Réponse", "________",
        "Aussi posée à : question écrite 5-8900", "________",
        "SENAT Question écrite n° 5-8902 du 30 avril 2013 : (Question posée en néerlandais)", "",
        "Ces dernières années, nos entreprises ont découvert les médias sociaux.", "",
        "Réponse reçue le 17 février 2014 :", "", "Je remercie l'honorable membre pour sa question.", ""])
    q = parse_page(page, "p.txt")
    assert (q.sources[0].layout, q.sources[0].language) == (Layout.PRINT, "fr")
    assert (q.identifier, q.session, q.date) == ("5-8902", "2012-2013", dt.date(2013, 4, 30))
    assert q.addressee == {"fr": "vice-premier ministre et ministre des Affaires étrangères"}
    assert q.descriptors == (Descriptor("ministère", None), Descriptor("médias sociaux", None))
    assert [e.kind for e in q.events] == [EventKind.SENT, EventKind.REMINDER, EventKind.ANSWER]
    assert q.also_asked == ("5-8900",) and q.original_language == "nl"
    assert q.answer_text == {"fr": "Je remercie l'honorable membre pour sa question."}
    assert q.answer_date == dt.date(2014, 2, 17)


def test_dutch_print_view_author_printed_with_french_de():
    page = ("BELGISCHE SENAAT\n________\nZitting 2012-2013\n________\n30 april 2013\n________\n"
            "SENAAT Schriftelijke vraag nr. 5-8902\n\nde Martine Taelman (Open Vld)\n\naan de minister van Justitie\n")
    q = parse_page(page, "p.txt")
    assert (q.author, q.party, q.addressee) == ("Martine Taelman", "Open Vld", {"nl": "minister van Justitie"})


def test_detail_page_first_of_month_deadline_and_several_reminders():
    events = ("1/3/2024Envoi question (Fin du délai de réponse: 4/4/2024)", "5/4/2024Rappel", "6/5/2024Rappel",
              "1/7/2024Dossier clôturé")
    q = parse_page(detail_fr(events=events), "d.txt")
    assert q.date == dt.date(2024, 3, 1) and (q.author, q.party) == ("Anne Exemple", "Les Engagés")
    assert q.events == (Event(EventKind.SENT, dt.date(2024, 3, 1), dt.date(2024, 4, 4)),
                        Event(EventKind.REMINDER, dt.date(2024, 4, 5)), Event(EventKind.REMINDER, dt.date(2024, 5, 6)),
                        Event(EventKind.CLOSED, dt.date(2024, 7, 1)))
    assert q.question_text == {"fr": "Ma question."} and q.original_language == "fr"


def test_detail_page_author_without_party():
    q = parse_page(detail_fr(author="de Anne Exemple du 1er mars 2024"), "d.txt")
    assert (q.author, q.party) == ("Anne Exemple", None)


def test_detail_page_text_on_the_header_line():
    body = "Question n° 8-215 du 1er mars 2024 : (Question posée en français) Ma question tient en une ligne."
    assert parse_page(detail_fr(body=body), "d.txt").question_text == {"fr": "Ma question tient en une ligne."}


def test_dutch_detail_page_closed_and_reintroduced():
    page = ("Tweetalige printerversie Eentalige printerversie\n\nSchriftelijke vraag nr. 7-657\n\n"
            "van Peter Van Rompuy (CD&V) d.d. 22 september 2020\n\naan de minister van Digitale Agenda\n\n"
            "Facebook - Politieke advertenties\n\nsociale media\n\nChronologie\n\n"
            "22/9/2020Verzending vraag (Einde van de antwoordtermijn: 22/10/2020)\n1/10/2020Dossier gesloten\n\n"
            "Opnieuw ingediend als : schriftelijke vraag 7-804\n\n"
            "Vraag nr. 7-657 d.d. 22 september 2020 : (Vraag gesteld in het Nederlands)\n\n"
            "Het belang van sociale media.\n")
    q = parse_page(page, "d.txt")
    assert q.events[-1] == Event(EventKind.CLOSED, dt.date(2020, 10, 1))
    assert q.events[0].deadline == dt.date(2020, 10, 22)
    assert q.reintroduced_as == ("7-804",) and q.question_text == {"nl": "Het belang van sociale media."}


def test_legacy_encoding_crlf_and_bom():
    page = detail_fr().replace("Ma question.", "Une question sur la sécurité – « potentiŽle ».")
    q = parse_page(page.replace("\n", "\r\n").encode("cp1252"), "d.txt")
    assert q.question_text == {"fr": "Une question sur la sécurité – « potentiŽle »."}  # mojibake kept as printed
    assert parse_page(b"\xef\xbb\xbf" + page.encode("utf-8"), "d.txt").identifier == "8-215"


def test_undefined_windows_1252_bytes_do_not_fail_the_page():
    q = parse_page(detail_fr().encode("cp1252").replace(b"Ma question.", b"Ma question \x81\x8d."), "d.txt")
    assert q.question_text == {"fr": "Ma question ."}


# ------------------------------------------------------------------------------------------------ cut pages
def test_cut_inside_a_sibling_number_drops_it():
    page = bilingual(siblings=["Aussi posée à : question écrite 3-413", "Aussi posée à : question écrite 3-41"])
    cut = page[:page.index("3-41\n") + 4]
    assert parse_page(cut, "cut.txt").also_asked == ("3-413",)


def test_cut_inside_the_author_line_leaves_no_author():
    page = detail_fr()
    cut = page[:page.index("Exemple (Les")]
    q = parse_page(cut, "cut.txt")
    assert q.identifier == "8-215" and q.author is None and q.date is None


def test_cut_descriptor_dropped_cut_title_kept():
    page = detail_fr()
    q = parse_page(page[:page.index("surpopulation\n") + 6], "cut.txt")
    assert q.title == {"fr": "Prisons - Surpopulation"} and q.descriptors == (Descriptor("prison", None),)
    q = parse_page(page[:page.index("Surpopulation")], "cut.txt")
    assert q.title == {"fr": "Prisons -"} and q.descriptors == ()


def test_cut_event_label_dropped():
    page = detail_fr()
    assert parse_page(page[:page.index("question (Fin")], "cut.txt").events == ()
    assert parse_page(page[:page.index("(Fin")], "cut.txt").events == (Event(EventKind.SENT, dt.date(2024, 3, 1)),)


# ------------------------------------------------------------------------------------------------ errors
def _error(page, source="bad.txt") -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_page(page, source)
    assert info.value.source == source
    return info.value


@pytest.mark.parametrize("page, field, words, line", [
    (detail_fr(events=("1/3/2024Envoi urgent",)), "events", "unknown chronology event 'Envoi urgent'", 16),
    (detail_fr(events=("31/2/2024Envoi question",)), "events", "not a calendar date", 16),
    (detail_fr(events=("1/3/2024Envoi question (Délai: 4/4/2024)",)), "events", "unknown note", 16),
    (detail_fr(relations=("Citée dans : question écrite 8-1",)), "links", "unknown relation 'Citée dans'", 18),
    (detail_fr(body="Question n° 8-216 du 1er mars 2024 : (Question posée en français)"), "number",
     "8-215 (line 3) and 8-216 (line 19)", 19),
    (detail_fr(body="Question n° 8-215 du 2 mars 2024 : (Question posée en français)"), "date",
     "2024-03-01", 19),
    (detail_fr(body="Question n° 8-215 du 1er mars 2024 : (Question posée en allemand)"), "original_language",
     "neither French nor Dutch", 19),
    (detail_fr(author="de Anne Exemple du 1er brumaire 2024"), "date", "unknown month name 'brumaire'", 5),
    (bilingual(number="3-412").replace("Schriftelijke vraag nr. 3-412", "Schriftelijke vraag nr. 3-413"),
     "number", "3-412 (line 7) and 3-413 (line 7)", 7),
    (bilingual(qdate=("2 février 2004", "3 februari 2004")), "date",
     "2004-02-02 (line 30) and 2004-02-03 (line 30)", 30),
    ("SÉNAT DE BELGIQUE BELGISCHE SENAAT\n" + RULE + "\nSession 2003-2004\nCeci n'est pas un numéro\n",
     "number", "expected the session, date or question number", 4),
    ("Version à imprimer bilingue\n\nQuestion écrite n° 8-1\n\nau ministre\n\nTitre\n\nd1\n\nd2\n\nd3\n",
     "descriptors", "unexpected text block 'd2'", 11),
], ids=["unknown-event", "bad-date", "unknown-deadline", "unknown-relation", "numbers-differ", "dates-differ",
        "german", "unknown-month", "fr-nl-numbers-differ", "fr-nl-dates-differ", "no-number", "extra-block"])
def test_errors_name_field_reason_and_line(page, field, words, line):
    err = _error(page)
    assert (err.field, err.line) == (field, line), err
    assert words in err.reason
    assert str(err).startswith(f"bad.txt:{line}: {field}: ")


@pytest.mark.parametrize("page, field", [
    ("", "layout"), ("\n\n  \n", "layout"), ("Hello world\nnot a page\n", "layout"),
    ("Version à imprimer bilingue\n\n", "number"),
    (b"\x00\xff\xfe" * 10, "layout"),
    (12345, "input"),
])
def test_not_a_page(page, field):
    assert _error(page).field == field


def test_size_limit_refuses_before_reading():
    big = detail_fr() + "x" * MAX_PAGE_BYTES
    assert _error(big).field == "size"
    assert _error(big.encode("utf-8")).field == "size"
    assert "limit" in _error(big).reason


# ------------------------------------------------------------------------------------------------ structure
@pytest.mark.parametrize("first_line, layout, language", [
    ("SÉNAT DE BELGIQUE BELGISCHE SENAAT", Layout.BILINGUAL_PRINT, None),
    ("BELGISCHE SENAAT", Layout.PRINT, "nl"),
    ("Sénat de Belgique", Layout.PRINT, "fr"),
    ("Version à imprimer bilingue Version à imprimer unilingue", Layout.DETAIL, "fr"),
    ("Tweetalige printerversie Eentalige printerversie", Layout.DETAIL, "nl"),
])
def test_detect_layout_from_the_banner(first_line, layout, language):
    spec, at = detect_layout("\n\xa0\n" + first_line + "\n...")
    assert (spec.layout, spec.language, at) == (layout, language, 2)


def test_parsing_imports_neither_rdflib_nor_flask_nor_the_store():
    code = ("import sys, mapping.parse, mapping.merge; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'rdflib', 'flask', 'pyoxigraph', 'store'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
