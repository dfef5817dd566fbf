"""The W3C SPARQL 1.1 Protocol test suite (../shared/sparql-protocol/manifest.ttl) against the live app.

Each manifest entry is sent over real HTTP, exactly as the manifest writes it (method, path, headers, body
and its character encoding), to the Flask app serving a store that holds the suite's data files in the
named graphs the manifest names, once on the embedded backend and once on a private `oxigraph serve`.
Query tests must get the expected status, format and boolean. The endpoint is read-only, so every update
test (whose manifest expects 2xx from a read-write endpoint) must get a 4xx instead; the suite's follow-up
ASK requests that would check an update's effect are not sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF
from test_sparql_support import (
    PROTOCOL_DIR,
    Reply,
    app_config,
    build_embedded,
    http_request,
    load_remote,
    oxigraph_serve,
    serve,
    virtuoso_with_test_data,
)

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
MANIFEST = PROTOCOL_DIR / "manifest.ttl"

FORMATS = {  # mf:expectedFormat -> the media types that satisfy it
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"},
}


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: frozenset[str]  # "2xx", "3xx", "4xx"
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]

    @property
    def is_update(self) -> bool:
        return self.name.startswith(("update_", "bad_update_"))


def _request(graph: Graph, node) -> ProtocolRequest:
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(str(s).rsplit("StatusCode", 1)[1] for s in graph.objects(response, MF.expectedStatus))
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    return ProtocolRequest(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)), headers,
                           body, statuses, str(fmt) if fmt is not None else None,
                           None if boolean is None else bool(boolean.toPython()))


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = tuple(_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests)))
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)), requests))
    return tests


# The suite lives in ../shared (beside the clone, as CI has it); without it these tests are skipped, not broken.
pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"the W3C protocol suite is not at {MANIFEST}")
TESTS = load_manifest() if MANIFEST.exists() else []


@pytest.fixture(scope="module", params=["embedded", "remote", "virtuoso"])
def live(request, tmp_path_factory) -> Iterator[str]:
    """The app on the suite's data, served over HTTP, per backend."""
    from server import create_app

    store_dir = build_embedded(tmp_path_factory.mktemp("protocol") / "store")
    if request.param == "embedded":
        app = create_app(app_config("embedded", store_dir, None))
        with serve(app) as url:
            yield url
        app.extensions["store"].close()
        return
    if request.param == "virtuoso":
        with virtuoso_with_test_data(tmp_path_factory.mktemp("protocol-virtuoso")) as remote, \
                serve(create_app(app_config("virtuoso", store_dir, remote))) as url:
            yield url
        return
    with oxigraph_serve(tmp_path_factory.mktemp("protocol-oxigraph"), "--timeout-s", "10") as remote:
        load_remote(remote)
        with serve(create_app(app_config("remote", store_dir, remote))) as url:
            yield url


def boolean_of(reply: Reply) -> bool:
    if reply.media_type == "application/sparql-results+json":
        return json.loads(reply.body)["boolean"]
    found = re.search(rb"<boolean>\s*(true|false)\s*</boolean>", reply.body)
    assert found, f"no boolean in {reply.body[:200]!r}"
    return found.group(1) == b"true"


def check(reply: Reply, expected: ProtocolRequest, name: str) -> None:
    status_class = f"{reply.status // 100}xx"
    assert status_class in expected.expected_status, (
        f"{name}: status {reply.status}, expected one of {sorted(expected.expected_status)}: {reply.body[:300]!r}")
    if expected.expected_format:
        assert reply.media_type in FORMATS[expected.expected_format], (
            f"{name}: Content-Type {reply.media_type!r} is not {expected.expected_format}")
    if expected.expected_boolean is not None:
        assert boolean_of(reply) is expected.expected_boolean


def test_the_manifest_is_read_whole() -> None:
    assert len(TESTS) == 34
    assert sum(t.is_update for t in TESTS) == 13
    assert all(t.requests[0].path.startswith("/sparql/") for t in TESTS)


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(live: str, test: ProtocolTest) -> None:
    first = test.requests[0]
    reply = http_request(live, first.method, first.path, first.body, first.headers)
    if test.is_update:
        assert 400 <= reply.status < 500, f"{test.name}: an update must be refused with 4xx, got {reply.status}"
        return
    check(reply, first, test.name)
