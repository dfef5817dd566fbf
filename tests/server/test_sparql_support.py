"""Helpers for the /sparql tests (no tests here): stores built from data loaded directly, a private
`oxigraph serve`, and the Flask app served over real HTTP.

Why not the session fixtures of tests/conftest.py: the protocol suite needs the default graph and its own
data, and the timeout tests need a server that stops queries itself (`--timeout-s`), so that a query the
client gave up on does not keep the shared server busy.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from senate_kg.paths import SHARED_DIR
from store import Store
from store.embedded import EmbeddedStore
from store.remote import RemoteStore

SHARED = SHARED_DIR
PROTOCOL_DIR = SHARED / "sparql-protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"
EX = "http://example.org/"
TEST_BASE = "http://senate-kg.test/"
ROWS = 30  # triples in the "rows" graph: more than the MAX_ROWS the apps are given


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def oxigraph_serve(location: Path, *extra: str) -> Iterator[str]:
    """A private `oxigraph serve` (stopped on exit); yields its base URL."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"oxigraph serve did not start on {url}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def load_test_data(store: Store) -> None:
    """The W3C protocol suite's graphs (named by their rdfs:label in the manifest) and a graph of ROWS rows."""
    for number in (1, 2, 3):
        store.load_file(f"{KASEI}data{number}.rdf", PROTOCOL_DIR / f"data{number}.nt")
    rows = "".join(f'<{EX}s{i:02d}> <{EX}p> "row {i}"@fr .\n' for i in range(ROWS))
    store.replace_graphs([(f"{EX}rows", rows.encode())])


def build_embedded(directory: Path) -> Path:
    """An embedded store with the test data, closed (the app opens it read-only)."""
    store = EmbeddedStore(directory)
    try:
        load_test_data(store)
    finally:
        store.close()
    return directory


def app_config(backend: str, store_dir: Path, remote_url: str | None, **extra) -> dict:
    config = {"TESTING": True, "BASE_URI": TEST_BASE, "STORE_PATH": str(store_dir), "QUERY_TIMEOUT": 2.0,
              "MAX_ROWS": 20, **extra}
    if backend == "remote":
        config["REMOTE_ENDPOINT"] = remote_url + "/query"
    if backend == "virtuoso":
        config.update(REMOTE_ENDPOINT=remote_url, REMOTE_ENGINE="virtuoso")
    return config


def load_remote(url: str) -> None:
    store = RemoteStore(url + "/query")
    load_test_data(store)


@contextmanager
def virtuoso_with_test_data(folder: Path) -> Iterator[str]:
    """A private throwaway Virtuoso holding the test data (written with its writer's credentials); yields its
    SPARQL URL. Skipped with that reason where Virtuoso is not installed (outside CI)."""

    import virtuoso_instance

    from store.credentials import from_file

    virtuoso_instance.require()
    instance = virtuoso_instance.start(folder)
    try:
        store = RemoteStore(instance.url, engine="virtuoso", credentials=from_file(instance.credentials_file))
        load_test_data(store)
        store.close()
        yield instance.url
    finally:
        virtuoso_instance.stop(instance)


@contextmanager
def serve(app) -> Iterator[str]:
    """The app over real HTTP on 127.0.0.1 (threaded werkzeug server); yields its base URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:  # no access log lines in the test output
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()


def http_request(base_url: str, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    """One request with exactly the given headers (urllib would add a form Content-Type to every POST)."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()
