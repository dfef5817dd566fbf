"""Every kind of resource, in every RDF format, is one document (issue 14): what a person, a diff or a parser
expects. A description made of several query results (a party and its questions) used to be two Turtle
documents pasted together, each with its own prefix block."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

BASE = "http://senate-kg.test/"
PATHS = {
    "question": "eli/dl/doc/WQ-5-8900",
    "placeholder (a sibling not read)": "eli/dl/doc/WQ-5-8907",
    "answer": "eli/dl/doc/WQ-5-8900-ASW",
    "expression": "eli/dl/doc/WQ-5-8900/fr",
    "manifestation": "eli/dl/doc/WQ-5-8900/fr/html",
    "event": "eli/dl/event/WQ-5-8900-SUB",
    "participation": "eli/dl/participation/WQ-5-8900_AUT",
    "person": "person/martine-taelman",
    "party": "org/party/open-vld",
    "office": "org/office/premier-ministre",
    "local concept": "concept/staatsveiligheid",
    "term": "term/5",
    "vocabulary term": "def/status-answered",
}
FORMATS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}


def one_document(client, path: str, suffix: str) -> Graph:
    response = client.get(f"/{path}.{suffix}")
    assert response.status_code == 200, (path, suffix, response.status_code)
    body = response.get_data()
    if suffix == "jsonld":
        doc = json.loads(body)  # one JSON document: json.loads refuses two pasted together
        doc["@context"] = client.get("/ns/context.jsonld").get_json()["@context"]
        body = json.dumps(doc).encode()
    text = body.decode("utf-8")
    if suffix == "ttl":
        declared = [line.split()[1] for line in text.splitlines() if line.startswith("@prefix")]
        assert len(declared) == len(set(declared)), f"{path}: prefixes declared twice: the documents of two parts"
    if suffix == "rdf":
        assert text.count("<rdf:RDF") == 1 and text.count("<?xml") <= 1
    return Graph().parse(data=body, format=FORMATS[suffix])


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_each_kind_is_one_document_in_every_rdf_format(client, kind: str) -> None:
    path = PATHS[kind]
    graphs = {suffix: one_document(client, path, suffix) for suffix in FORMATS}
    sizes = {suffix: len(graph) for suffix, graph in graphs.items()}
    assert len(set(sizes.values())) == 1, sizes  # the same triples whatever the format
    assert (URIRef(BASE + path), None, None) in graphs["nt"]
