"""The embedded store's bookkeeping (store/bookkeeping.py): out of the RDF dataset, and consistent with the
content after a writer dies between its two commits."""

from __future__ import annotations

import json
import sqlite3

from store import bookkeeping, meta
from store.embedded import EmbeddedStore

EX = "http://example.org/"


def nt(value: str) -> bytes:
    return f'<{EX}s> <{EX}p> "{value}" .\n'.encode()


def test_users_never_see_the_bookkeeping(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    try:
        store.replace_graphs([(EX + "g1", nt("a")), (EX + "g2", nt("b"))])
        body = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "application/sparql-results+json").body
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "2"  # the two data triples only
        assert set(store.named_graphs()) == {EX + "g1", EX + "g2"}
        assert store.graph_info(EX + "g1").etag == meta.content_etag([f'<{EX}s> <{EX}p> "a" .'])
    finally:
        store.close()


def test_a_writer_killed_between_its_commits_leaves_no_stale_etag(tmp_path) -> None:
    location = tmp_path / "store"
    store = EmbeddedStore(location)
    store.replace_graphs([(EX + "g", nt("old"))])
    old = store.graph_info(EX + "g")
    store.close()

    # What a writer killed after writing the new content, before promoting its pending row, leaves behind:
    store = EmbeddedStore(location)
    store.replace_graphs([(EX + "g", nt("new"))])
    new = store.graph_info(EX + "g")
    store.close()
    with sqlite3.connect(bookkeeping.path_in(location)) as connection:
        connection.execute("DELETE FROM graphs")
        connection.execute("INSERT INTO graphs VALUES (?, ?, ?)", (EX + "g", old.etag, meta.format_time(old.modified)))
        connection.execute("INSERT INTO pending VALUES (?, ?, ?)", (EX + "g", new.etag, meta.format_time(new.modified)))
        connection.execute("INSERT INTO pending VALUES (?, ?, ?)", (EX + "never-written", "0" * 32,
                                                                    meta.format_time(new.modified)))
    assert new.etag != old.etag

    reader = EmbeddedStore(location, read_only=True)  # a server opening the store before any writer
    try:
        assert reader.graph_info(EX + "g").etag == new.etag  # the content's, not the stale row's
        assert reader.graph_info(EX + "never-written") is None
    finally:
        reader.close()
    writer = EmbeddedStore(location)  # the next writer settles the pending rows for good
    try:
        assert writer.graph_info(EX + "g").etag == new.etag
        with sqlite3.connect(bookkeeping.path_in(location)) as connection:
            assert connection.execute("SELECT COUNT(*) FROM pending").fetchone() == (0,)
    finally:
        writer.close()


def test_a_reader_keeps_the_bookkeeping_of_its_snapshot(tmp_path) -> None:
    location = tmp_path / "store"
    writer = EmbeddedStore(location)
    writer.replace_graphs([(EX + "g", nt("one"))])
    reader = EmbeddedStore(location, read_only=True, reload_interval=3600)  # never looks for a newer snapshot
    try:
        seen = reader.graph_info(EX + "g")
        writer.replace_graphs([(EX + "g", nt("two"))])
        assert writer.graph_info(EX + "g") != seen
        assert reader.graph_info(EX + "g") == seen  # its snapshot still holds "one": so does its etag
        rows = reader.select(f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}")
        assert [str(r["o"]) for r in rows] == ["one"]
    finally:
        reader.close()
        writer.close()
