"""The store as a Flask extension: opened once per app from its config; StoreError -> 503 + Retry-After."""

from __future__ import annotations

from flask import Flask, current_app, jsonify

from store import Store, StoreError, open_store


def init_store(app: Flask) -> None:
    store = open_store(app.config["STORE_PATH"], remote=app.config["REMOTE_ENDPOINT"], read_only=True)
    app.extensions["store"] = store

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError):
        return jsonify(error="store unavailable", reason=str(exc)), 503, {"Retry-After": "10"}


def get_store() -> Store:
    return current_app.extensions["store"]
