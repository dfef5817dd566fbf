"""The shared pieces of both backends: the lexical checks on users' queries (store/safety.py) and the SPARQL
results writers (store/results.py), with property tests where the input space is large."""

from __future__ import annotations

import contextlib
import io
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.query import Result

from store import QueryRejected, results, safety

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
IRI_CHARS = st.text(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/", max_size=30)  # valid in a path


@pytest.mark.parametrize("query, form", [
    ("SELECT * {}", "bindings"), ("  ask {}", "boolean"), ("PREFIX a: <http://a/> CONSTRUCT {} WHERE {}", "graph"),
    ("BASE <http://b/>\n# SELECT in a comment\nDESCRIBE <x>", "graph"), ("INSERT DATA {}", None), ("", None),
])
def test_query_form(query: str, form: str | None) -> None:
    assert safety.query_form(query) == form


@given(TEXT)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_the_word_service_inside_a_string_never_refuses(text: str) -> None:
    literal = Literal(text + " SERVICE <http://x> {}").n3()
    assert not safety.uses_service(f"SELECT * WHERE {{ BIND({literal} AS ?x) }} # SERVICE")


@given(IRI_CHARS)
def test_the_word_service_inside_an_iri_never_refuses(text: str) -> None:
    assert not safety.uses_service(f"SELECT * WHERE {{ ?s <http://x/{text}SERVICE{text}> ?o }}")


@given(st.sampled_from(["SERVICE", "service", "Service", "\\u0053ERVICE", "SERV\\u0049CE"]),
       st.sampled_from([" ", "\n", "\t", ".", "}", "{ "]), st.sampled_from([" <http://x>", "<http://x>", " ?e"]))
def test_service_as_a_keyword_is_always_found(word: str, before: str, after: str) -> None:
    query = f"SELECT * WHERE {{ ?s ?p ?o {before}{word} SILENT{after} {{ ?s ?p ?o }} }}"
    assert safety.uses_service(query)
    with pytest.raises(QueryRejected, match="SERVICE"):
        safety.check_user_query(query)


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_checking_any_text_raises_only_query_rejected(text: str) -> None:
    with contextlib.suppress(QueryRejected):
        safety.check_user_query(text)
    safety.query_form(text)
    safety.declared_prefixes(text)


@given(TEXT, IRI_CHARS)
def test_bound_values_are_terms_in_one_values_row(text: str, iri_tail: str) -> None:
    query = "PREFIX ex: <http://example.org/>\nSELECT ?s WHERE { ?s ex:p ?o . FILTER(?o != \"{\") } ORDER BY ?s"
    bound = safety.bind_values(query, {"o": Literal(text), "g": URIRef("http://example.org/" + iri_tail)})
    assert bound.count("VALUES") == 1
    assert Literal(text).n3() in bound
    assert bound.index("VALUES") > bound.index("WHERE {")
    assert bound.endswith("ORDER BY ?s")


def test_a_bad_iri_cannot_be_bound() -> None:
    with pytest.raises(ValueError):
        safety.bind_values("SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("http://x/> } ; DROP ALL ; <y")})


# ---------------------------------------------------------------- results writers
TERM = st.one_of(
    st.builds(lambda t: {"type": "literal", "value": t}, TEXT),
    st.builds(lambda t, lang: {"type": "literal", "value": t, "xml:lang": lang}, TEXT,
              st.sampled_from(["fr", "nl", "en-GB"])),
    st.builds(lambda n: {"type": "literal", "value": str(n),
                         "datatype": "http://www.w3.org/2001/XMLSchema#integer"}, st.integers(-10**6, 10**6)),
    st.builds(lambda tail: {"type": "uri", "value": "http://example.org/" + tail}, IRI_CHARS),
    st.builds(lambda n: {"type": "bnode", "value": f"b{n}"}, st.integers(0, 99)),
)
# rows binding at least one variable (rdflib's JSON parser drops a row that binds none)
ROWS = st.lists(st.fixed_dictionaries({}, optional={"a": TERM, "b": TERM}).filter(bool), max_size=8)


def expected_value(term: dict):
    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "literal":
        return Literal(term["value"], lang=term.get("xml:lang"),
                       datatype=URIRef(term["datatype"]) if "datatype" in term else None)
    return None  # blank nodes: labels are not preserved by parsers


def read_tsv(body: bytes) -> list[tuple]:
    """TSV read by pyoxigraph's parser (rdflib's TSV reader knows no \\u escapes, which line-ending characters
    such as U+0085 need), its terms turned into rdflib's."""
    import pyoxigraph as ox

    def term(value):
        if value is None or isinstance(value, ox.BlankNode):
            return None
        if isinstance(value, ox.NamedNode):
            return URIRef(value.value)
        datatype = value.datatype.value
        plain = datatype.endswith(("#string", "#langString"))
        return Literal(value.value, lang=value.language, datatype=None if plain else URIRef(datatype))

    solutions = ox.parse_query_results(body, ox.QueryResultsFormat.TSV)
    return [tuple(term(solution[v]) for v in ("a", "b")) for solution in solutions]


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
@given(rows=ROWS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_written_results_parse_back_to_the_same_terms(fmt: str, rows: list[dict]) -> None:
    if fmt == "xml" and any(any(c in t["value"] for c in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                 "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff")
                            for row in rows for t in row.values()):
        return  # XML 1.0 cannot carry these characters at all
    body = results.write_bindings(fmt, ["a", "b"], rows)
    parsed = list(Result.parse(io.BytesIO(body), format=fmt)) if fmt != "tsv" else read_tsv(body)
    assert len(parsed) == len(rows)
    for row, back in zip(rows, parsed, strict=True):
        for position, name in enumerate(("a", "b")):
            term = row.get(name)
            if term is None or term["type"] == "bnode":
                assert term is not None or back[position] is None
            elif expected_value(term) is not None:
                assert back[position] == expected_value(term), (fmt, term, back[position])


LINE_BREAKING = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # rdflib's CSV reader splits lines on these


@given(rows=ROWS.filter(lambda rows: all(any(t["value"] for t in row.values()) for row in rows)
                        and not any(c in t["value"] for row in rows for t in row.values() for c in LINE_BREAKING)))
def test_csv_quotes_what_needs_quoting(rows: list[dict]) -> None:
    """(In CSV an empty string and an unbound variable are both an empty field: rows of only those are left out,
    and an empty string reads back as unbound.)"""
    body = results.write_bindings("csv", ["a", "b"], rows).decode()
    parsed = list(Result.parse(io.BytesIO(body.encode()), format="csv"))
    assert len(parsed) == len(rows)
    for row, back in zip(rows, parsed, strict=True):
        for position, name in enumerate(("a", "b")):
            term = row.get(name)
            if term is not None and term["type"] != "bnode":
                assert str(back[position] if back[position] is not None else "") == term["value"]


def test_booleans() -> None:
    assert results.write_boolean("json", True) == b'{"head":{},"boolean":true}'
    assert b"<boolean>false</boolean>" in results.write_boolean("xml", False)
    assert Result.parse(io.BytesIO(results.write_boolean("xml", True)), format="xml").askAnswer is True
    assert Result.parse(io.BytesIO(results.write_boolean("json", False)), format="json").askAnswer is False
