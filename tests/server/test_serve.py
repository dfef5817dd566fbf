"""`senate-kg serve` for real (server/serving.py): gunicorn with several worker processes on a free 127.0.0.1 port,
real HTTP requests, and what is left once it is stopped (nothing), on both backends. Also the query worker pool's
own guarantee (store/workers.py): no query worker outlives the process that started it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_BASE = "http://senate-kg.test/"  # the sample's base (conftest.py)
QUESTION = "/eli/dl/doc/WQ-5-8900"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
WORKERS = 2


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    log: Path
    backend: str = "embedded"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, accept: str | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def start(log: Path, *args: str, timeout: float = 5.0, port: int | None = None) -> Served:
    port = port or free_port()
    command = [sys.executable, "-m", "senate_kg", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(WORKERS), "--threads", "2", "--query-timeout", str(timeout), *args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if get(served.url + "/health", timeout=2)[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.2)
    stop(served)
    raise AssertionError(f"no /health within 90 s:\n{log.read_text()}")


def stop(served: Served) -> None:
    """SIGTERM to the master only (its workers are its business), SIGKILL to the group if it hangs."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(served.process.pid, signal.SIGKILL)
            served.process.wait(10)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc), zombies excluded."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def query_workers(pid: int) -> list[int]:
    return [p for p in descendants(pid) if "store.workers" in command_line(p)]


def sparql(url: str, query: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    return get(f"{url}/sparql?" + urllib.parse.urlencode({"query": query}), "application/sparql-results+json",
               timeout=timeout)


@pytest.fixture(scope="module", params=["embedded", "remote"])
def served(request, sample_store_dir: Path, tmp_path_factory) -> Iterator[Served]:
    if request.param == "embedded":
        where = ["--store", str(sample_store_dir)]
    else:  # the search index stays beside the local store
        where = ["--store", str(sample_store_dir), "--remote", request.getfixturevalue("remote_endpoint"),
                 "--base-uri", TEST_BASE]
    running = start(tmp_path_factory.mktemp("serve") / f"{request.param}.log", *where)
    running.backend = request.param
    yield running
    stop(running)


# ---------------------------------------------------------------- serving
def test_several_processes_serve_the_question_and_sparql(served: Served) -> None:
    status, _, body = get(served.url + "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, headers, body = get(served.url + QUESTION, "text/turtle")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert b'"5-8900"' in body and b"@prefix" in body
    status, headers, body = get(served.url + QUESTION, "application/ld+json")
    assert status == 200 and json.loads(body)["@context"] == TEST_BASE + "ns/context.jsonld"
    status, _, body = sparql(served.url, "ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is True
    assert len(server_workers(served)) == WORKERS  # gunicorn's worker processes


def server_workers(served: Served, seconds: float = 30) -> list[int]:
    """gunicorn's worker processes, once there are WORKERS of them (the first may answer before the last is up)."""
    deadline = time.monotonic() + seconds
    while True:
        found = [p for p in descendants(served.process.pid) if "store.workers" not in command_line(p)]
        if len(found) >= WORKERS or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_concurrent_requests_are_all_answered(served: Served) -> None:
    """More connections at once than one process has threads: all answered, whichever process took them."""
    results: list[int] = []

    def fetch(path: str, accept: str) -> None:
        results.append(get(served.url + path, accept)[0])

    paths = [(QUESTION, "text/turtle"), (QUESTION, "text/html"), (QUESTION + ".jsonld", "*/*"),
             ("/api/search?q=m%C3%A9dias", "application/json")] * 4
    threads = [threading.Thread(target=fetch, args=item) for item in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [200] * len(paths)


def test_a_query_timeout_is_a_503_with_retry_after(served: Served) -> None:
    if served.backend == "remote":
        pytest.skip("the shared `oxigraph serve` has no time limit of its own: tests/hostile runs this on one that has")
    status, headers, body = sparql(served.url, ENDLESS)
    assert status == 503 and headers["Retry-After"].isdigit(), body[:300]


# ---------------------------------------------------------------- stopping
def test_sigterm_lets_the_request_in_progress_finish_and_leaves_no_process(sample_store_dir: Path,
                                                                           tmp_path: Path) -> None:
    running = start(tmp_path / "serve.log", "--store", str(sample_store_dir), timeout=3)
    try:
        assert sparql(running.url, "ASK { ?s ?p ?o }")[0] == 200  # the query workers of one process are up
        outcome: dict[str, int] = {}
        in_flight = threading.Thread(target=lambda: outcome.update(status=sparql(running.url, ENDLESS)[0]))
        in_flight.start()
        time.sleep(0.5)
        everything = descendants(running.process.pid)
        assert len(everything) >= WORKERS + 2, [command_line(p) for p in everything]  # workers + query workers
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(30) == 0, running.log.read_text()
        in_flight.join(30)
        assert outcome.get("status") == 503  # stopped at its time limit, answered before the worker left
        deadline = time.monotonic() + 5
        while any(alive(p) for p in everything) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [command_line(p) for p in everything if alive(p)] == []
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)


def test_a_killed_worker_takes_its_query_workers_with_it(served: Served) -> None:
    """SIGKILL gives a gunicorn worker no chance to close its store: its query workers notice and exit."""
    threads = [threading.Thread(target=sparql, args=(served.url, "SELECT * WHERE { ?s ?p ?o } LIMIT 1"))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if served.backend == "remote":
        pytest.skip("the remote backend runs no query workers")
    owners = {int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]): p
              for p in query_workers(served.process.pid)}
    assert owners
    victim = next(iter(owners))
    orphans = [p for p in query_workers(served.process.pid) if p in descendants(victim)]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(alive(p) for p in orphans) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in orphans if alive(p)] == []
    assert len(server_workers(served)) == WORKERS, "gunicorn did not replace the killed worker"
    assert get(served.url + "/health")[0] == 200


def test_a_port_in_use_is_one_clear_error(sample_store_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "senate_kg", "serve", "--store", str(sample_store_dir), "--port",
                               str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------- the query worker pool on its own
def test_closing_the_store_stops_busy_query_workers(sample_store_dir: Path) -> None:
    from store import StoreError
    from store.embedded import EmbeddedStore

    others = set(query_workers(os.getpid()))  # other tests' stores may have theirs in this process
    store = EmbeddedStore(sample_store_dir, read_only=True, query_timeout=60)
    outcome: dict[str, object] = {}

    def endless() -> None:
        started = time.monotonic()
        try:
            store.query(ENDLESS, "application/sparql-results+json")
        except StoreError as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    assert store.query("ASK {}", "application/sparql-results+json").body  # the pool is up
    workers = [p for p in query_workers(os.getpid()) if p not in others]
    assert len(workers) == 2
    thread = threading.Thread(target=endless)
    thread.start()
    time.sleep(0.5)
    store.close()
    thread.join(10)
    assert not thread.is_alive() and isinstance(outcome.get("error"), StoreError)
    assert outcome["seconds"] < 5
    assert [p for p in workers if alive(p)] == []


# ---------------------------------------------------------------- which pool takes a request (server/admission.py)
@pytest.mark.parametrize("head, kind", [
    (b"GET /eli/dl/doc/WQ-5-8900 HTTP/1.1\r\nHost: x\r\nAccept: text/turtle\r\n\r\n", "light"),
    (b"GET /eli/dl/doc/WQ-5-8900.ttl HTTP/1.1\r\nAccept: text/html\r\n\r\n", "light"),
    (b"GET /eli/dl/doc/WQ-5-8900 HTTP/1.1\r\nAccept: text/html,application/xhtml+xml;q=0.9\r\n\r\n", "heavy"),
    (b"GET /eli/dl/doc/WQ-5-8900 HTTP/1.1\r\naccept:  application/ld+json\r\n\r\n", "heavy"),
    (b"GET /eli/dl/doc/WQ-5-8900.jsonld HTTP/1.1\r\n\r\n", "heavy"),
    (b"GET /person/martine-taelman.html HTTP/1.1\r\n\r\n", "heavy"),
    (b"GET /api/search?q=budget HTTP/1.1\r\n\r\n", "heavy"),
    (b"GET / HTTP/1.1\r\n\r\n", "heavy"),
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nAccept: text/html\r\n\r\n", "wait"),
    (b"POST /sparql HTTP/1.1\r\nContent-Type: application/sparql-query\r\n\r\nASK {}", "wait"),
    (b"GET /api/queries/questions-per-party.json HTTP/1.1\r\n\r\n", "wait"),
    (b"GET /dumps/senate-kg-questions.nq.gz HTTP/1.1\r\n\r\n", "wait"),
    (b"GET /health HTTP/1.1\r\n\r\n", "light"),
    (b"GET /eli/dl/doc/WQ-5-8900 HTTP/1.1\r\n", "light"),  # the headers not arrived yet: the default
    (b"", "light"), (b"\x16\x03\x01 garbage", "light"),
])
def test_each_kind_of_request_goes_to_its_pool(head: bytes, kind: str) -> None:
    from server.admission import kind_of

    assert kind_of(head) == kind


def test_the_pools_run_each_kind_apart() -> None:
    """A heavy request in progress does not hold up a light one: they run in different pools."""
    from server.admission import Pools

    pools = Pools({"light": 1, "heavy": 1, "wait": 2}, kind=lambda conn: conn)
    started, release = threading.Event(), threading.Event()

    def slow(_: str) -> str:
        started.set()
        release.wait(10)
        return "heavy done"

    try:
        heavy = pools.submit(slow, "heavy")
        assert started.wait(5)
        assert pools.submit(lambda conn: f"{conn} done", "light").result(5) == "light done"
        assert not heavy.done()
        release.set()
        assert heavy.result(5) == "heavy done"
    finally:
        release.set()
        pools.shutdown()
