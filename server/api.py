"""The named queries (queries/*.rq) as a REST API: `/api/queries/{name}?param=...` in JSON or CSV, paged, and
described in OpenAPI 3 at `/api/openapi.json` (generated from the query headers, never written by hand).

Why it is shaped this way (DESIGN.md, grlc's mistakes avoided):
- A parameter's text is validated into an RDF term and bound with a VALUES clause (server/named_queries.py);
  it never becomes query text. A bad or unknown parameter is a 400 naming it and saying why.
- Queries run through the store's user-query path, which enforces QUERY_TIMEOUT (the embedded store kills
  the worker process) and caps the rows: a named query cannot hold the server longer than /sparql can.
- Paging asks for limit+1 rows: the extra row says whether a next page exists, so `Link: rel="next"` is only
  sent when there is one, and no `last` is invented (counting would cost a second full evaluation).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from server.backend import get_store
from server.csp import with_csp
from server.named_queries import NamedQuery, Param, ParamError, find_named_query, load_named_queries
from server.negotiation import HTML, Format, choose
from store import QueryRejected, QueryTimeout

bp = Blueprint("api", __name__)

JSON = Format("application/json", "json", "", "JSON")
CSV = Format("text/csv", "csv", "", "CSV")
SPARQL_JSON = Format("application/sparql-results+json", "srj", "", "SPARQL results (JSON)")
RESULT_OFFERS: tuple[Format, ...] = (JSON, CSV, SPARQL_JSON)
LISTING_OFFERS: tuple[Format, ...] = (JSON, HTML)
SUFFIXES = {"json": JSON, "csv": CSV}
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000
NUMERIC = {"integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
           "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong"}
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_BOUND = 10**12 - 1  # named_queries accepts integers of at most 12 digits: the schema says so


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem document: every error of the API has the same machine-readable shape."""
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def queries() -> list[NamedQuery]:
    return current_app.extensions["named_queries"]


# ---------------------------------------------------------------- request parsing
def _single_args() -> dict[str, str]:
    """The query string as name -> value; a name given twice is refused (which one would we use?)."""
    values: dict[str, str] = {}
    for name, items in request.args.lists():
        if len(items) > 1:
            raise ParamError(name, f"given {len(items)} times; give it once")
        values[name] = items[0]
    return values


def _paging(args: dict[str, str]) -> tuple[int, int]:
    limit, offset = args.get("limit", str(DEFAULT_LIMIT)), args.get("offset", "0")
    if not _whole(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise ParamError("limit", f"must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}")
    if not _whole(offset) or int(offset) > MAX_OFFSET:
        raise ParamError("offset", f"must be a whole number from 0 to {MAX_OFFSET}, got {offset!r}")
    return int(limit), int(offset)


def _whole(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses (a 500 until issue 5)."""
    return text.isascii() and text.isdigit()


def _page_url(args: dict[str, str], offset: int, limit: int) -> str:
    params = {k: v for k, v in args.items() if k not in ("offset", "limit")}
    params["limit"] = str(limit)
    if offset:
        params["offset"] = str(offset)
    return f"{request.base_url}?{urlencode(params)}"


# ---------------------------------------------------------------- results
def _plain(term: dict[str, str]) -> Any:
    """A SPARQL JSON term as a plain JSON value: numbers and booleans typed, everything else its text."""
    value = term.get("value")
    datatype = term.get("datatype", "")
    if term.get("type") in ("literal", "typed-literal") and datatype.startswith(XSD):
        local = datatype[len(XSD):]
        try:
            if local in NUMERIC:
                number = float(value)
                return int(number) if number.is_integer() and local not in ("double", "float") else number
            if local == "boolean":
                return value in ("true", "1")
        except (TypeError, ValueError):
            return value
    return value


def _rows(result: dict[str, Any], columns: tuple[str, ...], limit: int) -> tuple[list[dict[str, Any]], bool]:
    bindings = result.get("results", {}).get("bindings", [])
    rows = [{c: _plain(b[c]) if c in b else None for c in columns} for b in bindings[:limit]]
    return rows, len(bindings) > limit


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else ("true" if row[c] is True else "false" if row[c] is False
                                                   else row[c]) for c in columns])
    return out.getvalue()


def run_named_query(query: NamedQuery, args: dict[str, str], limit: int, offset: int) -> dict[str, Any]:
    """Bind, run under the query timeout, parse: the SPARQL JSON result of one page (limit+1 rows asked)."""
    bindings = query.bind(args)
    base = current_app.config["BASE_URI"]
    text = query.render(bindings, base, limit=limit + 1, offset=offset)
    response = get_store().query(text, "application/sparql-results+json",
                                 timeout=current_app.config["QUERY_TIMEOUT"], max_rows=limit + 1, base_iri=base)
    return json.loads(response.body)


@bp.get("/api/queries/<path:name>")
def named_query(name: str):
    name, _, suffix = name.partition(".")
    query = find_named_query(name, current_app.extensions["named_queries_dir"])
    if query is None:
        return problem(404, "unknown query", f"no named query {name!r}; see /api/queries",
                       queries=[q.name for q in queries()])
    if suffix and suffix not in SUFFIXES:
        return problem(404, "unknown format", f"use .json or .csv, not .{suffix}")
    fmt = SUFFIXES[suffix] if suffix else choose(request, RESULT_OFFERS, JSON)
    try:
        args = _single_args()
        limit, offset = _paging(args)
        result = run_named_query(query, args, limit, offset)
    except ParamError as exc:
        base = current_app.config["BASE_URI"]
        return problem(400, "bad parameter", str(exc).replace("{base}", base), parameter=exc.param,
                       reason=exc.reason.replace("{base}", base))
    except QueryTimeout as exc:
        seconds = current_app.config["QUERY_TIMEOUT"]
        response = problem(503, "query timeout", f"{query.name} ran longer than {seconds} s and was stopped: {exc}")
        response.headers["Retry-After"] = "30"
        return response
    except QueryRejected as exc:  # the .rq files are checked at start-up: the store refused a parameter's value
        return problem(400, "bad parameter", f"{query.name}: the store refused a parameter value: {exc}")
    return _result_response(query, fmt, args, result, limit, offset)


def _result_response(query: NamedQuery, fmt: Format, args: dict[str, str], result: dict[str, Any],
                     limit: int, offset: int) -> Response:
    rows, has_next = _rows(result, query.columns, limit)
    links = {}
    if has_next:
        links["next"] = _page_url(args, offset + limit, limit)
    if offset:
        links["prev"] = _page_url(args, max(0, offset - limit), limit)
    if fmt is CSV:
        response = Response(_csv(query.columns, rows), mimetype="text/csv")
    elif fmt is SPARQL_JSON:
        result["results"]["bindings"] = result["results"]["bindings"][:limit]
        response = Response(json.dumps(result, ensure_ascii=False), mimetype=SPARQL_JSON.media_type)
    else:
        parameters = {p.name: args.get(p.name, p.default) for p in query.params if args.get(p.name, p.default)}
        response = jsonify({"query": query.name, "title": query.title, "parameters": parameters, "limit": limit,
                            "offset": offset, "columns": list(query.columns), "rows": rows,
                            "next": links.get("next"), "prev": links.get("prev")})
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# ---------------------------------------------------------------- the list and the OpenAPI document
def query_summary(query: NamedQuery) -> dict[str, Any]:
    root = request.script_root
    return {"name": query.name, "title": query.title, "description": query.description,
            "url": f"{root}/api/queries/{query.name}", "columns": list(query.columns),
            "parameters": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                            "choices": list(p.choices),
                            "description": p.description.replace("{base}", current_app.config["BASE_URI"])}
                           for p in query.params],
            "examples": [f"{root}/api/queries/{query.name}?{urlencode(e)}"
                         for e in query.examples_for(current_app.config["BASE_URI"])]}


@bp.get("/api/queries")
@bp.get("/api/queries/")
def listing():
    fmt = choose(request, LISTING_OFFERS, JSON)
    summaries = [query_summary(q) for q in queries()]
    if fmt is HTML:
        response = Response(render_template("api.html", queries=summaries), mimetype="text/html")
    else:
        response = jsonify({"queries": summaries, "openapi": f"{request.script_root}/api/openapi.json"})
    response.vary.add("Accept")
    return response


def _schema(param_type: str, choices: tuple[str, ...]) -> dict[str, Any]:
    return {"iri": {"type": "string", "format": "uri"}, "string": {"type": "string"},
            "integer": {"type": "integer", "minimum": -INTEGER_BOUND, "maximum": INTEGER_BOUND},
            "decimal": {"type": "number"},
            "date": {"type": "string", "format": "date"}, "boolean": {"type": "boolean"},
            "enum": {"type": "string", "enum": list(choices)}}[param_type]


def _typed(param: Param, raw: str) -> Any:
    """A header value (default or example) as the JSON value its schema type says: 5, not "5"."""
    if param.type == "integer":
        return int(raw)
    if param.type == "decimal":
        return float(raw)
    if param.type == "boolean":
        return raw.strip().lower() in ("true", "1")
    return raw.replace("{base}", current_app.config["BASE_URI"])


def _parameter(query: NamedQuery, param: Param) -> dict[str, Any]:
    schema = _schema(param.type, param.choices)
    if param.default is not None:
        schema["default"] = _typed(param, param.default)
    base = current_app.config["BASE_URI"]
    described = {"name": param.name, "in": "query", "required": param.required,
                 "description": param.description.replace("{base}", base), "schema": schema}
    example = query.example_value(param.name, base)
    if example is not None:
        described["example"] = _typed(param, example)
    return described


PAGING_PARAMETERS = [
    {"name": "limit", "in": "query", "required": False, "description": "Rows per page.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
    {"name": "offset", "in": "query", "required": False, "description": "Rows to skip (follow Link rel=next).",
     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
]
ERRORS = {"400": {"description": "A parameter is missing, unknown or malformed; the body names it and says why.",
                  "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "503": {"description": "The query ran past the time limit, or the store is unavailable.",
                  "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


def _operation(query: NamedQuery) -> dict[str, Any]:
    row = {"type": "object", "properties": {c: {"type": ["string", "number", "boolean", "null"]}
                                            for c in query.columns}}
    page = {"allOf": [{"$ref": "#/components/schemas/Page"},
                      {"type": "object", "properties": {"rows": {"type": "array", "items": row}}}]}
    return {"get": {
        "operationId": query.name.replace("-", "_"), "summary": query.title, "description": query.description,
        "tags": ["named queries"],
        "parameters": [_parameter(query, p) for p in query.params] + PAGING_PARAMETERS,
        "responses": {"200": {"description": "One page of results. `Link` headers rel=next / rel=prev page on; "
                                             "append .json or .csv to the path to choose a format without Accept.",
                              "headers": {"Link": {"schema": {"type": "string"},
                                                   "description": 'rel="next" and rel="prev" pages'}},
                              "content": {"application/json": {"schema": page},
                                          "text/csv": {"schema": {"type": "string"}},
                                          "application/sparql-results+json": {"schema": {"type": "object"}}}},
                      **ERRORS}}}


def _search_operation() -> dict[str, Any]:
    text = "Filter by this {what} IRI."
    params = [("q", "string", "Words to find in titles, questions and answers, French or Dutch; accents and "
                              "case do not matter; \"a phrase\", prefix*, -excluded."),
              ("legislature", "integer", "Legislature number, e.g. 5."), ("from", "date", "Asked on or after."),
              ("to", "date", "Asked on or before."), ("author", "iri", text.format(what="senator")),
              ("party", "iri", text.format(what="party")), ("office", "iri", text.format(what="minister's office")),
              ("concept", "iri", text.format(what="EuroVoc or local concept"))]
    parameters = [{"name": n, "in": "query", "required": False, "description": d, "schema": _schema(t, ())}
                  for n, t, d in params]
    parameters[1]["schema"] = {"type": "integer", "minimum": 0, "maximum": 9999}  # as search_index accepts
    parameters += [{"name": "limit", "in": "query", "required": False, "schema":
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                   {"name": "offset", "in": "query", "required": False,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000}}]
    return {"get": {"operationId": "search", "summary": "Full-text search over the questions", "tags": ["search"],
                    "parameters": parameters,
                    "responses": {"200": {"description": "Matching questions, best first (newest first without q).",
                                          "content": {"application/json": {"schema": {"type": "object"}}}},
                                  **ERRORS}}}


def openapi_document() -> dict[str, Any]:
    base = current_app.config["BASE_URI"]
    paths: dict[str, Any] = {"/api/queries": {"get": {
        "operationId": "list_queries", "summary": "The named queries and their parameters", "tags": ["named queries"],
        "responses": {"200": {"description": "The list", "content": {"application/json": {"schema":
                                                                                       {"type": "object"}}}}}}}}
    for query in queries():
        paths[f"/api/queries/{query.name}"] = _operation(query)
    paths["/api/search"] = _search_operation()
    return {
        "openapi": "3.1.0",
        "info": {"title": "senate-kg API",
                 "description": "Research queries over the written questions of the Belgian Senate (ELI, EuroVoc), "
                                "generated from the headers of queries/*.rq, and full-text search. The same data "
                                f"answers SPARQL at {base}sparql.",
                 "version": current_app.extensions.get("api_version", "1"),
                 "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}},
        "servers": [{"url": base.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": {
            "Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "parameter": {"type": "string"}, "reason": {"type": "string"}}},
            "Page": {"type": "object", "required": ["query", "columns", "rows", "limit", "offset"], "properties": {
                "query": {"type": "string"}, "title": {"type": "string"}, "parameters": {"type": "object"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "columns": {"type": "array", "items": {"type": "string"}}, "rows": {"type": "array"},
                "next": {"type": ["string", "null"]}, "prev": {"type": ["string", "null"]}}}}},
    }


@bp.get("/api")
@bp.get("/api/")
def viewer():
    """Browsers get the OpenAPI description in Swagger UI (vendored, under a strict CSP); programs get the
    description itself, so that `/api` is a useful URL for both."""
    if choose(request, (JSON, HTML), JSON) is HTML:
        page = render_template("api-viewer.html", spec=f"{request.script_root}/api/openapi.json")
        response = with_csp(Response(page, mimetype="text/html"))
    else:
        response = openapi()
        response.headers["Content-Location"] = f"{request.script_root}/api/openapi.json"
    response.vary.add("Accept")
    return response


@bp.get("/api/openapi.json")
def openapi():
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    """Load and check every queries/*.rq once, at start-up: a broken file stops the server here, not later."""
    from senate_kg import __version__
    from senate_kg.paths import QUERIES_DIR

    directory = app.config.get("NAMED_QUERIES_DIR") or QUERIES_DIR
    app.extensions["named_queries_dir"] = directory
    app.extensions["named_queries"] = load_named_queries(directory)
    app.extensions["api_version"] = __version__
    app.register_blueprint(bp)
