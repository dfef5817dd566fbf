"""Question record -> RDF of that one question (docs/profile.md). Knows nothing of page layouts.

One function builds the triples (`question_triples`); the others only package them: an rdflib Graph for
validation and rendering (`question_graph`), canonical N-Triples bytes for the store (`question_ntriples`). The
pipeline can build the triples once and hand the same list to the validator and to the store.

Rules this module keeps (DESIGN.md "Partial input is normal"):
- publish what the record says and nothing invented: a language that was not read has no title, no expression;
  a page cut before its text has no `skg:text`; such a question gets `skg:incomplete true`;
- deterministic: minted IRIs only (no blank nodes), no clock, no randomness; N-Triples are sorted;
- one fact, one place (docs/profile.md "Graphs"): `question_triples` is everything the question needs to be
  validated, including the description of what it links to; `question_graphs` splits it by the graph each
  subject lives in (`Iris.graph_of`): the question's own graph, one graph per shared resource (person, party,
  office, concept, term, the Senate, the EuroVoc scheme) and a placeholder per linked question. Local
  vocabulary terms are left out: the ontology graph `{base}def/` describes them once.

Also here because they depend on the base IRI like the mapping does: `load_ontology(iris)` (ontology/senate-kg.ttl
parsed under `{base}def/`) and `jsonld_context(iris)` (ontology/context.jsonld with the `skg` prefix rebased).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from mapping.errors import ParseError
from mapping.eurovoc import SCHEME_ID, Match, load_index, match_descriptor
from mapping.iris import DEFAULT_BASE, LANGUAGE_CODES, Iris
from mapping.model import LANGUAGES, EventKind, Layout, Question
from senate_kg import __version__
from senate_kg.paths import ONTOLOGY_DIR

Triple = tuple[URIRef, URIRef, Node]

ONTOLOGY_FILE = ONTOLOGY_DIR / "senate-kg.ttl"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"

ELI = "http://data.europa.eu/eli/ontology#"
ELI_DL = "http://data.europa.eu/eli/eli-draft-legislation-ontology#"
EPVOC = "https://data.europarl.europa.eu/def/epvoc#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"

# The prefixes every serialisation of a question uses (Turtle, JSON-LD); `skg` is added per base.
PREFIXES: dict[str, str] = {
    "eli": ELI, "eli-dl": ELI_DL, "epvoc": EPVOC, "dcterms": DCTERMS, "skos": str(SKOS), "foaf": FOAF,
    "org": ORG, "prov": PROV, "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD),
    "at": "http://publications.europa.eu/resource/authority/", "ev": "http://eurovoc.europa.eu/",
}

_IDENTIFIER = re.compile(r"^\d+-\d+$")


def _u(namespace: str, name: str) -> URIRef:
    return URIRef(namespace + name)


# ---- outside vocabularies (module constants: building a URIRef costs more than looking one up)
A = RDF.type
ELI_WORK, ELI_EXPRESSION, ELI_MANIFESTATION = _u(ELI, "Work"), _u(ELI, "Expression"), _u(ELI, "Manifestation")
WORK_TYPE, DATE_DOCUMENT, IS_ABOUT = _u(ELI, "work_type"), _u(ELI, "date_document"), _u(ELI, "is_about")
IS_REALIZED_BY, REALIZES, LANGUAGE = _u(ELI, "is_realized_by"), _u(ELI, "realizes"), _u(ELI, "language")
ELI_TITLE, IS_EMBODIED_BY, EMBODIES = _u(ELI, "title"), _u(ELI, "is_embodied_by"), _u(ELI, "embodies")
FORMAT, IS_EXEMPLIFIED_BY = _u(ELI, "format"), _u(ELI, "is_exemplified_by")
PARTICIPATION, ACTIVITY, TERM = _u(ELI_DL, "Participation"), _u(ELI_DL, "Activity"), _u(ELI_DL, "ParliamentaryTerm")
ANSWERS_TO, PARLIAMENTARY_TERM = _u(ELI_DL, "answers_to"), _u(ELI_DL, "parliamentary_term")
HAD_PARTICIPATION, PARTICIPATION_ROLE = _u(ELI_DL, "had_participation"), _u(ELI_DL, "participation_role")
PARTICIPANT_PERSON = _u(ELI_DL, "had_participant_person")
PARTICIPANT_ORGANIZATION = _u(ELI_DL, "had_participant_organization")
IN_NAME_OF = _u(ELI_DL, "participation_in_name_of")
ACTIVITY_DATE, ACTIVITY_TYPE = _u(ELI_DL, "activity_date"), _u(ELI_DL, "had_activity_type")
FORMS_PART_OF, CREATED_REALIZATION_OF = _u(ELI_DL, "forms_part_of"), _u(ELI_DL, "created_a_realization_of")
ORIGINAL_LANGUAGE = _u(EPVOC, "originalLanguage")
IDENTIFIER, TITLE, CREATOR = _u(DCTERMS, "identifier"), _u(DCTERMS, "title"), _u(DCTERMS, "creator")
PUBLISHER = _u(DCTERMS, "publisher")
FOAF_PERSON, FOAF_AGENT, FOAF_NAME = _u(FOAF, "Person"), _u(FOAF, "Agent"), _u(FOAF, "name")
ORGANIZATION = _u(ORG, "Organization")
DERIVED_FROM, GENERATED_BY, PROV_ACTIVITY = _u(PROV, "wasDerivedFrom"), _u(PROV, "wasGeneratedBy"), _u(PROV, "Activity")
GENERATED_AT = _u(PROV, "generatedAtTime")  # on a fetched page: when the copy that was read was fetched
CONCEPT, CONCEPT_SCHEME, PREF_LABEL, IN_SCHEME = SKOS.Concept, SKOS.ConceptScheme, SKOS.prefLabel, SKOS.inScheme
LABEL = RDFS.label
TRUE = Literal(True)
XSD_STRING = XSD.string

QUESTION_TYPE = URIRef(Iris.authority("resource-type", "QUEST_WRITTEN"))
ANSWER_TYPE = URIRef(Iris.authority("resource-type", "ANSWER"))
ROLE_AUTHOR = URIRef(Iris.authority("role", "AUT"))
ROLE_ADDRESSEE = URIRef(Iris.authority("role", "ADDRESSEE"))
HTML_FORMAT = URIRef(Iris.authority("file-type", "HTML"))
LANGUAGE_IRI = {lang: URIRef(Iris.language(lang)) for lang in LANGUAGES}
EUROVOC_SCHEME = URIRef(Iris.eurovoc(SCHEME_ID))
DETAIL_PAGE = Layout.DETAIL.value

SENATE_LABELS = {"fr": "Sénat de Belgique", "nl": "Belgische Senaat"}


@dataclass(frozen=True, eq=False)
class LocalTerms:
    """The base-dependent IRIs of one deployment, built once per base (see `_terms`); hashed by identity
    because it keys the caches below."""

    iris: Iris
    written_question: URIRef
    written_answer: URIRef
    political_party: URIRef
    minister_office: URIRef
    local_concept: URIRef
    also_asked: URIRef
    reintroduced_as: URIRef
    addressee: URIRef
    session: URIRef
    answer_deadline: URIRef
    status: URIRef
    incomplete: URIRef
    text: URIRef
    matched_by: URIRef
    legislature: URIRef
    senate: URIRef
    build: URIRef


@lru_cache(maxsize=8)
def _terms(iris: Iris) -> LocalTerms:
    v = iris.vocab
    return LocalTerms(
        iris=iris,
        written_question=URIRef(v("WrittenQuestion")), written_answer=URIRef(v("WrittenAnswer")),
        political_party=URIRef(v("PoliticalParty")), minister_office=URIRef(v("MinisterOffice")),
        local_concept=URIRef(v("LocalConcept")), also_asked=URIRef(v("alsoAsked")),
        reintroduced_as=URIRef(v("reintroducedAs")), addressee=URIRef(v("addressee")), session=URIRef(v("session")),
        answer_deadline=URIRef(v("answerDeadline")), status=URIRef(v("status")), incomplete=URIRef(v("incomplete")),
        text=URIRef(v("text")), matched_by=URIRef(v("matchedBy")), legislature=URIRef(v("legislature")),
        senate=URIRef(iris.senate()), build=URIRef(build_iri(iris)),
    )


def build_iri(iris: Iris) -> str:
    """The PROV activity every graph says it was generated by: this version of senate-kg (no clock, so that
    building the same pages twice gives byte-identical graphs)."""
    return iris.vocab(f"build/senate-kg-{__version__}")


# ------------------------------------------------------------------ the ontology and the JSON-LD context
@lru_cache(maxsize=8)
def _ontology(base: str) -> Graph:
    graph = Graph(identifier=URIRef(base + "def/"))
    graph.parse(ONTOLOGY_FILE, format="turtle", publicID=base + "def/")
    build = URIRef(base + f"def/build/senate-kg-{__version__}")
    graph.add((build, A, PROV_ACTIVITY))
    graph.add((build, LABEL, Literal(f"senate-kg {__version__}")))
    return graph


def load_ontology(iris: Iris) -> Graph:
    """The local vocabulary under `{base}def/` (a fresh copy: callers may add to it). The server loads it as the
    named graph `{base}def/` so that every `skg:` term dereferences."""
    copy = Graph(identifier=URIRef(iris.vocab()))
    for prefix, namespace in PREFIXES.items():
        copy.bind(prefix, namespace)
    copy.bind("skg", iris.vocab())
    for triple in _ontology(iris.base):
        copy.add(triple)
    return copy


@lru_cache(maxsize=1)
def _context_template() -> dict[str, Any]:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def jsonld_context(iris: Iris) -> dict[str, Any]:
    """The JSON-LD document `{"@context": ...}` of ontology/context.jsonld for this base: the file is written for
    the default base (so it is valid as it stands) and every IRI under that base is rewritten to `iris.base`."""
    text = json.dumps(_context_template(), ensure_ascii=False)
    if iris.base != DEFAULT_BASE:
        text = text.replace(json.dumps(DEFAULT_BASE)[1:-1], json.dumps(iris.base)[1:-1])
    return json.loads(text)


@lru_cache(maxsize=64)
def _vocabulary_labels(base: str, term: str) -> tuple[Triple, ...]:
    """`term a skos:Concept` and its labels, read from the ontology: a graph that links a local activity type,
    status or match method carries its labels, without copying them into code."""
    graph = _ontology(base)
    node = URIRef(term)
    triples: list[Triple] = [(node, A, CONCEPT)]
    triples += sorted((node, PREF_LABEL, label) for label in graph.objects(node, PREF_LABEL))
    if len(triples) == 1:
        raise KeyError(f"{ONTOLOGY_FILE}: {term}: not defined (no skos:prefLabel)")
    return tuple(triples)


def warm_up(iris: Iris) -> None:
    """Read the EuroVoc index and the ontology now (~0.2 s): call it in a parent process before forking
    workers, so that each worker inherits them instead of reading them again."""
    load_index()
    _ontology(iris.base)
    _terms(iris)


# ------------------------------------------------------------------ checks on the record
def _source_name(question: Question) -> str:
    return question.sources[0].source if question.sources else f"question {question.identifier}"


def _check_record(question: Question) -> None:
    """What would make us mint a broken IRI or a wrong language tag is bad input, reported as such."""
    fields = {"title": question.title, "question_text": question.question_text,
              "answer_text": question.answer_text, "addressee": question.addressee}
    for name, values in fields.items():
        for lang in values:
            if lang not in LANGUAGE_CODES:
                raise ParseError(_source_name(question), name, f"unknown language {lang!r} (expected fr or nl)")
    if question.original_language is not None and question.original_language not in LANGUAGE_CODES:
        raise ParseError(_source_name(question), "original_language",
                         f"unknown language {question.original_language!r} (expected fr or nl)")
    for name, identifiers in (("also_asked", question.also_asked), ("reintroduced_as", question.reintroduced_as)):
        for identifier in identifiers:
            if not _IDENTIFIER.match(identifier):
                raise ParseError(_source_name(question), name, f"{identifier!r} is not an identifier like 5-8901")
    if question.legislature < 0 or question.number < 0:
        raise ParseError(_source_name(question), "number", f"{question.identifier!r} is not an identifier")


# ------------------------------------------------------------------ the mapping
@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around a burst of allocations that creates no cycles: mapping
    one question allocates ~1,500 small objects, and collections triggered in the middle of it took two thirds
    of the mapping time (measured: 0.29 -> 0.10 ms per question). Restores the previous state."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def question_triples(question: Question, iris: Iris) -> list[Triple]:
    """Every triple of the question's named graph, in a deterministic order (may repeat a triple)."""
    with gc_paused():
        return _question_triples(question, iris)


def _question_triples(question: Question, iris: Iris) -> list[Triple]:
    _check_record(question)
    t = _terms(iris)
    ident = question.identifier
    q = URIRef(iris.question(ident))
    out: list[Triple] = [
        (q, A, ELI_WORK), (q, A, t.written_question), (q, WORK_TYPE, QUESTION_TYPE),
        (q, IDENTIFIER, Literal(ident)), (q, PUBLISHER, t.senate),
    ]
    out += _senate(t)
    sent = _first_event(question, EventKind.SENT)
    date = question.date or (sent.date if sent else None)
    if date is not None:
        out.append((q, DATE_DOCUMENT, Literal(date)))
    for lang in LANGUAGES:
        if lang in question.title:
            out.append((q, TITLE, Literal(question.title[lang], lang=lang)))
    if question.original_language:
        out.append((q, ORIGINAL_LANGUAGE, LANGUAGE_IRI[question.original_language]))
    out += _term(question.legislature, q, t)
    if question.session:
        out.append((q, t.session, Literal(question.session)))
    if sent is not None and sent.deadline is not None:
        out.append((q, t.answer_deadline, Literal(sent.deadline)))
    if not question.is_complete:
        out.append((q, t.incomplete, TRUE))
    out += _expressions(q, question.languages, question.title, question.question_text, question, iris, t)
    out += _participations(question, q, iris, t)
    out += _subjects(question, q, iris, t)
    out += _links(question, q, iris, t)
    answer = _answer(question, q, iris, t)
    out += answer
    out += _activities(question, q, URIRef(iris.answer(ident)) if answer else None, iris, t)
    status = "status-answered" if answer else "status-closed" if _first_event(question, EventKind.CLOSED) \
        else "status-pending"
    out.append((q, t.status, URIRef(iris.vocab(status))))
    out += _vocabulary_labels(iris.base, iris.vocab(status))
    out += _provenance(question, q, iris, t)
    return out


@dataclass(frozen=True)
class QuestionGraphs:
    """The triples of one question as the store keeps them, each graph as canonical N-Triples: `own` (the
    question's graph), `shared` (graph IRI -> what this question says of a resource many questions share: the
    store keeps the union of what every question says) and `placeholders` (linked questions: written only where
    no graph of that name is stored, replaced when their page is read)."""

    iri: str
    own: bytes
    shared: tuple[tuple[str, bytes], ...]
    placeholders: tuple[tuple[str, bytes], ...]


def question_graphs(triples: Iterable[Triple], question: Question, iris: Iris) -> QuestionGraphs:
    """Split a question's triples (`question_triples`) by the graph their subject lives in."""
    own_iri = iris.question(question.identifier)
    vocabulary = iris.vocab()
    by_graph: dict[str, list[Triple]] = {}
    graph_of: dict[Node, str] = {}  # by subject: a subject recurs in many triples
    for triple in triples:
        subject = triple[0]
        graph = graph_of.get(subject)
        if graph is None:
            graph = graph_of[subject] = iris.graph_of(str(subject))
        by_graph.setdefault(graph, []).append(triple)
    by_graph.pop(vocabulary, None)
    own = triples_ntriples(by_graph.pop(own_iri, ()))
    linked = {iris.question(i) for i in (*question.also_asked, *question.reintroduced_as)}
    shared = tuple((g, triples_ntriples(ts)) for g, ts in sorted(by_graph.items()) if g not in linked)
    placeholders = tuple((g, triples_ntriples(ts)) for g, ts in sorted(by_graph.items()) if g in linked)
    return QuestionGraphs(own_iri, own, shared, placeholders)


def question_graph(question: Question, iris: Iris) -> Graph:
    """The complete graph of one question: what its named graph in the store holds; its identifier is the
    question IRI. An ordinary rdflib Graph (any tool takes it, pyshacl included); the build does not need one:
    it hands `question_triples` to the validator and `triples_ntriples` to the store."""
    return triples_graph(question_triples(question, iris), iris.question(question.identifier))


def question_ntriples(question: Question, iris: Iris) -> bytes:
    """The question's graph as canonical N-Triples (sorted, no duplicates): what the store loads."""
    return triples_ntriples(question_triples(question, iris))


def triples_graph(triples: Iterable[Triple], identifier: str | None = None) -> Graph:
    """An rdflib Graph (default in-memory store) holding `triples`."""
    graph = Graph(identifier=URIRef(identifier) if identifier else None, bind_namespaces="none")
    with gc_paused():
        graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _nt_term(term: Node) -> str:
    """One term in N-Triples syntax; literals are escaped here because rdflib's `n3()` writes multi-line
    literals in Turtle's triple-quoted form, which N-Triples does not have."""
    kind = type(term)
    if kind is URIRef:
        return f"<{term}>"
    if kind is Literal:
        lexical = '"' + str.translate(term, _NT_ESCAPES) + '"'
        language = term.language
        if language:
            return f"{lexical}@{language}"
        datatype = term.datatype
        if datatype is not None and datatype != XSD_STRING:
            return f"{lexical}^^<{datatype}>"
        return lexical
    if isinstance(term, (URIRef, Literal)):  # subclasses
        return _nt_term(URIRef(term) if isinstance(term, URIRef) else Literal(term, term.language, term.datatype))
    raise ValueError(f"N-Triples: {term!r}: blank nodes are never minted by the mapping")


def triples_ntriples(triples: Iterable[Triple]) -> bytes:
    """Canonical N-Triples: one line per distinct triple, sorted, UTF-8."""
    cache: dict[int, str] = {}  # by identity: the same term objects recur (the question IRI ~40 times)
    keep: list[Node] = []  # keeps cached terms alive so that their ids stay theirs during this call
    get = cache.get

    def text(term: Node) -> str:
        cache[id(term)] = written = _nt_term(term)
        keep.append(term)
        return written

    lines = {f"{get(id(s)) or text(s)} {get(id(p)) or text(p)} {get(id(o)) or text(o)} .\n" for s, p, o in triples}
    return "".join(sorted(lines)).encode("utf-8")


def graph_ntriples(graph: Graph) -> bytes:
    """The same canonical N-Triples for a Graph (e.g. one built by hand in a test)."""
    return triples_ntriples(graph)


# ------------------------------------------------------------------ pieces
def _first_event(question: Question, kind: EventKind):
    return next((e for e in question.events if e.kind is kind), None)


@lru_cache(maxsize=8)
def _senate(t: LocalTerms) -> tuple[Triple, ...]:
    s = t.senate
    return ((s, A, ORGANIZATION), (s, A, FOAF_AGENT),
            *((s, PREF_LABEL, Literal(label, lang=lang)) for lang, label in SENATE_LABELS.items()))


def _ordinal(n: int, lang: str) -> str:
    """"5e législature" / "5de zittingsperiode": French 1re, Dutch 1ste, 8ste and from 20 on -ste."""
    if lang == "fr":
        return f"{n}re" if n == 1 else f"{n}e"
    return f"{n}ste" if n in (1, 8) or n >= 20 else f"{n}de"


@lru_cache(maxsize=64)
def _term_node(legislature: int, t: LocalTerms) -> tuple[Triple, ...]:
    term = URIRef(t.iris.term(legislature))
    return ((term, A, TERM),
            (term, PREF_LABEL, Literal(f"{_ordinal(legislature, 'fr')} législature", lang="fr")),
            (term, PREF_LABEL, Literal(f"{_ordinal(legislature, 'nl')} zittingsperiode", lang="nl")),
            (term, t.legislature, Literal(legislature)))


def _term(legislature: int, q: URIRef, t: LocalTerms) -> list[Triple]:
    nodes = _term_node(legislature, t)
    return [(q, PARLIAMENTARY_TERM, nodes[0][0]), *nodes]


def _expressions(work: URIRef, languages: Sequence[str], titles: dict[str, str], texts: dict[str, str],
                 question: Question, iris: Iris, t: LocalTerms) -> list[Triple]:
    """One Expression (and its senate.be Manifestation) per language read; title and text only where read."""
    out: list[Triple] = []
    for lang in languages:
        expr = URIRef(iris.expression(work, lang))
        html = URIRef(iris.manifestation(work, lang))
        page = URIRef(iris.senate_page(DETAIL_PAGE, question.legislature, question.number, lang))
        out += [(work, IS_REALIZED_BY, expr), (expr, A, ELI_EXPRESSION), (expr, REALIZES, work),
                (expr, LANGUAGE, LANGUAGE_IRI[lang]), (expr, IS_EMBODIED_BY, html),
                (html, A, ELI_MANIFESTATION), (html, EMBODIES, expr), (html, FORMAT, HTML_FORMAT),
                (html, IS_EXEMPLIFIED_BY, page)]
        if lang in titles:
            out.append((expr, ELI_TITLE, Literal(titles[lang], lang=lang)))
        if texts.get(lang):
            out.append((expr, t.text, Literal(texts[lang], lang=lang)))
    return out


@lru_cache(maxsize=4096)
def _person(name: str, iris: Iris) -> tuple[Triple, ...]:
    node = URIRef(iris.person(name))
    return ((node, A, FOAF_PERSON), (node, FOAF_NAME, Literal(name)))


@lru_cache(maxsize=4096)
def _party(name: str, t: LocalTerms) -> tuple[Triple, ...]:
    node = URIRef(t.iris.party(name))
    return ((node, A, ORGANIZATION), (node, A, t.political_party), (node, PREF_LABEL, Literal(name)))


def office_iri(addressee: dict[str, str], iris: Iris) -> str:
    """An office is named by its French label when read, else its Dutch one (profile: `org/office/premier-ministre`)."""
    return iris.office(addressee.get("fr") or addressee["nl"])


@lru_cache(maxsize=4096)
def _office(labels: tuple[tuple[str, str], ...], t: LocalTerms) -> tuple[Triple, ...]:
    node = URIRef(office_iri(dict(labels), t.iris))
    return ((node, A, ORGANIZATION), (node, A, t.minister_office),
            *((node, PREF_LABEL, Literal(label, lang=lang)) for lang, label in labels))


def _office_of(question: Question, t: LocalTerms) -> tuple[Triple, ...]:
    labels = tuple((lang, question.addressee[lang]) for lang in LANGUAGES if question.addressee.get(lang))
    return _office(labels, t) if labels else ()


def _participations(question: Question, q: URIRef, iris: Iris, t: LocalTerms) -> list[Triple]:
    out: list[Triple] = []
    ident = question.identifier
    if question.author:
        person = _person(question.author, iris)
        aut = URIRef(iris.participation(ident, "AUT"))
        out += [(q, CREATOR, person[0][0]), (q, HAD_PARTICIPATION, aut), (aut, A, PARTICIPATION),
                (aut, PARTICIPATION_ROLE, ROLE_AUTHOR), (aut, PARTICIPANT_PERSON, person[0][0]), *person]
        if question.party:
            party = _party(question.party, t)
            out += [(aut, IN_NAME_OF, party[0][0]), *party]
    office = _office_of(question, t)
    if office:
        adr = URIRef(iris.participation(ident, "ADDRESSEE"))
        out += [(q, t.addressee, office[0][0]), (q, HAD_PARTICIPATION, adr), (adr, A, PARTICIPATION),
                (adr, PARTICIPATION_ROLE, ROLE_ADDRESSEE), (adr, PARTICIPANT_ORGANIZATION, office[0][0]), *office]
    return out


def local_concept_iri(fr: str | None, nl: str | None, iris: Iris) -> str:
    """A descriptor EuroVoc lacks is named by its Dutch label when read, else its French one (profile:
    `concept/staatsveiligheid`)."""
    return iris.local_concept(nl or fr or "")


@lru_cache(maxsize=65536)
def _concept(fr: str | None, nl: str | None, t: LocalTerms) -> tuple[Triple, ...]:
    """The concept a descriptor denotes, with its labels and how it was matched; cached per descriptor."""
    match: Match = match_descriptor(fr, nl)
    method = URIRef(t.iris.vocab(match.method.value))
    if match.concept is not None:
        node = URIRef(Iris.eurovoc(match.concept.id))
        out: list[Triple] = [(node, A, CONCEPT), (node, IN_SCHEME, EUROVOC_SCHEME), (node, t.matched_by, method)]
        out += [(node, PREF_LABEL, Literal(label, lang=lang)) for lang, label in match.concept.labels()]
        out += [(EUROVOC_SCHEME, A, CONCEPT_SCHEME), (EUROVOC_SCHEME, PREF_LABEL, Literal("EuroVoc"))]
    else:
        node = URIRef(local_concept_iri(fr, nl, t.iris))
        out = [(node, A, CONCEPT), (node, A, t.local_concept), (node, t.matched_by, method)]
        out += [(node, PREF_LABEL, Literal(label, lang=lang)) for lang, label in (("fr", fr), ("nl", nl)) if label]
    out += _vocabulary_labels(t.iris.base, str(method))
    return tuple(out)


def _subjects(question: Question, q: URIRef, iris: Iris, t: LocalTerms) -> list[Triple]:
    out: list[Triple] = []
    for descriptor in question.descriptors:
        fr = (descriptor.fr or "").strip() or None
        nl = (descriptor.nl or "").strip() or None
        if fr is None and nl is None:
            continue
        concept = _concept(fr, nl, t)
        out.append((q, IS_ABOUT, concept[0][0]))
        out += concept
    return out


def _links(question: Question, q: URIRef, iris: Iris, t: LocalTerms) -> list[Triple]:
    """Sibling and reintroduced questions: the link, and a placeholder (type, identifier, `skg:status-not-read`)
    that the store keeps only until the linked question's own page is read."""
    out: list[Triple] = []
    for prop, identifiers in ((t.also_asked, question.also_asked), (t.reintroduced_as, question.reintroduced_as)):
        for identifier in identifiers:
            if identifier == question.identifier:
                continue
            out.append((q, prop, URIRef(iris.question(identifier))))
            out += _placeholder(identifier, t)
    return out


def _placeholder(identifier: str, t: LocalTerms) -> list[Triple]:
    other = URIRef(t.iris.question(identifier))
    return [(other, A, ELI_WORK), (other, IDENTIFIER, Literal(identifier)),
            (other, t.status, URIRef(t.iris.vocab("status-not-read")))]


def placeholder_ntriples(identifier: str, iris: Iris) -> bytes:
    """The placeholder graph of a question that is linked but not read (or no longer): what `question_graphs`
    gives for a sibling, and what `senate-kg remove` leaves of a question others still link to."""
    return triples_ntriples(_placeholder(identifier, _terms(iris)))


def _answer(question: Question, q: URIRef, iris: Iris, t: LocalTerms) -> list[Triple]:
    """The answer Work, when the record shows one (an answer event, date or text)."""
    answered = _first_event(question, EventKind.ANSWER)
    if not (answered or question.answer_date or question.answer_text):
        return []
    a = URIRef(iris.answer(question.identifier))
    out: list[Triple] = [(a, A, ELI_WORK), (a, A, t.written_answer), (a, WORK_TYPE, ANSWER_TYPE),
                         (a, ANSWERS_TO, q), (a, IDENTIFIER, Literal(f"{question.identifier}-ASW")),
                         (a, PUBLISHER, t.senate)]
    date = question.answer_date or (answered.date if answered else None)
    if date is not None:
        out.append((a, DATE_DOCUMENT, Literal(date)))
    office = _office_of(question, t)
    if office:
        out.append((a, CREATOR, office[0][0]))
    languages = [lang for lang in LANGUAGES if question.answer_text.get(lang)]
    out += _expressions(a, languages, {}, question.answer_text, question, iris, t)
    return out


def _event_suffixes(question: Question) -> list[str]:
    """RMD1, RMD2… for reminders (profile); other kinds plain, numbered from 2 if they ever repeat."""
    seen: dict[EventKind, int] = {}
    suffixes = []
    for event in question.events:
        n = seen[event.kind] = seen.get(event.kind, 0) + 1
        if event.kind is EventKind.REMINDER:
            suffixes.append(f"{event.kind.value}{n}")
        else:
            suffixes.append(event.kind.value if n == 1 else f"{event.kind.value}{n}")
    return suffixes


def _activities(question: Question, q: URIRef, a: URIRef | None, iris: Iris, t: LocalTerms) -> list[Triple]:
    out: list[Triple] = []
    for event, suffix in zip(question.events, _event_suffixes(question), strict=True):
        e = URIRef(iris.event(question.identifier, suffix))
        kind = iris.activity_type(event.kind.value)
        out += [(e, A, ACTIVITY), (e, ACTIVITY_DATE, Literal(event.date)), (e, ACTIVITY_TYPE, URIRef(kind)),
                (e, FORMS_PART_OF, q)]
        if event.kind is EventKind.SENT:
            out.append((e, CREATED_REALIZATION_OF, q))
        elif event.kind is EventKind.ANSWER and a is not None:
            out.append((e, CREATED_REALIZATION_OF, a))
        out += _vocabulary_labels(iris.base, kind)
    return out


def _provenance(question: Question, q: URIRef, iris: Iris, t: LocalTerms) -> list[Triple]:
    """Each senate.be page read (the URL fetched, else its canonical URL whatever the local file was called), when
    it was fetched (a harvest archive knows), and the build."""
    pages = {p.url or iris.senate_page(p.layout.value, question.legislature, question.number, p.language or "fr")
             for p in question.sources}
    out: list[Triple] = [(q, DERIVED_FROM, URIRef(page)) for page in sorted(pages)]
    out += [(URIRef(p.url), GENERATED_AT, Literal(p.fetched, datatype=XSD.dateTime))
            for p in sorted({p for p in question.sources if p.url and p.fetched}, key=lambda p: (p.url, p.fetched))]
    out += [(q, GENERATED_BY, t.build), (t.build, A, PROV_ACTIVITY),
            (t.build, LABEL, Literal(f"senate-kg {__version__}"))]
    return out
