"""The export's sections: each is a sheet of the workbook and (but 요약) a section of the report.
Which marts a section holds, in which order and which of their rows the report shows is the marts'
own `config.meta` (pipelines/mart_registry.py); a section here adds its name, its charts and the
tables that are not marts (the summary, the data quality)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pipelines.export.frames import ALL, OBSERVED
from pipelines.mart_registry import marts

Rows = Callable[[pd.DataFrame], pd.Series] | None

# a mart's `report_rows`: which of its rows the report shows (the workbook has them all)
REPORT_ROWS: dict[str, Rows] = {
    "all": None,
    "center_all": lambda f: f["center"] == ALL,
    "targeted": lambda f: f["target"].notna(),
    "tier_all": lambda f: f["tier"] == "all",
}


@dataclass(frozen=True)
class Section:
    title: str  # the sheet's name and the report's heading
    key: str  # a mart's `export.section`
    charts: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()  # tables that are not marts
    in_report: tuple[str, ...] | None = None  # of those, the ones the report shows (None: all)
    report: bool = True


SECTIONS = (
    Section("요약", "summary", tables=("summary",), report=False),
    Section("결과평가", "result", ("attainment", "goal_path")),
    Section("과정평가", "process", ("funnel", "observed_rates")),
    Section("연속성평가", "continuity", ("tier_flows", "cohort_retention")),
    Section("만족도평가", "satisfaction", ("satisfaction",)),
    Section("무역동향", "trade", ("trade",)),
    Section(
        "데이터품질",
        "data_quality",
        tables=("quarantine_by_file", "quarantine_by_reason", "quality_outcomes", "quarantine_rows"),
        in_report=("quarantine_by_reason", "quality_outcomes"),
    ),
)


def section_tables(section: Section) -> list[tuple[str, Rows]]:
    """The section's tables in order, each with the rows the report shows: its own tables, then its
    marts, each followed by its table of the year before's late columns where it has them."""
    found: list[tuple[str, Rows]] = [(t, None) for t in section.tables]
    for mart in marts().values():
        if mart.section == section.key:
            found.append((mart.name, REPORT_ROWS[mart.report_rows]))
            if mart.late:
                found.append((mart.name + OBSERVED, REPORT_ROWS[mart.report_rows]))
    return found


def report_tables(section: Section) -> list[tuple[str, Rows]]:
    return [(t, rows) for t, rows in section_tables(section) if section.in_report is None or t in section.in_report]
