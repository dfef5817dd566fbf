"""The graph layout's cost and gain (issue 9 "One fact, one place"), on one store, in one process.

Measures, for the store given:
- quads per question and the store's size on disk;
- a question in Turtle, JSON-LD and HTML through the Flask app (test client, in-process: the application's own
  cost, without gunicorn or the network), median and p90 over `--requests` questions;
- the plain researcher queries of tests/stores/test_one_fact_one_place.py through `Store.query` (the union
  default graph, as /sparql runs them), median of `--repeat` runs, with the row count of the first;
- every named query of `queries/*.rq` (the project's own: the older commit's texts with the older project) sent
  whole to `/sparql` through the same app, one request at a time, after one warm-up request: median of
  `--repeat`, rows, or "timeout" when /sparql answered 503 at its `QUERY_TIMEOUT` (30 s). A required
  parameter gets a value read from the store (SAMPLE_VALUES: the same before and after), else the query's
  first `#+ example:`.

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
import sys
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
SAMPLE_VALUES = {  # the value of a required parameter of a named query, read from the first question graph (by
    # IRI): the same in both stores, and cheap in the older layout too; the others take the query's example
    # (concept-questions: EuroVoc 5451, which the synthetic pages use)
    "senator": "SELECT ?x WHERE { GRAPH <QUESTION> { ?p eli-dl:had_participant_person ?x } } ORDER BY ?x LIMIT 1",
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
    parser.add_argument("--plain-timeout", type=float, default=120.0, help="seconds allowed to each plain query")
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
        report[name] = time_plain_query(store, PREFIXES + query, args.repeat, args.plain_timeout)
        print(name, report[name], file=sys.stderr, flush=True)
    values = {name: sample_value(store, query, sorted(questions)) for name, query in SAMPLE_VALUES.items()}
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
    report["named queries through /sparql"] = time_named_queries(client, base, values, args.repeat)
    print(json.dumps(report, indent=2))
    return 0


def sample_value(store, query: str, questions: list[str]) -> str:
    """The value `query` finds in the first question graph that has one (a placeholder graph has none)."""
    for question in questions:
        rows = json.loads(store.query(PREFIXES + query.replace("QUESTION", question),
                                      "application/sparql-results+json").body)["results"]["bindings"]
        if rows:
            return rows[0]["x"]["value"]
    raise SystemExit(f"no question graph gives a value for: {query}")


def time_plain_query(store, query: str, repeat: int, timeout: float) -> dict[str, object] | str:
    """Median of `repeat` runs, the rows and largest count of the first; "timeout" past `timeout` seconds."""
    from store import QueryTimeout

    times, first = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            body = store.query(query, "application/sparql-results+json", timeout=timeout).body
        except QueryTimeout:
            return f"timeout (> {timeout:g} s)"
        times.append(time.perf_counter() - started)
        first = first or json.loads(body)["results"]["bindings"]
    top = max((int(row["n"]["value"]) for row in first), default=0)
    return {"median_ms": round(1000 * statistics.median(times), 1), "rows": len(first), "largest": top}


def named_query_text(query, base: str, values: dict[str, str]) -> str:
    """The query as /api/queries runs it with no optional parameter (its whole result, not a page)."""
    examples = [{k: v.replace("{base}", base) for k, v in example.items()} for example in query.examples]
    raw: dict[str, str] = {}
    for param in query.params:
        if param.required:
            raw[param.name] = values.get(param.name) or next(e[param.name] for e in examples if param.name in e)
    return query.render(query.bind(raw), base)


def time_named_queries(client, base: str, values: dict[str, str], repeat: int) -> dict[str, object]:
    from server.named_queries import load_named_queries

    timings: dict[str, object] = {}
    for query in load_named_queries():
        text = named_query_text(query, base, values)
        times, rows = [], None
        for attempt in range(repeat + 1):  # the first is the warm-up
            started = time.perf_counter()
            response = client.post("/sparql", data={"query": text},
                                   headers={"Accept": "application/sparql-results+json"})
            took = time.perf_counter() - started
            if response.status_code != 200:
                timings[query.name] = f"HTTP {response.status_code} after {took:.1f} s"
                break
            rows = len(response.get_json()["results"]["bindings"])
            if attempt:
                times.append(took)
        else:
            timings[query.name] = {"median_ms": round(1000 * statistics.median(times)), "rows": rows}
        print(query.name, timings[query.name], file=sys.stderr, flush=True)
    return timings


if __name__ == "__main__":
    raise SystemExit(main())
