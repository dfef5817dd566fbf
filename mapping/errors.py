"""The one exception type for bad input."""

from __future__ import annotations


class ParseError(ValueError):
    """A page (or a set of pages) that cannot become a Question.

    Carries the file, the field that could not be read, the reason in plain words and, where known, the
    line number; chain the cause with `raise ParseError(...) from exc`.
    """

    def __init__(self, source: str, field: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.field = field
        self.reason = reason
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field}: {reason}")
