"""Plain helpers for the stress tests (fixtures are in conftest.py): scale, figures, synthetic versions, store checks.

Why the store is checked the way it is: "every question graph is the old or the new version, never half of one"
is only testable against an independent statement of what each version is. So the expected graph of every
question is computed here in-process, by the same parse -> merge -> map functions the pipeline runs (no store
involved), and hashed exactly as the store hashes its graphs (store/meta.py: sorted N-Triples lines of the
triples pyoxigraph parsed). A stored graph whose hash is neither the old nor the new one is half of something.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
STRESS_BASE = "http://stress.senate-kg.test/"
QUESTION_GRAPH = "/eli/dl/doc/WQ-"  # in a graph's name: a question's own graph (docs/profile.md "Graphs")
LONG = os.environ.get("SENATE_KG_STRESS", "").lower() == "long"
STATS_FILE = os.environ.get("SENATE_KG_STRESS_STATS")  # bench/stress_report.py collects the figures from here

# Version B of the synthetic pages: every title changes (the synthetic titles all start with these words).
TITLE_CHANGES = (("Politique synthétique : ", "Politique synthétique révisée : "),
                 ("Synthetisch beleid: ", "Herzien synthetisch beleid: "))


def scaled(short: int | float, long: int | float):
    """The short form runs by default (CI); SENATE_KG_STRESS=long selects the long one."""
    return long if LONG else short


def record(section: str, **figures: object) -> None:
    """Append one line of figures for bench/stress_report.py (only when it asked for them)."""
    if STATS_FILE:
        with open(STATS_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps({"section": section, "long": LONG, **figures}, default=str) + "\n")


def load_bench(name: str) -> ModuleType:
    """A script from bench/ as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"senate_kg_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- pages and what the pipeline makes of them
def write_version_b(pages_a: Path, out_dir: Path) -> list[Path]:
    """The same questions with changed titles: every question graph of B differs from A's."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted(pages_a.glob("*.txt")):
        text = page.read_text(encoding="utf-8")
        for old, new in TITLE_CHANGES:
            text = text.replace(old, new)
        target = out_dir / page.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def graph_hash(triples: Iterable[ox.Triple]) -> str:
    """A graph's content hash, computed as the store computes its etag (store/meta.py)."""
    from store.meta import content_etag

    return content_etag(f"{t} ." for t in triples)


def expected_graphs(pages_dir: Path, base: str = STRESS_BASE) -> dict[str, str]:
    """{question IRI: hash} of the graph the pipeline maps for each question of the folder (parse, merge, map;
    no store). Raises if any page or question is rejected: the synthetic pages are all valid."""
    from mapping.iris import Iris
    from mapping.rdf import question_graphs, question_triples
    from senate_kg.pipeline import collect_pages, merge_all, parse_file

    iris = Iris(base)
    parsed = [parse_file(str(p)) for p in collect_pages([pages_dir])]
    rejected = [str(p.rejection) for p in parsed if p.rejection]
    questions, merge_rejected = merge_all(p.question for p in parsed if p.question)
    assert not rejected and not merge_rejected, (rejected + [str(r) for r in merge_rejected])[:5]
    out = {}
    for question in questions:
        data = question_graphs(question_triples(question, iris), question, iris).own  # its own graph only
        out[iris.question(question.identifier)] = graph_hash(q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES))
    return out


# ---------------------------------------------------------------- what the store holds
@dataclass
class Snapshot:
    """Every named graph's content hash, the etag the store's metadata gives for it (`Store.graph_info`), and
    the graphs the store lists (`Store.named_graphs`)."""

    graphs: dict[str, str] = field(default_factory=dict)  # the question graphs
    shared: dict[str, str] = field(default_factory=dict)  # the graphs of shared resources and the vocabulary
    meta: dict[str, str] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)
    quads: int = 0
    dump_bytes: int = 0  # size of the whole store as N-Quads


def snapshot(store_dir: Path, known: Iterable[str] = ()) -> Snapshot:
    """Open the store the way the server does (read-only, through the project's store interface), dump it as
    N-Quads and hash each graph; read the metadata of every stored graph and of every `known` IRI (so that
    metadata left for a graph that is absent shows). Opening, reading and dumping must all work on a store a
    crash left behind."""
    from store import META_GRAPH, open_store

    store = open_store(store_dir, read_only=True)
    try:
        with tempfile.TemporaryDirectory(prefix="senate-kg-snapshot-") as scratch:
            dump = Path(scratch) / "all.nq"
            store.dump(dump)
            quads = list(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
            size = dump.stat().st_size
        snap = Snapshot(listed=set(store.named_graphs()), quads=len(quads), dump_bytes=size)
        by_graph: dict[str, list[ox.Triple]] = {}
        for quad in quads:
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            if name and name != META_GRAPH:
                by_graph.setdefault(name, []).append(quad.triple)
        hashes = {name: graph_hash(triples) for name, triples in by_graph.items()}
        snap.graphs = {name: h for name, h in hashes.items() if QUESTION_GRAPH in name}
        snap.shared = {name: h for name, h in hashes.items() if QUESTION_GRAPH not in name}
        for iri in sorted(set(hashes) | snap.listed | set(known)):
            if (info := store.graph_info(iri)) is not None:
                snap.meta[iri] = info.etag
    finally:
        store.close()
    return snap


def problems(snap: Snapshot, versions: Mapping[str, Mapping[str, str]], *, required: Iterable[str] = ()) -> list[str]:
    """What is wrong with a store that must hold, for each question, nothing or exactly one of `versions`
    ({name: {iri: hash}}), with metadata that matches; `required` graphs must be present."""
    found = []
    known = set().union(*(v.keys() for v in versions.values()))
    for iri, digest in sorted(snap.graphs.items()):
        if iri not in known:
            found.append(f"{iri}: a graph no version has")
        elif not any(v.get(iri) == digest for v in versions.values()):
            found.append(f"{iri}: content {digest} is none of the versions ({', '.join(versions)}): half-written")
        if snap.meta.get(iri) != digest:
            found.append(f"{iri}: metadata etag {snap.meta.get(iri)} does not match its content {digest}")
    for iri, digest in sorted(snap.shared.items()):  # the union of what the questions loaded say: whole, listed
        if snap.meta.get(iri) != digest:
            found.append(f"{iri}: metadata etag {snap.meta.get(iri)} does not match its content {digest}")
    stored = set(snap.graphs) | set(snap.shared)
    found += [f"{iri}: metadata for a graph that is not stored" for iri in sorted(set(snap.meta) - stored)]
    if snap.listed != stored:
        found.append(f"named_graphs() lists {len(snap.listed)} graphs, the dump holds {len(stored)}")
    found += [f"{iri}: missing" for iri in sorted(set(required) - set(snap.graphs))]
    return found


def version_counts(snap: Snapshot, versions: Mapping[str, Mapping[str, str]]) -> dict[str, int]:
    """How many stored graphs are in each version (for the report)."""
    return {name: sum(1 for iri, h in snap.graphs.items() if v.get(iri) == h) for name, v in versions.items()}


# ---------------------------------------------------------------- running and killing the command line
def build_command(store_dir: Path, pages: Path, base: str = STRESS_BASE) -> list[str]:
    return [sys.executable, "-m", "senate_kg", "build", "--quiet", "--store", str(store_dir), "--base-uri", base,
            str(pages)]


def run_build(store_dir: Path, pages: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(build_command(store_dir, pages), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def bulk_dir(store_dir: Path) -> Path:
    """Where a bulk load works beside the store (store/bulk.py)."""
    from store.bulk import scratch_dir

    return scratch_dir(store_dir)


def written_bytes(store_dir: Path) -> int:
    """Bytes the build has written towards the store: the store's write-ahead logs (they grow as soon as a write
    transaction is committed) and, on the bulk path of a first build (store/bulk.py), everything in the scratch
    folder `DIR.bulk/` (the staged graphs, then the new store before it takes the empty one's place)."""
    total = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        total += sum(e.stat().st_size for e in os.scandir(store_dir) if e.name.endswith(".log"))
    scratch = bulk_dir(store_dir)
    for folder, _, files in os.walk(scratch):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except FileNotFoundError:  # moved or removed while we walk
                continue
    return total


def dumps_dir(store_dir: Path) -> Path:
    """Where publishing writes next to the store (senate_kg/publish.py): `DIR.dumps/`."""
    return store_dir.with_name(store_dir.name + ".dumps")


def scratch_entries(store_dir: Path) -> list[str]:
    """Temporary files and folders a build left behind: publishing's in `DIR.dumps/` (dot names: `.dump-*`,
    `.*.partial`) and a bulk load's scratch folder `DIR.bulk/` (store/bulk.py)."""
    folder = dumps_dir(store_dir)
    found = sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) if folder.is_dir() else []
    bulk = bulk_dir(store_dir)
    return found + ([bulk.name] if bulk.exists() else [])


@dataclass
class Kill:
    trigger: str  # "time": after a random delay; "write": a random delay after the store's first write;
    # "bulk": a random delay after a bulk load starts loading (its new store appears in DIR.bulk/);
    # "publish": a random delay after publishing starts writing its dumps
    delay: float  # seconds from start (time) or from the first write (write)
    at: float = 0.0  # seconds from start when the SIGKILL was sent
    finished_first: bool = False  # the build ended before the kill came
    orphans: int = 0  # processes of the build's session still alive 10 s after the kill


def _session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_publish(proc: subprocess.Popen, store_dir: Path, limit: float) -> bool:
    """Poll (every 2 ms) until publishing has a new scratch folder in `DIR.dumps/`."""
    before = set(scratch_entries(store_dir))
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if set(scratch_entries(store_dir)) - before:
            return True
        time.sleep(0.002)
    return False


def _wait_for_write(proc: subprocess.Popen, store_dir: Path, limit: float) -> bool:
    """Poll (every 2 ms) until the build writes towards the store (`written_bytes` grows): the first write
    transaction went to disk, or the bulk path staged its first graphs. Measured from the smallest size seen,
    since opening a store may first move an old log into a table file."""
    lowest = written_bytes(store_dir)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        size = written_bytes(store_dir)
        if size > lowest + 1024:
            return True
        lowest = min(lowest, size)
        time.sleep(0.002)
    return False


def bulk_state(store_dir: Path) -> str:
    """Where a bulk load is (store/bulk.py): "none", "staging" (its scratch folder, no store yet) or "loading"
    (its new store is being written, or was exchanged with the empty one that now waits for removal)."""
    scratch = bulk_dir(store_dir)
    if not scratch.exists():
        return "none"
    return "loading" if (scratch / "store").exists() else "staging"


def _wait_for_bulk_load(proc: subprocess.Popen, store_dir: Path, limit: float) -> bool:
    """Poll (every 2 ms) until the bulk load has started writing its new store."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if bulk_state(store_dir) == "loading":
            return True
        time.sleep(0.002)
    return False


def kill_build(store_dir: Path, pages: Path, kill: Kill, limit: float = 900) -> Kill:
    """Start `senate-kg build` in its own session and SIGKILL its main process as `kill` says (only the main
    process, as the kernel's OOM killer or a crashed machine would end it); then count the pool workers it
    leaves behind, and end them (by their session id) so that the next run starts clean."""
    started = time.monotonic()
    proc = subprocess.Popen(build_command(store_dir, pages), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        waits = {"write": _wait_for_write, "bulk": _wait_for_bulk_load, "publish": _wait_for_publish}
        if kill.trigger in waits and not waits[kill.trigger](proc, store_dir, limit):
            kill.finished_first = proc.poll() is not None
        deadline = time.monotonic() + kill.delay
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.002)
        kill.finished_first = kill.finished_first or proc.poll() is not None
        kill.at = time.monotonic() - started
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        for _ in range(100):  # pool workers see their pipe close and exit on their own
            if not _session_alive(proc.pid):
                break
            time.sleep(0.1)
        else:
            kill.orphans = _count_session(proc.pid)
    finally:
        if _session_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    return kill


def _count_session(pgid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    count += 1
            except ProcessLookupError:
                continue
    return count
