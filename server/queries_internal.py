"""The queries the server runs to describe resources: `queries/internal/*.rq`, loaded and checked once at start-up.

Same header as the named queries (`#+ key: value`, grlc style): `name` (= the file name), `title`,
`description` (repeatable), `param: NAME iri required "DESCRIPTION"` (one per variable the caller binds),
`form: graph|bindings`. Parameters are plain variables (`?r`) bound through `Store.select/construct(bindings=)`,
which the store turns into a VALUES clause or a substitution: values are never pasted into the text.
Local vocabulary is written relative (`PREFIX skg: <def/>`); loading prepends `BASE <{base}>`, so the files
work under any base URI. These are not part of the public API (they live outside `queries/*.rq`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from senate_kg.paths import QUERIES_DIR
from server.backend import get_store
from store import Row

INTERNAL_DIR = QUERIES_DIR / "internal"
FORMS = ("graph", "bindings")

_HEADER_LINE = re.compile(r"^#\+\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")
_PARAM = re.compile(r'^(?P<name>[a-z][a-z0-9_]*)\s+iri\s+required\s+"(?P<description>[^"]*)"$')
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


class InternalQueryError(ValueError):
    """A broken file under queries/internal: names the file, the field and the reason. Raised at start-up."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        self.source, self.field, self.reason = source, field, reason
        super().__init__(f"{source}: {field}: {reason}")


@dataclass(frozen=True)
class InternalQuery:
    name: str
    title: str
    form: str  # "graph" (CONSTRUCT) or "bindings" (SELECT)
    params: tuple[str, ...]  # variables the caller must bind
    sparql: str  # ready to run: `BASE <{base}>` + body
    source: str


def parse_file(path: Path, base: str) -> InternalQuery:
    """One .rq file -> InternalQuery; every problem is an InternalQueryError naming the file and field."""
    source = str(path)
    header: dict[str, list[str]] = {}
    body_lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER_LINE.match(line)
        if match and not body_lines:
            header.setdefault(match["key"], []).append(match["value"])
        elif body_lines or (line.strip() and not line.lstrip().startswith("#")):
            body_lines.append(line)
    name = _single(source, header, "name")
    if name != path.stem:
        raise InternalQueryError(source, "name", f"{name!r} must equal the file name {path.stem!r}")
    form = _single(source, header, "form")
    if form not in FORMS:
        raise InternalQueryError(source, "form", f"{form!r} is not one of {FORMS}")
    params = tuple(_param(source, value) for value in header.get("param", []))
    body = "\n".join(body_lines).strip() + "\n"
    used = set(_VARIABLE.findall(body))
    missing = [p for p in params if p not in used]
    if missing:
        raise InternalQueryError(source, "param", f"declared but not used in the body: {', '.join(missing)}")
    sparql = f"BASE <{base}>\n{body}"
    _check_syntax(source, sparql, form)
    return InternalQuery(name, _single(source, header, "title"), form, params, sparql, source)


def _single(source: str, header: Mapping[str, list[str]], key: str) -> str:
    values = header.get(key)
    if not values or not values[0]:
        raise InternalQueryError(source, key, "missing header line `#+ " + key + ": ...`")
    if len(values) > 1:
        raise InternalQueryError(source, key, "given more than once")
    return values[0]


def _param(source: str, value: str) -> str:
    match = _PARAM.match(value)
    if not match:
        raise InternalQueryError(source, "param", f'expected NAME iri required "DESCRIPTION", got {value!r}')
    return match["name"]


def _check_syntax(source: str, sparql: str, form: str) -> None:
    """Parse with rdflib once at start-up, so a typo fails the boot, not the first request."""
    try:
        query = prepareQuery(sparql)
    except Exception as exc:  # rdflib raises pyparsing errors of several kinds
        raise InternalQueryError(source, "body", f"not valid SPARQL: {exc}") from exc
    kind = query.algebra.name
    expected = "ConstructQuery" if form == "graph" else "SelectQuery"
    if kind != expected:
        raise InternalQueryError(source, "form", f"{form!r} needs a {expected}, the body is a {kind}")


def load_internal_queries(base: str, folder: Path = INTERNAL_DIR) -> dict[str, InternalQuery]:
    """Every query under `folder`, by name, in sorted file order."""
    return {q.name: q for q in (parse_file(p, base) for p in sorted(folder.glob("*.rq")))}


def init_app(app: Flask) -> None:
    app.extensions["internal_queries"] = load_internal_queries(app.config["BASE_URI"])


def internal_query(name: str) -> InternalQuery:
    return current_app.extensions["internal_queries"][name]


def _bindings(query: InternalQuery, values: Mapping[str, str]) -> dict[str, Node]:
    if set(values) != set(query.params):
        raise TypeError(f"{query.name} binds {sorted(query.params)}, got {sorted(values)}")
    return {name: URIRef(values[name]) for name in query.params}


def construct(name: str, media_type: str = "application/n-triples",
              prefixes: Mapping[str, str] | None = None, **values: str) -> bytes:
    """Run a `graph` query with IRIs bound to its parameters; the store serialises the result."""
    query = internal_query(name)
    return get_store().construct(query.sparql, _bindings(query, values), media_type=media_type, prefixes=prefixes)


def select(name: str, **values: str) -> list[Row]:
    """Run a `bindings` query with IRIs bound to its parameters."""
    query = internal_query(name)
    return get_store().select(query.sparql, _bindings(query, values) or None)
