"""The HTML report of an annual export: one self-contained, Korean file.

Charts are SVG data URIs (pipelines/export/charts.py), styles are inline, nothing is fetched; a
Content-Security-Policy allows images from data: only and the report's own script by its hash.
Every text is escaped by jinja2's autoescape, so a name from an input file cannot become markup.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pipelines.export.charts import Chart
from pipelines.export.columns import Kind, text_of
from pipelines.export.frames import Table, YearFrames
from pipelines.export.meta import meta_rows
from pipelines.export.sections import SECTIONS, Rows, report_tables

TEMPLATES = Path(__file__).with_name("templates")
# the meta block gives the positions; the English names and registry details are in the workbook
HIDDEN = {"as_of_position", "observed_as_of_position", "name_en", "aggregation", "higher_is_better"}
LONG_TEXT = 40  # characters from which a text cell wraps
NUMERIC = {Kind.INTEGER, Kind.MONEY, Kind.RATE, Kind.SCORE, Kind.MEAN, Kind.NUMBER}
# Marks each chart loaded (complete, with a width) so a headless browser can tell they all drew.
LOADED_SCRIPT = (
    'window.addEventListener("load",function(){var n=0,a=document.querySelectorAll("img.chart");'
    'a.forEach(function(i){var ok=i.complete&&i.naturalWidth>0;i.dataset.loaded=ok?"yes":"no";if(ok)n++;});'
    'document.body.dataset.chartsLoaded=n+"/"+a.length;});'
)


@dataclass
class HtmlTable:
    key: str
    title: str
    source: str
    headers: list[tuple[str, str]]  # (Korean title, code name)
    rows: list[list[tuple[str, str]]]  # (text, CSS class: num, long or empty)
    shown: int
    total: int


def html_table(table: Table, rows: Rows = None) -> HtmlTable:
    frame = table.frame
    keep = [i for i, hit in enumerate(rows(frame) if rows is not None else [True] * len(frame)) if hit]
    columns = [c for c in table.columns if c.name not in HIDDEN]
    body = []
    for i in keep:
        cells = []
        for column in columns:
            kind = table.kind_at(column, i)
            text = text_of(frame[column.name].iloc[i], kind)
            cells.append((text, "num" if kind in NUMERIC else "long" if len(text) > LONG_TEXT else ""))
        body.append(cells)
    return HtmlTable(
        table.key, table.title, table.source, [(c.title, c.name) for c in columns], body, len(keep), len(frame)
    )


def render(frames: YearFrames, charts: dict[str, Chart], meta: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    script_hash = base64.b64encode(hashlib.sha256(LOADED_SCRIPT.encode()).digest()).decode()
    sections = [
        {
            "title": s.title,
            "key": s.key,
            "charts": [charts[c] for c in s.charts if c in charts],
            "missing_charts": [c for c in s.charts if c not in charts],
            "tables": [html_table(frames.tables[t], rows) for t, rows in report_tables(s) if t in frames.tables],
        }
        for s in SECTIONS
        if s.report
    ]
    return env.get_template("report.html.j2").render(
        year=frames.year,
        meta=meta,
        meta_rows=meta_rows(meta),
        docs_href=_href(meta["data_docs_index"]),
        sections=sections,
        script=LOADED_SCRIPT,
        script_hash=script_hash,
    )


def write_report(path: Path, frames: YearFrames, charts: dict[str, Chart], meta: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(frames, charts, meta), encoding="utf-8")
    return path


def _href(path: str | None) -> str | None:
    """A link to the Data Docs: relative to the report when they sit beside it."""
    if not path:
        return None
    return Path(path).as_uri() if Path(path).is_absolute() else Path(path).as_posix()
