"""A small pool of worker processes that run users' queries, so that a timeout can really stop one.

Why processes: pyoxigraph cannot cancel a running query, and a thread cannot be killed. Each worker opens the
store read-only and runs one query at a time; when a query overruns its time the parent kills that worker
(SIGKILL: the query stops at once and its memory is returned) and starts a fresh one in the background, while
the other workers keep answering. Jobs and replies are small picklable records sent over a pipe.

Workers are started lazily (on the first query, in the process that runs it: safe under pre-forking servers)
as fresh interpreters (`python -m store.workers`, talking over a socket pair with multiprocessing's pickling
`Connection`): no copy of the server's threads and locks, and unlike multiprocessing's "spawn" no re-import of
the server's main script. A worker's start-up (interpreter, imports) is not counted against a query's time;
opening the store is.

No worker outlives its server process: `close()` kills every worker, busy ones included (a gunicorn worker calls
it on its way out), and a worker whose parent died without closing (SIGKILL) notices within PARENT_CHECK_SECONDS
and exits, even in the middle of a query (pyoxigraph releases the GIL while it evaluates).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from store import QueryRejected, QueryResponse, QueryTimeout, StoreError

log = logging.getLogger(__name__)

STARTUP_SECONDS = 60.0  # a worker that is not ready by then is considered broken
PARENT_CHECK_SECONDS = 0.5  # how often a worker checks that the process that started it is still there
READY = "ready"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # so the worker finds `store`


@dataclass(frozen=True)
class Job:
    """One user query, as the worker needs it (plain types: it crosses a pipe)."""

    sparql: str
    media_type: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    max_rows: int
    union_default_graph: bool
    prefixes: tuple[tuple[str, str], ...]
    generation: str  # the store's on-disk signature: a worker reopens its read-only handle when it changes
    base_iri: str | None = None


class _Worker:
    def __init__(self, process: subprocess.Popen, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the worker has imported everything (not counted in the query's time)."""
        if self.ready:
            return
        if not self.conn.poll(STARTUP_SECONDS):
            raise StoreError(f"a query worker did not start within {STARTUP_SECONDS:g} s")
        message = self.conn.recv()
        if message != READY:
            raise StoreError(f"a query worker failed to start: {message}")
        self.ready = True

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            log.warning("query worker %s did not stop", self.process.pid)
        finally:
            self.conn.close()


class QueryPool:
    """`size` worker processes reading the store at `location`; `run(job, timeout)` is thread-safe."""

    def __init__(self, location: str, size: int = 2) -> None:
        if size < 1:
            raise ValueError(f"query_workers must be at least 1, got {size}")
        self.location = location
        self.size = size
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()  # idle and busy: what close() stops
        self._started = False
        self._closed = False
        self._pid = os.getpid()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # we were forked (pre-forking server): the workers belong to the parent
                self._reset()
            if self._closed:
                raise StoreError("the store is closed")
            if not self._started:
                for _ in range(self.size):
                    self._idle.put(self._spawn())
                self._started = True

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (PROJECT_ROOT, os.environ.get("PYTHONPATH"))))}
        try:
            process = subprocess.Popen([sys.executable, "-m", "store.workers", self.location, str(child.fileno()),
                                        str(os.getpid())],
                                       pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL,
                                       close_fds=True)
        finally:
            child.close()
        worker = _Worker(process, Connection(parent.detach()))
        self._all.add(worker)
        return worker

    def _replace(self) -> None:
        """Start a fresh worker for one that was killed (in the background: the request has its answer)."""
        try:
            worker = self._spawn()
        except Exception:  # noqa: BLE001 - logged; the pool runs one worker short rather than failing requests
            log.exception("could not start a replacement query worker")
            return
        if self._closed or self._pid != os.getpid():
            worker.kill()
            self._all.discard(worker)
        else:
            self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        if not self._closed:
            threading.Thread(target=self._replace, daemon=True, name="senate-kg-respawn").start()

    def run(self, job: Job, timeout: float) -> QueryResponse:
        """Run `job` on an idle worker; QueryTimeout after `timeout` seconds (the worker is killed)."""
        self._ensure_started()
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise StoreError(f"all {self.size} query workers are busy; try again shortly") from None
        was_ready = worker.ready
        try:
            worker.wait_ready()
        except (StoreError, EOFError, OSError) as exc:
            self._discard(worker)
            raise StoreError(f"a query worker could not start: {exc}") from exc
        if not was_ready:  # its start-up is not the query's time
            deadline = time.monotonic() + timeout
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.0)):
                self._discard(worker)
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise StoreError(f"a query worker stopped unexpectedly ({type(exc).__name__})") from exc
        if self._closed:
            worker.kill()
            self._all.discard(worker)
        else:
            self._idle.put(worker)
        return _unwrap(status, payload)

    def close(self) -> None:
        """Stop every worker now: idle ones are asked to exit, busy ones are killed (their request gets a
        StoreError). Only in the process that started them (a forked child leaves its parent's alone)."""
        with self._lock:
            self._closed = True
            if self._pid != os.getpid():
                return
            workers, self._all = self._all, set()
        idle = set()
        while True:
            try:
                idle.add(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in workers | idle:
            if worker in idle:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(1)
            worker.kill()


def _unwrap(status: str, payload: Any) -> QueryResponse:
    if status == "ok":
        return payload
    if status == "rejected":
        raise QueryRejected(payload)
    raise StoreError(payload)


def watch_parent(parent: int, interval: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """A daemon thread that ends this process as soon as `parent` is no longer its parent (it died: this
    process was handed to init or a subreaper)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    thread = threading.Thread(target=watch, daemon=True, name="senate-kg-parent-watch")
    thread.start()
    return thread


def worker_main(conn: Connection, location: str) -> None:
    """The worker process: open the store read-only when asked (and again when its files change), run one job
    at a time, send back ("ok", QueryResponse) or ("rejected" | "error", message). Exits when the pipe closes."""
    try:
        from store.embedded import execute_user_query, open_read_only
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which gives up on this worker
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    conn.send(READY)
    handle, generation = None, None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        reply: tuple[str, Any] = ("error", "not run")
        for attempt in range(2):  # a storage error may come from a stale snapshot: reopen once and retry
            try:
                if handle is None or job.generation != generation or attempt:
                    handle = None
                    handle, generation = open_read_only(location), job.generation
                reply = ("ok", execute_user_query(handle, job))
                break
            except QueryRejected as exc:
                reply = ("rejected", str(exc))
                break
            except StoreError as exc:
                handle, reply = None, ("error", str(exc))
            except Exception as exc:  # noqa: BLE001 - a worker must answer, whatever the query did
                handle, reply = None, ("error", f"{type(exc).__name__}: {exc}")
                break
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


if __name__ == "__main__":  # python -m store.workers LOCATION FD [PARENT_PID]
    if len(sys.argv) > 3:
        watch_parent(int(sys.argv[3]))
    worker_main(Connection(int(sys.argv[2])), sys.argv[1])
