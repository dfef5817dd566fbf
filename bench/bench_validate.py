"""Benchmark of SHACL validation of question graphs (mapping.validate). Not a test: prints figures.

    .venv/bin/python bench/bench_validate.py [--count 500] [--workers 2]

Synthetic questions (bench/synthetic.py: legislature 99, invented names, real EuroVoc descriptors, sibling
groups of 1-4) are mapped to triples, then validated:
- one call per graph (`Validator.validate`), the naive way;
- plain pyshacl over one merged batch (our batching, without our pyshacl speed-ups);
- `Validator.validate_many` (batches of 500, shared shapes, speed-ups), the way the build runs;
- `Validator.validate_parallel` over `--workers` forked processes.
Figures are milliseconds per question: CPU time of this process, and wall-clock time (the parallel run's CPU is
spent in its workers, so only its wall time means something).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import generate  # noqa: E402
from mapping.iris import Iris  # noqa: E402
from mapping.model import Layout, Question, SourcePage  # noqa: E402
from mapping.rdf import question_triples  # noqa: E402
from mapping.validate import Validator  # noqa: E402

BASE = "http://senate-kg.bench/"
ONE_BY_ONE = 50  # graphs validated one call each (enough for a stable per-call figure)


def questions(count: int) -> list[Question]:
    """Synthetic records as the parser would give them (with the page they came from)."""
    return [replace(page.expected, sources=(SourcePage(page.filename, Layout.BILINGUAL_PRINT, None, "0" * 64),))
            for page in generate(count)]


def timed(label: str, count: int, run: Callable[[], object]) -> tuple[object, str]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return result, f"{label:<48} {cpu / count * 1000:8.3f} {wall / count * 1000:8.3f}   ({count} questions)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="synthetic questions (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="processes for validate_parallel (default 2)")
    args = parser.parse_args(argv)

    iris = Iris(BASE)
    records = questions(args.count)
    started = time.perf_counter()
    validator = Validator(iris)
    load_seconds = time.perf_counter() - started
    validator.validate(question_triples(records[0], iris))  # warm: shapes harvested, EuroVoc index read

    lines = [f"{'ms per question':<48} {'cpu':>8} {'wall':>8}"]
    graphs, line = timed("map (question_triples)", len(records), lambda: [question_triples(q, iris) for q in records])
    lines.append(line)
    sample = graphs[:ONE_BY_ONE]
    _, line = timed("validate one graph per call", len(sample), lambda: [validator.validate(g) for g in sample])
    lines.append(line)
    plain = Validator(iris, speedups=False)
    plain_sample = graphs[: min(len(graphs), 200)]
    _, line = timed("validate_many without pyshacl speed-ups", len(plain_sample),
                    lambda: plain.validate_many(plain_sample))
    lines.append(line)
    reports, line = timed(f"validate_many (batches of {validator.batch_size})", len(graphs),
                          lambda: validator.validate_many(graphs))
    lines.append(line)
    parallel, line = timed(f"validate_parallel ({args.workers} workers)", len(graphs),
                           lambda: validator.validate_parallel(graphs, workers=args.workers))
    lines.append(line)

    rejected = sum(1 for r in reports if r)
    triples = sum(len(g) for g in graphs) / len(graphs)
    print(f"{args.count} synthetic questions, {triples:.0f} triples each on average; shapes loaded in "
          f"{load_seconds * 1000:.0f} ms; {rejected} rejected; parallel results identical: {parallel == reports}")
    print("\n".join(lines))
    if rejected:
        print("first rejection:", next(str(v[0]) for v in reports if v), file=sys.stderr)
    return 1 if rejected or parallel != reports else 0


if __name__ == "__main__":
    sys.exit(main())
