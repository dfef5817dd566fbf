"""The named-query files (queries/*.rq) and their loader, without a server: every file loads and declares the
parameters it uses; broken files are refused with file, field and reason; values are bound as RDF terms,
never pasted (a hostile value stays one literal)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery

from senate_kg.paths import QUERIES_DIR
from server.named_queries import (
    NamedQuery,
    Param,
    ParamError,
    QueryFileError,
    load_named_queries,
    parse_named_query,
)

BASE = "http://senate-kg.test/"
PARAM_VARIABLE = re.compile(r"[?$]_([A-Za-z0-9_]+)")


def test_at_least_twelve_public_named_queries_load():
    queries = load_named_queries()
    assert len(queries) >= 12
    assert [q.name for q in queries] == sorted(q.name for q in queries)
    assert all(q.title and q.description and q.columns for q in queries)


@pytest.mark.parametrize("path", sorted(QUERIES_DIR.glob("*.rq")), ids=lambda p: p.stem)
def test_every_query_file_declares_exactly_the_parameters_it_uses(path: Path):
    query = parse_named_query(path)
    assert query.name == path.stem
    used = set(PARAM_VARIABLE.findall(query.sparql))
    assert used == {p.name for p in query.params}
    for example in query.examples_for("http://senate-kg.test/"):  # examples are valid calls
        query.bind(example)


@pytest.mark.parametrize("path", sorted((QUERIES_DIR / "publish").glob("*.rq")), ids=lambda p: p.stem)
def test_the_publishers_own_queries_load_too(path: Path):
    assert parse_named_query(path, paged=False).columns  # read whole, as senate_kg/publish.py reads them


def test_rendered_queries_parse_with_and_without_parameters():
    for query in load_named_queries():
        bindings = {p.name: p.convert(p.default) if p.default else _sample_value(p) for p in query.params}
        for chosen in ({}, bindings):
            required = {p.name: bindings[p.name] for p in query.params if p.required}
            text = query.render({**required, **chosen}, BASE, limit=11, offset=10)
            assert text.startswith(f"BASE <{BASE}>")
            assert text.rstrip().endswith("OFFSET 10")
            prepareQuery(text)  # still valid SPARQL


def _sample_value(param):
    return {"iri": URIRef(BASE + "x"), "string": Literal("x"), "integer": Literal(5, datatype=XSD.integer),
            "decimal": Literal("1.5", datatype=XSD.decimal), "date": Literal("2013-04-30", datatype=XSD.date),
            "boolean": Literal(True), "enum": Literal(param.choices[0] if param.choices else "x")}[param.type]


# ---------------------------------------------------------------- broken files are refused, with field and reason
HEADER = '#+ name: {name}\n#+ title: T\n#+ description: D\n'
BODY = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n"


@pytest.mark.parametrize(("text", "field", "reason"), [
    ("#+ title: T\n#+ description: D\n" + BODY, "name", "missing"),
    (HEADER.format(name="other") + BODY, "name", "equal the file name"),
    ("#+ name: broken\n#+ description: D\n" + BODY, "title", "missing"),
    ("#+ name: broken\n#+ title: T\n" + BODY, "description", "missing"),
    (HEADER.format(name="broken") + "SELECT ?s WHERE { ?s ?p ?_x } ORDER BY ?s\n", "param", "not declared"),
    (HEADER.format(name="broken") + '#+ param: x iri - "X"\n' + BODY, "param", "never uses"),
    (HEADER.format(name="broken") + '#+ param: x uri - "X"\n' + BODY, "param", "is not one of"),
    (HEADER.format(name="broken") + '#+ param: x integer five "X"\n' + BODY, "param", "must be an integer"),
    (HEADER.format(name="broken") + "#+ param: x integer\n" + BODY, "param", "expected NAME TYPE"),
    (HEADER.format(name="broken") + '#+ param: limit integer - "X"\n' + BODY, "param", "bad parameter name"),
    (HEADER.format(name="broken") + "#+ summary: S\n" + BODY, "summary", "unknown header key"),
    (HEADER.format(name="broken") + "ASK WHERE { ?s ?p ?o }\n", "body", "must be a SELECT"),
    (HEADER.format(name="broken") + "SELECT ?s WHERE { ?s ?p ?o }\n", "body", "ORDER BY"),
    (HEADER.format(name="broken") + "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10\n", "body", "LIMIT"),
    (HEADER.format(name="broken") + "SELECT ?s { ?s ?p ?o } ORDER BY ?s\n", "body", "WHERE keyword"),
    (HEADER.format(name="broken") + "SELECT ?s WHERE { ?s ex:p ?o } ORDER BY ?s\n", "body", "not valid SPARQL"),
    (HEADER.format(name="broken") + "SELECT ?s WHERE { ?s ?p ?o ORDER BY ?s\n", "body", "not valid SPARQL"),
])
def test_a_broken_query_file_is_refused_naming_file_field_and_reason(tmp_path, text, field, reason):
    path = tmp_path / "broken.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QueryFileError) as caught:
        parse_named_query(path)
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(path) in str(caught.value)


def test_a_broken_file_stops_loading_at_start_up(tmp_path):
    (tmp_path / "fine.rq").write_text(HEADER.format(name="fine") + BODY, encoding="utf-8")
    (tmp_path / "bad.rq").write_text(HEADER.format(name="bad") + "SELECT nonsense", encoding="utf-8")
    with pytest.raises(QueryFileError, match="bad.rq"):
        load_named_queries(tmp_path)


# ---------------------------------------------------------------- binding: validated terms, never text
def _query(tmp_path: Path, params: str, where: str):
    path = tmp_path / "q.rq"
    path.write_text(HEADER.format(name="q") + params + f"SELECT ?s WHERE {{ {where} }} ORDER BY ?s\n",
                    encoding="utf-8")
    return parse_named_query(path)


def test_values_are_converted_to_typed_terms(tmp_path):
    query = _query(tmp_path, '#+ param: who iri required "W"\n#+ param: n integer 3 "N"\n'
                             '#+ param: day date - "D"\n#+ param: lang fr|nl fr "L"\n#+ param: ok boolean - "O"\n',
                   "?s ?p ?_who, ?_n, ?_day, ?_lang, ?_ok")
    bound = query.bind({"who": "http://senate-kg.test/person/x", "day": "2013-04-30", "ok": "true"})
    assert bound == {"who": URIRef("http://senate-kg.test/person/x"), "n": Literal(3, datatype=XSD.integer),
                     "day": Literal("2013-04-30", datatype=XSD.date), "lang": Literal("fr"),
                     "ok": Literal(True, datatype=XSD.boolean)}


@pytest.mark.parametrize(("raw", "param", "reason"), [
    ({}, "who", "required"),
    ({"who": "not an iri"}, "who", "absolute"),
    ({"who": "http://x/> } ; DROP ALL ; SELECT * WHERE { <a"}, "who", "absolute"),
    ({"who": "http://x/", "n": "3; DROP ALL"}, "n", "integer"),
    ({"who": "http://x/", "day": "30/4/2013"}, "day", "YYYY-MM-DD"),
    ({"who": "http://x/", "day": "2013-02-30"}, "day", "calendar"),
    ({"who": "http://x/", "lang": "de"}, "lang", "one of"),
    ({"who": "http://x/", "ok": "maybe"}, "ok", "true or false"),
    ({"who": "http://x/", "legislatur": "5"}, "legislatur", "unknown parameter"),
])
def test_bad_values_are_refused_saying_which_and_why(tmp_path, raw, param, reason):
    query = _query(tmp_path, '#+ param: who iri required "W"\n#+ param: n integer 3 "N"\n'
                             '#+ param: day date - "D"\n#+ param: lang fr|nl fr "L"\n#+ param: ok boolean - "O"\n',
                   "?s ?p ?_who, ?_n, ?_day, ?_lang, ?_ok")
    with pytest.raises(ParamError) as caught:
        query.bind(raw)
    assert caught.value.param == param
    assert reason in caught.value.reason


STRING_QUERY = NamedQuery("echo", "Echo", "Returns its parameter.", (Param("name", "string", None, False, "N"),),
                          "SELECT ?v WHERE { BIND(?_name AS ?v) } ORDER BY ?v\n", ("v",), "memory")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80).filter(lambda t: t and not re.search(r"[\x00-\x1f\x7f]", t)))
def test_a_string_value_stays_one_literal_whatever_it_contains(text):
    """grlc's injection: `"} DROP ALL #`, quotes, backslashes, braces: bound, run, it comes back unchanged."""
    rendered = STRING_QUERY.render(STRING_QUERY.bind({"name": text}), BASE)
    rows = list(Graph().query(rendered))
    assert [str(row[0]) for row in rows] == [text]
