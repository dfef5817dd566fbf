"""Graphs that many writers contribute to: the shared resources of the "one fact, one place" layout.

A question's own graph is replaced whole (`Store.replace_graphs`). What a question says of a resource that other
questions share (a person, an office, a concept...) is a contribution to that resource's graph, and the store
keeps the union of every contribution: the graph is written when a contribution brings a triple it lacks, and
left alone otherwise, so its etag and date stay the same across rebuilds of unchanged pages. A graph written
only where none of that name is stored (a placeholder for a linked question whose page was not read yet) is
never written over a graph that exists.

`GraphMerger` works for one writer (a build) on top of any `Store`: it reads each shared graph's stored content
once, keeps it in memory (a few thousand small graphs), and hands back what must be written, in batches that the
caller writes before the questions that need them (a reader never sees a question whose shared resources are
missing; a crash in between leaves shared resources that nothing links to yet, which the next build completes).
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import URIRef

from store import Store, meta, queries


class GraphMerger:
    """The union of contributions per shared graph, and placeholders, for one build writing to `store` (None:
    a first build into an empty store, whose bulk load takes everything at the end)."""

    def __init__(self, store: Store | None, skip_placeholders: Iterable[str] = ()) -> None:
        self.store = store
        self.skip = set(skip_placeholders)  # graphs the build writes itself: never a placeholder for those
        self.content: dict[str, set[str]] = {}  # shared graph -> its lines as stored (or to be stored)
        self.changed: set[str] = set()  # shared graphs whose content grew since the last `take`
        self.placeholders: dict[str, bytes] = {}  # placeholder graph -> its N-Triples, not yet written
        self.written_placeholders: set[str] = set()

    def add(self, shared: Iterable[tuple[str, bytes]], placeholders: Iterable[tuple[str, bytes]]) -> None:
        """One question's contributions (mapping.rdf.QuestionGraphs.shared / .placeholders)."""
        for iri, data in shared:
            stored = self.content.get(iri)
            if stored is None:
                stored = self.content[iri] = self._stored_lines(iri)
            lines = _lines(data)
            if not lines <= stored:
                stored |= lines
                self.changed.add(iri)
        for iri, data in placeholders:
            if iri not in self.skip and iri not in self.written_placeholders:
                self.placeholders.setdefault(iri, data)

    def take(self) -> list[tuple[str, bytes]]:
        """The graphs to write now: the shared graphs that grew, and placeholders where no graph is stored."""
        out = [(iri, _ntriples(self.content[iri])) for iri in sorted(self.changed)]
        self.changed.clear()
        stored = self.store.graph_infos(self.placeholders) if self.store is not None else {}  # one look-up
        for iri, data in sorted(self.placeholders.items()):
            if iri not in stored:
                out.append((iri, data))
            self.written_placeholders.add(iri)
        self.placeholders.clear()
        return out

    def _stored_lines(self, iri: str) -> set[str]:
        if self.store is None or self.store.graph_info(iri) is None:
            return set()
        return _lines(self.store.construct(queries.text("graph-content.rq"), {"_g": URIRef(iri)}))


def _lines(data: bytes) -> set[str]:
    return {line.strip() for line in meta.ntriples_lines(data)}


def _ntriples(lines: set[str]) -> bytes:
    return "".join(line + "\n" for line in sorted(lines)).encode("utf-8")
