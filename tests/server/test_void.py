"""The VoID description at /.well-known/void, on both backends: its figures agree with the store and the dumps,
its links (endpoint, dumps) answer, and the EuroVoc linkset counts the links."""

from __future__ import annotations

import gzip

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import VOID

from senate_kg.publish import read_manifest

DATASET = URIRef("http://senate-kg.test/dataset/questions")
META = URIRef("urn:senate-kg:meta")
ELI_IS_ABOUT = URIRef("http://data.europa.eu/eli/ontology#is_about")
WRITTEN_QUESTION = URIRef("http://senate-kg.test/def/WrittenQuestion")
QUESTIONS = "SELECT (COUNT(?q) AS ?n) WHERE { GRAPH ?q { ?q a <http://senate-kg.test/def/WrittenQuestion> } }"


def void(client, accept: str = "text/turtle") -> Graph:
    response = client.get("/.well-known/void", headers={"Accept": accept})
    assert response.status_code == 200
    formats = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
               "application/ld+json": "json-ld"}
    return Graph().parse(data=response.get_data(), format=formats[response.mimetype])


def _reloaded(client, sample_store_dir) -> Dataset:
    manifest = read_manifest(sample_store_dir.with_name(sample_store_dir.name + ".dumps"))
    nquads = next(d for d in manifest["dumps"] if d["key"] == "nquads")
    dataset = Dataset()
    dataset.parse(data=gzip.decompress(client.get(f"/dumps/{nquads['name']}").get_data()), format="nquads")
    return dataset


def test_void_figures_agree_with_the_dump(client, sample_store_dir):
    g = void(client)
    quads = [q for q in _reloaded(client, sample_store_dir).quads((None, None, None, None)) if q[3] != META]
    assert g.value(DATASET, VOID.triples) == Literal(len(quads))
    assert g.value(DATASET, VOID.distinctSubjects) == Literal(len({q[0] for q in quads}))
    eurovoc_links = [q for q in quads if q[1] == ELI_IS_ABOUT and str(q[2]).startswith("http://eurovoc.europa.eu/")]
    linkset = next(g.objects(DATASET, VOID.subset))
    assert g.value(linkset, VOID.linkPredicate) == ELI_IS_ABOUT
    assert g.value(linkset, VOID.objectsTarget) == URIRef("http://eurovoc.europa.eu/100141")
    assert g.value(linkset, VOID.triples) == Literal(len(eurovoc_links)) and eurovoc_links


def test_class_and_property_partitions(client, app):
    g = void(client)
    classes = {g.value(p, VOID["class"]): g.value(p, VOID.entities) for p in g.objects(DATASET, VOID.classPartition)}
    questions = int(app.extensions["store"].select(QUESTIONS)[0]["n"])
    assert classes[WRITTEN_QUESTION] == Literal(questions)
    properties = {g.value(p, VOID.property): p for p in g.objects(DATASET, VOID.propertyPartition)}
    assert ELI_IS_ABOUT in properties
    assert int(g.value(properties[ELI_IS_ABOUT], VOID.triples)) >= questions
    assert g.value(DATASET, VOID.classes) == Literal(len(classes))
    vocabularies = set(g.objects(DATASET, VOID.vocabulary))
    assert {URIRef("http://data.europa.eu/eli/ontology#"), URIRef("http://purl.org/dc/terms/"),
            URIRef("http://senate-kg.test/def/")} <= vocabularies


def test_endpoint_dumps_and_uri_space_are_linked_and_answer(client):
    g = void(client)
    assert g.value(DATASET, VOID.uriSpace) == Literal("http://senate-kg.test/")
    endpoint = g.value(DATASET, VOID.sparqlEndpoint)
    assert endpoint == URIRef("http://senate-kg.test/sparql")
    dumps = sorted(g.objects(DATASET, VOID.dataDump))
    assert len(dumps) == 3
    for dump in dumps:
        assert client.head(str(dump).replace("http://senate-kg.test", "")).status_code == 200
    example = g.value(DATASET, VOID.exampleResource)
    assert client.get(str(example).replace("http://senate-kg.test", ""), headers={"Accept": "text/turtle"}
                      ).status_code == 200


def test_void_in_every_rdf_format_and_turtle_by_default(client):
    assert client.get("/.well-known/void").mimetype == "text/turtle"
    turtle = void(client)
    for accept in ("application/n-triples", "application/rdf+xml", "application/ld+json"):
        assert len(void(client, accept)) == len(turtle)
    assert client.get("/.well-known/void.nt").mimetype == "application/n-triples"
