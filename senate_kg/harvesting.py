"""The `harvest` and `update` subcommands: the harvester (harvest/) wired to the build and publishing.

Kept beside `cli.py` rather than in it: the harvester's options are many, and `update` (harvest, build what
changed, publish: the daily job) is the one place that joins the archive to the store.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harvest.harvester import CannotWork, HarvestOptions, HarvestReport, harvest, parse_range
from harvest.site import DEFAULT_SITE
from harvest.state import State, StateLocked, utc_now
from senate_kg import __version__
from senate_kg.pipeline import PageInput, archive_pages

BUILT_THROUGH = "built-through"  # state meta: questions changed before this time are in the store


def _range(text: str) -> tuple[int, int]:
    try:
        return parse_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def add_harvest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--archive", type=Path, required=True, metavar="DIR", help="WARC files and harvest.sqlite")
    p.add_argument("--site", default=DEFAULT_SITE, metavar="URL", help=f"default {DEFAULT_SITE}")
    p.add_argument("--legislature", type=int, action="append", metavar="N",
                   help="legislature to harvest (repeat; default: the current one, 8)")
    p.add_argument("--numbers", type=_range, metavar="A-B", help="probe exactly these numbers (default: the new "
                                                                  "ones after the last known, until --max-misses)")
    p.add_argument("--delay", type=_non_negative, default=1.0, metavar="SECONDS",
                   help="between two requests (default 1; robots.txt's Crawl-delay wins when larger)")
    p.add_argument("--contact", metavar="EMAIL_OR_URL", help="put in the User-Agent: who to tell when it misbehaves")
    p.add_argument("--max-misses", type=int, default=20, metavar="K", help="missing numbers in a row that end a "
                                                                          "legislature (default 20)")
    p.add_argument("--refresh-after", type=_non_negative, default=30.0, metavar="DAYS",
                   help="answered and closed questions are fetched again after this many days (default 30)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N question numbers this run")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help=argparse.SUPPRESS)
    p.add_argument("--retries", type=int, default=4, metavar="N", help="attempts after the first (default 4)")
    p.add_argument("--backoff", type=_non_negative, default=1.0, metavar="SECONDS", help=argparse.SUPPRESS)


def add_update_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, required=True, metavar="DIR", help="embedded store folder")
    p.add_argument("--base-uri", metavar="URI", help="base of every minted IRI (default: the store's)")
    p.add_argument("--workers", type=int, metavar="N", help="processes for the build (default: every core)")
    add_harvest_args(p)


def options_from(args: argparse.Namespace) -> HarvestOptions:
    return HarvestOptions(site=args.site, legislatures=tuple(args.legislature or (8,)), numbers=args.numbers,
                          delay=args.delay, contact=args.contact, max_misses=args.max_misses,
                          refresh_after=args.refresh_after, limit=args.limit, timeout=args.timeout,
                          retries=args.retries, backoff=args.backoff)


class _Progress:
    """A tqdm bar on a terminal (numbers probed, with the counts as its postfix); nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc="harvest", unit="number", file=sys.stderr, leave=False, dynamic_ncols=True)

    def __call__(self, report: HarvestReport) -> None:
        if self.bar is not None:
            self.bar.n = report.probed
            self.bar.set_postfix(fetched=report.fetched, new=report.new, changed=report.changed,
                                 unchanged=report.unchanged, failed=report.failed, refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_harvest(args: argparse.Namespace, progress: bool) -> tuple[int, HarvestReport | None]:
    """Harvest, print failures (stderr) and the summary line (stdout); (exit status, report)."""
    bar = _Progress(progress)
    try:
        report = harvest(args.archive, options_from(args), __version__, on_progress=bar)
    except (CannotWork, StateLocked) as exc:
        bar.close()
        print(f"senate-kg {args.command}: {exc}", file=sys.stderr)
        return 2, None
    bar.close()
    for failure in report.failures:
        print(failure, file=sys.stderr)
    print(f"harvest: {report.summary()}")
    return (1 if report.failed else 0), report


def cmd_harvest(args: argparse.Namespace, progress: bool) -> int:
    return run_harvest(args, progress)[0]


def pages_to_build(archive: Path) -> tuple[list[PageInput], str]:
    """Every archived page of the questions that changed since the last update built them; and the time now."""
    now = utc_now()
    state = State(archive, lock=False)
    try:
        since = state.meta(BUILT_THROUGH) or ""
        changed = {(leg, nr) for leg, nr in state.db.execute(
            "SELECT legislature, number FROM questions WHERE changed IS NOT NULL AND changed >= ?", (since,))}
        numbers = {row.url: (row.legislature, row.number) for row in state.good_pages()}
    finally:
        state.close()
    return [p for p in archive_pages(archive) if numbers.get(p.url) in changed], now


def mark_built(archive: Path, when: str) -> None:
    state = State(archive, lock=False)
    try:
        state.set_meta(BUILT_THROUGH, when)
    finally:
        state.close()
