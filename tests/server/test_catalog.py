"""The DCAT-AP catalogue, on both backends: valid against the official shapes, answered the way harvesters ask
(HEAD, no Accept, */*, every RDF format), and harvested end to end by a client that follows ckanext-dcat's
rules (and by ckanext-dcat itself where it is installed)."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF

from senate_kg.paths import SHARED_DIR
from server.catalog import SPDX

SHAPES = SHARED_DIR / "dcat-ap"
PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld"}
DATE_TYPING_SUBSET = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
CONSTRUCT { ?shape a sh:NodeShape ; sh:targetClass ?class ; sh:property ?property .
            ?property ?p ?o . ?dates ?dp ?do . ?list ?lp ?lo . ?choice ?cp ?co . }
WHERE {
  ?shape sh:targetClass ?class ; sh:property ?property .
  ?property sh:node ?dates ; ?p ?o .
  ?dates sh:or ?or ; ?dp ?do .
  ?or (<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>)* ?list . ?list ?lp ?lo .
  OPTIONAL { ?list <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?choice . ?choice ?cp ?co }
  FILTER(STRENDS(STR(?dates), "DateOrDateTimeDataType_Shape"))
}
"""


def catalogue(client) -> Graph:
    response = client.get("/catalog")
    assert response.status_code == 200
    return Graph().parse(data=response.get_data(), format=PARSERS[response.mimetype])


def _shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def _violations(data: Graph, shapes: Graph) -> str:
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    return "" if conforms else text


def test_the_catalogue_conforms_to_the_dcat_ap_3_shapes_and_ranges(client):
    data = catalogue(client)
    assert _violations(data, _shapes("3.0.0/shapes.ttl", "3.0.0/range.ttl")) == ""
    assert _violations(data, _shapes("3.0.0/shapes_recommended.ttl")) == ""  # warnings count too: none


def test_every_date_is_typed_as_the_dcat_ap_2_1_1_shapes_require(client):
    """3.0.0 fails to check date typing; 2.1.1 does (its checksum rule, SHA-1 only, is outdated: not used)."""
    date_shapes = _shapes("2.1.1/dcat-ap_2.1.1_shacl_shapes.ttl").query(DATE_TYPING_SUBSET).graph
    assert len(date_shapes) > 20
    data = catalogue(client)
    assert _violations(data, date_shapes) == ""
    broken = Graph() + data
    dataset = next(broken.subjects(RDF.type, DCAT.Dataset))
    broken.set((dataset, DCTERMS.modified, Literal("last tuesday")))
    assert "DateOrDateTime" in _violations(broken, date_shapes)  # the subset does check


def test_the_shapes_catch_an_untyped_publisher(client):
    """The trap DESIGN.md names: without `a foaf:Agent` the range shapes fail. Our catalogue types it."""
    data = catalogue(client)
    publisher = next(data.objects(next(data.subjects(RDF.type, DCAT.Catalog)), DCTERMS.publisher))
    assert (publisher, RDF.type, FOAF.Agent) in data
    data.remove((publisher, RDF.type, FOAF.Agent))
    assert "does not have class foaf:Agent" in _violations(data, _shapes("3.0.0/range.ttl"))


def test_dataset_and_distributions_have_identifiers_sizes_checksums_and_dates(client, sample_store_dir):
    data = catalogue(client)
    dataset = URIRef("http://senate-kg.test/dataset/questions")
    assert (dataset, RDF.type, DCAT.Dataset) in data
    assert data.value(dataset, DCTERMS.identifier) == Literal(str(dataset))
    languages = set(data.objects(dataset, DCTERMS.language))
    assert {URIRef("http://publications.europa.eu/resource/authority/language/FRA"),
            URIRef("http://publications.europa.eu/resource/authority/language/NLD")} <= languages
    assert URIRef("http://publications.europa.eu/resource/authority/country/BEL") in set(
        data.objects(dataset, DCTERMS.spatial))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE") in set(
        data.objects(dataset, DCAT.theme))
    assert URIRef("http://eurovoc.europa.eu/c_324b44f1") in set(data.objects(dataset, DCAT.theme))
    temporal = data.value(dataset, DCTERMS.temporal)
    assert str(data.value(temporal, DCAT.startDate)) <= "2013-04-30"
    assert str(data.value(temporal, DCAT.endDate)) >= "2023-03-06"
    dumps = sample_store_dir.with_name(sample_store_dir.name + ".dumps")
    downloads = 0
    for distribution in data.objects(dataset, DCAT.distribution):
        assert data.value(distribution, DCTERMS.identifier) is not None
        url = data.value(distribution, DCAT.downloadURL)
        if url is None:  # the SPARQL endpoint as a distribution
            assert data.value(distribution, DCAT.accessService) is not None
            continue
        downloads += 1
        file = dumps / str(url).rsplit("/", 1)[-1]
        assert int(data.value(distribution, DCAT.byteSize).toPython()) == file.stat().st_size
        checksum = data.value(distribution, SPDX.checksum)
        assert str(data.value(checksum, SPDX.checksumValue)) == hashlib.sha256(file.read_bytes()).hexdigest()
        assert str(data.value(distribution, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
        assert str(data.value(distribution, DCTERMS.format)).startswith(
            "http://publications.europa.eu/resource/authority/file-type/")
    assert downloads == 3 + 5  # the dumps and the tidy tables (questions, descriptors, siblings, senators, offices)


def test_data_services_for_the_endpoint_and_the_api(client):
    data = catalogue(client)
    endpoints = {str(data.value(s, DCAT.endpointURL)) for s in data.subjects(RDF.type, DCAT.DataService)}
    assert {"http://senate-kg.test/sparql", "http://senate-kg.test/api/queries"} <= endpoints
    for service in data.subjects(RDF.type, DCAT.DataService):
        assert data.value(service, DCAT.servesDataset) == URIRef("http://senate-kg.test/dataset/questions")
        assert data.value(service, DCAT.endpointDescription) is not None


# ---------------------------------------------------------------- what harvesters send
def test_plain_get_without_accept_and_with_any_type_answer_turtle(client):
    for headers in ({}, {"Accept": "*/*"}):
        response = client.get("/catalog", headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "text/turtle"
        assert "Accept" in response.headers["Vary"]


def test_head_answers_with_the_headers_of_get(client):
    head, get = client.head("/catalog"), client.get("/catalog")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("media_type", list(PARSERS))
def test_every_rdf_format_by_negotiation_and_suffix_gives_the_same_graph(client, media_type):
    negotiated = client.get("/catalog", headers={"Accept": media_type})
    assert negotiated.mimetype == media_type
    suffix = {"text/turtle": "ttl", "application/n-triples": "nt", "application/rdf+xml": "rdf",
              "application/ld+json": "jsonld"}[media_type]
    by_suffix = client.get(f"/catalog.{suffix}")
    graphs = [Graph().parse(data=r.get_data(), format=PARSERS[media_type]) for r in (negotiated, by_suffix)]
    assert isomorphic(graphs[0], graphs[1])
    assert isomorphic(graphs[0], catalogue(client))


def test_html_for_browsers_and_406_for_what_we_cannot_give(client):
    page = client.get("/catalog", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    assert "/dumps/senate-kg-questions.nq.gz" in page.get_data(as_text=True)
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406


def test_conditional_get_answers_304(client):
    first = client.get("/catalog")
    again = client.get("/catalog", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/catalog.ttl", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_catalogues_things_redirect_to_the_catalogue(client):
    for path in ("/dataset/questions", "/dataset/questions/distribution/nquads", "/service/sparql"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/catalog")
    assert client.get("/dataset/questions/distribution/xlsx").status_code == 404


def test_publisher_licence_and_contact_come_from_configuration(app_config):
    from server import create_app

    app = create_app({**app_config, "CATALOG_PUBLISHER_NAME": "Civic Tech Brussels",
                      "CATALOG_LICENSE": "http://publications.europa.eu/resource/authority/licence/CC0",
                      "CATALOG_CONTACT_EMAIL": "opendata@example.org"})
    data = Graph().parse(data=app.test_client().get("/catalog").get_data(), format="turtle")
    catalog = next(data.subjects(RDF.type, DCAT.Catalog))
    assert data.value(data.value(catalog, DCTERMS.publisher), FOAF.name) == Literal("Civic Tech Brussels")
    assert data.value(catalog, DCTERMS.license) == URIRef(
        "http://publications.europa.eu/resource/authority/licence/CC0")
    assert (None, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"), URIRef("mailto:opendata@example.org")) in data
    assert _violations(data, _shapes("3.0.0/shapes.ttl", "3.0.0/range.ttl")) == ""


# ---------------------------------------------------------------- a real harvest over HTTP
def harvest(catalog_url: str) -> dict:
    """What ckanext-dcat's harvester does: HEAD, GET with Accept */*, a parser chosen from the Content-Type
    alone, then every dcat:Dataset with its distributions; then fetch each download URL."""
    head = urllib.request.urlopen(urllib.request.Request(catalog_url, method="HEAD"), timeout=10)
    assert head.status == 200
    request = urllib.request.Request(catalog_url, headers={"Accept": "*/*"})
    with urllib.request.urlopen(request, timeout=10) as response:
        media_type = response.headers.get_content_type()
        graph = Graph().parse(data=response.read(), format=PARSERS[media_type])
    datasets = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        distributions = []
        for distribution in graph.objects(dataset, DCAT.distribution):
            distributions.append({"url": str(graph.value(distribution, DCAT.downloadURL)
                                             or graph.value(distribution, DCAT.accessURL)),
                                  "size": graph.value(distribution, DCAT.byteSize),
                                  "sha256": graph.value(graph.value(distribution, SPDX.checksum), SPDX.checksumValue)})
        datasets[str(dataset)] = {"title": {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)},
                                  "distributions": distributions}
    return datasets


def test_a_harvest_finds_the_dataset_and_downloads_every_distribution(live_url):
    datasets = harvest(f"{live_url}/catalog")
    assert list(datasets) == ["http://senate-kg.test/dataset/questions"]
    dataset = datasets["http://senate-kg.test/dataset/questions"]
    assert dataset["title"]["fr"] and dataset["title"]["nl"]
    downloads = [d for d in dataset["distributions"] if d["sha256"] is not None]
    assert len(downloads) == 3 + 5  # the dumps and the tidy tables
    for distribution in downloads:
        local = distribution["url"].replace("http://senate-kg.test", live_url)
        with urllib.request.urlopen(local, timeout=10) as response:
            body = response.read()
        assert len(body) == int(distribution["size"].toPython())
        assert hashlib.sha256(body).hexdigest() == str(distribution["sha256"])


def test_ckanext_dcat_parses_the_live_catalogue(live_url):
    """ckanext-dcat needs a CKAN install (the `ckan` package and its dependencies) to import; where it is
    installed, its own RDF parser must find the dataset and its distributions."""
    processors = pytest.importorskip("ckanext.dcat.processors", reason="ckanext-dcat (with ckan) not installed")
    with urllib.request.urlopen(urllib.request.Request(f"{live_url}/catalog", headers={"Accept": "*/*"})) as r:
        body, media_type = r.read().decode(), r.headers.get_content_type()
    parser = processors.RDFParser(profiles=["euro_dcat_ap_3"])
    parser.parse(body, _format=media_type)
    datasets = list(parser.datasets())
    assert len(datasets) == 1
    urls = {resource.get("url") for resource in datasets[0]["resources"]}
    assert {"http://senate-kg.test/dumps/senate-kg-questions.nq.gz",
            "http://senate-kg.test/dumps/senate-kg-questions.trig.gz"} <= urls
