"""SPARQL results (SELECT rows, ASK booleans) written in the four W3C formats, with the row cap applied.

Why our own writers: the row cap must stop a result after N rows, and pyoxigraph can only serialise a whole
result (its QuerySolutions cannot be rebuilt from the first N rows); the remote backend needs the same cap on
what another store sent. Both backends hand rows here in one neutral shape, the SPARQL JSON term object
(`{"type": "uri"|"literal"|"bnode"|"triple", "value": …, "datatype"?: …, "xml:lang"?: …}`), so the output does
not depend on the backend. The formats: SPARQL 1.1 Query Results JSON, XML, CSV and TSV (W3C Recommendations).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

Term = dict  # a SPARQL JSON term object
Row = dict[str, Term]  # variable name (no "?") -> term; unbound variables are absent

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_NT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
               # other characters that line-splitting readers (Python's str.splitlines) take for line ends
               **{c: f"\\u{ord(c):04X}" for c in "\x0b\x1c\x1d\x1e\x85\u2028\u2029"}}


def write_bindings(fmt: str, variables: Sequence[str], rows: Iterable[Row]) -> bytes:
    """Serialise SELECT rows as `fmt` (json, xml, csv, tsv)."""
    return _BINDINGS_WRITERS[fmt](list(variables), rows).encode("utf-8")


def write_boolean(fmt: str, value: bool) -> bytes:
    """Serialise an ASK result. CSV and TSV have no boolean form in the standard: write `true`/`false` alone,
    as Oxigraph's server does."""
    text = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}, separators=(",", ":")).encode()
    if fmt == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{text}</boolean></sparql>\n").encode()
    return f"{text}\n".encode()


# ---------------------------------------------------------------- JSON
def _json(variables: list[str], rows: Iterable[Row]) -> str:
    head = json.dumps({"vars": variables}, ensure_ascii=False, separators=(",", ":"))
    body = ",".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
    return f'{{"head":{head},"results":{{"bindings":[{body}]}}}}'


# ---------------------------------------------------------------- XML
_XML_TEXT = {"\r": "&#13;"}  # a raw CR would be read back as LF (XML end-of-line handling)


def _xml_term(term: Term) -> str:
    kind = term["type"]
    if kind == "uri":
        return f"<uri>{escape(term['value'])}</uri>"
    if kind == "bnode":
        return f"<bnode>{escape(term['value'])}</bnode>"
    if kind == "triple":
        parts = term["value"]
        return "<triple>" + "".join(f"<{p}>{_xml_term(parts[p])}</{p}>" for p in ("subject", "predicate", "object")) \
            + "</triple>"
    attrs = ""
    if "xml:lang" in term:
        attrs = f" xml:lang={quoteattr(term['xml:lang'])}"
    elif term.get("datatype"):
        attrs = f" datatype={quoteattr(term['datatype'])}"
    return f"<literal{attrs}>{escape(term['value'], _XML_TEXT)}</literal>"


def _xml(variables: list[str], rows: Iterable[Row]) -> str:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>" for v in variables if v in row]
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out)


# ---------------------------------------------------------------- CSV (values only, RFC 4180 quoting, CRLF)
def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    kind = term["type"]
    if kind == "bnode":
        text = f"_:{term['value']}"
    elif kind == "triple":
        text = _nt_term(term)
    else:
        text = term["value"]
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(variables: list[str], rows: Iterable[Row]) -> str:
    lines = [",".join(_csv_value({"type": "literal", "value": v}) for v in variables)]
    lines += [",".join(_csv_value(row.get(v)) for v in variables) for row in rows]
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------- TSV (terms in N-Triples syntax)
def _nt_term(term: Term) -> str:
    kind = term["type"]
    if kind == "uri":
        return f"<{term['value']}>"
    if kind == "bnode":
        return f"_:{term['value']}"
    if kind == "triple":
        parts = term["value"]
        return "<< " + " ".join(_nt_term(parts[p]) for p in ("subject", "predicate", "object")) + " >>"
    lexical = "".join(_NT_ESCAPES.get(c, c) for c in term["value"])
    if "xml:lang" in term:
        return f'"{lexical}"@{term["xml:lang"]}'
    datatype = term.get("datatype")
    if datatype and datatype not in (XSD_STRING, RDF_LANG_STRING):
        return f'"{lexical}"^^<{datatype}>'
    return f'"{lexical}"'


def _tsv(variables: list[str], rows: Iterable[Row]) -> str:
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_nt_term(row[v]) if v in row else "" for v in variables) for row in rows]
    return "\n".join(lines) + "\n"


_BINDINGS_WRITERS = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}


# ---------------------------------------------------------------- reading (remote backend)
def parse_json_term(term: Term) -> Term:
    """A term from another store's SPARQL JSON, normalised to our shape (SPARQL 1.0 servers say
    "typed-literal"; the xsd:string datatype is implied and dropped)."""
    kind = term.get("type")
    if kind == "typed-literal":
        term = {**term, "type": "literal"}
    if term.get("type") == "literal" and term.get("datatype") in (XSD_STRING, RDF_LANG_STRING):
        term = {k: v for k, v in term.items() if k != "datatype"}
    if term.get("type") not in ("uri", "literal", "bnode", "triple"):
        raise ValueError(f"unknown SPARQL JSON term type {kind!r}")
    return term
