"""Question record -> rdflib Graph of that one question (docs/profile.md). Knows nothing of page layouts.

TO BE WRITTEN (helper "rdf").
"""

from __future__ import annotations

from rdflib import Graph

from mapping.iris import Iris
from mapping.model import Question


def question_graph(question: Question, iris: Iris) -> Graph:
    """The complete graph of one question: what its named graph in the store holds."""
    raise NotImplementedError
