"""Publishing: after every build (and push), derive from the store everything harvesters and researchers fetch.

Written next to the store `DIR`:
- `DIR.dumps/` the dumps (N-Quads, TriG, JSON-LD; gzip), the sitemap parts and `manifest.json`: sizes,
  SHA-256 checksums, quad counts, issue/modification times, and the figures of the data (VoID partitions,
  temporal coverage, EuroVoc concepts used) that the catalogue and the VoID description are rendered from;
- `DIR.search.sqlite` the full-text search index (store/search_index.py);
- in `DIR.dumps/` too, the tidy tables (`questions.csv.gz`, ...), their CSVW `csv-metadata.json` and the
  statistics figures `stats.json` (senate_kg/tables.py, senate_kg/stats.py), listed in the manifest.

Never out of step: everything is rebuilt from the store's contents, each file written under a temporary name
and moved into place with `os.replace` (a reader sees the old file or the new one), the manifest last.
A dump whose bytes did not change keeps its `modified` time, so harvesters see no change where there is none.
Nothing is rebuilt when nothing changed: the manifest records a fingerprint of what the publication is derived
from (`content_fingerprint`: every graph's etag and date, the base, the publisher's version); when it matches and
every file the manifest lists is there (and nothing else), publishing stops there (`PublishReport.skipped`).

Both cores at work: the dumps (the three formats in parallel once the N-Quads one is out), the figures, the
sitemap, the search index and the tables are written by parallel threads. They spend most of their time in pyoxigraph,
zlib and SQLite, which release the GIL. Measured on 10,000 questions: 46 s one after the other.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.sax.saxutils import escape

from mapping.iris import Iris
from senate_kg import __version__, stream
from senate_kg.paths import QUERIES_DIR
from senate_kg.tables import listed_names, manifest_entries, write_tables
from store import Row, Store
from store.embedded import convert_dump
from store.search_index import SearchRecord, build_index

PUBLISH_QUERIES = QUERIES_DIR / "publish"
MANIFEST = "manifest.json"
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the sitemaps.org limit)
T = TypeVar("T")
TOP_KEYWORDS = 60  # EuroVoc concepts listed as dcat:keyword / dcat:theme in the catalogue


@dataclass(frozen=True)
class DumpFormat:
    key: str  # stable part of the distribution IRI: {base}dataset/questions/distribution/{key}
    suffix: str  # what the store's dump() reads the format from
    media_type: str  # IANA media type of the uncompressed content
    file_type: str  # code in the EU file-type authority table
    label: str


DUMP_FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("nquads", ".nq", "application/n-quads", "RDF_N_QUADS", "N-Quads"),
    DumpFormat("trig", ".trig", "application/trig", "RDF_TRIG", "TriG"),
    DumpFormat("jsonld", ".jsonld", "application/ld+json", "JSON_LD", "JSON-LD"),
)
DUMP_PREFIX = "senate-kg-questions"


@dataclass(frozen=True)
class DumpFile:
    name: str  # file name under DIR.dumps/, served at /dumps/<name>
    key: str
    media_type: str
    file_type: str
    label: str
    byte_size: int
    sha256: str
    quads: int
    issued: str  # ISO datetime (UTC) of the first publication of this file name
    modified: str  # ISO datetime (UTC) of the last change of its content


@dataclass
class PublishReport:
    dumps_dir: Path
    search_index: Path
    dumps: list[DumpFile] = field(default_factory=list)
    quads: int = 0
    questions_indexed: int = 0
    sitemap_urls: int = 0
    tables: list[str] = field(default_factory=list)  # the tidy tables' file names (senate_kg/tables.py)
    timings: dict[str, float] = field(default_factory=dict)
    stream: stream.StreamReport | None = None  # what the event stream gained (None: not written)
    skipped: bool = False  # the last publication is of the same content: nothing was written


def dumps_dir_for(store_dir: Path) -> Path:
    """`var/store` -> `var/store.dumps` (a sibling: the store folder belongs to pyoxigraph)."""
    store_dir = Path(store_dir)
    return store_dir.with_name(store_dir.name + ".dumps")


def search_index_for(store_dir: Path) -> Path:
    store_dir = Path(store_dir)
    return store_dir.with_name(store_dir.name + ".search.sqlite")


def publish(store: Store, store_dir: Path, iris: Iris, *, nquads: tuple[Path, int] | None = None) -> PublishReport:
    """Rebuild the dumps, the sitemap, the manifest and the search index from `store`'s contents.
    `nquads` (file, quads): an N-Quads file holding exactly what the store holds, used as the source of the
    dumps instead of a scan of the store (a first build's bulk load leaves one: 13 s saved at 10,000 questions).
    Its lines are in another order than a scan's: the dumps' bytes differ, not their data."""
    with Publication(store_dir, iris) as publication:
        if nquads is not None:
            publication.prepare_dumps(nquads=nquads)
        return publication.finish(store)


class Publication:
    """One publication in two steps, so that a first build can write its dumps (from its bulk load's staged copy
    of the store) while the store is still being loaded:
    - `prepare_dumps()` (optional): the dumps, in background threads, into a scratch folder; nothing installed;
    - `finish(store)`: the figures, sitemap and search index from the store (threads), then the dumps moved into
      place and the manifest written last. Nothing is installed unless the store was complete: a build that
      fails after `prepare_dumps` leaves the previous publication as it was.
    Use as a context manager: leaving it waits for the threads and removes the scratch folder."""

    def __init__(self, store_dir: Path, iris: Iris) -> None:
        self.iris = iris
        self.store_dir = Path(store_dir)
        self.dumps_dir = dumps_dir_for(store_dir)
        self.report = PublishReport(self.dumps_dir, search_index_for(store_dir))
        self.previous: dict[str, Any] = {}
        self.now = _utc_now()
        self._pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="publish")
        self._scratch: Path | None = None
        self._dumps: Future[list[tuple[DumpFile, Path]]] | None = None

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare_dumps(self, store: Store | None = None, nquads: tuple[Path, int] | None = None) -> None:
        """Start writing the dumps into a scratch folder: from `nquads` (file, quads), a file holding exactly what
        the store holds once loaded (hard-linked into the scratch folder: whoever made it may remove it), else from
        a scan of `store`."""
        if self._dumps is not None:
            return
        try:  # a failure (a full disk) is the publication's, reported by `finish`: it must not stop a build
            self.dumps_dir.mkdir(parents=True, exist_ok=True)
            self.previous = read_manifest(self.dumps_dir)
            self._scratch = Path(tempfile.mkdtemp(dir=self.dumps_dir, prefix=".dump-"))
        except OSError as exc:
            self._dumps = Future()
            self._dumps.set_exception(exc)
            return
        self._dumps = self._pool.submit(_timed(self.report, "dumps").call, self._write_dumps, store, nquads)

    def _write_dumps(self, store: Store | None, nquads: tuple[Path, int] | None) -> list[tuple[DumpFile, Path]]:
        assert self._scratch is not None
        if nquads is not None:
            _link_or_copy(nquads[0], self._scratch / f"dump{DUMP_FORMATS[0].suffix}")
        return prepare_dumps(store, self._scratch, self.previous, self.now, None if nquads is None else nquads[1])

    def finish(self, store: Store) -> PublishReport:
        """Everything else from the store, then the dumps and the manifest in place; the report says what."""
        report, iris = self.report, self.iris
        with _timed(report, "fingerprint"):
            fingerprint = content_fingerprint(store, iris)
        if self._dumps is None:
            self.previous = read_manifest(self.dumps_dir)
            if is_current(self.previous, fingerprint, self.dumps_dir, report.search_index) \
                    and (stream.is_published(self.store_dir) or not stream_enabled()):
                return _unchanged(report, self.previous)
            self.prepare_dumps(store)
        dumps = self._dumps
        if self._scratch is None:  # the dumps could not even start: say why
            dumps.result()

        def generation() -> str:  # the N-Quads checksum: a fingerprint of the store's contents
            return dumps.result()[0][0].sha256

        pool, now = self._pool, self.now
        figures = pool.submit(_timed(report, "figures").call, dataset_figures, store, iris)
        sitemaps = pool.submit(_timed(report, "sitemap").call, write_sitemaps, store, self._scratch, iris)
        indexed = pool.submit(_timed(report, "search").call, build_index, report.search_index,
                              search_records(store, iris), meta=lambda: {"generation": generation(), "built": now})
        tables = pool.submit(_timed(report, "tables").call, write_tables, store, iris, self._scratch, self.previous,
                             now, run)
        questions = [str(row["question"]) for row in run(store, "question-graphs", iris)]
        example = min(questions, default=None)
        streamed = pool.submit(_timed(report, "stream").call, self._write_stream, store, questions)
        prepared, report.questions_indexed = dumps.result(), indexed.result()
        sitemap_files, report.sitemap_urls = sitemaps.result()
        report.dumps = [dump for dump, _ in prepared]
        report.quads = report.dumps[0].quads
        for _, packed in prepared:
            os.replace(packed, self.dumps_dir / packed.name)
        for name in sitemap_files:
            os.replace(self._scratch / name, self.dumps_dir / name)
        table_entries = manifest_entries(tables.result())
        report.tables = sorted(listed_names(table_entries))
        for name in report.tables:
            os.replace(self._scratch / name, self.dumps_dir / name)
        manifest = {
            "generator": "senate-kg",
            "version": __version__,
            "content": fingerprint,
            "base": iris.base,
            "generation": generation(),
            "published": now,
            "modified": max((d.modified for d in report.dumps), default=now),
            "dumps": [asdict(d) for d in report.dumps],
            "sitemaps": sitemap_files,
            "search_index": {"file": report.search_index.name, "questions": report.questions_indexed},
            "example": example,
            **figures.result(),
            **table_entries,
        }
        report.stream = streamed.result()
        _write_atomic(self.dumps_dir / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
                      .encode("utf-8"))
        _remove_stale(self.dumps_dir, {d.name for d in report.dumps} | set(sitemap_files) | set(report.tables)
                      | {MANIFEST})
        return report

    def _write_stream(self, store: Store, questions: list[str]) -> stream.StreamReport | None:
        """The event stream's new members (senate_kg/stream.py), once the N-Quads dump they are read from is out."""
        assert self._dumps is not None and self._scratch is not None
        self._dumps.result()
        if not stream_enabled():
            return None
        return stream.update_stream(store, self.store_dir, self.iris, self._scratch / f"dump{DUMP_FORMATS[0].suffix}",
                                    questions, self.now)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def stream_enabled() -> bool:
    """`SENATE_KG_LDES=off` publishes no event stream (to measure what it costs: bench/bench_ldes.py)."""
    return os.environ.get("SENATE_KG_LDES", "on").lower() not in ("off", "0", "false", "no")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system: a copy
        shutil.copyfile(source, target)


# ---------------------------------------------------------------- unchanged content
def content_fingerprint(store: Store, iris: Iris) -> str:
    """A hash of what a publication is derived from: the store's bookkeeping (each graph's etag, a hash of its
    content, and the date that content appeared), the base URI and this publisher's version. Cheap (a few
    bytes per graph), unlike the dumps' checksums."""
    digest = hashlib.sha256(f"{__version__}\n{iris.base}\n".encode())
    for iri, info in sorted(store.all_graph_infos().items()):
        digest.update(f"{iri} {info.etag} {info.modified.isoformat()}\n".encode())
    return digest.hexdigest()


def is_current(manifest: dict[str, Any], fingerprint: str, dumps_dir: Path, search_index: Path) -> bool:
    """The last publication was made from the same content and is all there: every file its manifest lists,
    nothing else (a stale part would be served), and the search index."""
    if manifest.get("content") != fingerprint or not search_index.is_file():
        return False
    listed = {d.get("name") for d in manifest.get("dumps", [])} | set(manifest.get("sitemaps", [])) | {MANIFEST}
    listed |= listed_names(manifest)
    return {p.name for p in dumps_dir.iterdir()} == listed


def _unchanged(report: PublishReport, manifest: dict[str, Any]) -> PublishReport:
    report.skipped = True
    report.dumps = [DumpFile(**d) for d in manifest["dumps"]]
    report.quads = report.dumps[0].quads if report.dumps else 0
    report.questions_indexed = manifest.get("search_index", {}).get("questions", 0)
    return report


# ---------------------------------------------------------------- dumps
def prepare_dumps(store: Store | None, scratch: Path, previous: dict[str, Any], now: str,
                  quads: int | None = None) -> list[tuple[DumpFile, Path]]:
    """Every dump, gzipped, in `scratch` (not yet in place). The N-Quads one is `scratch/dump.nq` when `quads`
    is given (its number of lines), else a scan of the store writes it; the other formats are converted from it
    (pyoxigraph, file to file); the formats in parallel threads (none of this holds the GIL for long)."""
    nquads = scratch / f"dump{DUMP_FORMATS[0].suffix}"
    if quads is None:
        assert store is not None, "a store to dump, or the N-Quads already there"
        quads = store.dump(nquads)

    def one(fmt: DumpFormat) -> tuple[DumpFile, Path]:
        raw = scratch / f"dump{fmt.suffix}"
        if raw != nquads:
            convert_dump(nquads, raw)
        packed = pack_dump(raw, quads, fmt, previous, now)
        if raw != nquads:  # the N-Quads stay until every conversion from them is done
            raw.unlink()
        return packed

    with ThreadPoolExecutor(max_workers=len(DUMP_FORMATS), thread_name_prefix="publish-dump") as pool:
        return list(pool.map(one, DUMP_FORMATS))


def pack_dump(raw: Path, quads: int, fmt: DumpFormat, previous: dict[str, Any], now: str) -> tuple[DumpFile, Path]:
    """One dump gzipped deterministically beside `raw` (mtime 0, no file name in the header: the same store gives
    the same bytes and checksum); its description and where it is."""
    name = f"{DUMP_PREFIX}{fmt.suffix}.gz"
    packed = raw.with_name(name)
    digest = hashlib.sha256()
    with raw.open("rb") as src, packed.open("wb") as out, \
            gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    with packed.open("rb") as done:
        while chunk := done.read(1 << 20):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    os.chmod(packed, 0o644)
    old = next((d for d in previous.get("dumps", []) if d.get("name") == name), None)
    issued = old["issued"] if old else now
    modified = old["modified"] if old and old.get("sha256") == sha256 else now
    dump = DumpFile(name, fmt.key, fmt.media_type, fmt.file_type, fmt.label, packed.stat().st_size, sha256, quads,
                    issued, modified)
    return dump, packed


def read_manifest(dumps_dir: Path) -> dict[str, Any]:
    """The last manifest written (the server reads it too); {} when there is none or it is unreadable."""
    try:
        data = json.loads((Path(dumps_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------- figures for VoID and DCAT
_PARSING = threading.Lock()


@functools.cache
def _parsed(name: str):
    from server.named_queries import parse_named_query

    return parse_named_query(PUBLISH_QUERIES / f"{name}.rq", paged=False)


def _query(name: str):
    """Parsed once per process (rdflib's parser takes most of a second for the larger files), one at a time:
    rdflib's SPARQL parser (pyparsing) is not thread-safe, and publishing runs queries from several threads."""
    with _PARSING:
        return _parsed(name)


def run(store: Store, name: str, iris: Iris, bindings: dict | None = None) -> list[Row]:
    """Run one of the publisher's own queries (queries/publish/NAME.rq) with the store's base."""
    return store.select(_query(name).render(bindings or {}, iris.base))


def _value(row: Row, key: str) -> Any:
    term = row.get(key)
    if term is None:
        return None
    python = term.toPython() if hasattr(term, "toPython") else term
    if isinstance(python, dt.date | dt.datetime):
        return python.isoformat()
    if isinstance(python, int | float | str | bool):
        return python
    return str(term)


def dataset_figures(store: Store, iris: Iris) -> dict[str, Any]:
    """What VoID and the catalogue state about the data, computed once here rather than per request."""
    totals = run(store, "dataset-figures", iris)
    figures = {key: _value(totals[0], key) for key in totals[0]} if totals else {}
    classes = [{"class": str(r["class"]), "entities": _value(r, "entities"), "typings": _value(r, "typings")}
               for r in run(store, "void-classes", iris)]
    properties = [{"property": str(r["property"]), "triples": _value(r, "triples"),
                   "subjects": _value(r, "subjects"), "objects": _value(r, "objects")}
                  for r in run(store, "void-properties", iris)]
    concepts = [{"concept": str(r["concept"]), "label_fr": _value(r, "label_fr"), "label_nl": _value(r, "label_nl"),
                 "label_en": _value(r, "label_en"), "questions": _value(r, "questions")}
                for r in run(store, "concepts-used", iris)]
    return {"figures": figures, "classes": classes, "properties": properties,
            "concepts": concepts[:TOP_KEYWORDS], "concepts_used": len(concepts)}


# ---------------------------------------------------------------- search records
def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def search_records(store: Store, iris: Iris) -> Iterator[SearchRecord]:
    """Every question as a SearchRecord: two queries over the whole store (descriptors, then the rest), not one
    per question or per batch (see queries/publish/search-records.rq for why batches do not help)."""
    concepts: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for row in run(store, "search-concepts", iris):
        concepts.setdefault(str(row["question"]), []).append(
            (str(row["concept"]), _value(row, "label_fr"), _value(row, "label_nl")))
    for found in concepts.values():
        found.sort()
    rows = run(store, "search-records", iris)
    seen: set[str] = set()
    for position, row in enumerate(rows):
        iri = str(row["question"])
        if iri not in seen:  # a multi-valued field (two parties?) repeats the row: the first one wins
            seen.add(iri)
            yield _record(row, concepts.pop(iri, []))
        rows[position] = {}  # let the texts go as soon as they are indexed


def _texts(row: Row, prefix: str) -> dict[str, str]:
    return {lang: str(row[f"{prefix}_{lang}"]) for lang in ("fr", "nl") if row.get(f"{prefix}_{lang}") is not None}


def _record(row: Row, concepts: list[tuple[str, str | None, str | None]]) -> SearchRecord:
    identifier = str(row["identifier"])
    legislature = identifier.split("-", 1)[0]
    return SearchRecord(
        iri=str(row["question"]), identifier=identifier,
        legislature=int(legislature) if legislature.isdigit() else None,
        date=_value(row, "date"), title=_texts(row, "title"), question_text=_texts(row, "text"),
        answer_text=_texts(row, "answer"), author=_value(row, "author"), author_name=_value(row, "author_name"),
        party=_value(row, "party"), party_label=_value(row, "party_label"), office=_value(row, "office"),
        office_label=_texts(row, "office"), status=_value(row, "status") or None,
        answer_date=_value(row, "answer_date"), concepts=tuple(concepts))


# ---------------------------------------------------------------- sitemap
def write_sitemaps(store: Store, folder: Path, iris: Iris) -> tuple[list[str], int]:
    """The HTML pages (every resource with a page of its own) as sitemap files of at most SITEMAP_LIMIT URLs,
    written in `folder`; the server answers /sitemap.xml with the only file, or with an index of them."""
    modified: dict[str, str | None] = {iris.base: None}
    infos = store.all_graph_infos()  # a page's date: when the graph that describes it last changed
    for row in run(store, "sitemap-pages", iris):
        page = str(row["page"])
        if modified.get(page) is None:
            info = infos.get(iris.graph_of(page))
            modified[page] = info.modified.strftime("%Y-%m-%dT%H:%M:%SZ") if info else None
    pages = [iris.base, *sorted(p for p in modified if p != iris.base)]
    names = []
    for number, chunk in enumerate(_batches(pages, SITEMAP_LIMIT), start=1):
        name = f"sitemap-{number}.xml"
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
                 *(_sitemap_url(url, modified[url]) for url in chunk), "</urlset>", ""]
        _write_atomic(folder / name, "\n".join(lines).encode("utf-8"))
        names.append(name)
    return names, len(pages)


def _sitemap_url(url: str, modified: str | None) -> str:
    lastmod = f"<lastmod>{escape(modified)}</lastmod>" if modified else ""
    return f"<url><loc>{escape(url)}</loc>{lastmod}</url>"


# ---------------------------------------------------------------- files
def _write_atomic(path: Path, data: bytes) -> None:
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(partial, 0o644)  # mkstemp makes files private; these are published
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)


def _remove_stale(dumps_dir: Path, keep: set[str]) -> None:
    """Files a previous publication wrote and this one did not (fewer sitemap parts): they would be served
    with figures that no longer hold. Scratch files (dot names) of a publication that was killed go too:
    publishing runs under the store's write lock, so no other publication is using them."""
    for path in dumps_dir.iterdir():
        if path.name not in keep:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class _timed:
    """`with _timed(report, "dumps"):` adds the seconds spent to report.timings["dumps"]."""

    def __init__(self, report: PublishReport, stage: str) -> None:
        self.report, self.stage = report, stage

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.report.timings[self.stage] = self.report.timings.get(self.stage, 0.0) + time.perf_counter() - self.started

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)`, timed (for work handed to a thread)."""
        with self:
            return function(*args, **kwargs)

