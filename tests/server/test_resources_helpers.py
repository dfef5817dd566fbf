"""The helpers other blueprints reuse: negotiation (`choose`, `split_suffix`), validators and 304 logic,
serialisation (`serialise`), and the internal query files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from server.negotiation import HTML, JSONLD, NTRIPLES, RDF_FORMATS, RDFXML, TURTLE, choose, split_suffix
from server.queries_internal import InternalQueryError, load_internal_queries, parse_file
from server.representations import Validators, entity_tag, is_not_modified, serialise


@pytest.mark.parametrize("path, generic, fmt", [
    ("/eli/dl/doc/WQ-5-8900.ttl", "/eli/dl/doc/WQ-5-8900", TURTLE),
    ("/eli/dl/doc/WQ-5-8900.jsonld", "/eli/dl/doc/WQ-5-8900", JSONLD),
    ("/eli/dl/doc/WQ-5-8900/fr/html", "/eli/dl/doc/WQ-5-8900/fr/html", None),  # a manifestation, not a suffix
    ("/eli/dl/doc/WQ-5-8900.html", "/eli/dl/doc/WQ-5-8900", HTML),
    ("/person/a.b/c", "/person/a.b/c", None),  # a dot in an earlier segment
    ("/x.pdf", "/x.pdf", None),
])
def test_split_suffix(path, generic, fmt):
    assert split_suffix(path) == (generic, fmt)


@pytest.mark.parametrize("accept, offers, default, expected", [
    ("", RDF_FORMATS, TURTLE, TURTLE),
    ("application/rdf+xml;q=0.3, text/turtle;q=0.2", RDF_FORMATS, TURTLE, RDFXML),
    ("*/*;q=0.1, application/n-triples", RDF_FORMATS, TURTLE, NTRIPLES),
    ("text/html, */*;q=0.9", (*RDF_FORMATS, HTML), TURTLE, HTML),
    ("text/html", RDF_FORMATS, TURTLE, None),  # 406
    ("text/turtle;q=0", RDF_FORMATS, TURTLE, None),  # refused explicitly, nothing else named: 406
    ("text/turtle;q=0, */*;q=0.5", RDF_FORMATS, TURTLE, JSONLD),  # refused explicitly: the next offer
])
def test_choose(app, accept, offers, default, expected):
    from werkzeug.exceptions import HTTPException

    headers = {"Accept": accept} if accept else {}
    with app.test_request_context("/", headers=headers):
        from flask import request

        if expected is None:
            with pytest.raises(HTTPException) as raised:
                choose(request, offers, default)
            assert raised.value.get_response().status_code == 406
        else:
            assert choose(request, offers, default) is expected


@pytest.mark.parametrize("header, matches", [
    ('"T"', True),
    ('W/"T"', True),  # weak comparison for GET
    ('"T:gzip"', True),  # the tag flask-compress gives the compressed copy
    ('"other", "T:br"', True),
    ('*', True),
    ('"other"', False),
    ('"T-other"', False),
])
def test_if_none_match(app, header, matches):
    with app.test_request_context("/", headers={"If-None-Match": header}):
        from flask import request

        assert (is_not_modified(request, "T", None) is not None) is matches


def test_if_modified_since_is_second_precise(app):
    stored = dt.datetime(2024, 5, 6, 7, 8, 9, 500_000, tzinfo=dt.UTC)
    with app.test_request_context("/", headers={"If-Modified-Since": "Mon, 06 May 2024 07:08:09 GMT"}):
        from flask import request

        assert is_not_modified(request, "T", stored) is not None
    with app.test_request_context("/", headers={"If-Modified-Since": "Mon, 06 May 2024 07:08:08 GMT"}):
        from flask import request

        assert is_not_modified(request, "T", stored) is None


def test_entity_tags_differ_by_format(app):
    with app.app_context():
        tags = {entity_tag(Validators("abc", None), f) for f in (*RDF_FORMATS, HTML)}
    assert len(tags) == 5


def sample_graph() -> Graph:
    g = Graph()
    q = URIRef("http://senate-kg.test/eli/dl/doc/WQ-5-8900")
    g.add((q, DCTERMS.identifier, Literal("5-8900")))
    g.add((q, DCTERMS.title, Literal("Médias sociaux", lang="fr")))
    g.add((q, DCTERMS.title, Literal("Sociale media", lang="nl")))
    g.add((URIRef("http://eurovoc.europa.eu/5116"), SKOS.prefLabel, Literal("ministère", lang="fr")))
    return g


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_serialise_round_trips(app, fmt):
    graph = sample_graph()
    with app.app_context():
        from flask import current_app

        context = current_app.extensions["jsonld_context"]["@context"]
        body = serialise(graph, fmt, context=context if fmt is JSONLD else None)
    if fmt is JSONLD:
        doc = json.loads(body)
        assert doc["@context"]["dcterms"] == str(DCTERMS)  # compacted with the project's context
        assert "title" in json.dumps(doc)
    back = Graph().parse(data=body, format=fmt.rdflib_name)
    assert isomorphic(back, graph)


def test_serialise_refuses_html(app):
    with pytest.raises(ValueError, match="text/turtle"):
        serialise(sample_graph(), HTML)


def test_every_internal_query_loads_and_declares_its_parameters():
    queries = load_internal_queries("http://senate-kg.test/")
    expected = {"describe-question", "describe-in-graph", "question-links", "home-figures"}
    assert expected <= set(queries)
    for query in queries.values():
        assert query.sparql.startswith("BASE <http://senate-kg.test/>")
        for param in query.params:
            assert f"?{param}" in query.sparql


def test_a_broken_internal_query_names_file_and_field(tmp_path):
    bad = tmp_path / "broken.rq"
    bad.write_text('#+ name: broken\n#+ title: t\n#+ param: r iri required "x"\n#+ form: graph\n'
                   "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o\n")
    with pytest.raises(InternalQueryError) as raised:
        parse_file(bad, "http://senate-kg.test/")
    assert raised.value.source == str(bad)
    assert raised.value.field == "param"  # ?r declared but unused comes first
    bad.write_text('#+ name: broken\n#+ title: t\n#+ form: graph\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o\n')
    with pytest.raises(InternalQueryError, match="not valid SPARQL"):
        parse_file(bad, "http://senate-kg.test/")
