"""The browser faces of /sparql (YASGUI, vendored) and /api (Swagger UI, vendored) without a browser: the pages
load only this server's files, under a Content-Security-Policy, keep the plain form for browsers without
JavaScript, and the OpenAPI document carries each named query's `#+ example:` (issue 14). The pages in a real
browser: test_browser.py."""

from __future__ import annotations

import re

from server.named_queries import load_named_queries

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VENDORED = ("/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.css",
            "/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css")


def assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)


def test_sparql_page_offers_yasgui_and_keeps_the_plain_form(client):
    page = client.get("/sparql?example=questions-per-party", headers={"Accept": BROWSER})
    html = page.data.decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<form class="sparql"' in html and 'name="query"' in html  # without JavaScript
    assert 'id="yasgui"' in html and 'id="sparql-examples"' in html
    assert all(url.startswith("/static/") for url in assets(html)), assets(html)
    assert "/static/vendor/yasgui/yasgui.min.js" in assets(html)
    assert "<script>" not in html and "<style" not in html  # nothing inline: the policy would block it


def test_vendored_files_are_served(client):
    for url in VENDORED:
        response = client.get(url)
        assert response.status_code == 200 and len(response.data) > 50_000, url
        assert response.mimetype in ("text/javascript", "application/javascript", "text/css"), url


def test_api_shows_the_viewer_to_browsers_and_the_document_to_programs(client):
    page = client.get("/api", headers={"Accept": BROWSER})
    assert page.mimetype == "text/html" and "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets(page.data.decode())
    document = client.get("/api", headers={"Accept": "application/json"})
    assert document.mimetype == "application/json" and document.json["openapi"].startswith("3.1")
    assert document.headers["Content-Location"].endswith("/api/openapi.json")


def test_each_example_is_its_parameters_example(client):
    paths = client.get("/api/openapi.json").json["paths"]
    checked = 0
    for query in load_named_queries():
        described = {p["name"]: p for p in paths[f"/api/queries/{query.name}"]["get"]["parameters"]}
        for example in query.examples_for("http://senate-kg.test/"):
            for name, value in example.items():
                expected = int(value) if query.param(name).type == "integer" else value
                assert described[name]["example"] == expected, (query.name, name)
                checked += 1
    assert checked > 0, "no query has an example: the test would prove nothing"
