"""Column titles and number formats of the export, from one place: the marts' dbt yml.

Every mart column is described there as "한국어 제목 / English description"; the Korean part is
the title an official reads, the column's own name the code name shown under it. The few frames
the export computes itself (quarantine counts, quality outcomes, the summary pivot) have their
titles in `OWN_COLUMNS`. How a number is shown follows from its name and type (money, rate,
score); the value itself is never rounded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache

import pandas as pd

from pipelines.dbt_project import ensure_manifest


class Kind(Enum):
    """How a column is presented; the Excel number format is the value."""

    TEXT = "@"
    INTEGER = "#,##0"
    YEAR = "0"  # a year or position-like code: no thousands separator
    MONEY = "#,##0"  # USD, whole dollars shown, cents kept in the cell
    RATE = "0.0%"
    SCORE = "0.0"
    MEAN = "0.00"  # 4-point means and their spread
    NUMBER = "#,##0.00"
    BOOL = "General"
    DATE = "yyyy-mm-dd"
    DATETIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    name: str
    title: str  # Korean title
    kind: Kind


# Per-row kinds of indicator_values' value, target and baseline, by the indicator's unit.
# Any other unit is a count (firms, cases, …), shown whole.
UNIT_KINDS = {
    "USD": Kind.MONEY,
    "fraction": Kind.RATE,
    "points (100)": Kind.SCORE,
    "points (1-4)": Kind.MEAN,
    "days": Kind.NUMBER,
}
ROW_UNIT_COLUMNS = ("value", "target", "baseline")

_YEARS = ("year", "stage_order", "years_since_entry")
_RATES = ("rate", "share", "probability", "top2_ci", "growth_vs")
_INTEGER_TYPES = ("integer", "bigint", "hugeint", "smallint", "tinyint")


def kind_of(name: str, data_type: str) -> Kind:
    """The presentation of a column from its name and SQL type (the mart conventions of
    docs/analysts.md, conventions: `*_usd` money, `*_rate` a fraction, `score_100` points)."""
    data_type = data_type.lower()
    if data_type == "boolean":
        return Kind.BOOL
    if data_type == "date":
        return Kind.DATE
    if data_type.startswith("timestamp"):
        return Kind.DATETIME
    if data_type in _INTEGER_TYPES:
        return Kind.YEAR if name.endswith(_YEARS) or name.endswith("position") else Kind.INTEGER
    if data_type in ("double", "float", "real") or data_type.startswith("decimal"):
        if name.endswith("_usd"):
            return Kind.MONEY
        if any(part in name for part in _RATES):
            return Kind.RATE
        if name.startswith("score_100") or name.endswith("_100"):
            return Kind.SCORE
        if name in ("mean_4pt", "sd_4pt"):
            return Kind.MEAN
        return Kind.NUMBER
    return Kind.TEXT


@cache
def mart_columns() -> dict[str, dict[str, Column]]:
    """mart -> column name -> Column, in the order the yml declares them (the manifest of
    `dbt parse`)."""
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    out: dict[str, dict[str, Column]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        out[node["name"]] = {
            name: Column(name, title_of(col.get("description", ""), name), kind_of(name, col.get("data_type") or ""))
            for name, col in node["columns"].items()
        }
    return out


def title_of(description: str, name: str) -> str:
    """The Korean title of a "한국어 / English" description (the code name when there is none)."""
    korean, sep, _ = description.partition(" / ")
    return korean.strip() if sep and korean.strip() else name


# Frames the export computes itself: (title, kind) by column name.
OWN_COLUMNS: dict[str, tuple[str, Kind]] = {
    # data quality: the event store's batch ledger and quarantine
    "source_kind": ("원천 종류", Kind.TEXT),
    "file_name": ("파일명", Kind.TEXT),
    "batches": ("적재 횟수", Kind.INTEGER),
    "rows_in": ("입력 행", Kind.INTEGER),
    "rows_accepted": ("적재 행", Kind.INTEGER),
    "rows_duplicate": ("중복 행", Kind.INTEGER),
    "rows_quarantined": ("격리 행", Kind.INTEGER),
    "quarantine_open": ("미해결 격리 행", Kind.INTEGER),
    "refused": ("거부된 파일", Kind.INTEGER),
    "reason_code": ("격리 사유 구분", Kind.TEXT),
    "rows": ("행 수", Kind.INTEGER),
    "location": ("위치 (행, 열)", Kind.TEXT),
    "reason": ("격리 사유", Kind.TEXT),
    # quality rules (Great Expectations outcomes)
    "suite": ("검증 묶음", Kind.TEXT),
    "rule": ("검증 규칙", Kind.TEXT),
    "kind": ("규칙 종류", Kind.TEXT),
    "success": ("통과 여부", Kind.BOOL),
    "observed": ("관측값", Kind.TEXT),
    # the summary pivot (the centre's name is put before the title)
    "attainment_rate": ("달성률", Kind.RATE),
    # meta
    "label": ("항목", Kind.TEXT),
    "item": ("코드", Kind.TEXT),
    "value": ("값", Kind.TEXT),
}


def own_column(name: str) -> Column:
    title, kind = OWN_COLUMNS[name]
    return Column(name, title, kind)


def is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def text_of(value, kind: Kind) -> str:
    """The value as the report shows it (the workbook keeps the value and formats it natively)."""
    if is_missing(value):
        return ""
    if hasattr(value, "item"):  # numpy scalars as Python numbers
        value = value.item()
    if kind is Kind.BOOL or isinstance(value, bool):
        return "예" if value else "아니오"
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d %H:%M" if kind is Kind.DATETIME else "%Y-%m-%d")
    if not isinstance(value, int | float):
        return str(value)
    match kind:
        case Kind.RATE:
            return f"{value:.1%}"
        case Kind.MONEY:
            return f"{value:,.0f}"
        case Kind.INTEGER:
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        case Kind.YEAR:
            return str(int(value))
        case Kind.SCORE:
            return f"{value:.1f}"
        case Kind.MEAN:
            return f"{value:.2f}"
        case Kind.TEXT:
            return str(value)
    return f"{value:,.2f}"
