"""Merge the records of the pages of one question (FR + NL detail pages, print views) into one Question.

TO BE WRITTEN (helper "parser").
"""

from __future__ import annotations

from collections.abc import Iterable

from mapping.model import Question


def merge_questions(records: Iterable[Question]) -> list[Question]:
    """Group records by identifier and merge each group; sorted by (legislature, number)."""
    raise NotImplementedError
