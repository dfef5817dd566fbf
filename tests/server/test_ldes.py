"""The event stream `{base}ldes` (issue 11) against a real `senate-kg serve` on 127.0.0.1, read by a real client:
`ldes-client` (npm, TREEcg; found in SENATE_KG_NODE_MODULES/.bin or var/node/node_modules/.bin, where `.ci/run`
installs it; skipped when missing, except on CI).

One scenario, in order: build the sample (pages of 5 members, so that the client follows relations and pages 1-2
are immutable), replicate the whole stream; then answer one question (its page gains a "Réponse" line), remove
another (`senate-kg remove`), and resume the client from its saved state: it must get exactly those two
members. The members the client got, replayed into an empty pyoxigraph store, must equal the served dump's
question graphs.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_serve import Served, free_port, get, start, stop

from senate_kg import stream
from senate_kg.cli import main
from senate_kg.paths import stream_dir_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
ANSWERED = "SchriftelijkeVraag_LEG7_NR1837_LANGfr.excerpt.txt"  # unanswered in the sample: answered here
ANSWER_LINE = "15/2/2023Réponse\n"
REMOVED = "7-1923"
PAGE_SIZE = 5
IS_VERSION_OF = ox.NamedNode("http://purl.org/dc/terms/isVersionOf")
GENERATED = ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
AS_DELETE = ox.NamedNode("https://www.w3.org/ns/activitystreams#Delete")
WRITTEN_QUESTION_SUFFIX = "def/WrittenQuestion"


def ldes_client() -> str:
    given = os.environ.get("SENATE_KG_NODE_MODULES")
    folder = Path(given) if given else ROOT / "var" / "node" / "node_modules"
    found = folder / ".bin" / "ldes-client"
    if found.exists() and shutil.which("node"):
        return str(found)
    if os.environ.get("CI"):
        raise AssertionError(f"ldes-client is not installed in {folder} (.ci/run installs it)")
    pytest.skip("ldes-client (npm) is not installed: npm install --prefix var/node ldes-client@0.3.0")


def replicate(url: str, state: Path, log: Path) -> list[list[ox.Quad]]:
    """Run ldes-client once (it stops at the end of the stream when not following), resuming from `state`;
    the members it printed, each a list of quads (it prints one member per block, blocks end with a blank line)."""
    done = subprocess.run([ldes_client(), url, "--save", str(state)], capture_output=True, timeout=300,
                          cwd=state.parent, check=False)
    log.write_bytes(done.stderr)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    members = []
    for block in done.stdout.decode("utf-8").split("\n\n"):
        if block.strip():
            members.append(list(ox.parse(as_nquads(block).encode("utf-8"), format=ox.RdfFormat.N_QUADS)))
    return members


SHORTHAND = re.compile(r"> (true|false|[-+]?\d+) ((?:<[^>]*> )?\.)$", re.MULTILINE)
XSD_TYPES = {"true": "boolean", "false": "boolean"}


def as_nquads(block: str) -> str:
    """ldes-client prints members with N3.js's Writer, which writes booleans and integers in Turtle's short
    form (`true`, `42`) on otherwise N-Quads lines: spelled out here."""
    def typed(match: re.Match[str]) -> str:
        datatype = XSD_TYPES.get(match[1], "integer")
        return f'> "{match[1]}"^^<http://www.w3.org/2001/XMLSchema#{datatype}> {match[2]}'
    return SHORTHAND.sub(typed, block)


def member_of(quads: list[ox.Quad]) -> tuple[str, str]:
    """(version IRI, question IRI) of one member."""
    found = [(q.subject.value, q.object.value) for q in quads if q.predicate == IS_VERSION_OF]
    assert len(found) == 1, quads
    return found[0]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("ldes")
    pages = folder / "pages"
    shutil.copytree(SAMPLES, pages)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    store_dir = folder / "store"
    saved = stream.PAGE_SIZE
    stream.PAGE_SIZE = PAGE_SIZE  # the publisher runs in this process (main); the server only reads the files
    served: Served | None = None
    try:
        assert main(["build", "-q", "--store", str(store_dir), "--base-uri", base, str(pages)]) == 0
        served = start(folder / "serve.log", "--store", str(store_dir), port=port)
        state = folder / "client-state"
        first = replicate(served.url + "/ldes", state, folder / "client-1.log")
        page = pages / ANSWERED
        text = page.read_text(encoding="utf-8")
        page.write_text(_with_answer(text), encoding="utf-8")
        assert main(["build", "-q", "--store", str(store_dir), str(pages)]) == 0
        assert main(["remove", "-q", "--store", str(store_dir), REMOVED]) == 0
        second = replicate(served.url + "/ldes", state, folder / "client-2.log")
        yield {"url": served.url, "base": base, "first": first, "second": second, "store": store_dir}
    finally:
        stream.PAGE_SIZE = saved
        if served is not None:
            stop(served)


def _with_answer(text: str) -> str:
    """The page with an answer in its chronology, after the line that sends the question."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "Envoi question" in line)
    return "".join(lines[:at + 1] + [ANSWER_LINE] + lines[at + 1:])


# ---------------------------------------------------------------- the client
def test_first_run_gets_every_question_once(scenario):
    questions = [member_of(m)[1] for m in scenario["first"]]
    assert len(questions) == 12 and len(set(questions)) == 12
    assert all(v.endswith("/version/1") for v, _ in map(member_of, scenario["first"]))
    content = [q for q in scenario["first"][0] if q.graph_name != ox.DefaultGraph()]
    assert content and all(q.graph_name.value == member_of(scenario["first"][0])[0] for q in content)


def test_resumed_run_gets_exactly_the_answer_and_the_removal(scenario):
    base = scenario["base"]
    got = sorted(member_of(m) for m in scenario["second"])
    assert got == [(f"{base}eli/dl/doc/WQ-7-1837/version/2", f"{base}eli/dl/doc/WQ-7-1837"),
                   (f"{base}eli/dl/doc/WQ-{REMOVED}/version/2", f"{base}eli/dl/doc/WQ-{REMOVED}")]
    by_iri = {member_of(m)[0]: m for m in scenario["second"]}
    deletion = by_iri[f"{base}eli/dl/doc/WQ-{REMOVED}/version/2"]
    assert any(q.predicate == RDF_TYPE and q.object == AS_DELETE for q in deletion)
    answer = by_iri[f"{base}eli/dl/doc/WQ-7-1837/version/2"]
    assert any("activity-type/ASW" in q.object.value for q in answer if isinstance(q.object, ox.NamedNode))


def test_replayed_stream_equals_the_served_question_graphs(scenario):
    """Members in stream order into an empty store: a version replaces its question's graph, a deletion drops
    it. The result must be the question graphs of the dump the server publishes."""
    replica = ox.Store()
    members = scenario["first"] + scenario["second"]
    members.sort(key=lambda m: (next(q.object.value for q in m if q.predicate == GENERATED),
                                int(member_of(m)[0].rsplit("/", 1)[1])))
    for quads in members:
        version, question = member_of(quads)
        graph = ox.NamedNode(question)
        if replica.contains_named_graph(graph):
            replica.remove_graph(graph)
        if not any(q.predicate == RDF_TYPE and q.object == AS_DELETE for q in quads):
            replica.extend([ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads
                            if q.graph_name == ox.NamedNode(version)])
    status, _, body = get(scenario["url"] + "/dumps/senate-kg-questions.nq.gz")
    assert status == 200
    served = list(ox.parse(gzip.decompress(body), format=ox.RdfFormat.N_QUADS))
    questions = {q.graph_name for q in served if q.predicate == RDF_TYPE
                 and q.object.value.endswith(WRITTEN_QUESTION_SUFFIX) and q.subject == q.graph_name}
    expected = {str(q) for q in served if q.graph_name in questions}
    assert {str(q) for q in replica} == expected
    assert len(questions) == 11


# ---------------------------------------------------------------- pages over HTTP
def test_pages_are_immutable_but_the_newest(scenario):
    url = scenario["url"]
    status, headers, body = get(url + "/ldes/page/1", "application/trig")
    headers_1 = headers
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["ETag"].startswith('"') and not headers["ETag"].startswith("W/")
    assert "Accept" in headers["Vary"] and b"tree:relation" in body and b"GreaterThanOrEqualToRelation" in body
    status, headers, _ = get(url + "/ldes/page/3", "application/trig")
    assert status == 200 and "immutable" not in headers["Cache-Control"]
    revalidation = urllib.request.Request(url + "/ldes/page/1", headers={
        "Accept": "application/trig", "If-None-Match": headers_1["ETag"]})
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(revalidation, timeout=10)
    assert answered.value.code == 304
    assert get(url + "/ldes/page/4")[0] == 404


@pytest.mark.parametrize(("accept", "media_type", "named_graphs"), [
    ("text/turtle", "text/turtle", False), ("application/n-triples", "application/n-triples", False),
    ("application/trig", "application/trig", True), ("application/n-quads", "application/n-quads", True),
    ("application/ld+json", "application/ld+json", True)])
def test_page_formats(scenario, accept, media_type, named_graphs):
    status, headers, body = get(scenario["url"] + "/ldes/page/2", accept)
    assert status == 200 and headers["Content-Type"].startswith(media_type)
    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
           "application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS,
           "application/ld+json": ox.RdfFormat.JSON_LD}[media_type]
    if fmt is ox.RdfFormat.JSON_LD:  # the context the document names, fetched from the server and put in place
        document = json.loads(body)
        assert document["@context"] == scenario["base"] + "ns/context.jsonld"
        document["@context"] = json.loads(get(scenario["url"] + "/ns/context.jsonld")[2])["@context"]
        body = json.dumps(document).encode("utf-8")
    quads = list(ox.parse(body, format=fmt, base_iri=scenario["base"]))
    members = [q for q in quads if q.predicate.value == "https://w3id.org/tree#member"]
    assert len(members) == PAGE_SIZE
    assert any(q.graph_name != ox.DefaultGraph() for q in quads) is named_graphs


# ---------------------------------------------------------------- the questions' history
def test_removed_question_answers_410_in_rdf_and_html(scenario):
    url = scenario["url"] + f"/eli/dl/doc/WQ-{REMOVED}"
    status, headers, body = get(url, "text/turtle")
    assert status == 410 and headers["Content-Type"].startswith("text/turtle")
    graph = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    assert any(q.object == AS_DELETE for q in graph)
    assert any(q.predicate.value == "http://purl.org/dc/terms/hasVersion" for q in graph)
    status, _, page = get(url, "text/html")
    assert status == 410 and "retirée" in page.decode() and "/version/1.ttl" in page.decode()


def test_question_lists_its_versions(scenario):
    url = scenario["url"] + "/eli/dl/doc/WQ-7-1837"
    status, _, body = get(url, "text/turtle")
    assert status == 200
    graph = list(ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=scenario["base"]))
    versions = sorted(q.object.value for q in graph if q.predicate.value == "http://purl.org/dc/terms/hasVersion")
    assert versions == [url.replace(scenario["url"] + "/", scenario["base"]) + f"/version/{n}" for n in (1, 2)]
    status, _, page = get(url, "text/html")
    html = page.decode()
    assert status == 200 and html.count('class="versions"') == 1 and "réponse" in html and "posée" in html
    status, headers, version = get(url + "/version/1.nt")
    assert status == 200 and "immutable" in headers["Cache-Control"] and b"activity-type/ASW" not in version
    assert get(url + "/version/3")[0] == 404


def test_catalogue_lists_the_stream(scenario):
    status, _, body = get(scenario["url"] + "/catalog", "text/turtle")
    graph = list(ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=scenario["base"]))
    services = {q.subject for q in graph if q.object.value == "http://www.w3.org/ns/dcat#DataService"}
    endpoints = {q.object.value for q in graph if q.subject in services
                 and q.predicate.value == "http://www.w3.org/ns/dcat#endpointURL"}
    assert scenario["base"] + "ldes" in endpoints
    status, _, void = get(scenario["url"] + "/.well-known/void", "text/turtle")
    assert status == 200 and (scenario["base"] + "ldes").encode() in void


def test_unchanged_rebuild_adds_nothing(scenario):
    index = stream_dir_for(scenario["store"]) / stream.INDEX
    before = index.read_bytes()
    assert main(["build", "-q", "--store", str(scenario["store"]), str(SAMPLES)]) in (0, 1)
    # the bundled samples differ from the scenario's pages (no answer for 7-1837, 7-1923 back): two members
    assert index.read_bytes() != before
    after = index.read_bytes()
    assert main(["build", "-q", "--store", str(scenario["store"]), str(SAMPLES)]) in (0, 1)
    assert index.read_bytes() == after
