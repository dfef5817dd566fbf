"""Benchmark of `senate-kg build` over synthetic pages (issue 2 "Speed"): a benchmark, not a test.

    .venv/bin/python bench/bench_build.py [--sizes 1000 10000] [--workers N] [--out bench/out]

For each size: generate that many synthetic bilingual pages (bench/synthetic.py), run the real command line
(`senate-kg build --quiet`) end to end into a fresh store in a child process, and report pages/second end to
end and per stage, and peak memory (ru_maxrss) of the build's parent process and of its largest worker.
Then, in the same run and on the same graphs, what a user would otherwise pick:
- loading: rdflib's in-memory `Dataset` parsing the store's N-Quads export, against our load stage (pyoxigraph);
- validating: pyshacl called once per question graph (shapes parsed once, the per-call cost is the fixed
  overhead of each call), timed on a sample and extrapolated, against our batched validation stage.
Last, the CPU seconds of each stage run one after the other in one process (the load as a first build takes it,
the bulk path of store/bulk.py, and, for comparison, the same graphs through transactions as later builds
write changed graphs). Prints markdown tables to stdout; progress notes go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = "http://bench.senate-kg.test/"
STAGES = ("parse", "merge", "map", "validate", "load", "publish")
PYSHACL_SAMPLE = 100  # graphs validated one by one to estimate pyshacl's per-call cost


@dataclass(frozen=True)
class BuildRun:
    pages: int
    wall: float  # seconds, child process start to exit
    status: int
    summary: dict[str, str]
    timings: dict[str, float]
    parent_rss_mb: float
    worker_rss_mb: float
    cpu_seconds: float  # user + system, parent and workers: what the build costs whatever else the machine runs


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(folder: Path, count: int) -> float:
    """Write `count` synthetic pages into a fresh `folder`; returns seconds."""
    from bench.synthetic import write_pages

    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_pages(count, folder)
    return time.perf_counter() - started


def child_main(argv: Sequence[str]) -> int:
    """Run in the child: the CLI in-process, then its own and its workers' peak memory as one JSON line."""
    from senate_kg.cli import main

    status = main(list(argv))
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    usage = {
        "parent_kb": own.ru_maxrss,
        "worker_kb": workers.ru_maxrss,  # the largest joined pool worker
        "cpu_seconds": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
    }
    print("RUSAGE " + json.dumps(usage), file=sys.stderr, flush=True)
    return status


def parse_timings(line: str) -> dict[str, float]:
    """`seconds: parse 1.23, merge 0.01, …` -> {"parse": 1.23, …}"""
    pairs = (item.strip().rsplit(" ", 1) for item in line.split(",") if item.strip())
    return {name: float(value) for name, value in pairs}


def run_build(pages: Path, store: Path, count: int, workers: int | None) -> BuildRun:
    argv = ["build", "--quiet", "--store", str(store), "--base-uri", BASE, str(pages)]
    if workers:
        argv[1:1] = ["--workers", str(workers)]
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *argv]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    summary = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    usage_line = next((line for line in done.stderr.splitlines() if line.startswith("RUSAGE ")), None)
    if usage_line is None:
        raise SystemExit(f"build failed ({done.returncode}):\n{done.stderr[-3000:]}")
    usage = json.loads(usage_line[len("RUSAGE "):])
    rejected = [line for line in done.stderr.splitlines() if not line.startswith("RUSAGE ")]
    if rejected:
        log(f"  {len(rejected)} stderr lines, first: {rejected[0]}")
    return BuildRun(count, wall, done.returncode, summary, parse_timings(summary.get("seconds", "")),
                    usage["parent_kb"] / 1024, usage["worker_kb"] / 1024, usage["cpu_seconds"])


def rdflib_load_seconds(store: Path, scratch: Path) -> tuple[float, int]:
    """The alternative to our load stage: rdflib's in-memory Dataset parsing the same quads. Returns (seconds,
    quads in the export)."""
    from rdflib import Dataset

    from senate_kg.cli import main

    dump = scratch / "bench-export.nq"
    with contextlib.redirect_stdout(io.StringIO()):
        if main(["export", "--quiet", "--store", str(store), "--output", str(dump)]) != 0:
            raise SystemExit("export failed")
    quads = sum(1 for line in dump.open(encoding="utf-8") if line.strip())
    started = time.perf_counter()
    Dataset().parse(dump, format="nquads")
    seconds = time.perf_counter() - started
    dump.unlink()
    return seconds, quads


def validation_per_graph(pages: Path) -> tuple[float, float]:
    """(seconds per graph with one plain pyshacl call per graph, seconds per graph through our Validator in one
    batch), both on the same sample of question graphs, both on one core, both with the shapes already loaded."""
    import pyshacl

    from mapping.iris import Iris
    from mapping.rdf import question_graph
    from mapping.validate import Validator
    from senate_kg.pipeline import collect_pages, merge_all, parse_file

    files = collect_pages([pages])
    sample = random.Random(7).sample(files, min(PYSHACL_SAMPLE, len(files)))
    questions, _ = merge_all(p.question for p in map(parse_file, map(str, sample)) if p.question)
    iris = Iris(BASE)
    graphs = [question_graph(q, iris) for q in questions]
    validator = Validator(iris)
    validator.validate(graphs[0])  # warm up: shapes harvested once, as in a build
    started = time.perf_counter()
    validator.validate_many(graphs)
    batched = (time.perf_counter() - started) / len(graphs)
    started = time.perf_counter()
    for graph in graphs:
        pyshacl.validate(graph, shacl_graph=validator.shapes, inference="none")
    one_by_one = (time.perf_counter() - started) / len(graphs)
    return one_by_one, batched


def cpu_per_stage(pages: Path, scratch: Path) -> dict[str, float]:
    """CPU seconds of each stage run serially in this process: figures that do not depend on what else the
    machine runs (wall-clock does, a lot, on a shared 2-core machine)."""
    from mapping.eurovoc import load_index
    from mapping.iris import Iris
    from mapping.rdf import question_triples, triples_ntriples
    from mapping.validate import Validator
    from senate_kg.pipeline import MAP_CHUNK, collect_pages, merge_all, parse_file
    from senate_kg.publish import publish
    from store import open_store

    iris = Iris(BASE)
    load_index()
    validator = Validator(iris)
    out: dict[str, float] = {}

    def timed(stage: str, action):
        started = time.process_time()
        result = action()
        out[stage] = time.process_time() - started
        return result

    files = collect_pages([pages])
    records = timed("parse", lambda: [parse_file(str(p)).question for p in files])
    questions, _ = timed("merge", lambda: merge_all(r for r in records if r is not None))
    def map_all() -> tuple[list, list]:
        triples = [question_triples(q, iris) for q in questions]
        named = [(iris.question(q.identifier), triples_ntriples(t)) for q, t in zip(questions, triples, strict=True)]
        return triples, named

    triples, graphs = timed("map", map_all)
    timed("validate", lambda: [validator.validate_many(triples[i:i + MAP_CHUNK])
                               for i in range(0, len(triples), MAP_CHUNK)])
    location, other = scratch / "cpu-store", scratch / "cpu-store-transactions"
    for old in (location, other):
        shutil.rmtree(old, ignore_errors=True)
    store = open_store(location)
    loader = timed("load", lambda: bulk_load(store, graphs))  # a first build: the bulk path (store/bulk.py)
    timed("publish", lambda: publish(store, location, iris, nquads=(loader.staged, loader.quads)))
    store.close()
    later = open_store(other)  # what the same graphs cost through transactions (later builds, changed graphs)
    timed("load by transactions", lambda: [later.replace_graphs(graphs[i:i + MAP_CHUNK])
                                           for i in range(0, len(graphs), MAP_CHUNK)])
    later.close()
    for leftover in (location, other, location.with_name(location.name + ".dumps")):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in (location.with_name(location.name + ".search.sqlite"),):
        leftover.unlink(missing_ok=True)
    return out


def bulk_load(store, graphs: list[tuple[str, bytes]]):
    """The bulk path as a first build takes it, in one process: stage every graph, load, exchange."""
    from store.bulk import stage_graph
    from store.meta import now

    loader = store.bulk_loader()
    when = now()
    for iri, data in graphs:
        loader.add(iri, stage_graph(iri, data, when))
    loader.commit()
    return loader


def rate(count: int, seconds: float | None) -> str:
    return f"{count / seconds:,.0f}" if seconds else "–"


def table(runs: list[BuildRun], compare: dict[int, dict[str, float]], cpu: dict[int, dict[str, float]]) -> str:
    lines = [
        "| pages | questions | exit | end to end (s) | CPU (s) | pages/s end to end | " +
        " | ".join(f"{s} pages/s" for s in STAGES) + " | parent peak RSS (MB) | worker peak RSS (MB) |",
        "|" + "---:|" * (8 + len(STAGES)),
    ]
    for run in runs:
        stage_rates = " | ".join(rate(run.pages, run.timings.get(s)) for s in STAGES)
        lines.append(f"| {run.pages:,} | {run.summary.get('questions loaded', '?')} | {run.status} | {run.wall:.1f} | "
                     f"{run.cpu_seconds:.1f} | "
                     f"{rate(run.pages, run.wall)} | {stage_rates} | {run.parent_rss_mb:,.0f} | "
                     f"{run.worker_rss_mb:,.0f} |")
    lines += ["", "| pages | stage seconds (from the build's summary) |", "|---:|---|"]
    lines += [f"| {run.pages:,} | {run.summary.get('seconds', '')} |" for run in runs]
    lines += ["", "| pages | quads | our load (s) | rdflib Dataset parse (s) | rdflib / ours | validate in the build "
                  "(ms/question, wall) | our Validator, one core (ms/graph) | pyshacl, one call per graph (ms/graph) "
                  "| pyshacl / ours |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        c = compare.get(run.pages)
        if not c:
            continue
        load = run.timings.get("load", 0)
        in_build = run.timings.get("validate", 0) / max(int(run.summary.get("questions loaded", 1)), 1)
        lines.append(
            f"| {run.pages:,} | {c['quads']:,} | {load:.2f} | {c['rdflib_load']:.2f} | "
            f"{c['rdflib_load'] / max(load, 1e-9):.1f}x | {in_build * 1000:.2f} | {c['batched'] * 1000:.2f} | "
            f"{c['one_by_one'] * 1000:.2f} | {c['one_by_one'] / max(c['batched'], 1e-9):.1f}x |")
    if cpu:
        lines += ["", "| pages | " + " | ".join(f"{s} CPU s" for s in STAGES) + " | sum CPU s | "
                  "load by transactions CPU s (later builds) |", "|" + "---:|" * (len(STAGES) + 3)]
        for count, stages in cpu.items():
            total, later = sum(stages.get(s, 0) for s in STAGES), stages.get("load by transactions", 0)
            lines.append(f"| {count:,} | " + " | ".join(f"{stages.get(s, 0):.1f}" for s in STAGES) +
                         f" | {total:.1f} | {later:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--workers", type=int, help="passed to build --workers (default: every core)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--no-compare", action="store_true", help="skip the rdflib / pyshacl comparisons")
    args = parser.parse_args(argv)

    runs, compare, cpu = [], {}, {}
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the machine skews wall-clock
    for count in args.sizes:
        pages, store = args.out / f"pages-{count}", args.out / f"store-{count}"
        log(f"{count:,} pages: generating …")
        log(f"  generated in {generate(pages, count):.1f} s; building …")
        for leftover in (store, store.with_name(store.name + ".dumps")):  # a fresh store each run
            shutil.rmtree(leftover, ignore_errors=True)
        run = run_build(pages, store, count, args.workers)
        log(f"  built in {run.wall:.1f} s (exit {run.status}): {run.summary.get('seconds')}")
        runs.append(run)
        if not args.no_compare:
            log("  comparing with rdflib Dataset and one-by-one pyshacl …")
            seconds, quads = rdflib_load_seconds(store, args.out)
            one_by_one, batched = validation_per_graph(pages)
            compare[count] = {"rdflib_load": seconds, "quads": quads, "one_by_one": one_by_one, "batched": batched}
            log("  CPU seconds per stage, serially …")
            cpu[count] = cpu_per_stage(pages, args.out)
    print(f"{os.cpu_count()} cores; load average before the runs: {load_before}; after: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(table(runs, compare, cpu))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(main())
