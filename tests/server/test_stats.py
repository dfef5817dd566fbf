"""/stats and the small charts (issue 12): a figure on the page equals the same figure from the named query
(through the live API, on both backends) and from the tidy tables; the page links its figures as CSV and JSON,
says as of when, and the server draws only what publishing wrote."""

from __future__ import annotations

import csv
import gzip
import html as markup
import io
import re

import pytest

from senate_kg.publish import dumps_dir_for, read_manifest

HTML = {"Accept": "text/html"}


def api_rows(client, name: str, **params) -> list[dict]:
    rows, offset = [], 0
    while True:
        page = client.get(f"/api/queries/{name}.json", query_string={**params, "limit": 1000, "offset": offset}).json
        rows += page["rows"]
        if not page["next"]:
            return rows
        offset += 1000


def table(sample_store_dir, name: str) -> list[dict]:
    data = gzip.decompress((dumps_dir_for(sample_store_dir) / f"{name}.gz").read_bytes()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(data)))


def page_figure(html: str, chart: str, row_label: str, column: int) -> str:
    """The cell `column` of the row labelled `row_label` in the table under chart `chart`."""
    section = html[html.index(f'id="chart-{chart}"'):]
    section = section[:section.index("</figure>")]
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        cells = [markup.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]
        if cells and cells[0] == row_label:
            return cells[column]
    raise AssertionError(f"no row {row_label!r} under chart {chart}")


@pytest.fixture
def stats_html(client) -> str:
    response = client.get("/stats", headers=HTML)
    assert response.status_code == 200
    return response.data.decode()


def test_the_home_page_links_the_statistics(client):
    assert 'href="/stats"' in client.get("/", headers=HTML).data.decode()


def test_the_page_says_as_of_when(stats_html, sample_store_dir):
    published = read_manifest(dumps_dir_for(sample_store_dir))["published"]
    assert f'data-as-of="{published[:10]}"' in stats_html and published in stats_html


def test_office_delays_equal_the_named_query_and_the_table(client, stats_html, sample_store_dir):
    named = {r["office"]: r for r in api_rows(client, "answer-delay-per-office")}
    tables = {r["office"]: r for r in table(sample_store_dir, "offices.csv")}
    assert named, "the named query found no answered office: the test would prove nothing"
    for office, row in named.items():
        label = row["office_fr"] or row["office_nl"]
        on_page = page_figure(stats_html, "office-delay", label, 4)  # median delay (days)
        assert int(on_page) == row["median_delay_days"] == int(tables[office]["median_delay_days"]), office
        assert int(tables[office]["answered"]) == row["answered"]
        assert int(tables[office]["answered_with_deadline"]) == row["with_deadline"]
        assert int(tables[office]["answered_within_deadline"]) == row["within_deadline"]


def test_pending_past_deadline_equals_the_named_query(client, stats_html, sample_store_dir):
    published = read_manifest(dumps_dir_for(sample_store_dir))["published"][:10]
    named = api_rows(client, "unanswered-past-deadline", on=published)
    count = re.search(r'data-figure="pending">(\d+)<', stats_html).group(1)
    assert int(count) == len(named) > 0
    oldest = re.search(r'data-figure="oldest-pending" href="[^"]*">([^<]+)<', stats_html).group(1)
    assert oldest == named[0]["identifier"]
    offices = table(sample_store_dir, "offices.csv")
    assert sum(int(r["pending_past_deadline"]) for r in offices) == len(named)


def test_original_language_per_party_equals_the_named_query(client, stats_html):
    named = api_rows(client, "original-language-per-party")
    assert named
    for row in named:
        assert page_figure(stats_html, "languages", row["party_label"], 2) == str(row["asked_in_french"])
        assert page_figure(stats_html, "languages", row["party_label"], 1) == str(row["questions"])


def test_top_descriptors_per_party_are_the_named_querys(client, stats_html):
    """The page lists, per party, the most asked descriptors with the named query's counts (the query counts per
    legislature: a party's count is the sum over its legislatures, Open Vld asked in the 5th and the 7th)."""
    named = api_rows(client, "top-concepts-per-party")
    section = stats_html[stats_html.index('id="concepts-per-party"'):]
    section = section[:section.index("</table>")]
    listed = re.findall(r'<a href="[^"]*">([^<]+)</a></th><td><a href="([^"]+)">.*?</a></td><td>(\d+)</td>', section)
    assert listed
    for party_label, concept_href, count in listed:
        counts = [r["questions"] for r in named if r["party_label"] == markup.unescape(party_label)
                  and concept_href.endswith("/" + r["concept"].rsplit("/", 1)[-1])]
        assert counts and int(count) == sum(counts), (party_label, concept_href)


def test_questions_per_month_equal_the_table(stats_html, sample_store_dir, client):
    months: dict[str, int] = {}
    for row in table(sample_store_dir, "questions.csv"):
        months[row["date_asked"][:7]] = months.get(row["date_asked"][:7], 0) + 1
    exported = list(csv.DictReader(io.StringIO(client.get("/stats/months.csv").data.decode())))
    assert {r["month"]: int(r["questions"]) for r in exported} == months
    for month, n in months.items():
        assert page_figure(stats_html, "months", month, 2) == str(n)
    assert client.get("/stats/months.json").json["rows"][0]["month"] == min(months)


def test_a_senator_page_shows_its_chart_and_links_its_figures(client, sample_store_dir):
    html = client.get("/person/martine-taelman", headers=HTML).data.decode()
    named = next(r for r in api_rows(client, "questions-per-senator") if r["senator_name"] == "Martine Taelman")
    assert f'{named["answered"]} / {named["questions"]}' in html
    assert 'data-chart="years"' in html and "<svg" in html and "<script" not in html.split('data-chart="years"')[1]
    link = re.search(r'href="(/stats/resource/years\.csv\?iri=[^"]+)"', html).group(1).replace("&amp;", "&")
    exported = list(csv.DictReader(io.StringIO(client.get(link).data.decode())))
    assert sum(int(r["questions"]) for r in exported) == named["questions"]


def test_an_office_page_shows_its_answer_delays(client):
    html = client.get("/org/office/premier-ministre", headers=HTML).data.decode()
    assert 'data-chart="years"' in html and 'data-chart="delays"' in html


def test_unknown_figures_are_404(client):
    assert client.get("/stats/nothing.csv").status_code == 404
    assert client.get("/stats/resource/years.csv?iri=http://senate-kg.test/person/nobody").status_code == 404
