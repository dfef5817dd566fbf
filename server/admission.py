"""Which thread pool of a server process takes a request: cheap ones never wait behind expensive ones or long waits.

Why: the threads of one process share its GIL, and a thread that waits for it is not free. Measured on a question in
Turtle at 16 connections, 2 processes: with 8 requests computing at once in each, 2.7-3.0 ms of CPU per request and
~620 requests/s; with at most 2-4, 2.3 ms and ~800/s. And with every request in one queue, a cheap request (a
question in Turtle, N-Triples or RDF/XML, which the store writes: ~2.5 ms) waits behind expensive ones (HTML,
JSON-LD, search, which build graphs, render templates or rank text in Python: 4-10 ms): with 32 clients of mixed
traffic, Turtle took as long as everything else, p99 230 ms. A limit inside the app (a semaphore per kind) does not
help: the waiting threads have already been handed their connection and parsed their request, and contend anyway.

So each process has three pools (server/serving.py sizes them), and the request goes to one before any thread
touches it, by a glance at the bytes already received (`kind_of`, on a peek of the socket):
- LIGHT: questions and other resources in Turtle, N-Triples, RDF/XML, /health, the rest: few threads, each computing;
- HEAVY: HTML and JSON-LD (by suffix or by the first type of the Accept header), search, the API, the catalogue,
  VoID, the sitemap, the home page: fewer threads still (they queue among themselves);
- WAIT: /sparql and named-query results (a query worker process computes them, up to the time limit) and dumps
  (streamed to the client): many threads, which mostly sleep.
The glance decides scheduling only: a request taken for another kind is still answered the same way.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

LIGHT, HEAVY, WAIT = "light", "heavy", "wait"
PEEK_BYTES = 4096  # enough for the request line and the headers browsers and RDF clients send

_REQUEST_LINE = re.compile(rb"[A-Z]+ ([^ ?\r\n]*)")
_ACCEPT = re.compile(rb"\r\naccept:[ \t]*([^,;\r\n]*)", re.IGNORECASE)
WAIT_PATHS = (b"/sparql", b"/api/queries/", b"/dumps/")
HEAVY_PATHS = (b"/search", b"/api/", b"/catalog", b"/.well-known/", b"/sitemap", b"/eurovoc/")
HEAVY_SUFFIXES = (b".html", b".jsonld")
LIGHT_SUFFIXES = (b".ttl", b".nt", b".rdf")
HEAVY_TYPES = (b"text/html", b"application/xhtml+xml", b"application/ld+json", b"application/json")


def kind_of(head: bytes) -> str:
    """The kind of the request whose first bytes are `head` (LIGHT when they say too little)."""
    match = _REQUEST_LINE.match(head)
    if match is None:
        return LIGHT
    path = match.group(1)
    if path.startswith(WAIT_PATHS):
        return WAIT
    if path == b"/" or path.startswith(HEAVY_PATHS) or path.endswith(HEAVY_SUFFIXES):
        return HEAVY
    if path.endswith(LIGHT_SUFFIXES):
        return LIGHT
    accept = _ACCEPT.search(head)
    return HEAVY if accept and accept.group(1).strip().lower() in HEAVY_TYPES else LIGHT


def peek(sock: socket.socket) -> bytes:
    """What the client has sent so far, left in the socket for the parser (b"" if nothing yet)."""
    try:
        return sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError, OSError, ValueError):
        return b""


class Pools:
    """gunicorn's gthread thread pool, as three: `submit(handle, conn)` picks the pool by the request's kind."""

    def __init__(self, sizes: Mapping[str, int], kind: Callable[[Any], str]) -> None:
        self.pools = {name: ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"senate-kg-{name}")
                      for name, size in sizes.items()}
        self.kind = kind

    def submit(self, fn: Callable[..., Any], conn: Any) -> Future:
        return self.pools[self.kind(conn)].submit(fn, conn)

    def shutdown(self, wait: bool = True, **kwargs: Any) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=wait, **kwargs)


def connection_kind(conn: Any) -> str:
    """The kind of the next request on a gunicorn connection (its socket, unless the parser already holds bytes
    of it, as after a pipelined request: then LIGHT)."""
    try:
        if conn.parser is not None and conn.parser.unreader.buf.getvalue():
            return LIGHT
    except AttributeError:  # another kind of parser (HTTP/2): no glance
        return LIGHT
    return kind_of(peek(conn.sock))
