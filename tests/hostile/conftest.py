"""Fixtures for the hostile-input tests (issue 5): the bundled sample served by real `senate-kg serve` processes
(gunicorn, two worker processes), on the embedded store and on a remote `oxigraph serve` of our own, with a short
query timeout and a small row cap so that abuse is cut quickly.

Short forms run by default; `SENATE_KG_STRESS=long` runs more examples (see hostile_helpers.scaled).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_helpers import (
    CANARY,
    MAX_ROWS,
    QUERY_TIMEOUT,
    ROOT,
    Process,
    oxigraph_binary,
    oxigraph_serve,
    senate_kg_serve,
    stop,
)

# As in tests/cli/conftest.py: the project root first, so the real packages win over tests/ folders.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))



@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="session")
def published(hostile_dir: Path, sample_store_dir: Path) -> Path:
    """A copy of the sample's dumps folder with secrets around it: canary files beside and above it, and a
    symlink inside it that points out of it. Returns the dumps folder (DUMPS_DIR)."""
    dumps = hostile_dir / "published" / "dumps"
    shutil.copytree(Path(f"{sample_store_dir}.dumps"), dumps)
    (hostile_dir / "published" / "secret.txt").write_text(CANARY)
    (hostile_dir / "secret.txt").write_text(CANARY)
    (dumps / "link-out.nq.gz").symlink_to(hostile_dir / "published" / "secret.txt")
    return dumps


@pytest.fixture(scope="session")
def embedded_server(hostile_dir: Path, sample_store_dir: Path, published: Path) -> Iterator[Process]:
    """The sample on the embedded store, served by `senate-kg serve`."""
    env = {"SENATE_KG_MAX_ROWS": str(MAX_ROWS), "SENATE_KG_DUMPS_DIR": str(published)}
    served = senate_kg_serve(sample_store_dir, hostile_dir / "serve-embedded.log", timeout=QUERY_TIMEOUT, env=env)
    yield served
    stop(served.popen)


@pytest.fixture(scope="session")
def own_oxigraph(hostile_dir: Path, sample_store_dir: Path) -> Iterator[Process]:
    """An `oxigraph serve` of our own (not the shared one: abuse must not slow other tests down), with its own
    time limit, holding the sample pushed by `senate-kg push`."""
    from senate_kg.cli import main

    served = oxigraph_serve(oxigraph_binary(), hostile_dir / "oxigraph", hostile_dir / "oxigraph.log", timeout_s=5)
    assert main(["push", "--quiet", "--store", str(sample_store_dir), "--endpoint", served.url + "/query"]) == 0
    yield served
    stop(served.popen)


@pytest.fixture(scope="session")
def remote_server(hostile_dir: Path, sample_store_dir: Path, own_oxigraph: Process, published: Path
                  ) -> Iterator[Process]:
    """The same sample served from the remote store (dumps and search index still beside the local store)."""
    env = {"SENATE_KG_MAX_ROWS": str(MAX_ROWS), "SENATE_KG_DUMPS_DIR": str(published)}
    served = senate_kg_serve(sample_store_dir, hostile_dir / "serve-remote.log", remote=own_oxigraph.url + "/query",
                             timeout=QUERY_TIMEOUT, env=env)
    yield served
    stop(served.popen)


@pytest.fixture(scope="session", params=["embedded", "remote"])
def server(request) -> Process:
    """Each test that takes `server` runs against both backends."""
    return request.getfixturevalue(f"{request.param}_server")
