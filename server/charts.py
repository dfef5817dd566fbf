"""SVG charts of the published figures, drawn with pygal (issue 12).

Why pygal: it writes SVG directly from Python (no browser, no JavaScript engine, no network), it is small and
pure Python, kept up by Kozea (the WeasyPrint people) since 2012, and its SVG draws one `rect` per value, which a
test can count. Vega-Lite through vl-convert-python would bring a bundled JavaScript engine (Deno/V8) into every
server process for the same bars. The charts carry no script (`js=[]`: pygal otherwise links its tooltip script
from a CDN), no external file, and a stable id (pygal mints a random one), so that the same figures give the same
bytes; pygal's inline configuration script is removed too. The figures are computed when the build publishes
(senate_kg/stats.py); here they are only drawn, and a drawing is kept per publication (`generation`), so that a
page does not redraw it per request.

The charts' titles, axes and the columns they draw are data: `server/templates/charts.json`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygal
from pygal.style import Style

CHARTS_FILE = Path(__file__).resolve().parent / "templates" / "charts.json"
STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#1d232b", foreground_strong="#1d232b",
    foreground_subtle="#8a94a0", colors=("#b3202a", "#1f5fa8", "#6a7a8a", "#2f8f5b"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", label_font_size=12,
    major_label_font_size=12, legend_font_size=13, title_font_size=15, value_font_size=11,
)
_UUID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)  # pygal's inline config for its tooltip script: not used


@dataclass(frozen=True)
class Series:
    key: str  # the figure's column
    fr: str
    nl: str


@dataclass(frozen=True)
class ChartSpec:
    """One chart: which figures it draws (`figures`, a key of stats.json or of a resource's figures), the column
    of the x labels, the series, and its bilingual title and text."""

    key: str
    figures: str
    kind: str  # "bar" (vertical) or "hbar" (horizontal: long labels)
    x: str
    series: tuple[Series, ...]
    title_fr: str
    title_nl: str
    unit_fr: str = ""
    unit_nl: str = ""
    height: int = 300
    table: tuple[tuple[str, str, str], ...] = ()  # (column, French header, Dutch header); default x + series

    def columns(self) -> tuple[tuple[str, str, str], ...]:
        return self.table or ((self.x, self.x, self.x), *((s.key, s.fr, s.nl) for s in self.series))


@functools.cache
def chart_specs() -> dict[str, ChartSpec]:
    """charts.json, read once."""
    raw = json.loads(CHARTS_FILE.read_text(encoding="utf-8"))
    return {key: ChartSpec(key=key, **{**spec, "series": tuple(Series(**s) for s in spec["series"]),
                                       "table": tuple(tuple(c) for c in spec.get("table", ()))})
            for key, spec in raw.items()}


def _label(value: Any, limit: int = 48) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render_svg(spec: ChartSpec, rows: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    """The chart as an SVG element (no XML declaration) to put inline in a page."""
    kind = pygal.HorizontalBar if spec.kind == "hbar" else pygal.Bar
    height = max(spec.height, 28 * len(rows) + 90) if spec.kind == "hbar" else spec.height
    chart = kind(style=STYLE, js=[], width=800, height=height, disable_xml_declaration=True,
                 show_legend=len(spec.series) > 1, legend_at_bottom=True, x_label_rotation=0 if spec.kind == "hbar"
                 else (60 if len(rows) > 12 else 0), show_minor_x_labels=len(rows) <= 40, truncate_label=-1,
                 margin=8, spacing=6, print_values=False, include_x_axis=True, no_data_text="—")
    chart.x_labels = [_label(x) for x in labels]
    if spec.kind != "hbar" and len(rows) > 40:
        chart.x_labels_major = [_label(x) for x in labels[::max(1, len(labels) // 12)]]
    for series in spec.series:
        chart.add(f"{series.fr} / {series.nl}", [_number(row.get(series.key)) for row in rows])
    svg = chart.render(is_unicode=True)
    return _SCRIPT.sub("", _COMMENT.sub("", _UUID.sub(f"chart-{spec.key}", svg)))


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


@functools.lru_cache(maxsize=4096)
def cached_svg(generation: str, key: str, rows_json: str, labels: tuple[str, ...]) -> str:
    """One drawing per publication and chart (a page asks for the same chart again until the next build)."""
    return render_svg(chart_specs()[key], json.loads(rows_json), labels)
