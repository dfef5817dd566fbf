"""Users' queries (`Store.query`, behind /sparql): formats, the row cap, refusals, SERVICE, the hard timeout."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal
from rdflib.query import Result

from store import QueryRejected, QueryTimeout, Store
from store.embedded import EmbeddedStore
from store.remote import RemoteStore

EX = "http://example.org/"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(  # 10^9 rows: minutes of work, no data needed
    f"VALUES ?{v} {{ {' '.join(str(i) for i in range(1000))} }}" for v in "abc") + " }"


def rows_nt(graph_base: str, count: int) -> bytes:
    return "".join(f'<{EX}s{i:03d}> <{EX}p> "value {i}"@fr .\n' for i in range(count)).encode()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[EmbeddedStore]:
    """One embedded store (and its two query workers) for the whole module: starting workers costs ~1 s."""
    store = EmbeddedStore(tmp_path_factory.mktemp("user-queries") / "store", query_workers=2)
    yield store
    store.close()


@pytest.fixture
def loaded(store: Store, graph_base: str) -> tuple[Store, str]:
    """A store with one graph of 25 triples under this test's own name."""
    graph = graph_base + "data"
    store.replace_graphs([(graph, rows_nt(graph_base, 25))])
    return store, graph


def select_in(graph: str, extra: str = "") -> str:
    return f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?s {extra}"


@pytest.mark.parametrize("media_type, rdflib_format", [
    ("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv")])
def test_select_results_in_each_format_parse_back(loaded, media_type: str, rdflib_format: str) -> None:
    store, graph = loaded
    response = store.query(select_in(graph, "LIMIT 3"), media_type)
    assert (response.media_type, response.form, response.truncated) == (media_type, "bindings", False)
    parsed = Result.parse(io.BytesIO(response.body), format=rdflib_format)
    rows = [(str(r[0]), str(r[1])) for r in parsed]
    assert rows == [(f"{EX}s000", "value 0"), (f"{EX}s001", "value 1"), (f"{EX}s002", "value 2")]
    if rdflib_format in ("json", "xml", "tsv"):  # CSV drops the language tag by design
        assert list(parsed)[0][1] == Literal("value 0", lang="fr")


def test_ask_and_graph_forms(loaded) -> None:
    store, graph = loaded
    ask = store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", "application/sparql-results+json")
    assert (ask.form, ask.body) == ("boolean", b'{"head":{},"boolean":true}')
    construct = f"PREFIX ex: <{EX}> CONSTRUCT {{ ?s ex:p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    for media_type, rdflib_format in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                      ("application/rdf+xml", "xml"), ("application/n-triples", "nt")):
        response = store.query(construct, media_type)
        assert (response.form, response.media_type) == ("graph", media_type)
        assert len(Graph().parse(data=response.body, format=rdflib_format)) == 25
    turtle = store.query(construct, "text/turtle").body.decode()
    assert "@prefix ex: <http://example.org/>" in turtle  # the query's own prefixes


def test_a_media_type_that_does_not_fit_the_form_falls_back_to_its_default(loaded) -> None:
    store, graph = loaded
    assert store.query(select_in(graph, "LIMIT 1"), "text/turtle").media_type == "application/sparql-results+json"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert store.query(construct, "application/sparql-results+json").media_type == "text/turtle"
    nquads = store.query(construct, "application/n-quads")
    assert nquads.media_type == "application/n-quads" and nquads.body.count(b"\n") == 25


def test_the_row_cap_cuts_and_says_so(loaded) -> None:
    store, graph = loaded
    response = store.query(select_in(graph), "text/csv", max_rows=10)
    assert response.truncated
    assert response.body.decode().count("\r\n") == 11  # header + 10 rows
    exact = store.query(select_in(graph), "text/csv", max_rows=25)
    assert not exact.truncated and exact.body.decode().count("\r\n") == 26
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    graph_response = store.query(construct, "application/n-triples", max_rows=7)
    assert graph_response.truncated and graph_response.body.count(b"\n") == 7


def test_the_dataset_of_the_request_replaces_the_default(loaded, graph_base: str) -> None:
    store, graph = loaded
    other = graph_base + "other"
    store.replace_graphs([(other, f'<{EX}x> <{EX}p> "other" .\n'.encode())])
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    only_other = store.query(query, "text/csv", default_graphs=[other])
    assert only_other.body.decode().splitlines() == ["o", "other"]
    # a triple pattern, not `GRAPH ?g { }`: Virtuoso 7.2 answers that with one empty row (store/engines.py)
    named = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "text/csv", named_graphs=[graph])
    assert named.body.decode().splitlines() == ["g", graph]
    union = store.query(f"ASK {{ <{EX}x> ?p \"other\" . <{EX}s001> ?q ?o }}", "application/sparql-results+json")
    assert union.body.endswith(b"true}")  # no dataset given: the default graph is the union
    with pytest.raises(QueryRejected, match="default-graph-uri"):
        store.query(query, "text/csv", default_graphs=["not an iri"])


def test_relative_iris_resolve_against_the_given_base(store: Store) -> None:
    response = store.query("SELECT ?x WHERE { BIND(<eli/dl/doc/WQ-5-8900> AS ?x) }", "text/csv",
                           base_iri="http://senate-kg.test/")
    assert response.body.decode().splitlines()[1] == "http://senate-kg.test/eli/dl/doc/WQ-5-8900"


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
    "PREFIX ex: <http://example.org/>\n# a comment\nDELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL", "DROP SILENT GRAPH <urn:x>", "LOAD <http://example.org/data.ttl>",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused_and_change_nothing(loaded, update: str) -> None:
    store, graph = loaded
    before = store.graph_info(graph)
    with pytest.raises(QueryRejected, match="read-only"):
        store.query(update, "application/sparql-results+json")
    assert store.graph_info(graph) == before
    assert len(store.select(f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")) == 25


def test_a_malformed_query_is_rejected_with_the_parser_message(store: Store) -> None:
    with pytest.raises(QueryRejected) as caught:
        store.query("SELECT * WHERE { ?s ?p ", "application/sparql-results+json")
    assert any(word in str(caught.value) for word in ("1:", "expected", "syntax error"))  # the parser speaks


# ---------------------------------------------------------------- SERVICE makes no request
@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that records whether anybody connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.25)  # a refused query makes no request at all: any connection would come at once
    yield server
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except TimeoutError:
        return False
    connection.close()
    return True


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ ?a ?b ?c .service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ {{ BIND(<{url}> AS ?e) }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "PREFIX service: <http://example.org/>\nSELECT * WHERE {{ ?s service:p 'SERVICE' . SERVICE<{url}>{{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_and_no_connection_is_made(store: Store, listener: socket.socket, template: str) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    with pytest.raises(QueryRejected, match="SERVICE"):
        store.query(template.format(url=url), "application/sparql-results+json", timeout=5)
    assert not connected(listener)


def test_service_words_in_strings_iris_and_comments_are_not_refused(store: Store) -> None:
    query = 'PREFIX ex: <http://example.org/SERVICE#>\n# SERVICE <http://x>\nSELECT ?service WHERE { ' \
            'BIND("SERVICE <http://x> {}" AS ?service) }'
    assert store.query(query, "text/csv").body.decode().splitlines()[1] == "SERVICE <http://x> {}"


def test_the_listener_would_see_a_service_call(embedded: EmbeddedStore, listener: socket.socket) -> None:
    """The control for the test above: with SERVICE allowed, the embedded engine does connect."""
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    with contextlib.suppress(QueryTimeout, QueryRejected):  # the listener never answers
        embedded.query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "application/sparql-results+json",
                       allow_service=True, timeout=1)
    assert connected(listener)


# ---------------------------------------------------------------- the hard timeout
def test_a_long_query_is_stopped_while_others_are_answered(embedded: EmbeddedStore, graph_base: str) -> None:
    embedded.replace_graphs([(graph_base + "g", rows_nt(graph_base, 3))])
    embedded.query("ASK {}", "application/sparql-results+json")  # workers started (start-up is not query time)
    outcome: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        try:
            embedded.query(SLOW, "application/sparql-results+json", timeout=1.0)
        except QueryTimeout as exc:
            outcome["timeout"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    cheap_started = time.monotonic()
    cheap = embedded.query(select_in(graph_base + "g"), "text/csv", timeout=5)
    cheap_seconds = time.monotonic() - cheap_started
    thread.join(10)
    assert "timeout" in outcome, "the 10^9-row query must be stopped"
    assert outcome["seconds"] < 3.0
    assert cheap.body.decode().count("\r\n") == 4 and cheap_seconds < 1.0
    # the killed worker is replaced: the pool still runs two queries at once afterwards
    results = []
    pair = [threading.Thread(target=lambda: results.append(embedded.query("ASK {}", "text/csv", timeout=20)))
            for _ in range(2)]
    for t in pair:
        t.start()
    for t in pair:
        t.join(30)
    assert len(results) == 2


def test_a_remote_query_times_out_on_the_client(private_oxigraph: str) -> None:
    store = RemoteStore(private_oxigraph + "/query", timeout=10)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(SLOW, "application/sparql-results+json", timeout=1.0)
    assert time.monotonic() - started < 3.0
    assert store.query("ASK {}", "application/sparql-results+json", timeout=5).form == "boolean"


def test_each_store_cleans_up_its_workers(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "s", query_workers=1)
    store.query("ASK {}", "text/csv")
    worker = store._pool._idle.queue[0].process
    store.close()
    assert worker.poll() is not None
