"""SHACL validation of question graphs against shapes/ (pyshacl), with readable reports.

TO BE WRITTEN (helper "rdf").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import Graph


@dataclass(frozen=True)
class Violation:
    focus_node: str
    path: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.focus_node} {self.path or ''}: {self.message}"


class Validator:
    """Loads the shapes once; validates many question graphs, each result tied to its own graph."""

    def validate_many(self, graphs: Sequence[Graph]) -> list[list[Violation]]:
        """One list of violations per input graph, in order; empty means it conforms."""
        raise NotImplementedError
