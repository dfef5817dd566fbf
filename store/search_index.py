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
import functools
import hashlib
import html
import os
import re
import sqlite3
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = "1"
TOKENIZER = "unicode61 remove_diacritics 2"
# prefix='3 4 5': `soci*`-style queries read one prepared list instead of merging every word that starts so
# (a 4-letter prefix over 100,000 questions: ~140 ms to count without it)
MAX_QUERY_TERMS = 12
MAX_PAGE_SIZE = 100
FTS_WEIGHTS = (8.0, 4.0, 1.0, 1.0, 0.0)  # bm25 weights of title, keywords, question, answer, facets
TEXT_COLUMNS = "{title keywords question answer}"  # what a user's words are matched against
# Ranking costs ~3 us per matching question (bm25 over 100,000 matches: 300 ms here). Above this many matches
# the hits come newest first instead (rowids follow the publisher's date order, and FTS5 walks its index in rowid
# order and stops at the page), and the total is reported as "at least RANK_LIMIT": p99 stays under 100 ms.
RANK_LIMIT = 10_000
SNIPPET_SCAN = 4000  # characters of each text searched for a passage to show

_TERM = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
_WORD_CHARS = re.compile(r"[^\w'’*-]+", re.UNICODE)
_HAS_WORD = re.compile(r"\w", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)

_DDL = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE question(
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, identifier TEXT NOT NULL, legislature INTEGER,
  date TEXT, title_fr TEXT, title_nl TEXT, author TEXT, author_name TEXT, party TEXT, party_label TEXT,
  office TEXT, office_fr TEXT, office_nl TEXT, status TEXT, answer_date TEXT);
CREATE TABLE concept(iri TEXT PRIMARY KEY, label_fr TEXT, label_nl TEXT);
CREATE TABLE question_concept(concept TEXT NOT NULL, question_id INTEGER NOT NULL,
  PRIMARY KEY(concept, question_id)) WITHOUT ROWID;
CREATE VIRTUAL TABLE question_fts USING fts5(title, keywords, question, answer, facets,
  tokenize='{TOKENIZER}', prefix='3 4 5');
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
    total_exact: bool = True  # False: `total` is a lower bound (more than RANK_LIMIT matches)
    ranked: bool = True  # False: too many matches to rank by relevance, newest first


# ---------------------------------------------------------------- building
def build_index(path: Path, records: Iterable[SearchRecord], *,
                meta: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None) -> int:
    """Write a fresh index to a temporary file beside `path`, then move it over `path` in one `os.replace`:
    a reader opens either the old index or the new one, never a half-written file. Returns questions indexed.
    `meta`: rows for the index's meta table, or a function that gives them once the records are written
    (publishing passes the dumps' checksum, which a thread computes meanwhile).

    Rowids follow the order of `records`: give them oldest first (the publisher does) so that searches with
    too many matches to rank come back newest first."""
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


def _write(path: Path, records: Iterable[SearchRecord],
           meta: Mapping[str, str] | Callable[[], Mapping[str, str]]) -> int:
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
            rows = {"schema": SCHEMA_VERSION, "questions": str(count), **(meta() if callable(meta) else meta)}
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
    facets = [facet_token("legislature", str(record.legislature)) if record.legislature is not None else "",
              *(facet_token(kind, value) for kind, value in (("author", record.author), ("party", record.party),
                                                              ("office", record.office)) if value),
              *(facet_token("concept", iri) for iri, _, _ in record.concepts)]
    connection.execute("INSERT INTO question_fts(rowid, title, keywords, question, answer, facets) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (rowid, _both(record.title), " · ".join(keywords), _both(record.question_text),
                        _both(record.answer_text), " ".join(facets)))
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


def facet_token(kind: str, value: str) -> str:
    """A filter value as one word of the `facets` column: filters then join the text query inside FTS5, which
    intersects its sorted lists far faster than SQLite checks each match against the question table."""
    return "f" + hashlib.sha1(f"{kind}\x00{value}".encode()).hexdigest()[:20]


def _facet_terms(query: SearchQuery) -> list[str]:
    pairs = (("legislature", str(query.legislature) if query.legislature is not None else None),
             ("author", query.author), ("party", query.party), ("office", query.office), ("concept", query.concept))
    return [f'facets : "{facet_token(kind, value)}"' for kind, value in pairs if value is not None]


@functools.lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """Case and accents folded as the index's tokenizer folds them (unicode61, remove_diacritics 2)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def query_terms(text: str) -> list[tuple[str, bool]]:
    """The words a query looks for (folded), each with whether it is a prefix: what a snippet highlights."""
    terms = []
    for match in _TERM.finditer(text):
        if match.group(1) or match.group(3):
            continue  # excluded words are not highlighted
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        prefix = raw.endswith("*") and match.group(2) is None
        terms += [(_fold(word), prefix) for word in _WORD.findall(raw.replace("*", " "))]
    return terms


def make_snippet(texts: Sequence[str | None], terms: Sequence[tuple[str, bool]], width: int = 28) -> str:
    """An HTML passage of the text with the most query words, the words in <mark>, the rest escaped.

    Made here rather than by FTS5's snippet(): that needs a MATCH per row (a prefix term costs ~50 ms per row
    on 100,000 questions) and could pick the hidden facets column."""
    best: tuple[int, str, list[re.Match[str]], list[int]] | None = None
    for text in texts:
        if not text:
            continue
        words = list(_WORD.finditer(text[:SNIPPET_SCAN]))
        folded = [_fold(w.group()) for w in words]
        hits = [i for i, f in enumerate(folded) if any(f == t or (prefix and f.startswith(t)) for t, prefix in terms)]
        if best is None or len(hits) > best[0]:
            best = (len(hits), text, words, hits)
    if best is None or not best[2]:
        return ""
    _, text, words, hits = best
    first = max(0, (hits[0] if hits else 0) - 6)
    last = min(len(words), first + width) - 1
    start, end = words[first].start(), words[last].end()
    out, cursor = ["…" if first else ""], start
    for index in (i for i in hits if first <= i <= last):
        word = words[index]
        out += [html.escape(text[cursor:word.start()]), "<mark>", html.escape(word.group()), "</mark>"]
        cursor = word.end()
    out += [html.escape(text[cursor:end]), "…" if last < len(words) - 1 else ""]
    return " ".join("".join(out).split())


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
        ranked = True
        with self._closing() as connection:
            try:
                if expression is not None:
                    total, rows, ranked = self._text_search(connection, expression, query)
                else:
                    total, rows = self._listing(connection, where, params, query)
            except sqlite3.OperationalError as exc:  # a term FTS5 still refuses: report, never 500
                raise SearchError("q", f"cannot search for {query.text!r}: {exc}") from exc
        hits = tuple(self._hit(row) for row in rows)
        return SearchResult(query, min(total, RANK_LIMIT) if not ranked else total, hits,
                            (time.perf_counter() - started) * 1000, total_exact=ranked, ranked=ranked)

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
    def _text_search(connection: sqlite3.Connection, expression: str, query: SearchQuery
                     ) -> tuple[int, list[sqlite3.Row], bool]:
        """Filters as FTS terms; count up to RANK_LIMIT + 1 matches (bounded work), then rank them by bm25 or,
        past the limit, take the newest; snippets for the page's rows only, from the words alone."""
        text = f"{TEXT_COLUMNS} : ({expression})"
        match = " AND ".join([text, *_facet_terms(query)])
        dates: list[str] = []
        params: list[object] = [match]
        for clause, value in (("q.date >= ?", query.date_from), ("q.date <= ?", query.date_to)):
            if value is not None:
                dates.append(clause)
                params.append(value.isoformat())
        conditions = " AND ".join(["question_fts MATCH ?", *dates])
        base = f"FROM question_fts JOIN question q ON q.id = question_fts.rowid WHERE {conditions}"
        # counting inside FTS5 alone is 6-15x faster than through the join: join only for a date range
        counted = base if dates else "FROM question_fts WHERE question_fts MATCH ?"
        total = connection.execute(f"SELECT count(*) FROM (SELECT 1 {counted} LIMIT {RANK_LIMIT + 1})",
                                   params).fetchone()[0]
        ranked = total <= RANK_LIMIT
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        # bm25 in the select list is computed for every match before the ORDER BY: only when ranking
        score, order = (f"bm25(question_fts, {weights})", "score, q.date DESC, q.identifier") if ranked \
            else ("NULL", "question_fts.rowid DESC")
        rows = connection.execute(f"SELECT q.*, {score} AS score {base} ORDER BY {order} LIMIT ? OFFSET ?",
                                  [*params, query.limit, query.offset]).fetchall()
        texts = {row[0]: row[1:] for row in connection.execute(
            f"SELECT rowid, title, question, answer FROM question_fts WHERE rowid IN ({', '.join('?' * len(rows))})",
            [row["id"] for row in rows])} if rows else {}
        terms = query_terms(query.text)
        return total, [dict(row) | {"snippet": make_snippet(texts.get(row["id"], ()), terms)} for row in rows], ranked

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
    def _hit(row) -> Hit:
        return Hit(row["iri"], row["identifier"], row["legislature"], row["date"], row["title_fr"], row["title_nl"],
                   row["author"], row["author_name"], row["party"], row["party_label"], row["office"],
                   row["office_fr"], row["office_nl"], row["status"], row["answer_date"], row["snippet"] or "",
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


def _whole(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses (a 500 until issue 5)."""
    return text.isascii() and text.isdigit()


def page_size(raw: str | None, default: int = 20) -> int:
    """A `limit` request parameter, bounded: a caller cannot make one request fetch the whole index."""
    if raw in (None, ""):
        return default
    if not _whole(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
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
    if legislature is not None and (not _whole(legislature) or len(legislature) > 4):
        raise SearchError("legislature", f"must be a legislature number such as 5, got {legislature!r}")
    offset = values.get("offset") or "0"
    if not _whole(offset) or int(offset) > 1_000_000:
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
