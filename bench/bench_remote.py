"""The remote store on two engines against the embedded one (issue 13): push time to `oxigraph serve` and to
Virtuoso, then every named query (`/api/queries/NAME.json`, first page) and the plain researcher queries
(`/sparql`) one at a time on the embedded store, `oxigraph serve` and Virtuoso, through the same app.

    .venv/bin/python bench/bench_remote.py --questions 10000 [--store DIR] [--repeat 3] [--timeout 300]

Builds N synthetic questions (bench/synthetic.py + `senate-kg build`) unless --store names a built store; starts
its own `oxigraph serve` and Virtuoso (tests/virtuoso_instance.py, 1.6 GB of cache) in bench/out/remote-N/, stops
them at the end; prints a Markdown table of medians and ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import virtuoso_instance  # noqa: E402

from senate_kg.cli import main as cli  # noqa: E402

PREFIXES = """PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX eli-dl: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""
PLAIN = {  # what a researcher writes on the union default graph (README "One fact, one place")
    "plain: questions per senator": "SELECT ?name (COUNT(?q) AS ?n) WHERE { ?q dcterms:creator ?p . "
                                    "?p foaf:name ?name } GROUP BY ?name ORDER BY DESC(?n)",
    "plain: questions per concept (fr label)": "SELECT ?label (COUNT(?q) AS ?n) WHERE { ?q eli:is_about ?c . "
                                               "?c skos:prefLabel ?label FILTER(lang(?label) = 'fr') } "
                                               "GROUP BY ?label ORDER BY DESC(?n)",
    "plain: COUNT of eli:Work": "SELECT (COUNT(*) AS ?n) WHERE { ?w a eli:Work }",
    "plain: a question's triples": "SELECT * WHERE { ?q dcterms:creator ?p ; ?pred ?o } LIMIT 100",
}
BASE = "http://bench.senate-kg.test/"


def load_synthetic():
    spec = importlib.util.spec_from_file_location("bench_synthetic", ROOT / "bench" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build(questions: int, work: Path) -> Path:
    store = work / "store"
    if store.exists():
        return store
    load_synthetic().write_pages(questions, work / "pages", seed=1)
    started = time.perf_counter()
    assert cli(["build", "--quiet", "--store", str(store), "--base-uri", BASE, str(work / "pages")]) in (0, 1)
    print(f"build: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return store


def timed_push(store: Path, args: list[str]) -> float:
    started = time.perf_counter()
    assert cli(["push", "--quiet", "--store", str(store), *args]) == 0
    return time.perf_counter() - started


def start_oxigraph(folder: Path) -> tuple[subprocess.Popen, str]:
    port = virtuoso_instance.free_port()
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    process = subprocess.Popen([binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("oxigraph serve did not start")


def requests_to_time(client) -> dict[str, str]:
    """Named query -> path (first page of 100; required parameters from the data), plain query -> /sparql."""
    catalogue = client.get("/api/queries").get_json()
    listed = catalogue["queries"] if isinstance(catalogue, dict) else catalogue
    names = [q["name"] for q in listed]
    most = "GROUP BY ?x ORDER BY DESC(?n) LIMIT 1"
    senator = top(client, f"SELECT ?x (COUNT(?q) AS ?n) WHERE {{ ?q dcterms:creator ?x }} {most}")
    concept = top(client, f"SELECT ?x (COUNT(?q) AS ?n) WHERE {{ ?q eli:is_about ?x }} {most}")
    given = {"senator-questions": {"senator": senator}, "concept-questions": {"concept": concept}}
    paths = {name: f"/api/queries/{name}.json?" + urllib.parse.urlencode({"limit": 100, **given.get(name, {})})
             for name in names}
    paths.update({name: "/sparql?" + urllib.parse.urlencode({"query": PREFIXES + text})
                  for name, text in PLAIN.items()})
    return paths


def top(client, query: str) -> str:
    reply = client.get("/sparql?" + urllib.parse.urlencode({"query": PREFIXES + query}),
                       headers={"Accept": "application/sparql-results+json"})
    return next(iter(json.loads(reply.data)["results"]["bindings"][0].values()))["value"]


def time_path(client, path: str, repeat: int) -> float | None:
    """Median seconds of `repeat` runs (after one warm-up); None when it failed (timeout: 503)."""
    times = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        reply = client.get(path, headers={"Accept": "application/sparql-results+json"})
        if reply.status_code != 200:
            return None
        if attempt:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    work = ROOT / "bench" / "out" / f"remote-{args.questions}"
    work.mkdir(parents=True, exist_ok=True)
    store = args.store or build(args.questions, work)
    shutil.rmtree(work / "oxigraph", ignore_errors=True)
    shutil.rmtree(work / "virtuoso", ignore_errors=True)
    oxigraph, oxigraph_url = start_oxigraph(work / "oxigraph")
    virtuoso = virtuoso_instance.start(work / "virtuoso", buffers=200_000)
    try:
        pushes = {"oxigraph": timed_push(store, ["--endpoint", oxigraph_url]),
                  "virtuoso": timed_push(store, ["--endpoint", virtuoso.url, "--engine", "virtuoso",
                                                 "--credentials-file", str(virtuoso.credentials_file)])}
        from server import create_app

        common = {"TESTING": True, "BASE_URI": BASE, "STORE_PATH": str(store), "QUERY_TIMEOUT": args.timeout}
        apps = {"embedded": create_app(common),
                "oxigraph": create_app({**common, "REMOTE_ENDPOINT": oxigraph_url}),
                "virtuoso": create_app({**common, "REMOTE_ENDPOINT": virtuoso.url, "REMOTE_ENGINE": "virtuoso"})}
        clients = {name: app.test_client() for name, app in apps.items()}
        paths = requests_to_time(clients["embedded"])
        rows = []
        for name, path in paths.items():
            found = {engine: time_path(client, path, args.repeat) for engine, client in clients.items()}
            rows.append((name, found))
            print(name, found, file=sys.stderr)
        print(report(args.questions, pushes, rows))
        for app in apps.values():
            app.extensions["store"].close()
    finally:
        oxigraph.terminate()
        oxigraph.wait(30)
        virtuoso_instance.stop(virtuoso)
    return 0


def report(questions: int, pushes: dict[str, float], rows: list[tuple[str, dict[str, float | None]]]) -> str:
    def ms(value: float | None) -> str:
        return "timeout" if value is None else f"{value * 1000:,.0f}"

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a / b:.2f}"

    lines = [f"push of {questions:,} questions: oxigraph serve {pushes['oxigraph']:.1f} s, "
             f"Virtuoso {pushes['virtuoso']:.1f} s", "",
             "| query | embedded ms | oxigraph ms | Virtuoso ms | embedded / Virtuoso | oxigraph / Virtuoso |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, found in rows:
        e, o, v = found["embedded"], found["oxigraph"], found["virtuoso"]
        lines.append(f"| {name} | {ms(e)} | {ms(o)} | {ms(v)} | {ratio(e, v)} | {ratio(o, v)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
