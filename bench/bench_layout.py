"""The graph layout's cost and gain (issue 9 "One fact, one place"), on one store, in one process.

Measures, for the store given:
- quads per question and the store's size on disk;
- a question in Turtle, JSON-LD and HTML through the Flask app (test client, in-process: the application's own
  cost, without gunicorn or the network), median and p90 over `--requests` questions;
- the plain researcher queries of tests/stores/test_one_fact_one_place.py through `Store.query` (the union
  default graph, as /sparql runs them), median of `--repeat` runs, with the row count of the first.

Before/after: run it with the project of before (a `git worktree` of the older commit on PYTHONPATH) on a store
that commit built, and with today's on a store built from the same pages:

    git worktree add /tmp/old 04cd7e8
    PYTHONPATH=/tmp/old .venv/bin/python -m senate_kg.cli build --store /tmp/old10k/store PAGES
    .venv/bin/senate-kg build --store /tmp/new10k/store PAGES
    PYTHONPATH=/tmp/old .venv/bin/python bench/bench_layout.py --store /tmp/old10k/store
    .venv/bin/python bench/bench_layout.py --store /tmp/new10k/store
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

PREFIXES = """PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX eli-dl: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""
PLAIN_QUERIES = {
    "questions per senator": "SELECT ?name (COUNT(?q) AS ?n) WHERE { ?q dcterms:creator ?p . ?p foaf:name ?name } "
                             "GROUP BY ?name",
    "questions per concept, French label": 'SELECT ?c ?l (COUNT(?q) AS ?n) WHERE { ?q eli:is_about ?c . '
                                           '?c skos:prefLabel ?l FILTER (LANG(?l) = "fr") } GROUP BY ?c ?l',
    "works": "SELECT (COUNT(*) AS ?n) WHERE { ?q a eli:Work }",
    "questions per party": "SELECT ?l (COUNT(?q) AS ?n) WHERE { ?q eli-dl:had_participation ?x . "
                           "?x eli-dl:participation_in_name_of ?p . ?p skos:prefLabel ?l } GROUP BY ?l",
}


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from server import create_app
    from store import open_store

    settings = json.loads(args.store.with_name(args.store.name + ".json").read_text())
    base = settings.get("base_uri") or settings.get("base")
    store = open_store(args.store, read_only=True)
    graphs = list(store.named_graphs())
    questions = [g for g in graphs if "/eli/dl/doc/WQ-" in g]
    quads = json.loads(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                                   "application/sparql-results+json").body)["results"]["bindings"][0]["n"]["value"]
    report: dict[str, object] = {"store": str(args.store), "graphs": len(graphs), "quads": int(quads),
                                 "bytes_on_disk": folder_size(args.store)}
    for name, query in PLAIN_QUERIES.items():
        times, first = [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            body = store.query(PREFIXES + query, "application/sparql-results+json", timeout=120).body
            times.append(time.perf_counter() - started)
            first = first or json.loads(body)["results"]["bindings"]
        top = max((int(row["n"]["value"]) for row in first), default=0)
        report[name] = {"median_ms": round(1000 * statistics.median(times), 1), "rows": len(first), "largest": top}
    store.close()

    app = create_app({"STORE_PATH": str(args.store), "BASE_URI": base})
    client = app.test_client()
    sample = random.Random(1).sample(sorted(questions), min(args.requests, len(questions)))
    for suffix in ("ttl", "jsonld", "html"):
        for iri in sample:  # warm up: the store's block cache, and the server's caches (as a server that runs a while)
            client.get(iri[len(base) - 1:] + "." + suffix)
        times = []
        for iri in sample:
            started = time.perf_counter()
            response = client.get(iri[len(base) - 1:] + "." + suffix)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (iri, response.status_code)
        report[f"question .{suffix}"] = {"median_ms": round(1000 * statistics.median(times), 2),
                                        "p90_ms": round(1000 * percentile(times, 0.9), 2)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
