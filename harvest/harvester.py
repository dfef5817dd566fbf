"""The harvest run: which numbers to ask for, which pages per question, what changed; archive and state.

Per question the bilingual print view comes first (one request, both languages); when it is unreadable (an
error page, a failure) the two detail pages are asked for; a frameset is followed to its content frame. A
"no such question" answer is a miss: a legislature's new numbers are probed from the last known one until
`max_misses` misses in a row. Questions that can still change (pending) are asked for again every run, answered
and closed ones after `refresh_after` days, with conditional GET; a 304 or the same bytes is "unchanged".

Each question is one transaction of the state, committed with the WARC bytes it added (harvest.archive): a run
killed at any point resumes with nothing lost and nothing twice. A run of block pages stops with `Blocked`.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import urllib.robotparser
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from harvest.archive import Exchange, Location, WarcArchive
from harvest.classify import Kind, Status, Verdict, classify
from harvest.client import Client, ClientSettings, FetchFailed
from harvest.site import BILINGUAL_PRINT, DEFAULT_SITE, DETAIL, normalise_site, page_url
from harvest.state import State, utc_now

BLOCK_RUN = 3  # block pages in a row that stop the harvest: one may be a fluke, three are a wall
CURRENT_LEGISLATURE = 8
MAX_FRAMES = 2  # framesets followed per page (a frame inside a frame at most)


class CannotWork(Exception):
    """The harvest cannot go on (robots.txt, blocked, disk full, archive locked): one line, exit status 2."""


@dataclass(frozen=True)
class HarvestOptions:
    site: str = DEFAULT_SITE
    legislatures: tuple[int, ...] = (CURRENT_LEGISLATURE,)
    numbers: tuple[int, int] | None = None  # probe exactly this range (inclusive) instead of new numbers
    delay: float = 1.0
    contact: str | None = None
    max_misses: int = 20
    refresh_after: float = 30.0  # days
    limit: int | None = None  # questions per run
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0


@dataclass
class HarvestReport:
    probed: int = 0  # question numbers asked for
    fetched: int = 0  # HTTP answers received (every attempt)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # "URL: reason"
    changed_questions: list[str] = field(default_factory=list)  # "5-8900": new or changed

    def summary(self) -> str:
        return (f"numbers probed {self.probed}, pages fetched {self.fetched}, new {self.new}, changed "
                f"{self.changed}, unchanged {self.unchanged}, missing {self.missing}, failed {self.failed}")


def user_agent(version: str, contact: str | None) -> str:
    """`senate-kg/0.1.0 (+https://... ; contact)`: who we are and how to reach whoever runs the harvest."""
    who = f"; {contact}" if contact else ""
    return f"senate-kg/{version} (Linked Data publisher of the Belgian Senate's written questions{who})"


@dataclass
class _PageResult:
    url: str
    verdict: Verdict
    exchange: Exchange | None
    location: Location | None
    unchanged: bool = False
    failure: str | None = None


class Harvester:
    def __init__(self, folder: Path, options: HarvestOptions, version: str,
                 on_progress: Callable[[HarvestReport], None] | None = None) -> None:
        self.folder, self.options = Path(folder), options
        self.site = normalise_site(options.site)
        self.report = HarvestReport()
        self.on_progress = on_progress
        self.block_run = 0
        self.agent = user_agent(version, options.contact)
        self.state = State(self.folder)  # raises StateLocked
        self.archive = WarcArchive(self.folder, self.state, f"senate-kg {version}")
        self._pending: list[Exchange] = []
        settings = ClientSettings(self.agent, options.delay, options.timeout, options.retries, options.backoff)
        self.client = Client(settings, on_exchange=self._pending.append)
        self.robots: urllib.robotparser.RobotFileParser | None = None

    # ---------------------------------------------------------------- the run
    def run(self) -> HarvestReport:
        try:
            self.state.begin()
            self.state.set_meta("site", self.site)
            self._load_robots()
            self._commit()
            for legislature in self.options.legislatures:
                self._harvest_legislature(legislature)
        except OSError as exc:
            self.state.rollback()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise CannotWork(f"{self.folder}: the disk is full ({exc.strerror}); the archive keeps what was "
                                 "committed, run again when there is room") from exc
            raise
        except BaseException:
            self.state.rollback()
            raise
        finally:
            self.close()
        return self.report

    def close(self) -> None:
        self.client.close()
        self.archive.close()
        self.state.close()

    def _commit(self) -> None:
        """Archive what the client received since the last commit point, then commit it with the state."""
        self.archive.commit_point()
        self.state.commit()
        if self.on_progress is not None:
            self.on_progress(self.report)

    def _load_robots(self) -> None:
        url = self.site + "robots.txt"
        try:
            exchange = self.client.get(url)
        except FetchFailed as exc:
            raise CannotWork(f"{url}: robots.txt cannot be read ({exc.reason}); not harvesting without it") from exc
        self._archive_pending()
        parser = urllib.robotparser.RobotFileParser(url)
        if exchange.status >= 500:
            raise CannotWork(f"{url}: robots.txt answers HTTP {exchange.status}; not harvesting without it")
        if exchange.status >= 400:
            parser.allow_all = True
        else:
            parser.parse(_decoded(exchange).decode("utf-8", "replace").splitlines())
        self.robots = parser
        probe = page_url(self.site, BILINGUAL_PRINT, 5, 1, "fr")
        if not parser.can_fetch("senate-kg", probe):
            raise CannotWork(f"{url} disallows the question pages for senate-kg ({probe}); nothing harvested")
        crawl_delay = parser.crawl_delay("senate-kg")
        if crawl_delay and float(crawl_delay) > self.client.settings.delay:
            self.client.settings = ClientSettings(**{**self.client.settings.__dict__, "delay": float(crawl_delay)})

    # ---------------------------------------------------------------- which numbers
    def _numbers(self, legislature: int) -> Iterator[int]:
        """Due questions first (pending every run, the others after refresh_after days), then new numbers."""
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=self.options.refresh_after)).replace(
            microsecond=0).isoformat().replace("+00:00", "Z")  # the state's own notation (state.utc_now)
        known = {q.number: q for q in self.state.questions(legislature)}
        if self.options.numbers is not None:
            low, high = self.options.numbers
            for number in range(low, high + 1):
                row = known.get(number)
                if row is None or row.status in ("pending", "failed") or (
                        row.status in ("answered", "closed") and row.checked <= cutoff):
                    yield number
            return
        for number, row in sorted(known.items()):
            if row.status in ("pending", "failed") or (row.status in ("answered", "closed") and row.checked <= cutoff):
                yield number
        number = self.state.last_known(legislature) or 0
        misses = 0
        while misses < self.options.max_misses:
            number += 1
            if number in known and known[number].status != "missing":
                continue  # already seen this run (due) or known and not due
            yield number
            row = self.state.question(legislature, number)
            # a failure counts as a miss here too: a site that fails every request must not be probed forever
            misses = misses + 1 if row is not None and row.status in ("missing", "failed") else 0

    def _harvest_legislature(self, legislature: int) -> None:
        for number in self._numbers(legislature):
            if self.options.limit is not None and self.report.probed >= self.options.limit:
                return
            self.state.begin()
            self._question(legislature, number)
            self._commit()

    # ---------------------------------------------------------------- one question
    def _question(self, legislature: int, number: int) -> None:
        self.report.probed += 1
        before = self.state.question(legislature, number)
        results = [self._page(page_url(self.site, BILINGUAL_PRINT, legislature, number, "fr"), legislature, number)]
        if results[0].verdict.kind not in (Kind.QUESTION, Kind.MISSING):
            results += [self._page(page_url(self.site, DETAIL, legislature, number, lang), legislature, number)
                        for lang in ("fr", "nl")]
        good = [r for r in results if r.verdict.kind is Kind.QUESTION]
        now = utc_now()
        if good:
            statuses = {r.verdict.status for r in good}
            status = next(s for s in (Status.CLOSED, Status.ANSWERED, Status.PENDING) if s in statuses)
            changed = any(not r.unchanged for r in good)
            self._count(legislature, number, before, changed)
            self.state.record_question(legislature, number, status.value, now, changed)
        elif all(r.verdict.kind is Kind.MISSING for r in results) and (before is None or before.status == "missing"):
            self.report.missing += 1
            self.state.record_question(legislature, number, "missing", now, False)
        else:
            self.report.failed += 1
            self.report.failures += [f"{r.url}: {r.failure or r.verdict.reason}" for r in results
                                     if r.verdict.kind is not Kind.QUESTION]
            if before is None or before.status in ("missing", "failed"):
                self.state.record_question(legislature, number, "failed", now, False)

    def _count(self, legislature: int, number: int, before, changed: bool) -> None:
        known = before is not None and before.status not in ("missing", "failed")
        if not known:
            self.report.new += 1
        elif changed:
            self.report.changed += 1
        else:
            self.report.unchanged += 1
        if changed or not known:
            self.report.changed_questions.append(f"{legislature}-{number}")

    def _page(self, url: str, legislature: int, number: int, depth: int = 0) -> _PageResult:
        """Fetch, archive, classify and record one URL (following a frameset to its content frame)."""
        if self.robots is not None and not self.robots.can_fetch("senate-kg", url):
            raise CannotWork(f"{self.site}robots.txt disallows {url} for senate-kg; stopping")
        row = self.state.url(url)
        conditional = {}
        if row is not None and row.good_warc is not None:
            conditional = {k: v for k, v in (("If-None-Match", row.etag), ("If-Modified-Since", row.last_modified))
                           if v}

        def is_final(exchange: Exchange) -> bool:
            return classify(_decoded(exchange), exchange.status, legislature, number).kind is Kind.BLOCKED

        try:
            exchange = self.client.get(url, conditional, is_final=is_final)
        except FetchFailed as exc:
            self._archive_pending()
            self.state.record_url(url, legislature, number, fetched=utc_now(), http_status=None, kind="failed",
                                  reason=exc.reason)
            return _PageResult(url, Verdict(Kind.ERROR, exc.reason), None, None, failure=exc.reason)
        locations = self._archive_pending(row)
        location = locations.get(id(exchange))
        if exchange.status == 304 and row is not None and row.good_warc is not None:
            self.block_run = 0
            self.state.record_url(url, legislature, number, fetched=exchange.started, http_status=304,
                                  kind=row.kind, reason="not modified")
            status = self._stored_status(row, legislature, number)
            return _PageResult(url, Verdict(Kind.QUESTION, "not modified", status=status), exchange, location,
                               unchanged=True)
        content = _decoded(exchange)
        verdict = classify(content, exchange.status, legislature, number)
        self._watch_blocks(url, verdict)
        self.state.record_url(url, legislature, number, fetched=exchange.started, http_status=exchange.status,
                              kind=verdict.kind.value, reason=verdict.reason)
        if verdict.kind is Kind.FRAMESET and depth < MAX_FRAMES and verdict.frame:
            return self._page(urljoin(url, verdict.frame), legislature, number, depth + 1)
        if verdict.kind is not Kind.QUESTION:
            return _PageResult(url, verdict, exchange, location)
        digest = hashlib.sha256(content).hexdigest()
        unchanged = row is not None and row.sha256 == digest and row.good_warc is not None
        if unchanged:
            self.state.record_validators(url, exchange.header("ETag"), exchange.header("Last-Modified"))
        else:
            self.state.record_good(url, etag=exchange.header("ETag"), last_modified=exchange.header("Last-Modified"),
                                   sha256=digest, content_type=exchange.header("Content-Type"),
                                   warc=location.warc, offset=location.offset, fetched=exchange.started)
        return _PageResult(url, verdict, exchange, location, unchanged=unchanged)

    def _stored_status(self, row, legislature: int, number: int) -> Status:
        from harvest.archive import read_response

        stored = read_response(self.folder, Location(row.good_warc, row.good_offset))
        return classify(stored.body, 200, legislature, number).status or Status.PENDING

    def _watch_blocks(self, url: str, verdict: Verdict) -> None:
        if verdict.kind is not Kind.BLOCKED:
            self.block_run = 0
            return
        self.block_run += 1
        if self.block_run >= BLOCK_RUN:
            raise CannotWork(f"{url}: the site answers with a block or challenge page ({verdict.reason}), "
                             f"{self.block_run} times in a row; stopped (try later, with a larger --delay)")

    def _archive_pending(self, row=None) -> dict[int, Location]:
        """Write every exchange received since the last call; identical bytes to the stored good answer become a
        revisit record. Returns each exchange's location by id."""
        locations = {}
        for exchange in self._pending:
            self.report.fetched += 1
            revisit = None
            if row is not None and row.sha256 and exchange.status == 200 and row.good_fetched and \
                    hashlib.sha256(_decoded(exchange)).hexdigest() == row.sha256:
                revisit = (exchange.url, row.good_fetched)
            locations[id(exchange)] = self.archive.write(exchange, revisit_of=revisit)
        self._pending.clear()
        return locations


def _decoded(exchange: Exchange) -> bytes:
    """The body with its content-encoding undone (the archive keeps it as it came)."""
    if (exchange.header("Content-Encoding") or "").lower() == "gzip":
        try:
            return gzip.decompress(exchange.body)
        except (OSError, EOFError):
            return b""
    return exchange.body


def harvest(folder: Path, options: HarvestOptions, version: str,
            on_progress: Callable[[HarvestReport], None] | None = None) -> HarvestReport:
    """Run one harvest into `folder`; raises CannotWork (exit 2) or StateLocked."""
    return Harvester(folder, options, version, on_progress).run()


def parse_range(text: str) -> tuple[int, int]:
    """`8900-8950` -> (8900, 8950); one number is a range of one."""
    low, _, high = text.partition("-")
    lo, hi = int(low), int(high or low)
    if lo < 1 or hi < lo:
        raise ValueError(f"{text!r}: expected A-B with 1 <= A <= B")
    return lo, hi


__all__: Sequence[str] = ("CannotWork", "HarvestOptions", "HarvestReport", "harvest", "parse_range", "user_agent")
