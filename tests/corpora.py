"""Corpora that data tests share: the bundled samples or synthetic pages (bench/synthetic.py), built by the real
command line, with the parsed and merged `Question` records that the truth is computed from (never SPARQL)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from mapping.errors import ParseError
from mapping.eurovoc import match_descriptor
from mapping.iris import Iris
from mapping.merge import merge_questions
from mapping.model import EventKind, Question
from mapping.parse import parse_page
from mapping.rdf import local_concept_iri
from store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def load_bench(name: str) -> ModuleType:
    """A script from bench/ as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"senate_kg_bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


class Corpus:
    """Pages, the store `senate-kg build` made of them, and the records parsed from them."""

    def __init__(self, pages_dir: Path, store_dir: Path) -> None:
        self.pages_dir = pages_dir
        self.store_dir = store_dir
        records = []
        for page in sorted(pages_dir.rglob("*.txt")):
            try:
                records.append(parse_page(page.read_bytes(), str(page)))
            except ParseError:  # pages the build rejects too (the bulletin pages; SOURCES.tsv is no .txt)
                continue
        self.questions: list[Question] = merge_questions(records)


def build_corpus(kind: str, folder: Path, base: str, *, count: int, seed: int) -> Corpus:
    """`kind` "samples" (the bundled pages) or "synthetic" (`count` pages of bench/synthetic.py), built into
    `folder/store` under `base`."""
    from senate_kg.cli import main

    pages = SAMPLES
    if kind == "synthetic":
        pages = folder / "pages"
        load_bench("synthetic").write_pages(count, pages, seed=seed)
    store_dir = folder / "store"
    assert main(["build", "--quiet", "--store", str(store_dir), "--base-uri", base, str(pages)]) in (0, 1)
    return Corpus(pages, store_dir)


def answered(q: Question) -> bool:
    """What mapping.rdf calls answered: an answer event, date or text."""
    return bool(any(e.kind is EventKind.ANSWER for e in q.events) or q.answer_date or q.answer_text)


def concepts_of(q: Question, iris: Iris) -> set[str]:
    """The concepts a question's descriptors denote (EuroVoc, else local), each once."""
    found = set()
    for d in q.descriptors:
        fr, nl = (d.fr or "").strip() or None, (d.nl or "").strip() or None
        if fr is None and nl is None:
            continue
        match = match_descriptor(fr, nl)
        found.add(iris.eurovoc(match.concept.id) if match.concept else local_concept_iri(fr, nl, iris))
    return found


def named_query_rows(store: Store, name: str, base: str, **params: str) -> list[dict[str, str]]:
    """A named query of queries/ bound and rendered as the API does it, run on `store` (the union default
    graph): its rows, each value as a plain string."""
    from server.named_queries import find_named_query

    query = find_named_query(name)
    assert query is not None, name
    response = store.query(query.render(query.bind(params), base), "application/sparql-results+json")
    return [{k: v["value"] for k, v in row.items()} for row in json.loads(response.body)["results"]["bindings"]]
