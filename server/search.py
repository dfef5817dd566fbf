"""Full-text search: `/search` (the HTML results page behind the home page's search box) and `/api/search` (JSON).

Both read the SQLite FTS5 index that `senate-kg build` / `push` writes next to the store
(store/search_index.py), so a search costs no SPARQL query and works the same on both backends. Paging is
`limit`/`offset` with `Link` rel=next/prev; a bad filter value is a 400 naming the parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from senate_kg.publish import search_index_for
from store.search_index import IndexUnavailable, SearchError, SearchIndex, SearchResult, parse_search_query

bp = Blueprint("search", __name__)

HTML_PAGE_SIZE = 20


def search_index(app: Flask | None = None) -> SearchIndex:
    app = app or current_app
    configured = app.config.get("SEARCH_INDEX")
    return SearchIndex(Path(configured) if configured else search_index_for(Path(app.config["STORE_PATH"])))


def _single_args() -> dict[str, str]:
    values: dict[str, str] = {}
    for name, items in request.args.lists():
        if len(items) > 1:
            raise SearchError(name, f"given {len(items)} times; give it once")
        values[name] = items[0]
    return values


def _page_links(args: dict[str, str], result: SearchResult, path: str) -> dict[str, str]:
    query = result.query
    kept = {k: v for k, v in args.items() if k not in ("offset", "limit") and v}

    def url(offset: int) -> str:
        params = {**kept, "limit": str(query.limit), **({"offset": str(offset)} if offset else {})}
        return f"{request.host_url.rstrip('/')}{request.script_root}{path}?{urlencode(params)}"

    links = {}
    if query.offset + len(result.hits) < result.total:
        links["next"] = url(query.offset + query.limit)
    if query.offset:
        links["prev"] = url(max(0, query.offset - query.limit))
    return links


def _link_header(response: Response, links: dict[str, str]) -> None:
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())


def _problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _hit_json(hit) -> dict[str, Any]:
    data = {key: getattr(hit, key) for key in ("iri", "identifier", "legislature", "date", "title_fr", "title_nl",
                                               "author", "author_name", "party", "party_label", "office",
                                               "office_fr", "office_nl", "status", "answer_date", "snippet_html")}
    data["score"] = round(hit.score, 4) if hit.score is not None else None
    return data


@bp.get("/api/search")
def api_search():
    try:
        args = _single_args()
        result = search_index().search(parse_search_query(args))
    except SearchError as exc:
        return _problem(400, "bad parameter", str(exc), parameter=exc.field, reason=exc.reason)
    except IndexUnavailable as exc:
        response = _problem(503, "search unavailable", str(exc))
        response.headers["Retry-After"] = "60"
        return response
    links = _page_links(args, result, "/api/search")
    q = result.query
    response = jsonify({"q": q.text, "total": result.total, "total_exact": result.total_exact,
                        "order": "relevance" if result.ranked and q.text else "newest", "limit": q.limit,
                        "offset": q.offset,
                        "hits": [_hit_json(h) for h in result.hits], "next": links.get("next"),
                        "prev": links.get("prev"), "elapsed_ms": round(result.elapsed_ms, 2)})
    _link_header(response, links)
    return response


@bp.get("/search")
def search_page():
    """The results page: the form (pre-filled), the hits with highlighted snippets, the filters, paging."""
    index = search_index()
    args: dict[str, str] = {}
    error = None
    result = None
    try:
        args = _single_args()
        query = parse_search_query(args, default_limit=HTML_PAGE_SIZE)
        if query.text or any(v for k, v in args.items() if k not in ("q", "limit", "offset", "page")):
            result = index.search(query)
    except SearchError as exc:
        error = str(exc)
    except IndexUnavailable as exc:
        return Response(render_template("search.html", args=args, result=None, error=str(exc), facets={},
                                        links={}, concept_label=None), status=503, mimetype="text/html")
    try:
        facets = index.facets()
        concept_label = index.concept_label(args["concept"]) if args.get("concept") else None
    except IndexUnavailable:
        facets, concept_label = {}, None
    links = _page_links(args, result, "/search") if result else {}
    response = Response(render_template("search.html", args=args, result=result, error=error, facets=facets,
                                        links=links, concept_label=concept_label),
                        status=400 if error else 200, mimetype="text/html")
    _link_header(response, links)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
