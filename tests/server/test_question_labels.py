"""A question is served with the labels of what it links to (issue 9): on the embedded store they come from a
cache kept per linked resource and store snapshot, not from a join in the store. These tests hold that path to
the store's own join (describe-question) and show that a new snapshot is never served with old labels."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from server import create_app
from store import open_store

BASE = "http://senate-kg.test/"


def question_iris(client) -> list[str]:
    rows = client.post("/sparql", data={"query": "PREFIX skg: <http://senate-kg.test/def/>\n"
                                                 "SELECT ?q WHERE { ?q a skg:WrittenQuestion }"},
                       headers={"Accept": "application/sparql-results+json"}).get_json()
    return sorted(row["q"]["value"] for row in rows["results"]["bindings"])


def served(client, iri: str) -> Graph:
    response = client.get(iri[len(BASE) - 1:] + ".nt")
    assert response.status_code == 200, (iri, response.status_code)
    return Graph().parse(data=response.get_data(), format="nt")


def joined_in_the_store(app, iri: str) -> Graph:
    """What describe-question gives for the question, with the versions the server adds: the reference."""
    from server import ldes, queries_internal

    with app.test_request_context("/"):
        body = queries_internal.construct("describe-question", q=iri, v=app.extensions["iris"].vocab())
        body += ldes.version_links(iri)
    return Graph().parse(data=body, format="nt")


def test_every_question_is_served_with_what_the_store_joins(app, client) -> None:
    iris = question_iris(client)
    assert len(iris) >= 10
    for iri in iris:
        graph, reference = served(client, iri), joined_in_the_store(app, iri)
        assert isomorphic(graph, reference), (iri, len(graph), len(reference))
        labelled = {s for s, p, _ in graph if p == SKOS.prefLabel and str(s) != iri}
        assert labelled, f"{iri}: served without the labels of what it links to"


def test_a_label_changed_in_a_new_snapshot_is_served_at_once(sample_store_dir: Path, tmp_path: Path) -> None:
    """A party renamed in its own graph: the question's representation and ETag follow as soon as the reader
    moves to the new snapshot; the label cached for the old one is not served again."""
    location = tmp_path / "store"
    shutil.copytree(sample_store_dir, location)
    settings = sample_store_dir.with_name(sample_store_dir.name + ".json")
    if settings.exists():
        shutil.copy(settings, location.with_name("store.json"))
    app = create_app({"STORE_PATH": str(location), "BASE_URI": BASE})
    client = app.test_client()
    question = BASE + "eli/dl/doc/WQ-5-8900"
    party = URIRef(BASE + "org/party/open-vld")
    before = client.get("/eli/dl/doc/WQ-5-8900.nt")
    assert (party, SKOS.prefLabel, Literal("Open Vld")) in Graph().parse(data=before.get_data(), format="nt")

    writer = open_store(location)
    renamed = writer.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{party}> {{ ?s ?p ?o }} }}")
    renamed = renamed.replace(b'"Open Vld"', b'"Open VLD (renamed in a test)"')
    writer.replace_graphs([(str(party), renamed)])
    writer.close()

    deadline = time.monotonic() + 20
    while True:
        after = client.get("/eli/dl/doc/WQ-5-8900.nt")
        graph = Graph().parse(data=after.get_data(), format="nt")
        if (party, SKOS.prefLabel, Literal("Open VLD (renamed in a test)")) in graph or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (party, SKOS.prefLabel, Literal("Open VLD (renamed in a test)")) in graph
    assert (party, SKOS.prefLabel, Literal("Open Vld")) not in graph
    assert after.headers["ETag"] != before.headers["ETag"]
    assert (URIRef(question), None, None) in graph
