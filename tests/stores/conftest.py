"""Fixtures for the store tests: the same tests run against EmbeddedStore and RemoteStore.

The remote store is the session's shared `oxigraph serve` (tests/conftest.py): every test uses its own graph
names under `urn:test:store:<uuid>/` and never clears the store. Tests that make the remote store work hard
(timeouts) start a private `oxigraph serve` with a server-side timeout, so that a query the client gave up on
does not keep burning the shared server's CPU.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store
from store.embedded import EmbeddedStore
from store.remote import RemoteStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_oxigraph(location: Path, *extra: str) -> tuple[str, subprocess.Popen]:
    """A private `oxigraph serve` on a free port; returns its base URL and the process (stop it yourself)."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1):
                return url, process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"oxigraph serve did not start on {url}")


@pytest.fixture
def graph_base() -> str:
    """A namespace of graph names no other test uses."""
    return f"urn:test:store:{uuid.uuid4().hex}/"


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store", query_workers=2)
    yield store
    store.close()


@pytest.fixture
def remote(oxigraph_server: str) -> Iterator[RemoteStore]:
    store = RemoteStore(oxigraph_server + "/query", timeout=20)
    yield store
    store.close()


@pytest.fixture
def virtuoso(virtuoso_server) -> Iterator[RemoteStore]:
    """The shared Virtuoso, written with the writer's credentials (Digest), as `senate-kg push` writes."""
    store = RemoteStore(virtuoso_server.url, engine="virtuoso", credentials=virtuoso_server.credentials(), timeout=20)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "remote", "virtuoso"])
def store(request) -> Store:
    """Each test using `store` runs once per backend."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def private_oxigraph(tmp_path_factory) -> Iterator[str]:
    """A private `oxigraph serve` that stops queries itself after 5 s (see the module docstring)."""
    url, process = start_oxigraph(tmp_path_factory.mktemp("private-oxigraph"), "--timeout-s", "5")
    yield url
    process.terminate()
    process.wait(10)
