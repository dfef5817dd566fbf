"""End to end on 127.0.0.1: harvest the stand-in, build from the archive, serve; SIGKILL and resume; update."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef
from warcio.archiveiterator import ArchiveIterator

from harvest.site import PageKey
from harvest.standin import Page, StandIn
from harvest.synthetic_html import make_html
from senate_kg.cli import main
from store import open_store
from tests.harvest.harvest_helpers import FAST, ROOT, sample_files, synthetic_site_pages, synthetic_texts

BASE = "http://harvest.senate-kg.test/"
GENERATED_AT = URIRef("http://www.w3.org/ns/prov#generatedAtTime")


def run(capsys, *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def store_dataset(store_dir: Path) -> Dataset:
    store = open_store(store_dir, read_only=True)
    try:
        path = store_dir.parent / f"{store_dir.name}.nq"
        store.dump(path)
    finally:
        store.close()
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    return dataset


def question_graphs(store_dir: Path) -> dict[str, set]:
    """Every question graph of a store (by IRI), as a set of triples without the fetch times."""
    store = open_store(store_dir, read_only=True)
    try:
        path = store_dir.parent / f"{store_dir.name}.nq"
        store.dump(path)
    finally:
        store.close()
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    graphs = {}
    for graph in dataset.graphs():
        name = str(graph.identifier)
        if "/eli/dl/doc/WQ-" in name:
            graphs[name] = {t for t in graph if t[1] != GENERATED_AT}
    return graphs


def test_harvest_build_serve_gives_the_graphs_of_the_text_samples(sample_site, tmp_path, capsys):
    archive = tmp_path / "archive"
    status, out, err = run(capsys, "harvest", "--archive", archive, "--site", sample_site.url, "--legislature", 5,
                           "--numbers", "8898-8920", "--contact", "ops@example.org", *FAST, "-q")
    assert status == 0, err
    assert "new 7" in out and "missing 16" in out and "failed 0" in out  # 8898-8920 holds 7 questions
    assert run(capsys, "build", "--store", tmp_path / "from-archive", "--base-uri", BASE, archive, "-q")[0] == 0
    texts = tmp_path / "texts"
    texts.mkdir()
    for path in sample_files():
        (texts / path.name).write_bytes(path.read_bytes())
    assert run(capsys, "build", "--store", tmp_path / "from-text", "--base-uri", BASE, texts, "-q")[0] == 0
    from_archive, from_text = question_graphs(tmp_path / "from-archive"), question_graphs(tmp_path / "from-text")
    assert len(from_text) >= 7 and from_archive == from_text

    from server import create_app

    app = create_app({"STORE_PATH": str(tmp_path / "from-archive"), "BASE_URI": BASE, "TESTING": True})
    response = app.test_client().get("/eli/dl/doc/WQ-5-8900", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    quads = store_dataset(tmp_path / "from-archive").quads()
    fetched = {(str(s), o.toPython()) for s, p, o, _ in quads if p == GENERATED_AT}
    page = "https://www.senate.be/www/?MIval=/Vragen/SchriftelijkeVraag&LEG=5&NR=8900&LANG=fr"
    assert page in {s for s, _ in fetched} and all(o.tzinfo is not None for _, o in fetched)


def _records(archive: Path) -> list[tuple[str, str, int | None]]:
    """(type, URI, HTTP status) of every record of every WARC file: reading them all proves them readable."""
    found = []
    for warc in sorted(archive.glob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                status = record.http_headers.get_statuscode() if record.http_headers else None
                found.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), status))
    return found


def test_sigkill_mid_harvest_then_resume_loses_nothing_and_writes_nothing_twice(tmp_path):
    texts = synthetic_texts(60)
    archive = tmp_path / "archive"
    with StandIn(synthetic_site_pages(texts)) as site:
        argv = [sys.executable, "-m", "senate_kg", "harvest", "--archive", str(archive), "--site", site.url,
                "--legislature", "99", "--max-misses", "3", "--retries", "1", "--delay", "0.03", "-q"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while len(site.log) < 25 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert 0 < len(site.log) < 60
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    records = _records(archive)
    responses = [uri for kind, uri, status in records if kind == "response" and status == "200"]
    asked = [f"&NR={n}&" for n in range(1, 61)]
    for needle in asked:  # every question once as a full response; pending ones may add a revisit
        assert sum(needle in uri for uri in responses) == 1, needle
    status, _ = subprocess.run([sys.executable, "-m", "senate_kg", "build", "--store", str(tmp_path / "s"),
                                "--base-uri", BASE, str(archive), "-q"], env=env, capture_output=True,
                               text=True).returncode, None
    assert status == 0


def test_update_refetches_only_the_pending_question_and_changes_only_its_graph(tmp_path, capsys):
    texts = synthetic_texts(12)
    answered = next(n for n, t in texts.items() if "Réponse reçue le" in t and "Dossier gesloten" not in t)
    full = texts[answered]
    pending = full[:full.index("Réponse reçue le")].rstrip() + "\n"
    pending = "\n".join(line for line in pending.split("\n") if not line.endswith("Antwoord")) + "\n"
    texts[answered] = pending
    store, archive = tmp_path / "store", tmp_path / "archive"
    pages = synthetic_site_pages(texts)
    with StandIn(pages) as site:
        common = ("--store", store, "--base-uri", BASE, "--archive", archive, "--site", site.url,
                  "--legislature", 99, "--max-misses", 3, *FAST, "-q")
        status, out, err = run(capsys, "update", *common)
        assert status == 0, err
        before = question_graphs(store)
        still_pending = {n for n, t in texts.items() if "Réponse reçue le" not in t and "Dossier gesloten" not in t}
        site.log.clear()
        site.pages[PageKey("SVPrintNLFR", 99, answered, "fr")] = Page(make_html(full, "div"), "text/html", full)
        status, out, err = run(capsys, "update", *common)
        assert status == 0, err
        asked = {int(p.split("&NR=")[1].split("&")[0]) for p in site.log if "&NR=" in p}
        # the pending ones (the one whose answer arrives among them), new numbers; no answered one
        assert answered in still_pending and asked == still_pending | set(range(13, 16))
        assert "changed 1" in out
    after = question_graphs(store)
    changed = {iri for iri in before if before[iri] != after.get(iri)}
    assert changed == {f"{BASE}eli/dl/doc/WQ-99-{answered}"}


@pytest.mark.parametrize("robots", ["disallow"])
def test_robots_disallow_stops_with_exit_2_and_one_line(tmp_path, capsys, robots):
    with StandIn({}, robots=robots) as site:
        status, out, err = run(capsys, "harvest", "--archive", tmp_path / "a", "--site", site.url,
                               "--legislature", 5, *FAST, "-q")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "robots.txt" in err
    assert [p for p in site.log if p != "/robots.txt"] == []
