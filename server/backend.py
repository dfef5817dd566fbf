"""The store as a Flask extension: opened once per app from its config; StoreError -> 503 + Retry-After.

Per process: a store object holds what cannot cross a fork (the pyoxigraph read-only handle, the query worker
processes and the pipes to them), all opened on first use. A pre-forking server (server/serving.py) creates the
app in its master and calls `reopen_store` in each worker right after the fork, so that every worker opens its
own; `close_store` on its way out stops its query workers.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify

from store import Store, StoreError, open_store

INHERITED = "inherited_stores"  # stores copied from a parent process: kept (never used, never closed) here


def _open(app: Flask) -> Store:
    # A remote store's every request waits at most the query time limit (else 30 s): a frozen store must not
    # hold all the server's threads for longer than a user's query may run.
    options = {"timeout": float(app.config["QUERY_TIMEOUT"]), "engine": app.config.get("REMOTE_ENGINE")} \
        if app.config["REMOTE_ENDPOINT"] else {}
    return open_store(app.config["STORE_PATH"], remote=app.config["REMOTE_ENDPOINT"], read_only=True, **options)


def init_store(app: Flask) -> None:
    app.extensions["store"] = _open(app)

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError):
        return jsonify(error="store unavailable", reason=str(exc)), 503, {"Retry-After": "10"}


def reopen_store(app: Flask) -> Store:
    """A fresh store for this process (call it in a forked child before it serves). The parent's store object
    is set aside untouched: closing it here could act on the parent's handle, workers or pipes."""
    app.extensions.setdefault(INHERITED, []).append(app.extensions["store"])
    app.extensions["store"] = _open(app)
    return app.extensions["store"]


def close_store(app: Flask) -> None:
    """Close this process's store: its query worker processes are stopped."""
    app.extensions["store"].close()


def get_store() -> Store:
    return current_app.extensions["store"]
