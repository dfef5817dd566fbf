"""The Linked Data Event Stream `{base}ldes` (LDES 1.0): every published version of every question, as files.

Why here, in publishing, and not in the store: the stream must outlive the service and be served by a stateless
tier from shared storage, like the dumps; and it is derived from what the store holds, compared with what the
stream last said. After each build (senate_kg/publish.py calls `update_stream`), every question graph's etag
(`Store.graph_info`, the hash the HTTP ETag is made of) is compared with the hash of the question's last member:
- a question whose graph is new or whose etag changed gets a new member, a version IRI `{question}/version/{n}`
  holding the question's own graph at that version (named graph = the version IRI), `dcterms:isVersionOf`,
  `prov:generatedAtTime` (the publication's time: when the change was seen) and `skg:contentHash` (the etag);
- a question that was published and is no longer a read question (`senate-kg remove`) gets a deletion member
  (`rdf:type as:Delete`, the stream's `ldes:versionDeleteObject`), with no content;
- an unchanged question adds nothing, so an unchanged rebuild writes nothing at all.
Why the question's own graph and not its served description (with the labels of what it links to): the member
is then exactly the graph the store holds and a replica can store it as such; a renamed party is a change of
the party's graph, not a new version of each of its thousands of questions; and the graphs come from the
N-Quads dump publishing writes anyway (one pass over a file, no query per question).

Layout, next to the store `DIR`, in `DIR.ldes/` (`senate_kg.paths.stream_dir_for`), written only here:
- `page-NNNNNN.members.nq`: the members' graphs of page N (N-Quads, graph = version IRI);
- `page-NNNNNN.meta.nt`: the page's own triples (the stream, `tree:member`s, each member's metadata, the
  `tree:relation` to the next page once there is one);
- `stream.nt`: the stream's description (`{base}ldes`);
- `stream.sqlite`: the index the server reads (members per question and page, pages and their etags).
- `view.nt`: the view `{base}ldes/view`, with a relation to every page (see `view_triples` for why);
Pages are in chronological order (page 1 the oldest); a page holds at most PAGE_SIZE members. Only the
newest page changes (members appended, then its relation to the next page once it is full): every other page is
immutable. Each file is written under a temporary name and moved into place; the index last (a copy of the old
one, changed and moved over it), so a reader sees the old stream or the new one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from mapping.iris import Iris
from senate_kg.paths import stream_dir_for
from store import Store

PAGE_SIZE = 100  # members per page: ~100 triples each, so a page is ~1.3 MB of N-Quads (~100 KB gzipped), one
#                  request a client parses in well under a second; 100,000 questions make 1,000 pages
INDEX = "stream.sqlite"
DESCRIPTION = "stream.nt"
VIEW = "view.nt"
SCHEMA = """
CREATE TABLE IF NOT EXISTS members (seq INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, question TEXT NOT NULL,
    version INTEGER NOT NULL, at TEXT NOT NULL, hash TEXT, kind TEXT NOT NULL, stage TEXT, page INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS members_by_question ON members (question, version);
CREATE INDEX IF NOT EXISTS members_by_page ON members (page, seq);
CREATE TABLE IF NOT EXISTS pages (number INTEGER PRIMARY KEY, members INTEGER NOT NULL, first_at TEXT,
    etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
STAGES = ("CLO", "ASW", "RMD", "SUB")  # closed, answered, reminder, asked: the newest activity a version holds

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
PROV_AT = "http://www.w3.org/ns/prov#generatedAtTime"
IS_VERSION_OF = "http://purl.org/dc/terms/isVersionOf"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
KIND_TYPES = {"create": AS + "Create", "update": AS + "Update", "delete": AS + "Delete"}


@dataclass(frozen=True)
class StreamIris:
    """Every IRI of the stream, minted from the base in one place (the server uses the same)."""

    base: str

    @property
    def stream(self) -> str:
        return self.base + "ldes"

    def page(self, number: int) -> str:
        return f"{self.base}ldes/page/{number}"

    @property
    def view(self) -> str:
        return self.base + "ldes/view"

    @property
    def retention(self) -> str:
        return self.base + "ldes#retention"

    @staticmethod
    def version(question: str, number: int) -> str:
        return f"{question}/version/{number}"


@dataclass(frozen=True)
class Member:
    """One member as the index holds it; `page` is where its triples are."""

    iri: str
    question: str
    version: int
    at: str  # ISO datetime, UTC, seconds
    hash: str | None  # the question graph's etag; None for a deletion
    kind: str  # create, update, delete
    stage: str | None  # SUB, RMD, ASW, CLO: the newest step of the question's chronology in this version
    page: int


@dataclass
class StreamReport:
    members: int = 0  # added by this publication
    deleted: int = 0
    pages_written: list[int] = field(default_factory=list)


def page_files(folder: Path, number: int) -> tuple[Path, Path]:
    """(members N-Quads, page triples N-Triples) of page `number`."""
    return folder / f"page-{number:06d}.members.nq", folder / f"page-{number:06d}.meta.nt"


def is_published(store_dir: Path) -> bool:
    return (stream_dir_for(store_dir) / INDEX).is_file()


# ---------------------------------------------------------------- what changed
def current_questions(store: Store, iris: Iris, question_iris: Iterable[str]) -> dict[str, str]:
    """The read questions (their own graph says so) with their graph's etag."""
    return {iri: info.etag for iri, info in store.graph_infos(list(question_iris)).items()}


def last_members(db: sqlite3.Connection) -> dict[str, tuple[int, str | None, str]]:
    """Per question: (its last version number, that version's hash, its kind)."""
    rows = db.execute("SELECT question, version, hash, kind FROM members m WHERE version = "
                      "(SELECT MAX(version) FROM members WHERE question = m.question)")
    return {question: (version, digest, kind) for question, version, digest, kind in rows}


def changes(current: dict[str, str], last: dict[str, tuple[int, str | None, str]]) -> tuple[list[str], list[str]]:
    """(questions to publish a version of, questions to announce as deleted), each sorted."""
    changed = sorted(q for q, etag in current.items() if q not in last or last[q][2] == "delete"
                     or last[q][1] != etag)
    removed = sorted(q for q, (_, _, kind) in last.items() if kind != "delete" and q not in current)
    return changed, removed


# ---------------------------------------------------------------- reading the dump
def _graph_of(line: bytes) -> tuple[str, int] | None:
    """The graph IRI of an N-Quads line and where its term starts; None for the default graph (as far as the
    store's dump goes: its default graph holds no triple whose object is a question)."""
    end = line.rstrip()
    if not end.endswith(b"> ."):
        return None
    start = end.rfind(b" <", 0, len(end) - 3)
    if start < 0:
        return None
    return end[start + 2:-3].decode("utf-8"), start


def graphs_from_dump(nquads: Path, wanted: set[str]) -> dict[str, list[bytes]]:
    """The N-Triples lines of each wanted graph, read in one pass over the dump publishing wrote."""
    found: dict[str, list[bytes]] = {}
    with nquads.open("rb") as lines:
        for line in lines:
            graph = _graph_of(line)
            if graph is not None and graph[0] in wanted:
                found.setdefault(graph[0], []).append(line[:graph[1]] + b" .\n")
    return found


def stage_of(lines: list[bytes], iris: Iris) -> str | None:
    """The newest step of the chronology the graph holds (its activities' types)."""
    body = b"".join(lines)
    for code in STAGES:
        if f"<{iris.vocab(f'activity-type/{code}')}>".encode() in body:
            return code
    return None


# ---------------------------------------------------------------- writing
def update_stream(store: Store, store_dir: Path, iris: Iris, nquads: Path, question_iris: Iterable[str],
                  now: str) -> StreamReport:
    """Append a member for every question that changed or disappeared since the stream's last member of it;
    write the pages that changed, then the index. `nquads`: the dump of the store being published."""
    folder = stream_dir_for(store_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ids = StreamIris(iris.base)
    report = StreamReport()
    index = folder / INDEX
    draft = Path(tempfile.mkstemp(dir=folder, prefix=".stream.", suffix=".sqlite")[1])
    try:
        if index.is_file():
            shutil.copyfile(index, draft)
        with _connect(draft) as db:
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO info VALUES ('base', ?)", (iris.base,))
            last = last_members(db)
            current = current_questions(store, iris, question_iris)
            changed, removed = changes(current, last)
            if not index.is_file() or not (folder / DESCRIPTION).is_file():
                _write_atomic(folder / DESCRIPTION, _lines(stream_triples(ids)))
            if changed or removed:
                at = max(now, db.execute("SELECT COALESCE(MAX(at), '') FROM members").fetchone()[0])
                bodies = graphs_from_dump(nquads, set(changed))
                new = [_member(q, last, current[q], bodies.get(q, []), at, iris) for q in changed]
                new += [Member(StreamIris.version(q, last[q][0] + 1), q, last[q][0] + 1, at, None, "delete", None, 0)
                        for q in removed]
                report.members, report.deleted = len(new), len(removed)
                report.pages_written = append_members(db, folder, ids, new, bodies)
            if report.members or not (folder / VIEW).is_file():
                _write_atomic(folder / VIEW, view_triples(ids, db))
            db.commit()
        if not index.is_file() or report.members:
            os.chmod(draft, 0o644)
            os.replace(draft, index)
    finally:
        draft.unlink(missing_ok=True)
    return report


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level="DEFERRED")
    db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file: it is moved into place whole
    return db


def _member(question: str, last: dict[str, tuple[int, str | None, str]], etag: str, lines: list[bytes],
            at: str, iris: Iris) -> Member:
    previous = last.get(question)
    number = previous[0] + 1 if previous else 1
    kind = "create" if previous is None or previous[2] == "delete" else "update"
    return Member(StreamIris.version(question, number), question, number, at, etag, kind, stage_of(lines, iris), 0)


def append_members(db: sqlite3.Connection, folder: Path, ids: StreamIris, new: list[Member],
                   bodies: dict[str, list[bytes]]) -> list[int]:
    """Fill the newest page up to PAGE_SIZE, then open new pages; rewrite the pages that changed (the newest
    one, the new ones, and the one before them for its relation). Returns the page numbers written."""
    row = db.execute("SELECT number, members FROM pages ORDER BY number DESC LIMIT 1").fetchone()
    number, count = row if row else (1, 0)
    touched = {number}
    placed: list[Member] = []
    for member in new:
        if count >= PAGE_SIZE:
            number, count = number + 1, 0
            touched.add(number)
        placed.append(replace(member, page=number))
        count += 1
    start = db.execute("SELECT COALESCE(MAX(seq), 0) FROM members").fetchone()[0]
    db.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(start + i + 1, m.iri, m.question, m.version, m.at, m.hash, m.kind, m.stage, m.page)
                    for i, m in enumerate(placed)])
    newest = number
    fresh = {m.iri: bodies.get(m.question, []) for m in placed}
    for page in sorted(touched):
        write_page(db, folder, ids, page, newest, fresh)
    return sorted(touched)


def page_members(db: sqlite3.Connection, page: int) -> list[Member]:
    rows = db.execute("SELECT iri, question, version, at, hash, kind, stage, page FROM members WHERE page = ? "
                      "ORDER BY seq", (page,))
    return [Member(*row) for row in rows]


def write_page(db: sqlite3.Connection, folder: Path, ids: StreamIris, page: int, newest: int,
               fresh: dict[str, list[bytes]]) -> None:
    """Page `page` from the index: the members' graphs (kept from its file, or just read from the dump), then
    the page's own triples; its etag into the index."""
    members = page_members(db, page)
    members_file, meta_file = page_files(folder, page)
    kept = _kept_graphs(members_file, {m.iri for m in members if m.iri not in fresh})
    body = bytearray()
    for member in members:
        lines = fresh.get(member.iri)
        if lines is None:
            body += kept.get(member.iri, b"")
        else:
            graph = f" <{member.iri}> .\n".encode()
            body += b"".join(line[:-3] + graph for line in lines)
    next_first = None
    if page < newest:
        next_first = db.execute("SELECT MIN(at) FROM members WHERE page = ?", (page + 1,)).fetchone()[0]
    meta = page_triples(ids, page, members, next_first)
    _write_atomic(members_file, bytes(body))
    _write_atomic(meta_file, meta)
    etag = hashlib.sha256(meta + bytes(body)).hexdigest()[:32]
    db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
               (page, len(members), members[0].at if members else None, etag))


def _kept_graphs(members_file: Path, wanted: set[str]) -> dict[str, bytes]:
    """The graphs of `wanted` members from an existing page file (a member the index does not list, left by a
    publication that died before its index was in place, is dropped)."""
    kept: dict[str, bytearray] = {}
    if not wanted or not members_file.is_file():
        return {}
    with members_file.open("rb") as lines:
        for line in lines:
            graph = _graph_of(line)
            if graph is not None and graph[0] in wanted:
                kept.setdefault(graph[0], bytearray()).extend(line)
    return {iri: bytes(data) for iri, data in kept.items()}


# ---------------------------------------------------------------- triples
def _iri(value: str) -> str:
    return f"<{value}>"


def _literal(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    suffix = f"^^<{datatype}>" if datatype else (f"@{lang}" if lang else "")
    return f'"{escaped}"{suffix}'


def _lines(triples: Iterable[tuple[str, str, str]]) -> bytes:
    return "".join(dict.fromkeys(f"{s} {p} {o} .\n" for s, p, o in triples)).encode("utf-8")


def stream_triples(ids: StreamIris) -> Iterator[tuple[str, str, str]]:
    """What `{base}ldes` says of itself: the paths a client needs to read versions and deletions, the
    retention policy, and its view."""
    stream = _iri(ids.stream)
    yield stream, _iri(RDF_TYPE), _iri(LDES + "EventStream")
    yield stream, _iri(LDES + "timestampPath"), _iri(PROV_AT)
    yield stream, _iri(LDES + "versionOfPath"), _iri(IS_VERSION_OF)
    yield stream, _iri(LDES + "versionDeletePath"), _iri(RDF_TYPE)
    yield stream, _iri(LDES + "versionDeleteObject"), _iri(KIND_TYPES["delete"])
    yield stream, _iri(LDES + "retentionPolicy"), _iri(ids.retention)
    yield _iri(ids.retention), _iri(RDFS_COMMENT), _literal(
        "Every member is kept, forever: the stream holds the complete history of every question, deletions "
        "included; no page is ever removed.", lang="en")
    yield stream, _iri(TREE + "view"), _iri(ids.view)


def view_triples(ids: StreamIris, db: sqlite3.Connection) -> bytes:
    """The view `{base}ldes/view`: one relation to every page, each saying that its members are at least as
    recent as its first one. Why every page from one short-lived node rather than a chain from the oldest
    page: a client that resumes from its saved state skips the pages it knows to be immutable, and so would
    never read the relation at the end of the chain; from the view it reaches the newest page and the new
    ones directly (ldes-client 0.3 does exactly that)."""
    view = _iri(ids.view)
    triples = [*stream_triples(ids), (view, _iri(RDF_TYPE), _iri(TREE + "Node"))]
    for number, first_at in db.execute("SELECT number, first_at FROM pages ORDER BY number"):
        triples += _relation(f"{ids.view}#page-{number}", view, ids.page(number), first_at)
    return _lines(triples)


def _relation(iri: str, source: str, target: str, first_at: str | None) -> list[tuple[str, str, str]]:
    relation = _iri(iri)
    triples = [(source, _iri(TREE + "relation"), relation), (relation, _iri(TREE + "node"), _iri(target))]
    if first_at is None:  # an empty page (a stream with no member yet): a plain relation
        return [*triples, (relation, _iri(RDF_TYPE), _iri(TREE + "Relation"))]
    return [*triples, (relation, _iri(RDF_TYPE), _iri(TREE + "GreaterThanOrEqualToRelation")),
            (relation, _iri(TREE + "path"), _iri(PROV_AT)), (relation, _iri(TREE + "value"),
                                                              _literal(first_at, XSD_DATETIME))]


def member_triples(ids: StreamIris, member: Member, content_hash: str) -> Iterator[tuple[str, str, str]]:
    version = _iri(member.iri)
    yield _iri(ids.stream), _iri(TREE + "member"), version
    yield version, _iri(RDF_TYPE), _iri(KIND_TYPES[member.kind])
    yield version, _iri(IS_VERSION_OF), _iri(member.question)
    yield version, _iri(PROV_AT), _literal(member.at, XSD_DATETIME)
    if member.hash:
        yield version, _iri(content_hash), _literal(member.hash)


def page_triples(ids: StreamIris, page: int, members: list[Member], next_first: str | None) -> bytes:
    """A page's own triples: the stream (so that a client starting anywhere finds its paths), the node, its
    relation to the next page (every member there is at least as recent as that page's first one) and its
    members' metadata."""
    content_hash = ids.base + "def/contentHash"
    node = _iri(ids.page(page))
    triples = [*stream_triples(ids), (node, _iri(RDF_TYPE), _iri(TREE + "Node"))]
    if next_first is not None:
        triples += _relation(f"{ids.page(page)}#next", node, ids.page(page + 1), next_first)
    for member in members:
        triples += member_triples(ids, member, content_hash)
    return _lines(triples)


def _write_atomic(path: Path, data: bytes) -> None:
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)

