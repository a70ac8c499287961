"""The workbook of an annual export (xlsxwriter).

Each sheet holds its tables side by side from the top: a title row (Korean title, code name and
source), the Korean column titles, the code names in a note row under them, then the rows. The
three header rows are frozen, so every table keeps its header in view. Text is always written
as a string: a firm or programme name starting with `=` stays text, never a formula.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipelines.export.columns import Kind, is_missing, own_column, text_of
from pipelines.export.frames import ALL, OBSERVED, Table, YearFrames
from pipelines.export.meta import meta_rows
from pipelines.export.sections import SECTIONS, section_tables

HEADER_ROWS = 3  # title, Korean titles, code names
META_SHEET = "메타"  # after the sections' sheets (pipelines/export/sections.py), from the meta block
MIN_WIDTH, MAX_WIDTH = 6, 48


def display_width(text: str) -> int:
    """Columns a text takes: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Formats:
    """One xlsxwriter format per kind (and the header styles), made once per workbook."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
        self.note = book.add_format({"italic": True, "font_color": "#666666", "bg_color": "#F2F2F2", "border": 1})
        self._by_kind: dict[Kind, object] = {}

    def of(self, kind: Kind):
        if kind not in self._by_kind:
            self._by_kind[kind] = self.book.add_format({"num_format": kind.value})
        return self._by_kind[kind]


def write_cell(sheet: Worksheet, row: int, col: int, value, kind: Kind, fmt) -> None:
    """A value in its own type; text only ever as a string (never a formula or URL)."""
    if is_missing(value):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool) or kind is Kind.BOOL:
        sheet.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, datetime | date | pd.Timestamp):
        value = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        sheet.write_datetime(row, col, value.replace(tzinfo=None) if isinstance(value, datetime) else value, fmt)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, value, fmt)
    elif hasattr(value, "item"):  # numpy scalars
        write_cell(sheet, row, col, value.item(), kind, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def write_table(sheet: Worksheet, formats: _Formats, table: Table, first_col: int) -> None:
    """The table at columns first_col.., rows 0..; column widths fit the longest text."""
    sheet.write_string(0, first_col, f"{table.title} ({table.key}) — {table.source}", formats.title)
    for j, column in enumerate(table.columns):
        col = first_col + j
        sheet.write_string(1, col, column.title, formats.header)
        sheet.write_string(2, col, column.name, formats.note)
        widths = [display_width(column.title), display_width(column.name)]
        for i, value in enumerate(table.frame[column.name].tolist()):
            kind = table.kind_at(column, i)
            write_cell(sheet, HEADER_ROWS + i, col, value, kind, formats.of(kind))
            widths.append(display_width(text_of(value, kind)))
        sheet.set_column(col, col, min(MAX_WIDTH, max(MIN_WIDTH, max(widths) + 2)))


def _place(layout: dict[str, int], table: Table, column: str) -> int:
    """The sheet column of a table's column."""
    return layout[table.key] + [c.name for c in table.columns].index(column)


def _rows_where(frame: pd.DataFrame, mask) -> tuple[int, int] | None:
    """First and last sheet row of a contiguous block of the frame's rows."""
    idx = [i for i, hit in enumerate(mask) if hit]
    if not idx:
        return None
    return HEADER_ROWS + idx[0], HEADER_ROWS + idx[-1]


def _charts(book, sheets: dict[str, Worksheet], frames: YearFrames, layout: dict[str, dict[str, int]]) -> None:
    """Native charts where a picture says more than the table: attainment of targets by centre,
    the goal path, the process funnel and observed against assumed contract rates."""
    _attainment_chart(book, sheets, frames, layout)
    _goal_path_chart(book, sheets, frames, layout)
    _funnel_chart(book, sheets, frames, layout)
    _contract_rate_chart(book, sheets, frames, layout)


def _attainment_chart(
    book, sheets: dict[str, Worksheet], frames: YearFrames, layout: dict[str, dict[str, int]]
) -> None:
    """Attainment of targets by centre (the summary sheet)."""
    summary = frames.tables.get("summary")
    targeted = summary and _rows_where(summary.frame, summary.frame["indicator_code"].isin(_targeted(frames)))
    if targeted:
        chart = book.add_chart({"type": "bar"})
        name_col = _place(layout["요약"], summary, "name_ko")
        for code, name in frames.centres.items():
            col = _place(layout["요약"], summary, f"attainment_rate:{code}")
            chart.add_series(
                {
                    "name": f"{name} ({code})",
                    "categories": ["요약", targeted[0], name_col, targeted[1], name_col],
                    "values": ["요약", targeted[0], col, targeted[1], col],
                }
            )
        chart.set_title({"name": f"{frames.year}년 목표 달성률 (attainment_rate by centre)"})
        chart.set_x_axis({"num_format": "0%", "name": "달성률"})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 760, "height": 60 + 22 * (targeted[1] - targeted[0] + 1) * len(frames.centres)})
        sheets["요약"].insert_chart(HEADER_ROWS, _next_col(layout["요약"], frames), chart)


def _goal_path_chart(book, sheets: dict[str, Worksheet], frames: YearFrames, layout: dict[str, dict[str, int]]) -> None:
    """The goal path against the actual values (the result sheet)."""
    goal = frames.tables.get("goal_path")
    if goal and len(goal.frame):
        chart = book.add_chart({"type": "line"})
        block = (HEADER_ROWS, HEADER_ROWS + len(goal.frame) - 1)
        year_col = _place(layout["결과평가"], goal, "year")
        for column, label in (("path_value_usd", "목표 경로"), ("actual_value_usd", "실적")):
            col = _place(layout["결과평가"], goal, column)
            chart.add_series(
                {
                    "name": f"{label} ({column})",
                    "categories": ["결과평가", block[0], year_col, block[1], year_col],
                    "values": ["결과평가", block[0], col, block[1], col],
                    "marker": {"type": "circle"},
                }
            )
        chart.set_title({"name": "목표 경로 (goal_path), USD"})
        chart.set_y_axis({"num_format": "#,##0"})
        sheets["결과평가"].insert_chart(HEADER_ROWS, _next_col(layout["결과평가"], frames), chart)


def _funnel_chart(book, sheets: dict[str, Worksheet], frames: YearFrames, layout: dict[str, dict[str, int]]) -> None:
    """The process funnel of all centres (the process sheet)."""
    process = frames.tables.get("process_evaluation")
    rows = process and _rows_where(process.frame, process.frame["center"] == ALL)
    if rows:
        chart = book.add_chart({"type": "bar"})
        stage = _place(layout["과정평가"], process, "stage_name_ko")
        opp = _place(layout["과정평가"], process, "opportunities")
        chart.add_series(
            {
                "name": "기회 수 (opportunities)",
                "categories": ["과정평가", rows[0], stage, rows[1], stage],
                "values": ["과정평가", rows[0], opp, rows[1], opp],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": f"{frames.year}년 과정 단계별 기회 (funnel, 전체)"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        sheets["과정평가"].insert_chart(HEADER_ROWS, _next_col(layout["과정평가"], frames), chart)


def _contract_rate_chart(
    book, sheets: dict[str, Worksheet], frames: YearFrames, layout: dict[str, dict[str, int]]
) -> None:
    """Observed against assumed contract rates by stage (the process sheet)."""
    observed = frames.tables.get("process_evaluation" + OBSERVED)
    rows = observed and _rows_where(observed.frame, observed.frame["center"] == ALL)
    if rows:
        chart = book.add_chart({"type": "column"})
        stage = _place(layout["과정평가"], observed, "stage_name_ko")
        for column, label in (
            ("expected_contract_probability", "가정 확률"),
            ("observed_contract_rate", "관측 계약률"),
        ):
            col = _place(layout["과정평가"], observed, column)
            chart.add_series(
                {
                    "name": f"{label} ({column})",
                    "categories": ["과정평가", rows[0], stage, rows[1], stage],
                    "values": ["과정평가", rows[0], col, rows[1], col],
                }
            )
        chart.set_title({"name": f"{frames.year - 1}년 단계 진입 기회: 가정 대비 관측 계약률"})
        chart.set_y_axis({"num_format": "0%"})
        sheets["과정평가"].insert_chart(HEADER_ROWS + 18, _next_col(layout["과정평가"], frames), chart)


def _targeted(frames: YearFrames) -> set[str]:
    values = frames["indicator_values"]
    return set(values.loc[values["target"].notna(), "indicator_code"])


def _next_col(layout: dict[str, int], frames: YearFrames) -> int:
    """The first free column right of a sheet's tables."""
    return max(start + len(frames.tables[key].columns) for key, start in layout.items()) + 1


def write_workbook(path: Path, frames: YearFrames, meta: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # strings_to_*: a second guard; every text cell is written with write_string anyway
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    formats = _Formats(book)
    sheets: dict[str, Worksheet] = {}
    layout: dict[str, dict[str, int]] = {}
    for section in SECTIONS:
        sheet_name = section.title
        sheet = book.add_worksheet(sheet_name)
        sheets[sheet_name], layout[sheet_name] = sheet, {}
        col = 0
        for key, _rows in section_tables(section):
            if key not in frames.tables:
                continue
            table = frames.tables[key]
            write_table(sheet, formats, table, col)
            layout[sheet_name][key] = col
            col += len(table.columns) + 1
        sheet.freeze_panes(HEADER_ROWS, 0)
    _charts(book, sheets, frames, layout)
    meta_sheet = book.add_worksheet(META_SHEET)
    frame = pd.DataFrame(meta_rows(meta), columns=["label", "item", "value"])
    columns = [own_column(c) for c in frame.columns]
    write_table(meta_sheet, formats, Table("meta", "내보내기 정보", "events.evaluation_freezes", frame, columns), 0)
    meta_sheet.freeze_panes(HEADER_ROWS, 0)
    book.close()
    return path
