"""Validation: real graphs conform, broken ones are rejected in plain words, and batching never changes a verdict."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import test_rdf_records as R  # noqa: E402 - the hand-built records, a sibling module (pytest puts its folder on sys.path)
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from mapping.iris import Iris
from mapping.rdf import question_graph, question_ntriples, question_triples
from mapping.validate import Validator, Violation

BASE = "http://senate-kg.test/"
IRIS = Iris(BASE)
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

Q = URIRef(BASE + "eli/dl/doc/WQ-5-8900")
ANSWER = URIRef(BASE + "eli/dl/doc/WQ-5-8900-ASW")
ELI = "http://data.europa.eu/eli/ontology#"
DATE = URIRef(ELI + "date_document")
TITLE = URIRef("http://purl.org/dc/terms/title")
ORIGINAL = URIRef("https://data.europarl.europa.eu/def/epvoc#originalLanguage")
PERSON = URIRef(BASE + "person/martine-taelman")
NAME = URIRef("http://xmlns.com/foaf/0.1/name")


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(IRIS)


def broken(mutate: Callable[[Graph], None], question=None) -> Graph:
    graph = question_graph(question or R.question_5_8900(), IRIS)
    mutate(graph)
    return graph


# ---------------------------------------------------------------- what must pass
@pytest.mark.parametrize("record", ["question_5_8900", "question_7_1923_fr", "question_7_1923", "question_7_657"])
def test_mapped_records_conform(validator, record):
    assert validator.validate(question_graph(getattr(R, record)(), IRIS)) == []


def test_mapped_sample_pages_conform(validator):
    """Every bundled page, parsed, merged and mapped: real pages (partial ones included) are never rejected."""
    from mapping.merge import merge_questions
    from mapping.parse import parse_page

    pages = [p for p in sorted(SAMPLES.glob("*.txt"))]
    try:
        questions = merge_questions([parse_page(p.read_bytes(), str(p)) for p in pages])
    except NotImplementedError:
        pytest.skip("the parser is not written yet")
    assert {q.identifier for q in questions} >= {"5-8900", "5-8904", "7-657", "7-1923", "7-1837"}
    reports = validator.validate_many([question_triples(q, IRIS) for q in questions])
    assert {q.identifier: [str(v) for v in r] for q, r in zip(questions, reports, strict=True) if r} == {}


# ---------------------------------------------------------------- what must fail, in plain words
BROKEN = {
    "missing date": (lambda g: g.remove((Q, DATE, None)),
                     "WQ-5-8900: eli:date_document: exactly one value required, found 0"),
    "two French titles": (lambda g: g.add((Q, TITLE, Literal("Un autre titre", lang="fr"))),
                          "WQ-5-8900: dcterms:title: more than one value in the same language"),
    "answer before question": (lambda g: g.set((ANSWER, DATE, Literal(dt.date(2013, 4, 1)))),
                               "WQ-5-8900-ASW: eli-dl:answers_to/eli:date_document: the answer is dated before its "
                               "question"),
    "unknown original language": (
        lambda g: g.set((Q, ORIGINAL, URIRef("http://publications.europa.eu/resource/authority/language/DEU"))),
        "WQ-5-8900: epvoc:originalLanguage: at:language/DEU is not one of at:language/FRA, at:language/NLD"),
    "extra property": (lambda g: g.add((Q, URIRef("http://example.org/extra"), Literal("x"))),
                       "WQ-5-8900: <http://example.org/extra>: property not allowed on a written question"),
    "identifier pattern": (lambda g: g.set((Q, URIRef("http://purl.org/dc/terms/identifier"), Literal("5 8900"))),
                           'WQ-5-8900: dcterms:identifier: "5 8900" does not match ^\\d+-\\d+$'),
    "date as text": (lambda g: g.set((Q, DATE, Literal("30/4/2013"))),
                     'WQ-5-8900: eli:date_document: "30/4/2013" is not of type xsd:date'),
    "missing Dutch title": (lambda g: g.remove((URIRef(f"{Q}/nl"), URIRef(ELI + "title"), None)),
                            "WQ-5-8900/nl: eli:title|eli:realizes/eli-dl:answers_to: a language version of a "
                            "question needs its title"),
    "person with two names": (lambda g: g.add((PERSON, NAME, Literal("M. Taelman"))),
                              "person/martine-taelman: foaf:name: exactly one value required, found 2"),
    "untyped subject": (lambda g: g.remove((URIRef("http://eurovoc.europa.eu/5116"), ns.RDF.type, None)),
                        "WQ-5-8900: eli:is_about: ev:5116 is not a skos:Concept in this graph"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graph_is_rejected_with_a_readable_message(validator, case):
    mutate, expected = BROKEN[case]
    violations = validator.validate(broken(mutate))
    assert any(str(v).startswith(expected) for v in violations), [str(v) for v in violations]


def test_violation_fields(validator):
    (violation,) = validator.validate(broken(lambda g: g.remove((Q, DATE, None))))
    assert violation == Violation(focus_node=str(Q), path="eli:date_document",
                                  message="exactly one value required, found 0", focus_label="WQ-5-8900",
                                  value=None, component="MinCount")


def test_french_only_page_is_not_rejected_for_what_it_lacks(validator):
    """No Dutch title, no text in Dutch, no session, no answer, no descriptors: still valid."""
    q = replace(R.question_7_1923_fr(), descriptors=(), question_text={}, original_language=None)
    assert validator.validate(question_graph(q, IRIS)) == []


# ---------------------------------------------------------------- batching keeps every verdict with its graph
def test_batch_attributes_each_violation_to_its_own_graph(validator):
    graphs = [question_graph(R.synthetic_question(n), IRIS) for n in range(1, 41)]
    graphs[7].remove((URIRef(IRIS.question("99-8")), DATE, None))
    graphs[30].add((URIRef(IRIS.question("99-31")), TITLE, Literal("autre", lang="fr")))
    reports = validator.validate_many(graphs)
    assert [i for i, r in enumerate(reports) if r] == [7, 30]
    assert {v.focus_label for v in reports[7]} == {"WQ-99-8"}
    assert {v.focus_label for v in reports[30]} == {"WQ-99-31"}


def test_a_shared_node_broken_in_one_graph_is_reported_on_that_graph_only(validator):
    """Persons are shared: graph 3 gives its author a second name; the 39 others describe the same person
    correctly and must not inherit graph 3's violation (nor hide it)."""
    graphs = [question_graph(replace(R.synthetic_question(n), author="Shared Author"), IRIS) for n in range(1, 41)]
    person = URIRef(IRIS.person("Shared Author"))
    graphs[3].add((person, NAME, Literal("S. Author")))
    reports = validator.validate_many(graphs)
    assert [i for i, r in enumerate(reports) if r] == [3]
    assert [str(v) for v in reports[3]] == ["person/shared-author: foaf:name: exactly one value required, found 2"]


def test_a_shared_node_broken_in_several_graphs_is_reported_on_each(validator):
    graphs = [question_graph(replace(R.synthetic_question(n), author="Shared Author"), IRIS) for n in range(1, 11)]
    person = URIRef(IRIS.person("Shared Author"))
    for n in (2, 5, 6):
        graphs[n].add((person, NAME, Literal("S. Author")))
    reports = validator.validate_many(graphs)
    assert [i for i, r in enumerate(reports) if r] == [2, 5, 6]


def test_siblings_in_one_batch_keep_their_own_verdicts(validator):
    """5-8900 links 5-8901 (a stub: type and identifier); 5-8901's own graph is in the same call. A stub that
    says more than 5-8901's own graph must not be merged into it."""
    base = R.question_5_8900()
    sibling = replace(base, number=8901, also_asked=("5-8900", *base.also_asked[1:]))
    stub = URIRef(IRIS.question("5-8901"))
    tampered = broken(lambda g: g.add((stub, URIRef("http://purl.org/dc/terms/identifier"), Literal("oops"))))
    graphs = [question_graph(base, IRIS), question_graph(sibling, IRIS), tampered]
    batch = validator.validate_many(graphs)
    assert batch == [validator.validate(g) for g in graphs]
    assert batch[1] == [], "the sibling's own graph conforms whatever a stub elsewhere says"


MUTATIONS: list[Callable[[Graph, URIRef], None]] = [
    lambda g, q: g.remove((q, DATE, None)),
    lambda g, q: g.add((q, TITLE, Literal("bis", lang="nl"))),
    lambda g, q: g.add((URIRef(IRIS.person("Synthetic Senator 1")), NAME, Literal("X"))),
    lambda g, q: g.add((URIRef(IRIS.office("ministre synthétique 2")), ns.SKOS.prefLabel, Literal("Y", lang="fr"))),
    lambda g, q: g.remove((URIRef("http://eurovoc.europa.eu/5116"), ns.SKOS.prefLabel, None)),
    lambda g, q: g.add((q, URIRef("http://example.org/p"), q)),
    lambda g, q: g.remove((URIRef(f"{q}-ASW"), URIRef(ELI + "is_realized_by"), None)),
    lambda g, q: None,
    lambda g, q: None,
]


def test_batch_verdicts_equal_one_by_one_verdicts(validator):
    """Random mutations (shared nodes included), fixed seed: validating together == validating alone."""
    rng = random.Random(20130430)
    graphs = []
    for n in rng.sample(range(1, 200), 24):
        graph = question_graph(R.synthetic_question(n), IRIS)
        rng.choice(MUTATIONS)(graph, URIRef(IRIS.question(f"99-{n}")))
        graphs.append(graph)
    together = validator.validate_many(graphs)
    assert together == [validator.validate(g) for g in graphs]
    assert sum(1 for r in together if r) >= 8, "the mutations do break graphs"


def test_speedups_change_nothing_but_speed():
    graphs = [broken(mutate) for mutate, _ in BROKEN.values()] + [question_graph(R.question_7_1923_fr(), IRIS)]
    fast = Validator(IRIS).validate_many(graphs)
    plain = Validator(IRIS, speedups=False).validate_many(graphs)
    assert fast == plain
    assert all(fast[:-1]) and not fast[-1]


def test_inputs_as_graph_triples_or_ntriples(validator):
    q = replace(R.question_5_8900(), answer_date=dt.date(2013, 4, 1))
    as_graph = validator.validate(question_graph(q, IRIS))
    assert as_graph
    assert validator.validate(question_triples(q, IRIS)) == as_graph
    assert validator.validate(question_ntriples(q, IRIS)) == as_graph


def test_parallel_equals_serial():
    validator = Validator(IRIS, batch_size=12)
    graphs = [question_triples(R.synthetic_question(n), IRIS) for n in range(1, 61)]
    graphs[13] = list(broken(lambda g: g.remove((Q, DATE, None))))
    serial = validator.validate_many(graphs)
    assert validator.validate_parallel(graphs, workers=2) == serial
    assert [i for i, r in enumerate(serial) if r] == [13]


def test_batched_validation_is_fast(validator):
    """The build's budget: 10,000 questions end to end in 60 s on 2 cores. Measured here ~1.2 ms of CPU per
    question; the bound is loose because the machine is shared."""
    graphs = [question_triples(R.synthetic_question(n), IRIS) for n in range(1, 401)]
    started = time.process_time()
    reports = validator.validate_many(graphs)
    per_question = (time.process_time() - started) / len(graphs) * 1000
    assert not any(reports)
    assert per_question < 5, f"{per_question:.2f} ms per question"


def test_a_graph_mapped_under_another_base_is_not_silently_accepted(validator):
    """With the wrong base no shape would target anything: the validator says so instead of passing it."""
    violations = validator.validate(question_triples(R.question_5_8900(), Iris("https://elsewhere.example/")))
    assert "no written question under http://senate-kg.test/eli/dl/doc/" in str(violations[0])
