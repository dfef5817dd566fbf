"""The store: one interface, two implementations (DESIGN.md "Store").

- `EmbeddedStore` (store/embedded.py): a pyoxigraph store on disk. The only module that imports pyoxigraph.
- `RemoteStore` (store/remote.py): any SPARQL 1.1 endpoint, read with SPARQLWrapper, written with the
  SPARQL 1.1 Graph Store Protocol.

The server and the command line only ever see `Store`. Terms crossing this interface are rdflib terms
(`URIRef`, `Literal`, `BNode`) so that callers never depend on the backend.

Datasets: the project's own queries (`select`, `construct`) see the store as it is: one named graph per
question (reach it with `GRAPH ?g`), and a default graph that holds only what was loaded there. User queries
(`query`, the /sparql endpoint) see the union of all graphs as their default graph (what people expect of an
endpoint whose data sits in one graph per question), unless the request names its own dataset
(default-graph-uri / named-graph-uri).

Bookkeeping: for each stored graph an etag (a hash of its sorted N-Triples lines) and `modified` (when that
content first appeared, so rebuilding unchanged pages changes nothing), read with `graph_info`. The embedded
store keeps them beside the RDF (store/bookkeeping.py), out of users' union default graph; the remote store
keeps them in its graph `META_GRAPH`: for each graph `<g>`, a node `<urn:senate-kg:meta:g>` with
`meta:graph <g>`, `meta:etag "…"` and `meta:modified "…"^^xsd:dateTime`, `meta:` = `urn:senate-kg:meta#`
(store/meta.py), which a push copies along.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib.term import Node

if TYPE_CHECKING:
    from store.bulk import BulkLoad as BulkLoader

META_GRAPH = "urn:senate-kg:meta"  # per named graph: its content hash and when that content first appeared


class StoreError(Exception):
    """The store cannot answer (down, locked, corrupt). The server turns it into 503 + Retry-After."""


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""


class QueryRejected(ValueError):
    """A query that is not allowed here (an update, SERVICE, malformed). The server turns it into 400."""


class GraphDataError(ValueError):
    """Data handed to the store that it cannot take (not N-Triples, a bad graph IRI, an unreadable file); the
    message names the graph or file and the reason."""


@dataclass(frozen=True)
class GraphInfo:
    """What the HTTP layer needs for conditional GET on a stored named graph."""

    iri: str
    etag: str  # hash of the graph's canonical N-Triples
    modified: dt.datetime  # UTC, when this content was first stored


@dataclass(frozen=True)
class QueryResponse:
    """A query result already serialised in the requested format (passed through from the backend)."""

    body: bytes
    media_type: str
    form: str  # "bindings" (SELECT), "boolean" (ASK) or "graph" (CONSTRUCT/DESCRIBE)
    truncated: bool = False  # the row cap cut the result (rows for SELECT, triples for CONSTRUCT/DESCRIBE)


Row = dict[str, Node]


class Store(ABC):
    """Read and write named graphs; run SPARQL. Implementations must be safe to share between threads."""

    # ---- reading ----
    @abstractmethod
    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """Run a SELECT written by this project (queries/*.rq); `bindings` are injected as a VALUES clause,
        never pasted into the text. Unbound variables are absent from a row."""

    @abstractmethod
    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None,
                  media_type: str = "application/n-triples", prefixes: Mapping[str, str] | None = None) -> bytes:
        """Run a CONSTRUCT/DESCRIBE written by this project; return the graph serialised as `media_type`
        (N-Triples, Turtle, RDF/XML; the backend serialises, which is much faster than rdflib)."""

    @abstractmethod
    def query(
        self,
        sparql: str,
        accept: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
        max_rows: int | None = None,
        allow_service: bool = False,
        base_iri: str | None = None,
    ) -> QueryResponse:
        """Run a user's query (the /sparql endpoint) and serialise the result in `accept`, a concrete media
        type the caller chose by content negotiation. Raises QueryRejected, QueryTimeout or StoreError.

        `accept` that does not fit the query form (a graph type for a SELECT) falls back to the form's
        default (SPARQL JSON, Turtle): `QueryResponse.media_type` says what was sent. `timeout` (seconds)
        and `max_rows` default to the store's own settings; `allow_service` lets SERVICE through;
        `base_iri` resolves relative IRIs in the query. See store/formats.py for the media types."""

    @abstractmethod
    def graph_info(self, graph_iri: str) -> GraphInfo | None:
        """ETag and modification time of a stored named graph, or None if it is not stored."""

    def graph_infos(self, graph_iris: Iterable[str]) -> dict[str, GraphInfo]:
        """`graph_info` of several graphs at once (those stored): backends answer it in one look-up."""
        return {iri: info for iri in graph_iris if (info := self.graph_info(iri)) is not None}

    def all_graph_infos(self) -> dict[str, GraphInfo]:
        """`graph_info` of every stored graph (publishing fingerprints them; the server dates its sitemap)."""
        return self.graph_infos(self.named_graphs())

    def snapshot_id(self) -> str | None:
        """An opaque token that stays the same exactly as long as what readers see stays the same (a read-only
        snapshot of the embedded store), so that callers may cache what they derived from it; None when the
        backend cannot promise that (a remote store, a writer)."""
        return None

    @abstractmethod
    def named_graphs(self) -> Iterator[str]:
        """Every named graph except the store's own metadata graph."""

    # ---- writing ----
    @abstractmethod
    def replace_graphs(self, graphs: Iterable[tuple[str, bytes]]) -> int:
        """Replace each named graph (iri, N-Triples bytes) atomically: a reader sees the old graph or the new
        one, never half of either. Unchanged graphs keep their GraphInfo. Returns how many changed."""

    @abstractmethod
    def remove_graphs(self, graph_iris: Iterable[str]) -> int:
        """Remove each named graph and its bookkeeping; graphs not stored are ignored. Returns how many went.
        A reader sees each graph whole or gone (its bookkeeping goes first: a graph left without it after a
        crash is a graph `graph_info` does not know, which the next write of it repairs)."""

    def bulk_loader(self) -> BulkLoader | None:
        """A faster way to fill a store that holds nothing yet (store/bulk.py), or None: the store holds
        something, or the backend has no such path. Either way `replace_graphs` works."""
        return None

    @abstractmethod
    def load_file(self, graph_iri: str, path: Path) -> int:
        """Load an RDF file (format from its suffix) into a named graph, replacing it. Returns triples."""

    @abstractmethod
    def dump(self, path: Path) -> int:
        """Write every named graph to `path`, format from the suffix: the data, without the store's bookkeeping
        (etags and dates, `graph_info`). Returns quads."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and connections."""


def open_store(location: str | Path | None = None, *, remote: str | None = None, read_only: bool = False,
               **options: object) -> Store:
    """The one place a backend is chosen: `remote` (a SPARQL endpoint URL) wins over `location`."""
    if remote:
        from store.remote import RemoteStore

        return RemoteStore(remote, **options)
    from store.embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only, **options)


def convert_rdf(data: bytes, source: str, target: str, prefixes: Mapping[str, str] | None = None) -> bytes:
    """RDF bytes re-serialised from one media type to another (by pyoxigraph, ~35x faster than rdflib at
    Turtle): the server writes a description made of several query results as one document."""
    from store.embedded import convert_rdf as convert

    return convert(data, source, target, prefixes)
