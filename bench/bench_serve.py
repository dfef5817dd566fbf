"""Serving benchmark (issue 3 "Speed"): a benchmark, not a test. Everything on 127.0.0.1, every run bounded.

    .venv/bin/python bench/bench_serve.py --store bench/out/load-10000/store [--seconds 10] [--connections 16]

With a store built by `senate-kg build` (bench/load_test.py --build N makes one from synthetic questions), it
starts `senate-kg serve` (waitress) and `oxigraph serve` on the same data (the store's N-Quads dump loaded with
`oxigraph load`, union default graph), then measures with wrk (Debian's, `bench/paths.lua` rotating over many
URLs so no single answer is cached):
- a question in Turtle, JSON-LD and HTML (content negotiation on the question IRI);
- three queries of `queries/` through /sparql (two selective, one aggregate over the whole store), with their
  parameters bound to rotating values;
- the question's CONSTRUCT (`queries/internal/describe-question.rq`: its named graph) sent straight to
  `oxigraph serve` in Turtle, and the three queries too: the ratios say what the Flask tier costs.
Targets (issue 3, at 100,000 questions): Turtle p99 < 50 ms, at least half of oxigraph serve's throughput.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
WRK = "/usr/bin/wrk"
LUA = ROOT / "bench" / "paths.lua"
QUERIES = (("senator-questions", "senator"), ("concept-questions", "concept"), ("questions-per-party", None))


@dataclass(frozen=True)
class Result:
    name: str
    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- servers
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[:3]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:g} s")


def spawn(args: Sequence[str], log_file: Path) -> subprocess.Popen:
    with log_file.open("ab") as out:
        return subprocess.Popen(list(args), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)


def oxigraph_binary() -> str:
    return shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


def load_oxigraph(store: Path, location: Path) -> None:
    """The store's N-Quads dump into an Oxigraph location (skipped when already loaded)."""
    if (location / "CURRENT").exists():
        return
    dump = Path(f"{store}.dumps") / "senate-kg-questions.nq.gz"
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "questions.nq"
        with gzip.open(dump) as source, plain.open("wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        started = time.perf_counter()
        subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(plain)], check=True,
                       stdout=subprocess.DEVNULL)
        log(f"oxigraph load: {time.perf_counter() - started:.0f} s")


# ---------------------------------------------------------------- what to ask
def base_of(store: Path) -> str:
    return json.loads(Path(f"{store}.json").read_text())["base_uri"]


def select_values(port: int, query: str, limit: int) -> list[str]:
    url = f"http://{HOST}:{port}/sparql?" + urllib.parse.urlencode({"query": query + f" LIMIT {limit}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        rows = json.load(response)["results"]["bindings"]
    return [next(iter(row.values()))["value"] for row in rows]


def samples(port: int, base: str) -> dict[str, list[str]]:
    """Question IRIs, senators and concepts to rotate over (asked once, before measuring)."""
    prefixes = f"PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX skg: <{base}def/> " \
               "PREFIX eli: <http://data.europa.eu/eli/ontology#> "
    return {
        "question": select_values(port, prefixes + "SELECT ?q WHERE { GRAPH ?q { ?q a skg:WrittenQuestion } }", 2000),
        "senator": select_values(port, prefixes + "SELECT DISTINCT ?p WHERE { ?q dcterms:creator ?p }", 200),
        "concept": select_values(port, prefixes + "SELECT DISTINCT ?c WHERE { ?q eli:is_about ?c }", 300),
    }


def query_texts(name: str, param: str | None, values: dict[str, list[str]], base: str, count: int = 200
                ) -> list[str]:
    """The named query rendered as the API would run it (first page of 100 rows), for rotating values."""
    from server.named_queries import find_named_query

    query = find_named_query(name)
    if param is None:
        return [query.render(query.bind({}), base, limit=100)]
    return [query.render(query.bind({param: value}), base, limit=100) for value in values[param][:count]]


def describe_question(iri: str) -> str:
    body = (ROOT / "queries" / "internal" / "describe-question.rq").read_text()
    body = "\n".join(line for line in body.splitlines() if not line.startswith("#"))
    return body.replace("GRAPH ?q", f"GRAPH <{iri}>")


# ---------------------------------------------------------------- wrk
_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(name: str, target: str, url: str, paths: Sequence[str], accept: str, seconds: float, connections: int,
        workdir: Path) -> Result:
    """One wrk run over `paths` (rotated by bench/paths.lua)."""
    listing = workdir / f"{re.sub(r'[^a-z0-9]+', '-', (name + target).lower())}.paths"
    listing.write_text("\n".join(paths) + "\n")
    command = [WRK, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "--latency",
               "-H", f"Accept: {accept}", "-s", str(LUA), url, "--", str(listing)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    latency = {p: float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Result(name, target, rps, latency.get("50", float("nan")), latency.get("99", float("nan")), requests,
                  (int(bad.group(1)) if bad else 0) + socket_errors)


def sparql_paths(texts: Sequence[str], endpoint: str) -> list[str]:
    return [f"{endpoint}?" + urllib.parse.urlencode({"query": text}) for text in texts]


def run(args: argparse.Namespace) -> list[Result]:
    store: Path = args.store
    base = base_of(store)
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    app_port, ox_port = free_port(), free_port()
    oxigraph_location = Path(f"{store}.oxigraph")
    load_oxigraph(store, oxigraph_location)
    app = spawn([sys.executable, "-m", "senate_kg", "serve", "--quiet", "--store", str(store), "--host", HOST,
                 "--port", str(app_port), "--threads", str(args.threads)], work / "app.log")
    oxigraph = spawn([oxigraph_binary(), "serve", "--location", str(oxigraph_location), "--bind",
                      f"{HOST}:{ox_port}", "--union-default-graph"], work / "oxigraph.log")
    results: list[Result] = []
    try:
        wait_for(f"http://{HOST}:{app_port}/health", app)
        wait_for(f"http://{HOST}:{ox_port}/query?query=ASK%7B%7D", oxigraph)
        values = samples(app_port, base)
        app_url, ox_url = f"http://{HOST}:{app_port}", f"http://{HOST}:{ox_port}"
        questions = [urllib.parse.urlsplit(iri).path for iri in values["question"]]
        measure = _measurer(args, work, results)
        measure("question text/turtle, 1 connection", "senate-kg", app_url, questions, "text/turtle", 1)
        for name, accept in (("question", "text/turtle"), ("question", "application/ld+json"),
                             ("question", "text/html")):
            measure(f"{name} {accept}", "senate-kg", app_url, questions, accept)
        constructs = [describe_question(iri) for iri in values["question"]]
        measure("question CONSTRUCT text/turtle", "oxigraph serve", ox_url, sparql_paths(constructs, "/query"),
                "text/turtle")
        for name, param in QUERIES:  # these take a second or more each: two connections (one per core)
            texts = query_texts(name, param, values, base)
            for target, url, endpoint in (("senate-kg", app_url, "/sparql"), ("oxigraph serve", ox_url, "/query")):
                measure(f"/sparql {name}", target, url, sparql_paths(texts, endpoint),
                        "application/sparql-results+json", 2)
    finally:
        stop(app)
        stop(oxigraph)
    return results


def _measurer(args: argparse.Namespace, work: Path, results: list[Result]):
    def measure(name: str, target: str, url: str, paths: Sequence[str], accept: str,
                connections: int | None = None) -> None:
        wrk(name, target, url, paths[:50], accept, min(3.0, args.seconds), 2, work)  # warm caches, workers
        result = wrk(name, target, url, paths, accept, args.seconds, connections or args.connections, work)
        log(f"{name} [{target}]: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"{result.errors} errors")
        results.append(result)
    return measure


def report(results: Sequence[Result], args: argparse.Namespace) -> str:
    lines = [f"store {args.store}, wrk -t2 -c{args.connections} -d{args.seconds:g}s (SPARQL queries: -c2), "
             f"waitress threads {args.threads}", "",
             "| what | server | req/s | p50 ms | p99 ms | requests | errors |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.target} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.requests} | {r.errors} |"
              for r in results]
    by = {(r.name, r.target): r for r in results}
    turtle = by.get(("question text/turtle", "senate-kg"))
    construct = by.get(("question CONSTRUCT text/turtle", "oxigraph serve"))
    lines.append("")
    if turtle and construct:
        lines.append(f"- question in Turtle vs the same CONSTRUCT on oxigraph serve: {turtle.rps / construct.rps:.2f}"
                     f" of its throughput (target >= 0.5); Turtle p99 {turtle.p99_ms:.1f} ms (target < 50 ms)")
    for name, _ in QUERIES:
        ours, theirs = by.get((f"/sparql {name}", "senate-kg")), by.get((f"/sparql {name}", "oxigraph serve"))
        if ours and theirs and theirs.rps:
            lines.append(f"- /sparql {name}: {ours.rps / theirs.rps:.2f} of oxigraph serve's throughput")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, 60.0)
    text = report(run(args), args)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
