"""Shared fixtures: the sample pages, a store built from them, a real `oxigraph serve` for remote tests.

The remote store: if SENATE_KG_TEST_REMOTE is set (`.ci/run` starts `oxigraph serve` and sets it), the tests
use that server; otherwise a session fixture starts `oxigraph serve` itself on a free 127.0.0.1 port.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
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


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a running `oxigraph serve` (e.g. http://127.0.0.1:7878); /query, /update, /store below it."""
    given = os.environ.get("SENATE_KG_TEST_REMOTE")
    if given:
        _wait_until_up(given.rstrip("/") + "/query?query=ASK%7B%7D")
        yield given.rstrip("/")
        return
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    proc = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/query?query=ASK%7B%7D")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
