"""Synthetic question pages for benchmarks, in the bilingual print layout (SVPrintNLFR). CLEARLY NOT REAL DATA.

Every page is marked as synthetic where a reader would look: legislature 99 (no real page uses it), authors
"Synthetic Senator 0042" of "Synthetic Party 3", offices "ministre synthétique de …", invented titles, and a
first paragraph that says so in both languages. What is real: the layout (the grammar of the bundled sample
data/samples/000_a9f2765591931727.txt) and the descriptors, drawn from real EuroVoc fr/nl prefLabel pairs
(../shared/eurovoc/eurovoc_concepts.tsv), plus now and then one descriptor EuroVoc does not know.

Questions come in groups of 1-4 "also asked" siblings (same author, title and text, another minister), as the
Senate publishes them; some are answered, some reminded, some closed. Pages weigh about 3-10 KB.

    python bench/synthetic.py --count 10000 --out bench/out/pages [--seed 0]

`make_page(number, ...)` returns the page text together with the Question record it encodes, so that tests
can check the parser reads back exactly what was written. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the mapping package is the repository's
    sys.path.insert(0, str(ROOT))

from mapping.model import Descriptor, Event, EventKind, Question  # noqa: E402
from mapping.text import format_date  # noqa: E402
from senate_kg.paths import SHARED_DIR  # noqa: E402

LEGISLATURE = 99  # no real legislature: the Senate counts 1 to 8 so far
EUROVOC_TSV = SHARED_DIR / "eurovoc" / "eurovoc_concepts.tsv"
RULE, DOUBLE_RULE = "________________", "________ ________"
SENATORS, PARTIES = 200, 9

# (fr, nl) pairs: a policy area names the office and the title's first piece
AREAS = (("Mobilité", "Mobiliteit"), ("Énergie", "Energie"), ("Justice", "Justitie"), ("Santé publique",
         "Volksgezondheid"), ("Finances", "Financiën"), ("Défense", "Defensie"), ("Emploi", "Werk"), ("Pensions",
         "Pensioenen"), ("Affaires étrangères", "Buitenlandse Zaken"), ("Intérieur", "Binnenlandse Zaken"),
         ("Économie", "Economie"), ("Climat", "Klimaat"), ("Asile et Migration", "Asiel en Migratie"),
         ("Numérique", "Digitale Agenda"), ("Affaires sociales", "Sociale Zaken"))
ASPECTS = (("Coût des mesures", "Kostprijs van de maatregelen"), ("Évaluation", "Evaluatie"), ("Chiffres",
           "Cijfers"), ("Délais de traitement", "Behandelingstermijnen"), ("Contrôle", "Controle"),
           ("Réforme annoncée", "Aangekondigde hervorming"), ("Collaboration avec les Régions",
           "Samenwerking met de Gewesten"), ("Personnel", "Personeel"), ("Protection des données",
           "Gegevensbescherming"), ("Stratégie", "Strategie"), ("Recours aux consultants", "Inzet van consultants"))
def _words(text: str) -> list[str]:
    return text.split()


FRENCH = {"function": _words("le la les des du et pour dans avec que qui sur par au aux une un ce cette est sont"),
          "content": _words("ministre service politique mesure budget citoyens administration réforme sécurité données "
                      "rapport commission procédure réseau coût délai évaluation stratégie projet contrôle "
                      "fédéral régional personnel dossier demande enquête")}
DUTCH = {"function": _words("het een van voor met op aan te door bij is zijn niet dat die wordt worden er om ook"),
         "content": _words("minister dienst beleid maatregel begroting burgers administratie hervorming veiligheid "
                     "gegevens verslag commissie procedure netwerk kostprijs termijn evaluatie strategie project "
                     "controle federaal gewestelijk personeel dossier aanvraag onderzoek")}
MARKER = {"fr": "Question synthétique, générée pour les essais de performance de senate-kg : aucune donnée réelle.",
          "nl": "Synthetische vraag, gemaakt voor de prestatietests van senate-kg: geen echte gegevens."}
SENT, REMINDER, ANSWER, CLOSED = "Verzending vraag", "Rappel", "Antwoord", "Dossier gesloten"  # as printed
LANGUAGE_NAMES = {"fr": ("français", "Frans"), "nl": ("néerlandais", "Nederlands")}


@dataclass(frozen=True)
class SyntheticPage:
    filename: str
    text: str
    expected: Question  # what the parser must read back (without `sources`)


def load_descriptor_pairs(path: Path = EUROVOC_TSV) -> list[tuple[str, str]]:
    """Real EuroVoc (fr, nl) prefLabel pairs; the file is read once per run."""
    if not path.exists():
        raise SystemExit(f"{path}: EuroVoc concepts not found (the shared folder beside the repository); "
                         "give another with --eurovoc")
    pairs = []
    with path.open(encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        fr_col, nl_col = header.index("prefLabel_fr"), header.index("prefLabel_nl")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > max(fr_col, nl_col) and cols[fr_col].strip() and cols[nl_col].strip():
                pairs.append((cols[fr_col].strip(), cols[nl_col].strip()))
    return pairs


# ------------------------------------------------------------------------------------------------ text
def _sentence(rng: random.Random, words: dict[str, list[str]], question: bool) -> str:
    out = [rng.choice(words["function"] if i % 3 == 1 else words["content"]) for i in range(rng.randint(9, 22))]
    end = (" ?" if words is FRENCH else "?") if question else "."  # French puts a space before "?"
    return out[0].capitalize() + " " + " ".join(out[1:]) + end


def _paragraph(rng: random.Random, words: dict[str, list[str]], question: bool, number: int | None) -> str:
    text = " ".join(_sentence(rng, words, question and i == 0) for i in range(rng.randint(2, 4)))
    return f"{number}) {text}" if number else text


def _parallel_texts(rng: random.Random, paragraphs: int, question: bool) -> dict[str, str]:
    """FR and NL texts with the same number of paragraphs, as translations have."""
    texts = {}
    for lang, words in (("fr", FRENCH), ("nl", DUTCH)):
        paras = [MARKER[lang]] if question else []
        paras += [_paragraph(rng, words, question, i if question else None) for i in range(1, paragraphs + 1)]
        texts[lang] = "\n\n".join(paras)
    return texts


# ------------------------------------------------------------------------------------------------ facts
def _session(date: dt.date) -> str:
    """Sessions open in October (synthetic pages need one; real ones print theirs)."""
    start = date.year if date.month >= 10 else date.year - 1
    return f"{start}-{start + 1}"


def _events(rng: random.Random, sent: dt.date) -> tuple[tuple[Event, ...], dt.date | None]:
    deadline = sent + dt.timedelta(days=rng.choice((30, 31))) if rng.random() < 0.5 else None
    events, day = [Event(EventKind.SENT, sent, deadline)], sent
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        day += dt.timedelta(days=rng.randint(30, 120))
        events.append(Event(EventKind.REMINDER, day))
    fate = rng.random()
    if fate < 0.7:
        day += dt.timedelta(days=rng.randint(5, 200))
        events.append(Event(EventKind.ANSWER, day))
        return tuple(events), day
    if fate < 0.8:
        events.append(Event(EventKind.CLOSED, day + dt.timedelta(days=rng.randint(5, 200))))
    return tuple(events), None


def _descriptors(rng: random.Random, pairs: Sequence[tuple[str, str]], number: int) -> tuple[Descriptor, ...]:
    chosen = rng.sample(list(pairs), rng.randint(2, 6))
    if rng.random() < 0.15:  # a descriptor EuroVoc has no concept for
        chosen.append((f"thème synthétique {number % 97}", f"synthetisch thema {number % 97}"))
    return tuple(Descriptor(fr, nl) for fr, nl in chosen)


def _office(rng: random.Random, area: tuple[str, str]) -> dict[str, str]:
    fr_article, fr_office = rng.choice((("au", "ministre synthétique"), ("à la", "ministre synthétique"),
                                        ("au", "vice-premier ministre synthétique")))
    nl_office = "synthetische vice-eersteminister" if "vice" in fr_office else "synthetische minister"
    return {"fr": f"{fr_office} de {area[0]}", "nl": f"{nl_office} van {area[1]}", "fr_article": fr_article}


def _title(rng: random.Random, area: tuple[str, str]) -> dict[str, str]:
    aspects = rng.sample(ASPECTS, rng.randint(1, 3))
    return {"fr": " - ".join([f"Politique synthétique : {area[0]}", *(a[0] for a in aspects)]),
            "nl": " - ".join([f"Synthetisch beleid: {area[1]}", *(a[1] for a in aspects)])}


# ------------------------------------------------------------------------------------------------ page
def _header_lines(q: Question, fr_article: str) -> list[str]:
    date_fr, date_nl = format_date(q.date, "fr"), format_date(q.date, "nl")
    people = f"{q.author} ({q.party})"
    return ["SÉNAT DE BELGIQUE BELGISCHE SENAAT", RULE, f"Session {q.session} Zitting {q.session}", RULE,
            f"{date_fr} {date_nl}", RULE,
            f"Question écrite n° {q.identifier} Schriftelijke vraag nr. {q.identifier}", "", f"de {people}", "",
            f"van {people}", "", f"{fr_article} {q.addressee['fr']}", "", f"aan de {q.addressee['nl']}", RULE,
            f"{q.title['fr']} {q.title['nl']}\xa0", RULE, *(d.fr for d in q.descriptors),
            *(d.nl for d in q.descriptors), DOUBLE_RULE]


def _chronology_lines(q: Question) -> list[str]:
    labels = {EventKind.SENT: SENT, EventKind.REMINDER: REMINDER, EventKind.ANSWER: ANSWER, EventKind.CLOSED: CLOSED}
    lines = []
    for e in q.events:
        note = f" (Einde van de antwoordtermijn: {format_date(e.deadline)})" if e.deadline else ""
        lines.append(f"{format_date(e.date)}{labels[e.kind]}{note}")
    siblings = [f"Ook gesteld aan : schriftelijke vraag {s}" for s in q.also_asked]
    return [*lines, *lines, DOUBLE_RULE, *siblings, *siblings, DOUBLE_RULE]


def _body_lines(q: Question) -> list[str]:
    fr_lang, nl_lang = LANGUAGE_NAMES[q.original_language]
    lines = [f"Question n° {q.identifier} du {format_date(q.date, 'fr')} : (Question posée en {fr_lang}) "
             f"Vraag nr. {q.identifier} d.d. {format_date(q.date, 'nl')} : (Vraag gesteld in het {nl_lang})", "",
             q.question_text["fr"], "", "\xa0", "", q.question_text["nl"], "", "\xa0"]
    if q.answer_text:
        lines += [f"Réponse reçue le {format_date(q.answer_date, 'fr')} : "
                  f"Antwoord ontvangen op {format_date(q.answer_date, 'nl')} :", "",
                  q.answer_text["fr"], "", q.answer_text["nl"]]
    return lines


def make_page(number: int, group: Sequence[int], shared: dict, rng: random.Random) -> SyntheticPage:
    """One page of a sibling group: `shared` holds what the group has in common (author, title, texts)."""
    area = shared["areas"][group.index(number)]
    office = _office(rng, area)
    events, answered = _events(rng, shared["date"])
    q = Question(
        legislature=LEGISLATURE, number=number, session=_session(shared["date"]), date=shared["date"],
        author=shared["author"], party=shared["party"], addressee={"fr": office["fr"], "nl": office["nl"]},
        title=shared["title"], descriptors=shared["descriptors"], events=events,
        also_asked=tuple(f"{LEGISLATURE}-{n}" for n in group if n != number),
        original_language=shared["language"], question_text=shared["question"],
        answer_text=_parallel_texts(rng, rng.randint(2, 7), question=False) if answered else {},
        answer_date=answered)
    text = "\n".join(_header_lines(q, office["fr_article"]) + _chronology_lines(q) + _body_lines(q))
    return SyntheticPage(f"SVPrintNLFR_LEG{LEGISLATURE}_NR{number}_LANGnl.synthetic.txt", text, q)


def generate(n: int, seed: int = 0, pairs: Sequence[tuple[str, str]] | None = None):
    """Yield n SyntheticPages numbered 1..n, in groups of 1-4 siblings; deterministic for (n, seed)."""
    pairs = load_descriptor_pairs() if pairs is None else pairs
    rng = random.Random(seed)
    number = 1
    while number <= n:
        group = list(range(number, min(n, number + rng.choice((0, 0, 0, 1, 1, 2, 3))) + 1))
        senator = rng.randrange(SENATORS)
        area = rng.choice(AREAS)
        shared = {
            "date": dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000)),
            "author": f"Synthetic Senator {senator:04d}", "party": f"Synthetic Party {senator % PARTIES + 1}",
            "areas": [area] + rng.sample([a for a in AREAS if a != area], len(group) - 1),
            "title": _title(rng, area), "descriptors": _descriptors(rng, pairs, number),
            "language": rng.choice(("fr", "nl")), "question": _parallel_texts(rng, rng.randint(3, 5), question=True),
        }
        for member in group:
            yield make_page(member, group, shared, rng)
        number = group[-1] + 1


def write_pages(n: int, out_dir: Path | str, seed: int = 0, eurovoc: Path = EUROVOC_TSV) -> list[Path]:
    """Write n synthetic pages (UTF-8) into out_dir; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for page in generate(n, seed, load_descriptor_pairs(eurovoc)):
        path = out / page.filename
        path.write_text(page.text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="number of pages (default 1000)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--eurovoc", type=Path, default=EUROVOC_TSV, help="EuroVoc concepts TSV")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    paths = write_pages(args.count, args.out, args.seed, args.eurovoc)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} synthetic pages, {size / 1e6:.1f} MB, in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
