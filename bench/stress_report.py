"""Run the long forms of the stress tests and the atheris fuzzer, print a markdown report of what was tried.

    python bench/stress_report.py                          # long forms (tens of minutes) + 120 s of atheris
    python bench/stress_report.py --short --atheris-seconds 20   # the CI forms, to check the report itself
    python bench/stress_report.py --out bench/out/stress.md
    python bench/stress_report.py -k crash --atheris-seconds 0   # one part only

What runs: `pytest tests/stress` with SENATE_KG_STRESS=long (parser fuzzing with hypothesis and a random loop,
long lines, SIGKILLed builds of 2,000 synthetic pages, a full tmpfs), the tests writing their figures to a
JSON-lines file (tests/stress/stress_helpers.record); then bench/fuzz_parser.py under atheris for a bounded
time. The report gives inputs tried, crashes, kills and what each left in the store, and times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_LOOP = re.compile(r"(\d+) inputs in [\d.]+ s")  # bench/fuzz_parser.py's fallback loop
_COVERAGE = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


# ---------------------------------------------------------------- running
def run_pytest(long: bool, stats: Path, junit: Path, only: str | None = None) -> tuple[int, float]:
    env = {**os.environ, "SENATE_KG_STRESS": "long" if long else "short", "SENATE_KG_STRESS_STATS": str(stats)}
    started = time.perf_counter()
    select = ["-k", only] if only else []
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/stress",
                             f"--junitxml={junit}", "-rxs", *select], cwd=ROOT, env=env, check=False)
    return result.returncode, time.perf_counter() - started


def run_atheris(seconds: int, crash_dir: Path) -> dict:
    """bench/fuzz_parser.py under atheris for `seconds`; runs, coverage and crash files from libFuzzer's output."""
    before = set(crash_dir.glob("crash-*")) | set(crash_dir.glob("timeout-*")) if crash_dir.is_dir() else set()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "fuzz_parser.py"), f"-max_total_time={seconds}",
                             "--crash-dir", str(crash_dir)], cwd=ROOT, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    done = _DONE.search(output) or _LOOP.search(output)
    coverage = _COVERAGE.findall(output)
    after = set(crash_dir.glob("crash-*")) | set(crash_dir.glob("timeout-*")) if crash_dir.is_dir() else set()
    return {"status": result.returncode, "seconds": time.perf_counter() - started,
            "runs": int(done[1]) if done else None, "coverage": coverage[-1] if coverage else None,
            "crashes": sorted(str(p) for p in after - before), "fallback": "atheris is not installed" in output,
            "tail": output.strip().splitlines()[-3:]}


def read_stats(path: Path) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = defaultdict(list)
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            sections[entry.pop("section")].append(entry)
    return sections


def read_junit(path: Path) -> list[tuple[str, str, float]]:
    """(test, outcome, seconds) per test case."""
    if not path.exists():
        return []
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "FAILED"
            elif child.tag == "skipped":
                outcome = "xfail" if child.get("type") == "pytest.xfail" else "skipped"
        cases.append((f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}", outcome,
                      float(case.get("time", 0))))
    return cases


# ---------------------------------------------------------------- writing
def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return lines


def fuzz_section(stats: dict[str, list[dict]], atheris: dict | None) -> list[str]:
    out = ["## Parser fuzzing", ""]
    rows = [(f"hypothesis: {e['test']} (records mapped to RDF)", e["inputs"], 0,
             ", ".join(f"{k} {v}" for k, v in sorted(e["outcomes"].items(), key=lambda kv: -kv[1])[:4]))
            for e in stats["fuzz-hypothesis"]]
    rows += [("random mutation loop", e["inputs"], e["crashes"], f"{e['seconds']} s; slowest {e['slowest_s']} s "
              f"for {e['slowest_bytes']:,} bytes") for e in stats["fuzz-loop"]]
    if atheris:
        cov = atheris["coverage"]
        detail = f"{atheris['seconds']:.0f} s" + (f"; cov {cov[1]} ft {cov[2]} corpus {cov[3]}" if cov else "")
        name = "random loop (atheris missing)" if atheris["fallback"] else "atheris (coverage-guided)"
        rows.append((name, atheris["runs"], len(atheris["crashes"]), detail))
    out += table(("fuzzer", "inputs tried", "crashes", "notes"), rows)
    if atheris and atheris["crashes"]:
        out += ["", "Crash inputs: " + ", ".join(atheris["crashes"])]
    if stats["long-line"]:
        out += ["", "A 1 MB line (and 250 KB) in each kind of line the grammar reads:", ""]
        out += table(("line", "250 KB (s)", "1 MB (s)"),
                     [(e["line"], e["seconds_250k"], e["seconds_1m"]) for e in stats["long-line"]])
    out += ["", *[f"- 2 MB of one-letter lines in the {e['where']}: {e['seconds']} s" for e in stats["many-lines"]]]
    return out


def crash_section(stats: dict[str, list[dict]]) -> list[str]:
    out = ["", "## Crash safety (SIGKILL during `senate-kg build`)", ""]
    rows = [(e["phase"], e["trigger"], e["delay_s"], e["killed_at_s"], "yes" if e["finished_first"] else "",
             e["graphs"], e.get("A", ""), e.get("B", ""), e["orphans"], e["problems"]) for e in stats["crash-kill"]]
    out += table(("phase", "trigger", "delay (s)", "killed at (s)", "ended first", "graphs", "= A", "= B",
                  "orphans", "problems"), rows)
    out += ["", *[f"- rebuild to {e['phase']}: {e['graphs']} graphs complete in {e['seconds']} s"
                  for e in stats["crash-rebuild"]]]
    out += [f"- scratch entries left in DIR.dumps/ after the last rebuild: {e['entries']}"
            for e in stats["crash-leftovers"]]
    return out


def disk_section(stats: dict[str, list[dict]]) -> list[str]:
    out = ["", "## Full disk (tmpfs)", ""]
    rows = [(e["pages"], e["status"], e["graphs"], e["message"][:160]) for e in stats["full-disk"]]
    out += table(("pages", "exit", "graphs stored", "last line of stderr"), rows)
    out += ["", *[f"- publishing with {e['room']}: exit {e['status']}: {e['message'][:200]}"
                  for e in stats["full-disk-publish"]]]
    return out


def report(stats: dict[str, list[dict]], cases: list[tuple[str, str, float]], atheris: dict | None,
           pytest_status: int | None, pytest_seconds: float, long: bool) -> str:
    out = [f"# senate-kg stress report ({'long' if long else 'short'} forms)", ""]
    if pytest_status is not None:
        out += [f"pytest tests/stress: exit {pytest_status} in {pytest_seconds:.0f} s", ""]
    out += fuzz_section(stats, atheris) + crash_section(stats) + disk_section(stats)
    if cases:
        out += ["", "## Tests", ""] + table(("test", "outcome", "seconds"),
                                             [(n, o, f"{s:.1f}") for n, o, s in cases])
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the short (CI) forms instead of the long ones")
    parser.add_argument("--atheris-seconds", type=int, default=120, help="atheris time budget (0: skip)")
    parser.add_argument("--skip-pytest", action="store_true")
    parser.add_argument("-k", dest="only", metavar="EXPR", help="only the stress tests pytest -k EXPR selects")
    parser.add_argument("--crash-dir", type=Path, default=ROOT / "bench" / "out" / "fuzz-crashes")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="senate-kg-stress-") as scratch:
        stats_file, junit = Path(scratch) / "stats.jsonl", Path(scratch) / "junit.xml"
        status, seconds = (None, 0.0) if args.skip_pytest else run_pytest(not args.short, stats_file, junit, args.only)
        atheris = run_atheris(args.atheris_seconds, args.crash_dir) if args.atheris_seconds > 0 else None
        text = report(read_stats(stats_file), read_junit(junit), atheris, status, seconds, not args.short)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    failed = bool(status) or bool(atheris and (atheris["crashes"] or atheris["status"] not in (0, None)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
