"""The embedded backend: a pyoxigraph store on disk. With store/workers.py, the only code importing pyoxigraph.

Why it is shaped this way:
- Writing (`senate-kg build`) opens the store read-write; serving opens it read-only, so a build can run while
  the server answers. A read-only RocksDB handle is a snapshot: the server reopens it once the store's files
  have changed and then stayed still for `settle_seconds` (a directory listing, checked at most every
  `reload_interval` seconds), and retries once on a read error (a compaction may remove a file an old
  snapshot still names).
- Each named graph is replaced atomically: a graph that is new goes in with `extend` (one transaction for a
  whole batch of new graphs and their metadata); a graph that changed is changed by its difference (DELETE
  DATA the triples that went, INSERT DATA those that came) with its metadata in one SPARQL update
  (pyoxigraph's Python API has no transaction spanning `remove_graph` and `extend`, but an update is applied
  in one transaction). Measured here: ~9 us per quad with `extend`; for 1,000 changed questions the
  difference took 4.3 s where dropping and re-inserting took 27 s.
- Writing flushes the memtables every FLUSH_QUADS quads and on close: a read-only opener replays whatever
  log was not flushed (a 10,000-question store left unflushed took 90 s and 1.4 GB to open, 20 ms flushed).
- The project's queries run in the calling thread with bindings passed as a VALUES row (terms written by
  rdflib, never a caller's text), the same way as the remote backend.
- Users' queries run in worker processes (store/workers.py) that can be killed on timeout; results are cut
  at `max_rows` while being written.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from store import (
    META_GRAPH,
    GraphDataError,
    GraphInfo,
    QueryRejected,
    QueryResponse,
    Row,
    Store,
    StoreError,
    bookkeeping,
    formats,
    meta,
    queries,
    results,
    safety,
)
from store.workers import Job, QueryPool

if TYPE_CHECKING:
    from store.bulk import BulkLoad

T = TypeVar("T")

WRITE_BATCH = 500  # graphs per transaction when writing
FLUSH_QUADS = 500_000  # write memtables to disk after this many quads: bounds the log a reader must replay
SETTLE_SECONDS = 1.0  # a read-only handle moves to new data once the store's files have been still this long
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

GRAPH_SERIALISERS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                     "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
DUMP_FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE,
                ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD}
LOAD_FORMATS = {**DUMP_FORMATS, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
                ".xml": ox.RdfFormat.RDF_XML, ".n3": ox.RdfFormat.N3, ".json": ox.RdfFormat.JSON_LD}
DATASET_FORMATS = frozenset({ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD})
IGNORED_FILES = ("LOG", "LOCK")  # RocksDB's text log and lock file change without the data changing


# ---------------------------------------------------------------- terms
def to_oxigraph(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (bad IRIs raise ValueError)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise ValueError(f"cannot bind {node!r}: not an IRI, blank node or literal")


def to_rdflib(term: object) -> Node:
    """A pyoxigraph term as an rdflib term (quoted triples, rare here, become their N-Triples text)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))
    return Literal(str(term))


def to_json_term(term: object) -> dict:
    """A pyoxigraph term as a SPARQL JSON term object (store/results.py writes every format from it)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        datatype = term.datatype.value
        if datatype in (XSD_STRING, RDF_LANG_STRING):
            return {"type": "literal", "value": term.value}
        return {"type": "literal", "value": term.value, "datatype": datatype}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": to_json_term(term.subject),
                                            "predicate": to_json_term(term.predicate),
                                            "object": to_json_term(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def convert_rdf(data: bytes, source: str, target: str, prefixes: Mapping[str, str] | None = None) -> bytes:
    """RDF bytes re-serialised from one media type to another by pyoxigraph: lexical forms are kept as written
    (rdflib would normalise them) and it is ~35x faster than rdflib at Turtle. Used by the remote backend.
    A dataset written in a triple format merges its graphs."""
    source_format = ox.RdfFormat.from_media_type(source)
    target_format = ox.RdfFormat.from_media_type(target)
    if source_format is None or target_format is None:
        raise ValueError(f"cannot convert RDF from {source!r} to {target!r}")
    try:
        quads = ox.parse(data, source_format)
        items = quads if target_format in DATASET_FORMATS else (q.triple for q in quads)
        return ox.serialize(items, format=target_format, prefixes=dict(prefixes) if prefixes else None) or b""
    except SyntaxError as exc:
        raise GraphDataError(f"not valid {source}: {exc}") from exc


def convert_dump(source: Path, target: Path) -> None:
    """An N-Quads dump re-serialised as another dataset format (by the suffix of `target`), streaming from file
    to file. Measured on 1.58 M quads: 3 s against 10 s for a second scan of the store, which spends its time
    decoding every term again."""
    target_format = DUMP_FORMATS.get(Path(target).suffix.lower())
    if target_format is None:
        raise GraphDataError(f"{target}: cannot tell the format from the suffix")
    try:
        ox.serialize(ox.parse(path=str(source), format=ox.RdfFormat.N_QUADS), str(target), target_format)
    except SyntaxError as exc:
        raise GraphDataError(f"{source}: not valid N-Quads: {exc}") from exc


# ---------------------------------------------------------------- opening
def store_signature(location: str) -> tuple[str, float]:
    """A short hash of the store folder's files (names, sizes, modification times), which changes with every
    committed write (the write-ahead log grows, files are added and removed), and the time of the newest change
    (seconds since the epoch)."""
    try:
        entries = list(os.scandir(location))
    except FileNotFoundError:
        raise StoreError(f"no store at {location}: build one with `senate-kg build --store {location}`") from None
    except OSError as exc:
        raise StoreError(f"cannot read the store folder {location}: {exc.strerror or exc}") from exc
    parts = []
    newest = 0
    for entry in entries:
        if entry.name.startswith(IGNORED_FILES):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # removed by the writer while we listed
            continue
        parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
        newest = max(newest, stat.st_mtime_ns)
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16], newest / 1e9


def open_read_only(location: str) -> ox.Store:
    """A read-only snapshot of the store; StoreError when there is none (or it is unreadable)."""
    if not Path(location).is_dir():
        raise StoreError(f"no store at {location}: build one with `senate-kg build --store {location}`")
    last: Exception | None = None
    for attempt in range(6):  # a writer may be creating or compacting files: its MANIFEST names a removed file
        try:
            return ox.Store.read_only(str(location))
        except (OSError, RuntimeError) as exc:
            last = exc
            time.sleep(0.05 * (attempt + 1))
    raise StoreError(f"cannot open the store at {location} read-only: {last}")


# ---------------------------------------------------------------- users' queries (run in worker processes)
def execute_user_query(handle: ox.Store, job: Job) -> QueryResponse:
    """Run one user query on a read-only handle and serialise at most `job.max_rows` rows or triples."""
    try:
        result = handle.query(job.sparql, base_iri=job.base_iri, **_dataset(job))
        return _serialise(result, job)
    except SyntaxError as exc:
        raise QueryRejected(f"syntax error: {exc}") from exc
    except ValueError as exc:
        raise QueryRejected(f"the query failed: {exc}") from exc
    except (OSError, RuntimeError) as exc:  # storage errors, and a failing SERVICE when it is allowed
        raise StoreError(f"the query could not be evaluated: {exc}") from exc


def _dataset(job: Job) -> dict:
    """pyoxigraph's dataset options: the protocol's default-graph-uri / named-graph-uri when given (an
    unspecified part of a given dataset is empty, as the SPARQL protocol says), else the union default graph."""
    if job.default_graphs is None and job.named_graphs is None:
        return {"use_default_graph_as_union": job.union_default_graph}
    return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()]}


def _serialise(result: object, job: Job) -> QueryResponse:
    if isinstance(result, ox.QueryBoolean):
        fmt = formats.result_format("boolean", job.media_type)
        return QueryResponse(results.write_boolean(fmt.name, bool(result)), fmt.media_type, "boolean")
    if isinstance(result, ox.QuerySolutions):
        fmt = formats.result_format("bindings", job.media_type)
        variables = [v.value for v in result.variables]
        rows, truncated = _capped(result, job.max_rows)
        json_rows = ({v: to_json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
                     for row in rows)
        return QueryResponse(results.write_bindings(fmt.name, variables, json_rows), fmt.media_type, "bindings",
                             truncated)
    fmt = formats.result_format("graph", job.media_type)
    triples, truncated = _capped(result, job.max_rows)
    prefixes = dict(job.prefixes) if fmt.name == "turtle" else None
    body = ox.serialize(triples, format=GRAPH_SERIALISERS[fmt.name], prefixes=prefixes) or b""
    return QueryResponse(body, fmt.media_type, "graph", truncated)


def _capped(items: Iterable[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` items and whether there were more (reading one more than the cap, no further: the
    rest of the query is never evaluated)."""
    taken = list(islice(items, limit + 1))
    return taken[:limit], len(taken) > limit


# ---------------------------------------------------------------- the store
class EmbeddedStore(Store):
    """A pyoxigraph store in the folder `location` (None: a temporary folder, removed on close)."""

    def __init__(self, location: str | Path | None, read_only: bool = False, query_workers: int = 2,
                 max_rows: int = 10_000, query_timeout: float = 30.0, union_default_graph: bool = True,
                 reload_interval: float = 1.0, settle_seconds: float = SETTLE_SECONDS) -> None:
        self._temporary = location is None
        self.location = str(tempfile.mkdtemp(prefix="senate-kg-store-") if location is None else location)
        self.read_only = read_only and not self._temporary
        self.max_rows = max_rows
        self.query_timeout = query_timeout
        self.union_default_graph = union_default_graph
        self.reload_interval = reload_interval
        self.settle_seconds = settle_seconds
        self._lock = threading.Lock()
        self._handle: ox.Store | None = None
        self._signature = ""
        self._infos: dict[str, GraphInfo] = {}  # the bookkeeping of the snapshot a read-only handle has
        self._unflushed = 0
        self._checked_at = 0.0
        self._pool = QueryPool(self.location, query_workers)
        if not self.read_only:
            try:
                Path(self.location).mkdir(parents=True, exist_ok=True)
                self._handle = ox.Store(self.location)
            except OSError as exc:
                hint = " (is another `senate-kg` process writing it?)" if "lock" in str(exc).lower() else ""
                raise StoreError(f"cannot open the store at {self.location} for writing{hint}: {exc}") from exc
            from store.bulk import remove_leftovers

            remove_leftovers(self.location)  # we hold the lock: a bulk load left there was killed
            bookkeeping.resolve_pending(self.location, self._content_etag)  # a writer killed between commits

    def __repr__(self) -> str:
        return f"EmbeddedStore({self.location!r}, read_only={self.read_only})"

    # ---- the pyoxigraph handle
    def _store(self, refresh: bool = False) -> ox.Store:
        """The handle to read with. In read-only mode it is reopened when the store's files have changed and
        then stayed still for SETTLE_SECONDS: during a build the server keeps answering from the snapshot it
        has (whole graphs, old or new) instead of reopening, and replaying the write-ahead log, every second.
        The check itself (a directory listing) runs at most every `reload_interval` seconds."""
        if not self.read_only:
            if self._handle is None:
                raise StoreError("the store is closed")
            return self._handle
        now = time.monotonic()
        handle = self._handle
        if handle is not None and not refresh and now - self._checked_at < self.reload_interval:
            return handle
        with self._lock:
            signature, newest = store_signature(self.location)
            settled = time.time() - newest >= self.settle_seconds
            if self._handle is None or refresh or (signature != self._signature and settled):
                handle = open_read_only(self.location)
                self._infos = bookkeeping.load(self.location, lambda iri: _content_etag(handle, iri))
                self._handle = handle
                self._signature = signature
            self._checked_at = now
            return self._handle

    def _read(self, action: Callable[[ox.Store], T]) -> T:
        """Run a read; on a storage error reopen once (read-only) and retry, then give up with StoreError."""
        try:
            return action(self._store())
        except (OSError, RuntimeError) as exc:
            if not self.read_only:
                raise StoreError(f"the store at {self.location} could not be read: {exc}") from exc
        try:
            return action(self._store(refresh=True))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"the store at {self.location} could not be read: {exc}") from exc

    def _generation(self) -> str:
        """What the query workers should read: the snapshot this handle has settled on (read-only), or the
        store as it is now (the writer's own process)."""
        if self.read_only:
            self._store()
            return self._signature
        return store_signature(self.location)[0]

    def snapshot_id(self) -> str | None:
        """The read-only handle's snapshot (its files' signature): the server caches per snapshot."""
        if not self.read_only:
            return None
        self._store()
        return self._signature

    # ---- reading
    def _project_query(self, handle: ox.Store, sparql: str, bindings: Mapping[str, Node] | None) -> object:
        """Bindings go in as a VALUES row first in the outer WHERE group, exactly as the remote backend does
        (pyoxigraph's substitutions refuse a SELECT variable that is not projected); measured as fast as
        substitutions: the optimiser starts from the VALUES row."""
        try:
            text = safety.bind_values(sparql, bindings)
        except ValueError as exc:
            raise QueryRejected(f"cannot bind {dict(bindings or {})!r}: {exc}") from exc
        try:
            return handle.query(text)
        except SyntaxError as exc:
            raise QueryRejected(f"syntax error in a project query: {exc}") from exc

    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        def run(handle: ox.Store) -> list[Row]:
            result = self._project_query(handle, sparql, bindings)
            if not isinstance(result, ox.QuerySolutions):
                raise QueryRejected("select() needs a SELECT query")
            names = [v.value for v in result.variables]
            return [{n: to_rdflib(t) for n, t in zip(names, solution, strict=True) if t is not None}
                    for solution in result]
        return self._read(run)

    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None,
                  media_type: str = "application/n-triples", prefixes: Mapping[str, str] | None = None) -> bytes:
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is None or fmt in DATASET_FORMATS - {ox.RdfFormat.JSON_LD}:
            raise ValueError(f"construct(): cannot write a graph as {media_type!r}")

        def run(handle: ox.Store) -> bytes:
            result = self._project_query(handle, sparql, bindings)
            if not isinstance(result, ox.QueryTriples):
                raise QueryRejected("construct() needs a CONSTRUCT or DESCRIBE query")
            return ox.serialize(result, format=fmt, prefixes=dict(prefixes) if prefixes else None) or b""
        return self._read(run)

    def query(self, sparql: str, accept: str, *, default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, timeout: float | None = None, max_rows: int | None = None,
              allow_service: bool = False, base_iri: str | None = None) -> QueryResponse:
        safety.check_user_query(sparql, allow_service=allow_service)
        job = Job(sparql=sparql, media_type=accept,
                  default_graphs=_as_tuple(safety.check_graph_iris("default-graph-uri", default_graphs)),
                  named_graphs=_as_tuple(safety.check_graph_iris("named-graph-uri", named_graphs)),
                  max_rows=self.max_rows if max_rows is None else max_rows,
                  union_default_graph=self.union_default_graph,
                  prefixes=tuple(safety.declared_prefixes(sparql).items()), generation=self._generation(),
                  base_iri=base_iri)
        return self._pool.run(job, self.query_timeout if timeout is None else timeout)

    def graph_info(self, graph_iri: str) -> GraphInfo | None:
        return self.graph_infos([graph_iri]).get(graph_iri)

    def graph_infos(self, graph_iris: Iterable[str]) -> dict[str, GraphInfo]:
        if self.read_only:
            self._store()  # the bookkeeping of the snapshot the handle has settled on
            infos = self._infos
            return {iri: infos[iri] for iri in graph_iris if iri in infos}
        return bookkeeping.read(self.location, graph_iris)

    def all_graph_infos(self) -> dict[str, GraphInfo]:
        if self.read_only:
            self._store()
            return dict(self._infos)
        return bookkeeping.load(self.location, self._content_etag)

    def _content_etag(self, iri: str) -> str | None:
        return self._read(lambda handle: _content_etag(handle, iri))

    def named_graphs(self) -> Iterator[str]:
        names = self._read(lambda handle: [g.value for g in handle.named_graphs() if isinstance(g, ox.NamedNode)])
        return (name for name in names if name != META_GRAPH)

    # ---- writing
    def _writer(self) -> ox.Store:
        if self.read_only:
            raise StoreError(f"the store at {self.location} is open read-only: it cannot be written")
        return self._store()

    def replace_graphs(self, graphs: Iterable[tuple[str, bytes]]) -> int:
        handle = self._writer()
        changed = 0
        meta_graph: bytes | None = None
        iterator = iter(graphs)
        while batch := list(islice(iterator, WRITE_BATCH)):
            prepared: dict[str, list[ox.Triple]] = {}
            for iri, data in batch:
                if iri == META_GRAPH:
                    meta_graph = data  # copied verbatim, after the graphs it describes (see `push`)
                else:
                    prepared[iri] = parse_graph(iri, data)
            changed += self._write_batch(handle, prepared)
        if meta_graph is not None:  # bookkeeping copied from another store: kept beside the RDF, as ours is
            bookkeeping.write_all(self.location, meta.rows_of(meta_graph.decode("utf-8").splitlines()))
        return changed

    def _write_batch(self, handle: ox.Store, prepared: Mapping[str, list[ox.Triple]]) -> int:
        """Write the graphs whose content differs from what is stored; new graphs in one `extend`, changed ones
        in one update. Returns how many were written."""
        when = meta.now()
        new_quads: list[ox.Quad] = []
        new_graphs = 0
        updates: list[str] = []
        written: list[bookkeeping.Row] = []
        known = bookkeeping.read(self.location, prepared)
        for iri, triples in prepared.items():
            name = ox.NamedNode(iri)
            lines = [f"{t} ." for t in triples]
            etag = meta.content_etag(lines)
            info = known.get(iri)
            if info is not None and info.etag == etag:
                continue
            written.append((iri, etag, when))
            if info is None and triples and not handle.contains_named_graph(name):
                new_quads += [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
                new_graphs += 1
            else:
                updates.append(_change_update(handle, name, lines))
        with bookkeeping.writing(self.location, written):  # pending, the graphs, then promoted
            try:
                if new_quads:
                    handle.extend(new_quads)
            except OSError as exc:
                raise StoreError(f"writing to the store at {self.location} failed: {exc}") from exc
            if updates:
                self._update(handle, " ;\n".join(u.strip() for u in updates))
        self._wrote(handle, len(new_quads) + sum(u.count("\n") for u in updates))
        return len(updates) + new_graphs

    def remove_graphs(self, graph_iris: Iterable[str]) -> int:
        handle = self._writer()
        names = [name for iri in dict.fromkeys(graph_iris)
                 if handle.contains_named_graph(name := check_graph_name(iri))]
        bookkeeping.forget(self.location, [name.value for name in names])
        if names:
            self._update(handle, " ;\n".join(f"DROP SILENT GRAPH {name}" for name in names))
            self._flush(handle)
        return len(names)

    def bulk_loader(self) -> BulkLoad | None:
        """The bulk path (store/bulk.py) when this store is writable and holds nothing at all."""
        if self.read_only or next(iter(self._writer()), None) is not None:
            return None
        from store.bulk import BulkLoad

        return BulkLoad(self)

    @contextlib.contextmanager
    def closed(self) -> Iterator[None]:
        """The store's folder with no handle open on it, then opened again: a bulk load exchanges folders in
        between. Closing first matters: RocksDB writes by path, so a handle closed after the exchange would
        write its last files into the new store's folder. (The write lock is released meanwhile.)"""
        with self._lock:
            if self._handle is not None and self._unflushed:
                self._flush(self._handle)
            self._handle = None  # the last reference: RocksDB closes the database here
            try:
                yield
            finally:
                self._handle = ox.Store(self.location)
                self._unflushed = 0

    def load_staged(self, path: Path) -> None:
        """A bulk load's staged N-Quads in one transaction: where folders cannot be exchanged atomically."""
        handle = self._writer()
        try:
            handle.load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise StoreError(f"internal error: the staged graphs in {path} are not valid N-Quads: {exc}") from exc
        self._flush(handle)

    def _wrote(self, handle: ox.Store, quads: int) -> None:
        """Flush now and then: pyoxigraph keeps large memtables, and a reader opening the store replays the
        log of everything not yet flushed (measured: 1.2 GB of log for 10,000 questions, 90 s to open)."""
        self._unflushed += quads
        if self._unflushed >= FLUSH_QUADS:
            self._flush(handle)

    def _flush(self, handle: ox.Store) -> None:
        try:
            handle.flush()
        except OSError as exc:
            raise StoreError(f"writing to the store at {self.location} failed: {exc}") from exc
        self._unflushed = 0

    def _update(self, handle: ox.Store, text: str) -> None:
        try:
            handle.update(text)
        except OSError as exc:
            raise StoreError(f"writing to the store at {self.location} failed: {exc}") from exc
        except SyntaxError as exc:  # would be a bug: the text is made of terms pyoxigraph wrote itself
            raise StoreError(f"internal error: the store wrote an update it cannot parse: {exc}") from exc

    def load_file(self, graph_iri: str, path: Path) -> int:
        path = Path(path)
        fmt, data = _read_rdf_file(path)
        try:
            quads = list(ox.parse(data, fmt, base_iri=path.resolve().as_uri(), without_named_graphs=True))
        except (SyntaxError, ValueError) as exc:
            raise GraphDataError(f"{path}: not valid {fmt.name}: {exc}") from exc
        triples = [q.triple for q in quads]
        check_graph_name(graph_iri)
        self._write_batch(self._writer(), {graph_iri: triples})
        return len(triples)

    def dump(self, path: Path) -> int:
        path = Path(path)
        compressed = path.suffix == ".gz"
        suffix = Path(path.stem).suffix if compressed else path.suffix
        fmt = DUMP_FORMATS.get(suffix.lower())
        if fmt is None:
            raise GraphDataError(f"{path}: cannot tell the format from the suffix {suffix!r}; use one of "
                                 f"{', '.join(sorted(DUMP_FORMATS))} (optionally followed by .gz)")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle_fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle_fd, "wb") as raw:
                out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if compressed else raw
                try:
                    count = _write_dump(self._store(), out, fmt)  # no retry: half a dump may be written
                except (OSError, RuntimeError) as exc:
                    raise StoreError(f"dumping the store at {self.location} failed: {exc}") from exc
                finally:
                    if compressed:
                        out.close()
            os.replace(temporary, path)  # readers of the dump never see half a file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return count

    def close(self) -> None:
        self._pool.close()
        with self._lock:
            if self._handle is not None and not self.read_only:
                if self._unflushed:
                    self._flush(self._handle)
                from store.bulk import remove_leftovers

                remove_leftovers(self.location)  # a bulk load's staged file nobody took, while we hold the lock
            self._handle = None
        if self._temporary:
            shutil.rmtree(self.location, ignore_errors=True)


# ---------------------------------------------------------------- helpers
def _as_tuple(items: list[str] | None) -> tuple[str, ...] | None:
    return None if items is None else tuple(items)


def _content_etag(handle: ox.Store, iri: str) -> str | None:
    """The etag of what the store holds in graph `iri` now (None: nothing), computed as writing computes it."""
    try:
        name = ox.NamedNode(iri)
    except ValueError:
        return None
    lines = [f"{q.triple} ." for q in handle.quads_for_pattern(None, None, None, name)]
    return meta.content_etag(lines) if lines else None


def check_graph_name(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except (ValueError, TypeError) as exc:
        raise GraphDataError(f"graph {iri!r}: not a valid IRI: {exc}") from exc


def parse_graph(iri: str, data: bytes) -> list[ox.Triple]:
    """The triples of one graph given as N-Triples; GraphDataError names the graph and the line."""
    check_graph_name(iri)
    try:
        return [q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as exc:
        raise GraphDataError(f"graph <{iri}>: not valid N-Triples: {exc}") from exc


def _change_update(handle: ox.Store, name: ox.NamedNode, lines: list[str]) -> str:
    """The update that turns a stored graph into `lines`: by difference when neither version has blank nodes,
    else by dropping and re-inserting the graph."""
    old = handle.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name) or b""
    old_lines = set(old.decode("utf-8").splitlines())
    new_lines = set(lines)
    if any("_:" in line for line in old_lines | new_lines):  # blank nodes (or "_:" in a literal: harmless)
        return queries.template("put-graph.ru").substitute(graph=str(name), triples="\n".join(lines))
    return queries.template("patch-graph-data.ru").substitute(graph=str(name),
                                                              removed="\n".join(sorted(old_lines - new_lines)),
                                                              added="\n".join(sorted(new_lines - old_lines)))


def _lines(triples: Iterable[ox.Triple]) -> str:
    """Triples as N-Triples lines, written by pyoxigraph (so they are valid inside INSERT DATA)."""
    return "\n".join(f"{t} ." for t in triples)


def _read_rdf_file(path: Path) -> tuple[ox.RdfFormat, bytes]:
    compressed = path.suffix == ".gz"
    suffix = (Path(path.stem).suffix if compressed else path.suffix).lower()
    fmt = LOAD_FORMATS.get(suffix)
    if fmt is None:
        raise GraphDataError(f"{path}: cannot tell the RDF format from the suffix {suffix!r}; use one of "
                             f"{', '.join(sorted(LOAD_FORMATS))} (optionally followed by .gz)")
    try:
        data = path.read_bytes()
        return fmt, gzip.decompress(data) if compressed else data
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise GraphDataError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc


class _Counter:
    def __init__(self, items: Iterable[T]) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[T]:
        for item in self.items:
            self.count += 1
            yield item


def _write_dump(handle: ox.Store, out: object, fmt: ox.RdfFormat) -> int:
    """Dataset formats keep graph names; triple formats get every triple of every graph, merged. Datasets are
    written by pyoxigraph itself (no Python object per quad, and without the GIL: publishing runs other work
    meanwhile); the count is taken from the same handle, which nothing else writes during a dump."""
    if fmt in DATASET_FORMATS:
        count = len(handle)
        handle.dump(out, fmt)
        return count
    triples = _Counter(handle.query(queries.text("all-triples.rq")))
    ox.serialize(triples, out, fmt)
    return triples.count
