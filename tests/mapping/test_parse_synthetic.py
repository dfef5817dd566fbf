"""bench/synthetic.py: 200 generated pages parse back to exactly the records they were generated from, are
unmistakably synthetic, and are the same for the same seed."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from mapping.merge import merge_questions
from mapping.model import Layout
from mapping.parse import parse_page

BENCH = Path(__file__).resolve().parents[2] / "bench" / "synthetic.py"
COUNT = 200


def _load_generator():
    spec = importlib.util.spec_from_file_location("senate_kg_bench_synthetic", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


synthetic = _load_generator()


@pytest.fixture(scope="module")
def pages():
    return list(synthetic.generate(COUNT, seed=11))


def test_every_page_parses_back_to_what_was_generated(pages):
    assert len(pages) == COUNT
    for page in pages:
        q = parse_page(page.text, page.filename)
        assert q.sources[0].layout is Layout.BILINGUAL_PRINT
        assert dataclasses.replace(q, sources=()) == page.expected, page.filename


def test_pages_are_marked_synthetic_and_realistic(pages):
    sizes = sorted(len(p.text.encode("utf-8")) for p in pages)
    assert sizes[0] > 2_000 and sizes[-1] < 14_000 and 3_000 < sizes[len(sizes) // 2] < 10_000
    for page in pages:
        q = page.expected
        assert q.legislature == synthetic.LEGISLATURE == 99 and ".synthetic." in page.filename
        assert q.author.startswith("Synthetic Senator ") and q.party.startswith("Synthetic Party ")
        assert "synthétique" in q.addressee["fr"] and "synthetische" in q.addressee["nl"]
        assert q.question_text["fr"].startswith(synthetic.MARKER["fr"])
        assert q.question_text["nl"].startswith(synthetic.MARKER["nl"])
        assert len(q.also_asked) <= 3
    expected = [p.expected for p in pages]
    assert any(q.answer_text for q in expected) and any(not q.answer_text for q in expected)
    assert any(q.also_asked for q in expected) and any(not q.also_asked for q in expected)
    assert any(d.fr.startswith("thème synthétique") for q in expected for d in q.descriptors)


def test_descriptors_are_real_eurovoc_pairs_or_marked_unknown(pages):
    pairs = set(synthetic.load_descriptor_pairs())
    for page in pages:
        for d in page.expected.descriptors:
            assert (d.fr, d.nl) in pairs or d.fr.startswith("thème synthétique")


def test_siblings_link_both_ways(pages):
    merged = {q.identifier: q for q in merge_questions(parse_page(p.text, p.filename) for p in pages)}
    assert len(merged) == COUNT
    for identifier, q in merged.items():
        for sibling in q.also_asked:
            assert identifier in merged[sibling].also_asked


def test_deterministic_for_a_seed(pages):
    again = list(synthetic.generate(COUNT, seed=11))
    assert [p.text for p in again] == [p.text for p in pages]
    assert [p.text for p in synthetic.generate(20, seed=12)] != [p.text for p in pages[:20]]


def test_command_line_writes_the_pages(tmp_path, pages):
    assert synthetic.main(["--count", "25", "--out", str(tmp_path), "--seed", "11"]) == 0
    written = sorted(tmp_path.iterdir())
    assert len(written) == 25
    first = tmp_path / pages[0].filename
    assert first.read_text("utf-8") == pages[0].text
    assert synthetic.write_pages(3, tmp_path / "w", seed=11) == [tmp_path / "w" / p.filename for p in pages[:3]]
