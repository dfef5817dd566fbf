"""The figures of /stats and of the small charts on senator, party, office and concept pages (issue 12).

Derived from the tidy tables' rows (senate_kg/tables.py), which come from the graph through
queries/publish/table-*.rq: one pass over the store at publishing, then grouping in Python, instead of one
aggregate query per figure (the aggregate named queries take 3-8 s each at 10,000 questions, README). Each figure
is counted as the named query that asks the same question counts it, and the tests check they agree:
answer-delay-per-office, unanswered-past-deadline, original-language-per-party, top-concepts-per-party,
questions-per-concept-per-year. The result is plain JSON (stats.json); the server only draws it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from senate_kg.tables import identifier_key, is_pending_past, share

TOP_CONCEPTS = 5  # descriptors listed per party and per year
OLDEST_PENDING = 10  # pending questions listed, oldest deadline first
DELAY_BINS: tuple[tuple[int, int | None], ...] = ((0, 30), (31, 60), (61, 90), (91, 180), (181, 365), (366, None))

Table = Sequence[dict[str, Any]]


def compute_stats(data: dict[str, Table], today: dt.date) -> dict[str, Any]:
    """Every figure, as of `today` (the day of publishing: "pending past the deadline" depends on it)."""
    questions, descriptors = data["questions.csv"], data["question-descriptors.csv"]
    by_iri = {q["question"]: q for q in questions}
    return {
        "as_of": today.isoformat(),
        "questions": len(questions),
        "answered": sum(1 for q in questions if q["answer"]),
        "months": questions_per_month(questions),
        "offices": office_chart_rows(data["offices.csv"]),
        "pending": pending_past_deadline(questions, today),
        "concepts_per_party": top_concepts(descriptors, by_iri, _party_group),
        "concepts_per_year": top_concepts(descriptors, by_iri, _year_group),
        "languages_per_party": languages_per_party(questions),
        "resources": resource_figures(questions, descriptors, by_iri),
    }


def _party_group(question: dict[str, Any]) -> tuple | None:
    return (question["party"], question["party_label"]) if question["party"] else None


def _year_group(question: dict[str, Any]) -> tuple | None:
    return (question["date_asked"].year,) if question["date_asked"] else None


def questions_per_month(questions: Table) -> list[dict[str, Any]]:
    counts = Counter(q["date_asked"].strftime("%Y-%m") for q in questions if q["date_asked"])
    legislatures: dict[str, set[int]] = defaultdict(set)
    for q in questions:
        if q["date_asked"]:
            legislatures[q["date_asked"].strftime("%Y-%m")].add(q["legislature"])
    return [{"month": month, "questions": counts[month],
             "legislatures": " ".join(str(n) for n in sorted(legislatures[month]))} for month in sorted(counts)]


def office_chart_rows(offices: Table) -> list[dict[str, Any]]:
    """Offices with at least one answer, slowest median first (offices never answered come last)."""
    keys = ("office", "label_fr", "label_nl", "questions", "answered", "answered_share", "median_delay_days",
            "answered_with_deadline", "answered_within_deadline", "share_within_deadline", "pending_past_deadline")
    rows = [{k: o[k] for k in keys} for o in offices]
    return sorted(rows, key=lambda r: (r["median_delay_days"] is None, -(r["median_delay_days"] or 0), r["office"]))


def pending_past_deadline(questions: Table, today: dt.date) -> dict[str, Any]:
    pending = sorted((q for q in questions if is_pending_past(q, today)),
                     key=lambda q: (q["deadline"], identifier_key(q["identifier"])))
    keys = ("question", "identifier", "date_asked", "deadline", "office", "office_fr", "office_nl", "title_fr",
            "title_nl", "author", "author_name")
    oldest = [{**{k: q[k] for k in keys}, "days_overdue": (today - q["deadline"]).days}
              for q in pending[:OLDEST_PENDING]]
    return {"count": len(pending), "oldest": oldest}


def top_concepts(descriptors: Table, by_iri: dict[str, dict[str, Any]], group_of) -> list[dict[str, Any]]:
    """The TOP_CONCEPTS descriptors most asked about within each group (a party, a year): questions per
    (group, concept), most first, ties by concept IRI (as the named queries order them)."""
    counts: Counter[tuple] = Counter()
    labels: dict[str, tuple[str | None, str | None]] = {}
    for d in descriptors:
        question = by_iri.get(d["question"])
        group = question and group_of(question)
        if group:
            counts[(group, d["concept"])] += 1
            labels[d["concept"]] = (d["label_fr"], d["label_nl"])
    grouped: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    for (group, concept), n in counts.items():
        grouped[group].append((concept, n))
    rows = []
    for group in sorted(grouped, key=lambda g: tuple(str(x) for x in g)):
        for concept, n in sorted(grouped[group], key=lambda c: (-c[1], c[0]))[:TOP_CONCEPTS]:
            head = {"party": group[0], "party_label": group[1]} if len(group) == 2 else {"year": group[0]}
            rows.append({**head, "concept": concept, "label_fr": labels[concept][0], "label_nl": labels[concept][1],
                         "questions": n})
    return rows


def languages_per_party(questions: Table) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        if q["party"]:
            groups[q["party"]].append(q)
    rows = []
    for party, qs in groups.items():
        french = sum(1 for q in qs if q["original_language"] == "FRA")
        dutch = sum(1 for q in qs if q["original_language"] == "NLD")
        rows.append({"party": party, "party_label": qs[0]["party_label"], "questions": len(qs),
                     "asked_in_french": french, "asked_in_dutch": dutch, "share_french": share(french, len(qs))})
    return sorted(rows, key=lambda r: (-r["questions"], r["party"]))


# ---------------------------------------------------------------- per resource (the pages' small charts)
def resource_figures(questions: Table, descriptors: Table, by_iri: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """For each senator, party, office and concept: its questions and answers per year, in total, and for an
    office the distribution of its answer delays."""
    members: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        for kind, key in (("person", "author"), ("party", "party"), ("office", "office")):
            if q[key]:
                members[(kind, q[key])].append(q)
    for d in descriptors:
        if d["question"] in by_iri:
            members[("concept", d["concept"])].append(by_iri[d["question"]])
    result = {}
    for (kind, iri), qs in sorted(members.items(), key=lambda item: item[0][1]):
        answered = sum(1 for q in qs if q["answer"])
        figures = {"kind": kind, "questions": len(qs), "answered": answered, "answered_share": share(answered, len(qs)),
                   "years": per_year(qs)}
        if kind == "office":
            figures["delays"] = delay_bins(q["delay_days"] for q in qs if q["delay_days"] is not None)
        result[iri] = figures
    return result


def per_year(questions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    asked: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for q in questions:
        if q["date_asked"]:
            asked[q["date_asked"].year] += 1
            answered[q["date_asked"].year] += bool(q["answer"])
    return [{"year": year, "questions": asked[year], "answered": answered[year],
             "answered_share": share(answered[year], asked[year])} for year in sorted(asked)]


def delay_bins(delays: Iterable[int]) -> list[dict[str, Any]]:
    counts = Counter()
    for days in delays:
        for low, high in DELAY_BINS:
            if days >= low and (high is None or days <= high):
                counts[(low, high)] += 1
                break
        else:  # an answer dated before its question: shown, not hidden
            counts[(DELAY_BINS[0])] += 1
    return [{"days": f"{low}–{high}" if high is not None else f"> {low - 1}", "answers": counts[(low, high)]}
            for low, high in DELAY_BINS]
