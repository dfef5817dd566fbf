"""Serving the app in production: gunicorn, several worker processes with several threads each (`senate-kg serve`).

Why it is shaped this way:
- One Python process serves at most about one core: the GIL. pyoxigraph, rdflib and Jinja all hold it most of
  the time (measured: one waitress process saturated at 1.15 cores, ~113 requests/s of mixed traffic, while the
  query workers idled). gunicorn's master forks `workers` processes (default: one per usable core); each runs
  gunicorn's `gthread` worker, which keeps idle keep-alive connections in a poller and hands each request to a
  thread, here from one of three pools by the kind of request (server/admission.py): `threads` threads for cheap
  requests, a quarter of that (at least one) for expensive ones, and many for those that wait (a /sparql query
  computed by a query worker, a dump streamed out). With a remote store every request mostly waits for it, so
  each pool gets the large size.
- The app is created once, in the master, before the workers are forked (gunicorn's `preload_app`): the
  templates, the `queries/` files (parsed and checked with rdflib, ~1 s), the ontology and the JSON-LD context
  are read once and shared copy-on-write, and a broken configuration stops `serve` before anything listens.
  Nothing that holds a file, a socket or a thread is opened before the fork: each worker gets a store of its
  own right after it (`server.backend.reopen_store`; the pyoxigraph read-only handle and the query worker
  processes of store/workers.py then start on first use), and the search index is opened per request. What the
  master made is then frozen out of the garbage collector (`gc.freeze`): the workers' collections skip it, and its
  pages are not written to (and copied) by the collector's bookkeeping.
- Each worker listens on a socket of its own on the same port (SO_REUSEPORT, gunicorn's `reuse_port`): the kernel
  spreads new connections over the workers. With one shared socket, the worker that happens to be awake accepts
  every connection of a burst, and keep-alive then ties them all to it (measured: 4 clients, all on one of two
  workers, one core idle). Where SO_REUSEPORT is missing, the workers share one socket.
- `serve` first binds the address itself, so that a port in use is one clear error (not five retries); with
  SO_REUSEPORT it lets go just before the workers bind, otherwise gunicorn is handed that socket.
- Shutdown: SIGTERM or SIGINT to the master stops accepting, lets the requests in progress finish (at most
  `GRACEFUL_SECONDS`), and each worker closes its store on its way out, which stops its query worker processes
  (and those also stop by themselves if their worker is killed outright). Nothing is left behind.
- gunicorn's own control socket (a file under $HOME shared by every instance) is turned off, and so is its access
  log; errors go to stderr.
"""

from __future__ import annotations

import gc
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any

from flask import Flask

from server.admission import HEAVY, LIGHT, WAIT, Pools, connection_kind

GRACEFUL_SECONDS = 10  # a stopping worker waits this long for the requests in progress
KEEPALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this long
BACKLOG = 2048  # connections waiting to be accepted
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while others wait (Python's default: 0.005)
MAX_REQUEST_LINE = 1_048_576  # bytes: the request line gunicorn reads at most (a longer one is gunicorn's 414);
#                                /sparql answers its own 414 beyond its smaller cap (server/sparql.py)
MAX_HEADER_FIELD = 65536  # bytes: a header this long is still read (absurd Accept lists get an answer, not 431)
MIN_WAIT_THREADS = 16  # per process, for requests that wait (/sparql, named queries, dumps)


class BindError(OSError):
    """The address cannot be listened on (in use, not local, not allowed): said in one sentence."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0  # 0: one per usable core
    threads: int = 4  # per process, for cheap requests (the other pools are sized from it: `pool_sizes`)
    quiet: bool = False
    remote: bool = False  # serving a remote store: every request mostly waits for it

    def pool_sizes(self) -> dict[str, int]:
        waiting = max(MIN_WAIT_THREADS, 4 * self.threads)
        if self.remote:
            return {LIGHT: waiting, HEAVY: waiting, WAIT: waiting}
        return {LIGHT: self.threads, HEAVY: max(1, self.threads // 4), WAIT: waiting}


def bounded_request_class() -> type:
    """gunicorn's HTTP/1 request with the request line bounded at MAX_REQUEST_LINE.

    Why: SPARQLWrapper and rdflib's SPARQLStore send queries by GET, and generated queries pass the 8,190 bytes
    that are gunicorn's largest finite `limit_request_line`. Its only larger value is 0, "unlimited", and its
    Python parser then buffers a request line of any length, copying the buffer on every read (quadratic: a
    100 MB line would hold a thread for minutes). This class keeps the 0 but bounds the line all the same."""
    from gunicorn.http.message import Request

    class BoundedRequest(Request):
        def read_line(self, unreader: Any, buf: bytearray, limit: int = 0) -> tuple[bytes, bytearray]:
            return super().read_line(unreader, buf, limit or MAX_REQUEST_LINE)

    return BoundedRequest


def worker_class(settings: Settings) -> type:
    """gunicorn's gthread worker with server/admission.py's three pools instead of its one, reading requests
    with `bounded_request_class()` (gunicorn has no setting for the parser's message class: it is set on the
    parser class, in the worker process only)."""
    from gunicorn.http.parser import RequestParser
    from gunicorn.workers.gthread import ThreadWorker

    sizes = settings.pool_sizes()
    request_class = bounded_request_class()

    class Worker(ThreadWorker):
        def init_process(self) -> None:
            RequestParser.mesg_class = request_class
            super().init_process()

        def get_thread_pool(self) -> Pools:
            return Pools(sizes, connection_kind)

    return Worker


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under taskset or a container's cpuset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv4 or IPv6, whichever the host name gives first)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=BACKLOG)
    except socket.gaierror as exc:
        raise BindError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from exc
    except OSError as exc:
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: Settings, listener: socket.socket) -> dict[str, Any]:
    reuse_port = hasattr(socket, "SO_REUSEPORT")
    return {
        "bind": [address(settings.host, settings.port) if reuse_port else f"fd://{listener.fileno()}"],
        "reuse_port": reuse_port,
        "worker_class": worker_class(settings),
        "workers": settings.workers or usable_cores(),
        "threads": sum(settings.pool_sizes().values()),  # gunicorn's own count (its pool is replaced)
        "preload_app": True,
        "keepalive": KEEPALIVE_SECONDS,
        "graceful_timeout": GRACEFUL_SECONDS,
        "backlog": BACKLOG,
        "limit_request_line": 0,  # "unlimited": gunicorn's only setting above 8,190; bounded by BoundedRequest
        "limit_request_field_size": MAX_HEADER_FIELD,
        "proc_name": "senate-kg",
        "control_socket_disable": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning" if settings.quiet else "info",
        "post_fork": _post_fork,
        "worker_exit": _worker_exit,
    }


def _post_fork(arbiter: Any, worker: Any) -> None:
    """In each new worker, before it serves: its own store, and a shorter GIL switch interval (a cheap request
    waits less for a thread of another pool: measured with 32 clients of mixed traffic, Turtle p99 35-38 ms with
    1 ms against 52 ms with Python's 5 ms, throughput unchanged)."""
    from server.backend import reopen_store

    sys.setswitchinterval(SWITCH_INTERVAL)
    reopen_store(worker.app.wsgi())


def _worker_exit(arbiter: Any, worker: Any) -> None:
    """In each worker on its way out: close its store (stops its query worker processes)."""
    from server.backend import close_store

    close_store(worker.app.wsgi())


def serve(app: Flask, settings: Settings, listener: socket.socket | None = None) -> None:
    """Serve `app` until SIGTERM or SIGINT (blocks). `listener` from `bind()`, else bound here."""
    from gunicorn.app.base import BaseApplication

    listener = listener or bind(settings.host, settings.port)
    options = gunicorn_options(settings, listener)
    if options["reuse_port"]:
        listener.close()  # each worker binds its own socket
    else:
        listener.detach()  # gunicorn owns the descriptor from here on (it closes it)

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    gc.collect()
    gc.freeze()  # what the master made (the app) is never collected: shorter collections, pages stay shared
    Application(prog="senate-kg serve").run()
