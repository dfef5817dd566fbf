"""The HTML side: a bilingual page per question, pages for persons, parties, offices, concepts, legislatures
and any other resource, the home page with the dataset's figures, and the 404 page.

Why view models: templates get plain frozen dataclasses (titles by language, links already resolved to local
paths), never an rdflib graph, so each template stays a layout and every RDF lookup is here, testable alone.
The graphs come from the store through `server.resources` (the same graph every RDF format is made from).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS
from rdflib.term import Node

from mapping.iris import EUROVOC, Iris
from server import queries_internal
from server.negotiation import HTML, RDF_FORMATS, Format
from server.representations import Validators

bp = Blueprint("pages", __name__)

LANGS = ("fr", "nl")
ELI = "http://data.europa.eu/eli/ontology#"
ELI_DL = "http://data.europa.eu/eli/eli-draft-legislation-ontology#"
EPVOC = "https://data.europarl.europa.eu/def/epvoc#"
PROV = "http://www.w3.org/ns/prov#"
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label, FOAF.name, DCTERMS.title, URIRef(ELI + "title"),
                    DCTERMS.identifier)
EUROVOC_ID = re.compile(r"[A-Za-z0-9_]{1,40}")  # "5116", "c_324b44f1"
HOME_CACHE_SECONDS = 60.0  # browsers may reuse the home page this long without asking


def _e(name: str) -> URIRef:
    return URIRef(ELI + name)


def _dl(name: str) -> URIRef:
    return URIRef(ELI_DL + name)


# ------------------------------------------------------------------ view models
@dataclass(frozen=True)
class Ref:
    """A linked resource as a page shows it: where it lives, its local link, its labels by language
    ("" for a label without language)."""

    iri: str
    href: str
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str = "fr") -> str:
        """The label in `lang`, else any label, else the IRI: a page never shows an empty link."""
        return self.labels.get(lang) or self.labels.get("") or next(iter(self.labels.values()), self.iri)


@dataclass(frozen=True)
class Column:
    """One language of a question: what the FR or the NL column shows."""

    lang: str
    title: str | None
    question: tuple[str, ...]  # paragraphs
    answer: tuple[str, ...]
    source: str | None  # the senate.be page in that language


@dataclass(frozen=True)
class Descriptor:
    concept: Ref
    eurovoc: bool


@dataclass(frozen=True)
class EventRow:
    date: dt.date | None
    kind: Ref | None
    iri: str


@dataclass(frozen=True)
class QuestionView:
    iri: str
    identifier: str
    date: dt.date | None
    session: str | None
    term: Ref | None
    author: Ref | None
    party: Ref | None
    office: Ref | None
    status: Ref | None
    original_language: str | None  # "fr" / "nl"
    deadline: dt.date | None
    answer: Ref | None
    answer_date: dt.date | None
    incomplete: bool
    columns: tuple[Column, ...]
    descriptors: tuple[Descriptor, ...]
    events: tuple[EventRow, ...]
    siblings: tuple[Ref, ...]
    reintroduced: tuple[Ref, ...]
    sources: tuple[str, ...]

    def title(self, lang: str) -> str | None:
        return next((c.title for c in self.columns if c.lang == lang and c.title), None)

    @property
    def closed(self) -> bool:
        """Closed without an answer (skg:status-closed): the page says so instead of "not yet"."""
        return self.status is not None and self.status.iri.endswith("/def/status-closed") and self.answer is None


@dataclass(frozen=True)
class QuestionRow:
    """A question in a list (person, party, office, concept, term pages, home page)."""

    ref: Ref
    identifier: str
    date: dt.date | None
    titles: dict[str, str]
    answered: bool


@dataclass(frozen=True)
class Value:
    """One object of a property on a generic resource page: a link or a literal (with its language)."""

    ref: Ref | None
    text: str | None
    lang: str | None = None


@dataclass(frozen=True)
class Property:
    predicate: Ref
    values: tuple[Value, ...]


@dataclass(frozen=True)
class ResourceView:
    """Any resource that is not a question: person, party, office, concept, term, vocabulary term..."""

    iri: str
    kind: str
    labels: dict[str, str]
    types: tuple[Ref, ...]
    properties: tuple[Property, ...]
    questions: tuple[QuestionRow, ...]
    total: int | None  # all questions linked, when counted (the list is bounded)
    part_of: Ref | None = None  # the question a sub-resource (answer, event...) belongs to
    newest_first: bool = True  # False: too many questions to sort, `questions` holds the first ones found
    search: str | None = None  # a search listing every linked question (newest first, paged)
    texts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (lang, paragraphs): an answer's or expression's text
    referrers: tuple[Property, ...] = ()  # what links here (other than the listed questions), by property
    external: tuple[tuple[str, str], ...] = ()  # (label, URL) pages elsewhere, e.g. senate.be for a stub

    def label(self, lang: str = "fr") -> str:
        return self.labels.get(lang) or self.labels.get("") or next(iter(self.labels.values()), self.iri)


# ------------------------------------------------------------------ graph -> view models
def href(iri: str) -> str:
    """The link for an IRI: its local path when minted under our base (so that the pages work on any host
    and behind a proxy), the IRI itself otherwise."""
    base = current_app.extensions["iris"].base
    if iri.startswith(base):
        return f"{request.script_root}/{iri[len(base):]}"
    return iri


def labels_of(graph: Graph, node: Node) -> dict[str, str]:
    """Labels by language from the usual label properties, first property wins per language."""
    found: dict[str, str] = {}
    for predicate in LABEL_PREDICATES:
        for label in graph.objects(node, predicate):
            if isinstance(label, Literal):
                found.setdefault(label.language or "", str(label))
    return found


def ref(graph: Graph, node: Node | None) -> Ref | None:
    """A link with its labels from `graph`, else from the local vocabulary (statuses, activity types)."""
    if node is None:
        return None
    labels = labels_of(graph, node)
    if not labels and str(node).startswith(current_app.extensions["iris"].vocab()):
        labels = labels_of(current_app.extensions["vocabulary_graph"], node)
    if not labels and curie(str(node)) != str(node):
        labels = {"": curie(str(node))}
    return Ref(str(node), href(str(node)), labels)


def _date(node: Node | None) -> dt.date | None:
    value = node.toPython() if isinstance(node, Literal) else None
    return value if isinstance(value, dt.date) else None


def _paragraphs(text: Node | None) -> tuple[str, ...]:
    if text is None:
        return ()
    return tuple(p.strip() for p in str(text).split("\n\n") if p.strip())


def _language_code(iris: Iris, node: Node | None) -> str | None:
    return next((lang for lang in LANGS if node is not None and str(node) == iris.language(lang)), None)


def _expressions(graph: Graph, work: Node, iris: Iris) -> dict[str, Node]:
    return {lang: expr for expr in graph.objects(work, _e("is_realized_by"))
            if (lang := _language_code(iris, graph.value(expr, _e("language"))))}


def _sorted_refs(graph: Graph, nodes: Iterable[Node]) -> tuple[Ref, ...]:
    refs = [r for r in (ref(graph, n) for n in set(nodes)) if r]
    return tuple(sorted(refs, key=lambda r: (r.label(), r.iri)))


def question_view(graph: Graph, iri: str) -> QuestionView:
    """Everything the question page shows, read from the question's own graph."""
    iris: Iris = current_app.extensions["iris"]
    q = URIRef(iri)
    vocab = iris.vocab
    answer = next(graph.subjects(_dl("answers_to"), q), None)
    q_expr = _expressions(graph, q, iris)
    a_expr = _expressions(graph, answer, iris) if answer is not None else {}
    text = URIRef(vocab("text"))
    columns = tuple(Column(
        lang=lang,
        title=_lang_literal(graph, q, DCTERMS.title, lang) or _lang_literal(graph, q_expr.get(lang), _e("title"), lang),
        question=_paragraphs(graph.value(q_expr[lang], text)) if lang in q_expr else (),
        answer=_paragraphs(graph.value(a_expr[lang], text)) if lang in a_expr else (),
        source=_exemplar(graph, q_expr.get(lang)),
    ) for lang in LANGS)
    author_part = next((p for p in graph.objects(q, _dl("had_participation"))
                        if graph.value(p, _dl("participation_role")) == URIRef(iris.authority("role", "AUT"))), None)
    events = [EventRow(_date(graph.value(e, _dl("activity_date"))),
                       ref(graph, graph.value(e, _dl("had_activity_type"))), str(e))
              for e in graph.subjects(_dl("forms_part_of"), q)]
    return QuestionView(
        iri=iri,
        identifier=str(graph.value(q, DCTERMS.identifier) or iri.rsplit("WQ-", 1)[-1]),
        date=_date(graph.value(q, _e("date_document"))),
        session=_str(graph.value(q, URIRef(vocab("session")))),
        term=ref(graph, graph.value(q, _dl("parliamentary_term"))),
        author=ref(graph, graph.value(q, DCTERMS.creator)),
        party=ref(graph, graph.value(author_part, _dl("participation_in_name_of"))) if author_part else None,
        office=ref(graph, graph.value(q, URIRef(vocab("addressee")))),
        status=ref(graph, graph.value(q, URIRef(vocab("status")))),
        original_language=_language_code(iris, graph.value(q, URIRef(EPVOC + "originalLanguage"))),
        deadline=_date(graph.value(q, URIRef(vocab("answerDeadline")))),
        answer=ref(graph, answer),
        answer_date=_date(graph.value(answer, _e("date_document"))) if answer is not None else None,
        incomplete=bool(graph.value(q, URIRef(vocab("incomplete")))),
        columns=columns,
        descriptors=tuple(Descriptor(r, r.iri.startswith(EUROVOC))
                          for r in _sorted_refs(graph, graph.objects(q, _e("is_about")))),
        events=tuple(sorted(events, key=lambda e: (e.date or dt.date.min, e.iri))),
        siblings=tuple(sorted(_sorted_refs(graph, graph.objects(q, URIRef(vocab("alsoAsked")))),
                              key=lambda r: _identifier_key(r.label()))),
        reintroduced=_sorted_refs(graph, graph.objects(q, URIRef(vocab("reintroducedAs")))),
        sources=tuple(sorted(str(s) for s in graph.objects(q, URIRef(PROV + "wasDerivedFrom")))),
    )


def _identifier_key(identifier: str) -> tuple[int, ...]:
    """"5-8902" sorts before "5-8910" (numbers, not text)."""
    return tuple(int(part) if part.isdigit() else 0 for part in identifier.split("-"))


def _str(node: Node | None) -> str | None:
    return str(node) if node is not None else None


def _lang_literal(graph: Graph, node: Node | None, predicate: URIRef, lang: str) -> str | None:
    if node is None:
        return None
    return next((str(o) for o in graph.objects(node, predicate)
                 if isinstance(o, Literal) and o.language == lang), None)


def _exemplar(graph: Graph, expression: Node | None) -> str | None:
    if expression is None:
        return None
    manifestation = graph.value(expression, _e("is_embodied_by"))
    return _str(graph.value(manifestation, _e("is_exemplified_by"))) if manifestation is not None else None


def question_rows(graph: Graph, exclude: str | None = None) -> tuple[QuestionRow, ...]:
    """The questions a list query put in the graph (a question is a subject with a dcterms:identifier that is
    not an answer), newest first."""
    rows = []
    answered = {str(q) for q in graph.objects(None, _dl("answers_to"))}
    for q in set(graph.subjects(DCTERMS.identifier, None)):
        if str(q) == exclude or (q, _dl("answers_to"), None) in graph or str(q).endswith("-ASW"):
            continue
        titles = {t.language: str(t) for t in graph.objects(q, DCTERMS.title) if isinstance(t, Literal) and t.language}
        identifier = str(graph.value(q, DCTERMS.identifier))
        rows.append(QuestionRow(Ref(str(q), href(str(q)), {"": identifier}), identifier,
                                _date(graph.value(q, _e("date_document"))), titles, str(q) in answered))
    return tuple(sorted(rows, key=lambda r: (r.date or dt.date.min, _identifier_key(r.identifier)), reverse=True))


def resource_view(graph: Graph, iri: str, kind: str, total: int | None = None,
                  part_of: str | None = None, external: tuple[tuple[str, str], ...] = (),
                  newest_first: bool = True, search: str | None = None) -> ResourceView:
    """A generic description: labels, types, every other property as a table, the texts of an answer or
    expression, what links here, and the listed questions."""
    node = URIRef(iri)
    questions = question_rows(graph, exclude=iri)
    listed = {URIRef(row.ref.iri) for row in questions}
    properties = []
    for predicate in sorted(set(graph.predicates(node, None)), key=str):
        if predicate == RDF.type:
            continue
        values = _values(graph, graph.objects(node, predicate))
        properties.append(Property(_predicate_ref(predicate), values))
    referrers = []
    for predicate in sorted(set(graph.predicates(None, node)), key=str):
        subjects = [s for s in graph.subjects(predicate, node) if s not in listed]
        if subjects:
            referrers.append(Property(_predicate_ref(predicate), _values(graph, subjects)))
    return ResourceView(
        iri=iri, kind=kind, labels=labels_of(graph, node),
        types=_sorted_refs(graph, graph.objects(node, RDF.type)),
        properties=tuple(properties),
        questions=questions,
        total=total,
        part_of=ref(graph, URIRef(part_of)) if part_of else None,
        newest_first=newest_first,
        search=search,
        texts=_texts(graph, node),
        referrers=tuple(referrers),
        external=external,
    )


def _values(graph: Graph, nodes: Iterable[Node]) -> tuple[Value, ...]:
    return tuple(sorted((_value(graph, o) for o in nodes),
                        key=lambda v: (v.lang or "", v.text or (v.ref.label() if v.ref else ""))))


def _texts(graph: Graph, node: URIRef) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The text of an expression, or of each expression of a work (an answer), by language."""
    iris: Iris = current_app.extensions["iris"]
    text = URIRef(iris.vocab("text"))
    expressions = _expressions(graph, node, iris)
    own = _language_code(iris, graph.value(node, _e("language")))
    if own:
        expressions = {own: node}
    return tuple((lang, _paragraphs(graph.value(expressions[lang], text)))
                 for lang in LANGS if lang in expressions and graph.value(expressions[lang], text) is not None)


def _value(graph: Graph, node: Node) -> Value:
    if isinstance(node, Literal):
        return Value(None, str(node), node.language)
    return Value(ref(graph, node), None)


def _predicate_ref(predicate: URIRef) -> Ref:
    """A property shown by its local label when the vocabulary defines one, else by its CURIE."""
    vocabulary = current_app.extensions.get("vocabulary_graph")
    labels = labels_of(vocabulary, predicate) if vocabulary is not None else {}
    return Ref(str(predicate), href(str(predicate)), labels or {"": curie(str(predicate))})


def curie(iri: str) -> str:
    """`http://purl.org/dc/terms/title` -> `dcterms:title` with the project's prefixes; the IRI otherwise."""
    for prefix, namespace in current_app.extensions.get("rdf_prefixes", {}).items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


# ------------------------------------------------------------------ rendering
def formats_for(path: str) -> list[tuple[Format, str]]:
    """(format, link) for the 'other formats' box: the suffix URLs of a resource."""
    return [(f, f"{request.script_root}{path}.{f.suffix}") for f in RDF_FORMATS]


def render_question(graph: Graph, iri: str, path: str) -> str:
    view = question_view(graph, iri)
    return render_template("question.html", q=view, formats=formats_for(path), path=path)


TEMPLATES = {"person": "person.html", "party": "party.html", "office": "office.html", "concept": "concept.html",
             "term": "term.html"}


def render_resource(graph: Graph, iri: str, kind: str, path: str, total: int | None = None,
                    part_of: str | None = None, external: tuple[tuple[str, str], ...] = (),
                    newest_first: bool = True, search: str | None = None) -> str:
    view = resource_view(graph, iri, kind, total, part_of, external, newest_first, search)
    return render_template(TEMPLATES.get(kind, "resource.html"), r=view, formats=formats_for(path), path=path)


def render_not_found(path: str, reason: str) -> str:
    return render_template("404.html", path=path, reason=reason)


# ------------------------------------------------------------------ home page
@dataclass(frozen=True)
class Figures:
    questions: int = 0
    answered: int = 0
    incomplete: int = 0
    persons: int = 0
    parties: int = 0
    offices: int = 0
    concepts: int = 0
    local_concepts: int = 0
    first: dt.date | None = None
    last: dt.date | None = None


@dataclass(frozen=True)
class TermRow:
    ref: Ref
    count: int


@dataclass(frozen=True)
class HomeView:
    figures: Figures
    terms: tuple[TermRow, ...]
    latest: tuple[QuestionRow, ...]


class _HomeCache:
    """The home page's view and the validators it was computed under. The figures and the newest questions
    scan the whole store (seconds at 100,000 questions), so they are computed once per store version: the
    first time synchronously, afterwards in a background thread while the previous view keeps being served
    (stale-while-revalidate), always with the validators of the view actually sent."""

    def __init__(self) -> None:
        self._value: tuple[HomeView, Validators] | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    def get(self, app: Flask, validators: Validators) -> tuple[HomeView, Validators]:
        with self._lock:
            current = self._value
            if current is None:
                current = self._value = (home_view(), validators)
                return current
            if current[1].tag != validators.tag and not self._refreshing:
                self._refreshing = True
                root = request.script_root  # links in the view are made for the same mount point
                threading.Thread(target=self._refresh, args=(app, validators, root), daemon=True).start()
            return current

    def _refresh(self, app: Flask, validators: Validators, script_root: str) -> None:
        try:
            with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
                value = (home_view(), validators)
            with self._lock:
                self._value = value
        finally:
            self._refreshing = False


def _int(row: dict, key: str) -> int:
    value = row.get(key)
    return int(value.toPython()) if isinstance(value, Literal) else 0


def home_view() -> HomeView:
    figures_rows = queries_internal.select("home-figures")
    row = figures_rows[0] if figures_rows else {}
    figures = Figures(**{k: _int(row, k) for k in ("questions", "answered", "incomplete", "persons", "parties",
                                                   "offices", "concepts", "local_concepts")},
                      first=_date(row.get("first")), last=_date(row.get("last")))
    terms = tuple(TermRow(Ref(str(r["term"]), href(str(r["term"])),
                              {lang: str(r[f"label_{lang}"]) for lang in LANGS if f"label_{lang}" in r}
                              or {"": str(r["term"]).rsplit("/", 1)[-1]}), _int(r, "n"))
                  for r in queries_internal.select("home-terms"))
    latest = tuple(QuestionRow(Ref(str(r["q"]), href(str(r["q"])), {"": str(r["id"])}), str(r["id"]),
                               _date(r.get("date")),
                               {lang: str(r[f"title_{lang}"]) for lang in LANGS if f"title_{lang}" in r},
                               bool(r.get("answered") and r["answered"].toPython()))
                   for r in queries_internal.select("home-latest"))
    return HomeView(figures, terms, latest)


@bp.get("/")
def home():
    """The home page: figures and lists scanned from the store, kept in memory per store version (a client
    that has the page gets 304 until the store changes)."""
    from server.representations import conditional, finish
    from server.resources import store_validators

    view, validators = current_app.extensions["home_cache"].get(current_app._get_current_object(),
                                                                store_validators())
    cached = conditional(validators, HTML, max_age=int(HOME_CACHE_SECONDS))
    if cached:
        return cached
    response = current_app.make_response(render_template("home.html", home=view))
    return finish(response, HTML, validators=validators, max_age=int(HOME_CACHE_SECONDS))


@bp.get("/eurovoc/<concept_id>")
def eurovoc_concept(concept_id: str):
    """Questions about a EuroVoc concept: EuroVoc IRIs are not ours to dereference, but their questions are
    ours to list (the question pages link their EuroVoc descriptors here)."""
    from server.representations import conditional, finish
    from server.resources import describe_listing, not_found, search_link, store_validators

    path = f"/eurovoc/{concept_id}"
    if not EUROVOC_ID.fullmatch(concept_id):
        return not_found(path, "not a EuroVoc concept identifier", HTML)
    validators = store_validators()
    cached = conditional(validators, HTML)
    if cached:
        return cached
    iri = Iris.eurovoc(concept_id)
    listing = describe_listing(iri, "concept")
    if not listing.total:
        return not_found(path, f"no question is about <{iri}>", HTML)
    view = resource_view(listing.description.graph(), iri, "concept", listing.total,
                         newest_first=listing.newest_first,
                         search=search_link("concept", iri))
    body = render_template("concept.html", r=view, formats=[], path=None)
    return finish(current_app.make_response(body), HTML, validators=validators)


def init_app(app: Flask) -> None:
    app.extensions["home_cache"] = _HomeCache()
    app.jinja_env.filters["href"] = lambda iri: href(str(iri))
    app.jinja_env.globals["HTML"] = HTML
    app.register_blueprint(bp)
