"""The build pipeline: files -> parse -> merge -> map -> validate -> store, one question at a time as a unit.

Why it is shaped this way (DESIGN.md "The flow", issue 2 "Speed"):
- parsing, mapping and validating are pure CPU work on independent units, so they run in a fork pool over both
  cores; only picklable records go in and only N-Triples bytes come back, never rdflib graphs;
- merging needs every page of a question, so it runs in the parent, between the two pool stages;
- only the parent writes to the store (one writer), in large batches, while the pool maps the next chunks;
- a first build (the store holds nothing) takes the bulk path (store/bulk.py): the workers also stage each graph
  (its checks, etag and N-Quads lines, the per-quad work), the parent appends the bytes to a file and loads it
  in one go into a new store that replaces the empty one atomically: 3-4x cheaper than transactions;
- a page or a question that fails becomes a `Rejection` and the batch goes on: nothing is half-written.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from mapping.errors import ParseError
from mapping.iris import Iris
from mapping.model import Question
from senate_kg.paths import QUERIES_DIR
from store import META_GRAPH, Store

if TYPE_CHECKING:  # pyshacl is heavy: imported only when a build runs, not for `senate-kg --help` or `serve`
    from mapping.rdf import QuestionGraphs
    from mapping.validate import Validator, Violation
    from store.bulk import BulkLoad, StagedGraph

T = TypeVar("T")

PAGE_SUFFIXES = frozenset({".txt", ".html", ".htm"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
# Files that sit next to the pages in a harvest folder but are not pages (the samples' SOURCES.tsv, a README).
NON_PAGE_NAME = re.compile(r"^(?:\.|sources\b|readme\b|licen[cs]e\b|notice\b|changelog\b)", re.IGNORECASE)

MAP_CHUNK = 500  # questions per pool task: pyshacl is ~13x cheaper per graph in batches of 500 than one by one
# Graphs per store call. Measured on 3,000 synthetic questions: 100, 500 or 1,500 per call cost the same CPU
# (pyoxigraph's per-quad work dominates), 2,000 was slower as the store grew; one map chunk keeps load in step.
LOAD_BATCH = 500
PARALLEL_MIN_PAGES = 48  # below this a pool costs more (fork, pickling) than it saves

GRAPH_QUERY_FILE = QUERIES_DIR / "store" / "graph-content.rq"
_SUBJECT = re.compile(rb"^\s*<([^>]*)>")  # the subject IRI of an N-Triples line


class InputError(ValueError):
    """A path given on the command line that is not there: a usage error, not a rejected page."""


@dataclass
class Rejection:
    source: str  # file (or question identifier when it is a merged question that failed validation)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}"


@dataclass
class BuildReport:
    pages_read: int = 0
    questions_loaded: int = 0
    questions_changed: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: parse, map, validate, load


# ---------------------------------------------------------------- finding the pages
def is_page_file(path: Path) -> bool:
    """Inside a folder only page-like files count; a file named explicitly is always read."""
    return path.suffix.lower() in PAGE_SUFFIXES and not NON_PAGE_NAME.match(path.name)


@dataclass(frozen=True)
class PageInput:
    """One page to parse: a file, or a response kept in a harvest archive (harvest/). Picklable: it goes to the
    pool workers, which read the bytes themselves."""

    source: str  # what a rejection names: the file, or the URL fetched (and its WARC file)
    path: str  # the file, or the WARC file
    offset: int | None = None  # the response record's offset in the WARC file (an archived page)
    url: str | None = None  # the URL fetched (archived pages)
    fetched: str | None = None  # when its bytes were first fetched (ISO 8601 UTC)
    content_type: str | None = None  # the HTTP Content-Type (its charset counts when decoding)

    @property
    def is_html(self) -> bool:
        return self.offset is not None or Path(self.path).suffix.lower() in HTML_SUFFIXES


def is_archive(folder: Path) -> bool:
    """A harvest archive: a folder with the harvester's state file (harvest/state.py)."""
    from harvest.state import STATE_FILE

    return (folder / STATE_FILE).is_file()


def archive_pages(folder: Path) -> list[PageInput]:
    """The latest good response of every URL of a harvest archive (the state says where it is in the WARCs)."""
    from harvest.state import State

    state = State(folder, lock=False, read_only=True)
    try:
        return [PageInput(f"{row.url} ({folder / row.good_warc}@{row.good_offset})", str(folder / row.good_warc),
                          row.good_offset, row.url, row.good_fetched, row.content_type) for row in state.good_pages()]
    finally:
        state.close()


def collect_pages(paths: Sequence[Path | PageInput]) -> list[Path | PageInput]:
    """Every page under `paths` (files as given, folders searched recursively, a harvest archive's latest good
    responses), sorted and without duplicates, so that the same folder always builds in the same order.
    Files come back as paths, archived responses as `PageInput`s; `parse_file` takes both."""
    found: dict[Path | PageInput, None] = {}
    for path in paths:
        if isinstance(path, PageInput):
            found.setdefault(path, None)
            continue
        path = Path(path)
        if path.is_dir():
            for archive in sorted({p.parent for p in path.rglob("harvest.sqlite")}):
                found.update(dict.fromkeys(archive_pages(archive)))
            for child in sorted(p for p in path.rglob("*") if p.is_file() and is_page_file(p)):
                found.setdefault(child, None)
        elif path.is_file():
            found.setdefault(path, None)
        else:
            raise InputError(f"{path}: no such file or folder")
    return list(found)


# ---------------------------------------------------------------- the units of work (run in pool workers)
@dataclass(frozen=True)
class _Parsed:
    source: str
    question: Question | None
    rejection: Rejection | None


@dataclass(frozen=True)
class _Mapped:
    iri: str
    ntriples: bytes  # the question's own graph
    rejection: Rejection | None
    map_seconds: float
    validate_seconds: float
    staged: StagedGraph | None = None  # the bulk path's N-Quads for this graph (store/bulk.py), when it stages
    stage_seconds: float = 0.0
    shared: tuple[tuple[str, bytes], ...] = ()  # what it says of shared resources (mapping.rdf.QuestionGraphs)
    placeholders: tuple[tuple[str, bytes], ...] = ()  # the questions it links to, until their pages are read


@dataclass
class _WorkerState:
    """What pool workers inherit through fork: the IRI factory and the validator with its shapes loaded once."""

    iris: Iris
    validator: Validator
    stage: bool = False  # also stage each valid graph for a bulk load


_STATE: _WorkerState | None = None


def _rejection_from_parse_error(exc: ParseError, source: str) -> Rejection:
    reason = f"{exc.reason} (line {exc.line})" if exc.line else exc.reason
    return Rejection(exc.source or source, exc.field, reason)


def _unexpected(source: str, stage: str, exc: Exception) -> Rejection:
    """A bug met on one unit still rejects only that unit, but says plainly that it is a bug."""
    return Rejection(source, stage, f"internal error {type(exc).__name__}: {exc} (a bug in senate-kg, please report)")


def read_page(page: PageInput) -> tuple[bytes, str | None]:
    """The page's bytes and Content-Type: a file's, or the archived response's (content-encoding undone)."""
    if page.offset is None:
        return Path(page.path).read_bytes(), page.content_type
    from harvest.archive import Location, read_response

    stored = read_response(Path(page.path).parent, Location(Path(page.path).name, page.offset))
    return stored.body, stored.header("Content-Type") or page.content_type


def _with_fetch(question: Question, page: PageInput) -> Question:
    """Say where and when the page was fetched: the senate.be URL (a mirror's or the stand-in's page named as
    the same page on senate.be, harvest.site.canonical_url) and the time its bytes were first fetched."""
    from harvest.site import canonical_url, page_key

    url = canonical_url(page.url) if page.url and page_key(page.url) else None
    sources = tuple(dataclasses.replace(p, url=url, fetched=page.fetched) for p in question.sources)
    return dataclasses.replace(question, sources=sources)


def parse_file(page: PageInput | Path | str) -> _Parsed:
    """Read, render (HTML) and parse one page; any failure becomes a Rejection naming the file or URL."""
    from mapping.parse import parse_page

    page = page if isinstance(page, PageInput) else PageInput(str(page), str(page))
    source = page.source
    try:
        raw, content_type = read_page(page)
    except (OSError, ValueError, StopIteration) as exc:  # a missing file, an unreadable WARC record
        return _Parsed(source, None, Rejection(source, "file", getattr(exc, "strerror", None) or str(exc)))
    try:
        if page.is_html:
            from mapping.html import render_html

            question = parse_page(render_html(raw, source, content_type), source)
        else:
            question = parse_page(raw, source)
        if page.url or page.fetched:
            question = _with_fetch(question, page)
        return _Parsed(source, question, None)
    except ParseError as exc:
        return _Parsed(source, None, _rejection_from_parse_error(exc, source))
    except Exception as exc:  # noqa: BLE001 - one page must never stop the batch
        return _Parsed(source, None, _unexpected(source, "parse", exc))


def question_sources(question: Question) -> str:
    """The files a question was read from: what a rejection of the merged question names."""
    return ", ".join(sorted({page.source for page in question.sources})) or question.identifier


def describe_violations(violations: Sequence[Violation]) -> tuple[str, str]:
    """(field, reason) in plain words: the distinct paths, then each node and its message."""
    paths = sorted({v.path for v in violations if v.path})
    field_text = ", ".join(paths) or "shape"
    one_path = len(paths) <= 1  # the field already says which property: do not repeat it in every part
    reason = "; ".join(f"{v.focus_label or v.focus_node}{'' if one_path or not v.path else ' ' + v.path}: "
                       f"{v.message}" for v in violations)
    return field_text, reason


def map_and_validate(chunk: Sequence[Question]) -> list[_Mapped]:
    """Map each question to its triples, then validate the chunk in one call (pyshacl is much cheaper per graph
    in batches); each result stays tied to its own question. The triples go to the validator as they are and
    to the store as canonical N-Triples: no rdflib Graph is built on this path."""
    from mapping.rdf import question_graphs, question_triples

    assert _STATE is not None, "map_and_validate runs after _install_state"
    iris = _STATE.iris
    triples_of, kept, out = [], [], {}
    for question in chunk:
        started = time.perf_counter()
        iri = iris.question(question.identifier)
        try:
            triples = question_triples(question, iris)
            graphs = question_graphs(triples, question, iris)
        except ParseError as exc:
            out[iri] = _Mapped(iri, b"", _rejection_from_parse_error(exc, question_sources(question)),
                               time.perf_counter() - started, 0.0)
            continue
        except Exception as exc:  # noqa: BLE001 - one question must never stop the batch
            out[iri] = _Mapped(iri, b"", _unexpected(question_sources(question), "map", exc),
                               time.perf_counter() - started, 0.0)
            continue
        triples_of.append(triples)
        kept.append((question, graphs, time.perf_counter() - started))
    started = time.perf_counter()
    reports = _STATE.validator.validate_many(triples_of) if triples_of else []
    share = (time.perf_counter() - started) / max(len(triples_of), 1)
    for (question, graphs, map_seconds), violations in zip(kept, reports, strict=True):
        iri = graphs.iri
        if violations:
            rejection = Rejection(question_sources(question), *describe_violations(violations))
            out[iri] = _Mapped(iri, graphs.own, rejection, map_seconds, share)
        elif _STATE.stage:
            out[iri] = _staged(question, graphs, map_seconds, share)
        else:
            out[iri] = _Mapped(iri, graphs.own, None, map_seconds, share, shared=graphs.shared,
                               placeholders=graphs.placeholders)
    return [out[iris.question(q.identifier)] for q in chunk]


def _staged(question: Question, graphs: QuestionGraphs, map_seconds: float, validate_seconds: float) -> _Mapped:
    """A valid graph with its bulk-load lines; a graph the store would refuse rejects its question alone. The
    shared graphs go to the parent as they are: it merges what every question says of them before staging."""
    from store import GraphDataError
    from store.bulk import stage_graph
    from store.meta import now

    started = time.perf_counter()
    iri = graphs.iri
    try:
        staged = stage_graph(iri, graphs.own, now())
    except GraphDataError as exc:
        return _Mapped(iri, graphs.own, Rejection(question_sources(question), "rdf", str(exc)), map_seconds,
                       validate_seconds)
    return _Mapped(iri, graphs.own, None, map_seconds, validate_seconds, staged, time.perf_counter() - started,
                   graphs.shared, graphs.placeholders)


# ---------------------------------------------------------------- merge (in the parent)
def merge_all(records: Iterable[Question]) -> tuple[list[Question], list[Rejection]]:
    """Merge the page records question by question, so that a conflict between the pages of one question
    rejects that question (the error names all its pages) and nothing else."""
    from mapping.merge import merge_questions

    rejections: list[Rejection] = []

    def reject(exc: ParseError) -> None:
        rejections.append(_rejection_from_parse_error(exc, exc.source))

    return merge_questions(records, on_error=reject), rejections


# ---------------------------------------------------------------- running the stages
def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _NoBar:
    """Stands in for a progress bar when there is no terminal to draw it on."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(*, total: int, desc: str, unit: str, enabled: bool):
    """The one place a progress bar is chosen: tqdm on stderr when asked for, a silent stand-in otherwise."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


def default_workers() -> int:
    """Every core this process may use (the container may allow fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Runner:
    """Maps a function over items in a fork pool, or in this process when a pool would not pay off."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None

    def imap(self, func: Callable[[T], object], items: Sequence[T], chunksize: int = 1) -> Iterator[object]:
        if self.pool is None:
            return map(func, items)
        return self.pool.imap(func, items, chunksize=chunksize)

    def imap_bounded(self, func: Callable[[T], object], items: Iterable[T], window: int) -> Iterator[object]:
        """Like imap, in order, but with at most `window` tasks in flight: when the consumer (the store) is
        slower than the workers, results do not pile up in memory, and the idle workers leave it the CPU."""
        if self.pool is None:
            yield from map(func, items)
            return
        in_flight: deque = deque()
        for item in items:
            if len(in_flight) >= window:
                yield in_flight.popleft().get()
            in_flight.append(self.pool.apply_async(func, (item,)))
        while in_flight:
            yield in_flight.popleft().get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def _install_state(iris: Iris, *, stage: bool) -> None:
    """Load the shapes and the EuroVoc index once, in the parent, before forking: every worker shares them."""
    global _STATE
    from mapping.eurovoc import load_index
    from mapping.validate import Validator

    load_index()
    if stage:
        import store.bulk  # noqa: F401 - imported once before forking, not in every worker

    _STATE = _WorkerState(iris=iris, validator=Validator(iris), stage=stage)


def build(paths: Sequence[Path], store: Store | None, iris: Iris, *, progress: bool = False,
          workers: int | None = None, on_staged: Callable[[Path, int], None] | None = None) -> BuildReport:
    """Parse, merge, map, validate every page under `paths`; load each valid question (store=None:
    validate only). One broken page never stops the batch.

    `workers`: processes for parse/map/validate (default: every usable core; 1 = no pool).
    `on_staged(file, quads)`: on the bulk path, called with the staged N-Quads (what the store will hold) just
    before the bulk load, so that publishing can start on the dumps meanwhile (the load uses ~1 core).
    Timings: parse, merge and load are wall-clock seconds; map and validate run together in the pool, so they
    are reported as the pool's wall-clock share of each (worker seconds / workers). Loading overlaps mapping.
    """
    started = time.perf_counter()
    pages = collect_pages(paths)
    report = BuildReport(pages_read=len(pages))
    workers = workers or default_workers()
    if len(pages) < PARALLEL_MIN_PAGES:
        workers = 1
    bulk = store.bulk_loader() if store is not None else None
    _install_state(iris, stage=bulk is not None)
    runner = _Runner(workers)
    try:
        questions = _parse_stage(runner, pages, report, progress)
        t0 = time.perf_counter()
        merged, rejected = merge_all(questions)
        report.rejections.extend(rejected)
        report.timings["merge"] = time.perf_counter() - t0
        _map_load_stage(runner, merged, store, bulk, report, progress, on_staged)
        runner.close()
    except BaseException:
        runner.terminate()
        if bulk is not None:
            bulk.abort()
        raise
    report.timings["total"] = time.perf_counter() - started
    return report


def _parse_stage(runner: _Runner, pages: Sequence[Path | PageInput], report: BuildReport,
                 progress: bool) -> list[Question]:
    t0 = time.perf_counter()
    questions: list[Question] = []
    chunksize = max(1, min(64, len(pages) // (runner.workers * 8) or 1))
    bar = progress_bar(total=len(pages), desc="parse", unit="page", enabled=progress)
    for parsed in runner.imap(parse_file, [p if isinstance(p, PageInput) else str(p) for p in pages],
                              chunksize=chunksize):
        bar.update()
        if parsed.rejection is not None:
            report.rejections.append(parsed.rejection)
        else:
            questions.append(parsed.question)
    bar.close()
    report.timings["parse"] = time.perf_counter() - t0
    return questions


def _map_load_stage(runner: _Runner, questions: Sequence[Question], store: Store | None, bulk: BulkLoad | None,
                    report: BuildReport, progress: bool, on_staged: Callable[[Path, int], None] | None) -> None:
    """Map and validate in the pool; load what is valid as it comes (through `bulk` when the store is empty).
    Timings: `load` is the parent's store time plus, on the bulk path, the workers' staging share."""
    from store.merge import GraphMerger

    size = max(1, min(MAP_CHUNK, -(-len(questions) // (runner.workers * 2))))
    map_seconds = validate_seconds = load_seconds = stage_seconds = 0.0
    pending: list[_Mapped] = []
    assert _STATE is not None, "_map_load_stage runs after _install_state"
    iris = _STATE.iris
    merger = GraphMerger(store if bulk is None else None, {iris.question(q.identifier) for q in questions})
    if bulk is not None:
        stage_shared(bulk, vocabulary_graph(iris))
    elif store is not None:
        store.replace_graphs(vocabulary_graph(iris))  # replaced whole, like a question: it is one file

    def flush() -> None:
        """Shared graphs and placeholders first, then the questions that link to them."""
        nonlocal load_seconds
        t0 = time.perf_counter()
        for mapped in pending:
            merger.add(mapped.shared, mapped.placeholders)
        if bulk is not None:
            for mapped in pending:
                bulk.add(mapped.iri, mapped.staged)
        elif store is not None and pending:
            store.replace_graphs(merger.take())
            report.questions_changed += store.replace_graphs((m.iri, m.ntriples) for m in pending)
        load_seconds += time.perf_counter() - t0
        pending.clear()

    bar = progress_bar(total=len(questions), desc="map+validate", unit="question", enabled=progress)
    for results in runner.imap_bounded(map_and_validate, _chunks(questions, size), window=runner.workers * 3):
        bar.update(len(results))
        for mapped in results:
            map_seconds += mapped.map_seconds
            validate_seconds += mapped.validate_seconds
            stage_seconds += mapped.stage_seconds
            if mapped.rejection is not None:
                report.rejections.append(mapped.rejection)
                continue
            report.questions_loaded += 1
            pending.append(mapped)
        if len(pending) >= LOAD_BATCH:
            flush()
    flush()
    bar.close()
    if bulk is not None:
        t0 = time.perf_counter()
        stage_shared(bulk, merger.take())
        if on_staged is not None:
            on_staged(*bulk.finish_staging())
        bulk.commit()
        report.questions_changed += report.questions_loaded  # a first build: every question is new
        load_seconds += time.perf_counter() - t0
    report.timings["map"] = map_seconds / runner.workers
    report.timings["validate"] = validate_seconds / runner.workers
    report.timings["load"] = load_seconds + stage_seconds / runner.workers


def vocabulary_graph(iris: Iris) -> tuple[tuple[str, bytes]]:
    """The local vocabulary (ontology/senate-kg.ttl) as the one graph `{base}def/` that describes its terms: the
    activity types, statuses and match methods every question links to are labelled there, once."""
    from mapping.rdf import graph_ntriples, load_ontology

    return ((iris.vocab(), graph_ntriples(load_ontology(iris))),)


def stage_shared(bulk: BulkLoad, graphs: Iterable[tuple[str, bytes]]) -> None:
    """The merged shared graphs and the placeholders, staged in the parent once every question was mapped."""
    from store.bulk import stage_graph
    from store.meta import now

    when = now()
    for iri, data in graphs:
        bulk.add(iri, stage_graph(iri, data, when))


# ---------------------------------------------------------------- the layout a store was written in
PREVIOUS_LAYOUT_QUERY = QUERIES_DIR / "store" / "previous-layout.rq"


def written_by_previous_layout(store: Store) -> bool:
    """True for a store whose question graphs still hold copies of the senators and legislatures they link to
    (before "one fact, one place"): its union default graph would count them once per question."""
    return bool(store.select(PREVIOUS_LAYOUT_QUERY.read_text(encoding="utf-8")))


def previous_layout_message(where: str) -> str:
    return (f"{where}: this store was written by an older senate-kg layout (each question's graph repeats the "
            f"senators, parties and concepts it links to); rebuild it from the pages into a new store")


# ---------------------------------------------------------------- push
def _graph_query() -> str:
    return GRAPH_QUERY_FILE.read_text(encoding="utf-8")


def merged_metadata(source_meta: bytes, target_meta: bytes) -> bytes:
    """The target's metadata graph with every entry the source has taken from the source: the pushed graphs get
    their source ETags and dates, and whatever else the target holds keeps its own (the target may be shared)."""
    source_lines = [line for line in source_meta.splitlines() if line.strip()]
    described = {m[1] for line in source_lines if (m := _SUBJECT.match(line))}
    kept = [line for line in target_meta.splitlines()
            if line.strip() and not ((m := _SUBJECT.match(line)) and m[1] in described)]
    return b"".join(sorted({line + b"\n" for line in kept + source_lines}))


def push(source: Store, target: Store, *, batch: int = 200) -> int:
    """Copy every named graph (and the metadata graph) from `source` to `target`, replacing what the target
    held under those names. Returns the number of graphs sent."""
    from rdflib import URIRef

    query = _graph_query()
    graphs = sorted(source.named_graphs())
    for chunk in _chunks(graphs, batch):
        target.replace_graphs([(iri, source.construct(query, {"_g": URIRef(iri)})) for iri in chunk])
    # Last, so that the target's ETags and dates are the source's (its own bookkeeping above is overwritten).
    from store.meta import meta_ntriples

    source_meta = "".join(line + "\n" for info in source.all_graph_infos().values()
                          for line in meta_ntriples(info.iri, info.etag, info.modified)).encode("utf-8")
    merged = merged_metadata(source_meta, target.construct(query, {"_g": URIRef(META_GRAPH)}))
    target.replace_graphs([(META_GRAPH, merged)])
    return len(graphs) + 1
