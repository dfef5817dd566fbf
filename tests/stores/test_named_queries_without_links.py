"""Named queries on questions that lack a link the sample always has: one without an addressee, one without an
author. A label joined beside the OPTIONAL that binds what it labels (instead of inside it) matches every
office's or person's label for such a question: one row per label in the store instead of one row.

The records are the bundled sample's, parsed and merged, with two edited in memory (no page on senate.be lacks
these lines, so no fixture page is written); they are mapped and stored as a build stores them, then copied by
`senate-kg push` into a fresh `oxigraph serve` and a fresh Virtuoso. The truth comes from the records.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapping.iris import Iris
from mapping.model import Question
from mapping.rdf import question_graphs, question_triples
from senate_kg.cli import main
from senate_kg.pipeline import vocabulary_graph
from store import Store, open_store
from store.merge import GraphMerger
from tests.corpora import SAMPLES, Corpus, named_query_rows

BASE = "http://without-links.senate-kg.test/"
IRIS = Iris(BASE)
NO_AUTHOR = "7-657"  # reintroduced as 7-804: the row of reintroduced-questions must name no author
NO_ADDRESSEE = "7-1923"  # its author asked nothing else in the sample: senator-questions gives it alone


def edited_questions() -> list[Question]:
    questions = {q.identifier: q for q in Corpus(SAMPLES, Path("unused")).questions}
    assert questions[NO_AUTHOR].author and questions[NO_AUTHOR].reintroduced_as
    assert questions[NO_ADDRESSEE].addressee
    questions[NO_AUTHOR] = dataclasses.replace(questions[NO_AUTHOR], author=None, party=None)
    questions[NO_ADDRESSEE] = dataclasses.replace(questions[NO_ADDRESSEE], addressee={})
    return list(questions.values())


def store_questions(store: Store, questions: list[Question]) -> None:
    """As `senate-kg build` writes them: the vocabulary, the merged shared graphs, then each question's graph."""
    mapped = [question_graphs(question_triples(q, IRIS), q, IRIS) for q in questions]
    merger = GraphMerger(store, {g.iri for g in mapped})
    for graphs in mapped:
        merger.add(graphs.shared, graphs.placeholders)
    store.replace_graphs(vocabulary_graph(IRIS))
    store.replace_graphs(merger.take())
    store.replace_graphs((g.iri, g.own) for g in mapped)


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return edited_questions()


@pytest.fixture(scope="module")
def store_dir(questions: list[Question], tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("without-links") / "store"
    store = open_store(folder)
    try:
        store_questions(store, questions)
    finally:
        store.close()
    return folder


@pytest.fixture(scope="module", params=["embedded", "remote", "virtuoso"])
def store(request, store_dir: Path, tmp_path_factory) -> Iterator[Store]:
    """The stored questions, or a copy of them pushed into a server of this module's own (None: no shared one)."""
    from tests.conftest import running_oxigraph, running_virtuoso

    with contextlib.ExitStack() as servers:
        if request.param == "embedded":
            opened = open_store(store_dir, read_only=True)
        elif request.param == "remote":
            url = servers.enter_context(running_oxigraph(None, tmp_path_factory.mktemp("oxigraph-without-links")))
            assert main(["push", "--quiet", "--store", str(store_dir), "--endpoint", url + "/query"]) == 0
            opened = open_store(remote=url + "/query")
        else:
            server = servers.enter_context(running_virtuoso(None, tmp_path_factory.mktemp("virtuoso-without-links")))
            assert main(["push", "--quiet", "--store", str(store_dir), "--endpoint", server.url, "--engine",
                         "virtuoso", "--credentials-file", str(server.credentials_file)]) == 0
            opened = open_store(remote=server.url, engine="virtuoso")
        yield opened
        opened.close()


def test_a_question_without_an_addressee_is_one_row_without_an_office(store: Store, questions) -> None:
    author = next(q.author for q in questions if q.identifier == NO_ADDRESSEE)
    found = named_query_rows(store, "senator-questions", BASE, senator=IRIS.person(author))
    assert [row["identifier"] for row in found] == [q.identifier for q in questions if q.author == author]
    assert not {"office", "office_fr", "office_nl"} & set(found[0]), found[0]


def test_each_question_of_a_senator_carries_its_own_office_labels_only(store: Store, questions) -> None:
    author = "Martine Taelman"
    truth = {q.identifier: q.addressee for q in questions if q.author == author}
    found = named_query_rows(store, "senator-questions", BASE, senator=IRIS.person(author))
    assert sorted(row["identifier"] for row in found) == sorted(truth)  # one row each
    for row in found:
        addressee = truth[row["identifier"]]
        assert (row.get("office_fr"), row.get("office_nl")) == (addressee.get("fr"), addressee.get("nl")), row


def test_a_reintroduced_question_without_an_author_names_none(store: Store, questions) -> None:
    truth = {(q.identifier, later): q.author for q in questions for later in q.reintroduced_as}
    assert (NO_AUTHOR, "7-804") in truth and None in truth.values() and len(set(truth.values())) > 1
    found = named_query_rows(store, "reintroduced-questions", BASE)
    assert sorted((row["identifier"], row["later_identifier"]) for row in found) == sorted(truth)  # one row each
    for row in found:
        assert row.get("author_name") == truth[(row["identifier"], row["later_identifier"])], row
