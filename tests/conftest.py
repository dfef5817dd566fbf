"""Shared fixtures: the sample pages, a store built from them, a real `oxigraph serve` for remote tests.

The remote store: if SENATE_KG_TEST_REMOTE is set (`.ci/run` starts `oxigraph serve` and sets it), the tests
use that server; otherwise a session fixture starts `oxigraph serve` itself on a free 127.0.0.1 port.
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
def running_oxigraph(env_var: str, location: Path) -> Iterator[str]:
    """Base URL of a running `oxigraph serve`: the one named by `env_var` (`.ci/run` starts them), or one
    started here on a free 127.0.0.1 port and stopped afterwards."""
    given = os.environ.get(env_var)
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


@pytest.fixture(scope="session", params=["embedded", "remote"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app_config(backend: str, sample_store_dir: Path, request) -> dict:
    config = {"TESTING": True, "BASE_URI": TEST_BASE, "STORE_PATH": str(sample_store_dir)}
    if backend == "remote":
        config["REMOTE_ENDPOINT"] = request.getfixturevalue("remote_endpoint")
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
