"""The clients SPARQL users reach for first, with their default settings, against a real `senate-kg serve`
(gunicorn, server/serving.py) on 127.0.0.1: SPARQLWrapper, rdflib's SPARQLStore and Comunica (issue 14).

Comunica (npm `@comunica/query-sparql` 4.x: 5.x needs Node 22) is found as `comunica-sparql` in
SENATE_KG_NODE_MODULES/.bin, var/node/node_modules/.bin (where `.ci/run` installs it) or on PATH; the tests skip
when it is missing, except on CI (env CI set). For it the sample is built with the server's own address as base
URI, so that a question's URI dereferences to the server under test (and the JSON-LD context it names too).

SPARQLWrapper sends `format`, `output` and `results` with every query (the return format's name, e.g. `xml` for
a DESCRIBE asked as RDF/XML) besides its Accept header, and warns and hands back bytes when the Content-Type is
not what it asked for; so every case here checks the converted result and that no warning was raised. Both
clients send queries by GET unless told otherwise: a generated query of 14 KB (and one of 64 KB) must work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, Literal, URIRef
from test_serve import Served, free_port, start, stop

ROOT = Path(__file__).resolve().parents[2]
TEST_BASE = "http://senate-kg.test/"  # the sample's base (conftest.py)
QUESTION = URIRef(TEST_BASE + "eli/dl/doc/WQ-5-8900")
NUMBER = Literal("5-8900")
SELECT = f"SELECT ?p ?o WHERE {{ <{QUESTION}> ?p ?o }} ORDER BY ?p ?o"
ASK = f"ASK {{ <{QUESTION}> ?p {NUMBER.n3()} }}"
CONSTRUCT = f"CONSTRUCT {{ <{QUESTION}> ?p ?o }} WHERE {{ <{QUESTION}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{QUESTION}>"
MAX_GET_QUERY = 262_144  # server/sparql.py MAX_GET_QUERY_BYTES


@pytest.fixture(scope="module")
def endpoint(sample_store_dir: Path, tmp_path_factory) -> Iterator[str]:
    """`senate-kg serve` over the built sample (gunicorn, two worker processes): its /sparql URL."""
    running: Served = start(tmp_path_factory.mktemp("clients") / "serve.log", "--store", str(sample_store_dir))
    yield running.url + "/sparql"
    stop(running)


def no_client_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The warnings raised while querying and converting, except rdflib's deprecation of ConjunctiveGraph
    (SPARQLWrapper 2.0 builds one for every RDF/XML and JSON-LD result, whatever the server sends) and import
    machinery notices (an import hook another package installed, met when a module is first imported lazily):
    neither says anything about what the server answered."""
    return [f"{w.category.__name__}: {w.message}" for w in caught
            if not (issubclass(w.category, DeprecationWarning) and "ConjunctiveGraph" in str(w.message))
            and not issubclass(w.category, ImportWarning)]


def padded(size: int, word: str = "nothing") -> str:
    """SELECT with a VALUES block of `size` characters, as generated queries are: many literals that match
    nothing and the question's number, which matches once."""
    head = f"SELECT ?p ?o WHERE {{ <{QUESTION}> ?p ?o . VALUES ?o {{ {NUMBER.n3()} "
    filler: list[str] = []
    while len(head) + sum(len(f) for f in filler) + 4 < size:
        filler.append(f'"{word} {len(filler):06d}" ')
    return f"{head}{''.join(filler)}}} }}"


def sparqlwrapper_result(endpoint: str, query: str, return_format: str, **options):
    """Run `query` with SPARQLWrapper's defaults (GET, the format parameters, its Accept header) and convert."""
    from SPARQLWrapper import SPARQLWrapper

    wrapper = SPARQLWrapper(endpoint)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(return_format)
    for name, value in options.get("headers", {}).items():
        wrapper.addCustomHttpHeader(name, value)
    if options.get("only_conneg"):
        wrapper.setOnlyConneg(True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = wrapper.query()
        converted = result.convert()
    assert no_client_warnings(caught) == []
    return result.response.headers["Content-Type"], converted


# ---------------------------------------------------------------- SPARQLWrapper, default parameters
@pytest.mark.parametrize("query, expected", [(SELECT, "bindings"), (ASK, "boolean")], ids=["SELECT", "ASK"])
@pytest.mark.parametrize("return_format, media_type", [("json", "application/sparql-results+json"),
                                                       ("xml", "application/sparql-results+xml"),
                                                       ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_sparqlwrapper_results(endpoint: str, query: str, expected: str, return_format: str, media_type: str):
    content_type, converted = sparqlwrapper_result(endpoint, query, return_format)
    assert content_type.split(";")[0] == media_type
    if return_format == "json":
        found = converted["boolean"] if expected == "boolean" else {
            b["o"]["value"] for b in converted["results"]["bindings"]}
    elif return_format == "xml":
        assert isinstance(converted, Document)
        found = converted.getElementsByTagName("boolean")[0].firstChild.data == "true" if expected == "boolean" \
            else {node.firstChild.data for node in converted.getElementsByTagName("literal")}
    else:
        text = converted.decode("utf-8")
        found = "true" in text.lower() if expected == "boolean" else text
    assert found is True if expected == "boolean" else "5-8900" in found


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize("return_format, media_type, options", [
    ("turtle", "text/turtle", {}),
    ("n3", "text/turtle", {}),  # Turtle is N3
    ("rdf+xml", "application/rdf+xml", {}),
    ("xml", "application/rdf+xml", {}),  # issue 14: was Turtle, and a warning
    ("json-ld", "application/ld+json", {}),
    # SPARQLWrapper has no N-Triples return format: its users name the type (N3 results are read as text)
    ("n3", "application/n-triples", {"headers": {"Accept": "application/n-triples"}, "only_conneg": True}),
], ids=["turtle", "n3", "rdfxml", "xml", "jsonld", "ntriples"])
def test_sparqlwrapper_graphs(endpoint: str, query: str, return_format: str, media_type: str, options: dict):
    content_type, converted = sparqlwrapper_result(endpoint, query, return_format, **options)
    assert content_type.split(";")[0] == media_type
    if isinstance(converted, bytes):  # SPARQLWrapper returns Turtle and N3 as bytes
        converted = Graph().parse(data=converted, format="nt" if "n-triples" in media_type else "turtle")
    assert (QUESTION, None, NUMBER) in converted
    assert len(converted) > 5


def test_sparqlwrapper_sends_14_and_64_kb_queries_by_get(endpoint: str):
    from SPARQLWrapper import GET, JSON, SPARQLWrapper

    for size in (14_000, 64_000):
        wrapper = SPARQLWrapper(endpoint)
        wrapper.setQuery(padded(size))
        wrapper.setReturnFormat(JSON)
        assert wrapper.method == GET and len(wrapper.queryString) >= size - 100
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = wrapper.query().convert()["results"]["bindings"]
        assert no_client_warnings(caught) == []
        assert [row["o"]["value"] for row in rows] == ["5-8900"]


def test_a_get_query_past_the_cap_is_a_414_that_says_post(endpoint: str):
    query = padded(180_000, word="néant")  # fewer characters than the store runs, more bytes once encoded
    assert len(urllib.parse.urlencode({"query": query})) > MAX_GET_QUERY
    request = urllib.request.Request(endpoint + "?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 414
    assert "POST" in refused.value.read().decode()
    body = urllib.parse.urlencode({"query": query}).encode()
    posted = urllib.request.Request(endpoint, data=body, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(posted, timeout=60) as answer:  # the same query by POST is answered
        assert [row["o"]["value"] for row in json.load(answer)["results"]["bindings"]] == ["5-8900"]


# ---------------------------------------------------------------- rdflib's SPARQLStore (GET by default)
@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
def test_sparqlstore_select_and_ask(endpoint: str, return_format: str):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(endpoint, returnFormat=return_format))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = {str(row[1]) for row in graph.query(SELECT)}
        answer = graph.query(ASK).askAnswer if return_format in ("xml", "json") else True
    assert no_client_warnings(caught) == []  # (rdflib's CSV and TSV result parsers read no booleans)
    assert "5-8900" in values
    assert answer is True


@pytest.mark.parametrize("return_format", ["xml", "json", "turtle", "json-ld", "nt"])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
def test_sparqlstore_graphs(endpoint: str, query: str, return_format: str):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(endpoint, returnFormat=return_format))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = graph.query(query).graph
    assert no_client_warnings(caught) == []
    assert (QUESTION, None, NUMBER) in result


def test_sparqlstore_sends_a_14_kb_query_by_get(endpoint: str):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint)
    assert store.method == "GET"
    rows = list(Graph(store=store).query(padded(14_000)))
    assert [row[1] for row in rows] == [NUMBER]


# ---------------------------------------------------------------- the format parameters, read by query form
@pytest.mark.parametrize("query, params, accept, media_type", [
    (DESCRIBE, "format=xml&output=xml&results=xml", "application/rdf+xml", "application/rdf+xml"),
    (SELECT, "format=xml", None, "application/sparql-results+xml"),
    (ASK, "output=xml", None, "application/sparql-results+xml"),
    (CONSTRUCT, "format=json", None, "application/ld+json"),  # json is JSON-LD for a graph, as in Fuseki
    (SELECT, "results=json", "text/csv", "application/sparql-results+json"),  # a valid name beats Accept
    (CONSTRUCT, "format=csv", "application/n-triples", "application/n-triples"),  # no graph format: Accept
    (SELECT, "format=turtle&output=tsv", None, "text/tab-separated-values"),  # the first that fits the form
    (SELECT, "format=bogus", "text/csv", "text/csv"),
    (DESCRIBE, "format=application/rdf%2Bxml", None, "application/rdf+xml"),  # SPARQLWrapper sends both forms
    (DESCRIBE, "format=nt", "text/turtle", "application/n-triples"),
], ids=["describe-xml", "select-xml", "ask-output-xml", "construct-json", "results-json", "construct-csv",
        "first-that-fits", "unknown-name", "media-type", "nt"])
def test_format_parameters(endpoint: str, query: str, params: str, accept: str | None, media_type: str):
    url = f"{endpoint}?{urllib.parse.urlencode({'query': query})}&{params}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept} if accept else {}),
                                timeout=30) as response:
        assert response.headers["Content-Type"].split(";")[0] == media_type
        body = response.read()
    if media_type in ("application/rdf+xml", "application/ld+json", "application/n-triples"):
        graph = Graph().parse(data=body, format={"application/rdf+xml": "xml", "application/ld+json": "json-ld",
                                                 "application/n-triples": "nt"}[media_type])
        assert (QUESTION, None, NUMBER) in graph


# ---------------------------------------------------------------- Comunica
def comunica_binary() -> str:
    given = os.environ.get("SENATE_KG_NODE_MODULES")
    folder = Path(given) if given else ROOT / "var" / "node" / "node_modules"
    found = folder / ".bin" / "comunica-sparql"
    if found.exists():
        return str(found)
    on_path = shutil.which("comunica-sparql")
    if on_path:
        return on_path
    reason = f"comunica-sparql missing (npm install --prefix var/node @comunica/query-sparql@4; looked in {folder})"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def own_base(tmp_path_factory) -> Iterator[str]:
    """The sample built with base URI http://127.0.0.1:PORT/ and served on that port: its URIs are the server's."""
    from senate_kg.cli import main

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    store = tmp_path_factory.mktemp("own-base") / "store"
    assert main(["build", "--quiet", "--store", str(store), "--base-uri", base, str(ROOT / "data" / "samples")]) == 0
    running = start(store.parent / "serve.log", "--store", str(store), port=port)
    yield base
    stop(running)


def comunica(source: str, query: str) -> list[dict[str, str]]:
    done = subprocess.run([comunica_binary(), source, query, "-t", "application/json"], capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    assert b"WARN" not in done.stderr, done.stderr.decode(errors="replace")[-3000:]
    return json.loads(done.stdout)


def test_comunica_queries_the_endpoint(own_base: str):
    question = own_base + "eli/dl/doc/WQ-5-8900"
    rows = comunica(own_base + "sparql", f"SELECT ?o WHERE {{ <{question}> ?p ?o }}")
    assert '"5-8900"' in {row["o"] for row in rows}


def test_comunica_dereferences_a_question_uri(own_base: str):
    """The question's URI as the source: Comunica fetches that document (its own content negotiation, N-Quads
    first) and queries it, as link-traversal clients do with every URI they meet."""
    question = own_base + "eli/dl/doc/WQ-5-8900"
    rows = comunica(question, f"SELECT ?p ?o WHERE {{ <{question}> ?p ?o }}")
    assert '"5-8900"' in {row["o"] for row in rows}
    assert len(rows) > 5
