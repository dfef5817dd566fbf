"""`senate-kg remove`: take questions out of the store, leaving no link pointing to nothing.

A question's graph holds only what its pages said (docs/profile.md "Graphs"), so removing the question is
replacing that one graph: with a placeholder (`a eli:Work ; dcterms:identifier ; skg:status
skg:status-not-read`, what a linked question not read yet is) when another graph still names it, else with
nothing. Shared resources (its author, party, office, concepts) keep their graphs: each is the union of what
every question said of it, another question may say the same, and nothing in them points to the question; so
no shared resource is left pointing to nothing, and none loses a fact another question gives it.
A question no graph links to any more is removed with its bookkeeping (`Store.remove_graphs`). Publishing
afterwards (the caller's job) announces each removal
on the event stream (senate_kg/stream.py), and the server answers the question's URI with 410 Gone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from mapping.iris import Iris
from mapping.rdf import placeholder_ntriples
from store import Store

IDENTIFIER = re.compile(r"\d{1,3}-\d{1,6}")


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)  # identifiers whose graph is gone
    placeholders: list[str] = field(default_factory=list)  # ... of which stay as placeholders (still linked)
    not_stored: list[str] = field(default_factory=list)  # no read question with that identifier


def remove_questions(store: Store, iris: Iris, identifiers: Sequence[str]) -> RemoveReport:
    """Replace each read question's graph by its placeholder (still linked) or remove it."""
    from senate_kg.publish import run

    report = RemoveReport()
    graphs: list[tuple[str, bytes]] = []  # still linked: a placeholder again
    gone: list[str] = []  # linked by nothing: removed
    for identifier in dict.fromkeys(identifiers):
        iri = URIRef(iris.question(identifier))
        if not run(store, "question-is-read", iris, {"q": iri}):
            report.not_stored.append(identifier)
            continue
        linked = bool(run(store, "question-linked-by", iris, {"q": iri}))
        report.removed.append(identifier)
        if linked:
            graphs.append((str(iri), placeholder_ntriples(identifier, iris)))
            report.placeholders.append(identifier)
        else:
            gone.append(str(iri))
    store.replace_graphs(graphs)
    store.remove_graphs(gone)
    return report


def bad_identifiers(identifiers: Sequence[str]) -> list[str]:
    return [i for i in identifiers if not IDENTIFIER.fullmatch(i)]
