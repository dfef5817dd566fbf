"""Helpers for the hostile-input tests: real server processes (`senate-kg serve`, `oxigraph serve`) on 127.0.0.1,
raw HTTP (the standard library's `http.client`, or a bare socket when the request must be malformed), and a
listening socket that records whether anything connected to it (SERVICE, LOAD: no outbound request).

Everything here targets 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("SENATE_KG_STRESS") == "long"
TEST_BASE = "http://senate-kg.test/"
LOOPBACK = "127.0.0.1"
QUERY_TIMEOUT = 2.0  # seconds: /sparql and named queries of the servers under test
MAX_ROWS = 50  # their row cap
CANARY = "senate-kg-hostile-canary-7f3a"  # in files beside the dumps: must never be served


def scaled(short: int, long: int) -> int:
    """The short count by default, the long one under SENATE_KG_STRESS=long."""
    return long if LONG else short


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- HTTP
@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names (the last value of a repeated header)
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(url: str, method: str = "GET", *, path: str | None = None, headers: Mapping[str, str] | None = None,
            body: bytes | None = None, timeout: float = 30.0) -> Reply:
    """One request with http.client: the path is sent exactly as given (no normalisation of `..`)."""
    parts = urllib.parse.urlsplit(url)
    target = path if path is not None else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                     time.monotonic() - started)
    finally:
        connection.close()


def raw_request(url: str, data: bytes, timeout: float = 30.0) -> Reply:
    """Send bytes as they are (a malformed request line or headers) and parse whatever comes back."""
    parts = urllib.parse.urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, headers, body, time.monotonic() - started)


def sparql_get(url: str, query: str, accept: str = "application/sparql-results+json", **kw) -> Reply:
    return request(url, path="/sparql?" + urllib.parse.urlencode({"query": query}), headers={"Accept": accept}, **kw)


def sparql_post(url: str, query: str, accept: str = "application/sparql-results+json", **kw) -> Reply:
    return request(url, "POST", path="/sparql", headers={"Accept": accept, "Content-Type": "application/sparql-query"},
                   body=query.encode("utf-8"), **kw)


def sparql_form(url: str, fields: Sequence[tuple[str, str]], accept: str = "application/sparql-results+json",
                **kw) -> Reply:
    return request(url, "POST", path="/sparql", body=urllib.parse.urlencode(fields).encode("ascii"),
                   headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}, **kw)


def assert_no_leak(reply: Reply) -> None:
    """No internal error and no Python traceback (or file path of the server) in the body."""
    assert reply.status < 500 or reply.status in (503,), f"{reply.status}: {reply.text[:300]}"
    for marker in ("Traceback (most recent call last)", 'File "/', "werkzeug.exceptions", "site-packages"):
        assert marker not in reply.text, f"{marker!r} leaked in a {reply.status} body: {reply.text[:300]}"


# ---------------------------------------------------------------- processes
@dataclass
class Process:
    """A server process we started, with where its output goes (shown when it fails)."""

    url: str
    popen: subprocess.Popen
    log: Path
    port: int
    args: list[str] = field(default_factory=list)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text("utf-8", "replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None


def spawn(args: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start a process in its own session (so that stopping it also stops its query workers)."""
    handle = log.open("ab")
    try:
        return subprocess.Popen(list(args), stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True)
    finally:
        handle.close()


def stop(process: subprocess.Popen, seconds: float = 10.0) -> None:
    """SIGTERM to the process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(seconds)
    except ProcessLookupError:
        pass


def wait_until(url: str, seconds: float, process: subprocess.Popen | None = None, accept=(200,)) -> None:
    """Poll `url` until it answers one of `accept`; fail with the reason after `seconds`."""
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with status {process.returncode} before {url} answered")
        try:
            reply = request(url, timeout=2)
            if reply.status in accept:
                return
            last = f"status {reply.status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:g} s ({last})")


def senate_kg_serve(store: Path | None, log: Path, *, remote: str | None = None, timeout: float = 2.0,
                    workers: int = 2, threads: int = 8, env: Mapping[str, str] | None = None,
                    startup: float = 90.0) -> Process:
    """`senate-kg serve` (gunicorn: `workers` processes of `threads` threads) on a free loopback port, answering
    /health."""
    port = free_port()
    args = [sys.executable, "-m", "senate_kg", "serve", "--quiet", "--host", LOOPBACK, "--port", str(port),
            "--query-timeout", str(timeout), "--workers", str(workers), "--threads", str(threads)]
    if store is not None:
        args += ["--store", str(store)]
    if remote:
        args += ["--remote", remote, "--base-uri", TEST_BASE]
    popen = spawn(args, log, env)
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_until(url + "/health", startup, popen)
    except RuntimeError as exc:
        stop(popen)
        raise RuntimeError(f"{exc}\n{log.read_text('utf-8', 'replace')[-3000:]}") from exc
    return Process(url, popen, log, port, args)


def oxigraph_binary() -> str:
    """The `oxigraph` command of the test extra (installed beside this Python)."""
    import shutil

    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise RuntimeError("the `oxigraph` command is missing: pip install -e '.[test]'")
    return found


def oxigraph_serve(binary: str, location: Path, log: Path, port: int | None = None,
                   timeout_s: int | None = None) -> Process:
    """`oxigraph serve` on a loopback port (given, to restart it where it was), answering a query."""
    port = port or free_port()
    args = [binary, "serve", "--location", str(location), "--bind", f"{LOOPBACK}:{port}"]
    if timeout_s:
        args += ["--timeout-s", str(timeout_s)]
    popen = spawn(args, log)
    url = f"http://{LOOPBACK}:{port}"
    wait_until(url + "/query?query=ASK%7B%7D", 30, popen)
    return Process(url, popen, log, port, args)


# ---------------------------------------------------------------- a listener that must stay silent
class Listener:
    """A TCP socket on 127.0.0.1 that accepts and records every connection (and the first bytes sent), so a
    test can assert that the server never connected out (SERVICE, LOAD)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="hostile-listener")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(2048) or b"(nothing sent)")
                except OSError:
                    self.connections.append(b"(connected)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
