"""Fuzz the page parser: a coverage-guided atheris run, or a bounded random-mutation loop where atheris is missing.

The contract under test (mapping/parse.py, issue 5): `parse_page(bytes, source)` returns a Question or raises
`ParseError` naming a known field, never anything else, never slowly. Any record it returns must also map to
RDF (`mapping.rdf.question_triples`) without an unexpected exception, since the pipeline maps every record.

    python bench/fuzz_parser.py -max_total_time=120            # atheris (libFuzzer flags pass through)
    python bench/fuzz_parser.py --loop --seconds 60 --seed 0   # the same checks, random structural mutations

Seeds: every real page in data/samples, ../shared/samples (and senate-pages), tests/mapping/golden/negative,
each as UTF-8 and as Windows-1252 bytes. The atheris run mixes libFuzzer's byte-level mutations with the
line-level ones below (delete, duplicate, swap, truncate, huge line, invalid UTF-8, cp1252 re-encoding).
A crash is written by libFuzzer as `crash-<sha1>` in the working folder (or -artifact_prefix=DIR/).

The mutation primitives and `check_page` are plain functions: tests/stress/test_fuzz_parser.py drives them
with hypothesis, bench/stress_report.py runs both forms and reports inputs tried, crashes and times.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the mapping package is the repository's
    sys.path.insert(0, str(ROOT))

SEED_DIRS = (ROOT / "data" / "samples", ROOT.parent / "shared" / "samples",
             ROOT.parent / "shared" / "samples" / "senate-pages", ROOT / "tests" / "mapping" / "golden" / "negative")
# Every field a ParseError may name (mapping/parse.py, mapping/layouts.py); anything else is not "naming a field".
KNOWN_FIELDS = frozenset({"layout", "size", "input", "header", "number", "session", "date", "author", "addressee",
                          "title", "descriptors", "events", "links", "original_language", "answer_date"})
SECONDS_PER_MB = 2.5  # time bound: linear in the page size, generous for a shared 2-core machine
BASE_SECONDS = 0.5

# Byte strings that are not valid UTF-8 (lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF)
# or are legal but awkward (BOM, NEL, NBSP, line/paragraph separators, NUL, cp1252's undefined bytes).
INVALID_UTF8 = (b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff",
                b"\xfe\xff", b"\x81\x8d\x8f\x90\x9d")
AWKWARD = (b"\xef\xbb\xbf", b"\xc2\x85", b"\xc2\xa0", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\x00", b"\r", b"\r\n",
           b"\x0b", b"\x0c", b"\t", b"________", b" : ", b"(", b")", b"/", b"-", b"1er", b"31/2/2013",
           b"Question \xc3\xa9crite n\xc2\xb0 5-8900", b"Rappel",
           b"Aussi pos\xc3\xa9e \xc3\xa0 : question \xc3\xa9crite 5-1",
           b"R\xc3\xa9ponse re\xc3\xa7ue le 30 mai 2013 :", b"de X (Y)", b"au ", b"aan de ", b"Chronologie")
OPERATIONS = ("flip", "insert", "delete_bytes", "delete_line", "duplicate_line", "swap_lines", "truncate",
              "huge_line", "cp1252", "crlf")


# ---------------------------------------------------------------- seeds
def seed_pages() -> list[bytes]:
    """The real pages as bytes, each also re-encoded in Windows-1252 (as older pages are served); sorted, unique."""
    found: dict[bytes, None] = {}
    for folder in SEED_DIRS:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
            raw = path.read_bytes()
            found.setdefault(raw, None)
            with contextlib.suppress(UnicodeDecodeError):
                found.setdefault(raw.decode("utf-8").encode("cp1252", errors="replace"), None)
    if not found:
        raise SystemExit(f"no seed pages found in {', '.join(map(str, SEED_DIRS))}")
    return sorted(found)


# ---------------------------------------------------------------- mutations (pure: the same inputs, the same page)
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def mutate(data: bytes, op: str, a: int, b: int, payload: bytes) -> bytes:
    """One mutation of `data`; `a`, `b` are positions (taken modulo the size), `payload` bytes to put in.
    Written as one table-like function so hypothesis, the random loop and atheris share every operation."""
    n = max(len(data), 1)
    lines = _lines(data)
    i, j = a % len(lines), b % len(lines)
    if op == "flip":  # one bit of one byte
        pos = a % n
        return data[:pos] + bytes([(data[pos] if data else 0) ^ (1 << (b % 8))]) + data[pos + 1:]
    if op == "insert":
        pos = a % (len(data) + 1)
        return data[:pos] + payload + data[pos:]
    if op == "delete_bytes":
        pos = a % n
        return data[:pos] + data[pos + 1 + b % 64:]
    if op == "delete_line":
        return b"\n".join(lines[:i] + lines[i + 1:])
    if op == "duplicate_line":
        return b"\n".join(lines[:j] + [lines[i]] * (1 + b % 3) + lines[j:])
    if op == "swap_lines":
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if op == "truncate":  # anywhere, also inside a multi-byte character
        return data[:a % n]
    if op == "huge_line":  # 10 KB to 1 MB of one repeated fragment, inserted as or into a line
        unit = payload or lines[j][:40] or b"x"
        huge = unit * max(1, (10_000 + (b % 100) * 10_000) // len(unit))
        return b"\n".join(lines[:i] + [lines[i] + huge] + lines[i + 1:])
    if op == "cp1252":  # the page (or one line) as Windows-1252, the way older pages are served
        text = data.decode("utf-8", errors="replace")
        return text.encode("cp1252", errors="replace") if b % 2 else _recode_line(lines, i)
    if op == "crlf":
        return data.replace(b"\n", b"\r\n") if b % 2 else data.replace(b"\n", b"\r")
    raise ValueError(f"unknown mutation {op!r}: expected one of {', '.join(OPERATIONS)}")


def _recode_line(lines: list[bytes], i: int) -> bytes:
    """A page whose line `i` alone is Windows-1252: mixed encodings in one file."""
    lines = list(lines)
    lines[i] = lines[i].decode("utf-8", errors="replace").encode("cp1252", errors="replace")
    return b"\n".join(lines)


def random_payload(rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.4:
        return rng.choice(INVALID_UTF8)
    if choice < 0.8:
        return rng.choice(AWKWARD)
    return rng.randbytes(rng.randint(1, 16))


def random_mutant(seeds: Sequence[bytes], rng: random.Random) -> bytes:
    """A seed page with 1-6 random mutations (huge lines rarely: they cost the most time per input)."""
    data = rng.choice(seeds)
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(OPERATIONS) if rng.random() > 0.02 else "huge_line"
        if op == "huge_line" and rng.random() < 0.9:
            op = "insert"
        data = mutate(data, op, rng.randrange(1 << 30), rng.randrange(1 << 30), random_payload(rng))
    return data


# ---------------------------------------------------------------- the contract
class ContractViolation(AssertionError):
    """The parser broke its contract on one input (kept with the input so it can be written out)."""


def time_bound(size: int) -> float:
    """Seconds a page of `size` bytes may take: linear in its size."""
    return BASE_SECONDS + SECONDS_PER_MB * size / 1e6


def _check_record(q: object, data: bytes) -> None:
    """What any record must satisfy, whatever the page: the invariants the RDF mapping relies on."""
    from mapping.model import LANGUAGES

    problems = []
    if q.legislature < 0 or q.number < 0:
        problems.append(f"negative identifier {q.identifier}")
    for name in ("addressee", "title", "question_text", "answer_text"):
        values = getattr(q, name)
        if not set(values) <= set(LANGUAGES) or any(not t or t != t.strip() for t in values.values()):
            problems.append(f"{name} {values!r:.200}")
    if q.identifier in q.also_asked or len(set(q.also_asked)) != len(q.also_asked):
        problems.append(f"also_asked {q.also_asked!r:.200}")
    if not all(isinstance(e.date, dt.date) for e in q.events):
        problems.append("an event without a date")
    if problems:
        raise ContractViolation(f"bad record from {len(data)} bytes: {'; '.join(problems)}")


def _map(q: object) -> None:
    """The record must map to RDF: ParseError is allowed (the pipeline rejects the page), nothing else."""
    from mapping.errors import ParseError
    from mapping.iris import Iris
    from mapping.rdf import question_triples, triples_ntriples

    try:
        triples_ntriples(question_triples(q, Iris("http://fuzz.senate-kg.test/")))
    except ParseError:
        pass
    except Exception as exc:  # noqa: BLE001 - the finding itself
        raise ContractViolation(f"mapping a parsed record raised {type(exc).__name__}: {exc}") from exc


def check_page(data: bytes, *, map_records: bool = False) -> str:
    """Parse `data`; returns the outcome ("record" or "error:<field>") or raises ContractViolation."""
    from mapping.errors import ParseError
    from mapping.parse import parse_page

    started = time.perf_counter()
    try:
        q = parse_page(data, "fuzz.txt")
    except ParseError as err:
        if err.field not in KNOWN_FIELDS or not err.reason or err.reason.startswith("parser failure"):
            raise ContractViolation(f"ParseError on field {err.field!r}: {err.reason[:300]}") from err
        q, outcome = None, f"error:{err.field}"
    except Exception as exc:  # noqa: BLE001 - the finding itself
        raise ContractViolation(f"{type(exc).__name__} escaped parse_page: {exc}") from exc
    else:
        outcome = "record"
    elapsed = time.perf_counter() - started  # the parser's time alone: mapping is not what is bounded here
    if elapsed > time_bound(len(data)):
        raise ContractViolation(f"{len(data)} bytes took {elapsed:.2f} s (bound {time_bound(len(data)):.2f} s)")
    if q is not None:
        _check_record(q, data)
        if map_records:
            _map(q)
    return outcome


# ---------------------------------------------------------------- the bounded random loop
@dataclass
class LoopReport:
    inputs: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)
    crashes: list[tuple[str, Path | None]] = field(default_factory=list)
    slowest: tuple[float, int] = (0.0, 0)  # seconds, bytes

    def summary(self) -> str:
        top = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common(6))
        return (f"{self.inputs} inputs in {self.seconds:.1f} s ({self.inputs / max(self.seconds, 1e-9):.0f}/s), "
                f"{len(self.crashes)} crashes; slowest {self.slowest[0]:.3f} s for {self.slowest[1]} bytes; "
                f"outcomes: {top}")


def _save(data: bytes, folder: Path | None) -> Path | None:
    if folder is None:
        return None
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{hashlib.sha1(data).hexdigest()}"
    path.write_bytes(data)
    return path


def mutation_loop(seconds: float, seed: int = 0, *, max_inputs: int | None = None, map_records: bool = True,
                  crash_dir: Path | None = None, on_input: Callable[[int], None] | None = None) -> LoopReport:
    """Random structural mutations of the seed pages for at most `seconds` (or `max_inputs`)."""
    rng, seeds, report = random.Random(seed), seed_pages(), LoopReport()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds and (max_inputs is None or report.inputs < max_inputs):
        data = random_mutant(seeds, rng)
        t0 = time.perf_counter()
        try:
            report.outcomes[check_page(data, map_records=map_records)] += 1
        except ContractViolation as exc:
            report.crashes.append((str(exc), _save(data, crash_dir)))
        elapsed = time.perf_counter() - t0
        report.slowest = max(report.slowest, (elapsed, len(data)))
        report.inputs += 1
        if on_input:
            on_input(report.inputs)
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------- atheris
def run_atheris(argv: list[str], corpus_dir: Path) -> None:
    """libFuzzer over parse_page, instrumented for coverage, seeded with the real pages written to `corpus_dir`."""
    import atheris

    with atheris.instrument_imports(include=["mapping"]):
        import mapping.layouts  # noqa: F401 - instrumented for coverage
        import mapping.parse  # noqa: F401
        import mapping.text  # noqa: F401

    corpus_dir.mkdir(parents=True, exist_ok=True)
    for index, page in enumerate(seed_pages()):
        (corpus_dir / f"seed-{index:03d}").write_bytes(page)

    def test_one_input(data: bytes) -> None:
        check_page(data, map_records=False)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return atheris.Mutate(data, max_size)
        op = rng.choice([o for o in OPERATIONS if o != "huge_line"])
        out = mutate(data, op, rng.randrange(1 << 30), rng.randrange(1 << 30), random_payload(rng))
        return out[:max_size]

    atheris.Setup([sys.argv[0], *argv, str(corpus_dir)], test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--loop", action="store_true", help="random-mutation loop instead of atheris")
    parser.add_argument("--seconds", type=float, default=60.0, help="loop: time budget (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="loop: random seed")
    parser.add_argument("--crash-dir", type=Path, default=ROOT / "bench" / "out" / "fuzz-crashes")
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "out" / "fuzz-corpus",
                        help="atheris: corpus folder (seeded with the real pages, grows with new coverage)")
    args, libfuzzer_args = parser.parse_known_args(argv)
    if not args.loop:
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("atheris is not installed (pip install -e '.[fuzz]'): running the random-mutation loop",
                  file=sys.stderr)
            args.loop = True
    if args.loop:
        report = mutation_loop(args.seconds, args.seed, crash_dir=args.crash_dir)
        print(report.summary())
        for message, path in report.crashes[:20]:
            print(f"CRASH {path}: {message}")
        return 1 if report.crashes else 0
    libfuzzer_args = [a for a in libfuzzer_args if a.startswith("-")] or ["-max_total_time=60"]
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    run_atheris([f"-artifact_prefix={args.crash_dir}/", "-timeout=10", "-rss_limit_mb=4096", "-max_len=262144",
                 *libfuzzer_args], args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
