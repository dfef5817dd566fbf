"""The HTML pages: the bilingual question page, pages of persons, parties, offices, concepts, legislatures,
the home page; well-formed, with lang attributes, readable without JavaScript."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

BASE = "http://senate-kg.test/"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VOID_TAGS = {"meta", "link", "br", "hr", "img", "input", "source", "wbr", "col", "area", "base", "embed", "track"}


class Page(HTMLParser):
    """A small DOM of what the tests look at: balanced tags, the text under each lang, links, scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, lang in force)
        self.errors: list[str] = []
        self.text_by_lang: dict[str | None, list[str]] = {}
        self.links: list[str] = []
        self.scripts = 0
        self.forms: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "script":
            self.scripts += 1
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if tag == "form":
            self.forms.append(attributes)
        if tag == "input":
            self.inputs.append(attributes)
        if tag in VOID_TAGS:
            return
        lang = attributes.get("lang", self.stack[-1][1] if self.stack else None)
        self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"unexpected </{tag}> with open {[t for t, _ in self.stack[-3:]]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            lang = self.stack[-1][1] if self.stack else None
            self.text_by_lang.setdefault(lang, []).append(" ".join(data.split()))

    def text(self, lang: str | None) -> str:
        return " ".join(self.text_by_lang.get(lang, []))


def page(client, path: str, status: int = 200) -> Page:
    response = client.get(path, headers={"Accept": HTML_ACCEPT})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    parsed = Page()
    parsed.feed(response.get_data(as_text=True))
    parsed.close()
    assert parsed.errors == [], parsed.errors[:5]
    assert parsed.stack == [], f"unclosed tags: {parsed.stack}"
    assert parsed.html_lang == "fr"
    assert parsed.scripts == 0  # readable without JavaScript: there is none
    return parsed


# ------------------------------------------------------------------ the question page
def test_question_page_shows_french_and_dutch_side_by_side(client):
    p = page(client, "/eli/dl/doc/WQ-5-8900")
    fr, nl = p.text("fr"), p.text("nl")
    assert "Services publics fédéraux - Communication avec les citoyens" in fr
    assert "Federale overheidsdiensten - Communicatie met burgers" in nl
    assert "Federale overheidsdiensten" not in fr and "Services publics fédéraux" not in nl
    assert "médias sociaux" in fr and "sociale media" in nl  # question texts
    assert "Chancellerie du premier ministre" in fr  # the French answer
    assert "kanselarij van de eerste minister" in nl.lower()  # the Dutch answer, in the Dutch column
    assert "Kanselarij" not in fr


def test_question_page_facts_and_links(client):
    p = page(client, "/eli/dl/doc/WQ-5-8900")
    everything = " ".join(" ".join(v) for v in p.text_by_lang.values())
    for fact in ("5-8900", "Martine Taelman", "Open Vld", "premier ministre", "eerste minister", "30/4/2013",
                 "30/5/2013", "2012-2013"):
        assert fact in everything, fact
    links = set(p.links)
    assert {"/person/martine-taelman", "/org/party/open-vld", "/org/office/premier-ministre", "/term/5",
            "/eli/dl/doc/WQ-5-8900-ASW"} <= links
    assert any(re.fullmatch(r"http://eurovoc\.europa\.eu/[\w]+", link) for link in links)  # descriptors
    assert "/eli/dl/doc/WQ-5-8901" in links and "/eli/dl/doc/WQ-5-8918" in links  # also asked
    assert any(link.startswith("https://www.senate.be/") for link in links)  # source pages
    for suffix in ("ttl", "jsonld", "rdf", "nt"):
        assert f"/eli/dl/doc/WQ-5-8900.{suffix}" in links


def test_unanswered_question_page(client):
    p = page(client, "/eli/dl/doc/WQ-7-1923.html")
    assert "Réseau social «TikTok»" in p.text("fr")
    assert "Sociaal netwerk «TikTok»" in p.text("nl")
    assert "Pas encore de réponse" in p.text("fr") and "Nog geen antwoord" in p.text("nl")
    everything = " ".join(" ".join(v) for v in p.text_by_lang.values())
    assert "6/4/2023" in everything  # the answer deadline
    assert "Gaëtan Van Goidsenhoven" in everything


def test_local_concepts_link_to_their_page_and_eurovoc_to_a_listing(client):
    p = page(client, "/eli/dl/doc/WQ-7-1923")
    local = [link for link in p.links if link.startswith("/concept/")]
    assert local, "7-1923 has a descriptor EuroVoc does not know"
    concept_page = page(client, local[0])
    assert "/eli/dl/doc/WQ-7-1923" in concept_page.links
    eurovoc = [link for link in p.links if link.startswith("/eurovoc/")]
    assert eurovoc
    listing = page(client, eurovoc[0])
    assert "/eli/dl/doc/WQ-7-1923" in listing.links


@pytest.mark.parametrize("path, expected", [
    ("/person/martine-taelman", "Martine Taelman"),
    ("/org/party/open-vld", "Open Vld"),
    ("/org/office/premier-ministre", "premier ministre"),
    ("/term/5", "5e législature"),
])
def test_agent_and_term_pages_list_their_questions(client, path, expected):
    p = page(client, path)
    assert expected in " ".join(" ".join(v) for v in p.text_by_lang.values())
    assert "/eli/dl/doc/WQ-5-8900" in p.links
    assert f"{path}.ttl" in p.links


def test_term_page_of_another_legislature_lists_only_its_questions(client):
    p = page(client, "/term/7")
    assert "/eli/dl/doc/WQ-7-1923" in p.links
    assert "/eli/dl/doc/WQ-5-8900" not in p.links


def test_answer_page_shows_both_texts_and_its_question(client):
    p = page(client, "/eli/dl/doc/WQ-5-8900-ASW")
    assert "Chancellerie" in p.text("fr") and "Kanselarij" in p.text("nl")
    assert "/eli/dl/doc/WQ-5-8900" in p.links


def test_vocabulary_page_lists_its_terms(client):
    p = page(client, "/def/")
    assert "/def/alsoAsked" in p.links and "/def/WrittenQuestion" in p.links


# ------------------------------------------------------------------ home, 404
def test_home_page_figures_and_search_box(client, app):
    p = page(client, "/")
    with app.app_context():
        from server.backend import get_store

        # the questions read, not every graph named /eli/dl/doc/WQ-…: a linked question whose page was not
        # read is a placeholder graph of its own (docs/profile.md "Graphs"), not a question
        stored = len(get_store().select(
            "SELECT ?q WHERE { GRAPH ?q { ?q <http://data.europa.eu/eli/ontology#work_type> "
            "<http://publications.europa.eu/resource/authority/resource-type/QUEST_WRITTEN> } }"))
    response = client.get("/", headers={"Accept": HTML_ACCEPT}).get_data(as_text=True)
    figure = re.search(r'data-figure="questions">([\d\s]+)<', response)
    assert figure and int(figure[1].replace(" ", "")) == stored
    answered = int(re.search(r'data-figure="answered">([\d\s]+)<', response)[1].replace(" ", ""))
    assert 1 <= answered < stored
    assert any(f.get("action", "").endswith("/search") and f.get("method", "get").lower() == "get" for f in p.forms)
    assert any(i.get("name") == "q" for i in p.inputs)
    assert "/term/5" in p.links and "/term/7" in p.links


def test_not_found_page_is_html_with_a_search_box(client):
    p = page(client, "/nowhere/at-all", status=404)
    assert any(f.get("action", "").endswith("/search") for f in p.forms)


def test_stylesheet_is_served_and_cacheable(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert ".pair" in response.get_data(as_text=True)


def test_closed_question_says_closed_and_links_its_reintroduction(client):
    p = page(client, "/eli/dl/doc/WQ-7-657")
    assert "Dossier clôturé sans réponse" in p.text("fr") and "Dossier gesloten zonder antwoord" in p.text("nl")
    assert "Pas encore de réponse" not in p.text("fr")
    assert "/eli/dl/doc/WQ-7-804" in p.links  # reintroduced as
    stub = page(client, "/eli/dl/doc/WQ-7-804")  # not harvested: described by who links to it
    assert "/eli/dl/doc/WQ-7-657" in stub.links
    assert any("senate.be" in link and "NR=804" in link for link in stub.links)
