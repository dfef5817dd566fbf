"""The Store contract, run against both backends (EmbeddedStore on disk, RemoteStore on `oxigraph serve`)."""

from __future__ import annotations

import datetime as dt
import gzip
import socket
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

import store.meta as meta_module
from store import META_GRAPH, GraphDataError, QueryRejected, Store, StoreError
from store.embedded import EmbeddedStore
from store.meta import meta_ntriples
from store.remote import RemoteStore

EX = "http://example.org/"


def ntriples(subject: str, count: int, tag: str = "v") -> bytes:
    """`count` triples about one subject, one per line."""
    lines = [f'<{EX}{subject}> <{EX}p{i}> "{tag} {i} é \\"q\\""@fr .' for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def at(when: str):
    return lambda: dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- writing and metadata
def test_replace_graphs_stores_each_graph_with_its_metadata(store: Store, graph_base: str) -> None:
    g1, g2 = graph_base + "q1", graph_base + "q2"
    assert store.replace_graphs([(g1, ntriples("a", 3)), (g2, ntriples("b", 2))]) == 2
    names = set(store.named_graphs())
    assert {g1, g2} <= names
    assert META_GRAPH not in names
    info = store.graph_info(g1)
    assert info is not None and info.iri == g1 and len(info.etag) == 32
    assert info.modified.tzinfo is not None
    assert store.graph_info(graph_base + "absent") is None
    rows = store.select("SELECT ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?p", {"g": URIRef(g2)})
    assert [row["p"] for row in rows] == [URIRef(EX + "p0"), URIRef(EX + "p1")]
    assert rows[0]["o"] == Literal('v 0 é "q"', lang="fr")


def test_storing_the_same_content_again_changes_nothing(store: Store, graph_base: str, monkeypatch) -> None:
    g1, g2 = graph_base + "same", graph_base + "changed"
    monkeypatch.setattr(meta_module, "now", at("2020-01-01T10:00:00"))
    store.replace_graphs([(g1, ntriples("a", 3)), (g2, ntriples("b", 3))])
    before = store.graph_info(g1)
    monkeypatch.setattr(meta_module, "now", at("2021-06-01T12:00:00"))
    shuffled = b"\n".join(reversed(ntriples("a", 3).splitlines())) + b"\n"  # same triples, other order
    assert store.replace_graphs([(g1, shuffled), (g2, ntriples("b", 3, tag="new"))]) == 1
    assert store.graph_info(g1) == before  # same etag and the time the content first appeared
    changed = store.graph_info(g2)
    assert changed.modified == dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC)
    assert changed.etag != before.etag


def test_a_changed_graph_is_replaced_not_merged(store: Store, graph_base: str) -> None:
    g = graph_base + "q"
    store.replace_graphs([(g, ntriples("a", 5))])
    store.replace_graphs([(g, ntriples("a", 2, tag="w"))])
    rows = store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(g)})
    assert sorted(str(r["o"]) for r in rows) == ['w 0 é "q"', 'w 1 é "q"']


def test_graphs_with_blank_nodes_are_replaced_too(store: Store, graph_base: str) -> None:
    g = graph_base + "bnodes"
    old = b'_:x <http://example.org/p> "old" .\n<http://example.org/a> <http://example.org/q> _:x .\n'
    store.replace_graphs([(g, old)])
    assert store.replace_graphs([(g, old)]) == 0
    store.replace_graphs([(g, b'_:y <http://example.org/p> "new" .\n')])
    rows = store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(g)})
    assert [str(r["o"]) for r in rows] == ["new"]


def test_the_metadata_graph_is_copied_verbatim_as_a_push_does(store: Store, graph_base: str, tmp_path) -> None:
    source = EmbeddedStore(tmp_path / "source")
    try:
        g = graph_base + "pushed"
        source.replace_graphs([(g, ntriples("a", 2))])
        original = source.graph_info(g)
        meta_nt = "".join(line + "\n" for line in meta_ntriples(g, original.etag, original.modified)).encode()
    finally:
        source.close()
    store.replace_graphs([(g, ntriples("a", 2))])
    store.replace_graphs([(META_GRAPH, meta_nt)])
    assert store.graph_info(g) == original


@pytest.mark.parametrize("data, reason", [
    (b"<http://example.org/a> <http://example.org/p> .\n", "N-Triples"),
    (b"not rdf at all\n", "N-Triples"),
    (b'<http://example.org/a> <http://example.org/p> "x" } } ; DROP ALL ; INSERT DATA { <a> <b> <c> .\n',
     "N-Triples"),
])
def test_bad_data_is_refused_naming_the_graph(store: Store, graph_base: str, data: bytes, reason: str) -> None:
    g = graph_base + "bad"
    with pytest.raises(GraphDataError, match=reason) as caught:
        store.replace_graphs([(g, data)])
    assert g in str(caught.value)
    assert store.graph_info(g) is None


def test_a_bad_graph_name_is_refused(store: Store) -> None:
    with pytest.raises(GraphDataError, match="not a valid IRI"):
        store.replace_graphs([("not an iri> <x", ntriples("a", 1))])


def test_load_file_replaces_a_graph_with_the_file(store: Store, graph_base: str, tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:p ex:b , ex:c .\n<rel> ex:p 1 .\n")
    g = graph_base + "vocabulary"
    assert store.load_file(g, path) == 3
    rows = store.select("SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o", {"g": URIRef(g)})
    assert len(rows) == 3
    assert URIRef(path.resolve().as_uri()[: -len("vocabulary.ttl")] + "rel") in {r["s"] for r in rows}
    gz = tmp_path / "small.nt.gz"
    gz.write_bytes(gzip.compress(ntriples("z", 1)))
    assert store.load_file(g, gz) == 1
    with pytest.raises(GraphDataError, match="suffix"):
        store.load_file(g, tmp_path / "data.unknown")
    broken = tmp_path / "broken.ttl"
    broken.write_text("ex:a ex:b .")
    with pytest.raises(GraphDataError, match="broken.ttl"):
        store.load_file(g, broken)


def test_dump_writes_every_graph_in_the_suffix_format(store: Store, graph_base: str, tmp_path: Path) -> None:
    g = graph_base + "dumped"
    store.replace_graphs([(g, ntriples("a", 4))])
    count = store.dump(tmp_path / "all.nq.gz")
    lines = gzip.decompress((tmp_path / "all.nq.gz").read_bytes()).decode().splitlines()
    assert count == len(lines)
    assert sum(1 for line in lines if line.endswith(f"<{g}> .")) == 4
    assert not any(f"<{META_GRAPH}>" in line for line in lines)  # the data, not the bookkeeping
    assert store.dump(tmp_path / "all.trig") == count
    assert store.dump(tmp_path / "all.jsonld") == count
    assert store.dump(tmp_path / "all.ttl") >= 4
    reread = Graph().parse(tmp_path / "all.ttl")
    assert (URIRef(EX + "a"), URIRef(EX + "p3"), Literal('v 3 é "q"', lang="fr")) in reread
    with pytest.raises(GraphDataError, match="suffix"):
        store.dump(tmp_path / "all.csv")


def test_dump_of_the_same_store_is_byte_identical(embedded: EmbeddedStore, graph_base: str, tmp_path: Path) -> None:
    embedded.replace_graphs([(graph_base + "x", ntriples("a", 10))])
    embedded.dump(tmp_path / "one.nq.gz")
    embedded.dump(tmp_path / "two.nq.gz")
    assert (tmp_path / "one.nq.gz").read_bytes() == (tmp_path / "two.nq.gz").read_bytes()


# ---------------------------------------------------------------- the project's queries
def test_construct_serialises_in_the_requested_media_type(store: Store, graph_base: str) -> None:
    g = graph_base + "c"
    store.replace_graphs([(g, ntriples("a", 2))])
    query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    nt = store.construct(query, {"g": URIRef(g)})
    assert len(nt.decode().strip().splitlines()) == 2
    turtle = store.construct(query, {"g": URIRef(g)}, "text/turtle", {"ex": EX}).decode()
    assert "@prefix ex: <http://example.org/>" in turtle and "ex:a" in turtle
    rdfxml = store.construct(query, {"g": URIRef(g)}, "application/rdf+xml")
    assert len(Graph().parse(data=rdfxml, format="xml")) == 2
    with pytest.raises(ValueError):
        store.construct(query, {"g": URIRef(g)}, "text/csv")


def test_bindings_are_terms_not_text(store: Store, graph_base: str) -> None:
    """A value that would break out of the query if pasted is just a literal that matches nothing."""
    g = graph_base + "i"
    store.replace_graphs([(g, ntriples("a", 1))])
    evil = Literal('x" } } ; DROP ALL ; #')
    rows = store.select("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(g), "o": evil})
    assert rows == []
    assert store.graph_info(g) is not None
    with pytest.raises((QueryRejected, ValueError)):
        store.select("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef("http://x/> } DROP ALL #")})


def test_select_needs_a_select_query(store: Store) -> None:
    with pytest.raises(QueryRejected):
        store.select("ASK {}")


# ---------------------------------------------------------------- failures
def test_unreachable_remote_store_raises_store_error(graph_base: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = RemoteStore(f"http://127.0.0.1:{port}/query", timeout=2)
    for call in (lambda: down.select("SELECT * {}"), lambda: down.graph_info(graph_base + "x"),
                 lambda: list(down.named_graphs()), lambda: down.query("ASK {}", "application/sparql-results+json"),
                 lambda: down.replace_graphs([(graph_base + "x", ntriples("a", 1))])):
        with pytest.raises(StoreError) as caught:
            call()
        assert "127.0.0.1" in str(caught.value)


def test_read_only_store_cannot_be_written_and_a_missing_one_is_a_store_error(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "s").close()
    reader = EmbeddedStore(tmp_path / "s", read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        reader.replace_graphs([(EX + "g", ntriples("a", 1))])
    reader.close()
    missing = EmbeddedStore(tmp_path / "missing", read_only=True)
    with pytest.raises(StoreError, match="no store at"):
        list(missing.named_graphs())
    missing.close()


def test_meta_time_round_trip() -> None:
    when = dt.datetime(2013, 4, 30, 12, 0, 5, tzinfo=dt.UTC)
    assert meta_module.parse_time(meta_module.format_time(when)) == when
