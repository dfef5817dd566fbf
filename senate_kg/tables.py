"""Tidy tables (CSV on the Web) and the figures of /stats, written when the build publishes (issue 12).

Why here, at publishing: a journalist's spreadsheet and the statistics pages must say what the graph says, and
no server should scan 100,000 questions per request. So three project queries (queries/publish/table-*.rq) read
the graph once; every other table and every figure is derived from their rows in Python:

- `questions.csv`, `question-descriptors.csv`, `question-siblings.csv`: the query rows, one per question, per
  descriptor link, per link between questions;
- `senators.csv`, `offices.csv`: the question rows grouped by author and by office, with their counts;
- `stats.json`: the figures the /stats page and the small charts of the senator, party, office and concept pages
  draw (senate_kg/stats.py), as of the day of publishing.

The columns, their order, datatypes and RDF mapping are data: `ontology/csvw/csv-metadata.json` (its `__BASE__`
is the deployment's base). Every file is gzipped deterministically (mtime 0), so that unchanged figures keep
their checksum and their `modified` date, like the dumps.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mapping.iris import Iris
from senate_kg.paths import ONTOLOGY_DIR
from store import Row, Store

CSVW_TEMPLATE = ONTOLOGY_DIR / "csvw" / "csv-metadata.json"
CSVW_METADATA = "csv-metadata.json"
STATS_FILE = "stats.json"
BASE_PLACEHOLDER = "__BASE__"
LANGUAGE_CODES = {"FRA": "fr", "NLD": "nl"}


@dataclass(frozen=True)
class TableFile:
    """One published table, as the manifest lists it (and the catalogue shows it as a distribution)."""

    name: str  # file under DIR.dumps/, served at /dumps/<name>: "questions.csv.gz"
    key: str  # stable part of the distribution IRI: "table-questions"
    title: str
    media_type: str
    rows: int
    byte_size: int
    sha256: str
    issued: str
    modified: str


@dataclass(frozen=True)
class Tables:
    """What publishing the tables produced: the files in `folder` (not yet in place) and the figures."""

    files: list[TableFile]
    metadata: TableFile
    stats: TableFile


# ---------------------------------------------------------------- the metadata (data: ontology/csvw/)
def load_metadata(base: str) -> dict[str, Any]:
    """The CSVW metadata with the deployment's base in place of `__BASE__`."""
    return json.loads(CSVW_TEMPLATE.read_text(encoding="utf-8").replace(BASE_PLACEHOLDER, base))


def columns_of(metadata: dict[str, Any], url: str) -> list[str]:
    """The column names of one table, in the order the file must have them."""
    table = next(t for t in metadata["tables"] if t["url"] == url)
    return [c["name"] for c in table["tableSchema"]["columns"] if not c.get("virtual")]


# ---------------------------------------------------------------- reading the graph
def _text(row: Row, key: str) -> str | None:
    term = row.get(key)
    return None if term is None else str(term)


def _date(row: Row, key: str) -> dt.date | None:
    term = row.get(key)
    if term is None:
        return None
    value = term.toPython()
    return value if isinstance(value, dt.date) else None


def identifier_key(identifier: str) -> tuple[int, ...]:
    """"5-10" after "5-9": sort identifiers by their numbers."""
    return tuple(int(part) if part.isdigit() else 0 for part in identifier.split("-"))


def question_rows(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """questions.csv's rows from table-questions.rq's: one per question (a repeated row, a second party or
    label, keeps the first), the delay and the deadline check derived from the dates."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = str(row["question"])
        if iri in found:
            continue
        identifier = str(row["identifier"])
        asked, answered, deadline = _date(row, "date"), _date(row, "answer_date"), _date(row, "deadline")
        language = (_text(row, "language") or "").rsplit("/", 1)[-1] or None
        found[iri] = {
            "question": iri, "identifier": identifier,
            "legislature": identifier_key(identifier)[0],
            "date_asked": asked, "date_answered": answered, "deadline": deadline,
            "delay_days": (answered - asked).days if answered and asked else None,
            "answered_within_deadline": answered <= deadline if answered and deadline else None,
            "status": (_text(row, "status") or "").rsplit("status-", 1)[-1] or None,
            "author": _text(row, "author"), "author_name": _text(row, "author_name"),
            "party": _text(row, "party"), "party_label": _text(row, "party_label"),
            "office": _text(row, "office"), "office_fr": _text(row, "office_fr"), "office_nl": _text(row, "office_nl"),
            "original_language": language,
            "title_fr": _text(row, "title_fr"), "title_nl": _text(row, "title_nl"),
            "answer": _text(row, "answer"),
        }
    return sorted(found.values(), key=lambda r: (identifier_key(r["identifier"]), r["question"]))


def descriptor_rows(rows: Iterable[Row]) -> list[dict[str, Any]]:
    found = {}
    for row in rows:
        key = (str(row["question"]), str(row["concept"]))
        if key not in found:
            found[key] = {"question": key[0], "identifier": str(row["identifier"]), "concept": key[1],
                          "label_fr": _text(row, "label_fr"), "label_nl": _text(row, "label_nl"),
                          "scheme": "local" if row.get("local") is not None else "eurovoc"}
    return sorted(found.values(), key=lambda r: (identifier_key(r["identifier"]), r["concept"]))


def sibling_rows(rows: Iterable[Row]) -> list[dict[str, Any]]:
    found = {}
    for row in rows:
        key = (str(row["question"]), str(row["relation"]), str(row["other"]))
        if key not in found:
            found[key] = {"question": key[0], "identifier": str(row["identifier"]), "relation": key[1],
                          "other": key[2], "other_identifier": _text(row, "other_identifier")}
    return sorted(found.values(), key=lambda r: (identifier_key(r["identifier"]), r["relation"],
                                                 identifier_key(r["other_identifier"] or ""), r["other"]))


# ---------------------------------------------------------------- derived tables
def share(part: int, whole: int) -> float | None:
    """Rounded to three decimals, as the named queries round their shares."""
    return round(part / whole, 3) if whole else None


def lower_median(values: Sequence[int]) -> int | None:
    """The smallest value reached by half of them (queries/answer-delay-per-office.rq's median)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def is_pending_past(row: dict[str, Any], today: dt.date) -> bool:
    """No answer, not closed, and the printed deadline is before `today` (queries/unanswered-past-deadline.rq)."""
    return row["answer"] is None and row["status"] != "closed" and row["deadline"] is not None \
        and row["deadline"] < today


def senator_rows(questions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in questions:
        if row["author"]:
            groups.setdefault(row["author"], []).append(row)
    result = []
    for senator, rows in groups.items():
        dates = [r["date_asked"] for r in rows if r["date_asked"]]
        answered = sum(1 for r in rows if r["answer"])
        result.append({"senator": senator, "name": rows[0]["author_name"], "questions": len(rows),
                       "answered": answered, "answered_share": share(answered, len(rows)),
                       "first_question": min(dates, default=None), "last_question": max(dates, default=None),
                       "parties": sorted({r["party_label"] for r in rows if r["party_label"]})})
    return sorted(result, key=lambda r: (-r["questions"], r["senator"]))


def office_rows(questions: Sequence[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in questions:
        if row["office"]:
            groups.setdefault(row["office"], []).append(row)
    return sorted((office_figures(office, rows, today) for office, rows in groups.items()),
                  key=lambda r: (-r["questions"], r["office"]))


def office_figures(office: str, rows: Sequence[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """One office's answer figures, counted as answer-delay-per-office.rq counts them: over the answered
    questions that have both dates; the deadline share over those that also have a deadline."""
    delays = [r["delay_days"] for r in rows if r["delay_days"] is not None]
    with_deadline = [r for r in rows if r["answered_within_deadline"] is not None]
    within = sum(1 for r in with_deadline if r["answered_within_deadline"])
    answered = sum(1 for r in rows if r["answer"])
    return {"office": office, "label_fr": rows[0]["office_fr"], "label_nl": rows[0]["office_nl"],
            "questions": len(rows), "answered": answered, "answered_share": share(answered, len(rows)),
            "median_delay_days": lower_median(delays),
            "mean_delay_days": round(sum(delays) / len(delays), 1) if delays else None,
            "answered_with_deadline": len(with_deadline), "answered_within_deadline": within,
            "share_within_deadline": share(within, len(with_deadline)),
            "pending_past_deadline": sum(1 for r in rows if is_pending_past(r, today))}


# ---------------------------------------------------------------- writing
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return " | ".join(value)
    return str(value)


def csv_bytes(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """RFC 4180 CSV (CRLF, header row), UTF-8 without BOM: what CSVW's default dialect reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        assert set(row) == set(columns), f"columns differ from csv-metadata.json: {sorted(set(row) ^ set(columns))}"
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (mtime 0, no file name): the same table gives the same checksum."""
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as packed:
        packed.write(data)
    return out.getvalue()


def _write(folder: Path, name: str, data: bytes, key: str, title: str, media_type: str, rows: int,
           previous: dict[str, Any], now: str) -> TableFile:
    (folder / name).write_bytes(data)
    os.chmod(folder / name, 0o644)
    sha256 = hashlib.sha256(data).hexdigest()
    listed = [*previous.get("tables", []), previous.get("csvw_metadata") or {}, previous.get("stats") or {}]
    old = next((t for t in listed if t.get("name") == name), None)
    issued = old["issued"] if old else now
    modified = old["modified"] if old and old.get("sha256") == sha256 else now
    return TableFile(name, key, title, media_type, rows, len(data), sha256, issued, modified)


# ---------------------------------------------------------------- the whole step
def write_tables(store: Store, iris: Iris, folder: Path, previous: dict[str, Any], now: str,
                 run) -> Tables:
    """Every table, the CSVW metadata and stats.json into `folder` (the publication's scratch folder).
    `run(store, name, iris)` runs a query of queries/publish/ (senate_kg.publish.run)."""
    from senate_kg.stats import compute_stats

    today = dt.date.fromisoformat(now[:10])
    questions = question_rows(run(store, "table-questions", iris))
    data = {
        "questions.csv": questions,
        "question-descriptors.csv": descriptor_rows(run(store, "table-question-descriptors", iris)),
        "question-siblings.csv": sibling_rows(run(store, "table-question-siblings", iris)),
        "senators.csv": senator_rows(questions),
        "offices.csv": office_rows(questions, today),
    }
    metadata = load_metadata(iris.base)
    files = []
    for table in metadata["tables"]:
        url = table["url"]
        rows = data[url]
        packed = gzip_bytes(csv_bytes(columns_of(metadata, url), rows))
        files.append(_write(folder, f"{url}.gz", packed, "table-" + url.removesuffix(".csv"), table["dc:title"],
                            "text/csv", len(rows), previous, now))
    meta_file = _write(folder, CSVW_METADATA, json.dumps(metadata, indent=1, ensure_ascii=False).encode("utf-8"),
                       "csvw-metadata", "CSVW metadata", "application/csvm+json", len(files), previous, now)
    figures = compute_stats(data, today)
    stats_file = _write(folder, STATS_FILE, json.dumps(figures, sort_keys=True, ensure_ascii=False,
                                                      default=_json_default).encode("utf-8"),
                        "stats", "Statistics", "application/json", len(figures["resources"]), previous, now)
    return Tables(files, meta_file, stats_file)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def manifest_entries(tables: Tables) -> dict[str, Any]:
    """What the manifest says of the tables (the catalogue and the server read it)."""
    return {"tables": [asdict(t) for t in tables.files], "csvw_metadata": asdict(tables.metadata),
            "stats": asdict(tables.stats)}


def listed_names(manifest: dict[str, Any]) -> set[str]:
    """The files of the manifest's tables part (for publish.is_current and the stale-file sweep)."""
    names = {t.get("name") for t in manifest.get("tables", [])}
    names |= {(manifest.get(key) or {}).get("name") for key in ("csvw_metadata", "stats")}
    return {n for n in names if n}
