"""The harvest's state: one SQLite file in the archive folder (what was fetched, when, how it answered).

Why SQLite: one file, transactions, readable by anyone with `sqlite3`. A question is committed in one
transaction together with the WARC bytes it added (table `warcs` keeps each WARC file's committed size), so that
after a SIGKILL the archive is cut back to what the state knows (`harvest.archive`) and nothing is lost or twice.
WAL journal: a crash of the process (not of the machine) loses nothing committed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "harvest.sqlite"
LOCK_FILE = "harvest.lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS warcs (name TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    legislature INTEGER NOT NULL,
    number INTEGER NOT NULL,
    fetched TEXT NOT NULL,          -- last time this URL was asked for (ISO 8601, UTC)
    http_status INTEGER,            -- of the last answer; NULL when none came (timeout, reset)
    kind TEXT NOT NULL,             -- harvest.classify.Kind of the last answer, or 'failed'
    reason TEXT,
    etag TEXT, last_modified TEXT,  -- of the latest good answer: for conditional GET
    sha256 TEXT,                    -- of the latest good answer's content
    content_type TEXT,
    good_warc TEXT, good_offset INTEGER,  -- where the latest good response record is
    good_fetched TEXT               -- when those bytes were first fetched (unchanged refetches keep it)
);
CREATE TABLE IF NOT EXISTS questions (
    legislature INTEGER NOT NULL,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,           -- pending, answered, closed, missing, failed
    checked TEXT NOT NULL,          -- last harvest that asked for it
    changed TEXT,                   -- last time its content changed
    PRIMARY KEY (legislature, number)
);
"""


class StateLocked(RuntimeError):
    """Another harvest (or update) holds this archive."""


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class UrlRow:
    url: str
    legislature: int
    number: int
    kind: str
    etag: str | None
    last_modified: str | None
    sha256: str | None
    content_type: str | None
    good_warc: str | None
    good_offset: int | None
    good_fetched: str | None


@dataclass(frozen=True)
class QuestionRow:
    legislature: int
    number: int
    status: str
    checked: str


class State:
    """The SQLite state of one archive folder; `lock=True` takes the folder's lock (one harvest at a time)."""

    def __init__(self, folder: Path, *, lock: bool = True, read_only: bool = False) -> None:
        self.folder = Path(folder)
        self._lock_fd: int | None = None
        if lock:
            self._take_lock()
        path = self.folder / STATE_FILE
        uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
        self.db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        if not read_only:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)

    def _take_lock(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StateLocked(f"{self.folder}: the archive is locked by another harvest; wait until it ends") from exc
        self._lock_fd = fd

    def close(self) -> None:
        self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ---- transactions
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # ---- meta and WARC sizes
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def warc_sizes(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT name, size FROM warcs"))

    def set_warc_size(self, name: str, size: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO warcs VALUES (?, ?)", (name, size))

    # ---- URLs
    def url(self, url: str) -> UrlRow | None:
        row = self.db.execute("SELECT url, legislature, number, kind, etag, last_modified, sha256, content_type, "
                              "good_warc, good_offset, good_fetched FROM urls WHERE url = ?", (url,)).fetchone()
        return UrlRow(*row) if row else None

    def record_url(self, url: str, legislature: int, number: int, *, fetched: str, http_status: int | None,
                   kind: str, reason: str) -> None:
        """The last answer for a URL, good or not; the latest good answer's fields are left as they were."""
        self.db.execute(
            "INSERT INTO urls (url, legislature, number, fetched, http_status, kind, reason) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(url) DO UPDATE SET fetched=excluded.fetched, http_status=excluded.http_status, "
            "kind=excluded.kind, reason=excluded.reason",
            (url, legislature, number, fetched, http_status, kind, reason))

    def record_good(self, url: str, *, etag: str | None, last_modified: str | None, sha256: str,
                    content_type: str | None, warc: str, offset: int, fetched: str) -> None:
        self.db.execute("UPDATE urls SET etag=?, last_modified=?, sha256=?, content_type=?, good_warc=?, "
                        "good_offset=?, good_fetched=? WHERE url=?",
                        (etag, last_modified, sha256, content_type, warc, offset, fetched, url))

    def record_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.db.execute("UPDATE urls SET etag=coalesce(?, etag), last_modified=coalesce(?, last_modified) "
                        "WHERE url=?", (etag, last_modified, url))

    def good_pages(self) -> Iterator[UrlRow]:
        """Every URL with a good response, in URL order: what the build reads."""
        for row in self.db.execute("SELECT url, legislature, number, kind, etag, last_modified, sha256, content_type, "
                                   "good_warc, good_offset, good_fetched FROM urls WHERE good_warc IS NOT NULL "
                                   "ORDER BY url"):
            yield UrlRow(*row)

    # ---- questions
    def question(self, legislature: int, number: int) -> QuestionRow | None:
        row = self.db.execute("SELECT legislature, number, status, checked FROM questions WHERE legislature=? AND "
                              "number=?", (legislature, number)).fetchone()
        return QuestionRow(*row) if row else None

    def record_question(self, legislature: int, number: int, status: str, checked: str, changed: bool) -> None:
        self.db.execute(
            "INSERT INTO questions VALUES (?,?,?,?,?) ON CONFLICT(legislature, number) DO UPDATE SET "
            "status=excluded.status, checked=excluded.checked, changed=coalesce(excluded.changed, changed)",
            (legislature, number, status, checked, checked if changed else None))

    def last_known(self, legislature: int) -> int | None:
        """The highest number of the legislature that is a question (missing numbers do not count)."""
        row = self.db.execute("SELECT max(number) FROM questions WHERE legislature=? AND status NOT IN "
                              "('missing', 'failed')", (legislature,)).fetchone()
        return row[0]

    def questions(self, legislature: int) -> list[QuestionRow]:
        return [QuestionRow(*r) for r in self.db.execute(
            "SELECT legislature, number, status, checked FROM questions WHERE legislature=? ORDER BY number",
            (legislature,))]
