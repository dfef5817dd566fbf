"""A bounded load test of `senate-kg serve` (gunicorn) on 127.0.0.1 (issue 5, "Load").

Mixed traffic, at increasing concurrency (closed loop: each client sends its next request when the previous one
is answered): question pages in HTML, questions in Turtle and JSON-LD, point SPARQL queries and full-text
search. For each level: requests per second, p50/p99 latency per kind, errors (a status other than 200, a broken
connection, a timeout). The server's memory (RSS of its master, worker processes and query workers) before and
after, and the CPU each used.

    python bench/load_test.py --store bench/out/load-10000/store [--build 10000] [--levels 1,8,32,64] [--seconds 20]
        [--workers N] [--threads N]

`--build N` first writes N synthetic pages (bench/synthetic.py) and runs `senate-kg build` when the store does
not exist yet. The client is asyncio on raw keep-alive connections (one process, sharing the machine's cores with
the server: its own CPU time is reported). Only 127.0.0.1 is ever contacted; every level stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
BASE = "http://bench.senate-kg.test/"
SEARCH_WORDS = ("budget", "réforme", "personeel", "données", "evaluatie", "stratégie", "Mobilité", "Justitie",
                "contrôle", "dossier", "procédure", "kostprijs")
# (kind, share of the traffic): what a public Linked Data site mostly serves
MIX = (("html", 30), ("turtle", 25), ("jsonld", 15), ("sparql", 15), ("search", 15))


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {what}")


# ---------------------------------------------------------------- preparing
def build_store(store: Path, count: int, seed: int) -> None:
    """Synthetic pages, then `senate-kg build` (its summary is printed)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import synthetic

    pages = store.parent / "pages"
    started = time.perf_counter()
    synthetic.write_pages(count, pages, seed=seed)
    print(f"wrote {count} pages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "senate_kg", "build", "--quiet", "--store", str(store), "--base-uri", BASE,
                    str(pages)], cwd=ROOT, check=True)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def start_server(store: Path, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "senate_kg", "serve", "--quiet", "--store", str(store), "--host", HOST, "--port",
            str(port)] + [f"--{name}={value}" for name, value in (("workers", workers), ("threads", threads)) if value]
    with log.open("ab") as out:
        process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit("the server did not answer /health within 120 s")


def stop_server(process: subprocess.Popen) -> None:
    """The same process-group stop as the serving benchmark's (one copy, in bench_serve.py)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_serve import stop

    stop(process)


def question_ids(port: int, limit: int = 3000) -> list[str]:
    """Identifiers of stored questions, asked once through /sparql before the measure."""
    query = ("PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX skg: <" + BASE + "def/> "
             f"SELECT ?id WHERE {{ GRAPH ?q {{ ?q a skg:WrittenQuestion ; dcterms:identifier ?id }} }} LIMIT {limit}")
    url = f"http://{HOST}:{port}/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        rows = json.load(response)["results"]["bindings"]
    found = [row["id"]["value"] for row in rows]
    if not found:
        raise SystemExit("no question found in the store")
    return found


def make_request(kind: str, ids: Sequence[str], rng: random.Random) -> tuple[str, dict[str, str]]:
    """The path and headers of one request of `kind`."""
    question = "/eli/dl/doc/WQ-" + rng.choice(ids)
    if kind == "html":
        return question, {"Accept": "text/html"}
    if kind == "turtle":
        return question, {"Accept": "text/turtle"}
    if kind == "jsonld":
        return question, {"Accept": "application/ld+json"}
    if kind == "sparql":
        query = ("PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?title WHERE { GRAPH ?q { ?q dcterms:identifier "
                 f'"{rng.choice(ids)}" ; dcterms:title ?title }} }}')
        return "/sparql?" + urllib.parse.urlencode({"query": query}), {"Accept": "application/sparql-results+json"}
    return "/api/search?" + urllib.parse.urlencode({"q": rng.choice(SEARCH_WORDS)}), {"Accept": "application/json"}


# ---------------------------------------------------------------- HTTP/1.1 keep-alive client
async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep the connection) after reading one whole response."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, chunked, close = None, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        close = True
    return status, not close


async def client(port: int, ids: Sequence[str], deadline: float, stats: Stats, seed: int, timeout: float) -> None:
    rng = random.Random(seed)
    kinds = [kind for kind, share in MIX for _ in range(share)]
    reader = writer = None
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        path, headers = make_request(kind, ids, rng)
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{lines}\r\n".encode())
            status, keep = await asyncio.wait_for(read_response(reader), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            stats.error(kind, f"{type(exc).__name__} {exc}"[:200])
            writer = _close(writer)
            continue
        stats.latencies[kind].append(time.perf_counter() - started)
        if status != 200:
            stats.error(kind, f"status {status} for {path[:120]}")
        if not keep:
            writer = _close(writer)
    _close(writer)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()
    return None


async def run_level(port: int, ids: Sequence[str], clients: int, seconds: float, timeout: float) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(port, ids, deadline, stats, seed, timeout) for seed in range(clients)))
    return stats


# ---------------------------------------------------------------- memory and figures
def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the query workers), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def _proc_mib(pids: Sequence[int], file: str, field: str) -> dict[int, float]:
    """One kB figure of /proc/<pid>/<file> (the line starting with `field`) per process, in MiB."""
    sizes = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
                if line.startswith(field):
                    sizes[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return sizes


def rss_mib(pids: Sequence[int]) -> dict[int, float]:
    return _proc_mib(pids, "status", "VmRSS:")


def pss_mib(pids: Sequence[int]) -> dict[int, float]:
    """Proportional set size: pages shared by the forked workers (the app made once in the master) counted once
    in all, where RSS counts them in every process."""
    return _proc_mib(pids, "smaps_rollup", "Pss:")


def memory_line(when: str, pids: Sequence[int]) -> str:
    rss, pss = rss_mib(pids), pss_mib(pids)
    return (f"server memory {when}: RSS {sum(rss.values()):.0f} MiB, PSS {sum(pss.values()):.0f} MiB in {len(rss)} "
            f"processes (RSS {', '.join(f'{v:.0f}' for v in rss.values())})")


def cpu_of(pids: Sequence[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return used


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def table_rows(clients: int, seconds: float, stats: Stats) -> list[str]:
    rows = []
    everything = [x for values in stats.latencies.values() for x in values]
    for kind in [k for k, _ in MIX] + ["all"]:
        values = everything if kind == "all" else stats.latencies.get(kind, [])
        errors = sum(stats.errors.values()) if kind == "all" else stats.errors.get(kind, 0)
        rows.append(f"| {clients} | {kind} | {len(values)} | {len(values) / seconds:.1f} | "
                    f"{percentile(values, 0.5) * 1000:.1f} | {percentile(values, 0.99) * 1000:.1f} | {errors} |")
    return rows


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="embedded store built by `senate-kg build`")
    parser.add_argument("--build", type=int, metavar="N", help="build N synthetic questions first if missing")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--levels", default="1,8,32,64", help="concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level (at most 120)")
    parser.add_argument("--workers", type=int, default=0, help="server processes (default: serve's own)")
    parser.add_argument("--threads", type=int, default=0, help="threads per server process")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout per request")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    args = parser.parse_args(argv)
    levels = [min(int(x), 256) for x in args.levels.split(",")]
    seconds = min(args.seconds, 120.0)
    if not args.store.is_dir():
        if not args.build:
            raise SystemExit(f"{args.store}: no store (give --build N to make one)")
        build_store(args.store, args.build, args.seed)
    port = args.port or _free_port()
    server = start_server(args.store, port, args.workers, args.threads, args.store.parent / "load-test-server.log")
    try:
        report = measure(server, port, levels, seconds, args)
    finally:
        stop_server(server)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    return 0


def measure(server: subprocess.Popen, port: int, levels: Sequence[int], seconds: float,
            args: argparse.Namespace) -> str:
    ids = question_ids(port)
    warm = asyncio.run(run_level(port, ids, 4, min(5.0, seconds), args.timeout))  # imports, caches, workers
    before = memory_line("before", process_tree(server.pid))
    lines = ["| clients | kind | requests | req/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    notes = [f"warm-up: {sum(map(len, warm.latencies.values()))} requests, {sum(warm.errors.values())} errors"]
    for clients in levels:
        cpu, tree = cpu_seconds(), process_tree(server.pid)
        server_cpu = cpu_of(tree)
        stats = asyncio.run(run_level(port, ids, clients, seconds, args.timeout))
        lines += table_rows(clients, seconds, stats)
        tree = sorted(set(tree) | set(process_tree(server.pid)))  # with query workers started meanwhile
        spent = {pid: used - server_cpu.get(pid, 0.0) for pid, used in cpu_of(tree).items()}
        notes.append(f"{clients} clients: server CPU {sum(spent.values()):.1f} s of {seconds:g} s "
                     f"({', '.join(f'{v:.1f}' for v in spent.values())} per process), load generator CPU "
                     f"{cpu_seconds() - cpu:.1f} s" + (f"; errors e.g. {stats.examples}" if stats.examples else ""))
    memory = [before, memory_line("after", process_tree(server.pid))]
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_serve import pools_note

    from server.serving import usable_cores

    header = (f"store {args.store}, {len(ids)} question ids sampled, senate-kg serve: gunicorn "
              f"{args.workers or usable_cores()} processes{pools_note(args.threads)}, {seconds:g} s per level, "
              f"mix {dict(MIX)}")
    return "\n".join([header, "", *lines, "", *(f"- {n}" for n in notes + memory)])


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
