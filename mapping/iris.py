"""Every IRI senate-kg mints, in one place, under one configurable base.

The patterns follow DESIGN.md ("URIs"): language-neutral, predictable from the question number, never under
senate.be. `Iris(base)` is cheap; build one per run and pass it around.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DEFAULT_BASE = "http://127.0.0.1:8000/"

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EUROVOC = "http://eurovoc.europa.eu/"
LANGUAGE_CODES = {"fr": "FRA", "nl": "NLD"}  # EU language authority table codes

SENATE_PAGE = "https://www.senate.be/www/?MIval=/Vragen/{layout}&LEG={leg}&NR={nr}&LANG={lang}"

_NON_SLUG = re.compile(r"[^a-z0-9]+")
# The IRIs that live in a question's graph (profile "Graphs"): the question, its answer, their expressions and
# manifestations, its events and participations. Group `id` is the question's identifier.
_SENATE_PAGE = re.compile(r"https://www\.senate\.be/www/\?MIval=/Vragen/\w+&LEG=(?P<leg>\d+)&NR=(?P<nr>\d+)(?:&.*)?")
_IN_QUESTION = re.compile(r"eli/dl/(?:doc/WQ-(?P<doc>\d+-\d+)(?:-ASW)?(?:/.*)?"
                          r"|event/WQ-(?P<event>\d+-\d+)-[A-Z]+\d*"
                          r"|participation/WQ-(?P<part>\d+-\d+)_[A-Z]+)")


def slugify(label: str) -> str:
    """A stable, readable IRI segment: "Gaëtan Van Goidsenhoven" -> "gaetan-van-goidsenhoven"."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-") or "x"


def normalise_base(base: str) -> str:
    """The base always ends with one slash so that `base + "eli/..."` is right."""
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", base):
        raise ValueError(f"base URI must be an absolute http(s) URI, got {base!r}")
    return base.rstrip("/") + "/"


@dataclass(frozen=True)
class Iris:
    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", normalise_base(self.base))

    # --- where a resource is described (profile "Graphs": one fact, one place) ---
    def graph_of(self, iri: str) -> str:
        """The named graph that describes `iri`: its question's graph for the question and what belongs to it
        (answer, expressions, events, participations), the vocabulary's graph `{base}def/` for local terms,
        else a graph of its own named by the IRI (a person, party, office, concept, term, the Senate)."""
        if iri.startswith(self.base):
            local = iri[len(self.base):]
            found = _IN_QUESTION.fullmatch(local)
            if found:
                return self.question(found["doc"] or found["event"] or found["part"])
            if local.startswith("def/"):
                return self.vocab()
        page = _SENATE_PAGE.fullmatch(iri)
        if page:  # a senate.be page read for a question (its provenance) belongs to that question
            return self.question(f"{page['leg']}-{page['nr']}")
        return iri

    # --- documents (ELI-DL) ---
    def question(self, identifier: str) -> str:
        return f"{self.base}eli/dl/doc/WQ-{identifier}"

    def answer(self, identifier: str) -> str:
        return f"{self.question(identifier)}-ASW"

    def expression(self, work_iri: str, lang: str) -> str:
        return f"{work_iri}/{lang}"

    def manifestation(self, work_iri: str, lang: str) -> str:
        return f"{work_iri}/{lang}/html"

    def event(self, identifier: str, suffix: str) -> str:
        """suffix: an EventKind value, numbered for repeated kinds ("RMD1", "RMD2")."""
        return f"{self.base}eli/dl/event/WQ-{identifier}-{suffix}"

    def participation(self, identifier: str, role: str) -> str:
        """role: "AUT" (author) or "ADDRESSEE"."""
        return f"{self.base}eli/dl/participation/WQ-{identifier}_{role}"

    # --- agents and periods ---
    def person(self, name: str) -> str:
        return f"{self.base}person/{slugify(name)}"

    def party(self, name: str) -> str:
        return f"{self.base}org/party/{slugify(name)}"

    def office(self, label_fr_or_nl: str) -> str:
        return f"{self.base}org/office/{slugify(label_fr_or_nl)}"

    def senate(self) -> str:
        return f"{self.base}org/senate"

    def term(self, legislature: int) -> str:
        return f"{self.base}term/{legislature}"

    def session(self, session: str) -> str:
        return f"{self.base}session/{session}"

    # --- local vocabulary and concepts ---
    def vocab(self, local_name: str = "") -> str:
        """Local terms: `{base}def/alsoAsked`; the ontology file is parsed with this as its base IRI."""
        return f"{self.base}def/{local_name}"

    def activity_type(self, kind_value: str) -> str:
        return f"{self.base}def/activity-type/{kind_value}"

    def local_concept(self, label: str) -> str:
        """A descriptor EuroVoc has no concept for."""
        return f"{self.base}concept/{slugify(label)}"

    def dataset(self) -> str:
        return f"{self.base}dataset/questions"

    # --- outside IRIs ---
    @staticmethod
    def eurovoc(concept_id: str) -> str:
        return f"{EUROVOC}{concept_id}"

    @staticmethod
    def language(lang: str) -> str:
        return f"{EU_AUTHORITY}language/{LANGUAGE_CODES[lang]}"

    @staticmethod
    def authority(table: str, code: str) -> str:
        return f"{EU_AUTHORITY}{table}/{code}"

    @staticmethod
    def senate_page(layout: str, legislature: int, number: int, lang: str) -> str:
        """The canonical senate.be URL of a page (the Manifestation's `eli:is_exemplified_by`)."""
        return SENATE_PAGE.format(layout=layout, leg=legislature, nr=number, lang=lang)
