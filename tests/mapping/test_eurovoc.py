"""EuroVoc linking: the shipped index, the matching order (pair, one label, altLabel, none) and its attribution."""

from __future__ import annotations

import collections
import importlib.util
from pathlib import Path

import pytest

from mapping.eurovoc import INDEX_PATH, EuroVocIndex, MatchMethod, load_index, match_descriptor, normalise
from senate_kg.paths import SHARED_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCE = SHARED_DIR / "eurovoc" / "eurovoc_concepts.tsv"
MAKE_INDEX = ROOT / "ontology" / "eurovoc" / "make_index.py"


@pytest.fixture(scope="module")
def index() -> EuroVocIndex:
    return load_index()


def test_index_holds_every_concept_with_four_labels(index):
    assert len(index) == 7382
    for concept in index.by_id.values():
        assert all(label.strip() for _, label in concept.labels()), concept.id
    assert index.by_id["5116"].labels() == (("fr", "ministère"), ("nl", "ministerie"), ("en", "ministry"),
                                            ("de", "Ministerium"))
    assert load_index() is index, "the index is read once per process"


@pytest.mark.parametrize(("fr", "nl", "concept", "method"), [
    ("ministère", "ministerie", "5116", MatchMethod.PAIR),
    ("médias sociaux", "sociale media", "c_324b44f1", MatchMethod.PAIR),
    ("Chine", "China", "5969", MatchMethod.PAIR),
    ("médias sociaux", None, "c_324b44f1", MatchMethod.LABEL),  # a French page alone
    (None, "strafgevangenis", "877", MatchMethod.LABEL),  # a Dutch page alone
    ("MINISTÈRE", None, "5116", MatchMethod.LABEL),  # case and accents ignored
    ("commerce d’Etat", None, "4", MatchMethod.LABEL),  # typographic apostrophe, Etat without accent
    ("ministère", "ministerie (oud)", "5116", MatchMethod.LABEL),  # the NL label points nowhere else
    ("colle", None, "3", MatchMethod.ALTLABEL),  # French altLabel of "adhésif"
])
def test_matching_order(fr, nl, concept, method):
    match = match_descriptor(fr, nl)
    assert match.method is method
    assert match.concept is not None and match.concept.id == concept


@pytest.mark.parametrize(("fr", "nl"), [
    ("sûreté de l'Etat", "staatsveiligheid"),  # 7-1923: not in EuroVoc, needs a local concept
    (None, "staatsveiligheid"),
    ("suivi rapport d'information", None),  # 7-1837
    ("ministère", "China"),  # the two labels name two different concepts: no guessing
    (None, None),
])
def test_no_match(fr, nl):
    match = match_descriptor(fr, nl)
    assert match.method is MatchMethod.NONE and match.concept is None


def test_an_ambiguous_alt_label_never_matches(index):
    """An altLabel shared by two concepts (and no prefLabel) must not pick one of them."""
    counts = collections.Counter(normalise(a) for c in index.by_id.values() for a in set(c.alt_fr))
    prefs = {normalise(c.fr) for c in index.by_id.values()} | {normalise(c.nl) for c in index.by_id.values()}
    shared = sorted(label for label, n in counts.items() if n > 1 and label not in prefs)
    assert shared, "the table has altLabels shared by several concepts"
    assert index.match(shared[0], None).method is MatchMethod.NONE


def test_normalise():
    assert normalise("  Sûreté  de l’État ") == "surete de l'etat"
    assert normalise("relation administration‐administré") == "relation administration-administre"


@pytest.mark.skipif(not SOURCE.exists(), reason="../shared/eurovoc is not next to the project")
def test_shipped_index_is_derived_reproducibly(tmp_path):
    spec = importlib.util.spec_from_file_location("make_index", MAKE_INDEX)
    assert spec and spec.loader
    make_index = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_index)
    rebuilt = tmp_path / "index.tsv.gz"
    assert make_index.main([str(SOURCE), str(rebuilt)]) == 0
    assert rebuilt.read_bytes() == INDEX_PATH.read_bytes(), "run ontology/eurovoc/make_index.py and commit"


def test_attribution_ships_with_the_index():
    notice = (INDEX_PATH.parent / "NOTICE.md").read_text(encoding="utf-8")
    for required in ("© European Union", "CC BY 4.0", "2011/833/EU"):
        assert required in notice


def test_malformed_index_names_file_and_line(tmp_path):
    import gzip

    from mapping.eurovoc import read_index

    bad = tmp_path / "index.tsv.gz"
    bad.write_bytes(gzip.compress(b"id\tfr\tnl\ten\tde\talt_fr\talt_en\tmicrothesauri\n1\tonly two\n"))
    with pytest.raises(ValueError, match=r"index\.tsv\.gz:2: row: 2 columns"):
        read_index(bad)
