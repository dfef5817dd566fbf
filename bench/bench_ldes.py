"""What the event stream costs and how fast it serves (issue 11). SYNTHETIC pages (bench/synthetic.py).

    .venv/bin/python bench/bench_ldes.py --count 2000 [--out bench/out/ldes] [--port 8790]

1. build the same pages twice into fresh stores, `SENATE_KG_LDES=off` then on (wall time of `senate-kg build`);
2. `senate-kg serve` the second store; `wrk` (Debian) on the newest stream page, 10 s, 2 threads, 8 connections,
   TriG: requests/s and p99;
3. `ldes-client` (var/node or SENATE_KG_NODE_MODULES) replicates the whole stream from 127.0.0.1: seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "server"))

from synthetic import write_pages  # noqa: E402
from test_serve import start, stop  # noqa: E402


def timed_build(pages: Path, store: Path, base: str, stream: str) -> float:
    shutil.rmtree(store, ignore_errors=True)
    for suffix in (".dumps", ".ldes", ".json", ".search.sqlite"):
        target = store.with_name(store.name + suffix)
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "senate_kg", "build", "-q", "--store", str(store), "--base-uri", base,
                    str(pages)], check=True, env={**os.environ, "SENATE_KG_LDES": stream}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def wrk(url: str) -> tuple[float, str]:
    done = subprocess.run(["wrk", "-t2", "-c8", "-d10s", "--latency", "-H", "Accept: application/trig", url],
                          capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)[1])
    p99 = re.search(r"99%\s+(\S+)", done.stdout)[1]
    return rate, p99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ldes")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    pages = args.out / f"pages-{args.count}"
    if not pages.is_dir():
        write_pages(args.count, pages)
    base = f"http://127.0.0.1:{args.port}/"
    off = timed_build(pages, args.out / "store-off", base, "off")
    on = timed_build(pages, args.out / "store-on", base, "on")
    print(f"build {args.count} questions: stream off {off:.1f} s, on {on:.1f} s ({(on / off - 1) * 100:+.1f}%)")
    served = start(args.out / "serve.log", "--store", str(args.out / "store-on"), port=args.port)
    try:
        newest = max(int(p.name[5:11]) for p in (args.out / "store-on.ldes").glob("page-*.meta.nt"))
        rate, p99 = wrk(f"{served.url}/ldes/page/{newest}")
        print(f"stream page {newest} (TriG): {rate:.0f} req/s, p99 {p99}")
        rate, p99 = wrk(f"{served.url}/ldes/page/1")
        print(f"stream page 1 (TriG, immutable): {rate:.0f} req/s, p99 {p99}")
        modules = Path(os.environ.get("SENATE_KG_NODE_MODULES", ROOT / "var" / "node" / "node_modules"))
        state = args.out / "client-state"
        shutil.rmtree(state, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run([str(modules / ".bin" / "ldes-client"), f"{served.url}/ldes", "--save", str(state)],
                              capture_output=True, check=True, cwd=args.out)
        members = done.stdout.count(b"http://purl.org/dc/terms/isVersionOf")
        print(f"ldes-client replicated {members} members in {time.perf_counter() - started:.1f} s")
    finally:
        stop(served)
    return 0


if __name__ == "__main__":
    sys.exit(main())
