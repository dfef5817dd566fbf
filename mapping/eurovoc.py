"""Link the descriptors printed on a question page to EuroVoc concepts, with the method that linked them.

The Senate's descriptors are EuroVoc preferred labels, printed as a French list and a Dutch list paired by
position. Matching, strongest first (DESIGN.md, docs/profile.md "Concepts"):
1. `pair`: both printed labels equal one concept's French and Dutch prefLabels;
2. `label`: one printed label equals a prefLabel of exactly one concept, and the other label (if any) points to
   no different concept (a disagreement is not resolved by guessing);
3. `altlabel`: the French label equals a French altLabel of exactly one concept (EuroVoc gives no Dutch altLabels);
4. `none`: no concept: the caller mints a local concept with the printed labels.
Comparison ignores case, accents, apostrophe and dash variants and extra spaces ("sûreté de l'Etat" is compared as
"surete de l'etat"). A normalised label shared by two concepts is ambiguous and never matches.

The index (ontology/eurovoc/index.tsv.gz, derived by ontology/eurovoc/make_index.py) is read once per process.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from senate_kg.paths import ONTOLOGY_DIR

INDEX_PATH = ONTOLOGY_DIR / "eurovoc" / "index.tsv.gz"
SCHEME_ID = "100141"  # the EuroVoc thesaurus itself: http://eurovoc.europa.eu/100141
INDEX_COLUMNS = ("id", "fr", "nl", "en", "de", "alt_fr", "alt_en", "microthesauri")
LABEL_LANGUAGES = ("fr", "nl", "en", "de")
ALT_SEPARATOR = " | "

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc\u0060\u00b4]")
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2212]")
_SPACES = re.compile(r"\s+")

_AMBIGUOUS = ""  # marks a normalised label shared by several concepts


class MatchMethod(StrEnum):
    """How a descriptor was linked; the value is the local name of the SKOS concept in ontology/senate-kg.ttl."""

    PAIR = "match-pair"
    LABEL = "match-label"
    ALTLABEL = "match-altlabel"
    NONE = "match-none"


@dataclass(frozen=True)
class Concept:
    """One EuroVoc concept as the index holds it."""

    id: str  # "5116" or "c_324b44f1"
    fr: str
    nl: str
    en: str
    de: str
    alt_fr: tuple[str, ...] = ()
    alt_en: tuple[str, ...] = ()
    microthesauri: tuple[str, ...] = ()

    def labels(self) -> tuple[tuple[str, str], ...]:
        """(language, prefLabel) for fr, nl, en, de: the labels republished in each question graph."""
        return (("fr", self.fr), ("nl", self.nl), ("en", self.en), ("de", self.de))


@dataclass(frozen=True)
class Match:
    concept: Concept | None  # None when method is NONE
    method: MatchMethod


NO_MATCH = Match(None, MatchMethod.NONE)


def normalise(label: str) -> str:
    """The comparison key of a label: no accents, no case, one kind of apostrophe and dash, single spaces."""
    text = unicodedata.normalize("NFKD", label)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _DASHES.sub("-", _APOSTROPHES.sub("'", text))
    return _SPACES.sub(" ", text).strip()


def _add_key(table: dict[str, str], key: str, concept_id: str) -> None:
    """Index a key; a key already pointing at another concept becomes ambiguous for good."""
    if not key:
        return
    known = table.get(key)
    if known is None:
        table[key] = concept_id
    elif known != concept_id:
        table[key] = _AMBIGUOUS


class EuroVocIndex:
    """Lookup tables over the concepts; build once (see `load_index`), then `match` is a few dict lookups."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.by_id: dict[str, Concept] = {c.id: c for c in concepts}
        self._pairs: dict[str, str] = {}
        self._fr: dict[str, str] = {}
        self._nl: dict[str, str] = {}
        self._alt_fr: dict[str, str] = {}
        for c in concepts:
            _add_key(self._pairs, normalise(c.fr) + "\t" + normalise(c.nl), c.id)
            _add_key(self._fr, normalise(c.fr), c.id)
            _add_key(self._nl, normalise(c.nl), c.id)
            for alt in c.alt_fr:
                _add_key(self._alt_fr, normalise(alt), c.id)

    def __len__(self) -> int:
        return len(self.by_id)

    def _found(self, table: dict[str, str], label: str | None) -> str | None:
        """The one concept id a label points to, or None (absent, not found or ambiguous)."""
        if not label:
            return None
        return table.get(normalise(label)) or None

    def match(self, fr: str | None, nl: str | None) -> Match:
        """Link one printed descriptor (either label may be missing) to a concept, strongest method first."""
        if fr and nl:
            pair = self._pairs.get(normalise(fr) + "\t" + normalise(nl))
            if pair:
                return Match(self.by_id[pair], MatchMethod.PAIR)
        found = {i for i in (self._found(self._fr, fr), self._found(self._nl, nl)) if i}
        if len(found) == 1:
            return Match(self.by_id[found.pop()], MatchMethod.LABEL)
        if not found:
            alt = self._found(self._alt_fr, fr)
            if alt:
                return Match(self.by_id[alt], MatchMethod.ALTLABEL)
        return NO_MATCH


def _split(cell: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(separator) if part.strip())


def read_index(path: Path) -> list[Concept]:
    """Concepts from the gzip TSV written by make_index.py; a malformed file is reported with its line."""
    with gzip.open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = tuple(next(reader, ()))
        if header != INDEX_COLUMNS:
            raise ValueError(f"{path}: header: expected {INDEX_COLUMNS}, found {header}")
        concepts = []
        for line, row in enumerate(reader, start=2):
            if len(row) != len(INDEX_COLUMNS):
                raise ValueError(f"{path}:{line}: row: {len(row)} columns instead of {len(INDEX_COLUMNS)}")
            cid, fr, nl, en, de, alt_fr, alt_en, micro = row
            concepts.append(Concept(cid, fr, nl, en, de, _split(alt_fr, ALT_SEPARATOR),
                                    _split(alt_en, ALT_SEPARATOR), tuple(micro.split())))
    return concepts


@lru_cache(maxsize=4)
def load_index(path: Path = INDEX_PATH) -> EuroVocIndex:
    """The index, read once per process and path (about 40 ms), shared by every mapping call."""
    return EuroVocIndex(read_index(path))


@lru_cache(maxsize=65536)
def match_descriptor(fr: str | None, nl: str | None) -> Match:
    """Match against the shipped index; cached because the same descriptors recur on thousands of questions."""
    return load_index().match(fr, nl)
