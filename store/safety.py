"""What a user's query may do, decided the same way for both backends (no pyoxigraph, no network here).

Why a lexical check and not the parsed algebra: pyoxigraph exposes no parser without evaluation, and a remote
store parses on its side; rdflib's parser is slow and disagrees with Oxigraph on valid SPARQL. The checks below
run over the query's *code* only: strings, IRIs and comments are blanked first by one tokenizer, so that
`"SERVICE"` or `<http://x/SERVICE>` or `# SERVICE` never trigger a refusal while `.SERVICE<…>` does. Where
the text is ambiguous they err on the side of refusing (a refused query costs a user a retry; a SERVICE that
gets through makes the server send requests anywhere).

Also here: binding project queries' parameters as a VALUES block for stores that cannot take pyoxigraph's
substitutions (the remote backend), and checking IRIs given for a query's dataset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from store import QueryRejected

MAX_QUERY_CHARS = 200_000  # a longer "query" is a mistake or an attack; either way it is not run
MAX_NESTING = 64  # ( { [ inside each other: Oxigraph's parser overflows its stack near 1,000 (issue 5)
MAX_ELEMENTS = 1_500  # operators and pattern keywords: 4,000 chained BINDs or MINUSes overflow it too

# One token of SPARQL that may hide keywords: long strings, short strings, IRIs, comments (in this order).
_NOISE = re.compile(
    r"""'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''"""
    r'''|"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""'''
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
    r'''|"(?:[^"\\\n\r]|\\.)*"'''
    r"""|<[^<>"{}|^`\\\x00-\x20]*>"""
    r"""|\#[^\n\r]*"""
)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# A keyword is a word not glued to a variable sigil, a prefix colon or a language tag on the left, nor to a
# colon (prefix declaration) or a name character on the right. A dot on the left is allowed: `?o .SERVICE`.
_SERVICE = re.compile(r"(?<![\w?$:@])SERVICE(?![\w:\-])", re.IGNORECASE)
_PROLOGUE = re.compile(r"\A\s*(?:(?:BASE\s*<>|PREFIX\s*[^\s:<]*:\s*<>)\s*)*", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[A-Za-z]+")
_PROLOGUE_ITEM = re.compile(  # one declaration of the prologue, with the comments and spaces before it
    r"(?:\s|\#[^\n\r]*)*(?:BASE\s*<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|PREFIX\s*(?P<name>[A-Za-z][\w.\-]*)?:\s*<(?P<iri>[^<>\"{}|^`\\\x00-\x20]*)>)", re.IGNORECASE)

QUERY_FORMS = {"SELECT": "bindings", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20]*$")
# One lexical token of `scan`, in the lexer's order of preference (the tokens of _NOISE, then the rest).
_TOKEN = re.compile(
    r"""(?P<string>'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''"""
    r'''|"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""'''
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
    r'''|"(?:[^"\\\n\r]|\\.)*")'''
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<comment>\#[^\n\r]*)"""
    r"""|(?P<escape>\\[\s\S])"""
    r"""|(?P<values>(?<![\w?$:@])VALUES(?![\w:\-]))"""
    r"""|(?P<bracket>[(){}\[\]])""", re.IGNORECASE)
_LESS_THAN_REACH = re.compile(r"[()'#&,]")  # how a comparison `1<…` can reach a `>` (see `scan`)
_ELEMENT = re.compile(r"(?<![\w?$:@])(?:UNION|MINUS|OPTIONAL|FILTER|BIND|GRAPH|EXISTS|SELECT|SERVICE|VALUES)"
                      r"(?![\w:\-])|&&|\|\||[-!+*/=<>|^.;]", re.IGNORECASE)


def blank_noise(sparql: str) -> str:
    """The query with every string, IRI and comment replaced by an empty placeholder ("", <>, a space)."""
    def placeholder(match: re.Match[str]) -> str:
        token = match.group(0)
        return {"'": '""', '"': '""', "<": "<>"}.get(token[0], " ")
    return _NOISE.sub(placeholder, sparql)


def decode_codepoints(sparql: str) -> str:
    """SPARQL 1.1 section 19.2: `\\uXXXX` escapes may be decoded before parsing (some stores do, Oxigraph does
    not), so a check must also look at the decoded text."""
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _CODEPOINT.sub(char, sparql)


def first_keyword(sparql: str) -> str | None:
    """The first word after the prologue (BASE and PREFIX declarations), upper case: the operation."""
    code = blank_noise(sparql)
    match = _FIRST_WORD.match(code, _PROLOGUE.match(code).end())
    return match.group(0).upper() if match else None


def query_form(sparql: str) -> str | None:
    """"bindings", "boolean" or "graph" for a query; None when the text does not start like a query (an update
    or garbage): the caller negotiates with a default and lets the parser say what is wrong."""
    return QUERY_FORMS.get(first_keyword(sparql) or "")


def is_update(sparql: str) -> bool:
    return first_keyword(sparql) in UPDATE_WORDS


def uses_service(sparql: str) -> bool:
    """True when SERVICE appears as a keyword, in the text as written or after decoding `\\u` escapes, or when
    `scan` cannot tell whether it does."""
    scans = [scan(text) for text in (sparql, decode_codepoints(sparql))]
    return any(found.ambiguous_at is not None or _SERVICE.search(found.code) for found in scans)


@dataclass(frozen=True)
class Scan:
    """A query as `scan` read it: its code (strings, IRIs, comments blanked), bracket depth and size."""

    code: str
    depth: int  # deepest nesting of ( { [
    elements: int  # operators and pattern keywords: each one a level of the tree the parser builds
    ambiguous_at: int | None  # offset of a `<` that may be an IRI or a less-than hiding code


def scan(sparql: str) -> Scan:
    """Read a query left to right as the SPARQL lexer does (issue 5: each rule below was a way past SERVICE
    refusal, found by sending queries to Oxigraph):
    - outside strings and IRIs a backslash escapes the next character: `ex:a\\#` and `ex:a\\'` are names, not
      a comment or a string hiding what follows;
    - `<` opens an IRI or is less-than. Inside an expression's parentheses right after an operand, a would-be IRI
      holding one of `()'#&,` may be a comparison hiding code (`FILTER(1<2)SERVICE#>`, `FILTER(1<'a>') SERVICE…`,
      `BIND(1<2&&…&&3>1 …)`); without them a comparison cannot reach a `>` (one relational operator per
      expression). Such a `<` is not guessed at: `ambiguous_at` says where, and the user adds a space after it.
      VALUES rows are data, never expressions."""
    out: list[str] = []
    stack: list[str] = []
    position, depth, last, values_pending, ambiguous_at = 0, 0, "", False, None
    for match in _TOKEN.finditer(sparql):
        between = sparql[position:match.start()]
        out.append(between)
        last = between.rstrip()[-1:] or last
        kind, token = match.lastgroup, match.group(0)
        if kind == "iri":
            suspicious = stack and stack[-1] == "(" and _is_operand_end(last) and _LESS_THAN_REACH.search(token)
            if suspicious and ambiguous_at is None:
                ambiguous_at = match.start()
            out.append("<>")
            last = ">"
        elif kind == "string":
            out.append('""')
            last = '"'
        elif kind == "comment":
            out.append(" ")
        else:
            out.append(token)
            last = "_" if kind == "escape" else token
            if kind == "values":
                values_pending = True
            elif kind == "bracket":
                values_pending = _track_bracket(stack, token, values_pending)
                depth = max(depth, len(stack))
        position = match.end()
    out.append(sparql[position:])
    code = "".join(out)
    elements = len(_ELEMENT.findall(code.replace("<>", " ").replace("^^", " ")))
    return Scan(code, depth, elements, ambiguous_at)


def _track_bracket(stack: list[str], bracket: str, values_pending: bool) -> bool:
    """Push or pop one bracket: `(` an expression (or collection, path), `D` a VALUES variable list or row, `V` a
    VALUES block. Returns whether a VALUES keyword still waits for its block."""
    if bracket not in "({[":
        if stack:
            stack.pop()
        return values_pending
    in_values = values_pending or (bool(stack) and stack[-1] == "V")
    if bracket == "{":
        stack.append("V" if values_pending else "{")
        return False
    stack.append("D" if bracket == "(" and in_values else bracket)
    return values_pending


def _is_operand_end(char: str) -> bool:
    """What may end the left operand of `<`: a name, number, variable or escape, `)`, `]`, `}` (EXISTS {…}), a
    string's quote, an IRI's `>`."""
    return bool(char) and (char.isalnum() or char in "_)]}\"'>")


def check_user_query(sparql: str, *, allow_service: bool = False) -> None:
    """Refuse what a public read-only endpoint must never run; raises QueryRejected with the reason."""
    if not sparql.strip():
        raise QueryRejected("the query is empty")
    if len(sparql) > MAX_QUERY_CHARS:
        raise QueryRejected(f"the query is {len(sparql):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    if "\x00" in sparql:
        raise QueryRejected("the query contains a NUL character")
    if is_update(sparql):
        raise QueryRejected("SPARQL Update is not accepted: this endpoint is read-only")
    for text in dict.fromkeys((sparql, decode_codepoints(sparql))):
        _check_scan(scan(text), allow_service)


def _check_scan(found: Scan, allow_service: bool) -> None:
    """Refuse what the scan shows: an ambiguous `<`, nesting or size that crashes the parser (Oxigraph overflows
    its stack near 1,000 nested groups or 4,000 chained BINDs, and `oxigraph serve` dies with it), SERVICE."""
    if found.ambiguous_at is not None:
        raise QueryRejected(f"at character {found.ambiguous_at}: this `<` may be a less-than or an IRI; put a space "
                            "after `<` when it compares")
    if found.depth > MAX_NESTING:
        raise QueryRejected(f"brackets are nested {found.depth} deep; the limit is {MAX_NESTING}")
    if found.elements > MAX_ELEMENTS:
        raise QueryRejected(f"the query has {found.elements:,} operators and pattern keywords; the limit is "
                            f"{MAX_ELEMENTS:,}")
    if not allow_service and _SERVICE.search(found.code):
        raise QueryRejected("SERVICE (federated query) is not allowed on this endpoint")


def is_absolute_iri(text: str) -> bool:
    """An absolute IRI that can be written between <> in SPARQL and N-Triples."""
    return bool(_IRI.match(text))


def check_graph_iris(field: str, iris: Sequence[str] | None) -> list[str] | None:
    """Dataset IRIs from a request (default-graph-uri, named-graph-uri) must be absolute IRIs."""
    if iris is None:
        return None
    for iri in iris:
        if not _IRI.match(iri):
            raise QueryRejected(f"{field}: {iri!r} is not an absolute IRI")
    return list(iris)


def declared_prefixes(sparql: str) -> dict[str, str]:
    """The PREFIX declarations of a query, to write a CONSTRUCT result in Turtle with the user's own prefixes."""
    prefixes: dict[str, str] = {}
    position = 0
    while match := _PROLOGUE_ITEM.match(sparql, position):
        if match["iri"] is not None:
            prefixes[match["name"] or ""] = match["iri"]
        position = match.end()
    return prefixes


# ---------------------------------------------------------------- binding values (remote backend)
def values_block(variables: Sequence[str], rows: Sequence[Sequence[Node]]) -> str:
    """`VALUES (?a ?b) { (<x> "y") … }`, each term written by rdflib (`n3()` refuses an IRI that would break
    out of its brackets), never a caller's raw text."""
    names = " ".join(f"?{_variable(v)}" for v in variables)
    body = " ".join("(" + " ".join(_term(t) for t in row) + ")" for row in rows)
    return f"VALUES ({names}) {{ {body} }}"


def bind_values(sparql: str, bindings: Mapping[str, Node] | None) -> str:
    """The query with one VALUES row placed first in its outer WHERE group (where filters and patterns of that
    group see it, like pyoxigraph's substitutions), or as a trailing VALUES clause when no outer group is found."""
    if not bindings:
        return sparql
    names = sorted(bindings)
    return bind_rows(sparql, names, [[bindings[n] for n in names]])


def bind_rows(sparql: str, variables: Sequence[str], rows: Sequence[Sequence[Node]]) -> str:
    """Like `bind_values` with several rows (look up many graphs in one request)."""
    block = values_block(variables, rows)
    where = _outer_group_start(sparql)
    if where is None:
        return f"{sparql.rstrip()}\n{block}\n"
    return f"{sparql[:where]}\n  {block}\n{sparql[where:]}"


def _outer_group_start(sparql: str) -> int | None:
    """Index just after the `{` that opens the outer WHERE group, found in the blanked text (same offsets:
    placeholders are shorter, so blank with padding to keep positions)."""
    code = _NOISE.sub(lambda m: " " * len(m.group(0)), sparql)
    form = query_form(sparql)
    depth = 0
    seen_where = False
    for match in re.finditer(r"[{}]|\bWHERE\b", code, re.IGNORECASE):
        token = match.group(0)
        if token.upper() == "WHERE":
            seen_where = seen_where or depth == 0
        elif token == "{":
            if depth == 0 and (seen_where or form in ("bindings", "boolean")):
                return match.end()
            depth += 1
        else:
            depth -= 1
    return None


def _variable(name: str) -> str:
    name = name.lstrip("?$")
    if not re.fullmatch(r"[A-Za-z0-9_\u00B7\u00C0-\uFFFF]+", name):
        raise ValueError(f"{name!r} is not a SPARQL variable name")
    return name


def _term(term: Node) -> str:
    if isinstance(term, URIRef) and not _IRI.match(str(term)):
        raise ValueError(f"{str(term)!r} is not an absolute IRI")
    return term.n3()
