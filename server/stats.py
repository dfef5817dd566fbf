"""/stats and the small charts of senator, party, office and concept pages (issue 12): pictures and tables for
people who would rather look than query.

Nothing is computed here: the figures are `stats.json`, written beside the dumps when the build publishes
(senate_kg/tables.py, senate_kg/stats.py), read again only when the publication changes (its checksum in the
manifest), like the catalogue reads the manifest. Each chart is an inline SVG (server/charts.py) with a text
alternative, its figures as a table below it, and links to the same figures as CSV and JSON.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from markupsafe import Markup

from server.charts import ChartSpec, cached_svg, chart_specs
from server.pages import href

bp = Blueprint("stats", __name__)
RESOURCE_CHARTS = {"person": ("years",), "party": ("years",), "office": ("years", "delays"), "concept": ("years",)}


@dataclass(frozen=True)
class Chart:
    """What a page shows of one chart."""

    key: str
    spec: ChartSpec
    rows: list[dict[str, Any]]
    svg: Markup
    alt_fr: str
    alt_nl: str
    csv_url: str
    json_url: str


# ---------------------------------------------------------------- the published figures
def stats_file() -> tuple[Path, str] | None:
    """stats.json and its checksum (the publication it belongs to), from the manifest."""
    from server.catalog import dumps_dir, manifest

    entry = manifest().get("stats")
    if not entry:
        return None
    return dumps_dir() / entry["name"], entry["sha256"]


def load_stats() -> tuple[dict[str, Any], str]:
    """The figures and their generation; read once per publication."""
    found = stats_file()
    if found is None:
        return {}, ""
    path, generation = found
    cache = current_app.extensions.setdefault("stats_cache", {})
    if cache.get("generation") != generation:
        try:
            cache["value"] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}, ""
        cache["generation"] = generation
    return cache["value"], generation


def _office_label(row: dict[str, Any]) -> str:
    return row.get("label_fr") or row.get("label_nl") or str(row.get("office", "")).rsplit("/", 1)[-1]


def _rows(figures: dict[str, Any], spec: ChartSpec) -> list[dict[str, Any]]:
    rows = [dict(r) for r in figures.get(spec.figures, [])]
    for row in rows:
        if "office" in row:
            row["office_label"] = _office_label(row)
        if "party" in row and not row.get("party_label"):
            row["party_label"] = str(row["party"]).rsplit("/", 1)[-1]
    return rows


def chart(key: str, figures: dict[str, Any], generation: str, links: str, query: str = "") -> Chart | None:
    """One chart of `figures` (stats.json, or one resource's figures); None when there is nothing to draw."""
    spec = chart_specs()[key]
    first = spec.series[0].key  # a row without a value would have no bar: the chart and its table leave it out
    rows = [r for r in _rows(figures, spec) if isinstance(r.get(first), int | float)]
    if not rows:
        return None
    labels = tuple(str(r.get(spec.x, "")) for r in rows)
    svg = cached_svg(generation, key, json.dumps(rows, sort_keys=True), labels)
    alt_fr, alt_nl = alternative(spec, rows)
    return Chart(key, spec, rows, Markup(svg), alt_fr, alt_nl, f"{links}.csv{query}", f"{links}.json{query}")


def alternative(spec: ChartSpec, rows: list[dict[str, Any]]) -> tuple[str, str]:
    """A sentence per language saying what the chart shows: its extent and its largest value."""
    first = spec.series[0].key
    values = [(r.get(first), str(r.get(spec.x))) for r in rows if isinstance(r.get(first), int | float)]
    top = max(values, default=(None, ""))
    fr = (f"Diagramme en barres : {spec.title_fr.lower()}, {len(rows)} barres, de {rows[0].get(spec.x)} à "
          f"{rows[-1].get(spec.x)}; maximum {top[0]} ({top[1]}). Les chiffres sont dans le tableau ci-dessous.")
    nl = (f"Staafdiagram: {spec.title_nl.lower()}, {len(rows)} staven, van {rows[0].get(spec.x)} tot "
          f"{rows[-1].get(spec.x)}; maximum {top[0]} ({top[1]}). De cijfers staan in de tabel hieronder.")
    return fr, nl


# ---------------------------------------------------------------- the pages
@bp.get("/stats")
def stats_page():
    figures, generation = load_stats()
    root = request.script_root
    charts = {key: chart(key, figures, generation, f"{root}/stats/{key}")
              for key in ("months", "office-delay", "office-answered", "languages")} if figures else {}
    body = render_template("stats.html", stats=figures, charts=charts, published=_published())
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _published() -> str | None:
    from server.catalog import manifest

    return manifest().get("published")


@bp.get("/stats/<key>.<fmt>")
def stats_figures(key: str, fmt: str):
    """The figures of one chart of /stats, as CSV or JSON."""
    figures, _ = load_stats()
    if key not in chart_specs() or key in RESOURCE_CHARTS["office"] or fmt not in ("csv", "json") or not figures:
        abort(404)
    return _export(chart_specs()[key], _rows(figures, chart_specs()[key]), fmt, key)


@bp.get("/stats/resource/<key>.<fmt>")
def resource_figures(key: str, fmt: str):
    """The figures of a resource's small chart (`?iri=`), as CSV or JSON."""
    figures, _ = load_stats()
    found = figures.get("resources", {}).get(request.args.get("iri", ""))
    if found is None or key not in RESOURCE_CHARTS.get(found["kind"], ()) or fmt not in ("csv", "json"):
        abort(404)
    return _export(chart_specs()[key], _rows(found, chart_specs()[key]), fmt, key)


def _export(spec: ChartSpec, rows: list[dict[str, Any]], fmt: str, name: str) -> Response:
    columns = [c[0] for c in spec.columns()]
    if "office_label" in columns:
        columns = ["office", "label_fr", "label_nl", *[c for c in columns if c != "office_label"]]
    if "party_label" in columns:
        columns = ["party", *columns]
    table = [{c: row.get(c) for c in columns} for row in rows]
    if fmt == "json":
        response = Response(json.dumps({"columns": columns, "rows": table}, ensure_ascii=False, indent=1),
                            mimetype="application/json")
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([["" if row[c] is None else row[c] for c in columns] for row in table])
        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def resource_charts(iri: str) -> list[Chart]:
    """The small charts of one senator, party, office or concept page (none when the resource asked or was
    asked nothing)."""
    figures, generation = load_stats()
    found = figures.get("resources", {}).get(str(iri))
    if not found:
        return []
    root = request.script_root
    query = "?" + urlencode({"iri": str(iri)})
    made = [chart(key, found, generation, f"{root}/stats/resource/{key}", query)
            for key in RESOURCE_CHARTS[found["kind"]]]
    return [c for c in made if c is not None]


def resource_summary(iri: str) -> dict[str, Any] | None:
    figures, _ = load_stats()
    return figures.get("resources", {}).get(str(iri))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["resource_charts"] = resource_charts
    app.jinja_env.globals["resource_summary"] = resource_summary
    app.jinja_env.filters["href"] = lambda iri: href(str(iri))
    app.register_blueprint(bp)
