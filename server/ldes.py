"""The event stream `{base}ldes` over HTTP: its description, its pages and each version of a question, read from
the files publishing wrote (senate_kg/stream.py); this module writes nothing and never asks the store.

Why files and not the store: a stateless server tier serves them from shared storage (`STREAM_DIR`, default
`<STORE_PATH>.ldes`), and they outlive the service (DESIGN.md). Caching follows from the stream's shape: every
page but the newest never changes again, so it is sent `immutable` for a year with a strong ETag; the newest
page and the description are short-lived (STREAM_MAX_AGE). Formats by content negotiation (or a suffix): TriG
(the default) and N-Quads carry each member's graph; JSON-LD too (named graphs, compacted with the project's
context); Turtle and N-Triples cannot name graphs, so they carry the page's own triples (the stream, the
members' metadata, the relations) and each member's IRI dereferences to its content.
Converted pages are kept per worker (PAGE_CACHE entries), keyed by the page's etag: exact, as a page file is
only ever replaced whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request

from senate_kg.paths import stream_dir_for
from server.negotiation import HTML, JSONLD, NTRIPLES, RDF_FORMATS, TURTLE, Format, choose
from server.representations import Validators, conditional, finish, jsonld_object
from store import convert_rdf

bp = Blueprint("ldes", __name__)

TRIG = Format("application/trig", "trig", "trig", "TriG")
NQUADS = Format("application/n-quads", "nq", "nquads", "N-Quads")
STREAM_FORMATS: tuple[Format, ...] = (TRIG, NQUADS, JSONLD, TURTLE, NTRIPLES)
BY_SUFFIX = {f.suffix: f for f in STREAM_FORMATS}
IMMUTABLE = "public, max-age=31536000, immutable"
STREAM_MAX_AGE = 60  # seconds: the newest page and the description change with the next build
PAGE_CACHE = 32  # converted pages kept per worker (a page is ~1.3 MB as N-Quads)
STAGE_LABELS = {  # the newest step of a question's chronology a version holds: (fr, nl, en)
    "SUB": ("posée", "gesteld", "asked"), "RMD": ("rappel", "herinnering", "reminder"),
    "ASW": ("réponse", "antwoord", "answered"), "CLO": ("clôturée", "gesloten", "closed"),
    "delete": ("retirée", "verwijderd", "removed"),
}


@dataclass(frozen=True)
class Version:
    """One member of the stream, as a page about its question shows it."""

    iri: str
    question: str
    number: int
    at: dt.datetime
    content_hash: str | None
    kind: str  # create, update, delete
    stage: str | None
    page: int

    @property
    def labels(self) -> tuple[str, str, str]:
        key = "delete" if self.kind == "delete" else (self.stage or "SUB")
        return STAGE_LABELS[key]


@dataclass(frozen=True)
class Page:
    number: int
    members: int
    etag: str
    newest: bool
    modified: dt.datetime | None


# ------------------------------------------------------------------ reading what publishing wrote
def stream_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("STREAM_DIR")
    return Path(configured) if configured else stream_dir_for(Path(app.config["STORE_PATH"]))


def _index() -> sqlite3.Connection | None:
    """The stream's index, read-only; None before the first publication. Opened per call (~0.1 ms): the file is
    replaced whole by each publication, so a connection kept open would go on reading the old one."""
    path = stream_dir() / "stream.sqlite"
    if not path.is_file():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class _VersionCache:
    """`versions_of` per question, for one publication of the index: every question request asks (for its
    `dcterms:hasVersion` links and whether it was removed), and opening the index costs ~0.1 ms. A new index
    (publishing replaces the file whole) is seen by its file's identity, looked at most once a second."""

    LIMIT = 200_000  # questions remembered per publication (~300 bytes each)

    def __init__(self) -> None:
        self.identity: tuple[int, int, int] | None = None
        self.checked = 0.0
        self.found: dict[str, list[Version]] = {}
        self.lock = threading.Lock()

    def get(self, question: str) -> list[Version]:
        now = time.monotonic()
        if now - self.checked > 1.0:
            with self.lock:
                self.checked = now
                try:
                    stat = (stream_dir() / "stream.sqlite").stat()
                    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
                except OSError:
                    identity = None
                if identity != self.identity:
                    self.identity, self.found = identity, {}
        found = self.found
        if question not in found:
            versions = _read_versions(question)
            if len(found) >= self.LIMIT:
                return versions
            found[question] = versions
        return found[question]


def versions_of(question: str) -> list[Version]:
    """Every member about `question`, oldest first ([] when the stream does not know it)."""
    return current_app.extensions["stream_versions"].get(question)


def _read_versions(question: str) -> list[Version]:
    db = _index()
    if db is None:
        return []
    with db:
        rows = db.execute("SELECT iri, question, version, at, hash, kind, stage, page FROM members "
                          "WHERE question = ? ORDER BY version", (question,)).fetchall()
    db.close()
    return [Version(r[0], r[1], r[2], _parse_time(r[3]), r[4], r[5], r[6], r[7]) for r in rows]


def removal(question: str) -> tuple[Version, list[Version]] | None:
    """(the deletion, every version) when the question's last member says it was removed."""
    versions = versions_of(question)
    return (versions[-1], versions) if versions and versions[-1].kind == "delete" else None


def page_info(number: int) -> Page | None:
    db = _index()
    if db is None:
        return None
    with db:
        row = db.execute("SELECT number, members, etag, (SELECT MAX(number) FROM pages) FROM pages "
                         "WHERE number = ?", (number,)).fetchone()
        last = db.execute("SELECT MAX(at) FROM members WHERE page = ?", (number,)).fetchone()
    db.close()
    if row is None:
        return None
    return Page(row[0], row[1], row[2], row[0] == row[3], _parse_time(last[0]) if last and last[0] else None)


def _page_bytes(number: int) -> tuple[bytes, bytes]:
    """(the page's own triples, its members' graphs) as publishing wrote them."""
    folder = stream_dir()
    meta = (folder / f"page-{number:06d}.meta.nt").read_bytes()
    members = (folder / f"page-{number:06d}.members.nq").read_bytes()
    return meta, members


# ------------------------------------------------------------------ serialising
def render(meta: bytes, members: bytes, fmt: Format) -> bytes:
    """A page (or the description, with no members) in `fmt`: N-Quads as written, the rest converted by the
    store's serialiser (pyoxigraph), JSON-LD by rdflib with the project's context."""
    prefixes = current_app.extensions["ldes_prefixes"]
    if fmt is NQUADS:
        return meta + members
    if fmt is NTRIPLES:
        return meta
    if fmt is TURTLE:
        return convert_rdf(meta, NTRIPLES.media_type, TURTLE.media_type, prefixes)
    if fmt is TRIG:
        return convert_rdf(meta + members, NQUADS.media_type, TRIG.media_type, prefixes)
    return _jsonld(meta + members)


def _jsonld(nquads: bytes) -> bytes:
    from rdflib import Dataset

    from server.resources import context_url

    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    obj = jsonld_object(dataset, current_app.extensions["jsonld_compiled_context"], context_url())
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


@functools.lru_cache(maxsize=PAGE_CACHE)
def _cached_page(folder: str, number: int, etag: str, suffix: str) -> bytes:
    """A page in one format, converted once per worker (the etag in the key: a rewritten page is a new entry)."""
    meta, members = _page_bytes(number)
    return render(meta, members, BY_SUFFIX[suffix])


def _negotiate(suffix: str | None, offers: tuple[Format, ...], default: Format) -> tuple[Format, bool] | None:
    """(format, negotiated) from a suffix URL or the Accept header; None for an unknown suffix."""
    if suffix is None:
        return choose(request, offers, default), True
    fmt = {f.suffix: f for f in offers}.get(suffix)
    return (fmt, False) if fmt else None


def _not_found(reason: str) -> Response:
    response = Response(f"404 Not Found: {request.path}\n{reason}\n", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={STREAM_MAX_AGE}"
    return response


def _send(body: bytes, fmt: Format, validators: Validators, path: str, negotiated: bool, offers: tuple[Format, ...],
          immutable: bool) -> Response:
    response = Response(body, mimetype=fmt.media_type)
    finish(response, fmt, validators=validators, path=path, offers=offers, max_age=STREAM_MAX_AGE,
           vary=negotiated)
    if immutable:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def _revalidated(validators: Validators, fmt: Format, path: str, negotiated: bool, offers: tuple[Format, ...],
                 immutable: bool) -> Response | None:
    cached = conditional(validators, fmt, path=path, offers=offers, max_age=STREAM_MAX_AGE, vary=negotiated)
    if cached is not None and immutable:
        cached.headers["Cache-Control"] = IMMUTABLE
    return cached


# ------------------------------------------------------------------ views
@bp.get("/ldes")
@bp.get("/ldes.<suffix>")
def stream(suffix: str | None = None) -> Response:
    """The stream's description: its paths, retention policy and view."""
    return _small_document("stream.nt", "/ldes", suffix)


@bp.get("/ldes/view")
@bp.get("/ldes/view.<suffix>")
def view(suffix: str | None = None) -> Response:
    """The view: a relation to every page; short-lived, as each build that adds members rewrites it."""
    return _small_document("view.nt", "/ldes/view", suffix)


def _small_document(name: str, path: str, suffix: str | None) -> Response:
    chosen = _negotiate(suffix, STREAM_FORMATS, TRIG)
    document = stream_dir() / name
    if chosen is None or not document.is_file():
        return _not_found("no event stream has been published here yet" if chosen else "unknown format suffix")
    fmt, negotiated = chosen
    meta = document.read_bytes()
    validators = Validators(hashlib.sha256(meta).hexdigest()[:16],
                            dt.datetime.fromtimestamp(int(document.stat().st_mtime), dt.UTC))
    cached = _revalidated(validators, fmt, path, negotiated, STREAM_FORMATS, False)
    return cached or _send(render(meta, b"", fmt), fmt, validators, path, negotiated, STREAM_FORMATS, False)


@bp.get("/ldes/page/<int:number>")
@bp.get("/ldes/page/<int:number>.<suffix>")
def page(number: int, suffix: str | None = None) -> Response:
    """One page: immutable unless it is the newest."""
    chosen = _negotiate(suffix, STREAM_FORMATS, TRIG)
    info = page_info(number) if chosen else None
    if chosen is None or info is None:
        return _not_found("unknown format suffix" if chosen is None else f"the stream has no page {number}")
    fmt, negotiated = chosen
    path = f"/ldes/page/{number}"
    validators = Validators(info.etag, info.modified)
    immutable = not info.newest
    cached = _revalidated(validators, fmt, path, negotiated, STREAM_FORMATS, immutable)
    if cached:
        return cached
    body = _cached_page(str(stream_dir()), number, info.etag, fmt.suffix)
    return _send(body, fmt, validators, path, negotiated, STREAM_FORMATS, immutable)


@bp.get("/eli/dl/doc/WQ-<qid>/version/<int:number>")
@bp.get("/eli/dl/doc/WQ-<qid>/version/<int:number>.<suffix>")
def version(qid: str, number: int, suffix: str | None = None) -> Response:
    """One version of a question: its graph at that version and its metadata, as triples (immutable)."""
    chosen = _negotiate(suffix, RDF_FORMATS, TURTLE)
    base = current_app.extensions["iris"].base
    question = f"{base}eli/dl/doc/WQ-{qid}"
    found = next((v for v in versions_of(question) if v.number == number), None)
    info = page_info(found.page) if found else None
    if chosen is None or found is None or info is None:
        return _not_found("unknown format suffix" if chosen is None else f"question {qid} has no version {number}")
    fmt, negotiated = chosen
    path = f"/eli/dl/doc/WQ-{qid}/version/{number}"
    validators = Validators(f"{found.content_hash or 'deleted'}-{number}", found.at)
    cached = _revalidated(validators, fmt, path, negotiated, RDF_FORMATS, True)
    if cached:
        return cached
    body = version_ntriples(found)
    if fmt is not NTRIPLES:
        body = _triples_as(body, fmt)
    return _send(body, fmt, validators, path, negotiated, RDF_FORMATS, True)


def version_ntriples(found: Version) -> bytes:
    """The member's graph (its page's quads named by the version) and what the page says of the version."""
    meta, members = _page_bytes(found.page)
    graph = f" <{found.iri}> .".encode()
    subject = f"<{found.iri}> ".encode()
    content = [line[:-len(graph)] + b" ." for line in members.splitlines() if line.endswith(graph)]
    about = [line for line in meta.splitlines() if line.startswith(subject)]
    return b"\n".join(about + content) + b"\n"


def _triples_as(ntriples: bytes, fmt: Format) -> bytes:
    if fmt is JSONLD:
        from rdflib import Graph

        from server.resources import serialise_jsonld

        return serialise_jsonld(Graph().parse(data=ntriples, format="nt"))
    return convert_rdf(ntriples, NTRIPLES.media_type, fmt.media_type, current_app.extensions["ldes_prefixes"])


# ------------------------------------------------------------------ for the question's representations
def version_links(question: str) -> bytes:
    """`<question> dcterms:hasVersion <version>` for each version, as N-Triples (added to the question's RDF)."""
    return "".join(f"<{question}> <http://purl.org/dc/terms/hasVersion> <{v.iri}> .\n"
                   for v in versions_of(question)).encode("utf-8")


def gone(question: str, path: str, fixed: Format | None) -> Response | None:
    """410 Gone for a question the stream says was removed: what happened and when, in RDF or HTML."""
    found = removal(question)
    if found is None:
        return None
    deletion, versions = found
    fmt = fixed or choose(request, (TURTLE, JSONLD, NTRIPLES, HTML), TURTLE)
    if fmt is HTML:
        body = render_template("gone.html", question=question, deletion=deletion, versions=versions,
                               href=_href).encode("utf-8")
    else:
        body = _triples_as(gone_ntriples(question, deletion, versions), fmt) if fmt is not NTRIPLES \
            else gone_ntriples(question, deletion, versions)
    response = Response(body, status=410, mimetype=fmt.media_type)
    if fixed is None:
        response.vary.add("Accept")
    response.headers["Cache-Control"] = f"public, max-age={STREAM_MAX_AGE}"
    return response


def gone_ntriples(question: str, deletion: Version, versions: list[Version]) -> bytes:
    when = deletion.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"<{question}> <http://purl.org/dc/terms/hasVersion> <{v.iri}> ." for v in versions]
    lines += [f"<{deletion.iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
              f"<https://www.w3.org/ns/activitystreams#Delete> .",
              f"<{deletion.iri}> <http://purl.org/dc/terms/isVersionOf> <{question}> .",
              f"<{deletion.iri}> <http://www.w3.org/ns/prov#generatedAtTime> "
              f"\"{when}\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .",
              f"<{question}> <http://www.w3.org/2000/01/rdf-schema#comment> \"This question was removed from the "
              f"dataset on {when}; its earlier versions stay in the event stream.\"@en ."]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _href(iri: str) -> str:
    """A link to one of our IRIs, relative to this application."""
    base = current_app.extensions["iris"].base
    return request.script_root + "/" + iri[len(base):] if iri.startswith(base) else iri


def question_versions(iri: str) -> list[Version]:
    """For templates: the versions of a question, oldest first."""
    return versions_of(iri)


def init_app(app: Flask) -> None:
    from mapping.rdf import jsonld_context

    context = jsonld_context(app.extensions["iris"])["@context"]
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and not k.startswith("@")
                and v.endswith(("/", "#"))}
    prefixes.update({"ldes": "https://w3id.org/ldes#", "tree": "https://w3id.org/tree#",
                     "as": "https://www.w3.org/ns/activitystreams#"})
    app.extensions["ldes_prefixes"] = prefixes
    app.extensions["stream_versions"] = _VersionCache()
    app.jinja_env.globals.update(question_versions=question_versions, ldes_href=_href)
    app.register_blueprint(bp)

