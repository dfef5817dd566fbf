"""Benchmark of publishing (issue 4 "Speed"): a benchmark, not a test.

    .venv/bin/python bench/bench_publish.py [--sizes 10000 100000] [--out bench/out] [--searches 500]

For each size: synthetic pages (bench/synthetic.py, reused if already written), built by the real command line
(`senate-kg build --quiet`, which publishes), then in this process:
- publishing again from the store, timed per stage: the three dumps, the VoID/DCAT figures, the sitemap, the
  search index (`senate_kg.publish.publish`);
- search latency over the SQLite FTS5 index: `--searches` requests mixing single words, two words, phrases,
  prefixes, and filters (legislature, party, office, date range, concept), p50/p99 (target p99 < 100 ms), both
  straight on the index and through the Flask app (`/api/search`, JSON serialisation included);
- every named query through the API (`/api/queries/{name}`, first page of 100 rows, under the query timeout),
  the median of `--repeat` runs.
Prints a markdown table to stdout; progress notes go to stderr.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = "http://bench.senate-kg.test/"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def build(size: int, out: Path) -> tuple[Path, float]:
    """Pages (once) and a fresh store built by the real CLI in a child process; returns the store and seconds."""
    from bench.synthetic import write_pages

    pages = out / f"pages-{size}"
    if not pages.is_dir() or len(list(pages.iterdir())) < size:
        log(f"writing {size} synthetic pages to {pages}")
        write_pages(size, pages)
    store = out / f"publish-{size}" / "store"
    if store.exists():
        subprocess.run(["rm", "-rf", str(store.parent)], check=True)
    store.parent.mkdir(parents=True)
    log(f"building {store}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "senate_kg", "build", "--quiet", "--store", str(store),
                    "--base-uri", BASE, str(pages)], check=False, cwd=ROOT, stdout=sys.stderr)
    return store, time.perf_counter() - started


def time_publish(store_dir: Path) -> dict[str, float]:
    from mapping.iris import Iris
    from senate_kg.publish import publish
    from store import open_store

    store = open_store(store_dir, read_only=True)
    try:
        started = time.perf_counter()
        report = publish(store, store_dir, Iris(BASE))
        total = time.perf_counter() - started
    finally:
        store.close()
    sizes = {d.key: d.byte_size for d in report.dumps}
    log(f"published {report.quads} quads, {report.questions_indexed} questions indexed; dump bytes {sizes}")
    return {**report.timings, "total": total, "quads": report.quads, "questions": report.questions_indexed}


def search_requests(index, count: int, seed: int = 0) -> list[dict[str, str]]:
    """A mix of what people type and filter, drawn from the indexed data itself."""
    import sqlite3

    rng = random.Random(seed)
    connection = sqlite3.connect(index.path)
    titles = [row[0] for row in connection.execute("SELECT title_fr FROM question WHERE title_fr IS NOT NULL "
                                                   "ORDER BY random() LIMIT 2000")]
    concepts = [row[0] for row in connection.execute("SELECT DISTINCT concept FROM question_concept LIMIT 500")]
    connection.close()
    words = [w.strip(".,;:«»()") for t in titles for w in t.split() if len(w) > 4]
    facets = index.facets()
    requests = []
    for i in range(count):
        kind = i % 6
        word = rng.choice(words)
        if kind == 0:
            requests.append({"q": word})
        elif kind == 1:
            requests.append({"q": f"{word} {rng.choice(words)}"})
        elif kind == 2:
            requests.append({"q": f"{word[:4]}*"})
        elif kind == 3:
            requests.append({"q": word, "party": rng.choice(facets["party"])[0]})
        elif kind == 4:
            requests.append({"q": word, "office": rng.choice(facets["office"])[0], "from": "2000-01-01"})
        else:
            requests.append({"concept": rng.choice(concepts), "legislature": rng.choice(facets["legislature"])[0]})
    return requests


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    durations = []
    for call in calls:
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def bench_search(store_dir: Path, app, count: int) -> dict[str, tuple[float, float]]:
    from senate_kg.publish import search_index_for
    from store.search_index import SearchIndex, parse_search_query

    index = SearchIndex(search_index_for(store_dir))
    requests = search_requests(index, count)
    direct = timed([lambda r=r: index.search(parse_search_query(r)) for r in requests])
    client = app.test_client()

    def http(r: dict[str, str]) -> None:
        assert client.get("/api/search", query_string=r).status_code == 200

    through_app = timed([lambda r=r: http(r) for r in requests])
    return {"index": (percentile(direct, 50), percentile(direct, 99)),
            "/api/search": (percentile(through_app, 50), percentile(through_app, 99))}


def warm_up(app, workers: int = 2) -> list[float]:
    """The store's query workers each open the store on their first job (a cold RocksDB open): time those
    first requests separately, then measure warm ones."""
    client = app.test_client()
    seconds = []
    for _ in range(workers):
        started = time.perf_counter()
        client.get("/api/queries/questions-per-legislature.json")
        seconds.append(time.perf_counter() - started)
    return seconds


def bench_named_queries(app, repeat: int) -> dict[str, tuple[float, int, int]]:
    """Median milliseconds, status and rows of each named query's first page through the API."""
    from server.named_queries import load_named_queries

    client = app.test_client()
    senators = client.get("/api/queries/questions-per-senator.json?limit=1").get_json().get("rows") or [{}]
    concepts = client.get("/api/queries/questions-per-concept-per-year.json?limit=1").get_json().get("rows") or [{}]
    values = {"senator": senators[0].get("senator", BASE + "person/x"),
              "concept": concepts[0].get("concept", "http://eurovoc.europa.eu/1")}
    results = {}
    for query in load_named_queries():
        params = {p.name: values[p.name] for p in query.params if p.required}
        durations, status, rows = [], 0, 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(f"/api/queries/{query.name}.json", query_string=params)
            durations.append((time.perf_counter() - started) * 1000)
            status = response.status_code
            rows = len(response.get_json().get("rows", [])) if status == 200 else 0
        results[query.name] = (statistics.median(durations), status, rows)
        log(f"  {query.name}: {results[query.name][0]:.0f} ms ({status}, {rows} rows)")
    return results


def scaled_records(source: Path, factor: int):
    """The records of an existing index, repeated `factor` times under new identifiers: a search index as
    large as factor x the built store, without building that store (the search-latency question only)."""
    import sqlite3

    from store.search_index import SearchRecord

    connection = sqlite3.connect(source)
    connection.row_factory = sqlite3.Row
    concepts: dict[int, list[tuple[str, str | None, str | None]]] = {}
    for row in connection.execute("SELECT qc.question_id, c.iri, c.label_fr, c.label_nl FROM question_concept qc "
                                  "JOIN concept c ON c.iri = qc.concept"):
        concepts.setdefault(row[0], []).append((row[1], row[2], row[3]))
    rows = connection.execute("SELECT q.*, f.question AS qtext, f.answer AS atext FROM question q "
                              "JOIN question_fts f ON f.rowid = q.id").fetchall()
    connection.close()
    for copy in range(factor):
        for row in rows:
            identifier = f"{row['identifier']}-{copy}"
            yield SearchRecord(
                iri=f"{row['iri']}-{copy}", identifier=identifier, legislature=row["legislature"], date=row["date"],
                title={k: row[f"title_{k}"] for k in ("fr", "nl") if row[f"title_{k}"]},
                question_text={"fr": row["qtext"]} if row["qtext"] else {},
                answer_text={"fr": row["atext"]} if row["atext"] else {}, author=row["author"],
                author_name=row["author_name"], party=row["party"], party_label=row["party_label"],
                office=row["office"], office_label={k: row[f"office_{k}"] for k in ("fr", "nl") if row[f"office_{k}"]},
                status=row["status"], answer_date=row["answer_date"], concepts=tuple(concepts.get(row["id"], ())))


def bench_scaled_search(store_dir: Path, factor: int, count: int) -> None:
    from senate_kg.publish import search_index_for
    from store.search_index import SearchIndex, build_index, parse_search_query

    target = store_dir.parent / f"scaled-x{factor}.search.sqlite"
    started = time.perf_counter()
    indexed = build_index(target, scaled_records(search_index_for(store_dir), factor))
    seconds = time.perf_counter() - started
    index = SearchIndex(target)
    requests = search_requests(index, count)
    durations = timed([lambda r=r: index.search(parse_search_query(r)) for r in requests])
    print(f"- search index of {indexed} questions (the built store's records x{factor}): built in {seconds:.1f} s, "
          f"{target.stat().st_size >> 20} MB; search p50 {percentile(durations, 50):.1f} ms, "
          f"p99 {percentile(durations, 99):.1f} ms ({count} requests)", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--query-timeout", type=float, default=60.0)
    parser.add_argument("--reuse", action="store_true", help="keep an existing store instead of rebuilding")
    parser.add_argument("--search-scale", type=int, default=0,
                        help="also time search on an index this many times the built one (e.g. 10: 100,000)")
    parser.add_argument("--search-only", action="store_true", help="skip publishing and named queries")
    args = parser.parse_args(argv)
    from server import create_app

    for size in args.sizes:
        store_dir = args.out / f"publish-{size}" / "store"
        if args.reuse and store_dir.is_dir():
            build_seconds = float("nan")
        else:
            store_dir, build_seconds = build(size, args.out)
        if args.search_scale:
            bench_scaled_search(store_dir, args.search_scale, args.searches)
        if args.search_only:
            continue
        publish = time_publish(store_dir)
        app = create_app({"STORE_PATH": str(store_dir), "BASE_URI": BASE, "QUERY_TIMEOUT": args.query_timeout,
                          "TESTING": True})
        indexed, quads = int(publish["questions"]), int(publish["quads"])
        print(f"\n### {size} synthetic questions ({indexed} indexed, {quads} quads)\n")
        print(f"- `senate-kg build` end to end (parse ... load, publish): {build_seconds:.1f} s")
        stages = ", ".join(f"{k} {publish[k]:.1f} s" for k in ("dumps", "figures", "sitemap", "search"))
        print(f"- publish again from the store: {publish['total']:.1f} s ({stages})", flush=True)
        log("searching")
        search = bench_search(store_dir, app, args.searches)
        for where, (p50, p99) in search.items():
            print(f"- search via {where}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({args.searches} requests)", flush=True)
        log("named queries")
        cold = warm_up(app)
        print(f"- first named-query requests (each query worker opens the store): "
              f"{', '.join(f'{s:.1f} s' for s in cold)}", flush=True)
        queries = bench_named_queries(app, args.repeat)
        print("\n| named query | median ms | status | rows |\n|---|---:|---:|---:|")
        for name, (ms, status, rows) in queries.items():
            print(f"| {name} | {ms:.0f} | {status} | {rows} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
