"""Per-graph metadata kept in `store.META_GRAPH`, the same way by both backends.

For each stored graph `<g>`, a node `<urn:senate-kg:meta:g>` with `meta:graph <g>`, `meta:etag "…"` (a hash of
its N-Triples lines, sorted and de-duplicated, so the hash does not depend on the order a serialiser wrote them
in) and `meta:modified "…"^^xsd:dateTime` (UTC, when this content was first stored). A graph stored again with the
same content keeps both: building the same pages twice gives the same store, and HTTP validators stay valid
across rebuilds.

Why a node of its own rather than `<g>` itself: the graph's name is the question's IRI, and users' queries see
the union of all graphs; `<g> meta:etag …` would show up in every DESCRIBE of a question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable

from store import META_GRAPH, GraphInfo

META = "urn:senate-kg:meta#"
GRAPH = META + "graph"
ETAG = META + "etag"
MODIFIED = META + "modified"
SUBJECT_PREFIX = "urn:senate-kg:meta:"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
ETAG_CHARS = 32  # 128 bits of SHA-256: plenty to tell versions of one graph apart, short in headers


def canonical_lines(lines: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated, stripped, non-empty lines: the graph's canonical text for hashing."""
    return sorted({line.strip() for line in lines if line.strip()})


def content_etag(lines: Iterable[str]) -> str:
    """The etag of a graph given as N-Triples lines (one triple per line, as N-Triples requires)."""
    digest = hashlib.sha256("\n".join(canonical_lines(lines)).encode("utf-8"))
    return digest.hexdigest()[:ETAG_CHARS]


def ntriples_lines(data: bytes) -> list[str]:
    """Lines of N-Triples bytes (UTF-8; comments and blank lines dropped)."""
    text = data.decode("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def now() -> dt.datetime:
    """The time a new content is stored: UTC, to the second (HTTP dates have no finer resolution)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def subject(graph: str) -> str:
    """The IRI of the node that describes `graph` in the metadata graph."""
    return SUBJECT_PREFIX + graph


def meta_ntriples(graph: str, etag: str, modified: dt.datetime) -> list[str]:
    """The metadata triples of one graph, as N-Triples lines (the graph IRI is checked by the caller)."""
    node = f"<{subject(graph)}>"
    return [f"{node} <{GRAPH}> <{graph}> .",
            f'{node} <{ETAG}> "{etag}" .',
            f'{node} <{MODIFIED}> "{format_time(modified)}"^^<{XSD_DATETIME}> .']


def graph_info(graph: str, etag: str | None, modified: str | None) -> GraphInfo | None:
    """A GraphInfo from the two stored values, or None when either is missing or unreadable."""
    if not etag or not modified:
        return None
    try:
        return GraphInfo(graph, etag, parse_time(modified))
    except ValueError:
        return None


_META_LINE = re.compile(r'^<urn:senate-kg:meta:(?P<graph>[^>]*)> <urn:senate-kg:meta#(?P<key>etag|modified)> '
                        r'"(?P<value>[^"]*)"')


def rows_of(lines: Iterable[str]) -> list[tuple[str, str, dt.datetime]]:
    """(graph, etag, modified) from metadata N-Triples lines (`meta_ntriples`): what a copy from another store,
    or a dump, says of each graph. Incomplete or unreadable entries are left out."""
    values: dict[str, dict[str, str]] = {}
    for line in lines:
        if found := _META_LINE.match(line.strip()):
            values.setdefault(found["graph"], {})[found["key"]] = found["value"]
    rows = []
    for graph, entry in sorted(values.items()):
        info = graph_info(graph, entry.get("etag"), entry.get("modified"))
        if info is not None:
            rows.append((graph, info.etag, info.modified))
    return rows


__all__ = ["META_GRAPH", "GRAPH", "ETAG", "MODIFIED", "subject", "content_etag", "meta_ntriples", "graph_info",
           "now"]
