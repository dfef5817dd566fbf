"""Content negotiation: one table of the RDF formats we serve, one lookup, q-values honoured (werkzeug).

Every blueprint that offers RDF uses `RDF_FORMATS` and `choose()`; nobody parses Accept headers by hand.
Suffix URLs (`/eli/dl/doc/WQ-5-8900.ttl`) pick a format without negotiation: `split_suffix()`.
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
RESOURCE_FORMATS: tuple[Format, ...] = (*RDF_FORMATS, HTML)  # what a dereferenceable URI offers
BY_SUFFIX = {f.suffix: f for f in (*RDF_FORMATS, HTML)}
ALIASES = {  # media types clients send for the same formats
    "application/x-turtle": TURTLE,
    "text/plain": NTRIPLES,  # rdflib's Graph().parse(url, format="nt") asks for text/plain
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "application/xhtml+xml": HTML,
}


def quality(request: Request, fmt: Format) -> float:
    """The client's q-value for `fmt`: its media type rated by the most specific Accept entry that matches it
    (werkzeug sorts entries by specificity), as RFC 9110 section 12.5.1 says; an alias counts only when named
    outright, so that `text/turtle;q=0, */*` does not let Turtle back in as `application/x-turtle`."""
    accept = request.accept_mimetypes
    aliases = {alias for alias, target in ALIASES.items() if target == fmt}
    named = [q for value, q in accept if value.lower() in aliases]
    return max([accept.quality(fmt.media_type), *named])


def choose(request: Request, offers: tuple[Format, ...], default: Format) -> Format:
    """The best offer for the request's Accept header; no Accept (or */*) gives `default`; nothing
    acceptable aborts with 406 listing the offers. Ties go to `default`, then to the order of `offers`."""
    if not request.accept_mimetypes.provided or not request.accept_mimetypes:
        return default
    ranked = sorted(((quality(request, o), o is not default, i, o) for i, o in enumerate(offers)),
                    key=lambda item: (-item[0], item[1], item[2]))
    best_q, _, _, best = ranked[0]
    if best_q <= 0:
        not_acceptable(offers)
    return best


def split_suffix(path: str) -> tuple[str, Format | None]:
    """`/a/b.ttl` -> (`/a/b`, TURTLE); a path without a known suffix is returned unchanged with None.
    Only the last segment counts, so `/eli/dl/doc/WQ-5-8900/fr/html` (a manifestation) keeps its name."""
    head, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix or suffix not in BY_SUFFIX:
        return path, None
    return head, BY_SUFFIX[suffix]


def not_acceptable(offers: tuple[Format, ...]) -> None:
    listing = "\n".join(f"{o.media_type} ({o.label}, .{o.suffix})" for o in offers)
    response = make_response(f"406 Not Acceptable. This resource is available as:\n{listing}\n", 406)
    response.mimetype = "text/plain"
    abort(response)
