"""The tidy tables (issue 12): published beside the dumps by `senate-kg build`, listed in the manifest with sizes
and SHA-256, valid against their CSV on the Web metadata (checked with the `csvw` package), convertible to the
same triples as the graph (csv2rdf over csvw's parsed cells and URI templates), and counted right: every count
equals the truth computed from the parsed `Question` records, on the bundled samples and on synthetic pages.
"""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import hashlib
import json
import shutil
import statistics
from pathlib import Path

import pytest
from csvw import CSVW
from rdflib import XSD, Dataset, Graph, Literal, URIRef

from mapping.iris import Iris
from mapping.model import EventKind, Question
from mapping.rdf import office_iri
from senate_kg.cli import main
from senate_kg.publish import dumps_dir_for, read_manifest
from tests.corpora import Corpus, answered, build_corpus, concepts_of

BASE = "http://one-fact.senate-kg.test/"
IRIS = Iris(BASE)
TABLES = ("questions.csv", "question-descriptors.csv", "question-siblings.csv", "senators.csv", "offices.csv")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREF_LABEL = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
XSD_OF = {"date": XSD.date, "integer": XSD.integer, "nonNegativeInteger": XSD.nonNegativeInteger,
          "decimal": XSD.decimal, "boolean": XSD.boolean}


@pytest.fixture(scope="module", params=["samples", "synthetic"])
def corpus(request, tmp_path_factory) -> Corpus:
    folder = tmp_path_factory.mktemp(f"tables-{request.param}")
    return build_corpus(request.param, folder, BASE, count=300, seed=12)


@pytest.fixture(scope="module")
def unpacked(corpus: Corpus, tmp_path_factory) -> Path:
    """The tables gunzipped beside csv-metadata.json, as the metadata's description tells readers to."""
    folder = tmp_path_factory.mktemp("unpacked")
    dumps = dumps_dir_for(corpus.store_dir)
    shutil.copy(dumps / "csv-metadata.json", folder)
    for name in TABLES:
        (folder / name).write_bytes(gzip.decompress((dumps / f"{name}.gz").read_bytes()))
    return folder


def table(unpacked: Path, name: str) -> list[dict]:
    found = CSVW(str(unpacked / "csv-metadata.json"))
    chosen = next(t for t in found.tables if str(t.url) == name)
    return [{k: _template_value(v) if hasattr(v, "unsplit") else as_date(v) for k, v in row.items()}
            for row in chosen.iterdicts()]


def as_date(value):
    """csvw reads an xsd:date cell as a datetime at midnight: the date it is."""
    return value.date() if isinstance(value, dt.datetime) else value


# ---------------------------------------------------------------- published and listed
def test_the_manifest_lists_every_table_with_its_size_and_checksum(corpus: Corpus):
    dumps = dumps_dir_for(corpus.store_dir)
    manifest = read_manifest(dumps)
    listed = {t["name"]: t for t in manifest["tables"]}
    assert sorted(listed) == sorted(f"{name}.gz" for name in TABLES)
    for name, entry in listed.items():
        data = (dumps / name).read_bytes()
        assert entry["byte_size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["media_type"] == "text/csv" and data[:2] == b"\x1f\x8b"
    metadata = manifest["csvw_metadata"]
    assert metadata["sha256"] == hashlib.sha256((dumps / "csv-metadata.json").read_bytes()).hexdigest()


def test_an_unchanged_rebuild_keeps_the_tables(corpus: Corpus):
    dumps = dumps_dir_for(corpus.store_dir)
    before = read_manifest(dumps)
    assert main(["build", "--quiet", "--store", str(corpus.store_dir), str(corpus.pages_dir)]) in (0, 1)
    after = read_manifest(dumps)
    assert after["tables"] == before["tables"] and after["stats"] == before["stats"]


# ---------------------------------------------------------------- CSV on the Web
def test_the_tables_are_valid_against_their_metadata(unpacked: Path):
    described = CSVW(str(unpacked / "csv-metadata.json"), validate=True)
    assert described.is_valid, [str(w.message) for w in described.warnings]
    assert sorted(str(t.url) for t in described.tables) == sorted(TABLES)


def test_a_table_that_breaks_its_metadata_is_caught(unpacked: Path, tmp_path: Path):
    """The validation can fail: a date that is no date, in a copy of the questions table."""
    for path in unpacked.iterdir():
        shutil.copy(path, tmp_path)
    lines = (tmp_path / "questions.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("date_asked")] = "30 avril 2013"
    (tmp_path / "questions.csv").write_text("\r\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\r\n",
                                            encoding="utf-8")
    assert not CSVW(str(tmp_path / "csv-metadata.json"), validate=True).is_valid


def csv2rdf(metadata: Path) -> Graph:
    """CSVW's csv2rdf (minimal mode) over the csvw package's reading of the tables: each non-null cell of a
    column that is not suppressed gives (aboutUrl, propertyUrl, valueUrl or the typed, tagged value)."""
    graph = Graph()
    described = CSVW(str(metadata))
    for tbl in described.tables:
        schema = tbl.tableSchema
        for number, parsed in enumerate(tbl.iterdicts(), start=1):
            row = {k: _template_value(v) for k, v in parsed.items()}
            for col in schema.columns:
                value = parsed.get(col.name)
                if col.suppressOutput or value is None or value == "":
                    continue
                about = col.aboutUrl or schema.aboutUrl
                subject = URIRef(tbl.expand(about, row, _row=number, _name=col.name))
                predicate = URIRef(tbl.expand(col.propertyUrl, row, _row=number, _name=col.name))
                if col.valueUrl:
                    obj = URIRef(tbl.expand(col.valueUrl, row, _row=number, _name=col.name))
                elif col.datatype and col.datatype.base in XSD_OF:
                    obj = Literal(as_date(value).isoformat() if isinstance(value, dt.date) else value,
                                  datatype=XSD_OF[col.datatype.base])
                else:
                    obj = Literal(str(value), lang=col.lang if col.lang and col.lang != "und" else None)
                graph.add((subject, predicate, obj))
    return graph


def _template_value(value):
    """A parsed cell as URI templates expand it (its canonical string)."""
    if hasattr(value, "unsplit"):
        return value.unsplit()
    if isinstance(value, dt.date):
        return as_date(value).isoformat()
    if isinstance(value, list):
        return [_template_value(v) for v in value]
    return value


def graph_triples(corpus: Corpus) -> Graph:
    """Every stored triple (the union of the graphs), from the N-Quads dump."""
    dataset = Dataset()
    dataset.parse(data=gzip.decompress((dumps_dir_for(corpus.store_dir) / "senate-kg-questions.nq.gz")
                                       .read_bytes()).decode("utf-8"), format="nquads")
    union = Graph()
    for s, p, o, g in dataset.quads():
        if str(g) != "urn:senate-kg:meta":
            union.add((s, p, o))
    return union


def test_the_tables_convert_to_the_graphs_triples(corpus: Corpus, unpacked: Path):
    """For each property the tables map, the triples of the subjects they describe equal the graph's (types and
    labels: those the tables carry; EuroVoc's English and German labels are not in the tables)."""
    from_csv, stored = csv2rdf(unpacked / "csv-metadata.json"), graph_triples(corpus)
    assert len(from_csv) > 0
    missing = [t for t in from_csv if t not in stored]
    assert missing == [], missing[:5]
    for predicate in set(from_csv.predicates()):
        subjects = set(from_csv.subjects(predicate, None))
        expected = {(s, predicate, o) for s in subjects for o in stored.objects(s, predicate)}
        if predicate == RDF_TYPE:
            expected = {t for t in expected if t[2] in set(from_csv.objects(None, RDF_TYPE))}
        if predicate == PREF_LABEL:
            expected = {t for t in expected if getattr(t[2], "language", None) in (None, "fr", "nl")}
        assert set(from_csv.triples((None, predicate, None))) == expected, predicate
    questions = set(stored.subjects(RDF_TYPE, URIRef(BASE + "def/WrittenQuestion")))
    assert set(from_csv.subjects(RDF_TYPE, URIRef(BASE + "def/WrittenQuestion"))) == questions


# ---------------------------------------------------------------- every count is the truth
def answer_date(q: Question) -> dt.date | None:
    return q.answer_date or next((e.date for e in q.events if e.kind is EventKind.ANSWER), None)


def asked_date(q: Question) -> dt.date | None:
    return q.date or next((e.date for e in q.events if e.kind is EventKind.SENT), None)


def deadline(q: Question) -> dt.date | None:
    return next((e.deadline for e in q.events if e.kind is EventKind.SENT and e.deadline), None)


def test_questions_table_rows_are_the_records(corpus: Corpus, unpacked: Path):
    rows = {r["identifier"]: r for r in table(unpacked, "questions.csv")}
    assert sorted(rows) == sorted(q.identifier for q in corpus.questions)
    for q in corpus.questions:
        row = rows[q.identifier]
        assert (row["answer"] is not None) == answered(q), q.identifier
        assert row["date_asked"] == asked_date(q) and row["deadline"] == deadline(q)
        if answered(q) and answer_date(q) and asked_date(q):
            assert row["delay_days"] == (answer_date(q) - asked_date(q)).days
        assert row["title_fr"] == q.title.get("fr") and row["title_nl"] == q.title.get("nl")
        assert row["author_name"] == q.author and row["party_label"] == q.party
        assert row["office"] == (office_iri(q.addressee, IRIS) if q.addressee else None)
        assert row["original_language"] == {"fr": "FRA", "nl": "NLD", None: None}[q.original_language]


def test_descriptor_and_sibling_counts_are_the_records(corpus: Corpus, unpacked: Path):
    per_question = collections.Counter(r["identifier"] for r in table(unpacked, "question-descriptors.csv"))
    truth = {q.identifier: len(concepts) for q in corpus.questions if (concepts := concepts_of(q, IRIS))}
    assert dict(per_question) == truth
    links = collections.Counter((r["identifier"], r["relation"]) for r in table(unpacked, "question-siblings.csv"))
    truth = collections.Counter()
    for q in corpus.questions:
        for kind, others in (("alsoAsked", set(q.also_asked) - {q.identifier}), ("reintroducedAs",
                                                                                  set(q.reintroduced_as))):
            if others:
                truth[(q.identifier, kind)] = len(others)
    assert links == truth


def test_senator_counts_are_the_records(corpus: Corpus, unpacked: Path):
    truth = collections.defaultdict(lambda: [0, 0])
    for q in corpus.questions:
        if q.author:
            truth[IRIS.person(q.author)][0] += 1
            truth[IRIS.person(q.author)][1] += answered(q)
    got = {r["senator"]: [r["questions"], r["answered"]] for r in table(unpacked, "senators.csv")}
    assert got == dict(truth)


def test_office_counts_and_delays_are_the_records(corpus: Corpus, unpacked: Path):
    manifest = read_manifest(dumps_dir_for(corpus.store_dir))
    today = dt.date.fromisoformat(manifest["published"][:10])
    groups = collections.defaultdict(list)
    for q in corpus.questions:
        if q.addressee:
            groups[office_iri(q.addressee, IRIS)].append(q)
    got = {r["office"]: r for r in table(unpacked, "offices.csv")}
    assert sorted(got) == sorted(groups)
    for office, qs in groups.items():
        row = got[office]
        delays = sorted((answer_date(q) - asked_date(q)).days for q in qs
                        if answered(q) and answer_date(q) and asked_date(q))
        timed = [q for q in qs if answered(q) and answer_date(q) and deadline(q)]
        pending = [q for q in qs if not answered(q) and deadline(q) and deadline(q) < today
                   and not any(e.kind is EventKind.CLOSED for e in q.events)]
        assert (row["questions"], row["answered"]) == (len(qs), sum(map(answered, qs))), office
        assert row["median_delay_days"] == (statistics.median_low(delays) if delays else None), office
        assert row["answered_with_deadline"] == len(timed)
        assert row["answered_within_deadline"] == sum(1 for q in timed if answer_date(q) <= deadline(q))
        assert row["pending_past_deadline"] == len(pending), office


def test_stats_figures_are_the_records(corpus: Corpus):
    stats = json.loads((dumps_dir_for(corpus.store_dir) / "stats.json").read_text(encoding="utf-8"))
    months = collections.Counter(asked_date(q).strftime("%Y-%m") for q in corpus.questions if asked_date(q))
    assert {r["month"]: r["questions"] for r in stats["months"]} == dict(months)
    assert stats["questions"] == len(corpus.questions)
    assert stats["answered"] == sum(map(answered, corpus.questions))
    for q in corpus.questions[:50]:
        if q.author:
            figures = stats["resources"][IRIS.person(q.author)]
            mine = [x for x in corpus.questions if x.author == q.author]
            assert figures["questions"] == len(mine) and figures["answered"] == sum(map(answered, mine))
