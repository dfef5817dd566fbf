"""The remote backend: any SPARQL 1.1 store, read with SPARQLWrapper, written with the Graph Store Protocol.

Why it is shaped this way:
- Writes go graph by graph with a Graph Store Protocol PUT (the server replaces the graph in one transaction),
  or, for a store without a GSP endpoint, one SPARQL update per graph (DROP + INSERT DATA, also atomic). The
  metadata graph is kept as the embedded store keeps it (store/meta.py), through SPARQL Update. Data lines are
  checked against the N-Triples grammar before they are sent, so that nothing but triples can reach an update.
- Reads use SPARQLWrapper over POST (long VALUES blocks do not fit in a URL); its guess of the query type is
  overridden by our own (it searches the text for keywords and could send a SELECT to the update endpoint).
- Users' queries get the same refusal rules as the embedded store (store/safety.py) and the same row cap,
  applied while reading the answer: the rows come as SPARQL JSON (or the triples as N-Triples), parsed
  incrementally, and the connection is closed as soon as one row more than the cap has arrived; the result is
  then written in the negotiated format by the same writers as the embedded store. The timeout is enforced
  on the client side (socket timeout plus a deadline between reads); the store may keep computing after we
  hang up: start `oxigraph serve` with `--timeout-s` for a server-side limit too.
- The store being unreachable, failing or overloaded is a StoreError (the server answers 503 + Retry-After).

Endpoints and habits come from the engine's profile (store/engines.py): `oxigraph serve` (`/query`, `/update`,
`/store`, the `union-default-graph` parameter), Virtuoso (`/sparql`, `/sparql-auth`, `/sparql-graph-crud-auth` with
Digest, `define input:default-graph-exclude`, the `timeout` parameter), or any other store with its URLs given
(Fuseki: `/ds/query`, `/ds/update`, `/ds/data`).
- Writes (and only writes) carry credentials (store/credentials.py), through one `requests` session: with Digest
  the first request is a bodiless probe, so that the session answers the challenge once and sends the graphs
  with the Authorization header already set (Virtuoso closes the connection on a 401 while a large body is still
  being sent). A store opened to be read has no credentials at all.
- What was written is counted (`progress`), so that a push the store broke off can say how far it came; a
  second push skips the graphs already there (their stored etag is the one sent).
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import gzip
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import requests
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.util import guess_format
from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from store import (
    META_GRAPH,
    GraphDataError,
    GraphInfo,
    QueryRejected,
    QueryResponse,
    QueryTimeout,
    Row,
    Store,
    StoreError,
    formats,
    meta,
    queries,
    results,
    safety,
)
from store.credentials import Credentials, StoreAuthError
from store.engines import Engine, endpoints, engine, guess_engine

WRITE_BATCH = 200  # graphs per metadata lookup and per metadata update
READ_CHUNK = 64 * 1024
USER_AGENT = "senate-kg (SPARQLWrapper)"
DUMP_FORMATS = {".nq": "application/n-quads", ".nt": "application/n-triples", ".ttl": "text/turtle",
                ".trig": "application/trig", ".jsonld": "application/ld+json"}
WRAPPER_TYPES = {"bindings": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT", None: "SELECT"}

# One N-Triples triple per line (RDF 1.1 N-Triples grammar, comments allowed at the end).
_IRI = r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"
_BNODE = r"_:[^\s<>\"{}|^`\\.]+(?:\.+[^\s<>\"{}|^`\\.]+)*"
_LITERAL = (r"\"(?:[^\"\\\n\r]|\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*\""
            rf"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^{_IRI})?")
_TRIPLE_LINE = re.compile(rf"^[ \t]*(?:{_IRI}|{_BNODE})[ \t]*{_IRI}[ \t]*(?:{_IRI}|{_BNODE}|{_LITERAL})[ \t]*\.[ \t]*"
                          r"(?:#.*)?$")
_CHARSET = re.compile(r"charset=([\w.\-]+)", re.IGNORECASE)
_BINDINGS_START = re.compile(r'"bindings"\s*:\s*\[')
_VARS = re.compile(r'"vars"\s*:\s*(\[[^\]]*\])')
_LINE_NUMBER = re.compile(r"(\bline )(\d+):")
_LEADING_ABSOLUTE_BASE = re.compile(r"^\s*BASE\s*<[A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]*>", re.IGNORECASE)


@dataclass
class Progress:
    """How far the writes of this store object came: graphs sent, graphs left as they were, the last sent."""

    written: int = 0
    unchanged: int = 0
    last: str | None = None


class RemoteStore(Store):
    """A SPARQL 1.1 store over HTTP: `query_endpoint` for reads; writes to `graph_store` (Graph Store
    Protocol) and `update_endpoint` (SPARQL Update), derived from the query URL by the engine's profile
    (store/engines.py; without `engine`, guessed from the URL) when not given."""

    def __init__(self, query_endpoint: str, update_endpoint: str | None = None, graph_store: str | None = None,
                 timeout: float = 30.0, max_rows: int = 10_000, union_default_graph: bool = True,
                 union_parameter: str | None = None, engine: str | Engine | None = None,
                 credentials: Credentials | None = None) -> None:
        if not re.match(r"^https?://[^/\s@]+(?:/|$)", query_endpoint or ""):
            raise ValueError(f"the SPARQL endpoint must be an http(s) URL without user or password, got "
                             f"{_without_userinfo(query_endpoint)!r}")
        self.engine = _profile(engine, query_endpoint)
        urls = endpoints(self.engine, query_endpoint, update=update_endpoint, graph_store=graph_store)
        self.query_endpoint, self.update_endpoint, self.graph_store = urls.query, urls.update, urls.graph_store
        self.timeout = timeout
        self.max_rows = max_rows
        self.union_default_graph = union_default_graph
        self.union_parameter = union_parameter or self.engine.union_parameter
        self.progress = Progress()
        self._credentials = credentials
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.query_endpoint!r}, engine={self.engine.name!r})"

    @property
    def can_write_with_credentials(self) -> bool:
        """Whether this store object holds write credentials (a served, read-only store never does)."""
        return self._credentials is not None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # ---------------------------------------------------------------- HTTP plumbing
    def _send_query(self, sparql: str, accept: str, *, form: str | None, timeout: float,
                    parameters: Mapping[str, list[str]] | None = None,
                    user_query: bool = False) -> http.client.HTTPResponse:
        """POST a query through SPARQLWrapper; the open response (the caller reads it) or a mapped error. The
        engine's pragmas go first, its time-limit parameter along (so that the engine stops the query too)."""
        text = sparql
        if self.engine.exclude_pragma:
            sparql = self.engine.pragmas(safety.scan(text).code, user_query=user_query, meta_graph=META_GRAPH) + text
        parameters = {**(parameters or {}), **self.engine.timeout_parameters(timeout)}
        try:
            response = self._post_query(sparql, accept, form=form, timeout=timeout, parameters=parameters)
        except QueryRejected as exc:
            raise QueryRejected(_as_the_user_wrote_it(str(exc), sparql[: len(sparql) - len(text)])) from exc
        self._refuse_partial(response, timeout)
        return response

    def _refuse_partial(self, response: http.client.HTTPResponse, timeout: float) -> None:
        """An engine that answers 200 with a result cut short (Virtuoso's `X-SQL-State`) has not answered."""
        header = self.engine.partial_result_header
        state = response.headers.get(header) if header else None
        if not state:
            return
        message = response.headers.get("X-SQL-Message", "")[:300]
        response.close()
        if state.upper().startswith("S1T"):
            raise QueryTimeout(f"the store at {self.query_endpoint} stopped the query at the time limit "
                               f"({timeout:g} s): {message}")
        raise StoreError(f"the store at {self.query_endpoint} answered with an incomplete result ({state}): "
                         f"{message}")

    def _post_query(self, sparql: str, accept: str, *, form: str | None, timeout: float,
                    parameters: Mapping[str, list[str]]) -> http.client.HTTPResponse:
        wrapper = SPARQLWrapper(self.query_endpoint, agent=USER_AGENT)
        wrapper.setOnlyConneg(True)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setTimeout(max(timeout, 0.001))
        wrapper.setReturnFormat(JSON)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # its keyword search warns on BASE, comments...
            wrapper.setQuery(sparql)
        wrapper.queryType = WRAPPER_TYPES[form]  # ours, not its guess: never routed as an update
        wrapper.addCustomHttpHeader("Accept", accept)
        for name, values in parameters.items():
            for value in values:
                wrapper.addParameter(name, value)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # about the Accept it computes, then we override
                return wrapper.query().response
        except SPARQLWrapperException as exc:
            raise _wrapper_error(exc, self.query_endpoint) from exc
        except urllib.error.HTTPError as exc:
            raise _http_error(exc, self.query_endpoint) from exc
        except TimeoutError as exc:
            raise QueryTimeout(f"the store at {self.query_endpoint} did not answer within {timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise QueryTimeout(f"the store at {self.query_endpoint} did not answer within {timeout:g} s") \
                    from exc
            raise StoreError(f"the store at {self.query_endpoint} is unreachable: {exc.reason}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise StoreError(f"the store at {self.query_endpoint} failed: {exc}") from exc

    def _http(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None,
              accept: str | None = None) -> bytes:
        """One write request through the session (credentials attached); errors mapped to StoreError,
        StoreAuthError (401/403) and GraphDataError (the store refused the data)."""
        headers = {"User-Agent": USER_AGENT, **({"Content-Type": content_type} if content_type else {}),
                   **({"Accept": accept} if accept else {})}
        try:
            response = self._write_session().request(method, url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StoreError(f"{method} {_without_query(url)}: the store is unreachable: {_reason(exc)}") from exc
        return self._checked(method, url, response)

    def _checked(self, method: str, url: str, response: requests.Response) -> bytes:
        where = f"{method} {_without_query(url)}"
        if response.status_code in (401, 403):
            who = f"user {self._credentials.user!r}" if self._credentials else "no credentials"
            raise StoreAuthError(f"{where}: the store refused the write ({response.status_code}, {who})")
        if response.status_code >= 400:
            detail = _error_text(response.content)
            if response.status_code < 500 and response.status_code not in (404, 408, 429):
                raise GraphDataError(f"{where}: the store refused the data ({response.status_code}): {detail}")
            raise StoreError(f"{where}: the store answered {response.status_code}: {detail}")
        return response.content

    def _write_session(self) -> requests.Session:
        """The session for writes, made on the first one. With Digest, a bodiless probe of the update endpoint
        first: the session learns the challenge, every later request is sent already authorised."""
        if self._session is not None:
            return self._session
        session = requests.Session()
        if self._credentials is not None:
            auth_class = requests.auth.HTTPDigestAuth if self.engine.auth == "digest" else requests.auth.HTTPBasicAuth
            session.auth = auth_class(self._credentials.user, self._credentials.password)
        self._session = session
        if self._credentials is not None and self.engine.auth == "digest":
            self._probe(session)
        return session

    def _probe(self, session: requests.Session) -> None:
        url = self.update_endpoint
        try:
            response = session.get(url, params={"query": "ASK {}"}, headers={"User-Agent": USER_AGENT},
                                   timeout=self.timeout)
        except requests.RequestException as exc:
            self._session = None
            raise StoreError(f"GET {url}: the store is unreachable: {_reason(exc)}") from exc
        if response.status_code in (401, 403):
            self._session = None
        self._checked("GET", url, response)

    def check_write_access(self) -> None:
        """Fail early, before anything is sent, when the store refuses these credentials (Digest engines);
        with Basic the first write tells."""
        self._write_session()

    def _update(self, text: str) -> None:
        self._http("POST", self.update_endpoint, text.encode("utf-8"), "application/sparql-update; charset=utf-8")

    # ---------------------------------------------------------------- the project's queries
    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        text = _bound(sparql, bindings)
        with self._send_query(text, formats.SPARQL_JSON.media_type, form="bindings", timeout=self.timeout) as resp:
            payload = _read_json(resp, self.query_endpoint)
        if "results" not in payload:
            raise QueryRejected("select() needs a SELECT query")
        return [{name: _to_rdflib(results.parse_json_term(term)) for name, term in row.items()}
                for row in payload["results"].get("bindings", [])]

    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None,
                  media_type: str = "application/n-triples", prefixes: Mapping[str, str] | None = None) -> bytes:
        wanted = formats.result_format("graph", media_type)
        if wanted.media_type != media_type.split(";")[0].strip().lower():
            raise ValueError(f"construct(): cannot write a graph as {media_type!r}")
        text = _bound(sparql, bindings)
        ask_for = wanted.media_type if not prefixes or wanted.name == "ntriples" else formats.NTRIPLES.media_type
        with self._send_query(text, ask_for, form="graph", timeout=self.timeout) as resp:
            received = _media_type(resp)
            body = _read_all(resp, time.monotonic() + self.timeout, self.query_endpoint)
        if received == wanted.media_type and not (prefixes and wanted.name != "ntriples"):
            return body
        return _convert_graph(body, received, wanted, prefixes)

    # ---------------------------------------------------------------- users' queries
    def query(self, sparql: str, accept: str, *, default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, timeout: float | None = None, max_rows: int | None = None,
              allow_service: bool = False, base_iri: str | None = None) -> QueryResponse:
        safety.check_user_query(sparql, allow_service=allow_service)
        default_graphs = safety.check_graph_iris("default-graph-uri", default_graphs)
        named_graphs = safety.check_graph_iris("named-graph-uri", named_graphs)
        limit = self.max_rows if max_rows is None else max_rows
        seconds = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + seconds
        form = safety.query_form(sparql)
        if base_iri:
            if not re.fullmatch(r"[^<>\"{}|^`\\\x00-\x20]+", base_iri):
                raise QueryRejected(f"base IRI {base_iri!r} is not an IRI")
            if not _LEADING_ABSOLUTE_BASE.match(sparql):  # its own BASE wins anyway; Virtuoso refuses two
                sparql = f"BASE <{base_iri}>\n{sparql}"
        self._refuse_pragmas(sparql)
        parameters: dict[str, list[str]] = {}
        given_dataset = default_graphs is not None or named_graphs is not None
        if given_dataset:
            parameters = {"default-graph-uri": default_graphs or [], "named-graph-uri": named_graphs or []}
        elif self.union_default_graph and self.union_parameter:
            parameters = {self.union_parameter: ["true"]}
        asked = {"graph": "application/n-triples", None: "application/sparql-results+json, application/n-triples;q=0.9"}
        with self._send_query(sparql, asked.get(form, formats.SPARQL_JSON.media_type), form=form, timeout=seconds,
                              parameters=parameters, user_query=not given_dataset) as resp:
            received = _media_type(resp)
            if received in ("application/n-triples", "text/plain"):
                lines, truncated = _read_lines(resp, limit, deadline, self.query_endpoint)
                wanted = formats.result_format("graph", accept)
                body = ("\n".join(lines) + "\n").encode() if lines else b""
                if wanted.name != "ntriples":
                    body = _convert_graph(body, "application/n-triples", wanted,
                                          safety.declared_prefixes(sparql) or None)
                return QueryResponse(body, wanted.media_type, "graph", truncated)
            boolean, variables, rows, truncated = _read_results(resp, limit, deadline, self.query_endpoint)
        if boolean is not None:
            wanted = formats.result_format("boolean", accept)
            return QueryResponse(results.write_boolean(wanted.name, boolean), wanted.media_type, "boolean")
        wanted = formats.result_format("bindings", accept)
        return QueryResponse(results.write_bindings(wanted.name, variables, rows), wanted.media_type, "bindings",
                             truncated)

    def _refuse_pragmas(self, sparql: str) -> None:
        """An engine's own pragmas in a user's query would switch off what the endpoint promises (Virtuoso's
        `define get:soft` makes the engine fetch URLs, `define input:*` changes the dataset)."""
        keyword = self.engine.pragma_keyword
        if keyword and re.search(rf"(?i)(?<![\w:?$]){keyword}\b", safety.scan(sparql).code):
            raise QueryRejected(f"{keyword} (a {self.engine.name} pragma) is not accepted on this endpoint")

    # ---------------------------------------------------------------- metadata and graph names
    def _meta_of(self, graphs: list[str]) -> dict[str, GraphInfo]:
        if not graphs:
            return {}
        text = safety.bind_rows(queries.text("graph-meta.rq"), ["g", "meta"],
                                [[URIRef(g), URIRef(META_GRAPH)] for g in graphs])
        found: dict[str, GraphInfo] = {}
        for row in self.select(text):
            info = meta.graph_info(str(row["g"]), str(row.get("etag", "")), str(row.get("modified", "")))
            if info is not None:
                found[info.iri] = info
        return found

    def graph_infos(self, graph_iris: Iterable[str]) -> dict[str, GraphInfo]:
        wanted = [iri for iri in dict.fromkeys(graph_iris) if safety.is_absolute_iri(iri)]
        found: dict[str, GraphInfo] = {}
        for start in range(0, len(wanted), 500):
            found.update(self._meta_of(wanted[start:start + 500]))
        return found

    def graph_info(self, graph_iri: str) -> GraphInfo | None:
        if not safety.is_absolute_iri(graph_iri):
            return None
        return self._meta_of([graph_iri]).get(graph_iri)

    def named_graphs(self) -> Iterator[str]:
        rows = self.select(queries.text(self.engine.named_graphs_query))
        hidden = {META_GRAPH, *self.engine.hidden_graphs}
        return (str(row["g"]) for row in rows if isinstance(row.get("g"), URIRef) and str(row["g"]) not in hidden)

    # ---------------------------------------------------------------- writing
    def replace_graphs(self, graphs: Iterable[tuple[str, bytes]]) -> int:
        changed = 0
        meta_graph: list[str] | None = None
        iterator = iter(graphs)
        while batch := list(islice(iterator, WRITE_BATCH)):
            prepared: dict[str, list[str]] = {}
            for iri, data in batch:
                if iri == META_GRAPH:
                    meta_graph = _checked_lines(iri, data)
                else:
                    prepared[iri] = _checked_lines(iri, data)
            changed += self._write_batch(prepared)
        if meta_graph is not None:
            self._put(META_GRAPH, meta_graph)
        return changed

    def _write_batch(self, prepared: Mapping[str, list[str]]) -> int:
        stored = self._meta_of(list(prepared))
        when = meta.now()
        written: list[tuple[str, str]] = []
        for iri, lines in prepared.items():
            etag = meta.content_etag(lines)
            info = stored.get(iri)
            if info is not None and info.etag == etag:
                continue
            self._put(iri, lines)
            written.append((iri, etag))
            self.progress.written += 1
            self.progress.last = iri
        self.progress.unchanged += len(prepared) - len(written)
        if written:
            delete = queries.template("delete-meta-of.ru")
            deletes = "\n".join(delete.substitute(meta=f"<{META_GRAPH}>", meta_subject=f"<{meta.subject(iri)}>")
                                .strip() for iri, _ in written)
            meta_lines = [line for iri, etag in written for line in meta.meta_ntriples(iri, etag, when)]
            self._update(queries.template("update-meta.ru").substitute(
                deletes=deletes, meta=f"<{META_GRAPH}>", meta_triples="\n".join(meta_lines)))
        return len(written)

    def remove_graphs(self, graph_iris: Iterable[str]) -> int:
        """Bookkeeping first, then the graph: a DROP per graph (a Graph Store DELETE would need one request
        each as well)."""
        present = list(self.graph_infos(graph_iris))  # stored graphs, their IRIs checked (safety.is_absolute_iri)
        delete = queries.template("delete-meta-of.ru")
        for iri in present:
            self._update(delete.substitute(meta=f"<{META_GRAPH}>", meta_subject=f"<{meta.subject(iri)}>")
                         .rstrip().rstrip(";"))
            self._update(f"DROP SILENT GRAPH <{iri}>")
        return len(present)

    def _put(self, iri: str, lines: list[str]) -> None:
        """Replace one graph atomically: GSP PUT, or one SPARQL update when no Graph Store endpoint is known."""
        body = "\n".join(lines) + "\n" if lines else ""
        if self.graph_store:
            url = f"{self.graph_store}?{urllib.parse.urlencode({'graph': iri})}"
            self._http("PUT", url, body.encode("utf-8"), "application/n-triples")
        else:
            self._update(queries.template("put-graph.ru").substitute(graph=f"<{iri}>", triples=body))

    def load_file(self, graph_iri: str, path: Path) -> int:
        path = Path(path)
        graph = _read_rdf_file(path)
        data = graph.serialize(format="nt", encoding="utf-8")
        self.replace_graphs([(graph_iri, data)])
        return len(graph)

    def dump(self, path: Path) -> int:
        path = Path(path)
        compressed = path.suffix == ".gz"
        suffix = (Path(path.stem).suffix if compressed else path.suffix).lower()
        if suffix not in DUMP_FORMATS:
            raise GraphDataError(f"{path}: cannot tell the format from the suffix {suffix!r}; use one of "
                                 f"{', '.join(sorted(DUMP_FORMATS))} (optionally followed by .gz)")
        quads = list(self._all_quads())
        data = ("\n".join(quads) + "\n").encode() if quads else b""
        if suffix != ".nq":
            from store.embedded import convert_rdf

            data = convert_rdf(data, "application/n-quads", DUMP_FORMATS[suffix])
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.partial")
        temporary.write_bytes(gzip.compress(data, mtime=0) if compressed else data)
        temporary.replace(path)
        return len(quads)

    def _all_quads(self) -> Iterator[str]:
        """N-Quads lines of every named graph and of the default graph: the data, not the bookkeeping (a dump is
        published; the embedded store's dumps have none either)."""
        graph_query = queries.text("graph-triples.rq")
        for iri in self.named_graphs():
            body = self.construct(graph_query, {"g": URIRef(iri)})
            for line in meta.ntriples_lines(body):
                yield f"{line.rstrip()[:-1].rstrip()} <{iri}> ."
        if self.engine.own_default_graph:  # Virtuoso's default graph is every graph: written above already
            yield from meta.ntriples_lines(self.construct(queries.text("default-graph.rq")))


# ---------------------------------------------------------------- helpers
def _profile(chosen: str | Engine | None, query_endpoint: str) -> Engine:
    if isinstance(chosen, Engine):
        return chosen
    return engine(chosen) if chosen else guess_engine(query_endpoint)


def _without_userinfo(url: str | None) -> str:
    """A URL fit for a message: any `user:password@` replaced (it must never reach a log)."""
    return re.sub(r"^(\w+://)[^/@\s]*@", r"\1***@", url or "")


def _as_the_user_wrote_it(message: str, pragmas: str) -> str:
    """An engine's error about the query as the user wrote it: without the echo of the whole text (Virtuoso's
    "SPARQL query:" part) and with line numbers counted from the user's first line, not from our pragmas."""
    message = message.split("\n\nSPARQL query:", 1)[0].strip()
    shift = pragmas.count("\n")
    if not shift:
        return message
    return _LINE_NUMBER.sub(lambda m: f"{m.group(1)}{max(1, int(m.group(2)) - shift)}:", message)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause, short (requests nests urllib3's errors three deep)."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    return f"{type(cause).__name__}: {cause}"[:300]


def _bound(sparql: str, bindings: Mapping[str, Node] | None) -> str:
    try:
        return safety.bind_values(sparql, bindings)
    except ValueError as exc:
        raise QueryRejected(f"cannot bind {dict(bindings or {})!r}: {exc}") from exc


def _checked_lines(iri: str, data: bytes) -> list[str]:
    """The graph's triples as N-Triples lines, each checked against the N-Triples grammar."""
    if not safety.is_absolute_iri(iri):
        raise GraphDataError(f"graph {iri!r}: not a valid IRI")
    try:
        lines = meta.ntriples_lines(data)
    except UnicodeDecodeError as exc:
        raise GraphDataError(f"graph <{iri}>: not UTF-8: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not _TRIPLE_LINE.match(line):
            raise GraphDataError(f"graph <{iri}>: triple {number} is not an N-Triples triple: {line[:200]!r}")
    return [line.strip() for line in lines]


def _to_rdflib(term: dict) -> Node:
    kind = term["type"]
    if kind == "uri":
        return URIRef(term["value"])
    if kind == "bnode":
        return BNode(term["value"])
    if kind == "literal":
        if "xml:lang" in term:
            return Literal(term["value"], lang=term["xml:lang"])
        datatype = term.get("datatype")
        return Literal(term["value"], datatype=URIRef(datatype) if datatype else None)
    return Literal(json.dumps(term["value"]))


def _media_type(response: http.client.HTTPResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _chunks(response: http.client.HTTPResponse, deadline: float, endpoint: str) -> Iterator[bytes]:
    """The body as it arrives; QueryTimeout past the deadline (checked between reads)."""
    while True:
        if time.monotonic() > deadline:
            raise QueryTimeout(f"the store at {endpoint} was still sending the result at the time limit")
        try:
            chunk = response.read1(READ_CHUNK)
        except TimeoutError as exc:
            raise QueryTimeout(f"the store at {endpoint} stopped sending the result") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise StoreError(f"the store at {endpoint} broke off the result: {exc}") from exc
        if not chunk:
            return
        yield chunk


def _read_all(response: http.client.HTTPResponse, deadline: float, endpoint: str) -> bytes:
    return b"".join(_chunks(response, deadline, endpoint))


def _read_json(response: http.client.HTTPResponse, endpoint: str) -> dict:
    body = _read_all(response, time.monotonic() + 3600, endpoint)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise StoreError(f"the store at {endpoint} sent malformed SPARQL JSON: {exc}") from exc


def _read_lines(response: http.client.HTTPResponse, limit: int, deadline: float,
                endpoint: str) -> tuple[list[str], bool]:
    """At most `limit` N-Triples lines, and whether there were more (then the rest is not read)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending, lines = "", []
    for chunk in _chunks(response, deadline, endpoint):
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        lines += [line for line in complete if line.strip() and not line.lstrip().startswith("#")]
        if len(lines) > limit:
            return lines[:limit], True
    if pending.strip():
        lines.append(pending)
    return lines[:limit], len(lines) > limit


def _read_results(response: http.client.HTTPResponse, limit: int, deadline: float,
                  endpoint: str) -> tuple[bool | None, list[str], list[dict], bool]:
    """(boolean, variables, rows, truncated) from SPARQL JSON, reading rows one by one and stopping after the
    cap: a result of millions of rows costs no more than `limit` of them."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    json_decoder = json.JSONDecoder()
    chunks = _chunks(response, deadline, endpoint)
    text, start = "", None
    for chunk in chunks:
        text += decoder.decode(chunk)
        match = _BINDINGS_START.search(text)
        if match:
            start = match.end()
            break
    if start is None:  # an ASK result, or an empty/odd document: small, parse it whole
        payload = _loads(text, endpoint)
        if "boolean" in payload:
            return bool(payload["boolean"]), [], [], False
        variables = list(payload.get("head", {}).get("vars", []))
        rows = payload.get("results", {}).get("bindings", [])
        return None, variables, [_row(r) for r in rows[:limit]], len(rows) > limit
    rows: list[dict] = []
    position, exhausted = start, False
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position < len(text) and text[position] == "]":
            break
        try:
            row, position = json_decoder.raw_decode(text, position)
            rows.append(_row(row))
            if len(rows) > limit:
                break
            continue
        except ValueError:
            if exhausted:
                raise StoreError(f"the store at {endpoint} sent malformed SPARQL JSON") from None
        chunk = next(chunks, None)
        if chunk is None:
            exhausted = True
        else:
            text += decoder.decode(chunk)
    truncated = len(rows) > limit
    if not truncated:
        text += "".join(decoder.decode(c) for c in chunks)  # the small tail: "]}}" and maybe "head"
    found = _VARS.search(text)
    variables = json.loads(found.group(1)) if found else list(dict.fromkeys(k for r in rows for k in r))
    return None, variables, rows[:limit], truncated


def _row(row: dict) -> dict:
    return {name: results.parse_json_term(term) for name, term in row.items()}


def _loads(text: str, endpoint: str) -> dict:
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"the store at {endpoint} sent malformed SPARQL JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise StoreError(f"the store at {endpoint} sent SPARQL JSON that is not an object")
    return payload


def _convert_graph(body: bytes, received: str, wanted: formats.ResultFormat,
                   prefixes: Mapping[str, str] | None) -> bytes:
    """Re-serialise a graph (another format than the store sent, or with our prefixes), by pyoxigraph through
    the embedded backend's converter: faithful to lexical forms and fast."""
    from store.embedded import convert_rdf

    source = formats.BY_MEDIA_TYPE.get(received, formats.NTRIPLES).media_type
    try:
        return convert_rdf(body, source, wanted.media_type, prefixes)
    except GraphDataError as exc:
        raise StoreError(f"the store sent a graph that could not be read: {exc}") from exc


def _read_rdf_file(path: Path) -> Graph:
    compressed = path.suffix == ".gz"
    inner = Path(path.stem) if compressed else path
    rdf_format = guess_format(str(inner)) or ("nt" if inner.suffix == ".nt" else None)
    if rdf_format is None or rdf_format in ("nquads", "trig"):
        raise GraphDataError(f"{path}: cannot tell the RDF format of one graph from the suffix {inner.suffix!r}; "
                             "use .nt, .ttl, .rdf, .owl, .jsonld, .n3 (optionally followed by .gz)")
    try:
        data = path.read_bytes()
        data = gzip.decompress(data) if compressed else data
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise GraphDataError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    graph = Graph()
    try:
        graph.parse(data=data, format=rdf_format, publicID=path.resolve().as_uri())
    except Exception as exc:  # noqa: BLE001 - rdflib's parsers raise many types
        raise GraphDataError(f"{path}: not valid {rdf_format}: {exc}") from exc
    return graph


def _error_text(body: bytes | None) -> str:
    text = (body or b"").decode("utf-8", "replace").strip()
    return text[:1000] or "(no message)"


def _wrapper_error(exc: SPARQLWrapperException, endpoint: str) -> Exception:
    """SPARQLWrapper keeps the store's message only as the repr of the body inside its own text: recover it."""
    text, marker = str(exc), "Response:\n"
    detail = text
    if marker in text:
        with contextlib.suppress(ValueError, SyntaxError):
            detail = _error_text(ast.literal_eval(text.split(marker, 1)[1]))
    if type(exc).__name__ == "QueryBadFormed":
        return QueryRejected(detail)
    return StoreError(f"the store at {endpoint} answered with an error ({type(exc).__name__}): {detail}")


def _http_error(exc: urllib.error.HTTPError, endpoint: str) -> Exception:
    detail = _error_text(exc.read())
    if exc.code in (400, 406, 415):
        return QueryRejected(detail)
    return StoreError(f"the store at {endpoint} answered {exc.code}: {detail}")
