"""One fact, one place (issue 9, docs/profile.md "Graphs"): no triple is stored in two graphs, so the queries a
researcher writes the plain way (no GRAPH, no DISTINCT, no SAMPLE) count right on the union default graph.

Two corpora: the bundled sample pages and 1,000 synthetic pages (bench/synthetic.py: 200 senators, 9 parties,
shared offices and EuroVoc concepts, sibling groups). Each is built by the real command line into an embedded
store and pushed by `senate-kg push` into a fresh `oxigraph serve` of its own; every query runs on both, as
`/sparql` runs users' queries. The truth is computed in Python from the parsed and merged `Question` records,
never from SPARQL.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from collections.abc import Iterator

import pytest
from rdflib import URIRef

from mapping.eurovoc import match_descriptor
from mapping.iris import Iris
from mapping.model import EventKind, Question
from mapping.rdf import office_iri
from senate_kg.cli import main
from store import Store, open_store
from tests.corpora import SAMPLES, Corpus, answered, build_corpus, concepts_of, named_query_rows

BASE = "http://one-fact.senate-kg.test/"
IRIS = Iris(BASE)
JSON = "application/sparql-results+json"
PREFIXES = f"""
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX eli-dl: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skg: <{BASE}def/>
"""


@pytest.fixture(scope="module", params=["samples", "synthetic"])
def corpus(request, tmp_path_factory) -> Corpus:
    return build_corpus(request.param, tmp_path_factory.mktemp(request.param), BASE, count=1000, seed=9)


@pytest.fixture(scope="module")
def remote_copy(corpus: Corpus, tmp_path_factory) -> Iterator[str]:
    """A fresh `oxigraph serve` holding what `senate-kg push` sent it: nothing else shares its default graph."""
    from tests.conftest import running_oxigraph

    with running_oxigraph(None, tmp_path_factory.mktemp("oxigraph-one-fact")) as url:
        assert main(["push", "--quiet", "--store", str(corpus.store_dir), "--endpoint", url + "/query"]) == 0
        yield url + "/query"


@pytest.fixture(scope="module")
def virtuoso_copy(corpus: Corpus, tmp_path_factory) -> Iterator[str]:
    """A fresh Virtuoso holding what `senate-kg push --engine virtuoso` sent it (its own system graphs aside)."""
    import virtuoso_instance

    if not virtuoso_instance.available():
        pytest.skip("Virtuoso is not installed (apt-get install -y virtuoso-opensource)")
    instance = virtuoso_instance.start(tmp_path_factory.mktemp("virtuoso-one-fact"))
    try:
        assert main(["push", "--quiet", "--store", str(corpus.store_dir), "--endpoint", instance.url,
                     "--engine", "virtuoso", "--credentials-file", str(instance.credentials_file)]) == 0
        yield instance.url
    finally:
        virtuoso_instance.stop(instance)


@pytest.fixture(scope="module", params=["embedded", "remote", "virtuoso"])
def store(request, corpus: Corpus) -> Iterator[Store]:
    if request.param == "embedded":
        opened = open_store(corpus.store_dir, read_only=True)
    elif request.param == "virtuoso":
        opened = open_store(remote=request.getfixturevalue("virtuoso_copy"), engine="virtuoso")
    else:
        opened = open_store(remote=request.getfixturevalue("remote_copy"))
    yield opened
    opened.close()


def rows(store: Store, query: str) -> list[dict[str, str]]:
    """A user's query (the union default graph, as /sparql runs it), as plain strings."""
    response = store.query(PREFIXES + query, JSON)
    payload = json.loads(response.body)
    return [{k: v["value"] for k, v in row.items()} for row in payload["results"]["bindings"]]


def counts(store: Store, query: str, key: str = "k") -> dict[str, int]:
    found = rows(store, query)
    keys = [row[key] for row in found]
    assert len(keys) == len(set(keys)), "one row per group"
    return {row[key]: int(row["n"]) for row in found}


def linked_not_read(questions: list[Question]) -> set[str]:
    read = {q.identifier for q in questions}
    return {i for q in questions for i in (*q.also_asked, *q.reintroduced_as) if i not in read}


# ---------------------------------------------------------------- the invariant
def test_no_triple_is_stored_in_two_graphs(corpus: Corpus, tmp_path) -> None:
    import pyoxigraph as ox

    dump = tmp_path / "all.nq"
    assert main(["export", "--store", str(corpus.store_dir), "--output", str(dump)]) == 0
    graphs_of: dict[tuple, set] = collections.defaultdict(set)
    for quad in ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS):
        graphs_of[(quad.subject, quad.predicate, quad.object)].add(quad.graph_name)
    repeated = {triple: graphs for triple, graphs in graphs_of.items() if len(graphs) > 1}
    assert len(graphs_of) > 100 * max(1, len(corpus.questions) // 50)
    assert not repeated, list(repeated.items())[:3]


def test_shared_resources_live_in_a_graph_named_by_their_iri(store: Store, corpus: Corpus) -> None:
    misplaced = rows(store, """SELECT ?node ?g WHERE {
        VALUES ?type { foaf:Person skg:PoliticalParty skg:MinisterOffice skos:Concept eli-dl:ParliamentaryTerm }
        GRAPH ?g { ?node a ?type } FILTER (?g != ?node && ?g != <""" + BASE + """def/>) } LIMIT 5""")
    assert misplaced == []
    persons = {IRIS.person(q.author) for q in corpus.questions if q.author}
    assert counts(store, "SELECT ?k (COUNT(*) AS ?n) WHERE { GRAPH ?k { ?k a foaf:Person } } GROUP BY ?k") == \
        dict.fromkeys(persons, 1)


def test_placeholders_stand_for_linked_questions_not_read(store: Store, corpus: Corpus) -> None:
    found = rows(store, "SELECT ?id WHERE { ?q skg:status skg:status-not-read ; dcterms:identifier ?id }")
    assert sorted(row["id"] for row in found) == sorted(linked_not_read(corpus.questions))


def test_an_unchanged_rebuild_keeps_every_shared_graph_as_it_was(corpus: Corpus, tmp_path) -> None:
    store = open_store(corpus.store_dir, read_only=True)
    try:
        before = {g: store.graph_info(g) for g in store.named_graphs()}
    finally:
        store.close()
    assert main(["build", "--quiet", "--store", str(corpus.store_dir), "--base-uri", BASE,
                 str(corpus.pages_dir)]) in (0, 1)
    store = open_store(corpus.store_dir, read_only=True)
    try:
        after = {g: store.graph_info(g) for g in store.named_graphs()}
    finally:
        store.close()
    assert after == before


# ---------------------------------------------------------------- researcher-style queries, the plain way
def test_questions_per_senator(store: Store, corpus: Corpus) -> None:
    truth = collections.Counter(q.author for q in corpus.questions if q.author)
    assert counts(store, "SELECT ?k (COUNT(?q) AS ?n) WHERE { ?q dcterms:creator ?p . ?p foaf:name ?k } "
                         "GROUP BY ?k") == truth


def test_questions_per_party(store: Store, corpus: Corpus) -> None:
    truth = collections.Counter(q.party for q in corpus.questions if q.author and q.party)
    assert counts(store, """SELECT ?k (COUNT(?q) AS ?n) WHERE { ?q eli-dl:had_participation ?part .
        ?part eli-dl:participation_in_name_of ?party . ?party skos:prefLabel ?k } GROUP BY ?k""") == truth


def test_questions_per_office(store: Store, corpus: Corpus) -> None:
    truth = collections.Counter(office_iri(q.addressee, IRIS) for q in corpus.questions if q.addressee)
    assert counts(store, "SELECT ?k (COUNT(?q) AS ?n) WHERE { ?q skg:addressee ?k . ?k a skg:MinisterOffice } "
                         "GROUP BY ?k") == truth


def test_questions_per_legislature(store: Store, corpus: Corpus) -> None:
    truth = collections.Counter(str(q.legislature) for q in corpus.questions)
    assert counts(store, """SELECT ?k (COUNT(?q) AS ?n) WHERE { ?q a skg:WrittenQuestion ;
        eli-dl:parliamentary_term ?t . ?t skg:legislature ?k } GROUP BY ?k""") == truth


def test_questions_per_concept_with_its_french_label(store: Store, corpus: Corpus) -> None:
    truth = collections.Counter(c for q in corpus.questions for c in concepts_of(q, IRIS))
    found = rows(store, """SELECT ?c ?label (COUNT(?q) AS ?n) WHERE { ?q eli:is_about ?c .
        ?c skos:prefLabel ?label FILTER (LANG(?label) = "fr") } GROUP BY ?c ?label""")
    assert len({row["c"] for row in found}) == len(found), "one French label per concept"
    assert {row["c"]: int(row["n"]) for row in found} == {c: n for c, n in truth.items()
                                                            if c in {row["c"] for row in found}}
    assert len(found) >= 0.9 * len(truth)  # local concepts read in Dutch only have no French label


def test_answered_share(store: Store, corpus: Corpus) -> None:
    total = rows(store, "SELECT (COUNT(?q) AS ?n) WHERE { ?q a skg:WrittenQuestion }")[0]["n"]
    answers = rows(store, "SELECT (COUNT(?a) AS ?n) WHERE { ?a eli-dl:answers_to ?q }")[0]["n"]
    assert (int(total), int(answers)) == (len(corpus.questions), sum(map(answered, corpus.questions)))


def test_answer_delays(store: Store, corpus: Corpus) -> None:
    truth = {}
    for q in corpus.questions:
        sent = next((e.date for e in q.events if e.kind is EventKind.SENT), None)
        got = q.answer_date or next((e.date for e in q.events if e.kind is EventKind.ANSWER), None)
        if answered(q) and got and (q.date or sent):
            truth[q.identifier] = (got - (q.date or sent)).days
    found = rows(store, """SELECT ?id ?asked ?answered WHERE { ?q dcterms:identifier ?id ; eli:date_document ?asked .
        ?a eli-dl:answers_to ?q ; eli:date_document ?answered }""")
    assert len(found) == len(truth)
    assert {row["id"]: (dt.date.fromisoformat(row["answered"]) - dt.date.fromisoformat(row["asked"])).days
            for row in found} == truth


def test_siblings_per_question(store: Store, corpus: Corpus) -> None:
    truth = {IRIS.question(q.identifier): len(set(q.also_asked) - {q.identifier})
             for q in corpus.questions if set(q.also_asked) - {q.identifier}}
    assert counts(store, "SELECT ?k (COUNT(?s) AS ?n) WHERE { ?k a skg:WrittenQuestion ; skg:alsoAsked ?s } "
                         "GROUP BY ?k") == truth


def test_the_named_query_of_also_asked_groups(store: Store, corpus: Corpus) -> None:
    """also-asked-groups (queries/): a group is named after the lowest identifier among a question and its
    siblings, the same order as their IRIs; its members are the questions read that name it so."""
    members: dict[str, set[str]] = collections.defaultdict(set)
    for q in corpus.questions:
        if q.also_asked:
            members[min(q.identifier, *q.also_asked)].add(q.identifier)
    truth = {(IRIS.question(key), len(ids), frozenset(ids)) for key, ids in members.items()}
    found = named_query_rows(store, "also-asked-groups", BASE)
    assert len(found) == len(members), "one row per group"
    assert {(row["group"], int(row["size"]), frozenset(row["members"].split())) for row in found} == truth
    assert [int(row["size"]) for row in found] == sorted((int(row["size"]) for row in found), reverse=True)


def test_concepts_per_question(store: Store, corpus: Corpus) -> None:
    truth = {q.identifier: len(concepts_of(q, IRIS)) for q in corpus.questions if concepts_of(q, IRIS)}
    assert counts(store, """SELECT ?k (COUNT(?c) AS ?n) WHERE { ?q a skg:WrittenQuestion ; dcterms:identifier ?k ;
        eli:is_about ?c } GROUP BY ?k""") == truth


def test_works_per_type(store: Store, corpus: Corpus) -> None:
    questions, answers = len(corpus.questions), sum(map(answered, corpus.questions))
    found = counts(store, "SELECT ?k (COUNT(?w) AS ?n) WHERE { ?w a eli:Work ; a ?k } GROUP BY ?k")
    assert found[BASE + "def/WrittenQuestion"] == questions
    assert found[BASE + "def/WrittenAnswer"] == answers
    assert found["http://data.europa.eu/eli/ontology#Work"] == \
        questions + answers + len(linked_not_read(corpus.questions))


def test_one_name_per_senator_and_each_eurovoc_label_once(store: Store, corpus: Corpus) -> None:
    names = counts(store, "SELECT ?k (COUNT(?name) AS ?n) WHERE { ?k foaf:name ?name } GROUP BY ?k")
    assert names == dict.fromkeys({IRIS.person(q.author) for q in corpus.questions if q.author}, 1)
    labels = counts(store, """SELECT ?k (COUNT(?l) AS ?n) WHERE { ?k skos:inScheme <http://eurovoc.europa.eu/100141> ;
        skos:prefLabel ?l } GROUP BY ?k""")
    truth = {}
    for q in corpus.questions:
        for d in q.descriptors:
            match = match_descriptor((d.fr or "").strip() or None, (d.nl or "").strip() or None)
            if match.concept:
                truth[IRIS.eurovoc(match.concept.id)] = len(list(match.concept.labels()))
    assert labels == truth


def test_senators_per_party_and_terms(store: Store, corpus: Corpus) -> None:
    truth = collections.defaultdict(set)
    for q in corpus.questions:
        if q.author and q.party:
            truth[q.party].add(q.author)
    found = counts(store, """SELECT ?k (COUNT(DISTINCT ?p) AS ?n) WHERE { ?part eli-dl:participation_in_name_of ?party ;
        eli-dl:had_participant_person ?p . ?party skos:prefLabel ?k } GROUP BY ?k""")
    assert found == {party: len(authors) for party, authors in truth.items()}
    terms = rows(store, "SELECT (COUNT(?t) AS ?n) WHERE { ?t a eli-dl:ParliamentaryTerm }")[0]["n"]
    assert int(terms) == len({q.legislature for q in corpus.questions})


# ---------------------------------------------------------------- a store of the older layout is refused
def test_a_store_of_the_older_layout_is_refused_by_build_serve_and_push(tmp_path, capsys) -> None:
    store_dir = tmp_path / "old"
    question = IRIS.question("5-1")
    old_graph = tmp_path / "old.nt"
    person = IRIS.person("A B")
    old_graph.write_text(f"<{question}> <http://purl.org/dc/terms/creator> <{person}> .\n"
                         f"<{person}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                         f"<http://xmlns.com/foaf/0.1/Person> .\n", encoding="utf-8")
    assert main(["load", "--quiet", "--store", str(store_dir), "--graph", question, str(old_graph)]) == 0
    capsys.readouterr()
    commands = (["build", "--quiet", "--store", str(store_dir), str(SAMPLES)],
                ["push", "--quiet", "--store", str(store_dir), "--endpoint", "http://127.0.0.1:9/query"],
                ["serve", "--quiet", "--store", str(store_dir), "--port", "9"])
    for command in commands:
        assert main(command) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "older senate-kg layout" in err[0] and "rebuild" in err[0], (command, err)
    store = open_store(store_dir, read_only=True)
    try:
        assert set(store.named_graphs()) == {question}  # the refused build added nothing
        assert store.graph_info(question) is not None
        assert URIRef(question)
    finally:
        store.close()
