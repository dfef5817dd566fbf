"""Page text -> Question record, for every senate.be question page layout. Imports neither rdflib nor Flask.

TO BE WRITTEN (helper "parser"): the contract is the two functions below.
"""

from __future__ import annotations

from mapping.model import Question


def decode_page(raw: bytes) -> str:
    """Bytes in UTF-8 or Windows-1252/Latin-1 -> text with normalised spaces."""
    raise NotImplementedError


def parse_page(text: str | bytes, source: str) -> Question:
    """Parse one page of any layout into a (possibly partial) Question; raises ParseError."""
    raise NotImplementedError
