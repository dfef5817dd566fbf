"""Hand-built Question records with the facts of real pages, shared by the mapping and validation tests.

Built by hand (not by the parser) so that the RDF tests pin the mapping alone. The other test files load this
module by its path (see `_load` there), which works whatever pytest's import mode is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from mapping.model import Descriptor, Event, EventKind, Layout, Question, SourcePage

D = dt.date

FR_TITLE_8900 = "Services publics fédéraux - Communication avec les citoyens - Recours aux médias sociaux"
NL_TITLE_8900 = "Federale overheidsdiensten - Communicatie met burgers - Gebruik van sociale media"
DESCRIPTORS_8900 = (
    Descriptor("ministère", "ministerie"),
    Descriptor("communauté virtuelle", "virtuele gemeenschap"),
    Descriptor("sensibilisation du public", "bewustmaking van de burgers"),
    Descriptor("relation administration-administré", "betrekking tussen overheid en burger"),
    Descriptor("médias sociaux", "sociale media"),
)
EUROVOC_8900 = ("5116", "443345", "5891", "5852", "c_324b44f1")


def question_5_8900() -> Question:
    """The complete bilingual sample ../shared/samples/000_a9f2765591931727.txt, as the parser must read it."""
    return Question(
        legislature=5,
        number=8900,
        session="2012-2013",
        date=D(2013, 4, 30),
        author="Martine Taelman",
        party="Open Vld",
        addressee={"fr": "premier ministre", "nl": "eerste minister"},
        title={"fr": FR_TITLE_8900, "nl": NL_TITLE_8900},
        descriptors=DESCRIPTORS_8900,
        events=(Event(EventKind.SENT, D(2013, 4, 30)), Event(EventKind.ANSWER, D(2013, 5, 30))),
        also_asked=tuple(f"5-{n}" for n in range(8901, 8919)),
        original_language="nl",
        question_text={
            "fr": "Ces dernières années, nos entreprises et nos autorités ont découvert l'atout majeur que "
                  "constituent les médias sociaux.\n\nJ'aimerais dès lors obtenir une réponse aux questions "
                  "suivantes :",
            "nl": "Bedrijven en overheden hebben de afgelopen jaren de kracht van de sociale media ontdekt.\n\n"
                  "Graag kreeg ik dan ook een antwoord op de volgende vragen:",
        },
        answer_text={
            "fr": "1, 2 et 3. Le Service public fédéraux (SPF) Chancellerie du premier ministre recourt à "
                  "différents médias sociaux.\n\n4. Je n’ai connaissance d’aucun abus.",
            "nl": "1, 2 en 3. De Federale Overheidsdienst (FOD) Kanselarij van de eerste minister maakt gebruik "
                  "van verschillende sociale media.\n\n4. Ik heb geen weet van enig misbruik.",
        },
        answer_date=D(2013, 5, 30),
        sources=(SourcePage("000_a9f2765591931727.txt", Layout.BILINGUAL_PRINT, None, "0" * 64),),
    )


def question_7_1923_fr() -> Question:
    """The French detail page of 7-1923 alone: French only, unanswered, with an answer deadline, and a
    descriptor ("sûreté de l'Etat") that EuroVoc does not have."""
    return Question(
        legislature=7,
        number=1923,
        session=None,
        date=D(2023, 3, 6),
        author="Gaëtan Van Goidsenhoven",
        party="MR",
        addressee={"fr": "premier ministre"},
        title={"fr": "Réseau social «TikTok» - Membres du gouvernement fédéral - Collaborateurs des cellules "
                     "stratégiques - Présence - Risques - Mises en garde - Règles d'utilisation"},
        descriptors=(Descriptor("médias sociaux", None), Descriptor("Chine", None),
                     Descriptor("protection des communications", None), Descriptor("espionnage", None),
                     Descriptor("sûreté de l'Etat", None), Descriptor("ministre", None)),
        events=(Event(EventKind.SENT, D(2023, 3, 6), deadline=D(2023, 4, 6)),),
        original_language="fr",
        question_text={"fr": "Est-il encore besoin de rappeler ce qu'est «TikTok»?"},
        sources=(SourcePage("SchriftelijkeVraag_LEG7_NR1923_LANGfr.excerpt.txt", Layout.DETAIL, "fr", "1" * 64),),
    )


def question_7_1923() -> Question:
    """7-1923 with both detail pages merged: both languages, still unanswered."""
    fr = question_7_1923_fr()
    nl_labels = ("sociale media", "China", "telefoon- en briefgeheim", "spionage", "staatsveiligheid", "minister")
    return replace(
        fr,
        addressee={"fr": "premier ministre", "nl": "eerste minister"},
        title={**fr.title, "nl": "Sociaal netwerk «TikTok» - Leden van de federale regering - Medewerkers van "
                                 "strategische cellen - Aanwezigheid - Risico's - Waarschuwingen - Regels voor "
                                 "het gebruik"},
        descriptors=tuple(Descriptor(d.fr, nl) for d, nl in zip(fr.descriptors, nl_labels, strict=True)),
        question_text={**fr.question_text, "nl": "Behoeft «TikTok» nog enige introductie?"},
        sources=(*fr.sources, SourcePage("SchriftelijkeVraag_LEG7_NR1923_LANGnl.excerpt.txt", Layout.DETAIL, "nl",
                                         "2" * 64)),
    )


def question_7_657() -> Question:
    """A French page with a closed file and a reintroduction, no answer, cut before the end of the text."""
    return Question(
        legislature=7,
        number=657,
        date=D(2020, 9, 22),
        author="Peter Van Rompuy",
        party="CD&V",
        addressee={"fr": "ministre de l'Agenda numérique, des Télécommunications et de la Poste"},
        title={"fr": "Facebook - Publicités politiques - Refus par l'utilisateur - Disposition légale - Possibilités"},
        descriptors=(Descriptor("médias sociaux", None), Descriptor("propagande politique", None)),
        events=(Event(EventKind.SENT, D(2020, 9, 22), deadline=D(2020, 10, 22)),
                Event(EventKind.CLOSED, D(2020, 10, 1))),
        reintroduced_as=("7-804",),
        original_language="nl",
        sources=(SourcePage("SchriftelijkeVraag_LEG7_NR657_LANGfr.excerpt.txt", Layout.DETAIL, "fr", "3" * 64),),
    )


def synthetic_question(n: int, legislature: int = 99) -> Question:
    """A synthetic complete question (legislature 99: no real page uses it) for benchmarks and batch tests.
    Descriptors and agents repeat across questions, as on real pages, so that batches share nodes."""
    base = question_5_8900()
    first = 1 + (n // 20) * 20
    return replace(
        base,
        legislature=legislature,
        number=n,
        date=D(2013, 1, 1) + dt.timedelta(days=n % 300),
        answer_date=D(2013, 1, 1) + dt.timedelta(days=n % 300 + 30),
        events=(Event(EventKind.SENT, D(2013, 1, 1) + dt.timedelta(days=n % 300)),
                Event(EventKind.REMINDER, D(2013, 1, 1) + dt.timedelta(days=n % 300 + 10)),
                Event(EventKind.ANSWER, D(2013, 1, 1) + dt.timedelta(days=n % 300 + 30))),
        author=f"Synthetic Senator {n % 40}",
        party=f"Party {n % 7}",
        addressee={"fr": f"ministre synthétique {n % 15}", "nl": f"synthetische minister {n % 15}"},
        descriptors=base.descriptors[: 1 + n % 5],
        also_asked=tuple(f"{legislature}-{m}" for m in range(first, first + 20) if m != n),
    )


# ---- a few checks that the records are what they claim to be (so a typo here does not hide a mapping bug)
def test_records_are_consistent():
    q = question_5_8900()
    assert q.identifier == "5-8900" and q.is_complete and q.languages == ("fr", "nl")
    fr = question_7_1923_fr()
    assert fr.languages == ("fr",) and not fr.is_complete
    both = question_7_1923()
    assert both.languages == ("fr", "nl") and both.is_complete
    assert synthetic_question(7).identifier == "99-7"
