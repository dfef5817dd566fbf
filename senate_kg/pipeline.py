"""The build pipeline: files -> parse -> merge -> map -> validate -> store, one question at a time as a unit.

TO BE WRITTEN (helper "pipeline"). Contract used by the CLI and by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mapping.iris import Iris
from store import Store


@dataclass
class Rejection:
    source: str  # file (or question identifier when it is a merged question that failed validation)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}"


@dataclass
class BuildReport:
    pages_read: int = 0
    questions_loaded: int = 0
    questions_changed: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: parse, map, validate, load


def build(paths: Sequence[Path], store: Store | None, iris: Iris, *, progress: bool = False) -> BuildReport:
    """Parse, merge, map, validate every page under `paths`; load each valid question (store=None:
    validate only). One broken page never stops the batch."""
    raise NotImplementedError


def push(source: Store, target: Store) -> int:
    """Copy every named graph (and the metadata graph) from `source` to `target`, replacing what the target
    held under those names. Returns the number of graphs sent."""
    raise NotImplementedError
