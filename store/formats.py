"""The media types a user query can be answered in: one table, one lookup (no pyoxigraph here).

`name` is the format's short name, used by both backends to pick a serialiser (pyoxigraph's `RdfFormat` /
results writers in store/results.py, or rdflib for the remote backend). Some media types are served with
the bytes of a simpler format they include: N-Triples is valid N-Quads and Turtle is valid TriG, so a client
that asks for a dataset format (Comunica asks for N-Quads first) gets the graph without a 406.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResultFormat:
    media_type: str  # what the Content-Type says
    name: str  # serialiser: json, xml, csv, tsv (results); turtle, ntriples, rdfxml, jsonld (graphs)
    forms: frozenset[str]  # query forms it can carry: bindings, boolean, graph
    rdflib_name: str = ""  # rdflib serialiser for graphs (remote backend)


RESULTS = frozenset({"bindings", "boolean"})
GRAPH = frozenset({"graph"})

SPARQL_JSON = ResultFormat("application/sparql-results+json", "json", RESULTS)
SPARQL_XML = ResultFormat("application/sparql-results+xml", "xml", RESULTS)
SPARQL_CSV = ResultFormat("text/csv", "csv", RESULTS)
SPARQL_TSV = ResultFormat("text/tab-separated-values", "tsv", RESULTS)
TURTLE = ResultFormat("text/turtle", "turtle", GRAPH, "turtle")
NTRIPLES = ResultFormat("application/n-triples", "ntriples", GRAPH, "nt")
RDFXML = ResultFormat("application/rdf+xml", "rdfxml", GRAPH, "xml")
JSONLD = ResultFormat("application/ld+json", "jsonld", GRAPH, "json-ld")
NQUADS = ResultFormat("application/n-quads", "ntriples", GRAPH, "nt")  # N-Triples bytes are N-Quads
TRIG = ResultFormat("application/trig", "turtle", GRAPH, "turtle")  # Turtle bytes are TriG

RESULT_FORMATS: tuple[ResultFormat, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
GRAPH_FORMATS: tuple[ResultFormat, ...] = (TURTLE, JSONLD, RDFXML, NTRIPLES, NQUADS, TRIG)
BY_MEDIA_TYPE = {f.media_type: f for f in (*RESULT_FORMATS, *GRAPH_FORMATS)}
DEFAULTS = {"bindings": SPARQL_JSON, "boolean": SPARQL_JSON, "graph": TURTLE}


def result_format(form: str, media_type: str) -> ResultFormat:
    """The format to answer a query of `form` asked for as `media_type` (parameters ignored); a type that
    cannot carry this form falls back to the form's default rather than failing after the query ran."""
    fmt = BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())
    if fmt is None or form not in fmt.forms:
        return DEFAULTS[form]
    return fmt


def content_type(fmt: ResultFormat) -> str:
    """The Content-Type header value: textual types say their charset."""
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type
