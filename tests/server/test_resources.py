"""Dereferenceable URIs: content negotiation, suffix URLs, headers, 404/406, every kind of minted IRI.

Runs on the session fixtures (the bundled sample built by the real CLI, served from the embedded store and
from a real `oxigraph serve`): question 5-8900 (answered, asked in Dutch, siblings 5-8901...5-8918) and
7-1923 (unanswered, asked in French).
"""

from __future__ import annotations

import json

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS

BASE = "http://senate-kg.test/"
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ELI_DL = Namespace("http://data.europa.eu/eli/eli-draft-legislation-ontology#")
Q = URIRef(BASE + "eli/dl/doc/WQ-5-8900")
Q7 = URIRef(BASE + "eli/dl/doc/WQ-7-1923")
Q_PATH = "/eli/dl/doc/WQ-5-8900"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld"}


def parse(client, response) -> Graph:
    """The response body as a graph, by its Content-Type (what CKAN and rdflib do). JSON-LD names its
    @context by URL: fetch it through the same client, as a JSON-LD processor would over HTTP."""
    assert response.status_code == 200, response.data[:500]
    media_type = response.mimetype
    data = response.get_data()
    if media_type == "application/ld+json":
        doc = json.loads(data)
        context_url = doc["@context"]
        assert isinstance(context_url, str) and context_url.endswith("/ns/context.jsonld")
        doc["@context"] = client.get("/ns/context.jsonld").get_json()["@context"]
        data = json.dumps(doc).encode()
    return Graph().parse(data=data, format=PARSERS[media_type])


# ------------------------------------------------------------------ the question, every format
def test_question_in_turtle_holds_its_whole_description(client):
    response = client.get(Q_PATH, headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    g = parse(client, response)
    assert (Q, DCTERMS.identifier, Literal("5-8900")) in g
    titles = {t.language: str(t) for t in g.objects(Q, DCTERMS.title)}
    assert titles["fr"].startswith("Services publics fédéraux")
    assert titles["nl"].startswith("Federale overheidsdiensten")
    answer = URIRef(BASE + "eli/dl/doc/WQ-5-8900-ASW")
    assert (answer, ELI_DL.answers_to, Q) in g
    assert set(g.objects(answer, ELI.is_realized_by))  # answer expressions are there
    assert (None, ELI_DL.forms_part_of, Q) in g  # activities
    author = g.value(Q, DCTERMS.creator)
    assert g.value(author, FOAF.name) == Literal("Martine Taelman")
    parties = {str(o) for p in g.objects(Q, ELI_DL.had_participation)
               for party in g.objects(p, ELI_DL.participation_in_name_of) for o in g.objects(party, SKOS.prefLabel)}
    assert parties == {"Open Vld"}
    concepts = list(g.objects(Q, ELI.is_about))
    assert concepts and all(g.value(c, SKOS.prefLabel) is not None for c in concepts)
    sibling = URIRef(BASE + "eli/dl/doc/WQ-5-8903")
    assert (sibling, DCTERMS.identifier, Literal("5-8903")) in g


@pytest.mark.parametrize("suffix, media_type", [("ttl", "text/turtle"), ("nt", "application/n-triples"),
                                                ("rdf", "application/rdf+xml"), ("jsonld", "application/ld+json")])
def test_every_rdf_format_carries_the_same_graph(client, suffix, media_type):
    reference = parse(client, client.get(Q_PATH + ".nt"))
    by_suffix = client.get(f"{Q_PATH}.{suffix}")
    assert by_suffix.mimetype == media_type
    negotiated = client.get(Q_PATH, headers={"Accept": media_type})
    assert negotiated.mimetype == media_type
    assert isomorphic(parse(client, by_suffix), reference)
    assert isomorphic(parse(client, negotiated), reference)


def test_jsonld_is_compacted_with_the_published_context(client):
    doc = client.get(Q_PATH + ".jsonld").get_json()
    assert doc["@context"] == BASE + "ns/context.jsonld"
    text = json.dumps(doc)
    assert '"identifier"' in text and "http://purl.org/dc/terms/identifier" not in text
    context = client.get("/ns/context.jsonld")
    assert context.status_code == 200 and context.mimetype == "application/ld+json"
    assert context.get_json()["@context"]["skg"] == BASE + "def/"


@pytest.mark.parametrize("accept, expected", [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),
    ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json;q=0.9, text/html;q=0.1", "application/ld+json"),
    ("text/plain", "application/n-triples"),  # rdflib's format="nt"
    ("application/json", "application/ld+json"),
    ("application/n-quads;q=1, application/n-triples;q=0.9, text/turtle;q=0.8, */*;q=0.1",
     "application/n-triples"),  # Comunica-like
    (BROWSER_ACCEPT, "text/html"),
    ("text/*;q=0.9, text/html;q=0.2", "text/turtle"),  # most specific entry sets text/html's quality
])
def test_negotiation_honours_q_values(client, accept, expected):
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(Q_PATH, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


def test_nothing_acceptable_is_406_listing_the_offers(client):
    response = client.get(Q_PATH, headers={"Accept": "application/pdf, image/*;q=0.5"})
    assert response.status_code == 406
    body = response.get_data(as_text=True)
    for media_type in ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples",
                       "text/html"):
        assert media_type in body


def test_negotiation_headers(client):
    response = client.get(Q_PATH, headers={"Accept": "application/rdf+xml"})
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Content-Location"] == Q_PATH + ".rdf"
    link = response.headers["Link"]
    for suffix, media_type in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                               ("rdf", "application/rdf+xml"), ("nt", "application/n-triples"),
                               ("html", "text/html")):
        assert f'<{Q_PATH}.{suffix}>; rel="alternate"; type="{media_type}"' in link
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=" in response.headers["Cache-Control"]


def test_iri_comes_from_the_path_not_the_host_header(client):
    g = parse(client, client.get(Q_PATH + ".nt", headers={"Host": "elsewhere.example:9999"}))
    assert (Q, DCTERMS.identifier, Literal("5-8900")) in g
    assert not any("elsewhere.example" in str(t) for triple in g for t in triple)


# ------------------------------------------------------------------ validators, 304, gzip, CORS, HEAD
def test_strong_etag_and_last_modified_then_304(client):
    first = client.get(Q_PATH + ".ttl")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Last-Modified"]
    again = client.get(Q_PATH + ".ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    by_date = client.get(Q_PATH + ".ttl", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    stale = client.get(Q_PATH + ".ttl", headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200
    # If-None-Match decides alone when present (RFC 9110 13.2.2), even with a matching date
    both = client.get(Q_PATH + ".ttl", headers={"If-None-Match": '"other"',
                                                "If-Modified-Since": first.headers["Last-Modified"]})
    assert both.status_code == 200


def test_each_format_has_its_own_etag(client):
    tags = {client.get(f"{Q_PATH}.{s}").headers["ETag"] for s in ("ttl", "nt", "rdf", "jsonld", "html")}
    assert len(tags) == 5
    other = client.get("/eli/dl/doc/WQ-7-1923.ttl").headers["ETag"]
    assert other not in tags


def test_gzip_and_revalidation_of_the_compressed_copy(client):
    response = client.get(Q_PATH + ".ttl", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"] and "Accept" in response.headers["Vary"]
    import gzip

    plain = client.get(Q_PATH + ".ttl").get_data()
    assert gzip.decompress(response.get_data()) == plain
    etag = response.headers["ETag"]
    again = client.get(Q_PATH + ".ttl", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag


def test_head_answers_like_get_without_a_body(client):
    get = client.get(Q_PATH, headers={"Accept": "text/turtle"})
    head = client.head(Q_PATH, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.get_data() == b""
    for header in ("Content-Type", "ETag", "Last-Modified", "Link", "Content-Location", "Vary"):
        assert head.headers[header] == get.headers[header]
    assert head.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    response = client.options(Q_PATH, headers={"Origin": "https://example.org",
                                               "Access-Control-Request-Method": "GET",
                                               "Access-Control-Request-Headers": "If-None-Match"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


# ------------------------------------------------------------------ 404
def test_unknown_question_is_404_in_text_for_data_clients(client):
    response = client.get("/eli/dl/doc/WQ-9-99999", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "/eli/dl/doc/WQ-9-99999" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/eli/dl/doc/WQ-9-99999", "/no/such/thing", "/person/nobody-at-all",
                                  "/eli/dl/doc/WQ-7-1923-ASW"])  # 7-1923 is not answered
def test_unknown_uri_is_an_html_404_page_for_browsers(client, path):
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert '<html lang="fr">' in response.get_data(as_text=True)
    assert client.get(path + ".html").status_code == 404


# ------------------------------------------------------------------ every kind of minted IRI
def _nt(client, path: str) -> Graph:
    return parse(client, client.get(path + ".nt"))


@pytest.mark.parametrize("path, predicate, value", [
    ("/eli/dl/doc/WQ-5-8900-ASW", ELI_DL.answers_to, Q),
    ("/eli/dl/doc/WQ-5-8900/fr", ELI.realizes, Q),
    ("/eli/dl/doc/WQ-5-8900/nl", ELI.realizes, Q),
    ("/eli/dl/doc/WQ-5-8900/fr/html", RDF.type, ELI.Manifestation),
    ("/eli/dl/event/WQ-5-8900-SUB", ELI_DL.forms_part_of, Q),
    ("/eli/dl/participation/WQ-5-8900_AUT", RDF.type, ELI_DL.Participation),
    ("/eli/dl/participation/WQ-5-8900_ADDRESSEE", RDF.type, ELI_DL.Participation),
])
def test_resources_inside_a_question_graph_dereference(client, path, predicate, value):
    g = _nt(client, path)
    assert (URIRef(BASE + path.lstrip("/")), predicate, value) in g
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.headers["ETag"]  # validators of the question graph
    assert client.get(path, headers={"Accept": BROWSER_ACCEPT}).status_code == 200


def test_answer_description_includes_its_texts(client):
    g = _nt(client, "/eli/dl/doc/WQ-5-8900-ASW")
    texts = {t.language for t in g.objects(None, URIRef(BASE + "def/text"))}
    assert texts == {"fr", "nl"}


@pytest.mark.parametrize("path, link", [
    ("/person/martine-taelman", DCTERMS.creator),
    ("/org/office/premier-ministre", URIRef(BASE + "def/addressee")),
    ("/term/5", ELI_DL.parliamentary_term),
])
def test_agents_and_terms_list_their_questions(client, path, link):
    iri = URIRef(BASE + path.lstrip("/"))
    g = _nt(client, path)
    assert (Q, link, iri) in g
    assert (Q, DCTERMS.identifier, Literal("5-8900")) in g
    assert labels(g, iri)


def labels(g: Graph, node) -> set[str]:
    return {str(o) for p in (SKOS.prefLabel, FOAF.name) for o in g.objects(node, p)}


def test_party_lists_questions_asked_in_its_name(client):
    iri = URIRef(BASE + "org/party/open-vld")
    g = _nt(client, "/org/party/open-vld")
    assert labels(g, iri) == {"Open Vld"}
    assert (Q, DCTERMS.identifier, Literal("5-8900")) in g
    assert (None, ELI_DL.participation_in_name_of, iri) in g


def test_local_concept_and_term_labels(client):
    g = _nt(client, "/term/7")
    assert {"7e législature", "7de zittingsperiode"} <= labels(g, URIRef(BASE + "term/7"))
    assert (Q7, DCTERMS.identifier, Literal("7-1923")) in g


def test_every_concept_iri_under_the_base_in_a_question_dereferences(client):
    g = _nt(client, "/eli/dl/doc/WQ-7-1923")
    local = [c for c in g.objects(Q7, ELI.is_about) if str(c).startswith(BASE)]
    for concept in local:
        path = "/" + str(concept)[len(BASE):]
        cg = _nt(client, path)
        assert (Q7, ELI.is_about, concept) in cg
        assert labels(cg, concept)


def test_every_iri_minted_in_a_question_graph_dereferences(client):
    """The promise of DESIGN.md: every URI minted under the base answers (here: all those one question
    graph mentions, in one format each)."""
    g = _nt(client, Q_PATH)
    minted = {str(t) for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(BASE)}
    assert len(minted) > 20
    failures = [iri for iri in sorted(minted)
                if client.get("/" + iri[len(BASE):], headers={"Accept": "application/n-triples"}).status_code != 200]
    assert failures == []


def test_a_sibling_not_harvested_is_described_by_who_links_to_it(client):
    stub = URIRef(BASE + "eli/dl/doc/WQ-5-8903")
    g = _nt(client, "/eli/dl/doc/WQ-5-8903")
    assert (stub, DCTERMS.identifier, Literal("5-8903")) in g
    assert (Q, URIRef(BASE + "def/alsoAsked"), stub) in g


def test_vocabulary_terms_dereference(client):
    g = _nt(client, "/def/alsoAsked")
    term = URIRef(BASE + "def/alsoAsked")
    assert {"aussi posée à", "ook gesteld aan"} <= {str(o) for o in g.objects(term, None) if isinstance(o, Literal)}
    ontology = _nt(client, "/def/")
    assert (term, URIRef("http://www.w3.org/2000/01/rdf-schema#isDefinedBy"), URIRef(BASE + "def/")) in ontology


def test_store_wide_resources_have_validators_and_304(client):
    first = client.get("/person/martine-taelman.ttl")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert client.get("/person/martine-taelman.ttl", headers={"If-None-Match": etag}).status_code == 304


def _vary_tokens(response) -> set[str]:
    return {token.strip().lower() for token in response.headers.get("Vary", "").split(",") if token.strip()}


def test_suffix_urls_do_not_vary_with_accept(client):
    assert "accept" not in _vary_tokens(client.get(Q_PATH + ".ttl"))
    assert "accept" in _vary_tokens(client.get(Q_PATH, headers={"Accept": "text/turtle"}))


@pytest.mark.parametrize("path", ["/person/a%20b", "/eli/dl/doc/WQ-5-8900%3E", '/org/party/%22x%22', "/x/%7B%7D"])
def test_paths_that_cannot_be_iris_are_404_not_500(client, path):
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404


def test_home_page_revalidates(client):
    first = client.get("/", headers={"Accept": "text/html"})
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/", headers={"Accept": "text/html", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/eurovoc/no-such-thing!", "/eurovoc/999999999"])
def test_eurovoc_listing_of_unknown_concept_is_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/person/martine-taelman", "/term/7", "/eli/dl/doc/WQ-5-8900-ASW",
                                  "/eli/dl/doc/WQ-5-8903", "/def/alsoAsked"])
def test_composed_descriptions_are_the_same_graph_in_every_format(client, path):
    """Store-wide descriptions are written part by part (Turtle documents concatenated): every format must
    still carry one and the same graph."""
    reference = parse(client, client.get(path + ".nt"))
    assert len(reference) > 2
    for suffix in ("ttl", "rdf", "jsonld"):
        assert isomorphic(parse(client, client.get(f"{path}.{suffix}")), reference), suffix
