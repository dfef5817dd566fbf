"""Shared fixtures: the sample pages, a store built from them, a real `oxigraph serve` for remote tests.

The remote store: if SENATE_KG_TEST_REMOTE is set (`.ci/run` starts `oxigraph serve` and sets it), the tests
use that server; otherwise a session fixture starts `oxigraph serve` itself on a free 127.0.0.1 port. The same
for Virtuoso (issue 13): SENATE_KG_TEST_VIRTUOSO (its SPARQL URL) with SENATE_KG_TEST_VIRTUOSO_CREDENTIALS (the
writer's credentials file), and SENATE_KG_TEST_VIRTUOSO_APP(_CREDENTIALS) for the served sample; otherwise
tests/virtuoso_instance.py starts throwaway ones. Without Virtuoso installed its tests are skipped with that
reason, except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from senate_kg.paths import SHARED_DIR

ROOT = Path(__file__).resolve().parent.parent
SHARED = SHARED_DIR
SAMPLES = ROOT / "data" / "samples"  # bundled copy of ../shared/samples (question pages only)
COMPLETE_SAMPLE = SAMPLES / "000_a9f2765591931727.txt"
TEST_BASE = "http://senate-kg.test/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.fail("the `oxigraph` command is missing: pip install -e '.[test]'")
    return found


@contextlib.contextmanager
def running_oxigraph(env_var: str | None, location: Path) -> Iterator[str]:
    """Base URL of a running `oxigraph serve`: the one named by `env_var` (`.ci/run` starts them), or one
    started here on a free 127.0.0.1 port and stopped afterwards (always, with `env_var` None: a server that
    holds what one test module pushes and nothing else)."""
    given = os.environ.get(env_var) if env_var else None
    if given:
        _wait_until_up(given.rstrip("/") + "/query?query=ASK%7B%7D")
        yield given.rstrip("/")
        return
    port = _free_port()
    proc = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/query?query=ASK%7B%7D")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    """A shared `oxigraph serve` (/query, /update, /store below it) for store and CLI tests: each test writes
    only graphs of its own."""
    with running_oxigraph("SENATE_KG_TEST_REMOTE", tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="session")
def app_oxigraph_server(tmp_path_factory) -> Iterator[str]:
    """A second `oxigraph serve` that holds the pushed sample and nothing else, so that the served app's
    figures (quad counts, dataset size) are exactly the sample's."""
    with running_oxigraph("SENATE_KG_TEST_REMOTE_APP", tmp_path_factory.mktemp("oxigraph-app")) as url:
        yield url


@dataclass(frozen=True)
class VirtuosoServer:
    """A running Virtuoso: its SPARQL URL and the writer's credentials file (`senate-kg push --credentials-file`)."""

    url: str
    credentials_file: Path

    def credentials(self):
        from store.credentials import from_file

        return from_file(self.credentials_file)


@contextlib.contextmanager
def running_virtuoso(env_var: str | None, folder: Path) -> Iterator[VirtuosoServer]:
    """The Virtuoso named by `env_var` (`.ci/run` starts them), or a throwaway one started here (always, with
    `env_var` None)."""
    given = os.environ.get(env_var) if env_var else None
    if given:
        _wait_until_up(given + "?query=ASK%7B%7D")
        yield VirtuosoServer(given, Path(os.environ[env_var + "_CREDENTIALS"]))
        return
    import virtuoso_instance

    virtuoso_instance.require()
    instance = virtuoso_instance.start(folder)
    try:
        yield VirtuosoServer(instance.url, instance.credentials_file)
    finally:
        virtuoso_instance.stop(instance)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory) -> Iterator[VirtuosoServer]:
    """A shared Virtuoso for store and CLI tests (each test writes only graphs of its own)."""
    with running_virtuoso("SENATE_KG_TEST_VIRTUOSO", tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="session")
def app_virtuoso_server(tmp_path_factory) -> Iterator[VirtuosoServer]:
    """A second Virtuoso that holds the pushed sample and nothing else (as `app_oxigraph_server`)."""
    with running_virtuoso("SENATE_KG_TEST_VIRTUOSO_APP", tmp_path_factory.mktemp("virtuoso-app")) as server:
        yield server


# ---------------------------------------------------------------- the sample, built and served
@pytest.fixture(scope="session")
def sample_store_dir(tmp_path_factory) -> Path:
    """The bundled sample pages built by the real command line into an embedded store (and its dumps and
    search index next to it, as `senate-kg build` leaves them)."""
    from senate_kg.cli import main

    store_dir = tmp_path_factory.mktemp("built") / "store"
    status = main(["build", "--quiet", "--store", str(store_dir), "--base-uri", TEST_BASE, str(SAMPLES)])
    assert status == 0, "building the bundled sample must load every page"
    return store_dir


@pytest.fixture(scope="session")
def remote_endpoint(app_oxigraph_server: str, sample_store_dir: Path) -> str:
    """The sample pushed by `senate-kg push` into the real `oxigraph serve`; returns its query endpoint."""
    from senate_kg.cli import main

    endpoint = app_oxigraph_server + "/query"
    assert main(["push", "--quiet", "--store", str(sample_store_dir), "--endpoint", endpoint]) == 0
    return endpoint


@pytest.fixture(scope="session")
def virtuoso_endpoint(app_virtuoso_server: VirtuosoServer, sample_store_dir: Path) -> str:
    """The sample pushed by `senate-kg push --engine virtuoso` (credentials from the file); its SPARQL URL."""
    from senate_kg.cli import main

    assert main(["push", "--quiet", "--store", str(sample_store_dir), "--endpoint", app_virtuoso_server.url,
                 "--engine", "virtuoso", "--credentials-file", str(app_virtuoso_server.credentials_file)]) == 0
    return app_virtuoso_server.url


def remote_config(backend: str, request) -> dict:
    """The config keys that serve the pushed sample from `backend` ("remote": oxigraph, "virtuoso")."""
    if backend == "remote":
        return {"REMOTE_ENDPOINT": request.getfixturevalue("remote_endpoint")}
    if backend == "virtuoso":
        return {"REMOTE_ENDPOINT": request.getfixturevalue("virtuoso_endpoint"), "REMOTE_ENGINE": "virtuoso"}
    return {}


# The whole server suite runs on each backend: the embedded store, `oxigraph serve` ("remote") and Virtuoso
# (the remote and Virtuoso runs together take under a minute).
@pytest.fixture(scope="session", params=["embedded", "remote", "virtuoso"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app_config(backend: str, sample_store_dir: Path, request) -> dict:
    config = {"TESTING": True, "BASE_URI": TEST_BASE, "STORE_PATH": str(sample_store_dir)}
    config.update(remote_config(backend, request))
    return config


@pytest.fixture(scope="session")
def app(app_config: dict):
    from server import create_app

    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 (threaded werkzeug server) for clients that need a socket:
    the W3C protocol suite, SPARQLWrapper, rdflib, Chromium."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
