"""Named queries: `queries/*.rq` files, each a SELECT with a header comment, loaded once and run with bound values.

The header (grlc style, one `#+ key: value` per line, before the first line of SPARQL):

    #+ name: questions-per-concept-per-year        (required; equals the file name without `.rq`: it is the URL)
    #+ title: Questions per EuroVoc concept per year   (required; one line)
    #+ description: What it answers and how to read the columns.   (required; repeat the key to add lines)
    #+ param: concept iri - "EuroVoc concept IRI; every concept when omitted"
    #+ param: legislature integer 5 "Legislature number"
    #+ param: lang fr|nl fr "Language of the labels"
    #+ example: concept=http://eurovoc.europa.eu/4060  (optional; query-string values used by docs and tests)

A `param` line is `NAME TYPE DEFAULT "DESCRIPTION"` (shell-quoted). TYPE is one of `iri`, `string`, `integer`,
`decimal`, `date`, `boolean`, or an enumeration of strings `a|b|c`. DEFAULT is a value of that type, `-` for
"optional, left unbound when not given" or `required`. In the body the parameter is the variable `?_NAME`
(the leading underscore marks what a caller may bind, as grlc does); the loader checks that every `?_x` in the
body is declared and every declared parameter is used.

Binding never pastes a caller's text into the query: each value is parsed and validated into an rdflib term and
the terms are written, serialised by rdflib (`.n3()`), as `VALUES` blocks placed first in the outer `WHERE`
group, so that filters and patterns anywhere in that group see them. An unbound optional parameter is simply
absent: a pattern such as `?q eli:is_about ?_concept` then matches every concept, and filters test
`!BOUND(?_x) || …`. (VALUES in the outer group does not reach into sub-SELECTs: use parameters outside them.)

IRIs under the configured base (the local vocabulary `{base}def/`) are written relative, `PREFIX skg: <def/>`;
`render()` prepends `BASE <{base}>` so one file works under any base URI. Paging is appended by `render()`
(`LIMIT`/`OFFSET`), so a file must not end with its own, and must say `ORDER BY` so that pages are stable.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from senate_kg.paths import QUERIES_DIR

CHECK_BASE = "http://senate-kg.invalid/"  # base used to check the bodies at load time
RESERVED = frozenset({"limit", "offset", "format"})  # query-string names the API itself uses

_HEADER_LINE = re.compile(r"^#\+\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_VARIABLE = re.compile(r"[?$]_([A-Za-z0-9_]+)")
_OUTER_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_TRAILING_PAGING = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*$", re.IGNORECASE)
_IRI = re.compile(r"^(https?|urn):[^\s<>\"{}|\\^`]+$")
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_STRING = 300

SCALAR_TYPES = ("iri", "string", "integer", "decimal", "date", "boolean")


class QueryFileError(ValueError):
    """A `.rq` file whose header or body is wrong: names the file, the field, the reason and the line."""

    def __init__(self, source: str, field: str, reason: str, line: int | None = None) -> None:
        self.source, self.field, self.reason, self.line = source, field, reason, line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field}: {reason}")


class ParamError(ValueError):
    """A caller's parameter value that cannot be bound; the API answers 400 with this text."""

    def __init__(self, param: str, reason: str) -> None:
        self.param, self.reason = param, reason
        super().__init__(f"parameter {param!r}: {reason}")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # one of SCALAR_TYPES, or "enum"
    default: str | None  # None: no default (unbound when optional)
    required: bool
    description: str
    choices: tuple[str, ...] = ()  # for "enum"

    def convert(self, raw: str) -> Node:
        """The caller's text as a validated RDF term; ParamError says why it is refused."""
        converter = _CONVERTERS.get(self.type)
        if converter is None:  # enum
            if raw not in self.choices:
                raise ParamError(self.name, f"must be one of {', '.join(self.choices)}, got {raw!r}")
            return Literal(raw)
        return converter(self.name, raw)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    sparql: str  # the body as written (prefixes and SELECT), header removed
    columns: tuple[str, ...]  # projected variables, in order: the CSV header and JSON keys
    source: str
    examples: tuple[dict[str, str], ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def examples_for(self, base: str) -> tuple[dict[str, str], ...]:
        """The `#+ example:` calls with `{base}` (written in headers for IRIs minted under the deployment's
        base, such as `senator={base}person/...`) replaced by `base`."""
        return tuple({name: value.replace("{base}", base) for name, value in example.items()}
                     for example in self.examples)

    def example_value(self, name: str, base: str) -> str | None:
        """The value the first `#+ example:` that sets parameter `name` gives it (the OpenAPI example, so that
        "try it" and schemathesis start from a value that finds rows), or None."""
        return next((example[name] for example in self.examples_for(base) if name in example), None)

    def bind(self, raw: Mapping[str, str]) -> dict[str, Node]:
        """Validate a request's parameters (reserved paging names are ignored) into terms to bind.

        Unknown names are refused rather than ignored so that a typo ("legislatur=5") does not silently
        return unfiltered results."""
        known = {p.name for p in self.params}
        for name in raw:
            if name not in known and name not in RESERVED:
                allowed = ", ".join(sorted(known)) or "none"
                raise ParamError(name, f"unknown parameter for query {self.name!r} (it takes: {allowed})")
        bound: dict[str, Node] = {}
        for p in self.params:
            value = raw.get(p.name)
            if value is None or value == "":
                if p.required:
                    raise ParamError(p.name, f"required ({p.description})")
                if p.default is None:
                    continue
                value = p.default
            bound[p.name] = p.convert(value)
        return bound

    def render(self, bindings: Mapping[str, Node | Sequence[Node]], base: str, *, limit: int | None = None,
               offset: int = 0) -> str:
        """The text to run: BASE, the body with the VALUES first in its outer WHERE group, paging.

        A value may be a sequence of terms (several rows for that variable: batch look-ups by the publisher);
        each variable gets its own VALUES block, and blocks in one group join as a cross product."""
        for name in bindings:
            if self.param(name) is None:
                raise ParamError(name, f"not a parameter of query {self.name!r}")
        body = self.sparql
        if bindings:
            blocks = []
            for name in sorted(bindings):
                value = bindings[name]
                terms = [value] if isinstance(value, Node) else list(value)
                blocks.append(f"VALUES ?_{name} {{ {' '.join(term.n3() for term in terms)} }}")
            where = _OUTER_WHERE.search(body)
            assert where is not None  # checked at load time
            body = f"{body[:where.end()]}\n  {' '.join(blocks)}{body[where.end():]}"
        text = f"BASE <{base}>\n{body.rstrip()}\n"
        if limit is not None:
            text += f"LIMIT {int(limit)}\n"
        if offset:
            text += f"OFFSET {int(offset)}\n"
        return text


# ---------------------------------------------------------------- parameter conversion
def _to_iri(name: str, raw: str) -> Node:
    if len(raw) > 2000 or not _IRI.match(raw):
        raise ParamError(name, f"must be an absolute http(s) or urn IRI without spaces or <>\"{{}}|\\^`, got {raw!r}")
    return URIRef(raw)


def _to_string(name: str, raw: str) -> Node:
    if len(raw) > MAX_STRING:
        raise ParamError(name, f"longer than {MAX_STRING} characters")
    if _CONTROL.search(raw):
        raise ParamError(name, "contains control characters")
    return Literal(raw)


def _to_integer(name: str, raw: str) -> Node:
    if not _INTEGER.match(raw.strip()):
        raise ParamError(name, f"must be an integer, got {raw!r}")
    return Literal(int(raw), datatype=XSD.integer)


def _to_decimal(name: str, raw: str) -> Node:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ParamError(name, f"must be a decimal number, got {raw!r}") from None
    if not value.is_finite():
        raise ParamError(name, f"must be a finite decimal number, got {raw!r}")
    return Literal(value, datatype=XSD.decimal)


def _to_date(name: str, raw: str) -> Node:
    if not _DATE.match(raw.strip()):
        raise ParamError(name, f"must be a date written YYYY-MM-DD, got {raw!r}")
    try:
        return Literal(dt.date.fromisoformat(raw.strip()), datatype=XSD.date)
    except ValueError as exc:
        raise ParamError(name, f"not a calendar date: {exc}") from None


def _to_boolean(name: str, raw: str) -> Node:
    lowered = raw.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ParamError(name, f"must be true or false, got {raw!r}")
    return Literal(lowered in ("true", "1"), datatype=XSD.boolean)


_CONVERTERS = {"iri": _to_iri, "string": _to_string, "integer": _to_integer, "decimal": _to_decimal,
               "date": _to_date, "boolean": _to_boolean}


# ---------------------------------------------------------------- loading
def _parse_param(source: str, line_no: int, value: str) -> Param:
    try:
        parts = shlex.split(value)
    except ValueError as exc:
        raise QueryFileError(source, "param", f"cannot split {value!r}: {exc}", line_no) from exc
    if len(parts) != 4:
        raise QueryFileError(source, "param", 'expected NAME TYPE DEFAULT "DESCRIPTION", got '
                             f"{len(parts)} fields in {value!r}", line_no)
    name, type_, default, description = parts
    if not _PARAM_NAME.match(name) or name in RESERVED:
        raise QueryFileError(source, "param", f"bad parameter name {name!r} (lower case; not {sorted(RESERVED)})",
                             line_no)
    choices: tuple[str, ...] = ()
    if "|" in type_:
        choices, type_ = tuple(type_.split("|")), "enum"
    elif type_ not in SCALAR_TYPES:
        raise QueryFileError(source, "param", f"type {type_!r} of {name!r} is not one of {SCALAR_TYPES} "
                             "or a|b|c", line_no)
    required = default == "required"
    param = Param(name, type_, None if default in ("-", "required") else default, required, description, choices)
    if param.default is not None:
        try:
            param.convert(param.default)
        except ParamError as exc:
            raise QueryFileError(source, "param", f"default of {name!r}: {exc.reason}", line_no) from exc
    return param


def _split_header(source: str, text: str) -> tuple[dict[str, list[tuple[int, str]]], str]:
    """Header lines (`#+ key: value`, before any SPARQL) by key, with their line numbers; and the body."""
    header: dict[str, list[tuple[int, str]]] = {}
    lines = text.splitlines()
    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = _HEADER_LINE.match(line)
        if match:
            header.setdefault(match["key"], []).append((number, match["value"]))
        elif line.lstrip().startswith("#"):
            continue  # an ordinary comment inside the header block
        else:
            body_start = number - 1
            break
    return header, "\n".join(lines[body_start:]).strip() + "\n"


def _one(source: str, header: dict[str, list[tuple[int, str]]], key: str) -> str:
    values = header.get(key)
    if not values or not values[0][1]:
        raise QueryFileError(source, key, f"missing `#+ {key}:` header line")
    if len(values) > 1:
        raise QueryFileError(source, key, f"given {len(values)} times", values[1][0])
    return values[0][1]


def _parse_example(source: str, line_no: int, value: str, params: tuple[Param, ...]) -> dict[str, str]:
    example: dict[str, str] = {}
    for pair in value.split("&") if value else []:
        name, sep, raw = pair.partition("=")
        if not sep or name not in {p.name for p in params}:
            raise QueryFileError(source, "example", f"{pair!r} is not NAME=VALUE of a declared parameter", line_no)
        example[name] = raw
    return example


def _check_body(source: str, body: str, params: tuple[Param, ...], paged: bool = True) -> tuple[str, ...]:
    """Parse the body once (rdflib's parser: a syntax error here is a broken file, found at start-up) and
    check the conventions `render()` relies on. Returns the projected variables."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepared = prepareQuery(f"BASE <{CHECK_BASE}>\n{body}")
    except Exception as exc:  # rdflib raises bare Exception and pyparsing errors alike
        raise QueryFileError(source, "body", f"not valid SPARQL: {exc}") from exc
    if prepared.algebra.name != "SelectQuery":
        raise QueryFileError(source, "body", f"must be a SELECT query, not {prepared.algebra.name}")
    if not _OUTER_WHERE.search(body):
        raise QueryFileError(source, "body", "write the WHERE keyword before the outer group (parameters go there)")
    if paged and not _ORDER_BY.search(body):
        raise QueryFileError(source, "body", "needs ORDER BY: pages of an unordered result are not stable")
    if _TRAILING_PAGING.search(body):
        raise QueryFileError(source, "body", "must not end with LIMIT/OFFSET: the API pages the results")
    used = set(_PARAM_VARIABLE.findall(body))
    declared = {p.name for p in params}
    if used - declared:
        raise QueryFileError(source, "param", f"variables {sorted('?_' + v for v in used - declared)} are used "
                             "but not declared with `#+ param:`")
    if declared - used:
        raise QueryFileError(source, "param", f"parameters {sorted(declared - used)} are declared but the body "
                             "never uses their ?_ variable")
    return tuple(str(v) for v in prepared.algebra["PV"])


def parse_named_query(path: Path, *, paged: bool = True) -> NamedQuery:
    """One `.rq` file: header and body split by one small function, body checked once here. `paged=False` for
    queries read whole (the publisher's): they need no ORDER BY."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryFileError(source, "file", f"cannot read: {exc}") from exc
    header, body = _split_header(source, text)
    name = _one(source, header, "name")
    if not _NAME.match(name) or name != path.stem:
        raise QueryFileError(source, "name", f"{name!r} must be lower-case-with-dashes and equal the file name "
                             f"{path.stem!r}")
    title = _one(source, header, "title")
    description = " ".join(value for _, value in header.get("description", []) if value)
    if not description:
        raise QueryFileError(source, "description", "missing `#+ description:` header line")
    params = tuple(_parse_param(source, n, v) for n, v in header.get("param", []))
    if len({p.name for p in params}) != len(params):
        raise QueryFileError(source, "param", "a parameter is declared twice")
    examples = tuple(_parse_example(source, n, v, params) for n, v in header.get("example", []))
    known = {"name", "title", "description", "param", "example"}
    for key, values in header.items():
        if key not in known:
            raise QueryFileError(source, key, f"unknown header key (known: {sorted(known)})", values[0][0])
    columns = _check_body(source, body, params, paged)
    return NamedQuery(name, title, description, params, body, columns, source, examples)


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> tuple[NamedQuery, ...]:
    return tuple(parse_named_query(path) for path in sorted(Path(directory).glob("*.rq")))


def load_named_queries(directory: Path = QUERIES_DIR) -> list[NamedQuery]:
    """Every public named query (`queries/*.rq`, not sub-folders), sorted by name. Parsed once per process
    (cached): call it freely. A broken file raises QueryFileError naming the file, field and reason."""
    return list(_load(str(directory)))


def find_named_query(name: str, directory: Path = QUERIES_DIR) -> NamedQuery | None:
    return next((q for q in _load(str(directory)) if q.name == name), None)
