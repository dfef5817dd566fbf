"""Dereferenceable URIs: every IRI minted under the base answers at its path, in Turtle, JSON-LD, RDF/XML,
N-Triples and HTML (content negotiation or a suffix URL), with validators, 304, CORS and compression.

How a resource is found (one table, `KINDS`, matched on the path below the base, first match wins):
- a question: its named graph and the labels of what it links to, read from their own graphs -> one query
  for the graphs it links to (question-links; their etags from the store's bookkeeping, cached per store
  snapshot) + one CONSTRUCT of its graph that the backend serialises (the hot path: no rdflib for Turtle,
  N-Triples, RDF/XML) + the labels, cached per linked resource and snapshot (labels-of); a remote store, which
  cannot name its snapshot, is asked describe-question, the same triples joined in one round trip;
- answers, expressions, manifestations, events, participations: they live in their question's graph ->
  the question's validators + two CONSTRUCTs restricted to it;
- persons, parties, offices, concepts, legislatures: their own graph (`Iris.graph_of`, docs/profile.md
  "Graphs"), with how many questions link to them and up to 100 of those; anything else under the base
  likewise, with what links to it (a sibling question whose page was not read: its placeholder graph);
  validators from the store's newest change. The local vocabulary (`def/`) comes from ontology/, validated by
  the representation stamp.
The IRI is `base + path` whatever the Host header says: a proxy or another host name changes nothing.
The queries are shaped for Oxigraph's planner (see queries/internal/describe-in-graph.rq): measured with
100,000 questions, a question in Turtle takes ~2 ms in-process, a senator's page ~80 ms.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request
from rdflib import RDFS, SKOS, Graph, URIRef

from mapping.iris import Iris
from server import ldes, pages, queries_internal
from server.backend import get_store
from server.graphs import TripleGraph
from server.negotiation import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESOURCE_FORMATS,
    TURTLE,
    Format,
    choose,
    split_suffix,
)
from server.representations import Validators, conditional, finish, jsonld_object, rdf_response, serialise
from store import QueryRejected, convert_rdf

bp = Blueprint("resources", __name__)

STORE_VALIDATORS_SECONDS = 30.0  # how long the store-wide validator is reused (it scans the metadata: 0.3 s
#                                 at 100,000 graphs); a new build shows on store-wide pages within 30 s
QUESTION_STATES = 200_000  # cached question validators per snapshot (~300 bytes each: at most ~60 MB a worker)
LINKED_LABELS = 100_000  # cached labels of linked resources per snapshot (~500 bytes each: at most ~50 MB)
SORTABLE = 600  # up to this many questions, a list is sorted newest first per request (~0.2 ms a question)
CONTEXT_PATH = "/ns/context.jsonld"


@dataclass(frozen=True)
class Kind:
    """One kind of resource: how its path looks (below the base) and how it is described."""

    name: str
    pattern: re.Pattern[str]
    scope: str  # "question" (its own graph), "in-question" (its question's graph), "store" (found in the store)
    listing: str | None = None  # the list-questions-by-* / count-questions-by-* suffix


_ID = r"WQ-(?P<id>\d{1,3}-\d{1,6})"
KINDS: tuple[Kind, ...] = (
    Kind("question", re.compile(rf"eli/dl/doc/{_ID}"), "question"),
    Kind("answer", re.compile(rf"eli/dl/doc/{_ID}-ASW"), "in-question"),
    Kind("expression", re.compile(rf"eli/dl/doc/{_ID}(?:-ASW)?/(?:fr|nl)"), "in-question"),
    Kind("manifestation", re.compile(rf"eli/dl/doc/{_ID}(?:-ASW)?/(?:fr|nl)/html"), "in-question"),
    Kind("event", re.compile(rf"eli/dl/event/{_ID}-[A-Z]{{3}}\d*"), "in-question"),
    Kind("participation", re.compile(rf"eli/dl/participation/{_ID}_[A-Z]+"), "in-question"),
    Kind("person", re.compile(r"person/[a-z0-9-]+"), "store", "person"),
    Kind("party", re.compile(r"org/party/[a-z0-9-]+"), "store", "party"),
    Kind("office", re.compile(r"org/office/[a-z0-9-]+"), "store", "office"),
    Kind("concept", re.compile(r"concept/[a-z0-9-]+"), "store", "concept"),
    Kind("term", re.compile(r"term/\d+"), "store", "term"),
    Kind("vocabulary", re.compile(r"def/.*"), "store"),
    Kind("resource", re.compile(r".+"), "store"),
)


def classify(local: str) -> tuple[Kind, re.Match[str]]:
    """The kind of the resource at `local` (the path below the base, no leading slash)."""
    for kind in KINDS:
        match = kind.pattern.fullmatch(local)
        if match:
            return kind, match
    raise AssertionError("the last kind matches everything")  # pragma: no cover


class NotFound(Exception):
    """Nothing is known about the requested IRI; `reason` says what was looked for."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# ------------------------------------------------------------------ validators
class _StoreValidators:
    """The store's newest change as a validator for resources not tied to one graph. Asking for it scans the
    store's metadata, so the value is reused for STORE_VALIDATORS_SECONDS (a lock keeps threads from piling
    up on a refresh)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._value: Validators | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self) -> Validators:
        with self._lock:
            if self._value is None or time.monotonic() - self._at > self.seconds:
                self._value = _compute_store_validators()
                self._at = time.monotonic()
            return self._value


def _compute_store_validators() -> Validators:
    """Tag = hash of (newest modification, number of graphs): a replaced, added or removed graph changes it."""
    infos = get_store().all_graph_infos()
    newest = max((info.modified for info in infos.values()), default=None)
    tag = hashlib.sha256(f"{newest}|{len(infos)}".encode()).hexdigest()[:16]
    return Validators(tag, newest)


def store_validators() -> Validators:
    return current_app.extensions["store_validators"].get()


# ------------------------------------------------------------------ fetching descriptions
def rdf_prefixes() -> dict[str, str]:
    return current_app.extensions["rdf_prefixes"]


@dataclass(frozen=True)
class Part:
    """One internal CONSTRUCT query with its bound IRIs: a piece of a description."""

    query: str
    values: tuple[tuple[str, str], ...]

    def run(self, media_type: str) -> bytes:
        return queries_internal.construct(self.query, media_type, rdf_prefixes(), **dict(self.values))


def part(query: str, **values: str) -> Part:
    return Part(query, tuple(sorted(values.items())))


class Description:
    """What is served for one resource: the union of a few query results (or a graph built in Python).

    Why parts rather than one graph: Turtle and N-Triples documents can be concatenated (Turtle allows
    @prefix again), so those formats are written by the store, part by part, with no graph in Python at all;
    the parts are parsed only for HTML, JSON-LD and a multi-part RDF/XML, into a `TripleGraph`
    (server/graphs.py: measured on a question, rdflib's N-Triples parser and Memory store cost 8 of the 11 ms
    its HTML took)."""

    def __init__(self, parts: tuple[Part, ...] = (), graph: Graph | None = None, extra: bytes = b"") -> None:
        self.parts = parts
        self.extra = extra  # N-Triples added to the parts (a question's dcterms:hasVersion links, server/ldes.py)
        self._graph: Graph | TripleGraph | None = graph

    def graph(self) -> Graph | TripleGraph:
        """The description as a graph to read (pages, JSON-LD): an rdflib Graph built in Python, or the parts
        parsed into a TripleGraph."""
        if self._graph is None:
            self._graph = TripleGraph.from_ntriples(*(piece.run(NTRIPLES.media_type) for piece in self.parts),
                                                    self.extra)
        return self._graph

    def rdflib_graph(self) -> Graph:
        graph = self.graph()
        return graph.to_rdflib() if isinstance(graph, TripleGraph) else graph

    def body(self, fmt: Format) -> bytes | None:
        """The document written by the store, when it can be (None: serialise `graph()` instead)."""
        if not self.parts:  # a graph built in Python
            return None
        if len(self.parts) == 1 and not self.extra and fmt in (TURTLE, NTRIPLES, RDFXML):
            return self.parts[0].run(fmt.media_type)
        if len(self.parts) == 1 and fmt in (TURTLE, NTRIPLES):  # N-Triples statements are Turtle statements too:
            return self.parts[0].run(fmt.media_type) + self.extra  # still one document, written by the store
        if fmt in (TURTLE, NTRIPLES, RDFXML):  # one document, not one per part: N-Triples concatenate,
            ntriples = b"".join(piece.run(NTRIPLES.media_type) for piece in self.parts) + self.extra
            return ntriples if fmt is NTRIPLES else convert_rdf(ntriples, NTRIPLES.media_type, fmt.media_type,
                                                                rdf_prefixes())
        return None

    def mentions(self, iri: str) -> bool:
        return (URIRef(iri), None, None) in self.graph()


def find_graph(iri: str) -> str | None:
    """The named graph that describes `iri` (`Iris.graph_of`: its own, or its question's), when it is stored."""
    graph = current_app.extensions["iris"].graph_of(iri)
    return graph if get_store().graph_info(graph) is not None else None


@dataclass(frozen=True)
class QuestionState:
    """What a question's validators are made of: its own graph and the graphs of what it links to."""

    validators: Validators
    placeholder: bool  # linked from a question that was read, its own page not read yet (skg:status-not-read)
    linked: tuple[str, ...] = ()  # what it is served with the labels of: linked resources, vocabulary terms


class _PerSnapshot:
    """Values computed from the store, kept while its snapshot lasts: exact, since a snapshot never changes (a
    new one clears them). Up to `limit` values; beyond, they are computed every time. Stores that cannot name
    their snapshot (remote) compute every time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.snapshot: str | None = None
        self.values: dict[str, object] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[str], object]) -> object:
        return self.get_all((key,), compute)[0]

    def get_all(self, keys: tuple[str, ...], compute: Callable[[str], object]) -> list[object]:
        """The values of several keys, with the store's snapshot looked at once (a question's ~10 links)."""
        snapshot = get_store().snapshot_id()
        if snapshot is None:
            return [compute(key) for key in keys]
        if snapshot != self.snapshot:
            with self._lock:
                if snapshot != self.snapshot:
                    self.values, self.snapshot = {}, snapshot
        values = self.values
        found = []
        for key in keys:
            if key not in values:
                value = compute(key)
                if len(values) >= self.limit:
                    found.append(value)
                    continue
                values[key] = value
            found.append(values[key])
        return found


def question_state(iri: str) -> QuestionState | None:
    """None when no graph of that name is stored. Cached per store snapshot: the validators query costs
    ~0.7 ms where the question's own graph_info costs 0.03 ms (10,000 questions), a third of a Turtle request."""
    return current_app.extensions["question_states"].get(iri, _question_state)


def _question_state(iri: str) -> QuestionState | None:
    """The tag hashes the etags of every graph the representation reads (describe-question), so that a renamed
    party or a sibling read since changes the ETag too."""
    rows = queries_internal.select("question-links", q=iri)
    infos = get_store().graph_infos([iri, *(str(row["g"]) for row in rows if "g" in row)])
    if iri not in infos:
        return None
    etags = sorted(f"{graph} {info.etag}" for graph, info in infos.items())
    not_read = current_app.extensions["iris"].vocab("status-not-read")
    tag = hashlib.sha256("\n".join(etags).encode()).hexdigest()[:32]
    placeholder = any(str(row.get("g")) == iri and str(row.get("status")) == not_read for row in rows)
    linked = sorted({str(row[name]) for row in rows for name in ("g", "term") if name in row} - {iri})
    return QuestionState(Validators(tag, max(info.modified for info in infos.values())), placeholder,
                         tuple(linked))


def question_description(iri: str, state: QuestionState, versions: bytes) -> Description:
    """A question as served: its graph and the labels of what it links to (describe-question). A store that
    names its snapshots reads the question's graph alone and adds the labels, cached per linked resource and
    snapshot (labels-of): the same triples, without the join that made a Turtle request ~25% slower than when
    each question's graph held copies of them. A remote store is asked once, joins included (one round trip)."""
    vocabulary = current_app.extensions["iris"].vocab()
    store = get_store()
    if store.snapshot_id() is None:
        return Description((part("describe-question", q=iri, v=vocabulary),), extra=versions)
    labels = current_app.extensions["linked_labels"].get_all(
        state.linked, lambda x: queries_internal.construct("labels-of", x=x, v=vocabulary))
    known = b"".join(labels)
    return Description((part("question-graph", q=iri),), extra=known + versions)


@dataclass(frozen=True)
class Listing:
    """A resource with the questions linked to it: a bounded list and the full count."""

    description: Description
    total: int
    newest_first: bool  # False: too many to sort per request, the list holds the first ones the store found
    found: bool  # some graph describes the resource itself


def describe_listing(iri: str, listing: str) -> Listing:
    """A resource's description, how many questions link to it, and up to 100 of them: the newest when
    there are few enough to sort (SORTABLE), else the first the store finds (sorting 30,000 questions of a
    legislature takes seconds; the page then says so and points to search)."""
    rows = queries_internal.select(f"count-questions-by-{listing}", r=iri)
    total = sum(int(row["n"].toPython()) for row in rows if "n" in row)
    graph_iri = find_graph(iri)
    parts = (part("describe-in-graph", r=iri, g=graph_iri),) if graph_iri else ()
    newest_first = total <= SORTABLE
    if total:
        query = f"list-questions-by-{listing}" if newest_first else f"sample-questions-by-{listing}"
        parts += (part(query, r=iri),)
    return Listing(Description(parts), total, newest_first, graph_iri is not None)


def _ontology_description(iri: str) -> Graph:
    """A term as ontology/senate-kg.ttl defines it, with the labels of what it links to. The server's own
    copy of the ontology is the reference: the store holds the same file (or none, for a store built
    without it), and reading it from memory costs no query."""
    vocabulary: Graph = current_app.extensions["vocabulary_graph"]
    node = URIRef(iri)
    graph = Graph()
    for p, o in vocabulary.predicate_objects(node):
        graph.add((node, p, o))
        for label_p in pages.LABEL_PREDICATES:
            for label in vocabulary.objects(o, label_p):
                graph.add((o, label_p, label))
    if iri == current_app.extensions["iris"].vocab():  # the ontology itself lists the terms it defines
        for term in set(vocabulary.subjects()):
            if isinstance(term, URIRef) and str(term).startswith(iri) and term != node:
                graph.add((term, RDFS.isDefinedBy, node))
                for label_p in (RDFS.label, SKOS.prefLabel):
                    for label in vocabulary.objects(term, label_p):
                        graph.add((term, label_p, label))
    return graph


# ------------------------------------------------------------------ views
@dataclass(frozen=True)
class Target:
    """One request for a resource: what it names and how it is to be answered."""

    iri: str
    path: str  # the generic path, without a format suffix (Content-Location and Link are built on it)
    fmt: Format
    negotiated: bool  # False for a suffix URL: the answer does not vary with Accept
    kind: Kind
    match: re.Match[str]


_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`]')  # cannot be in an IRI: nothing to look up


@bp.get("/<path:path>")
def resource(path: str) -> Response:
    generic, fixed = split_suffix("/" + path)
    local = generic.lstrip("/")
    fmt = fixed or choose(request, RESOURCE_FORMATS, TURTLE)
    kind, match = classify(local)
    target = Target(current_app.extensions["iris"].base + local, generic, fmt, fixed is None, kind, match)
    try:
        if _IRI_UNSAFE.search(local):
            raise NotFound("this path cannot be part of an IRI")
        return _serve(target)
    except NotFound as missing:
        return not_found(generic, missing.reason, None if target.negotiated else fmt)
    except QueryRejected:  # the store refuses the IRI (`[`, U+FFFD, a lone `%`...): nothing can live there
        return not_found(generic, "this path cannot be part of an IRI", None if target.negotiated else fmt)


def _serve(t: Target) -> Response:
    """Questions from their own graph; resources living in a question graph from that graph; others from
    the whole store."""
    iris = current_app.extensions["iris"]
    if t.kind.scope == "question":
        removed = ldes.gone(t.iri, t.path, None if t.negotiated else t.fmt)  # the stream says it was removed
        if removed is not None:
            return removed
        state = question_state(t.iri)
        if state is None or state.placeholder:  # a sibling not read yet: its placeholder and who links to it
            return _serve_store(t)
        versions = ldes.version_links(t.iri)  # its versions on the event stream: part of what is served
        validators = Validators(f"{state.validators.tag}-{hashlib.sha256(versions).hexdigest()[:8]}",
                                state.validators.modified)
        cached = _cached(t, validators)
        if cached:
            return cached
        return _respond(t, validators, question_description(t.iri, state, versions),
                        html=lambda g: pages.render_question(g, t.iri, t.path))
    if t.kind.scope == "in-question":
        question = iris.question(t.match["id"])
        state = question_state(question)
        if state is None or state.placeholder:
            raise NotFound(f"no question {t.match['id']} is stored, so nothing lives under it")
        validators = state.validators
        cached = _cached(t, validators)
        if cached:
            return cached
        description = Description((part("describe-in-graph", r=t.iri, g=question),
                                   part("describe-incoming-in-graph", r=t.iri, g=question)))
        if not description.mentions(t.iri):
            raise NotFound(f"question {t.match['id']} has no {t.kind.name} at this address")
        return _respond(t, validators, description,
                        html=lambda g: pages.render_resource(g, t.iri, t.kind.name, t.path, part_of=question))
    return _serve_store(t)


def _serve_store(t: Target) -> Response:
    """Resources described from the whole store (validators: the store's newest change) or, for the local
    vocabulary, from the ontology file (validators: the representation stamp, which hashes that file)."""
    if t.kind.name == "vocabulary":
        validators = Validators(current_app.extensions["representation_stamp"],
                                current_app.extensions["representation_time"])
    else:
        validators = store_validators()
    cached = _cached(t, validators)
    if cached:
        return cached
    listing = None
    if t.kind.listing:
        listing = describe_listing(t.iri, t.kind.listing)
        if not (listing.found or listing.total):
            raise NotFound(f"nothing is published about <{t.iri}>")
        description = listing.description
    elif t.kind.name == "vocabulary":
        description = Description(graph=_ontology_description(t.iri))
    else:
        graph_iri = find_graph(t.iri)
        found = (part("describe-in-graph", r=t.iri, g=graph_iri),) if graph_iri else ()
        description = Description((*found, part("list-referring", r=t.iri)))
    if not listing and not description.mentions(t.iri):
        raise NotFound(f"nothing is published about <{t.iri}>")
    external = senate_pages(t.iri) if t.kind.name == "question" else ()
    return _respond(t, validators, description, html=lambda g: pages.render_resource(
        g, t.iri, t.kind.name, t.path, listing.total if listing else None, external=external,
        newest_first=listing.newest_first if listing else True,
        search=search_link(t.kind.listing, t.iri) if listing else None))


SEARCH_FILTERS = {"person": "author", "party": "party", "office": "office", "concept": "concept",
                  "term": "legislature"}  # listing -> the /search parameter that filters on it


def search_link(listing: str, iri: str) -> str:
    """/search filtered on the resource: every linked question, newest first, paged (server/search.py)."""
    name = SEARCH_FILTERS[listing]
    value = iri.rstrip("/").rsplit("/", 1)[-1] if name == "legislature" else iri
    return f"{request.script_root}/search?{urlencode({name: value})}"


def _cached(t: Target, validators: Validators) -> Response | None:
    return conditional(validators, t.fmt, path=t.path, vary=t.negotiated)


def senate_pages(question_iri: str) -> tuple[tuple[str, str], ...]:
    """senate.be pages of a question the store only mentions (a sibling not harvested yet): where to read it."""
    match = re.search(r"WQ-(\d+)-(\d+)$", question_iri)
    if not match:
        return ()
    leg, number = int(match[1]), int(match[2])
    return tuple((f"senate.be ({lang})", Iris.senate_page("SchriftelijkeVraag", leg, number, lang))
                 for lang in ("fr", "nl"))


def _respond(t: Target, validators: Validators, description: Description, *,
             html: Callable[[Graph | TripleGraph], str]) -> Response:
    """Serialise one description in the target's format: by the store when it can (Turtle, N-Triples, and
    RDF/XML of a single query: the question's hot path), else through a graph in Python (HTML, JSON-LD)."""
    if t.fmt is HTML:
        response = Response(html(description.graph()), mimetype="text/html")
        return finish(response, t.fmt, validators=validators, path=t.path, vary=t.negotiated)
    body = None if t.fmt is JSONLD else description.body(t.fmt)
    if body is None and t.fmt is JSONLD:
        body = serialise_jsonld(description.graph())
    elif body is None:
        graph = description.rdflib_graph()
        _bind_prefixes(graph)
        body = serialise(graph, t.fmt)
    return rdf_response(body, t.fmt, validators=validators, path=t.path, vary=t.negotiated)


def serialise_jsonld(graph: Graph | TripleGraph) -> bytes:
    """Compacted with the project's context, which the output names by URL (`/ns/context.jsonld`)."""
    import json

    obj = jsonld_object(graph, current_app.extensions["jsonld_compiled_context"], context_url())
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def context_url() -> str:
    """Where the @context is published, as an absolute URL under the base (a JSON-LD processor resolves it)."""
    return current_app.extensions["iris"].base + CONTEXT_PATH.lstrip("/")


def _bind_prefixes(graph: Graph) -> None:
    for prefix, namespace in rdf_prefixes().items():
        graph.bind(prefix, namespace, override=True, replace=True)


def not_found(path: str, reason: str, fixed: Format | None = None) -> Response:
    """404: an HTML page for browsers (or a .html URL), plain text for everyone else."""
    wants_html = fixed is HTML or (fixed is None and request.accept_mimetypes.provided
                                   and request.accept_mimetypes.quality("text/html") >= 0.9
                                   and request.accept_mimetypes.quality("text/html")
                                   >= request.accept_mimetypes.quality("text/turtle"))
    if wants_html:
        response = Response(pages.render_not_found(path, reason), status=404, mimetype="text/html")
    else:
        response = Response(f"404 Not Found: {path}\n{reason}\n", status=404, mimetype="text/plain")
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get(CONTEXT_PATH)
def context() -> Response:
    """The JSON-LD @context every JSON-LD representation points at."""
    import json

    body = json.dumps(current_app.extensions["jsonld_context"], ensure_ascii=False, indent=2).encode("utf-8")
    validators = Validators(hashlib.sha256(body).hexdigest()[:16], current_app.extensions["representation_time"])
    cached = conditional(validators, JSONLD)
    if cached:
        return cached
    response = Response(body, mimetype="application/ld+json")
    return finish(response, JSONLD, validators=validators, max_age=86400)


# ------------------------------------------------------------------ set-up
def _prefixes(context: dict, iris) -> dict[str, str]:
    """Namespace prefixes for Turtle and CURIEs, read from the JSON-LD context (data, not code)."""
    found = {k: v for k, v in context["@context"].items()
             if isinstance(v, str) and not k.startswith("@") and v.endswith(("/", "#"))}
    found["skg"] = iris.vocab()
    return found


def init_app(app: Flask) -> None:
    from mapping.rdf import jsonld_context, load_ontology
    from server import representations

    iris = app.extensions["iris"]
    queries_internal.init_app(app)
    representations.init_app(app)
    app.extensions["jsonld_context"] = jsonld_context(iris)
    app.extensions["jsonld_compiled_context"] = representations.compile_context(
        app.extensions["jsonld_context"]["@context"])
    app.extensions["rdf_prefixes"] = _prefixes(app.extensions["jsonld_context"], iris)
    app.extensions["vocabulary_graph"] = load_ontology(iris)
    app.extensions["store_validators"] = _StoreValidators(STORE_VALIDATORS_SECONDS)
    app.extensions["question_states"] = _PerSnapshot(QUESTION_STATES)
    app.extensions["linked_labels"] = _PerSnapshot(LINKED_LABELS)
    app.register_blueprint(bp)
