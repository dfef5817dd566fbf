"""Small read-only graphs for rendering: the N-Triples a store writes, parsed and indexed for the lookups that the
HTML pages (server/pages.py) and JSON-LD compaction (rdflib's converter) make.

Why not an rdflib `Graph`: measured on a question of the 100,000-question store (~170 triples), rdflib's N-Triples
parser and its Memory store took ~8 of the ~11 ms that a question in HTML or JSON-LD cost; this parser and index
take well under 1 ms. The terms are rdflib's own (`URIRef`, `Literal`, `BNode`), so the view code and rdflib's
JSON-LD converter run unchanged on a `TripleGraph`; for anything else (RDF/XML of several parts) `to_rdflib()`
gives a real `Graph`.

The parser reads N-Triples as stores write it (one triple per line, single spaces or tabs, comments), with every
escape of the grammar; a line it does not recognise makes it hand the whole document to rdflib's parser, so an
odd but valid document from a remote store still parses. Frequent terms (IRIs, labels, dates) are kept in a
bounded per-process cache: building an rdflib `Literal` with a datatype parses its value, and the same party,
office, concept and date come back in question after question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

# One triple per line: subject, predicate, object (an IRI, a blank node, or a literal's lexical form, language tag
# and datatype), the final dot, an optional comment.
_LINE = re.compile(
    r"[ \t]*(<[^>\s]*>|_:[^\s<]+?)[ \t]*(<[^>\s]*>)[ \t]*"
    r"(?:(<[^>\s]*>)|(_:[^\s<\"]+?)|\"((?:[^\"\\]|\\.)*)\"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^(<[^>\s]*>))?)"
    r"[ \t]*\.[ \t]*(?:#.*)?")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([tbnrf\"'\\]))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
CACHE_LIMIT = 200_000  # cached terms per process (a few tens of MB at most); emptied when full
CACHED_LITERAL_CHARS = 200  # longer literals (question and answer texts) are rarely repeated: not cached

_terms: dict[object, Node] = {}


class NTriplesError(ValueError):
    """A document that is not N-Triples (raised only when rdflib's parser refuses it too)."""


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return chr(int(code, 16)) if code else _ECHAR[match.group(3)]
    return _ESCAPE.sub(one, text)


def _cached(key: object, make) -> Node:
    term = _terms.get(key)
    if term is None:
        if len(_terms) >= CACHE_LIMIT:
            _terms.clear()
        term = _terms[key] = make()
    return term


def _iri(raw: str) -> URIRef:
    """`<...>` -> URIRef (cached)."""
    term = _terms.get(raw)
    if term is None:
        term = _cached(raw, lambda: URIRef(_unescape(raw[1:-1])))
    return term  # type: ignore[return-value]


def _literal_term(lexical: str, lang: str | None, datatype: str | None) -> Node:
    if len(lexical) > CACHED_LITERAL_CHARS:
        return _literal(lexical, lang, datatype)
    return _cached(("L", lexical, lang, datatype), lambda: _literal(lexical, lang, datatype))


def _literal(lexical: str, lang: str | None, datatype: str | None) -> Literal:
    value = _unescape(lexical)
    if lang:
        return Literal(value, lang=lang)
    if datatype:
        return Literal(value, datatype=_iri(datatype))
    return Literal(value)


def parse_ntriples(data: bytes | str) -> list[tuple[Node, Node, Node]]:
    """The triples of an N-Triples document (blank node labels are local to the document)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    triples = []
    blanks: dict[str, BNode] = {}
    for line in text.split("\n"):  # not splitlines(): U+2028, U+0085... may stand unescaped in a literal
        match = _LINE.fullmatch(line.rstrip("\r"))
        if match is None:
            if line.strip() and not line.lstrip().startswith("#"):
                return _parse_with_rdflib(text)
            continue
        subject, predicate, iri, blank, lexical, lang, datatype = match.groups()
        if iri is not None:
            obj: Node = _iri(iri)
        elif blank is not None:
            obj = blanks.setdefault(blank, BNode())
        else:
            obj = _literal_term(lexical, lang, datatype)
        triples.append((_iri(subject) if subject[0] == "<" else blanks.setdefault(subject, BNode()),
                        _iri(predicate), obj))
    return triples


def _parse_with_rdflib(text: str) -> list[tuple[Node, Node, Node]]:
    graph = Graph()
    try:
        graph.parse(data=text, format="nt")
    except Exception as exc:  # noqa: BLE001 - rdflib raises several kinds for bad input
        raise NTriplesError(f"not N-Triples: {exc}") from exc
    return list(graph)


class TripleGraph:
    """A set of triples with the read API of rdflib's `Graph` that the pages and the JSON-LD converter use:
    `triples`, `subjects`, `predicates`, `objects`, `predicate_objects`, `value`, `in`, `len`, iteration.
    Iteration follows the order the triples came in (the store's order): the same data gives the same output."""

    context_aware = False

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]] = ()) -> None:
        self.identifier = BNode()
        self._spo: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._pos_index: dict[Node, dict[Node, dict[Node, None]]] | None = None  # built on first use
        self._osp_index: dict[Node, dict[Node, dict[Node, None]]] | None = None  # (JSON-LD needs neither)
        self._length = 0
        self.add_all(triples)

    @classmethod
    def from_ntriples(cls, *documents: bytes | str) -> TripleGraph:
        graph = cls()
        for document in documents:
            graph.add_all(parse_ntriples(document))
        return graph

    def add_all(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        spo = self._spo
        self._pos_index = self._osp_index = None
        for s, p, o in triples:
            objects = spo.setdefault(s, {}).setdefault(p, {})
            if o not in objects:
                objects[o] = None
                self._length += 1

    @property
    def _pos(self) -> dict[Node, dict[Node, dict[Node, None]]]:
        if self._pos_index is None:
            pos: dict[Node, dict[Node, dict[Node, None]]] = {}
            for s, by_predicate in self._spo.items():
                for p, objects in by_predicate.items():
                    by_object = pos.setdefault(p, {})
                    for o in objects:
                        by_object.setdefault(o, {})[s] = None
            self._pos_index = pos
        return self._pos_index

    @property
    def _osp(self) -> dict[Node, dict[Node, dict[Node, None]]]:
        if self._osp_index is None:
            osp: dict[Node, dict[Node, dict[Node, None]]] = {}
            for s, by_predicate in self._spo.items():
                for p, objects in by_predicate.items():
                    for o in objects:
                        osp.setdefault(o, {}).setdefault(s, {})[p] = None
            self._osp_index = osp
        return self._osp_index

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        self.add_all((triple,))

    # ---- rdflib's Graph API (reading)
    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        return self.triples((None, None, None))

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        return next(self.triples(triple), None) is not None

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[tuple[Node, Node, Node]]:
        s, p, o = pattern
        if s is not None:
            by_predicate = self._spo.get(s, {})
            for p2, objects in ((p, by_predicate.get(p, {})),) if p is not None else by_predicate.items():
                if o is None:
                    yield from ((s, p2, o2) for o2 in objects)
                elif o in objects:
                    yield s, p2, o
        elif p is not None:
            by_object = self._pos.get(p, {})
            for o2, subjects in ((o, by_object.get(o, {})),) if o is not None else by_object.items():
                yield from ((s2, p, o2) for s2 in subjects)
        elif o is not None:
            for s2, predicates in self._osp.get(o, {}).items():
                yield from ((s2, p2, o) for p2 in predicates)
        else:
            for s2, by_predicate in self._spo.items():
                for p2, objects in by_predicate.items():
                    yield from ((s2, p2, o2) for o2 in objects)

    def subjects(self, predicate: Node | None = None, object: Node | None = None,  # noqa: A002 - rdflib's name
                 unique: bool = False) -> Iterator[Node]:
        if predicate is not None and object is not None:
            found: Iterable[Node] = self._pos.get(predicate, {}).get(object, {})
        else:
            found = (s for s, _, _ in self.triples((None, predicate, object)))
        return iter(dict.fromkeys(found)) if unique else iter(found)

    def predicates(self, subject: Node | None = None, object: Node | None = None,  # noqa: A002
                   unique: bool = False) -> Iterator[Node]:
        found = (p for _, p, _ in self.triples((subject, None, object)))
        return iter(dict.fromkeys(found)) if unique else found

    def objects(self, subject: Node | None = None, predicate: Node | None = None,
                unique: bool = False) -> Iterator[Node]:
        if subject is not None and predicate is not None:
            found: Iterable[Node] = self._spo.get(subject, {}).get(predicate, {})
        else:
            found = (o for _, _, o in self.triples((subject, predicate, None)))
        return iter(dict.fromkeys(found)) if unique else iter(found)

    def predicate_objects(self, subject: Node | None = None, unique: bool = False) -> Iterator[tuple[Node, Node]]:
        found = ((p, o) for _, p, o in self.triples((subject, None, None)))
        return iter(dict.fromkeys(found)) if unique else found

    def subject_objects(self, predicate: Node | None = None, unique: bool = False) -> Iterator[tuple[Node, Node]]:
        found = ((s, o) for s, _, o in self.triples((None, predicate, None)))
        return iter(dict.fromkeys(found)) if unique else found

    def value(self, subject: Node | None = None, predicate: Node | None = RDF.value, object: Node | None = None,  # noqa: A002
              default: Node | None = None, any: bool = True) -> Node | None:  # noqa: A002
        """As rdflib's: exactly one of the three must be None (else None); the first match or `default`."""
        if [subject, predicate, object].count(None) != 1:
            return None
        for s, p, o in self.triples((subject, predicate, object)):
            return s if subject is None else p if predicate is None else o
        return default

    # ---- conversion
    def to_rdflib(self) -> Graph:
        """A real rdflib Graph with the same triples (for serialisers rdflib alone has)."""
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in self)
        return graph
