"""Serialising graphs and the HTTP caching and CORS rules, shared by every blueprint that serves RDF.

Why one module: every representation the server sends (a question in Turtle, the catalogue in RDF/XML, a
SPARQL result) must get the same validators (strong ETag, Last-Modified), the same 304 logic, the same
Vary/Content-Location/Link headers, CORS and compression. `init_app` configures compression and CORS once
for the whole app; blueprints call `conditional()`, `rdf_response()` / `finish()` and `serialise()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask_compress import Compress
from rdflib import Graph

from server.negotiation import HTML, JSONLD, RDF_FORMATS, RESOURCE_FORMATS, Format

SERVER_DIR = Path(__file__).resolve().parent
COMPRESSED_TYPES = (  # everything textual we send; flask-compress only looks at this list
    "text/html", "text/css", "text/plain", "text/csv", "text/tab-separated-values", "text/turtle",
    "application/ld+json", "application/json", "application/rdf+xml", "application/n-triples",
    "application/n-quads", "application/trig", "application/xml", "application/sparql-results+json",
    "application/sparql-results+xml", "application/problem+json", "application/vnd.oai.openapi+json",
    "image/svg+xml",
)
DEFAULT_MAX_AGE = 300  # seconds a cache may reuse a representation before revalidating (cheap: 304)
CORS_EXPOSED = "ETag, Last-Modified, Link, Content-Location, Content-Type, Retry-After"
CORS_ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since"
_CODING_SUFFIX = re.compile(r":(?:gzip|br|zstd|deflate)$")  # flask-compress appends ":gzip" to strong ETags
_ETAG_ITEM = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)|\s*(\*)\s*(?:,|$)')


@dataclass(frozen=True)
class Validators:
    """What makes a representation cacheable: an opaque tag for the data behind it and when that data changed."""

    tag: str  # opaque, without quotes; the format and the representation stamp are added by `entity_tag`
    modified: dt.datetime | None  # UTC


# ------------------------------------------------------------------ set-up
def init_app(app: Flask) -> None:
    """Compression and CORS for every response, configured here and nowhere else."""
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip", "br", "deflate"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed dumps are already gzip files
    app.config.setdefault("RESOURCE_MAX_AGE", DEFAULT_MAX_AGE)
    stamp, stamp_time = representation_stamp(app)
    app.extensions["representation_stamp"] = stamp
    app.extensions["representation_time"] = stamp_time
    app.after_request(_cors_after_request)
    app.extensions["compress"] = Compress(app)  # one per app: it keeps the app's settings


def representation_stamp(app: Flask) -> tuple[str, dt.datetime]:
    """A short hash of what shapes a representation besides the data (templates, CSS, JSON-LD context, the
    local vocabulary, the package version), and the newest of their modification times. It goes into every
    ETag and bounds Last-Modified, so that a deployment with new templates never answers 304 for a page it
    renders differently."""
    from senate_kg import __version__
    from senate_kg.paths import ONTOLOGY_DIR

    digest = hashlib.sha256(__version__.encode())
    newest = 0.0
    files = [p for folder in (SERVER_DIR / "templates", SERVER_DIR / "static") if folder.is_dir()
             for p in folder.rglob("*") if p.is_file()]
    files += sorted(ONTOLOGY_DIR.glob("*.jsonld")) + sorted(ONTOLOGY_DIR.glob("*.ttl"))
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    when = dt.datetime.fromtimestamp(int(newest), dt.UTC) if newest else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return digest.hexdigest()[:8], when


# ------------------------------------------------------------------ CORS
def cors(response: Response) -> Response:
    """Let any web page read our data (it is public): `Access-Control-Allow-Origin: *`, plus the headers a
    script needs to see for caching and negotiation."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    return response


def _cors_after_request(response: Response) -> Response:
    """CORS on GET, HEAD and preflight OPTIONS everywhere; other methods decide for themselves (call `cors`)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        cors(response)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


# ------------------------------------------------------------------ validators and 304
def entity_tag(validators: Validators, fmt: Format | None = None) -> str:
    """The strong ETag (without quotes) of one representation: data tag, format, representation stamp.
    Different formats of the same data must have different strong tags (RFC 9110 section 8.8.3)."""
    stamp = current_app.extensions.get("representation_stamp", "0")
    suffix = fmt.suffix if fmt else "x"
    return f"{validators.tag}-{suffix}-{stamp}"


def last_modified(validators: Validators) -> dt.datetime | None:
    """Last-Modified: the data's time, but never older than the templates and context that render it."""
    if validators.modified is None:
        return None
    floor = current_app.extensions.get("representation_time")
    return max(validators.modified, floor) if floor else validators.modified


def _if_none_match_tags(header: str) -> list[str]:
    """The entity tags of an If-None-Match header, without W/ and without a compression suffix."""
    tags = []
    for match in _ETAG_ITEM.finditer(header):
        tags.append("*" if match.group(3) else match.group(2))
    return tags


def matched_etag(req: Request, etag: str) -> str | None:
    """The If-None-Match entry that designates `etag` (weak comparison, as RFC 9110 13.1.2 asks for GET),
    echoed back in the 304 so the client keeps the tag it stored, compression suffix included."""
    header = req.headers.get("If-None-Match")
    if not header:
        return None
    for raw in _if_none_match_tags(header):
        if raw == "*" or _CODING_SUFFIX.sub("", raw) == etag:
            return etag if raw == "*" else raw
    return None


def is_not_modified(req: Request, etag: str, modified: dt.datetime | None) -> str | None:
    """None when the client's copy is stale; otherwise the tag to send with 304. If-None-Match, when present,
    decides alone (RFC 9110 13.2.2); If-Modified-Since is only read for GET and HEAD."""
    if "If-None-Match" in req.headers:
        return matched_etag(req, etag)
    since = req.if_modified_since
    if modified is not None and since is not None and req.method in ("GET", "HEAD") \
            and modified.replace(microsecond=0) <= since:
        return etag
    return None


def conditional(validators: Validators | None, fmt: Format | None, *, path: str | None = None,
                offers: tuple[Format, ...] = RESOURCE_FORMATS, max_age: int | None = None,
                vary: bool = True) -> Response | None:
    """A ready 304 response when the request's validators match, else None (then build the full response).
    Call it BEFORE running the query: a revalidation then costs one `graph_info` lookup."""
    if validators is None:
        return None
    etag = entity_tag(validators, fmt)
    modified = last_modified(validators)
    tag = is_not_modified(request, etag, modified)
    if tag is None:
        return None
    response = Response(status=304)
    finish(response, fmt, validators=validators, path=path, offers=offers, max_age=max_age, vary=vary)
    response.headers["ETag"] = f'"{tag}"'
    return response


# ------------------------------------------------------------------ response headers
def alternates_link(path: str, offers: Iterable[Format]) -> str:
    """`Link` header value: one rel="alternate" per format, as suffix URLs relative to the application."""
    root = request.script_root if request else ""
    return ", ".join(f'<{root}{path}.{o.suffix}>; rel="alternate"; type="{o.media_type}"' for o in offers)


def finish(response: Response, fmt: Format | None, *, validators: Validators | None = None,
           path: str | None = None, offers: tuple[Format, ...] = RESOURCE_FORMATS,
           max_age: int | None = None, vary: bool = True) -> Response:
    """Add the negotiation and caching headers to a response.

    `path` is the generic (suffix-less) path of a resource: it gives Content-Location (the suffix URL of the
    chosen format) and the Link alternates. `vary=False` for a suffix URL, whose answer does not depend on
    Accept (so shared caches need not keep one copy per Accept header)."""
    if path is not None:
        if vary:
            response.vary.add("Accept")
        if fmt is not None:
            response.headers["Content-Location"] = f"{request.script_root}{path}.{fmt.suffix}"
        response.headers["Link"] = alternates_link(path, offers)
    if validators is not None:
        response.set_etag(entity_tag(validators, fmt))
        modified = last_modified(validators)
        if modified is not None:
            response.last_modified = modified
    age = current_app.config.get("RESOURCE_MAX_AGE", DEFAULT_MAX_AGE) if max_age is None else max_age
    response.headers["Cache-Control"] = f"public, max-age={age}"
    return response


def rdf_response(body: bytes | str, fmt: Format, *, validators: Validators | None = None,
                 path: str | None = None, offers: tuple[Format, ...] = RESOURCE_FORMATS,
                 max_age: int | None = None, status: int = 200, vary: bool = True) -> Response:
    """A complete response for an already serialised body, with every header `finish` adds."""
    response = Response(body, status=status, mimetype=fmt.media_type)  # text/* get "; charset=utf-8"
    return finish(response, fmt, validators=validators, path=path, offers=offers, max_age=max_age, vary=vary)


def http_date(moment: dt.datetime) -> str:
    """An IMF-fixdate for headers written by hand (Flask's setters do this for the standard ones)."""
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


# ------------------------------------------------------------------ serialising
@dataclass(frozen=True)
class CompiledContext:
    """A JSON-LD @context (its JSON) with rdflib's processed form of it: reading the terms costs ~0.2 ms, so
    it is done once (`compile_context`), not per request."""

    data: dict[str, Any]
    context: Any  # rdflib.plugins.shared.jsonld.context.Context


def compile_context(context: dict[str, Any]) -> CompiledContext:
    from rdflib.plugins.shared.jsonld.context import Context

    return CompiledContext(context, Context(context))


def jsonld_object(graph: Any, context: dict[str, Any] | CompiledContext,
                  context_url: str | None = None) -> dict[str, Any]:
    """The graph (an rdflib Graph or a server.graphs.TripleGraph) as compacted JSON-LD: terms and prefixes from
    the project's @context, given as its JSON or compiled once by `compile_context`. The output refers to the
    published context by URL (clients cache it) when `context_url` is given, else embeds it."""
    from rdflib.plugins.serializers.jsonld import Converter, from_rdf

    if isinstance(context, CompiledContext):  # what from_rdf does, with the context read once
        processed = context.context
        obj = Converter(processed, use_native_types=False, use_rdf_type=False).convert(graph)
        if processed.active:
            if isinstance(obj, list):
                obj = {processed.graph_key: obj}
            obj["@context"] = context.data
    else:
        obj = from_rdf(graph, context_data=context)
    if not isinstance(obj, dict):
        obj = {"@graph": obj}
    if isinstance(obj.get("@graph"), list):  # nodes by IRI: stable, readable output
        obj["@graph"].sort(key=lambda node: str(node.get("id", node.get("@id", ""))) if isinstance(node, dict) else "")
    if context_url:
        obj["@context"] = context_url
    return obj


def serialise(graph: Graph, fmt: Format, *, context: dict[str, Any] | None = None,
              context_url: str | None = None) -> bytes:
    """Serialise an rdflib graph (for graphs built in Python: catalogue, VoID; the store serialises its own
    query results faster). JSON-LD is compacted with `context` when given."""
    if fmt is JSONLD:
        obj = jsonld_object(graph, context or {}, context_url) if context else \
            json.loads(graph.serialize(format="json-ld", auto_compact=True))
        return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    if fmt is HTML or fmt not in RDF_FORMATS:
        raise ValueError(f"cannot serialise a graph as {fmt.media_type}: use one of "
                         f"{', '.join(f.media_type for f in RDF_FORMATS)}")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
