"""`/sparql`: the SPARQL 1.1 Protocol as clients use it, on both backends (see test_protocol_suite.py for the
W3C suite itself). Stores are built here from data loaded directly (test_sparql_support.py)."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.query import Result
from test_sparql_support import (
    EX,
    KASEI,
    ROWS,
    app_config,
    build_embedded,
    free_port,
    http_request,
    load_remote,
    oxigraph_serve,
    serve,
    virtuoso_with_test_data,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
    f"VALUES ?{v} {{ {' '.join(str(i) for i in range(1000))} }}" for v in "abc") + " }"
ROWS_QUERY = f"SELECT ?s ?o WHERE {{ GRAPH <{EX}rows> {{ ?s ?p ?o }} }} ORDER BY ?s"
ASK_DATA1 = f"ASK {{ <{KASEI}data1.rdf> a ?type }}"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{KASEI}data1.rdf> {{ ?s ?p ?o }} }}"
COMUNICA_ACCEPT = ("application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,"
                   "application/n-triples;q=0.8,text/turtle;q=0.6,application/rdf+xml;q=0.5,text/n3;q=0.35,"
                   "application/xml;q=0.3,image/svg+xml;q=0.3,text/xml;q=0.3,text/html;q=0.2,"
                   "application/xhtml+xml;q=0.18,application/json;q=0.135,text/shaclc;q=0.1")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return build_embedded(tmp_path_factory.mktemp("sparql") / "store")


@pytest.fixture(scope="module")
def remote_url(tmp_path_factory) -> Iterator[str]:
    with oxigraph_serve(tmp_path_factory.mktemp("sparql-oxigraph"), "--timeout-s", "5") as url:
        load_remote(url)
        yield url


@pytest.fixture(scope="module")
def virtuoso_url(tmp_path_factory) -> Iterator[str]:
    with virtuoso_with_test_data(tmp_path_factory.mktemp("sparql-virtuoso")) as url:
        yield url


@pytest.fixture(scope="module", params=["embedded", "remote", "virtuoso"])
def sparql_app(request, store_dir: Path):
    from server import create_app

    remote = {"remote": "remote_url", "virtuoso": "virtuoso_url"}.get(request.param)
    remote = request.getfixturevalue(remote) if remote else None
    app = create_app(app_config(request.param, store_dir, remote))
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(sparql_app):
    return sparql_app.test_client()


def get(client, query: str, accept: str | None = None, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql?" + urllib.parse.urlencode({"query": query, **params}, doseq=True), headers=headers)


def rows_of(response) -> list[tuple[str, ...]]:
    kind = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
            "text/csv": "csv", "text/tab-separated-values": "tsv"}[response.mimetype]
    return [tuple(str(v) for v in row) for row in Result.parse(io.BytesIO(response.data), format=kind)]


# ---------------------------------------------------------------- the three ways to send a query
def test_get_form_post_and_direct_post_give_the_same_answer(client) -> None:
    by_get = get(client, ROWS_QUERY + " LIMIT 3")
    by_form = client.post("/sparql", data={"query": ROWS_QUERY + " LIMIT 3"})
    by_body = client.post("/sparql", data=(ROWS_QUERY + " LIMIT 3").encode(),
                          headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.mimetype == "application/sparql-results+json"
    assert rows_of(by_get) == rows_of(by_form) == rows_of(by_body) == [
        (f"{EX}s00", "row 0"), (f"{EX}s01", "row 1"), (f"{EX}s02", "row 2")]


def test_the_dataset_comes_from_the_protocol_parameters(client) -> None:
    query = f"ASK {{ <{KASEI}data1.rdf> a ?t . <{KASEI}data2.rdf> a ?t }}"
    both = get(client, query, **{"default-graph-uri": [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]})
    one = get(client, query, **{"default-graph-uri": f"{KASEI}data1.rdf"})
    assert json.loads(both.data)["boolean"] is True
    assert json.loads(one.data)["boolean"] is False
    named = client.post("/sparql?" + urllib.parse.urlencode({"named-graph-uri": f"{KASEI}data3.rdf"}),
                        # a triple pattern: Virtuoso 7.2 answers `GRAPH ?g { }` with one empty row (store/engines.py)
                        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                        headers={"Accept": "text/csv"})
    assert named.data.decode().splitlines() == ["g", f"{KASEI}data3.rdf"]


# ---------------------------------------------------------------- content negotiation
@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/json", "application/sparql-results+json"),
    ("text/turtle", "application/sparql-results+json"),  # nothing acceptable: the default, not 406
])
def test_select_formats(client, accept: str | None, expected: str) -> None:
    response = get(client, ROWS_QUERY + " LIMIT 2", accept)
    assert response.status_code == 200 and response.mimetype == expected
    assert rows_of(response)[1] == (f"{EX}s01", "row 1")
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept, expected, rdflib_format", [
    (None, "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("text/plain", "application/n-triples", "nt"),  # rdflib's Graph().parse(url, format="nt")
    ("application/sparql-results+json", "text/turtle", "turtle"),  # rdflib's SPARQLStore, returnFormat json
    (COMUNICA_ACCEPT, "application/n-quads", "nquads"),
])
def test_construct_formats(client, accept: str | None, expected: str, rdflib_format: str) -> None:
    response = get(client, CONSTRUCT, accept)
    assert response.status_code == 200 and response.mimetype == expected
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert (URIRef(f"{KASEI}data1.rdf"), None, URIRef("http://xmlns.com/foaf/0.1/Document")) in graph


def test_describe_is_a_graph(client) -> None:
    response = get(client, f"DESCRIBE <{KASEI}data1.rdf>")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert len(Graph().parse(data=response.data, format="turtle")) == 1


def test_the_row_cap_is_announced(client) -> None:
    response = get(client, ROWS_QUERY, "text/csv")
    assert response.headers["X-Senate-KG-Truncated"] == "true"
    assert response.headers["X-Senate-KG-Max-Rows"] == "20"
    assert len(rows_of(response)) == 20 < ROWS
    assert "X-Senate-KG-Truncated" not in get(client, ROWS_QUERY + " LIMIT 20").headers


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("method, path, body, content_type, status, says", [
    ("GET", "/sparql?update=CLEAR%20ALL", None, None, 403, "read-only"),
    ("POST", "/sparql", b"update=CLEAR%20ALL", "application/x-www-form-urlencoded", 403, "read-only"),
    ("POST", "/sparql", b"CLEAR ALL", "application/sparql-update", 403, "read-only"),
    ("POST", "/sparql?using-graph-uri=urn%3Ax", b"query=ASK%7B%7D", "application/x-www-form-urlencoded", 400,
     "not both"),
    ("GET", "/sparql?query=ASK%7B%7D&update=CLEAR%20ALL", None, None, 400, "not both"),
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, None, 400, "2 query parameters"),
    ("POST", "/sparql?query=ASK%7B%7D", b"ASK {}", "application/sparql-query", 400, "twice"),
    ("GET", "/sparql?query=SELECT%20*%20%7B", None, None, 400, "rejected"),
    ("GET", "/sparql?query=INSERT%20DATA%20%7B%7D", None, None, 400, "read-only"),
    ("GET", "/sparql?query=%20%20", None, None, 400, "empty"),
    ("GET", "/sparql?query=ASK%20%7B%zz%7D", None, None, 400, "percent-encoding"),
    ("POST", "/sparql", "ASK {}".encode("utf-16"), "application/sparql-query; charset=UTF-16", 415, "UTF-8"),
    ("POST", "/sparql", b"query=ASK%20%7B%7D", "application/x-www-form-urlencoded; charset=utf-16", 415, "UTF-8"),
    ("POST", "/sparql", b"ASK {\xff}", "application/sparql-query", 400, "UTF-8"),
    ("POST", "/sparql", b"ASK {}", "text/plain", 415, "Content-Type"),
    ("POST", "/sparql", b"query=ASK%20%7B%7D", None, 415, "Content-Type"),
    ("POST", "/sparql", b"", "application/x-www-form-urlencoded", 400, "no query"),
    ("PUT", "/sparql?query=ASK%7B%7D", None, None, 405, ""),
])
def test_bad_requests_get_a_4xx_that_says_why(client, method, path, body, content_type, status, says) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code == status, response.data
    assert says in response.data.decode("utf-8", "replace")


def test_bytes_that_are_not_utf8_in_the_url_get_400(sparql_app) -> None:
    """Over real HTTP: Werkzeug's test client cannot even build such a URL."""
    with serve(sparql_app) as base:
        bad_utf8 = http_request(base, "GET", "/sparql?query=ASK%20%7B%FF%7D")
        raw_latin1 = http_request(base, "GET", "/sparql?query=ASK%20%7B%20%7D&default-graph-uri=urn:%E9")
    assert bad_utf8.status == 400 and b"UTF-8" in bad_utf8.body
    assert raw_latin1.status == 400


def test_a_syntax_error_carries_the_parser_message(client) -> None:
    response = get(client, "SELECT * WHERE { ?s ?p ")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert any(word in response.data.decode() for word in ("expected", "1:", "syntax error"))  # the parser's


def test_service_is_refused_without_any_connection(client) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        response = get(client, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
        assert response.status_code == 400 and "SERVICE" in response.data.decode()
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


# ---------------------------------------------------------------- limits and failures
def test_a_long_query_gets_503_while_others_are_answered(sparql_app) -> None:
    outcome = {}

    def slow() -> None:
        started = time.monotonic()
        outcome["response"] = get(sparql_app.test_client(), SLOW)
        outcome["seconds"] = time.monotonic() - started

    get(sparql_app.test_client(), "ASK {}")  # the query workers are up
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    cheap = get(sparql_app.test_client(), ASK_DATA1)
    thread.join(15)
    assert cheap.status_code == 200 and json.loads(cheap.data)["boolean"] is True
    response = outcome["response"]
    assert response.status_code == 503
    assert "longer than this endpoint's limit of 2 s" in response.data.decode()
    assert response.headers["Retry-After"] == "30"  # a timeout says when to come back, as an unavailable store does
    assert outcome["seconds"] < 5


def test_a_store_that_is_down_gives_503_with_retry_after(store_dir: Path) -> None:
    from server import create_app

    app = create_app(app_config("remote", store_dir, f"http://127.0.0.1:{free_port()}"))
    response = get(app.test_client(), "ASK {}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert "unavailable" in response.data.decode()


# ---------------------------------------------------------------- headers: CORS, HEAD, OPTIONS
def test_cors_head_and_preflight(client) -> None:
    response = get(client, ROWS_QUERY + " LIMIT 1")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    posted = client.post("/sparql", data={"query": "ASK {}"})
    assert posted.headers["Access-Control-Allow-Origin"] == "*" and "Accept" in posted.headers["Vary"]
    head = client.head("/sparql?" + urllib.parse.urlencode({"query": ROWS_QUERY + " LIMIT 1"}))
    assert head.status_code == 200 and head.data == b""
    assert head.mimetype == "application/sparql-results+json"
    preflight = client.options("/sparql", headers={"Origin": "https://yasgui.example",
                                                   "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()


# ---------------------------------------------------------------- service description and editor
@pytest.mark.parametrize("accept, rdflib_format", [(None, "turtle"), ("*/*", "turtle"),
                                                    ("application/ld+json", "json-ld"),
                                                    ("application/rdf+xml", "xml"), ("text/plain", "nt")])
def test_a_plain_get_is_the_service_description(client, accept: str | None, rdflib_format: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format=rdflib_format)
    service = URIRef("http://localhost/sparql")
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in graph
    assert client.head("/sparql").status_code == 200


def test_browsers_get_the_query_editor_with_the_examples(client) -> None:
    page = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert "<textarea" in html and 'name="query"' in html
    assert "/sparql?example=questions-per-party" in html  # the named queries of queries/
    example = client.get("/sparql?example=questions-per-party", headers={"Accept": BROWSER_ACCEPT}).data.decode()
    assert "SELECT ?party" in example


def test_browsers_see_results_as_a_table_and_errors_as_a_page(client) -> None:
    page = get(client, ROWS_QUERY + " LIMIT 2", BROWSER_ACCEPT)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert "<table>" in html and f'href="{EX}s01"' in html and "row 1" in html
    as_csv = get(client, ROWS_QUERY + " LIMIT 2", BROWSER_ACCEPT, format="csv")
    assert as_csv.mimetype == "text/csv"
    broken = get(client, "SELECT * WHERE {", BROWSER_ACCEPT)
    assert broken.status_code == 400 and "role=\"alert\"" in broken.data.decode()
    assert "SELECT * WHERE {" in broken.data.decode()  # the query is kept in the editor


# ---------------------------------------------------------------- real clients over HTTP
def test_sparqlwrapper_and_rdflib_as_clients(sparql_app) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    with serve(sparql_app) as base:
        endpoint = base + "/sparql"
        for method in ("GET", POST):
            for fmt in (JSON, XML, CSV):
                wrapper = SPARQLWrapper(endpoint)
                wrapper.setMethod(method)
                wrapper.setQuery(ROWS_QUERY + " LIMIT 2")
                wrapper.setReturnFormat(fmt)
                result = wrapper.query()
                assert result.response.status == 200
                if fmt == JSON:
                    assert result.convert()["results"]["bindings"][1]["o"]["value"] == "row 1"
        wrapper = SPARQLWrapper(endpoint)
        wrapper.setQuery(CONSTRUCT)
        wrapper.setReturnFormat(TURTLE)
        graph = Graph().parse(data=wrapper.query().convert(), format="turtle")
        assert len(graph) == 1
        store = SPARQLStore(endpoint, returnFormat="json")
        constructed = Graph(store=store).query(CONSTRUCT)
        assert len(constructed.graph) == 1
        rows = list(Graph(store=store).query(ROWS_QUERY + " LIMIT 2"))
        assert rows[0][1] == Literal("row 0", lang="fr")
        description = Graph().parse(endpoint)
        assert (None, SD.endpoint, URIRef(endpoint)) in description
