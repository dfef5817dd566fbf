"""Publishing (senate_kg/publish.py): after a build the dumps, the sitemap, the manifest and the search index
sit next to the store, rebuilt from its contents, written atomically, unchanged when the data is unchanged."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_helpers import SAMPLES
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from mapping.iris import Iris
from senate_kg.publish import DUMP_FORMATS, MANIFEST, dumps_dir_for, publish, read_manifest, search_index_for
from store import open_store
from store.search_index import SearchIndex, parse_search_query

BASE = "http://senate-kg.test/"
FIXTURE = Path(__file__).resolve().parents[1] / "server" / "fixtures" / "resources.trig"
Q7 = BASE + "eli/dl/doc/WQ-7-1923"


def _graphs() -> dict[str, Graph]:
    dataset = Dataset()
    dataset.parse(FIXTURE, format="trig")
    return {str(g.identifier): g for g in dataset.graphs() if str(g.identifier).startswith(BASE)}


@pytest.fixture
def store_dir(tmp_path):
    """An embedded store holding the hand-written questions (independent of the parser)."""
    location = tmp_path / "store"
    store = open_store(location)
    store.replace_graphs((iri, g.serialize(format="nt", encoding="utf-8")) for iri, g in _graphs().items())
    store.close()
    return location


def _publish(store_dir: Path):
    store = open_store(store_dir)
    try:
        return publish(store, store_dir, Iris(BASE))
    finally:
        store.close()


def test_publish_writes_dumps_sitemap_manifest_and_index_next_to_the_store(store_dir):
    report = _publish(store_dir)
    dumps = dumps_dir_for(store_dir)
    assert dumps == store_dir.with_name("store.dumps")
    names = sorted(p.name for p in dumps.iterdir())
    assert names == sorted([MANIFEST, "sitemap-1.xml", *(d.name for d in report.dumps), *report.tables])
    assert "questions.csv.gz" in report.tables and "stats.json" in report.tables  # senate_kg/tables.py
    assert {d.key for d in report.dumps} == {f.key for f in DUMP_FORMATS}
    assert len({d.quads for d in report.dumps}) == 1 and report.quads > 0
    manifest = read_manifest(dumps)
    assert manifest["figures"]["questions"] == 2 == report.questions_indexed
    assert manifest["figures"]["first_date"] == "2013-04-30" and manifest["figures"]["last_date"] == "2023-03-06"
    index = SearchIndex(search_index_for(store_dir))
    assert index.meta()["generation"] == manifest["generation"] == report.dumps[0].sha256
    assert index.search(parse_search_query({"q": "tiktok"})).hits[0].iri == Q7
    assert oct((dumps / MANIFEST).stat().st_mode & 0o777) == "0o644"  # readable by the server's user


def test_publishing_unchanged_data_changes_nothing_a_harvester_sees(store_dir):
    first = _publish(store_dir)
    files = {p.name: p.stat().st_mtime_ns for p in dumps_dir_for(store_dir).iterdir()}
    second = _publish(store_dir)
    assert (first.skipped, second.skipped) == (False, True)
    assert {p.name: p.stat().st_mtime_ns for p in dumps_dir_for(store_dir).iterdir()} == files, "nothing rewritten"
    assert [(d.sha256, d.issued, d.modified) for d in first.dumps] == \
           [(d.sha256, d.issued, d.modified) for d in second.dumps]
    leftovers = [p.name for p in store_dir.parent.rglob(".*")]
    assert leftovers == [], "temporary files must not be left behind"


def test_a_changed_question_changes_dumps_checksums_and_index(store_dir):
    first = _publish(store_dir)
    graph = _graphs()[Q7]
    graph.set((URIRef(Q7), DCTERMS.title, Literal("Réseau social «Xiaohongshu» - Risques", lang="fr")))
    store = open_store(store_dir)
    assert store.replace_graphs([(Q7, graph.serialize(format="nt", encoding="utf-8"))]) == 1
    store.close()
    second = _publish(store_dir)
    for before, after in zip(first.dumps, second.dumps, strict=True):
        assert before.sha256 != after.sha256
        assert before.issued == after.issued
    index = SearchIndex(search_index_for(store_dir))
    assert [h.iri for h in index.search(parse_search_query({"q": "xiaohongshu"})).hits] == [Q7]


def test_stale_files_of_an_earlier_publication_are_removed(store_dir):
    _publish(store_dir)
    stale = dumps_dir_for(store_dir) / "sitemap-7.xml"
    stale.write_text("<urlset/>")
    _publish(store_dir)
    assert not stale.exists()


def test_manifest_is_json_a_reader_can_trust(store_dir):
    _publish(store_dir)
    manifest = json.loads((dumps_dir_for(store_dir) / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["base"] == BASE
    for dump in manifest["dumps"]:
        assert (dumps_dir_for(store_dir) / dump["name"]).stat().st_size == dump["byte_size"]
    classes = {c["class"]: c["entities"] for c in manifest["classes"]}
    assert classes[BASE + "def/WrittenQuestion"] == 2


def test_build_publishes_next_to_the_store(cli, tmp_path):
    store_dir = tmp_path / "store"
    run = cli("build", "--quiet", "--store", store_dir, "--base-uri", BASE, SAMPLES)
    assert run.status in (0, 1), run.err
    manifest = read_manifest(dumps_dir_for(store_dir))
    assert manifest["generation"]
    assert search_index_for(store_dir).is_file()
    loaded = int(next(line for line in run.out.splitlines() if line.startswith("questions loaded")).split()[-1])
    assert manifest["search_index"]["questions"] == loaded


def test_a_missing_file_or_another_base_publishes_again(store_dir):
    first = _publish(store_dir)
    (dumps_dir_for(store_dir) / first.dumps[1].name).unlink()
    again = _publish(store_dir)
    assert not again.skipped and (dumps_dir_for(store_dir) / first.dumps[1].name).is_file()
    store = open_store(store_dir)
    try:
        other = publish(store, store_dir, Iris("http://elsewhere.test/"))
    finally:
        store.close()
    assert not other.skipped and read_manifest(dumps_dir_for(store_dir))["base"] == "http://elsewhere.test/"


def _quads(path: Path) -> set:
    with gzip.open(path) as data:
        return set(ox.parse(data.read(), ox.RdfFormat.N_QUADS))


def test_publishing_takes_over_a_bulk_loads_copy_of_the_store(tmp_path):
    """After a first build's bulk load, the dumps come from its staged N-Quads (no scan of the store): they must
    hold exactly the quads a scan of the store gives."""
    from store.bulk import stage_graph
    from store.meta import now

    bulk_dir, plain_dir = tmp_path / "bulk" / "store", tmp_path / "plain" / "store"
    graphs = [(iri, g.serialize(format="nt", encoding="utf-8")) for iri, g in _graphs().items()]
    bulk = open_store(bulk_dir)
    try:
        loader = bulk.bulk_loader()
        for iri, data in graphs:
            loader.add(iri, stage_graph(iri, data, now()))
        loader.commit()
        staged = (loader.staged, loader.quads)
        report = publish(bulk, bulk_dir, Iris(BASE), nquads=staged)
        scan = tmp_path / "scan.nq.gz"
        assert bulk.dump(scan) == report.quads
    finally:
        bulk.close()
    assert not staged[0].parent.exists(), "closing the store removes the bulk load's scratch folder"
    assert [p.name for p in dumps_dir_for(bulk_dir).iterdir() if p.name.startswith(".")] == []
    nquads = next(d for d in report.dumps if d.key == "nquads")
    assert _quads(dumps_dir_for(bulk_dir) / nquads.name) == _quads(scan)
    plain = open_store(plain_dir)
    try:
        plain.replace_graphs(graphs)
        plain_report = publish(plain, plain_dir, Iris(BASE))
    finally:
        plain.close()
    assert report.quads == plain_report.quads
    for name in ("figures", "classes", "properties", "concepts"):
        assert read_manifest(dumps_dir_for(bulk_dir))[name] == read_manifest(dumps_dir_for(plain_dir))[name]


def test_dumps_prepared_for_a_load_that_fails_are_never_installed(store_dir, tmp_path):
    """A first build prepares its dumps while the store is loading; if the load then fails, the publication is
    closed without `finish`: what was published before stays, and no scratch is left."""
    from senate_kg.publish import Publication

    first = _publish(store_dir)
    before = {p.name: p.read_bytes() for p in dumps_dir_for(store_dir).iterdir()}
    other = tmp_path / "other.nq"
    other.write_bytes(b"<http://x.test/s> <http://x.test/p> <http://x.test/o> <http://x.test/g> .\n")
    with Publication(store_dir, Iris(BASE)) as publication:
        publication.prepare_dumps(nquads=(other, 1))
    assert {p.name: p.read_bytes() for p in dumps_dir_for(store_dir).iterdir()} == before
    assert read_manifest(dumps_dir_for(store_dir))["generation"] == first.dumps[0].sha256
