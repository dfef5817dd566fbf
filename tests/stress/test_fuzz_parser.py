"""Fuzz the page parser: mutated real pages (bytes) give a Question or a ParseError naming a known field, never
anything else, never slowly; long lines cost linear time; the size and header limits hold.

The mutation operations and the contract check are bench/fuzz_parser.py's (the atheris harness uses the same):
here hypothesis drives them (and shrinks a failure to a small input), and a seeded random loop adds volume.
`SENATE_KG_STRESS=long` multiplies the examples.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stress_helpers import LONG, ROOT, load_bench, record, scaled

from mapping.errors import ParseError
from mapping.parse import MAX_HEADER_LINES, parse_page
from mapping.text import MAX_PAGE_BYTES

fuzz = load_bench("fuzz_parser")
SEEDS = fuzz.seed_pages()
COMPLETE = (ROOT / "data" / "samples" / "000_a9f2765591931727.txt").read_text("utf-8")
COMPLETE_LINES = COMPLETE.split("\n")
MB = 1_000_000

PAYLOAD = st.sampled_from(fuzz.INVALID_UTF8 + fuzz.AWKWARD) | st.binary(max_size=24)
MUTATION = st.tuples(st.sampled_from([op for op in fuzz.OPERATIONS if op != "huge_line"]),
                     st.integers(0, 1 << 30), st.integers(0, 1 << 30), PAYLOAD)


@st.composite
def mutated_bytes(draw, huge: bool = False) -> bytes:
    """A real page (UTF-8 or cp1252 bytes) with 1-6 mutations; `huge` adds one 10 KB-1 MB line."""
    data = draw(st.sampled_from(SEEDS))
    mutations = draw(st.lists(MUTATION, min_size=1, max_size=6))
    if huge:
        position = draw(st.integers(0, len(mutations)))
        mutations.insert(position, ("huge_line", draw(st.integers(0, 1 << 30)), draw(st.integers(0, 99)),
                                    draw(st.sampled_from([b"", b"a", b"le ", b"\xc3", b"30/4/2013", b"(x) ",
                                                          b"\xa0", b"de ", b" - ", b"Rappel "]))))
    for op, a, b, payload in mutations:
        data = fuzz.mutate(data, op, a, b, payload)
    return data


TRIED: dict[str, Counter] = {}  # per test: inputs checked by outcome, reported once (bench/stress_report.py)


@pytest.fixture(scope="module", autouse=True)
def _report_inputs_tried():
    yield
    for name, outcomes in sorted(TRIED.items()):
        record("fuzz-hypothesis", test=name, inputs=sum(outcomes.values()), outcomes=dict(outcomes))


def _check(data: bytes, test: str) -> str:
    """bench/fuzz_parser.check_page, with the record also mapped to RDF; a violation fails with its message."""
    try:
        outcome = fuzz.check_page(data, map_records=True)
        TRIED.setdefault(test, Counter())[outcome] += 1
        return outcome
    except fuzz.ContractViolation as exc:
        pytest.fail(f"{exc} (input: {data[:300]!r}{'...' if len(data) > 300 else ''})")


@settings(max_examples=scaled(300, 5000), deadline=None, derandomize=not LONG,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_bytes())
def test_mutated_bytes_give_a_record_or_a_named_parse_error(data):
    _check(data, "mutated pages")


@settings(max_examples=scaled(12, 150), deadline=None, derandomize=not LONG,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_bytes(huge=True))
def test_pages_with_a_huge_line_parse_in_linear_time(data):
    _check(data, "pages with a huge line")  # check_page bounds the time: 0.5 s + 2.5 s per MB


def test_random_mutation_loop_finds_no_crash():
    """Volume: a seeded random loop over the same mutations (hypothesis spends its time shrinking and replaying)."""
    inputs, seconds = scaled(1500, 60_000), scaled(20, 900)
    report = fuzz.mutation_loop(seconds, seed=1, max_inputs=inputs)
    record("fuzz-loop", inputs=report.inputs, seconds=round(report.seconds, 1), crashes=len(report.crashes),
           slowest_s=round(report.slowest[0], 3), slowest_bytes=report.slowest[1], outcomes=dict(report.outcomes))
    assert not report.crashes, "\n".join(message for message, _ in report.crashes[:10])
    assert report.outcomes["record"] > report.inputs // 10, "the mutations must leave many pages readable"


@pytest.mark.parametrize("step", [scaled(13, 1)])
def test_every_truncation_of_the_complete_page(step):
    """A page may be cut anywhere (the excerpts are cut at 2,000 bytes), also inside a UTF-8 sequence."""
    raw = COMPLETE.encode("utf-8")
    outcomes = {_check(raw[:end], "every truncation") for end in range(0, len(raw) + 1, step)}
    assert "record" in outcomes


def test_cp1252_pages_read_as_their_utf8_twins():
    """Decoding is explicit: a real page served as Windows-1252 gives the same record as its UTF-8 bytes."""
    compared = 0
    for path in sorted((ROOT / "data" / "samples").glob("*.txt")):
        text = path.read_text("utf-8")
        try:
            legacy = text.encode("cp1252")
        except UnicodeEncodeError:
            continue  # a character Windows-1252 cannot write: nothing to compare
        one, other = parse_page(text.encode("utf-8"), path.name), parse_page(legacy, path.name)
        assert dataclasses.replace(one, sources=()) == dataclasses.replace(other, sources=()), path.name
        compared += 1
    assert compared >= 10


# ---------------------------------------------------------------- time on long input
def _page_with_line(index: int, line: str) -> str:
    return "\n".join([*COMPLETE_LINES[:index], line, *COMPLETE_LINES[index:]])


LONG_LINES = {  # where a 1 MB line goes, and what it repeats: every kind of line the grammar reads
    "title": (16, "Politique "),
    "title without spaces": (16, "x"),
    "title of dashes": (16, "A - "),
    "descriptor": (19, "communauté "),
    "session": (3, "Session 2012-2013 "),
    "dates": (5, "30 avril 2013 "),
    "event": (30, "30/4/2013Rappel "),
    "relation": (34, "Ook gesteld aan : "),
    "author with parentheses": (8, "de X (a) "),
    "author dates": (8, "de X du 1 mai 2013 "),
    "question header": (71, "Question n° 5-8900 du 30 avril 2013 : "),
    "question text": (75, "le la de het "),
    "answer header": (100, "Réponse reçue le 30 mai 2013 : "),
    "non-breaking spaces": (80, "\xa0 "),
    "open parentheses": (8, "de ("),
}


def _parse_seconds(text: str) -> float:
    started = time.perf_counter()
    try:
        parse_page(text, "long.txt")
    except ParseError as err:
        assert not err.reason.startswith("parser failure"), err
    return time.perf_counter() - started


@pytest.mark.parametrize("name", sorted(LONG_LINES))
def test_a_one_megabyte_line_parses_in_linear_time(name):
    """1 MB in one line: under 2 s, and no more than ~linear growth from 250 KB (a backtracking regex would be
    quadratic: 16x the time for 4x the input)."""
    index, unit = LONG_LINES[name]
    quarter = _parse_seconds(_page_with_line(index, unit * (MB // 4 // len(unit))))
    full = _parse_seconds(_page_with_line(index, unit * (MB // len(unit))))
    record("long-line", line=name, seconds_250k=round(quarter, 3), seconds_1m=round(full, 3))
    assert full < 2.0, f"{name}: a 1 MB line took {full:.2f} s"
    assert full < 8 * quarter + 0.25, f"{name}: 250 KB in {quarter:.3f} s but 1 MB in {full:.3f} s: not linear"


def test_many_short_lines_at_the_size_limit_parse_in_bounded_time():
    """The page size limit bounds the line count too: 2 MB of one-letter lines in the text still parse fast."""
    body = "\n".join(["a"] * ((MAX_PAGE_BYTES - len(COMPLETE.encode()) - 2) // 2))
    seconds = _parse_seconds(COMPLETE + "\n" + body)
    record("many-lines", where="text", seconds=round(seconds, 3))
    assert seconds < fuzz.time_bound(MAX_PAGE_BYTES)


def test_an_oversized_header_is_refused_quickly():
    """Regression (found here): a 2 MB page of one-letter descriptor lines took ~8 s in the header reader and
    came out with ~a million descriptors; now the header region is capped at MAX_HEADER_LINES."""
    lines = ["a"] * ((MAX_PAGE_BYTES - len(COMPLETE.encode())) // 2 - 10)
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        parse_page(_page_with_line(19, "\n".join(lines)), "descriptors.txt")
    seconds = time.perf_counter() - started
    record("many-lines", where="header", seconds=round(seconds, 3))
    assert caught.value.field == "header" and str(MAX_HEADER_LINES) in caught.value.reason
    assert seconds < 1.5


def test_a_header_at_the_cap_still_parses():
    """The cap is far above real pages (< 100 header lines) and exact: MAX_HEADER_LINES lines are accepted."""
    start = COMPLETE_LINES.index("ministère")
    extra = MAX_HEADER_LINES - (COMPLETE_LINES.index(next(x for x in COMPLETE_LINES if x.startswith("Question n°")))
                                - 1)
    text = _page_with_line(start, "\n".join(["thème"] * extra))
    assert len(parse_page(text, "cap.txt").descriptors) > extra // 2
    with pytest.raises(ParseError, match="header"):
        parse_page(_page_with_line(start, "\n".join(["thème"] * (extra + 1))), "cap.txt")


@pytest.mark.parametrize("kind", ["bytes", "str"])
def test_the_size_limit_is_checked_first(kind):
    text = COMPLETE + "\n" + "a" * (MAX_PAGE_BYTES - len(COMPLETE.encode()))
    data = text.encode() if kind == "bytes" else text
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        parse_page(data, "big.txt")
    assert caught.value.field == "size" and time.perf_counter() - started < 0.5
    parse_page(data[:-20], "just-under.txt")  # 19 bytes under the limit: read, not refused


def test_seed_corpus_covers_every_sample_in_both_encodings():
    shared = sorted(Path(ROOT.parent / "shared" / "samples" / "senate-pages").glob("*.txt"))
    assert len(SEEDS) >= 2 * len(list((ROOT / "data" / "samples").glob("*.txt"))) - 5
    assert all(p.read_bytes() in SEEDS for p in shared)
