"""The named-query API over HTTP, on both backends (session fixtures: the sample built by the real CLI, served
from the embedded store and from a real `oxigraph serve`): every query answers, JSON and CSV, paging with
Link headers, 400s that name the parameter, the OpenAPI document, the HTML list."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest

from server.named_queries import load_named_queries

QUERIES = load_named_queries()
BASE = "http://senate-kg.test/"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _required_values(client) -> dict[str, str]:
    """Values for required parameters, taken from the data itself (any senator, any concept)."""
    senators = client.get("/api/queries/questions-per-senator.json").get_json()["rows"]
    concepts = client.get("/api/queries/questions-per-concept-per-year.json").get_json()["rows"]
    assert senators and concepts, "the sample must hold questions with authors and descriptors"
    return {"senator": senators[0]["senator"], "concept": concepts[0]["concept"]}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_named_query_answers_in_json_with_its_declared_columns(client, query):
    values = _required_values(client)
    params = {p.name: values[p.name] for p in query.params if p.required}
    response = client.get(f"/api/queries/{query.name}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["query"] == query.name
    assert body["columns"] == list(query.columns)
    assert all(set(row) == set(query.columns) for row in body["rows"])
    for example in query.examples_for("http://senate-kg.test/"):
        assert client.get(f"/api/queries/{query.name}", query_string=example).status_code == 200


def test_results_hold_the_facts_of_the_sample(client):
    parties = client.get("/api/queries/questions-per-party.json").get_json()["rows"]
    by_label = {row["party_label"]: row for row in parties}
    assert by_label["Open Vld"]["questions"] >= 1
    assert isinstance(by_label["Open Vld"]["questions"], int)  # numbers are numbers, not strings
    legislatures = client.get("/api/queries/questions-per-legislature.json").get_json()["rows"]
    assert {row["legislature"] for row in legislatures} >= {5, 7}
    total = sum(row["questions"] for row in legislatures)
    assert total == sum(row["questions"] for row in parties) or total >= len(parties)


def test_csv_by_suffix_and_by_accept_have_the_columns_as_header(client):
    by_suffix = client.get("/api/queries/questions-per-party.csv")
    by_accept = client.get("/api/queries/questions-per-party", headers={"Accept": "text/csv"})
    for response in (by_suffix, by_accept):
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == ["party", "party_label", "questions", "answered", "senators", "share_answered"]
        assert len(rows) > 1
    assert by_suffix.get_data() == by_accept.get_data()
    assert "Accept" in by_accept.headers["Vary"]


def test_sparql_json_results_are_offered_too(client):
    response = client.get("/api/queries/questions-per-party",
                          headers={"Accept": "application/sparql-results+json"})
    assert response.mimetype == "application/sparql-results+json"
    assert response.get_json()["head"]["vars"][:2] == ["party", "party_label"]


def test_paging_follows_link_next_and_prev_without_inventing_a_last_page(client):
    everything = client.get("/api/queries/questions-per-senator.json?limit=1000").get_json()["rows"]
    assert len(everything) >= 2, "the sample has several senators"
    seen, url, pages = [], "/api/queries/questions-per-senator.json?limit=1", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert 'rel="last"' not in response.headers.get("Link", "")
        body = response.get_json()
        seen += body["rows"]
        if pages:
            assert 'rel="prev"' in response.headers["Link"] and body["prev"]
        url = _path(body["next"]) if body["next"] else None
        if url:
            assert 'rel="next"' in response.headers["Link"]
        pages += 1
        assert pages <= len(everything)
    assert seen == everything


@pytest.mark.parametrize(("query_string", "parameter", "reason"), [
    ("limit=0", "limit", "from 1"),
    ("limit=abc", "limit", "whole number"),
    ("offset=-1", "offset", "whole number"),
    ("legislatur=5", "legislatur", "unknown parameter"),
    ("legislature=five", "legislature", "integer"),
    ("legislature=5&legislature=7", "legislature", "given 2 times"),
])
def test_bad_parameters_get_400_naming_which_and_why(client, query_string, parameter, reason):
    response = client.get(f"/api/queries/questions-per-party?{query_string}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["parameter"] == parameter
    assert reason in body["reason"]


def test_a_hostile_iri_is_refused_and_a_missing_required_one_too(client):
    hostile = client.get("/api/queries/senator-questions",
                         query_string={"senator": "http://x/> } DELETE WHERE { ?s ?p ?o } #"})
    assert hostile.status_code == 400 and hostile.get_json()["parameter"] == "senator"
    missing = client.get("/api/queries/senator-questions")
    assert missing.status_code == 400 and "required" in missing.get_json()["reason"]
    assert "{base}" not in missing.get_json()["detail"]


def test_a_parameter_filters_the_results(client):
    everything = client.get("/api/queries/questions-per-legislature.json").get_json()["rows"]
    rows = client.get("/api/queries/questions-per-party.json?legislature=7").get_json()["rows"]
    in_seven = next(r["questions"] for r in everything if r["legislature"] == 7)
    assert sum(r["questions"] for r in rows) == in_seven
    assert client.get("/api/queries/questions-per-party.json?legislature=99").get_json()["rows"] == []


def test_unknown_query_and_unknown_suffix_are_404(client):
    unknown = client.get("/api/queries/no-such-query")
    assert unknown.status_code == 404
    assert "questions-per-party" in unknown.get_json()["queries"]
    assert client.get("/api/queries/questions-per-party.xlsx").status_code == 404


def test_openapi_document_is_valid_and_describes_every_query(client):
    from openapi_spec_validator import validate

    document = client.get("/api/openapi.json").get_json()
    validate(document)
    for query in QUERIES:
        operation = document["paths"][f"/api/queries/{query.name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"]}
        assert set(declared) == {p.name for p in query.params} | {"limit", "offset"}
        for param in query.params:
            assert declared[param.name]["required"] == param.required
            assert "{base}" not in declared[param.name]["description"]
        assert operation["summary"] == query.title
    assert "/api/search" in document["paths"]


def test_the_query_list_is_json_by_default_and_html_for_browsers(client):
    listing = client.get("/api/queries").get_json()
    assert [q["name"] for q in listing["queries"]] == [q.name for q in QUERIES]
    page = client.get("/api/queries", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for query in QUERIES:
        assert f'href="/api/queries/{query.name}"' in html
    assert 'href="/api/openapi.json"' in html


def test_a_named_query_past_the_timeout_is_stopped_with_503(app_config):
    """QUERY_TIMEOUT bounds named queries as it bounds /sparql (a timeout far below any real run time)."""
    from server import create_app

    app = create_app({**app_config, "QUERY_TIMEOUT": 0.000_001})
    response = app.test_client().get("/api/queries/answer-delay-per-office")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "timeout" in response.get_json()["title"]
