"""Content negotiation: one table of the RDF formats we serve, one lookup, q-values honoured (werkzeug).

Every blueprint that offers RDF uses `RDF_FORMATS` and `choose()`; nobody parses Accept headers by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, abort, make_response


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str  # URL suffix: /eli/dl/doc/WQ-5-8900.ttl
    rdflib_name: str  # rdflib serializer/parser name
    label: str


TURTLE = Format("text/turtle", "ttl", "turtle", "Turtle")
JSONLD = Format("application/ld+json", "jsonld", "json-ld", "JSON-LD")
RDFXML = Format("application/rdf+xml", "rdf", "xml", "RDF/XML")
NTRIPLES = Format("application/n-triples", "nt", "nt", "N-Triples")
HTML = Format("text/html", "html", "", "HTML")

RDF_FORMATS: tuple[Format, ...] = (TURTLE, JSONLD, RDFXML, NTRIPLES)
BY_SUFFIX = {f.suffix: f for f in (*RDF_FORMATS, HTML)}
ALIASES = {  # media types clients send for the same formats
    "application/x-turtle": TURTLE,
    "text/plain": NTRIPLES,  # rdflib's Graph().parse(url, format="nt") asks for text/plain
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "application/xhtml+xml": HTML,
}


def choose(request: Request, offers: tuple[Format, ...], default: Format) -> Format:
    """The best offer for the request's Accept header; no Accept (or */*) gives `default`; nothing
    acceptable aborts with 406 listing the offers."""
    accept = request.accept_mimetypes
    if not accept or accept.best == "*/*" and accept["*/*"] >= max((accept[o.media_type] for o in offers),
                                                                    default=0):
        return default
    candidates = {o.media_type: o for o in offers}
    for alias, fmt in ALIASES.items():
        if fmt in offers:
            candidates.setdefault(alias, fmt)
    best = accept.best_match([default.media_type, *candidates])
    if best is None:
        not_acceptable(offers)
    return candidates.get(best, default)


def not_acceptable(offers: tuple[Format, ...]) -> None:
    listing = "\n".join(f"{o.media_type} ({o.label}, .{o.suffix})" for o in offers)
    response = make_response(f"406 Not Acceptable. This resource is available as:\n{listing}\n", 406)
    response.mimetype = "text/plain"
    abort(response)
