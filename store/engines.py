"""What differs between SPARQL engines, as data: one `Engine` record per engine, one table, one lookup.

The remote store (store/remote.py) speaks SPARQL 1.1 and the Graph Store Protocol to any engine; what it must
know of a particular one is here, not in `if` statements spread over the code:
- where the update and Graph Store endpoints are, relative to the SPARQL (query) URL a user gives;
- how writes authenticate (`oxigraph serve` has no authentication of its own, so credentials, when given, go
  as HTTP Basic to whatever proxy stands in front of it; Virtuoso's `-auth` endpoints challenge with Digest);
- how a user's query is given the union default graph without the store's bookkeeping (Oxigraph: a request
  parameter; Virtuoso: its default graph is already every graph, and `define input:default-graph-exclude`
  takes the bookkeeping and Virtuoso's own system graphs out of it);
- how the query time limit reaches the engine (Virtuoso's `timeout` parameter, in milliseconds: it stops the
  query and answers 200 with a partial result flagged by `X-SQL-State`, which must be read as a timeout);
- whether the engine has a default graph of its own (Virtuoso has none: a dump must not add it again).

Measured on Virtuoso 7.2.5 (Debian): `GRAPH ?g { }` yields one empty row instead of the graph names, so the
graph names are listed with a triple pattern; a fresh database holds three system graphs (below); and with any
`define input:*-graph-exclude` a `GRAPH <iri> { … }` with a constant IRI matches nothing (`GRAPH ?g` is right),
so the exclusions are left out of a query that names a graph (or its own dataset with FROM): such a query's
default graph then also holds the bookkeeping and system graphs, as on the embedded store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The graphs a fresh Virtuoso 7.2 database holds before anything is loaded: never the project's data.
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                          "http://localuriqaserver/sparql")
AUTH_KINDS = ("basic", "digest")
_NAMES_A_GRAPH = re.compile(r"(?i)(?<![\w:?$])(?:GRAPH\s*(?![\s?$])|FROM\b)")


@dataclass(frozen=True)
class Engine:
    """One engine's habits. Paths are relative to the server's root (scheme://host:port)."""

    name: str
    query_path: str  # what the SPARQL URL given to --endpoint/--remote ends with, e.g. "/sparql"
    update_path: str | None  # None: the query URL itself takes updates
    graph_store_path: str | None  # None: no Graph Store Protocol; graphs are written by SPARQL Update
    auth: str  # how writes authenticate: "basic" or "digest"
    union_parameter: str | None = None  # request parameter asking for the union default graph
    hidden_graphs: tuple[str, ...] = ()  # the engine's own graphs, out of every query's dataset
    exclude_pragma: str | None = None  # "define input:{kind}-graph-exclude <{iri}>" style, {kind} default|named
    timeout_parameter: str | None = None  # request parameter carrying the query time limit
    timeout_unit: float = 1.0  # its unit, in seconds (Virtuoso: milliseconds)
    timeout_share: float = 1.0  # the part of our limit the engine is given, so that its answer comes in time
    partial_result_header: str | None = None  # a 200 answer with this header was cut short (a timeout)
    own_default_graph: bool = True  # a default graph apart from the named graphs (dumps include it)
    named_graphs_query: str = "named-graphs.rq"  # queries/store/ file listing the graph names
    pragma_keyword: str | None = None  # a user's query must not hold the engine's own pragmas

    def pragmas(self, code: str, *, user_query: bool, meta_graph: str) -> str:
        """The engine-specific lines before a query (`code`: its text with strings and IRIs blanked): the system
        graphs out of the dataset, and for a user's query also the bookkeeping graph out of the union default
        graph; nothing for a query that names a graph or has FROM (see the module docstring)."""
        if not self.exclude_pragma or _NAMES_A_GRAPH.search(code):
            return ""
        default = [*self.hidden_graphs, *([meta_graph] if user_query else [])]
        lines = [self.exclude_pragma.format(kind="default", iri=iri) for iri in default]
        lines += [self.exclude_pragma.format(kind="named", iri=iri) for iri in self.hidden_graphs]
        return "".join(line + "\n" for line in lines)

    def timeout_parameters(self, seconds: float) -> dict[str, list[str]]:
        """The request parameter that makes the engine itself stop the query at the time limit."""
        if not self.timeout_parameter:
            return {}
        return {self.timeout_parameter: [str(max(1, round(seconds * self.timeout_share / self.timeout_unit)))]}


ENGINES: dict[str, Engine] = {
    "oxigraph": Engine("oxigraph", query_path="/query", update_path="/update", graph_store_path="/store",
                       auth="basic", union_parameter="union-default-graph"),
    "virtuoso": Engine("virtuoso", query_path="/sparql", update_path="/sparql-auth",
                       graph_store_path="/sparql-graph-crud-auth", auth="digest",
                       hidden_graphs=VIRTUOSO_SYSTEM_GRAPHS, exclude_pragma="define input:{kind}-graph-exclude <{iri}>",
                       # measured on 7.2.5: told 500 / 1,000 / 2,000 ms, it sent its cut-short answer after 2 / 2 /
                       # 4 s (twice the limit, at least 2 s): given 40% of ours, its answer comes before our deadline
                       timeout_parameter="timeout", timeout_unit=0.001, timeout_share=0.4,
                       partial_result_header="X-SQL-State",
                       own_default_graph=False, named_graphs_query="named-graphs-by-pattern.rq",
                       pragma_keyword="define"),
    # Any SPARQL 1.1 store: updates to the query URL unless told otherwise, no Graph Store unless given.
    "generic": Engine("generic", query_path="", update_path=None, graph_store_path=None, auth="basic"),
}


def engine(name: str) -> Engine:
    """The profile called `name`; a clear error listing the known ones otherwise."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown SPARQL engine {name!r}; known: {', '.join(ENGINES)}") from None


def guess_engine(query_endpoint: str) -> Engine:
    """Without --engine: an oxigraph-style `/query` URL is `oxigraph serve`, anything else is generic (a guess
    of Virtuoso from `/sparql` would be wrong for Fuseki's `/ds/sparql`)."""
    return ENGINES["oxigraph"] if query_endpoint.rstrip("/").endswith("/query") else ENGINES["generic"]


@dataclass(frozen=True)
class Endpoints:
    """The three URLs the remote store uses."""

    query: str
    update: str
    graph_store: str | None


def endpoints(profile: Engine, query_endpoint: str, *, update: str | None = None,
              graph_store: str | None = None) -> Endpoints:
    """The update and Graph Store URLs that follow from the SPARQL URL by the engine's paths; each explicit
    argument wins. A SPARQL URL that does not end with the engine's query path keeps its own update/GSP only
    when given (the paths cannot be derived then)."""
    url = query_endpoint.rstrip("/")
    root = url[: -len(profile.query_path)] if profile.query_path and url.endswith(profile.query_path) else None
    derived_update = f"{root}{profile.update_path}" if root is not None and profile.update_path else query_endpoint
    derived_store = f"{root}{profile.graph_store_path}" if root is not None and profile.graph_store_path else None
    return Endpoints(query_endpoint, update or derived_update, graph_store or derived_store)
