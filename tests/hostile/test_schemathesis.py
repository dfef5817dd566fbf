"""Property-based HTTP tests from the OpenAPI description (issue 5): schemathesis reads /api/openapi.json from a
real `senate-kg serve` process and sends every operation it describes valid (positive) and invalid (negative)
parameters. No answer may be a 5xx other than the documented 503 or carry a traceback; valid requests must keep
the document's promises (documented status codes, content types, response schemas); invalid ones must get a 4xx.

schemathesis' own pytest plugin (`from_fixture`) does not run under pytest 9, so each operation's Hypothesis
strategy is driven here. Examples per operation: a few by default, many under SENATE_KG_STRESS=long.
"""

from __future__ import annotations

import urllib.parse

import pytest
import schemathesis
from hostile_helpers import ROOT, Process, scaled
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages")
OPERATIONS = ["/api/queries", "/api/search"] + sorted(f"/api/queries/{p.stem}" for p in (ROOT / "queries").glob("*.rq"))


@pytest.fixture(scope="module")
def api_schema(embedded_server: Process):
    return schemathesis.openapi.from_url(embedded_server.url + "/api/openapi.json")


def _operation(api_schema, path: str):
    found = [result.ok() for result in api_schema.get_all_operations() if result.ok().path == path]
    assert found, f"{path} is not described in /api/openapi.json"
    return found[0]


def _check(case, response, mode: GenerationMode) -> None:
    for marker in TRACEBACK_MARKERS:
        assert marker not in response.text, f"{marker!r} in a {response.status_code} answer"
    assert response.status_code < 500 or response.status_code == 503, response.text[:300]
    if mode is GenerationMode.POSITIVE or not _empty_means_omitted(response):
        case.validate_response(response)


def _empty_means_omitted(response) -> bool:
    """The API reads an empty optional parameter as omitted (HTML forms send empty fields): a negative case whose
    violation is such an empty value (an empty string, list or object is sent as `name=`) is answered 200 on
    purpose."""
    sent = urllib.parse.parse_qsl(urllib.parse.urlsplit(response.request.url).query, keep_blank_values=True)
    return response.status_code == 200 and any(value == "" for _, value in sent)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("path", OPERATIONS)
def test_every_operation(api_schema, embedded_server: Process, path: str, mode: GenerationMode) -> None:
    operation = _operation(api_schema, path)
    if mode is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
        pytest.skip("no parameter to make invalid")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=scaled(8, 150), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        _check(case, case.call(base_url=embedded_server.url, timeout=30), mode)

    run()


def test_the_schema_describes_every_api_route(api_schema) -> None:
    """The description covers what the API serves: the listing, every named query, search."""
    paths = {result.ok().path for result in api_schema.get_all_operations()}
    assert set(OPERATIONS) == paths
