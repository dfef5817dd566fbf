"""Serving benchmark (issue 3 "Speed"): a benchmark, not a test. Everything on 127.0.0.1, every run bounded.

    .venv/bin/python bench/bench_serve.py --store bench/out/load-10000/store [--seconds 10] [--connections 16]
        [--workers N] [--threads N] [--query-timeout S] [--rdflib-endpoint-python PYTHON]

With a store built by `senate-kg build` (bench/load_test.py --build N makes one from synthetic questions), it
starts `senate-kg serve` (gunicorn: `--workers` processes, `--threads` threads each for cheap requests; default:
serve's own) and `oxigraph serve` on the same data (the store's N-Quads dump loaded with `oxigraph load`, union
default graph), then measures:
- with wrk (Debian's, `bench/paths.lua` rotating over 2,000 question URLs so no single answer is cached): a question
  in Turtle (1 connection, then `--connections`), JSON-LD and HTML (content negotiation on the question IRI), and
  the question's CONSTRUCT (`queries/internal/describe-question.rq`: its named graph) sent straight to
  `oxigraph serve` in Turtle: the ratio says what the Flask tier costs;
- three queries of `queries/` through /sparql (two selective, one aggregate over the whole store), with their
  parameters bound to rotating values, and the same texts on `oxigraph serve`: one request at a time (they take
  seconds at 100,000 questions), up to three each, each bounded by `--query-timeout`.
With `--rdflib-endpoint-python` (a Python that has `rdflib-endpoint` and `uvicorn`, e.g. a separate venv: they are
not this project's dependencies), the same dump is loaded into an rdflib Dataset (union default graph) served by
rdflib-endpoint (FastAPI on uvicorn, one process, as `rdflib-endpoint serve` runs it), and the question's CONSTRUCT
(wrk) and the three queries (one at a time) are measured there too; rdflib cannot stop a query, so after one that
overran the server is restarted. Loading takes minutes and gigabytes beyond ~10,000 questions (1.6 M quads).
With `--before-project DIR --before-store STORE` (a `git worktree` of an older commit and the store it built from
the same pages) it measures only this: the older server on its store against this one on `--store`, questions in
Turtle, JSON-LD and HTML, each pair alternately `--repeat` times (issue 9: serving within 10% of before).
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
RDFLIB = "rdflib-endpoint"


@dataclass(frozen=True)
class Result:
    name: str
    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    note: str = ""


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


def spawn(args: Sequence[str], log_file: Path, project: Path = ROOT) -> subprocess.Popen:
    """Run from `project` (this checkout, or with --before-project an older one: `python -m senate_kg` imports
    the project of its working directory first)."""
    env = dict(os.environ, PYTHONPATH=str(project)) if project != ROOT else None
    with log_file.open("ab") as out:
        return subprocess.Popen(list(args), cwd=project, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=env)


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


def serve_command(store: Path, port: int, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "senate_kg", "serve", "--quiet", "--store", str(store), "--host", HOST,
               "--port", str(port)]
    return command + [f"--{name}={value}" for name, value in (("workers", args.workers), ("threads", args.threads))
                      if value]


def run(args: argparse.Namespace) -> list[Result]:
    store: Path = args.store
    base = base_of(store)
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    app_port, ox_port = free_port(), free_port()
    oxigraph_location = Path(f"{store}.oxigraph")
    load_oxigraph(store, oxigraph_location)
    app = spawn(serve_command(store, app_port, args), work / "app.log")
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
        constructs = [describe_question(iri) for iri in values["question"]]
        for _ in range(args.repeat):  # alternately: this machine's speed drifts between runs
            measure("question text/turtle", "senate-kg", app_url, questions, "text/turtle")
            measure("question CONSTRUCT text/turtle", "oxigraph serve", ox_url, sparql_paths(constructs, "/query"),
                    "text/turtle")
        measure("question text/turtle, 1 connection", "senate-kg", app_url, questions, "text/turtle", 1)
        for accept in ("application/ld+json", "text/html"):
            measure(f"question {accept}", "senate-kg", app_url, questions, accept)
        for name, param in QUERIES:  # seconds each at 100,000 questions: one at a time, a few of them
            texts = query_texts(name, param, values, base)
            for target, url, endpoint in (("senate-kg", app_url, "/sparql"), ("oxigraph serve", ox_url, "/query")):
                result, _ = time_queries(f"/sparql {name}", target, f"{url}{endpoint}", texts, args)
                results.append(result)
        app_rss = rss_mib(app.pid)
    finally:
        stop(app)
        stop(oxigraph)
    log(f"senate-kg serve RSS at the end: {app_rss:.0f} MiB (all its processes)")
    if args.rdflib_endpoint_python:
        results += measure_rdflib_endpoint(args, work, values, base, constructs)
    return results


def run_before_after(args: argparse.Namespace) -> list[Result]:
    """The older commit's server on the store it built (`--before-project`, `--before-store`) against this one's
    on `--store` (built from the same pages): the questions in Turtle, JSON-LD and HTML, each pair measured
    alternately `--repeat` times, the same 2,000 questions on both."""
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    old_port, new_port = free_port(), free_port()
    old = spawn(serve_command(args.before_store.resolve(), old_port, args), work / "before.log", args.before_project)
    new = spawn(serve_command(args.store, new_port, args), work / "after.log")
    results: list[Result] = []
    try:
        wait_for(f"http://{HOST}:{old_port}/health", old)
        wait_for(f"http://{HOST}:{new_port}/health", new)
        questions = [urllib.parse.urlsplit(iri).path for iri in samples(new_port, base_of(args.store))["question"]]
        measure = _measurer(args, work, results)
        for _ in range(args.repeat):
            for accept in ("text/turtle", "application/ld+json", "text/html"):
                for target, port in (("before", old_port), ("after", new_port)):
                    measure(f"question {accept}", target, f"http://{HOST}:{port}", questions, accept)
    finally:
        stop(old)
        stop(new)
    return results


def result_table(results: Sequence[Result]) -> list[str]:
    return ["| what | server | req/s | p50 ms | p99 ms | requests | errors |", "|---|---|---|---|---|---|---|",
            *(f"| {r.name} | {r.target} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.requests} | {r.errors} |"
              for r in results)]


def before_after_report(results: Sequence[Result], args: argparse.Namespace) -> str:
    """The table, then after/before throughput per format: run by run and the median."""
    lines = [f"before: {args.before_store} served by {args.before_project}; after: {args.store} served by this "
             f"checkout; wrk -t2 -c{args.connections} -d{args.seconds:g}s after {min(5.0, args.seconds):g} s of the "
             f"same, x{args.repeat} alternately", "", *result_table(results), ""]
    for name in dict.fromkeys(r.name for r in results):
        befores = [r for r in results if r.name == name and r.target == "before"]
        afters = [r for r in results if r.name == name and r.target == "after"]
        ratios = [a.rps / b.rps for a, b in zip(afters, befores, strict=True) if b.rps]
        if ratios:
            lines.append(f"- {name}: after / before throughput {', '.join(f'{x:.2f}' for x in ratios)}, median "
                         f"{sorted(ratios)[len(ratios) // 2]:.2f}; p99 {', '.join(f'{b.p99_ms:.1f}' for b in befores)}"
                         f" -> {', '.join(f'{a.p99_ms:.1f}' for a in afters)} ms")
    return "\n".join(lines)


# ---------------------------------------------------------------- rdflib-endpoint
def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(
                    int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def start_rdflib_endpoint(args: argparse.Namespace, work: Path) -> tuple[subprocess.Popen, str, float]:
    """rdflib-endpoint on the store's N-Quads dump (this script in its serving mode, under the other Python); also
    the seconds it took to load."""
    port = free_port()
    dump = Path(f"{args.store}.dumps") / "senate-kg-questions.nq.gz"
    started = time.perf_counter()
    process = spawn([args.rdflib_endpoint_python, str(Path(__file__).resolve()), "--serve-rdflib-endpoint",
                     str(dump), "--port", str(port)], work / "rdflib-endpoint.log")
    url = f"http://{HOST}:{port}"
    wait_for(f"{url}/sparql?query=ASK%7B%7D", process, seconds=args.rdflib_load_seconds)
    seconds = time.perf_counter() - started
    log(f"rdflib-endpoint: {dump} loaded and served in {seconds:.0f} s, RSS {rss_mib(process.pid):.0f} MiB")
    return process, url, seconds


def timed_get(url: str, accept: str, timeout: float) -> float | None:
    """Seconds one GET took, None when it failed or overran `timeout`."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return time.perf_counter() - started if response.status == 200 else None
    except OSError:
        return None


def time_queries(name: str, target: str, endpoint: str, texts: Sequence[str], args: argparse.Namespace
                 ) -> tuple[Result, bool]:
    """Up to three of the query's texts sent one at a time (within about `--seconds`, each bounded by
    `--query-timeout`): req/s = answers / time, p50 = median, p99 = slowest. Returns also whether one overran."""
    seconds: list[float] = []
    budget = time.monotonic() + args.seconds
    overran = False
    for text in texts[:3]:
        took = timed_get(f"{endpoint}?" + urllib.parse.urlencode({"query": text}), "application/sparql-results+json",
                         args.query_timeout)
        if took is None:
            overran = True
            break
        seconds.append(took)
        if time.monotonic() > budget:
            break
    result = Result(name, target, len(seconds) / sum(seconds) if seconds else 0.0,
                    sorted(seconds)[len(seconds) // 2] * 1000 if seconds else float("nan"),
                    max(seconds) * 1000 if seconds else float("nan"), len(seconds), int(overran))
    log(f"{name} [{target}]: {len(seconds)} answers one at a time"
        + (f", median {result.p50_ms:.0f} ms" if seconds else "")
        + (f"; no answer within {args.query_timeout:g} s" if overran else ""))
    return result, overran


def measure_rdflib_endpoint(args: argparse.Namespace, work: Path, values: dict[str, list[str]], base: str,
                            constructs: Sequence[str]) -> list[Result]:
    results: list[Result] = []
    process, url, load_seconds = start_rdflib_endpoint(args, work)
    busy = False  # computing an abandoned query (rdflib cannot stop one)
    try:
        measure = _measurer(args, work, results)
        measure("question CONSTRUCT text/turtle", RDFLIB, url, sparql_paths(constructs, "/sparql"), "text/turtle")
        for name, param in QUERIES:
            if busy:
                results.append(Result(f"/sparql {name}", RDFLIB, 0.0, float("nan"), float("nan"), 0, 0,
                                      "not measured: the server was still computing an abandoned query"))
                continue
            result, overran = time_queries(f"/sparql {name}", RDFLIB, f"{url}/sparql",
                                           query_texts(name, param, values, base), args)
            results.append(result)
            if overran and load_seconds <= args.rdflib_restart_seconds:  # start afresh
                stop(process)
                process, url, load_seconds = start_rdflib_endpoint(args, work)
            elif overran:
                busy = True
    finally:
        stop(process)
    log(f"rdflib-endpoint: loading the dump took {load_seconds:.0f} s")
    return results


def serve_rdflib_endpoint(dump: Path, port: int) -> None:
    """The serving mode (run under a Python with rdflib-endpoint and uvicorn): the dump into an rdflib Dataset
    whose default graph is the union of the named graphs, served at /sparql."""
    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    started = time.perf_counter()
    with gzip.open(dump, "rb") as source:
        dataset.parse(source, format="nquads")
    log(f"rdflib: {len(dataset)} quads parsed in {time.perf_counter() - started:.0f} s")
    app = SparqlEndpoint(graph=dataset, path="/sparql", cors_enabled=False)
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


def _measurer(args: argparse.Namespace, work: Path, results: list[Result]):
    def measure(name: str, target: str, url: str, paths: Sequence[str], accept: str,
                connections: int | None = None) -> None:
        connections = connections or args.connections  # warm-up: the same requests, so that both servers' caches
        wrk(name, target, url, paths, accept, min(5.0, args.seconds), connections, work)  # hold what is measured
        result = wrk(name, target, url, paths, accept, args.seconds, connections, work)
        log(f"{name} [{target}]: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"{result.errors} errors")
        results.append(result)
    return measure


def pools_note(threads: int) -> str:
    """The thread pools of each senate-kg serve process in this run (server/serving.py sizes them)."""
    from server.serving import Settings

    settings = Settings(threads=threads) if threads else Settings()
    return f" (threads per process: {settings.pool_sizes()})"


def report(results: Sequence[Result], args: argparse.Namespace) -> str:
    from server.serving import usable_cores

    lines = [f"store {args.store}, wrk -t2 -c{args.connections} -d{args.seconds:g}s after {min(5.0, args.seconds):g} s "
             f"of the same, Turtle pair x{args.repeat}; named queries one at a time, "
             f"senate-kg serve: gunicorn {args.workers or usable_cores()} processes{pools_note(args.threads)}", "",
             *result_table(results)]
    by = {(r.name, r.target): r for r in results}  # the last of repeated measurements
    turtles = [r for r in results if (r.name, r.target) == ("question text/turtle", "senate-kg")]
    oxigraphs = [r for r in results if (r.name, r.target) == ("question CONSTRUCT text/turtle", "oxigraph serve")]
    lines.append("")
    if turtles and oxigraphs:
        ratios = sorted(t.rps / o.rps for t, o in zip(turtles, oxigraphs, strict=False) if o.rps)
        lines.append(f"- question in Turtle vs the same CONSTRUCT on oxigraph serve, run by run: "
                     f"{', '.join(f'{t.rps / o.rps:.2f}' for t, o in zip(turtles, oxigraphs, strict=False))} x its "
                     f"throughput, median {ratios[len(ratios) // 2]:.2f} (target >= 0.5)")
        lines.append(f"- Turtle p99, run by run: {', '.join(f'{t.p99_ms:.1f}' for t in turtles)} ms (target < 50 ms)")
    construct = by.get(("question CONSTRUCT text/turtle", RDFLIB))
    if turtles and construct and construct.rps:
        lines.append(f"- question in Turtle vs the same CONSTRUCT on {RDFLIB}: {turtles[-1].rps / construct.rps:.1f} x "
                     f"its throughput")
    for name, _ in QUERIES:  # one query at a time on each server: the medians say it
        ours = by.get((f"/sparql {name}", "senate-kg"))
        for target in ("oxigraph serve", RDFLIB):
            theirs = by.get((f"/sparql {name}", target))
            if ours and ours.requests and theirs and theirs.requests:
                lines.append(f"- /sparql {name}: median {ours.p50_ms:.0f} ms against {theirs.p50_ms:.0f} ms on "
                             f"{target}: {theirs.p50_ms / ours.p50_ms:.2f} x its speed")
            elif ours and theirs and theirs.note:
                lines.append(f"- /sparql {name} on {target}: {theirs.note}")
            elif ours and theirs:
                lines.append(f"- /sparql {name}: no answer within {args.query_timeout:g} s from "
                             f"{'senate-kg' if not ours.requests else target}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="Turtle / oxigraph CONSTRUCT pairs, alternately")
    parser.add_argument("--workers", type=int, default=0, help="senate-kg serve processes (default: serve's own)")
    parser.add_argument("--threads", type=int, default=0, help="threads per senate-kg serve process")
    parser.add_argument("--rdflib-endpoint-python", metavar="PYTHON",
                        help="a Python with rdflib-endpoint and uvicorn: measure rdflib-endpoint too")
    parser.add_argument("--query-timeout", type=float, default=60.0,
                        help="seconds allowed for each named query (one at a time, on every server)")
    parser.add_argument("--rdflib-load-seconds", type=float, default=900.0, help="time allowed to load the dump")
    parser.add_argument("--rdflib-restart-seconds", type=float, default=120.0,
                        help="after a query overran, reload rdflib-endpoint only if loading took at most this long")
    parser.add_argument("--serve-rdflib-endpoint", type=Path, metavar="DUMP", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--before-project", type=Path, metavar="DIR",
                        help="an older checkout (git worktree): compare its server with this one's, nothing else")
    parser.add_argument("--before-store", type=Path, metavar="DIR", help="the store that older checkout built")
    if "--serve-rdflib-endpoint" in (argv if argv is not None else sys.argv[1:]):  # the serving mode: no --store
        serving = argparse.ArgumentParser()
        serving.add_argument("--serve-rdflib-endpoint", type=Path, required=True)
        serving.add_argument("--port", type=int, required=True)
        mode = serving.parse_args(argv)
        serve_rdflib_endpoint(mode.serve_rdflib_endpoint, mode.port)
        return 0
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, 60.0)
    if bool(args.before_project) != bool(args.before_store):
        parser.error("--before-project and --before-store go together")
    if args.before_project:
        args.before_project = args.before_project.resolve()
        text = before_after_report(run_before_after(args), args)
    else:
        text = report(run(args), args)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
