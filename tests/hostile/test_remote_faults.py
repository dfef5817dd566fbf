"""Faults of the remote store, on both engines the project is tested on (issue 13): `oxigraph serve` and Virtuoso.

- stopped (SIGKILL) in the middle of a `senate-kg push`: the push ends with exit 2 and one line saying how many
  graphs it wrote; after a restart the same push resumes (the graphs already there are skipped) and the store
  ends with every graph;
- restarted while `senate-kg serve --remote` serves it: 503 with Retry-After while it is away, then served again
  without restarting senate-kg;
- slow: the query time limit holds on the store's side too (Virtuoso gets it as its `timeout` parameter and
  stops the query; `oxigraph serve` runs with `--timeout-s`), and the store answers the next query at once;
- a result larger than the row cap: cut at the cap, and the response says so.

Every store here is private to this module (started on 127.0.0.1, stopped at the end).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_helpers import (
    MAX_ROWS,
    QUERY_TIMEOUT,
    ROOT,
    Process,
    oxigraph_binary,
    oxigraph_serve,
    request,
    senate_kg_serve,
    sparql_post,
    stop,
    wait_until,
)

from store import QueryTimeout
from store.credentials import from_file
from store.remote import RemoteStore

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
GRAPHS = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
ENGINES = ["oxigraph", "virtuoso"]


@dataclass
class EngineStore:
    """A private store of one engine that a test may kill and restart in place (same port, same data)."""

    engine: str
    url: str  # the SPARQL URL given to --endpoint / --remote
    credentials_file: Path | None
    kill: Callable[[], None]
    restart: Callable[[], None]

    def push_args(self) -> list[str]:
        extra = ["--credentials-file", str(self.credentials_file)] if self.credentials_file else []
        return ["--endpoint", self.url, "--engine", self.engine, *extra]

    def reader(self, timeout: float = 10) -> RemoteStore:
        return RemoteStore(self.url, engine=self.engine, timeout=timeout)

    def graph_count(self) -> int:
        store = self.reader(timeout=5)
        try:
            return int(store.select(GRAPHS)[0]["n"])
        finally:
            store.close()


def _oxigraph(folder: Path) -> Iterator[EngineStore]:
    process = oxigraph_serve(oxigraph_binary(), folder / "data", folder / "oxigraph.log", timeout_s=5)

    def kill() -> None:
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(10)

    def restart() -> None:
        stop(process.popen)
        process.popen = oxigraph_serve(oxigraph_binary(), folder / "data", process.log, port=process.port,
                                       timeout_s=5).popen

    yield EngineStore("oxigraph", process.url + "/query", None, kill, restart)
    stop(process.popen)


def _virtuoso(folder: Path) -> Iterator[EngineStore]:
    import virtuoso_instance

    if not virtuoso_instance.available():
        if os.environ.get("CI"):
            pytest.fail("virtuoso-t is missing: apt-get install -y virtuoso-opensource")
        pytest.skip("Virtuoso is not installed (apt-get install -y virtuoso-opensource)")
    instance = virtuoso_instance.start(folder)

    def restart() -> None:
        virtuoso_instance.stop(instance, signal.SIGKILL)
        virtuoso_instance.launch(instance)

    yield EngineStore("virtuoso", instance.url, instance.credentials_file,
                      lambda: virtuoso_instance.stop(instance, signal.SIGKILL), restart)
    virtuoso_instance.stop(instance)


@pytest.fixture(scope="module", params=ENGINES)
def engine_store(request, tmp_path_factory) -> Iterator[EngineStore]:
    starter = _oxigraph if request.param == "oxigraph" else _virtuoso
    yield from starter(tmp_path_factory.mktemp(f"faults-{request.param}"))


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory) -> Path:
    """800 synthetic questions built into an embedded store: enough graphs (~2,000) for a push to be stopped
    in the middle of."""
    spec = importlib.util.spec_from_file_location("senate_kg_bench_synthetic_faults", ROOT / "bench" / "synthetic.py")
    synthetic = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = synthetic
    spec.loader.exec_module(synthetic)
    folder = tmp_path_factory.mktemp("faults-corpus")
    synthetic.write_pages(800, folder / "pages", seed=13)
    from senate_kg.cli import main

    assert main(["build", "--quiet", "--store", str(folder / "store"), "--base-uri", "http://senate-kg.test/",
                 str(folder / "pages")]) in (0, 1)
    return folder / "store"


def _push(store_dir: Path, target: EngineStore) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "senate_kg", "push", "--quiet", "--store", str(store_dir),
                             *target.push_args()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _kill_when(target: EngineStore, graphs: int, seconds: float = 120) -> threading.Thread:
    """Kill the store once it holds `graphs` graphs (past the first batch of 200, whose bookkeeping is then
    written, so that a resumed push has something to skip)."""
    def watch() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if target.graph_count() >= graphs:
                    target.kill()
                    return
            except Exception:  # noqa: BLE001 - the store is busy being written: ask again
                pass
            time.sleep(0.02)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_push_the_store_broke_off_says_how_far_it_came_and_resumes(engine_store: EngineStore,
                                                                       corpus_store: Path) -> None:
    pushing = _push(corpus_store, engine_store)
    watcher = _kill_when(engine_store, 600)
    out, err = pushing.communicate(timeout=300)
    watcher.join(10)
    assert pushing.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    written = re.search(r"after writing (\d+) graphs \(in sorted order, the last <[^>]+>", lines[0])
    assert written and int(written.group(1)) >= 400, lines[0]
    assert "run the same push again to resume" in lines[0]
    engine_store.restart()
    again = _push(corpus_store, engine_store)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    done = re.search(r"^(\d+) graphs pushed .* \((\d+) written, (\d+) already there\)", out, re.MULTILINE)
    assert done, out
    sent, rewritten, skipped = (int(done.group(i)) for i in (1, 2, 3))
    assert skipped >= 200 and rewritten + skipped == sent - 1  # the bookkeeping graph is sent apart
    assert engine_store.graph_count() == sent  # every graph, the bookkeeping graph included (Virtuoso's own: not)


@pytest.fixture(scope="module")
def served(engine_store: EngineStore, sample_store_dir: Path, tmp_path_factory) -> Iterator[Process]:
    """The sample pushed to the store and served from it by `senate-kg serve --remote` (read-only: no
    credentials)."""
    from senate_kg.cli import main

    assert main(["push", "--quiet", "--store", str(sample_store_dir), *engine_store.push_args()]) == 0
    env = {"SENATE_KG_MAX_ROWS": str(MAX_ROWS), "SENATE_KG_REMOTE_ENGINE": engine_store.engine}
    process = senate_kg_serve(sample_store_dir, tmp_path_factory.mktemp("faults-serve") / "serve.log",
                              remote=engine_store.url, timeout=QUERY_TIMEOUT, env=env)
    yield process
    stop(process.popen)


def test_the_served_store_restarted_is_503_then_served_again(engine_store: EngineStore, served: Process) -> None:
    assert request(served.url, path="/eli/dl/doc/WQ-5-8900.ttl").status == 200
    engine_store.kill()
    try:
        for path in ("/health", "/eli/dl/doc/WQ-5-8900.ttl"):
            reply = request(served.url, path=path, timeout=30)
            assert reply.status == 503 and reply.headers.get("retry-after", "").isdigit(), (path, reply)
            assert reply.seconds <= QUERY_TIMEOUT + 2
    finally:
        engine_store.restart()
    wait_until(served.url + "/health", 60)
    assert request(served.url, path="/eli/dl/doc/WQ-5-8900.ttl").status == 200
    assert served.alive()  # the same senate-kg process


def test_a_slow_query_is_stopped_on_the_store_side(engine_store: EngineStore, served: Process) -> None:
    reply = sparql_post(served.url, ENDLESS, timeout=60)
    assert reply.status == 503 and reply.seconds <= QUERY_TIMEOUT + 2, reply
    assert reply.headers.get("retry-after", "").isdigit()
    store = engine_store.reader(timeout=5)  # 5 s: Virtuoso answers a stopped query after twice its limit, >= 2 s
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as caught:
        store.query(ENDLESS, "application/sparql-results+json", timeout=5)
    assert time.monotonic() - started < 6.5
    if engine_store.engine == "virtuoso":  # cancelled by the engine itself, not only abandoned by us
        assert "stopped the query at the time limit" in str(caught.value)
    started = time.monotonic()
    assert engine_store.graph_count() > 0 and time.monotonic() - started < 2  # the store is not still busy
    store.close()


def test_a_result_larger_than_the_row_cap_is_cut_and_says_so(served: Process) -> None:
    # bounded (500 rows, ten times the cap): Virtuoso computes a whole result before it sends the first row, so
    # an unbounded one over this store would meet the 2 s limit first
    reply = request(served.url, path="/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%20500",
                    headers={"Accept": "text/csv"}, timeout=30)
    assert reply.status == 200, reply
    assert reply.headers.get("x-senate-kg-truncated"), reply.headers
    assert reply.text.count("\r\n") == MAX_ROWS + 1  # header + the cap


def _password(engine_store: EngineStore) -> str:
    """The store's real write password (Virtuoso), or one made up for `oxigraph serve`, which has none."""
    if engine_store.credentials_file:
        return from_file(engine_store.credentials_file).password
    return "made-up-password-for-oxigraph-4d1c"


def test_serve_refuses_to_start_with_the_write_credentials(engine_store: EngineStore, sample_store_dir: Path
                                                          ) -> None:
    """A process started with the password in its environment keeps it (in /proc/PID/environ, in every worker
    it forks), so `serve` is not started then: exit 2, one line naming the variable, never its value; the
    server that runs (fixture `served`) was started without them and holds none."""
    secret = _password(engine_store)
    env = {**os.environ, "SENATE_KG_REMOTE_USER": "writer", "SENATE_KG_REMOTE_PASSWORD": secret}
    done = subprocess.run([sys.executable, "-m", "senate_kg", "serve", "--remote", engine_store.url, "--engine",
                           engine_store.engine, "--store", str(sample_store_dir), "--port", "9"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "SENATE_KG_REMOTE_PASSWORD" in done.stderr
    assert secret not in done.stderr + done.stdout
