"""The remote store going away mid-request, stalling, and coming back (issue 5). The session's own `oxigraph serve`
holds the sample (pushed by `senate-kg push`); `senate-kg serve --remote` serves it (conftest.py). While the store
is down or frozen every request is answered within the time limit, with 503 and Retry-After where it needs the
store, never 500; once it is back on the same port and location, normal service resumes with every server
thread free.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_helpers import (
    QUERY_TIMEOUT,
    Process,
    Reply,
    assert_no_leak,
    oxigraph_binary,
    oxigraph_serve,
    request,
    sparql_get,
    sparql_post,
    stop,
    wait_until,
)

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
THREADS = 8  # threads of conftest.remote_server's processes (the default): a burst of 4x that must all be answered
# Paths and the statuses allowed while the store is away: 200 only for what never needs it.
NEEDS_STORE = ["/eli/dl/doc/WQ-5-8900.ttl", "/eli/dl/doc/WQ-5-8900.html", "/eli/dl/doc/WQ-5-8900",
               "/person/martine-taelman.jsonld", "/health",
               "/api/queries/questions-per-party.json", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"]
STORE_FREE = ["/sparql", "/api/openapi.json", "/api/search?q=m%C3%A9dias"]
MAY_BE_CACHED = ["/", "/catalog", "/.well-known/void"]  # figures kept in memory: 200 from there, or 503


@dataclass
class Outage:
    oxigraph: Process  # the session's own `oxigraph serve` (conftest.own_oxigraph): restarted in place
    app: Process  # `senate-kg serve --remote` on it (conftest.remote_server)
    location: Path


@pytest.fixture
def outage(own_oxigraph: Process, remote_server: Process, hostile_dir: Path) -> Iterator[Outage]:
    """The session's remote store and app; whatever a test did, the store runs again afterwards."""
    state = Outage(own_oxigraph, remote_server, hostile_dir / "oxigraph")
    _ensure_up(state)
    yield state
    _ensure_up(state)


def _ensure_up(state: Outage) -> None:
    """The store running (a failed test may have left it killed or frozen)."""
    if state.oxigraph.alive():
        os.kill(state.oxigraph.popen.pid, signal.SIGCONT)
    else:
        _restart(state)


def _restart(state: Outage) -> None:
    """The store back on the same port and location (the fixture's Process updated in place)."""
    stop(state.oxigraph.popen)
    fresh = oxigraph_serve(oxigraph_binary(), state.location, state.oxigraph.log, port=state.oxigraph.port,
                           timeout_s=5)
    state.oxigraph.popen = fresh.popen


def _all_paths(url: str) -> dict[str, Reply]:
    return {path: request(url, path=path, timeout=60) for path in NEEDS_STORE + STORE_FREE + MAY_BE_CACHED}


def _assert_unavailable_or_fine(replies: dict[str, Reply], limit: float, retry_after: bool = True) -> None:
    """503 (with Retry-After when the store is known to be down) where the store is needed, 200 elsewhere."""
    for path, reply in replies.items():
        assert_no_leak(reply)
        assert reply.seconds <= limit, f"{path} took {reply.seconds:.1f} s"
        if path in STORE_FREE:
            assert reply.status == 200, f"{path}: {reply.status} (it does not need the store)"
        elif path in MAY_BE_CACHED and reply.status == 200:
            continue
        else:
            assert reply.status == 503, f"{path}: {reply.status} {reply.text[:200]}"
            assert not retry_after or reply.headers.get("retry-after", "").isdigit(), f"{path}: no Retry-After"


def _assert_normal_service(state: Outage) -> None:
    """Every path answers 200 again, and a burst of 4x the threads is answered in full."""
    wait_until(state.app.url + "/health", 30)
    for path, reply in _all_paths(state.app.url).items():
        assert reply.status == 200, f"after the store came back, {path}: {reply.status} {reply.text[:200]}"
    paths = (NEEDS_STORE * 4)[: THREADS * 4]
    with ThreadPoolExecutor(THREADS * 4) as pool:
        statuses = list(pool.map(lambda p: request(state.app.url, path=p, timeout=60).status, paths))
    assert statuses == [200] * len(paths)


def test_the_store_killed_mid_request_then_restarted(outage: Outage) -> None:
    _assert_normal_service(outage)
    result: dict[str, Reply] = {}
    in_flight = threading.Thread(target=lambda: result.update(r=sparql_post(outage.app.url, ENDLESS, timeout=60)))
    in_flight.start()
    time.sleep(0.5)
    os.kill(outage.oxigraph.popen.pid, signal.SIGKILL)
    outage.oxigraph.popen.wait(10)
    in_flight.join(QUERY_TIMEOUT + 10)
    assert not in_flight.is_alive()
    assert result["r"].status == 503 and result["r"].seconds <= QUERY_TIMEOUT + 2, result["r"]
    _assert_unavailable_or_fine(_all_paths(outage.app.url), limit=QUERY_TIMEOUT + 2)
    _restart(outage)
    _assert_normal_service(outage)


def test_a_frozen_store_times_out_instead_of_hanging(outage: Outage) -> None:
    """SIGSTOP: connections are accepted by the kernel and never answered. Nothing may wait past the limit, and
    the app's threads must not all be stuck behind the frozen store."""
    _assert_normal_service(outage)
    os.kill(outage.oxigraph.popen.pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(len(NEEDS_STORE)) as pool:
            replies = dict(zip(NEEDS_STORE, pool.map(lambda p: request(outage.app.url, path=p, timeout=90),
                                                     NEEDS_STORE), strict=True))
        # a frozen store looks like a slow query to /sparql: "stopped at the time limit", with a Retry-After too
        _assert_unavailable_or_fine(replies, limit=QUERY_TIMEOUT * 3 + 3)
        reply = sparql_get(outage.app.url, "ASK { ?s ?p ?o }", timeout=60)
        assert reply.status == 503 and reply.seconds <= QUERY_TIMEOUT + 2
        assert reply.headers.get("retry-after", "").isdigit()
    finally:
        os.kill(outage.oxigraph.popen.pid, signal.SIGCONT)
    _assert_normal_service(outage)
