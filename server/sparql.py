"""`/sparql`: a read-only SPARQL 1.1 Protocol endpoint, its service description and an HTML query editor.

Why it is shaped this way (DESIGN.md "HTTP surface" and "What real clients send"):
- The protocol is read from the raw request, not from Werkzeug's forgiving parsers: a duplicate `query`,
  invalid UTF-8, broken percent-encoding or a body charset other than UTF-8 is a 4xx naming the problem,
  never a silently repaired query or a 500.
- Updates, by any form (the `update` parameter, an application/sparql-update body, GET), are refused with 403:
  the endpoint is read-only. SERVICE, a hard timeout and the row cap are enforced by the store
  (store/safety.py, store/workers.py), the same way for both backends.
- Content negotiation happens before the query runs, from the query form read off the text (SELECT/ASK:
  SPARQL JSON by default, XML, CSV, TSV; CONSTRUCT/DESCRIBE: Turtle by default, JSON-LD, RDF/XML, N-Triples).
  A client that accepts none of those gets the default rather than a 406 (rdflib's SPARQLStore asks for
  SPARQL JSON even for CONSTRUCT); N-Quads and TriG are answered with N-Triples and Turtle, which they
  include (Comunica asks for N-Quads first). The `format`, `output` and `results` parameters are read by query
  form as Fuseki and Virtuoso read them (`xml` is RDF/XML for a graph, SPARQL XML for bindings; `json` JSON-LD
  or SPARQL JSON): SPARQLWrapper sends all three with every query, so reading `xml` as SPARQL XML for a
  DESCRIBE would answer the wrong type and make it warn. A value that names no format of the form leaves the
  choice to Accept.
- GET queries are read up to MAX_GET_QUERY_BYTES (SPARQLWrapper and rdflib's SPARQLStore send every query by
  GET unless told otherwise, and generated queries pass 8 KB); beyond it a 414 says to POST.
- A plain GET without a query is the service description (Turtle etc.), or, for a browser, the query editor
  with the example queries from `queries/`; the editor works without JavaScript (results as an HTML table),
  and with it is YASGUI (vendored, static/sparql-editor.js), under a strict Content-Security-Policy (server/csp.py).
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache

from flask import Blueprint, Flask, Request, Response, current_app, render_template, request
from rdflib import Graph

from server.backend import get_store
from server.csp import with_csp
from store import QueryRejected, QueryResponse, QueryTimeout, StoreError
from store import formats as rf
from store.safety import MAX_QUERY_CHARS, is_absolute_iri, query_form

log = logging.getLogger(__name__)
bp = Blueprint("sparql", __name__)

MAX_BODY_BYTES = 1_000_000  # a query (or a form) larger than this is refused with 413
MAX_GET_QUERY_BYTES = 262_144  # a URL query string longer than this is a 414 that says to POST (the earlier
#                                server's limit; gunicorn's own backstop, server/serving.py, is higher)
TIMEOUT_RETRY_AFTER = 30  # seconds, after a query stopped at the time limit: the same query will be stopped again
#                           unless the server was busy, so clients (and their retry loops) should not hurry
STORE_RETRY_AFTER = 10  # seconds, when the store is unavailable
TRUNCATED_HEADER = "X-Senate-KG-Truncated"
MAX_ROWS_HEADER = "X-Senate-KG-Max-Rows"
QUERY_PARAMS = ("query", "default-graph-uri", "named-graph-uri")
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
READ_ONLY = "This SPARQL endpoint is read-only: SPARQL Update is not accepted here."
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


class HtmlOffer:
    """The query editor's rendering of a result (for browsers)."""

    media_type = "text/html"


HTML = HtmlOffer()
Offer = rf.ResultFormat | HtmlOffer

OFFERS: dict[str, tuple[rf.ResultFormat, ...]] = {
    "bindings": rf.RESULT_FORMATS, "boolean": rf.RESULT_FORMATS, "graph": rf.GRAPH_FORMATS}
ALIASES: dict[str, dict[str, rf.ResultFormat]] = {
    "bindings": {"application/json": rf.SPARQL_JSON, "application/xml": rf.SPARQL_XML, "text/xml": rf.SPARQL_XML},
    "graph": {"application/json": rf.JSONLD, "application/xml": rf.RDFXML, "text/xml": rf.RDFXML,
              "text/plain": rf.NTRIPLES, "application/x-turtle": rf.TURTLE},
}
ALIASES["boolean"] = ALIASES["bindings"]
FORMAT_PARAMS = ("format", "output", "results")  # Virtuoso and Fuseki read `format`, sparqler `output`, others
#                                                  `results`: SPARQLWrapper sends all three (and the editor `format`)
RESULT_NAMES: dict[str, Offer] = {"json": rf.SPARQL_JSON, "srj": rf.SPARQL_JSON, "xml": rf.SPARQL_XML,
                                  "srx": rf.SPARQL_XML, "csv": rf.SPARQL_CSV, "tsv": rf.SPARQL_TSV, "html": HTML}
GRAPH_NAMES: dict[str, Offer] = {  # as Fuseki and Virtuoso read them for a graph: xml is RDF/XML, json is JSON-LD
    "xml": rf.RDFXML, "rdf": rf.RDFXML, "rdfxml": rf.RDFXML, "rdf+xml": rf.RDFXML, "json": rf.JSONLD,
    "jsonld": rf.JSONLD, "json-ld": rf.JSONLD, "ttl": rf.TURTLE, "turtle": rf.TURTLE, "n3": rf.TURTLE,
    "nt": rf.NTRIPLES, "ntriples": rf.NTRIPLES, "n-triples": rf.NTRIPLES, "nq": rf.NQUADS, "nquads": rf.NQUADS,
    "n-quads": rf.NQUADS, "trig": rf.TRIG, "html": HTML}


def _param_formats(form: str, names: dict[str, Offer]) -> dict[str, Offer]:
    """What a `format`/`output`/`results` value means for a query of `form`: a short name or a media type
    (SPARQLWrapper sends both, e.g. `rdf+xml` and `application/rdf+xml`) that can carry that form."""
    table: dict[str, Offer] = {o.media_type: o for o in OFFERS[form]}
    table.update(ALIASES[form])
    table.update({"text/html": HTML, "application/xhtml+xml": HTML})
    table.update(names)
    return table


PARAM_FORMATS: dict[str, dict[str, Offer]] = {"bindings": _param_formats("bindings", RESULT_NAMES),
                                              "boolean": _param_formats("boolean", RESULT_NAMES),
                                              "graph": _param_formats("graph", GRAPH_NAMES)}
SD_FORMATS = (("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
              ("application/n-triples", "nt"), ("application/json", "json-ld"), ("text/plain", "nt"),
              ("application/xml", "xml"))


class ProtocolError(Exception):
    """A request that breaks the SPARQL protocol: answered with `status` and `message` (plain words)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Operation:
    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    formats: tuple[str, ...] = ()  # the `format`, `output` and `results` values, in the order given
    extras: dict[str, str] = field(default_factory=dict)  # editor-only parameters (example)


# ---------------------------------------------------------------- reading the request
def parse_urlencoded(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Name/value pairs of an application/x-www-form-urlencoded string, strictly: bad percent-encoding or
    invalid UTF-8 is a 400 naming `where` (the URL or the body)."""
    if _BAD_PERCENT.search(raw):
        raise ProtocolError(400, f"The {where} has a malformed percent-encoding (a % not followed by two hex digits).")
    pairs = []
    for item in raw.split(b"&"):
        if not item:
            continue
        name, _, value = item.partition(b"=")
        pairs.append((urllib.parse.unquote_to_bytes(name.replace(b"+", b" ")),
                      urllib.parse.unquote_to_bytes(value.replace(b"+", b" "))))
    try:
        return [(name.decode("utf-8"), value.decode("utf-8")) for name, value in pairs]
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"The {where} is not valid UTF-8 once percent-decoded ({exc.reason} at byte "
                                 f"{exc.start}).") from exc


def _charset_is_utf8(req: Request) -> bool:
    charset = req.mimetype_params.get("charset")
    return charset is None or charset.strip().lower() in _UTF8_NAMES


def _body(req: Request) -> bytes:
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise ProtocolError(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes.")
    data = req.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise ProtocolError(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes.")
    return data


def read_operation(req: Request) -> Operation | None:
    """The query operation a request carries, None for a plain GET (service description / editor), or a
    ProtocolError saying what is wrong with it."""
    if len(req.query_string) > MAX_GET_QUERY_BYTES:
        raise ProtocolError(414, f"The URL's query string is {len(req.query_string):,} bytes; this endpoint reads "
                                 f"at most {MAX_GET_QUERY_BYTES:,} there. Send a longer query by POST (a form "
                                 f"field `query` or an {QUERY_TYPE} body): queries of up to "
                                 f"{MAX_QUERY_CHARS:,} characters are run.")
    params = parse_urlencoded(req.query_string, "URL query string")
    if req.method == "POST":
        params = params + _post_params(req, params)
    names = [name for name, _ in params]
    has_update = any(name in UPDATE_PARAMS for name in names)
    if has_update and "query" in names:
        raise ProtocolError(400, "A request carries either a query or an update, not both.")
    if has_update:
        raise ProtocolError(403, READ_ONLY)
    queries = [value for name, value in params if name == "query"]
    if len(queries) > 1:
        raise ProtocolError(400, f"The request has {len(queries)} query parameters; the protocol allows one.")
    extras = {name: value for name, value in params if name in ("example",)}
    formats_given = tuple(value for name, value in params if name in FORMAT_PARAMS)
    if not queries:
        if req.method == "POST":
            raise ProtocolError(400, "The POST request has no query (a `query` form field or an "
                                     "application/sparql-query body).")
        return None if not extras else Operation("", extras=extras)
    if not queries[0].strip():
        raise ProtocolError(400, "The query is empty.")
    return Operation(
        query=queries[0],
        default_graphs=[v for n, v in params if n == "default-graph-uri"] or None,
        named_graphs=[v for n, v in params if n == "named-graph-uri"] or None,
        formats=formats_given,
        extras=extras,
    )


def _post_params(req: Request, url_params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The parameters a POST body adds: a form, or a direct query (the protocol's two POST forms)."""
    mimetype = req.mimetype
    if mimetype == UPDATE_TYPE:
        raise ProtocolError(403, READ_ONLY)
    if mimetype not in (FORM_TYPE, QUERY_TYPE):
        shown = mimetype or "none"
        raise ProtocolError(415, f"A POST to this endpoint needs Content-Type {FORM_TYPE} or {QUERY_TYPE} "
                                 f"(got {shown}).")
    if not _charset_is_utf8(req):
        raise ProtocolError(415, f"Only UTF-8 is accepted (the request says charset="
                                 f"{req.mimetype_params.get('charset')}).")
    body = _body(req)
    if mimetype == FORM_TYPE:
        return parse_urlencoded(body, "form body")
    if any(name == "query" for name, _ in url_params):
        raise ProtocolError(400, "The query is given twice: in the URL and as the request body.")
    try:
        return [("query", body.decode("utf-8"))]
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"The query body is not valid UTF-8 ({exc.reason} at byte {exc.start}).") from exc


# ---------------------------------------------------------------- content negotiation
def negotiate(req: Request, form: str, format_params: tuple[str, ...] = ()) -> Offer:
    """The format to answer a query of `form` in: the first `format`/`output`/`results` value that names a
    format for this form (read by query form, as Fuseki and Virtuoso do), else the best offer for the Accept
    header (q-values honoured, ties to the default), else the default (never 406). A value that fits no
    format of this form (`csv` for a CONSTRUCT) leaves the choice to Accept rather than forcing the default."""
    for value in format_params:
        offer = PARAM_FORMATS[form].get(value.strip().lower())
        if offer is not None:
            return offer
    return _negotiate_accept(req, form)


def _negotiate_accept(req: Request, form: str) -> Offer:
    default = rf.DEFAULTS[form]
    accept = req.accept_mimetypes
    if not accept.provided or not accept:
        return default
    candidates: list[tuple[str, Offer]] = [(o.media_type, o) for o in OFFERS[form]]
    candidates += list(ALIASES[form].items())
    candidates += [("text/html", HTML), ("application/xhtml+xml", HTML)]
    ranked = sorted(((accept.quality(media), offer is not default, index, offer)
                     for index, (media, offer) in enumerate(candidates)), key=lambda item: (-item[0], item[1], item[2]))
    quality, _, _, best = ranked[0]
    return best if quality > 0 else default


def wants_html(req: Request) -> bool:
    """A browser: text/html preferred to every RDF type (a plain `*/*` is not a browser)."""
    accept = req.accept_mimetypes
    html = max(accept.quality("text/html"), accept.quality("application/xhtml+xml"))
    rdf = max(accept.quality(media) for media, _ in SD_FORMATS)
    return accept.provided and html > rdf


# ---------------------------------------------------------------- responses
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = f"Content-Type, {TRUNCATED_HEADER}, {MAX_ROWS_HEADER}, " \
                                                        "Retry-After"
    response.vary.add("Accept")
    return response


def error_response(status: int, message: str, operation: Operation | None = None,
                   retry_after: int | None = None) -> Response:
    """Plain text for programs; the editor with the message (and the query kept) for browsers."""
    if wants_html(request):
        response = with_csp(Response(_editor(operation, error=message), status, mimetype="text/html"))
    else:
        response = Response(message.rstrip() + "\n", status, mimetype="text/plain")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if status == 405:
        response.headers["Allow"] = "GET, HEAD, POST, OPTIONS"
    return _cors(response)


def _settings() -> dict:
    config = current_app.config
    return {"timeout": float(config["QUERY_TIMEOUT"]), "max_rows": int(config["MAX_ROWS"]),
            "allow_service": bool(config["ALLOW_SERVICE"])}


def run_query(operation: Operation, media_type: str) -> QueryResponse:
    settings = _settings()
    return get_store().query(operation.query, media_type, default_graphs=operation.default_graphs,
                             named_graphs=operation.named_graphs, timeout=settings["timeout"],
                             max_rows=settings["max_rows"], allow_service=settings["allow_service"],
                             base_iri=current_app.config["BASE_URI"])


def answer(operation: Operation) -> Response:
    """Run the query and send its result in the negotiated format (or the failure as 4xx/503)."""
    form = query_form(operation.query) or "bindings"
    offer = negotiate(request, form, operation.formats)
    media_type = rf.DEFAULTS[form].media_type if offer is HTML else offer.media_type
    try:
        result = run_query(operation, media_type)
    except QueryRejected as exc:
        return error_response(400, f"The query was rejected: {exc}", operation)
    except QueryTimeout:
        timeout = _settings()["timeout"]
        return error_response(503, f"The query was stopped: it ran longer than this endpoint's limit of "
                                   f"{timeout:g} s. Narrow it (LIMIT, more specific patterns) or download a dump.",
                              operation, retry_after=TIMEOUT_RETRY_AFTER)
    except StoreError as exc:
        log.warning("/sparql: store unavailable: %s", exc)
        return error_response(503, f"The store is unavailable, try again shortly ({exc}).", operation,
                              retry_after=STORE_RETRY_AFTER)
    if offer is HTML:
        response = with_csp(Response(_editor(operation, result=result), mimetype="text/html"))
    else:
        known = rf.BY_MEDIA_TYPE.get(result.media_type)
        response = Response(result.body, content_type=rf.content_type(known) if known else result.media_type)
    if result.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
        response.headers[MAX_ROWS_HEADER] = str(_settings()["max_rows"])
    return _cors(response)


# ---------------------------------------------------------------- service description and editor
def endpoint_url() -> str:
    """The endpoint as the client reached it (what Comunica uses), or the configured base when odd."""
    url = request.url_root.rstrip("/") + "/sparql"
    return url if is_absolute_iri(url) else current_app.config["BASE_URI"] + "sparql"


@lru_cache(maxsize=32)
def _service_graph(turtle: str) -> Graph:
    graph = Graph()
    graph.parse(data=turtle, format="turtle")
    return graph


def service_description() -> Response:
    store = get_store()
    settings = _settings()
    turtle = render_template("sparql-service.ttl", endpoint=endpoint_url(), timeout=f"{settings['timeout']:g}",
                             max_rows=settings["max_rows"], allow_service=settings["allow_service"],
                             union=bool(getattr(store, "union_default_graph", False)))
    accept = request.accept_mimetypes
    media, rdflib_name = SD_FORMATS[0]
    if accept.provided and accept:
        best = max(SD_FORMATS, key=lambda f: (accept.quality(f[0]), f is SD_FORMATS[0]))
        if accept.quality(best[0]) > 0:
            media, rdflib_name = best
    body = _service_graph(turtle).serialize(format=rdflib_name, encoding="utf-8")
    response = Response(body, mimetype=media)
    if media.startswith("text/"):
        response.headers["Content-Type"] = f"{media}; charset=utf-8"
    return _cors(response)


def examples() -> list[dict[str, str]]:
    """The editor's example queries: the named queries of `queries/`, rendered with the configured base."""
    try:
        from server.named_queries import QueryFileError, load_named_queries
    except ImportError:  # pragma: no cover - the module ships with the server
        return []
    base = current_app.config["BASE_URI"]
    try:
        return [{"name": q.name, "title": q.title, "description": q.description, "sparql": q.render({}, base)}
                for q in load_named_queries()]
    except (QueryFileError, OSError) as exc:
        log.error("/sparql: the example queries could not be loaded: %s", exc)
        return []




def _editor(operation: Operation | None, *, result=None, error: str | None = None) -> str:
    """The query editor page, with a result table (or graph text) or an error when a query was run."""
    known = examples()
    chosen = (operation.extras.get("example") if operation else None) or ""
    text = operation.query if operation and operation.query else next(
        (e["sparql"] for e in known if e["name"] == chosen), None) or render_template("sparql-default.rq")
    table = None
    if result is not None and result.form == "bindings":
        payload = json.loads(result.body)
        variables = payload["head"]["vars"]
        table = {"vars": variables, "rows": [[row.get(v) for v in variables]
                                             for row in payload["results"]["bindings"]]}
    settings = _settings()
    return render_template("sparql.html", query=text, examples=known, chosen=chosen, result=result, table=table,
                           boolean=json.loads(result.body)["boolean"] if result is not None and
                           result.form == "boolean" else None,
                           graph_text=result.body.decode("utf-8", "replace") if result is not None and
                           result.form == "graph" else None,
                           error=error, endpoint=endpoint_url(), settings=settings,
                           format=(operation.formats[0] if operation and operation.formats else "html"))


# ---------------------------------------------------------------- the view
@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers["Allow"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
        return _cors(response)
    try:
        operation = read_operation(request)
    except ProtocolError as exc:
        return error_response(exc.status, exc.message)
    if operation is None or not operation.query:
        if wants_html(request) or operation is not None:
            return _cors(with_csp(Response(_editor(operation), mimetype="text/html")))
        return service_description()
    return answer(operation)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
