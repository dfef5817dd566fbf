"""Full-text search on both backends: French and Dutch, accent- and case-insensitive, filters, paging, the HTML
page behind the home page's search box, and an index in step with the store."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.search_index import SearchError, SearchIndex, fts_expression, parse_search_query

Q5 = "http://senate-kg.test/eli/dl/doc/WQ-5-8900"
Q7 = "http://senate-kg.test/eli/dl/doc/WQ-7-1923"
ALL_QUESTIONS = """SELECT ?q WHERE { GRAPH ?q { ?q a <http://senate-kg.test/def/WrittenQuestion> } }"""


def _iris(client, **params) -> list[str]:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["iri"] for hit in response.get_json()["hits"]]


@pytest.mark.parametrize("words", ["médias sociaux", "medias sociaux", "MÉDIAS SOCIAUX", "Médias", "sociale media",
                                   "SOCIALE MEDIA", '"sociale media"', "soci*"])
def test_french_and_dutch_words_find_the_question_whatever_the_accents_and_case(client, words):
    assert Q5 in _iris(client, q=words)


def test_titles_questions_and_answers_are_all_searched(client):
    assert Q7 in _iris(client, q="tiktok")  # title
    assert Q5 in _iris(client, q="portail fédéral")  # answer text
    assert Q5 in _iris(client, q="federale portaalsite")  # Dutch answer text
    assert Q5 in _iris(client, q="médias") and Q5 not in _iris(client, q="médias -sociaux")


def test_filters_narrow_the_results(client):
    assert Q5 in _iris(client, q="sociaux", legislature="5")
    assert Q5 not in _iris(client, q="sociaux", legislature="7")
    assert Q7 in _iris(client, legislature="7")
    assert Q5 in _iris(client, **{"from": "2013-01-01", "to": "2013-12-31"})
    assert Q5 not in _iris(client, **{"from": "2014-01-01"})
    assert Q5 in _iris(client, party="http://senate-kg.test/org/party/open-vld")
    assert Q5 not in _iris(client, party="http://senate-kg.test/org/party/mr")
    assert Q5 in _iris(client, author="http://senate-kg.test/person/martine-taelman")
    assert Q5 in _iris(client, office="http://senate-kg.test/org/office/premier-ministre")
    concept = "http://eurovoc.europa.eu/c_324b44f1"
    assert {Q5, Q7} <= set(_iris(client, concept=concept, limit="100"))
    assert Q5 not in _iris(client, concept="http://eurovoc.europa.eu/5969")


def test_hits_carry_facts_and_a_highlighted_escaped_snippet(client):
    hit = next(h for h in client.get("/api/search?q=tiktok").get_json()["hits"] if h["iri"] == Q7)
    assert hit["identifier"] == "7-1923" and hit["legislature"] == 7 and hit["date"] == "2023-03-06"
    assert hit["author_name"] == "Gaëtan Van Goidsenhoven" and hit["party_label"] == "MR"
    assert "<mark>TikTok</mark>" in hit["snippet_html"]
    assert "«" in hit["snippet_html"] and "<script" not in hit["snippet_html"]


def test_paging_walks_every_hit_once_with_link_headers(client):
    total = client.get("/api/search?limit=100").get_json()["total"]  # no words: every question, newest first
    assert total >= 2
    seen, url = [], "/api/search?limit=1"
    while url:
        response = client.get(url)
        body = response.get_json()
        seen += [h["iri"] for h in body["hits"]]
        url = body["next"] and body["next"].split("localhost", 1)[-1]
        if url:
            assert 'rel="next"' in response.headers["Link"]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(("query_string", "parameter"), [
    ("from=30/4/2013", "from"), ("legislature=five", "legislature"), ("limit=1000", "limit"),
    ("offset=-3", "offset"), ("party=Open%20Vld", "party"), ("colour=red", "colour"), ("q=a&q=b", "q"),
])
def test_bad_filters_get_400_naming_the_parameter(client, query_string, parameter):
    response = client.get(f"/api/search?{query_string}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_the_home_page_search_box_leads_to_a_results_page(client):
    home = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert re.search(r'<form[^>]*action="/search"[^>]*method="get"', home)
    assert 'name="q"' in home
    page = client.get("/search?q=m%C3%A9dias+sociaux", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'href="/eli/dl/doc/WQ-5-8900"' in html
    assert "<mark>" in html
    assert 'value="médias sociaux"' in html  # the form keeps the query


def test_the_results_page_escapes_the_query_and_reports_bad_filters(client):
    page = client.get('/search?q=<script>alert(1)</script>"')
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.get_data(as_text=True)
    bad = client.get("/search?q=x&from=yesterday")
    assert bad.status_code == 400 and "from" in bad.get_data(as_text=True)


def test_the_index_holds_exactly_the_questions_of_the_store(app, sample_store_dir):
    store = app.extensions["store"]
    stored = {str(row["q"]) for row in store.select(ALL_QUESTIONS)}
    index = SearchIndex(sample_store_dir.with_name(sample_store_dir.name + ".search.sqlite"))
    assert set(index.identifiers()) == stored
    assert {Q5, Q7} <= stored


# ---------------------------------------------------------------- the query language never breaks
@pytest.mark.parametrize(("text", "expression"), [
    ("médias sociaux", '"médias" AND "sociaux"'),
    ('"sociale media" tiktok', '"sociale media" AND "tiktok"'),
    ("soci*", '"soci" *'),
    ("etat -ecoutes", '"etat" NOT "ecoutes"'),
    ('AND OR NOT NEAR( ) " * ^', '"AND" AND "OR" AND "NOT" AND "NEAR"'),
    ("l'État", "\"l'État\""),
    ("-only", None), ("", None), ("  ", None),
])
def test_user_text_becomes_quoted_phrases(text, expression):
    assert fts_expression(text) == expression


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_searches_or_is_refused_cleanly(sample_store_dir, text):
    index = SearchIndex(sample_store_dir.with_name(sample_store_dir.name + ".search.sqlite"))
    try:
        result = index.search(parse_search_query({"q": text}))
    except SearchError as exc:
        assert exc.field == "q"
    else:
        assert result.total >= len(result.hits)
