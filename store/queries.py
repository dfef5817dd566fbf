"""The store's own SPARQL (`queries/store/*.rq` and update templates `*.ru`), read once per process.

Why files: SPARQL is data, kept out of Python (STYLE.md). The header comment lines (`#+ key: value`) document
each file and are stripped here; templates use `string.Template` placeholders (`$graph`), filled only with
terms the store has parsed and re-serialised itself.
"""

from __future__ import annotations

import functools
from string import Template

from senate_kg.paths import QUERIES_DIR

STORE_QUERIES_DIR = QUERIES_DIR / "store"


@functools.cache
def text(name: str) -> str:
    """The body of `queries/store/<name>` without its header comment lines."""
    path = STORE_QUERIES_DIR / name
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if not line.startswith("#+")]
    return "\n".join(body).strip() + "\n"


def template(name: str) -> Template:
    return Template(text(name))
