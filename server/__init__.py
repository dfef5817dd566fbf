"""The Flask application: `create_app(config)` (Flask tutorial style). Knows nothing of page layouts.

Blueprints, one per concern:
- resources: dereferenceable URIs, content negotiation, HTML pages (resources.py, pages.py)
- sparql: the SPARQL 1.1 Protocol endpoint (sparql.py)
- catalogue, VoID, dumps, sitemap (catalog.py), named-query API (api.py), search (search.py)
- the event stream `{base}ldes`, its pages and the questions' versions (ldes.py)
- statistics pages and small charts, drawn from the figures publishing wrote (stats.py, charts.py)
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from mapping.iris import DEFAULT_BASE, Iris

DEFAULTS: dict[str, Any] = {
    "STORE_PATH": "var/store",  # embedded pyoxigraph store written by `senate-kg build`
    "REMOTE_ENDPOINT": None,  # SPARQL endpoint URL: serve from a remote store instead
    "REMOTE_ENGINE": None,  # its kind (store/engines.py: oxigraph, virtuoso, generic); None: guessed from the URL
    "BASE_URI": DEFAULT_BASE,
    "QUERY_TIMEOUT": 30.0,  # seconds, hard limit for /sparql and named queries
    "MAX_ROWS": 10_000,  # cap on result rows (SELECT) and triples (CONSTRUCT) through /sparql
    "ALLOW_SERVICE": False,  # SERVICE clauses in user queries
    "DUMPS_DIR": None,  # default: <STORE_PATH>.dumps (written by `senate-kg build` / `push`)
    "SEARCH_INDEX": None,  # default: <STORE_PATH>.search.sqlite (written with the dumps)
    "STREAM_DIR": None,  # default: <STORE_PATH>.ldes, the event stream's pages (written with the dumps)
    "PUBLISHER_NAME": "senate-kg",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SENATE_KG")
    if config:
        app.config.from_mapping(config)
    for key in ("REMOTE_USER", "REMOTE_PASSWORD"):  # write credentials: never held by the read-only server
        app.config.pop(key, None)
    app.config["BASE_URI"] = Iris(app.config["BASE_URI"]).base
    app.extensions["iris"] = Iris(app.config["BASE_URI"])

    from server import api, catalog, health, ldes, pages, resources, search, sparql, stats
    from server.backend import init_store

    init_store(app)
    for module in (health, sparql, catalog, api, search, pages, ldes, stats, resources):  # resources last: catch-all
        module.init_app(app)
    return app


def wsgi_app() -> Flask:  # pragma: no cover - for `gunicorn 'server:wsgi_app()'`
    return create_app({"STORE_PATH": os.environ.get("SENATE_KG_STORE_PATH", DEFAULTS["STORE_PATH"])})
