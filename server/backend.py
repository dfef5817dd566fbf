"""The store as a Flask extension: opened once per app from its config; StoreError -> 503 + Retry-After."""

from __future__ import annotations

from flask import Flask, current_app, jsonify

from store import Store, StoreError, open_store


def init_store(app: Flask) -> None:
    # A remote store's every request waits at most the query time limit (else 30 s): a frozen store must not
    # hold all the server's threads for longer than a user's query may run.
    options = {"timeout": float(app.config["QUERY_TIMEOUT"])} if app.config["REMOTE_ENDPOINT"] else {}
    store = open_store(app.config["STORE_PATH"], remote=app.config["REMOTE_ENDPOINT"], read_only=True, **options)
    app.extensions["store"] = store

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError):
        return jsonify(error="store unavailable", reason=str(exc)), 503, {"Retry-After": "10"}


def get_store() -> Store:
    return current_app.extensions["store"]
