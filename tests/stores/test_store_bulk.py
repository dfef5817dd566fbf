"""The bulk path of a first build (store/bulk.py): the same store as the transactional path, never half-loaded.

A bulk load builds a new store beside the empty one and exchanges the folders; these tests check that the result
is exactly what `replace_graphs` would have written (same graphs, same etags), that a reader holding the empty
store sees nothing or everything, that nothing is left behind, and the fallback where folders cannot be exchanged.
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from store import GraphDataError
from store import bulk as bulk_module
from store.bulk import exchange_folders, scratch_dir, stage_graph
from store.embedded import EmbeddedStore

EX = "http://example.org/"
WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def graph(i: int) -> tuple[str, bytes]:
    """A small graph with the characters N-Triples must escape (quotes, backslash, newline, tab, control)."""
    text = f'line one\\nline \\"two\\"\\t{i} \\\\ \\u0007 é'
    body = (f'<{EX}q{i}> <{EX}title> "{text}"@fr .\n'
            f'<{EX}q{i}> <{EX}n> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
            f'<{EX}q{i}> <{EX}about> <{EX}c{i % 3}> .\n')
    return f"{EX}q{i}", body.encode()


GRAPHS = [graph(i) for i in range(30)]


@pytest.fixture
def open_store(tmp_path):
    """Opens embedded stores under tmp_path (`open_store("name", read_only=...)`), all closed at the end."""
    opened: list[EmbeddedStore] = []

    def open_(name: str = "store", **options) -> EmbeddedStore:
        opened.append(EmbeddedStore(tmp_path / name, query_workers=1, **options))
        return opened[-1]

    yield open_
    for store in reversed(opened):
        store.close()


def bulk_load(store: EmbeddedStore, graphs=GRAPHS):
    loader = store.bulk_loader()
    assert loader is not None, "an empty store takes the bulk path"
    for iri, data in graphs:
        loader.add(iri, stage_graph(iri, data, WHEN))
    assert loader.commit() == len(graphs)
    return loader


def content(store: EmbeddedStore) -> dict[str, set[str]]:
    """Every graph's lines, metadata graph excepted."""
    out: dict[str, set[str]] = {}
    for iri in store.named_graphs():
        data = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(iri)})
        out[iri] = set(data.decode().splitlines())
    return out


def test_bulk_load_writes_what_the_transactional_path_writes(open_store):
    bulk, plain = open_store("bulk"), open_store("plain")
    bulk_load(bulk)
    assert plain.replace_graphs(GRAPHS) == len(GRAPHS)
    assert content(bulk) == content(plain)
    for iri, _ in GRAPHS:
        assert bulk.graph_info(iri).etag == plain.graph_info(iri).etag
        assert bulk.graph_info(iri).modified == WHEN
    # the same graphs again change nothing: the etags agree with the transactional path's
    assert bulk.replace_graphs(GRAPHS) == 0
    assert bulk.replace_graphs([graph(1000)]) == 1  # and it takes transactional writes afterwards


def test_a_store_that_holds_anything_gets_no_bulk_loader(open_store):
    store = open_store()
    store.replace_graphs([graph(1)])
    assert store.bulk_loader() is None
    store.close()
    assert open_store(read_only=True).bulk_loader() is None


def test_the_staged_file_is_an_nquads_copy_of_the_store(open_store, tmp_path):
    store = open_store()
    loader = bulk_load(store)
    staged = list(ox.parse(path=str(loader.staged), format=ox.RdfFormat.N_QUADS))
    assert len(staged) == loader.quads
    dumped = tmp_path / "dump.nq"
    assert store.dump(dumped) == loader.quads
    assert set(staged) == set(ox.parse(path=str(dumped), format=ox.RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in staged} == {iri for iri, _ in GRAPHS}  # the bookkeeping is beside it
    store.close()
    assert not scratch_dir(store.location).exists(), "closing the store removes the staged file nobody took"


def test_a_reader_of_the_empty_store_sees_nothing_then_everything(open_store):
    writer = open_store()
    reader = open_store(read_only=True, reload_interval=0, settle_seconds=0)
    assert list(reader.named_graphs()) == []
    loader = writer.bulk_loader()
    for iri, data in GRAPHS:
        loader.add(iri, stage_graph(iri, data, WHEN))
    assert list(reader.named_graphs()) == [], "staged graphs are not in the store a reader opens"
    loader.commit()
    assert sorted(reader.named_graphs()) == sorted(iri for iri, _ in GRAPHS)


def test_abort_leaves_the_empty_store_and_no_scratch(open_store):
    store = open_store()
    loader = store.bulk_loader()
    loader.add(GRAPHS[0][0], stage_graph(*GRAPHS[0], WHEN))
    loader.abort()
    assert list(store.named_graphs()) == []
    assert not scratch_dir(store.location).exists()
    assert store.bulk_loader() is not None


def test_a_writer_removes_what_a_killed_bulk_load_left(open_store, tmp_path):
    open_store().close()
    leftover = scratch_dir(tmp_path / "store")
    (leftover / "store").mkdir(parents=True)
    (leftover / "graphs.nq").write_bytes(b"<a:b> <a:c> <a:d> <a:g> .\n")
    open_store(read_only=True).close()
    assert leftover.exists(), "a reader never touches it (a writer may be using it)"
    open_store().close()
    assert not leftover.exists()


def test_where_folders_cannot_be_exchanged_one_transaction_loads_the_same(open_store, monkeypatch):
    """A file system without RENAME_EXCHANGE: the staged file goes in with one transactional load instead."""
    monkeypatch.setattr(bulk_module, "exchange_folders", lambda a, b: False)
    fallback, plain = open_store("fallback"), open_store("plain")
    bulk_load(fallback)
    plain.replace_graphs(GRAPHS)
    assert content(fallback) == content(plain)
    assert all(fallback.graph_info(iri).etag == plain.graph_info(iri).etag for iri, _ in GRAPHS)


def test_exchange_folders_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").touch()
    (b / "from-b").touch()
    assert exchange_folders(a, b) is True
    assert [p.name for p in a.iterdir()] == ["from-b"]
    assert [p.name for p in b.iterdir()] == ["from-a"]
    with pytest.raises(OSError):
        exchange_folders(tmp_path / "missing", b)


@pytest.mark.parametrize("iri, data, reason", [
    (f"{EX}q", b"<http://example.org/q> <http://example.org/p> .\n", "not valid N-Triples"),
    ("not an iri", b"<http://example.org/q> <http://example.org/p> <http://example.org/o> .\n", "not a valid IRI"),
    (f"{EX}q", b"", "no triples"),
])
def test_stage_graph_names_the_graph_and_the_reason(iri, data, reason):
    with pytest.raises(GraphDataError) as caught:
        stage_graph(iri, data, WHEN)
    assert reason in str(caught.value)
    assert iri in str(caught.value)


def test_a_graph_given_twice_is_refused(open_store):
    loader = open_store().bulk_loader()
    loader.add(GRAPHS[0][0], stage_graph(*GRAPHS[0], WHEN))
    with pytest.raises(GraphDataError, match="twice"):
        loader.add(GRAPHS[0][0], stage_graph(*GRAPHS[0], WHEN))
    loader.abort()
