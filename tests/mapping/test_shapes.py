"""The shapes themselves: valid SHACL, one closed shape per kind of node, Core constraints only, base-relative."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl.entrypoints import meta_validate
from rdflib import Graph, URIRef
from rdflib import namespace as ns

from mapping.iris import Iris
from mapping.validate import ShapesError, load_shapes
from senate_kg.paths import SHAPES_DIR

SH = ns.SH
BASE = "http://senate-kg.test/"
SHAPE_FILES = sorted(SHAPES_DIR.glob("*.ttl"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(Iris(BASE))


def test_there_are_shapes_files():
    assert {p.name for p in SHAPE_FILES} >= {"works.ttl", "activities.ttl", "concepts.ttl", "agents.ttl"}


@pytest.mark.parametrize("path", SHAPE_FILES, ids=lambda p: p.name)
def test_each_shapes_file_is_valid_shacl(path: Path):
    """Parsed alone under the base, each file conforms to the SHACL-SHACL shapes graph pyshacl ships."""
    graph = Graph().parse(path, format="turtle", publicID=BASE + "def/")
    assert len(graph) > 10
    conforms, _report, text = meta_validate(graph, inference="none")
    assert conforms, text


def test_one_closed_shape_per_kind_of_node(shapes):
    targets = {
        "WrittenQuestion": "QuestionShape", "WrittenAnswer": "AnswerShape", "Expression": "ExpressionShape",
        "Manifestation": "ManifestationShape", "Activity": "ActivityShape", "Participation": "ParticipationShape",
        "LocalConcept": "LocalConceptShape", "Person": "PersonShape", "PoliticalParty": "PartyShape",
        "MinisterOffice": "OfficeShape", "ParliamentaryTerm": "TermShape",
    }
    by_class = {str(c).rsplit("/", 1)[-1].rsplit("#", 1)[-1]: s for s, c in shapes.subject_objects(SH.targetClass)}
    for cls, shape_name in targets.items():
        shape = by_class[cls]
        assert str(shape).endswith("#" + shape_name)
        assert shapes.value(shape, SH.closed).toPython() is True, shape_name
        assert list(shapes.items(shapes.value(shape, SH.ignoredProperties))) == [ns.RDF.type]
    subject = URIRef(BASE + "def/shapes#SubjectShape")
    assert shapes.value(subject, SH.targetObjectsOf) == URIRef("http://data.europa.eu/eli/ontology#is_about")
    assert shapes.value(subject, SH.closed).toPython() is True


def test_only_cheap_core_constraints(shapes):
    """SPARQL-based constraints, qualified value shapes and per-node logical shapes cost 6-25x in pyshacl."""
    for expensive in (SH.sparql, SH.qualifiedValueShape, SH["or"], SH.xone, SH["and"], SH["not"], SH.node):
        assert not list(shapes.subject_objects(expensive)), expensive


def test_local_terms_follow_the_base():
    other = load_shapes(Iris("https://example.org/x/"))
    targets = {str(o) for o in other.objects(None, SH.targetClass)}
    assert "https://example.org/x/def/WrittenQuestion" in targets
    assert URIRef("https://example.org/x/org/senate") in set(other.objects(None, SH.hasValue))
    assert not any(BASE in str(t) for triple in other for t in triple)


def test_every_rule_the_issue_asks_for_is_stated(shapes):
    patterns = {str(o) for o in shapes.objects(None, SH.pattern)}
    assert r"^\d+-\d+$" in patterns  # the question identifier
    languages = [list(shapes.items(head)) for head in shapes.objects(None, SH.languageIn)]
    assert any({str(x) for x in items} == {"fr", "nl"} for items in languages)
    assert list(shapes.subjects(SH.lessThanOrEquals, None)), "an answer is never dated before its question"
    original = [s for s in shapes.subjects(SH.path, URIRef("https://data.europarl.europa.eu/def/epvoc#originalLanguage"))]
    assert original and {str(x).rsplit("/", 1)[-1] for x in shapes.items(shapes.value(original[0], SH["in"]))} == {
        "FRA", "NLD"}


def test_unreadable_shapes_are_reported_with_the_file(tmp_path):
    (tmp_path / "broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:path", "utf-8")
    with pytest.raises(ShapesError, match=r"broken\.ttl: cannot be parsed as Turtle"):
        load_shapes(Iris(BASE), tmp_path)
    with pytest.raises(ShapesError, match="no \\*.ttl shapes files"):
        load_shapes(Iris(BASE), tmp_path / "missing")


def test_the_meta_check_would_catch_a_broken_shape():
    broken = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <S> a sh:NodeShape ; sh:property [ sh:path <p> ; sh:minCount "one" ] ; sh:closed "yes" .
    """, format="turtle", publicID=BASE + "def/")
    conforms, _report, _text = meta_validate(broken, inference="none")
    assert not conforms
