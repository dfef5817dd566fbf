"""Whatever arrives at /sparql, the answer is a deliberate status with a message, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sparql_support import app_config, build_embedded

PIECES = st.sampled_from([b"query=", b"update=", b"default-graph-uri=", b"named-graph-uri=", b"format=", b"&", b"=",
                          b"%", b"%2", b"%FF", b"%C3%A9", b"+", b"ASK%20%7B%7D", b"SELECT", b"%7B", b"SERVICE",
                          b"\xe9", b"\x00", b"using-graph-uri=", b"example=", b"%00", b"http%3A%2F%2Fx"])
RAW = st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=12).map(b"".join)
CONTENT_TYPES = st.sampled_from([None, "application/x-www-form-urlencoded", "application/sparql-query",
                                 "application/sparql-update", "application/sparql-query; charset=latin-1",
                                 "text/plain", "multipart/form-data; boundary=x", "application/json", ";;;"])
ACCEPTS = st.sampled_from([None, "*/*", "text/html", "application/sparql-results+json;q=abc", "text/turtle;q=0.5",
                           "garbage", "application/n-quads, */*;q=0.1", ""])


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    from server import create_app

    app = create_app(app_config("embedded", build_embedded(tmp_path_factory.mktemp("fuzz") / "store"), None))
    yield app.test_client()
    app.extensions["store"].close()


@given(method=st.sampled_from(["GET", "POST", "HEAD"]), query_string=RAW, body=RAW, content_type=CONTENT_TYPES,
       accept=ACCEPTS)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_request_makes_the_endpoint_fail(fuzz_client, method: str, query_string: bytes, body: bytes,
                                            content_type: str | None, accept: str | None) -> None:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    response = fuzz_client.open("/sparql", method=method, data=body if method == "POST" else None, headers=headers,
                                environ_overrides={"QUERY_STRING": query_string.decode("latin-1")})
    assert response.status_code < 500 or response.status_code == 503, response.data[:500]
    if response.status_code >= 400 and method != "HEAD":
        assert response.data.strip(), "an error must say what is wrong"


def test_the_fuzzer_reaches_the_store(fuzz_client) -> None:
    """Keep the fuzz honest: the same client does answer a well-formed query."""
    assert fuzz_client.get("/sparql?query=ASK%20%7B%7D").status_code == 200
