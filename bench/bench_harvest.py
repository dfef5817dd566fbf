"""Harvest and build-from-archive speed against the local stand-in site (127.0.0.1 only, never senate.be).

    .venv/bin/python bench/bench_harvest.py [--pages 2000] [--out bench/out/harvest]

1. Harvest: `--delay 0` against `python -m harvest.standin` (its own process, so that the figures are the
   harvester's) serving SYNTHETIC HTML of bench/synthetic.py's pages: pages per second, and the harvester's own CPU
   per page (process time: classify, WARC writing, SQLite state). Target: >= 100 pages/s.
2. Build the same pages from the archive and from loose .html files (the same bytes), each into a fresh store, in
   one run: target, archive within 15% of loose files.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import synthetic  # noqa: E402 - bench/ is on sys.path when run as a script

from harvest.harvester import HarvestOptions, harvest  # noqa: E402
from harvest.synthetic_html import make_html  # noqa: E402
from senate_kg import __version__  # noqa: E402

BASE = "http://bench.senate-kg.test/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_standin(pages: Path, port: int) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-m", "harvest.standin", "--pages", str(pages), "--port", str(port),
                              "--markup", "div", "--both-languages"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child.stdout.readline()  # "stand-in senate.be on ..." once it listens
    return child


def timed_build(store: Path, source: Path) -> float:
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "senate_kg", "build", "--store", str(store), "--base-uri", BASE,
                    str(source), "-q"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "harvest")
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    texts, loose, archive = args.out / "texts", args.out / "loose-html", args.out / "archive"
    for folder in (texts, loose):
        folder.mkdir(parents=True)
    for page in synthetic.generate(args.pages, seed=0):
        (texts / page.filename).write_text(page.text, "utf-8")
        (loose / page.filename.replace(".txt", ".html")).write_bytes(make_html(page.text, "div"))
    port = free_port()
    site = start_standin(texts, port)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        report = harvest(archive, HarvestOptions(site=f"http://127.0.0.1:{port}/", legislatures=(99,), delay=0,
                                                 max_misses=3), __version__)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        site.terminate()
        site.wait()
    print(f"harvest: {report.summary()}")
    print(f"harvest: {report.fetched} pages in {wall:.1f} s = {report.fetched / wall:.0f} pages/s; harvester CPU "
          f"{1000 * cpu / report.fetched:.2f} ms/page (target >= 100 pages/s)")
    from_archive = timed_build(args.out / "store-archive", archive)
    from_loose = timed_build(args.out / "store-loose", loose)
    print(f"build {args.pages} pages: from the archive {from_archive:.1f} s, from loose .html files "
          f"{from_loose:.1f} s: archive/loose = {from_archive / from_loose:.2f} (target <= 1.15)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
