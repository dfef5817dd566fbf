"""Full-text search over the questions: one SQLite FTS5 file next to the store (`<store>.search.sqlite`).

Why SQLite: it is in Python's standard library, the index is one file that the build replaces atomically
(`os.replace`), readers need no server, and FTS5 with `unicode61 remove_diacritics 2` folds case and accents in
French and Dutch alike ("Sûreté" finds "surete", "ECONOMIE" finds "économie"). The index is derived data: the
publisher (`senate_kg.publish`) rebuilds it from the store after every build, so it is never out of step.

Tables: `question` (one row per question: facts to filter and show), `question_concept` (its descriptors),
`concept` (labels), `question_fts` (the text: title, keywords, question, answer in both languages), `meta`.
A user's query string is never handed to FTS5's query language: `fts_expression()` turns it into quoted
phrases, so `"` or `AND(` in a query cannot break or widen the search.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = "1"
TOKENIZER = "unicode61 remove_diacritics 2"
MAX_QUERY_TERMS = 12
MAX_PAGE_SIZE = 100
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # markers FTS5 puts around hits; turned into <mark> after escaping
FTS_WEIGHTS = (8.0, 4.0, 1.0, 1.0)  # bm25 weights of title, keywords, question, answer

_TERM = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
_WORD_CHARS = re.compile(r"[^\w'’*-]+", re.UNICODE)
_HAS_WORD = re.compile(r"\w", re.UNICODE)

_DDL = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE question(
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, identifier TEXT NOT NULL, legislature INTEGER,
  date TEXT, title_fr TEXT, title_nl TEXT, author TEXT, author_name TEXT, party TEXT, party_label TEXT,
  office TEXT, office_fr TEXT, office_nl TEXT, status TEXT, answer_date TEXT);
CREATE TABLE concept(iri TEXT PRIMARY KEY, label_fr TEXT, label_nl TEXT);
CREATE TABLE question_concept(concept TEXT NOT NULL, question_id INTEGER NOT NULL,
  PRIMARY KEY(concept, question_id)) WITHOUT ROWID;
CREATE VIRTUAL TABLE question_fts USING fts5(title, keywords, question, answer, tokenize='{TOKENIZER}');
"""
_INDEXES = """
CREATE INDEX question_date ON question(date DESC, identifier);
CREATE INDEX question_legislature ON question(legislature, date);
CREATE INDEX question_author ON question(author);
CREATE INDEX question_party ON question(party);
CREATE INDEX question_office ON question(office);
"""


class SearchError(ValueError):
    """A search request that cannot be run (a bad filter value); the message names the field and the reason."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field, self.reason = field_name, reason
        super().__init__(f"{field_name}: {reason}")


class IndexUnavailable(RuntimeError):
    """No search index file (the store was never published) or an unreadable one."""


@dataclass(frozen=True)
class SearchRecord:
    """What the index keeps of one question: read from the store by the publisher."""

    iri: str
    identifier: str
    legislature: int | None = None
    date: str | None = None  # ISO date
    title: dict[str, str] = field(default_factory=dict)  # {"fr": ..., "nl": ...}
    question_text: dict[str, str] = field(default_factory=dict)
    answer_text: dict[str, str] = field(default_factory=dict)
    author: str | None = None
    author_name: str | None = None
    party: str | None = None
    party_label: str | None = None
    office: str | None = None
    office_label: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # "answered", "pending", "closed"
    answer_date: str | None = None
    concepts: tuple[tuple[str, str | None, str | None], ...] = ()  # (iri, label fr, label nl)


@dataclass(frozen=True)
class SearchQuery:
    """A validated search request. Empty text with filters lists the filtered questions, newest first."""

    text: str = ""
    legislature: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    author: str | None = None  # IRIs
    party: str | None = None
    office: str | None = None
    concept: str | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    iri: str
    identifier: str
    legislature: int | None
    date: str | None
    title_fr: str | None
    title_nl: str | None
    author: str | None
    author_name: str | None
    party: str | None
    party_label: str | None
    office: str | None
    office_fr: str | None
    office_nl: str | None
    status: str | None
    answer_date: str | None
    snippet_html: str  # escaped text with <mark> around the matched words ("" without a text query)
    score: float | None


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    total: int
    hits: tuple[Hit, ...]
    elapsed_ms: float


# ---------------------------------------------------------------- building
def build_index(path: Path, records: Iterable[SearchRecord], *, meta: dict[str, str] | None = None) -> int:
    """Write a fresh index to a temporary file beside `path`, then move it over `path` in one `os.replace`:
    a reader opens either the old index or the new one, never a half-written file. Returns questions indexed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    partial = Path(partial_name)
    try:
        count = _write(partial, records, meta or {})
        os.chmod(partial, 0o644)  # mkstemp makes files private; the server may run as another user
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _write(path: Path, records: Iterable[SearchRecord], meta: dict[str, str]) -> int:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.executescript(_DDL)
        count = 0
        concepts: dict[str, tuple[str | None, str | None]] = {}
        with connection:
            for count, record in enumerate(records, start=1):
                _insert(connection, count, record, concepts)
            connection.executemany("INSERT INTO concept VALUES (?, ?, ?)",
                                   ((iri, fr, nl) for iri, (fr, nl) in sorted(concepts.items())))
            connection.executescript(_INDEXES)
            rows = {"schema": SCHEMA_VERSION, "questions": str(count), **meta}
            connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(rows.items()))
            connection.execute("INSERT INTO question_fts(question_fts) VALUES ('optimize')")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return count


def _both(texts: dict[str, str]) -> str:
    return "\n\n".join(texts[lang] for lang in ("fr", "nl") if texts.get(lang))


def _insert(connection: sqlite3.Connection, rowid: int, record: SearchRecord,
            concepts: dict[str, tuple[str | None, str | None]]) -> None:
    connection.execute(
        "INSERT INTO question VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rowid, record.iri, record.identifier, record.legislature, record.date, record.title.get("fr"),
         record.title.get("nl"), record.author, record.author_name, record.party, record.party_label,
         record.office, record.office_label.get("fr"), record.office_label.get("nl"), record.status,
         record.answer_date))
    keywords = [label for _, fr, nl in record.concepts for label in (fr, nl) if label]
    keywords += [x for x in (record.author_name, record.party_label, *record.office_label.values()) if x]
    connection.execute("INSERT INTO question_fts(rowid, title, keywords, question, answer) VALUES (?, ?, ?, ?, ?)",
                       (rowid, _both(record.title), " · ".join(keywords), _both(record.question_text),
                        _both(record.answer_text)))
    for iri, fr, nl in record.concepts:
        connection.execute("INSERT OR IGNORE INTO question_concept VALUES (?, ?)", (iri, rowid))
        concepts.setdefault(iri, (fr, nl))


# ---------------------------------------------------------------- the query language
def fts_expression(text: str) -> str | None:
    """A user's words as a safe FTS5 expression: every term becomes a quoted phrase (so FTS5 operators and
    punctuation are plain text), `word*` a prefix query, `-word` an exclusion, `"two words"` a phrase.
    None when nothing searchable is left."""
    positive: list[str] = []
    negative: list[str] = []
    for match in _TERM.finditer(text):
        minus = match.group(1) or match.group(3)
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        prefix = raw.endswith("*") and match.group(2) is None
        words = _WORD_CHARS.sub(" ", raw.replace("*", " ")).strip()
        if not _HAS_WORD.search(words):
            continue
        phrase = '"' + words.replace('"', '""') + '"' + (" *" if prefix else "")
        (negative if minus else positive).append(phrase)
    positive, negative = positive[:MAX_QUERY_TERMS], negative[:MAX_QUERY_TERMS]
    if not positive:
        return None
    expression = " AND ".join(positive)
    return f"{expression} NOT {' NOT '.join(negative)}" if negative else expression


def _snippet(raw: str | None) -> str:
    if not raw:
        return ""
    return html.escape(raw).replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>")


# ---------------------------------------------------------------- searching
class SearchIndex:
    """Read side. Opens the file read-only per call (cheap), so a rebuilt index is picked up at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise IndexUnavailable(f"{self.path}: no search index (run `senate-kg build` or `push`)")
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True)
            connection.row_factory = sqlite3.Row
        except sqlite3.Error as exc:
            raise IndexUnavailable(f"{self.path}: cannot open the search index: {exc}") from exc
        return connection

    def meta(self) -> dict[str, str]:
        with self._closing() as connection:
            return dict(connection.execute("SELECT key, value FROM meta").fetchall())

    def _closing(self):
        from contextlib import closing

        return closing(self._connect())

    def search(self, query: SearchQuery) -> SearchResult:
        import time

        started = time.perf_counter()
        where, params = self._filters(query)
        expression = fts_expression(query.text)
        with self._closing() as connection:
            try:
                if expression is not None:
                    total, rows = self._text_search(connection, expression, where, params, query)
                else:
                    total, rows = self._listing(connection, where, params, query)
            except sqlite3.OperationalError as exc:  # a term FTS5 still refuses: report, never 500
                raise SearchError("q", f"cannot search for {query.text!r}: {exc}") from exc
        hits = tuple(self._hit(row) for row in rows)
        return SearchResult(query, total, hits, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _filters(query: SearchQuery) -> tuple[list[str], list[object]]:
        where: list[str] = []
        params: list[object] = []
        simple = (("q.legislature = ?", query.legislature), ("q.author = ?", query.author),
                  ("q.party = ?", query.party), ("q.office = ?", query.office),
                  ("q.date >= ?", query.date_from.isoformat() if query.date_from else None),
                  ("q.date <= ?", query.date_to.isoformat() if query.date_to else None))
        for clause, value in simple:
            if value is not None:
                where.append(clause)
                params.append(value)
        if query.concept is not None:
            where.append("q.id IN (SELECT question_id FROM question_concept WHERE concept = ?)")
            params.append(query.concept)
        return where, params

    @staticmethod
    def _text_search(connection: sqlite3.Connection, expression: str, where: list[str], params: list[object],
                     query: SearchQuery) -> tuple[int, list[sqlite3.Row]]:
        conditions = " AND ".join(["question_fts MATCH ?", *where])
        base = f"FROM question_fts JOIN question q ON q.id = question_fts.rowid WHERE {conditions}"
        total = connection.execute(f"SELECT count(*) {base}", [expression, *params]).fetchone()[0]
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        rows = connection.execute(
            f"SELECT q.*, snippet(question_fts, -1, ?, ?, '…', 16) AS snippet, bm25(question_fts, {weights}) AS score "
            f"{base} ORDER BY score, q.date DESC, q.identifier LIMIT ? OFFSET ?",
            [SNIPPET_OPEN, SNIPPET_CLOSE, expression, *params, query.limit, query.offset]).fetchall()
        return total, rows

    @staticmethod
    def _listing(connection: sqlite3.Connection, where: list[str], params: list[object],
                 query: SearchQuery) -> tuple[int, list[sqlite3.Row]]:
        conditions = f"WHERE {' AND '.join(where)}" if where else ""
        total = connection.execute(f"SELECT count(*) FROM question q {conditions}", params).fetchone()[0]
        rows = connection.execute(
            f"SELECT q.*, NULL AS snippet, NULL AS score FROM question q {conditions} "
            "ORDER BY q.date DESC, q.identifier LIMIT ? OFFSET ?", [*params, query.limit, query.offset]).fetchall()
        return total, rows

    @staticmethod
    def _hit(row: sqlite3.Row) -> Hit:
        return Hit(row["iri"], row["identifier"], row["legislature"], row["date"], row["title_fr"], row["title_nl"],
                   row["author"], row["author_name"], row["party"], row["party_label"], row["office"],
                   row["office_fr"], row["office_nl"], row["status"], row["answer_date"], _snippet(row["snippet"]),
                   row["score"])

    def facets(self) -> dict[str, list[tuple[str, str, int]]]:
        """Every value a filter can take, with its label and number of questions: the search form's choices."""
        queries = {
            "legislature": "SELECT legislature, legislature, count(*) FROM question WHERE legislature IS NOT NULL "
                           "GROUP BY legislature ORDER BY legislature DESC",
            "party": "SELECT party, coalesce(party_label, party), count(*) FROM question WHERE party IS NOT NULL "
                     "GROUP BY party ORDER BY 2",
            "office": "SELECT office, coalesce(office_fr, office_nl, office), count(*) FROM question "
                      "WHERE office IS NOT NULL GROUP BY office ORDER BY 2",
            "author": "SELECT author, coalesce(author_name, author), count(*) FROM question "
                      "WHERE author IS NOT NULL GROUP BY author ORDER BY 2",
        }
        with self._closing() as connection:
            return {name: [(str(v), str(label), n) for v, label, n in connection.execute(sql)]
                    for name, sql in queries.items()}

    def concept_label(self, iri: str) -> tuple[str | None, str | None] | None:
        with self._closing() as connection:
            row = connection.execute("SELECT label_fr, label_nl FROM concept WHERE iri = ?", (iri,)).fetchone()
        return (row[0], row[1]) if row else None

    def identifiers(self) -> Iterator[str]:
        """Every indexed question IRI (tests compare it with the store)."""
        with self._closing() as connection:
            yield from (row[0] for row in connection.execute("SELECT iri FROM question ORDER BY id"))


def page_size(raw: str | None, default: int = 20) -> int:
    """A `limit` request parameter, bounded: a caller cannot make one request fetch the whole index."""
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise SearchError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}, got {raw!r}")
    return int(raw)


def parse_search_query(args: dict[str, str] | Sequence[tuple[str, str]], *, default_limit: int = 20) -> SearchQuery:
    """Request parameters (`q`, `legislature`, `from`, `to`, `author`, `party`, `office`, `concept`, `limit`,
    `offset`) as a SearchQuery; a bad value raises SearchError naming the parameter and why."""
    values = dict(args)
    known = {"q", "legislature", "from", "to", "author", "party", "office", "concept", "limit", "offset", "page",
             "format"}
    for name in values:
        if name not in known:
            raise SearchError(name, f"unknown parameter (known: {', '.join(sorted(known))})")
    text = values.get("q", "") or ""
    if len(text) > 500:
        raise SearchError("q", "longer than 500 characters")
    legislature = values.get("legislature") or None
    if legislature is not None and not legislature.isdigit():
        raise SearchError("legislature", f"must be a legislature number such as 5, got {legislature!r}")
    offset = values.get("offset") or "0"
    if not offset.isdigit() or int(offset) > 1_000_000:
        raise SearchError("offset", f"must be a whole number from 0, got {offset!r}")
    iris = {}
    for name in ("author", "party", "office", "concept"):
        value = values.get(name) or None
        if value is not None and not re.match(r"^(https?|urn):\S+$", value):
            raise SearchError(name, f"must be an IRI (http://...), got {value!r}")
        iris[name] = value
    return SearchQuery(text=text.strip(), legislature=int(legislature) if legislature else None,
                       date_from=_date(values, "from"), date_to=_date(values, "to"),
                       limit=page_size(values.get("limit"), default_limit), offset=int(offset), **iris)


def _date(values: dict[str, str], name: str) -> dt.date | None:
    raw = values.get(name) or None
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SearchError(name, f"must be a date written YYYY-MM-DD, got {raw!r}") from None
