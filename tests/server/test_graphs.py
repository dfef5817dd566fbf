"""server/graphs.py: the N-Triples parser gives what rdflib's gives, and TripleGraph answers every lookup as an rdflib
Graph does (so pages and JSON-LD compaction render the same from either)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from server.graphs import TripleGraph, parse_ntriples
from server.representations import compile_context, jsonld_object

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "resources.trig"


@pytest.fixture(scope="module")
def fixture_graph() -> Graph:
    """Every triple of the hand-written fixture (both questions' graphs), as one rdflib Graph."""
    dataset = Dataset()
    dataset.parse(FIXTURE, format="trig")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def nt(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def test_it_parses_what_rdflib_parses(fixture_graph: Graph) -> None:
    ours = Graph()
    for triple in parse_ntriples(nt(fixture_graph)):
        ours.add(triple)
    assert len(ours) == len(fixture_graph)
    assert isomorphic(ours, fixture_graph)


@pytest.mark.parametrize("line, expected", [
    ('<http://a/s> <http://a/p> "plain" .', Literal("plain")),
    ('<http://a/s> <http://a/p> "tab\\there \\"quoted\\" back\\\\slash\\nnew" .',
     Literal('tab\there "quoted" back\\slash\nnew')),
    ('<http://a/s> <http://a/p> "caf\\u00E9 \\U0001F600" .', Literal("café \U0001F600")),
    ('<http://a/s> <http://a/p> "médias"@fr-BE .', Literal("médias", lang="fr-BE")),
    ('<http://a/s> <http://a/p> "2013-04-30"^^<http://www.w3.org/2001/XMLSchema#date> .',
     Literal("2013-04-30", datatype=XSD.date)),
    ('<http://a/s>\t<http://a/p>\t<http://a/o>\t.\t# a comment', URIRef("http://a/o")),
    ('<http://a/s> <http://a/p> "a . # not a comment" .', Literal("a . # not a comment")),
    ('<http://a/s> <http://a/p> "line\u2028separator\u0085inside" .', Literal("line\u2028separator\u0085inside")),
    ('<http://a/s> <http://a/p> <http://a/\\u00E9t\\u00E9> .', URIRef("http://a/été")),
])
def test_literals_iris_and_escapes(line: str, expected) -> None:
    [(s, p, o)] = parse_ntriples(line + "\n")
    assert (s, p) == (URIRef("http://a/s"), URIRef("http://a/p"))
    assert o == expected and type(o) is type(expected)
    assert getattr(o, "language", None) == getattr(expected, "language", None)
    assert getattr(o, "datatype", None) == getattr(expected, "datatype", None)


def test_blank_nodes_are_local_to_one_document() -> None:
    doc = b"_:b1 <http://a/p> _:b2 .\n_:b2 <http://a/p> \"x\" .\r\n\n# comment\n"
    first, second = parse_ntriples(doc), parse_ntriples(doc)
    assert isinstance(first[0][0], BNode) and first[0][2] == first[1][0]
    assert first[0][0] != second[0][0]
    graph = TripleGraph.from_ntriples(doc, doc)  # two parts: two pairs of nodes, not one
    assert len(graph) == 4


def test_an_odd_but_valid_document_falls_back_to_rdflib() -> None:
    doc = '<http://a/s> <http://a/p> "x"^^<http://a/dt> .\r<http://a/s> <http://a/q> "y" .\r'  # CR alone ends lines
    assert sorted(str(o) for _, _, o in parse_ntriples(doc)) == ["x", "y"]


def test_a_document_that_is_not_ntriples_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_ntriples("this is not RDF\n")


def key(term) -> tuple:
    """A total order over terms and tuples of terms (rdflib's own leaves "China"@en and "China"@de unordered)."""
    if isinstance(term, tuple):
        return tuple(key(t) for t in term)
    return type(term).__name__, str(term), getattr(term, "language", None) or "", str(getattr(term, "datatype", ""))


def test_every_lookup_answers_as_rdflib_does(fixture_graph: Graph) -> None:
    ours = TripleGraph.from_ntriples(nt(fixture_graph))
    subjects = sorted(set(fixture_graph.subjects()), key=key)[:12]
    predicates = sorted(set(fixture_graph.predicates()), key=key)[:12]
    objects = sorted(set(fixture_graph.objects()), key=key)[:12]
    for s, p, o in itertools.product([None, *subjects], [None, *predicates], [None, *objects]):
        assert set(ours.triples((s, p, o))) == set(fixture_graph.triples((s, p, o))), (s, p, o)
        assert ((s, p, o) in ours) == ((s, p, o) in fixture_graph)
    for s in [None, *subjects]:
        for p in [None, *predicates]:
            assert sorted(ours.objects(s, p), key=key) == sorted(fixture_graph.objects(s, p), key=key)
        assert sorted(ours.predicate_objects(s), key=key) == sorted(fixture_graph.predicate_objects(s), key=key)
        assert sorted(ours.predicates(s, None), key=key) == sorted(fixture_graph.predicates(s, None), key=key)
    for p, o in itertools.product([None, *predicates], [None, *objects]):
        assert sorted(ours.subjects(p, o), key=key) == sorted(fixture_graph.subjects(p, o), key=key)
    question = URIRef("http://senate-kg.test/eli/dl/doc/WQ-5-8900")
    assert ours.value(question, URIRef("http://purl.org/dc/terms/identifier")) == Literal("5-8900")
    assert ours.value(None, RDF.type) is None  # two unknowns: None, as rdflib says
    assert ours.value(question, URIRef("http://a/none"), default=Literal("d")) == Literal("d")
    assert len(ours) == len(fixture_graph)
    assert isomorphic(ours.to_rdflib(), fixture_graph)


def test_json_ld_is_the_same_from_either_graph(app, fixture_graph: Graph) -> None:
    context = app.extensions["jsonld_context"]["@context"]
    compiled = compile_context(context)
    ours = TripleGraph.from_ntriples(nt(fixture_graph))
    for url in ("http://senate-kg.test/ns/context.jsonld", None):
        expected = jsonld_object(fixture_graph, context, url)
        got = jsonld_object(ours, compiled, url)
        assert _normalised(got) == _normalised(expected)


def _normalised(obj):
    """Lists of values compared as sets: their order follows each graph's iteration order."""
    if isinstance(obj, dict):
        return {k: _normalised(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return sorted((_normalised(v) for v in obj), key=repr)
    return obj
