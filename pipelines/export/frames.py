"""The one reader of a year's evaluation for the export: every table the workbook and the report
show, read once from the warehouse, numbers exactly as the marts hold them.

Which rows belong to year Y is what the freeze hashes (pipelines/freeze.py): a mart's rows of its
evaluation year (`evaluation_year`, else `year`) without the columns observed a year later, and
those columns of the rows of Y-1 (the 12-month contract rates and continuity gaps Y's evaluation
observed). The goal path is shown over its years up to Y, and beyond Y as the path only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from pipelines import freeze as fz
from pipelines.eventstore.read import location_sql, open_quarantine
from pipelines.export.columns import ROW_UNIT_COLUMNS, UNIT_KINDS, Column, Kind, mart_columns, own_column
from pipelines.mart_registry import Mart, marts
from pipelines.quality.outcome import INVARIANT, PLAUSIBILITY, RuleOutcome

ALL = "all"  # the province total's centre code


@dataclass
class Table:
    key: str  # code name: the mart, or what the export computed
    title: str  # Korean title
    source: str  # where the rows come from, for the reader
    frame: pd.DataFrame
    columns: list[Column]
    row_units: bool = False  # value / target / baseline are formatted by the row's unit

    def kind_at(self, column: Column, row: int) -> Kind:
        """How the cell of `column` in the frame's `row` (0-based position) is presented."""
        if self.row_units and column.name.split(":")[0] in ROW_UNIT_COLUMNS:
            return UNIT_KINDS.get(self.frame["unit"].iloc[row], Kind.INTEGER)
        return column.kind


@dataclass
class YearFrames:
    year: int
    centres: dict[str, str]  # centre code -> Korean name, `all` first
    tables: dict[str, Table] = field(default_factory=dict)

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self.tables[key].frame


OBSERVED = "_observed"
# row order where the key's order is not the reader's: stages in funnel order
ORDER_BY = {
    "process_evaluation": ["center", "year", "stage_order"]
}  # suffix of a mart's table of the year before's late columns


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _mart_table(con, mart: str, year: int, layout: Mart) -> Table:
    cols = [c for c in mart_columns()[mart].values() if c.name not in layout.late]
    ycol = fz.year_column(con, mart)
    order = ", ".join(_q(c) for c in ORDER_BY.get(mart, layout.key or [cols[0].name]))
    frame = con.execute(
        f"SELECT {', '.join(_q(c.name) for c in cols)} FROM marts.{_q(mart)} WHERE {_q(ycol)} = ? ORDER BY {order}",
        [year],
    ).df()
    title = layout.title_ko
    return Table(mart, title, f"marts.{mart} ({ycol} = {year})", frame, cols, row_units=mart == "indicator_values")


def _observed_table(con, mart: str, year: int, layout: Mart) -> Table:
    """The late columns of the rows of Y-1, which Y's evaluation observed, beside what was assumed."""
    by_name = mart_columns()[mart]
    context = [c for c in ("stage_order", "stage_name_ko", "expected_contract_probability") if c in by_name]
    cols = [by_name[c] for c in [*layout.key, *context, *layout.late]]
    order = ", ".join(_q(c) for c in ORDER_BY.get(mart, layout.key))
    frame = con.execute(
        f"SELECT {', '.join(_q(c.name) for c in cols)} FROM marts.{_q(mart)} WHERE year = ? ORDER BY {order}",
        [year - 1],
    ).df()
    return Table(
        mart + OBSERVED,
        f"{layout.title_ko}: {year - 1}년 관측치",
        f"marts.{mart} (year = {year - 1}, observed in the evaluation of {year})",
        frame,
        cols,
    )


def _goal_path(con, year: int, layout: Mart) -> Table:
    """Every year of each goal's path; actuals only up to the evaluated year. The other years'
    rows are as their own evaluations hold them: their store position (which moves for a year
    not frozen) is left out, the meta block gives the year's."""
    cols = [c for c in mart_columns()["goal_path"].values() if c.name != "as_of_position"]
    hidden_after = ("actual_value_usd", "attainment_rate")  # later years: the path only
    select = ", ".join(
        f"CASE WHEN year <= $year THEN {_q(c.name)} END AS {_q(c.name)}" if c.name in hidden_after else _q(c.name)
        for c in cols
    )
    frame = con.execute(f"SELECT {select} FROM marts.goal_path ORDER BY goal_code, year", {"year": year}).df()
    return Table("goal_path", layout.title_ko, f"marts.goal_path (actuals up to {year})", frame, cols)


def _summary(indicators: pd.DataFrame, centres: dict[str, str]) -> Table:
    """Indicator by centre: each centre's value and attainment side by side (a pivot of
    indicator_values; targeted indicators first)."""
    index = ["evaluation", "indicator_code", "name_ko", "unit", "year"]
    by_name = mart_columns()["indicator_values"]
    frame = indicators[index].drop_duplicates().reset_index(drop=True)
    targeted = set(indicators.loc[indicators["target"].notna(), "indicator_code"])
    frame.insert(0, "targeted", frame["indicator_code"].isin(targeted))
    cols = [by_name[c] for c in index]
    for code, name in centres.items():
        part = indicators.loc[indicators["center"] == code, [*index, "value", "attainment_rate"]]
        part = part.rename(columns={"value": f"value:{code}", "attainment_rate": f"attainment_rate:{code}"})
        frame = frame.merge(part, on=index, how="left")
        value, attainment = by_name["value"], by_name["attainment_rate"]
        cols += [
            Column(f"value:{code}", f"{name} {value.title}", value.kind),
            Column(f"attainment_rate:{code}", f"{name} {attainment.title}", attainment.kind),
        ]
    frame = frame.sort_values(["targeted", "evaluation", "indicator_code", "year"], ascending=[False, True, True, True])
    frame = frame.drop(columns="targeted").reset_index(drop=True)
    return Table("summary", "지표 요약", "marts.indicator_values (by centre)", frame, cols, row_units=True)


def _quarantine(con, frozen_at: datetime) -> tuple[Table, Table]:
    """Batches and quarantined rows per source kind and file, as the store held them when the
    year was frozen (so that exporting a frozen year again shows the same counts)."""
    open_rows = f"""
        SELECT batch_id, reason_code, count(*) AS rows, coalesce(any_value(o.quarantine_open), 0) AS quarantine_open
        FROM events.quarantine
        LEFT JOIN (SELECT batch_id, reason_code, count(*) AS quarantine_open FROM {open_quarantine("$at")} GROUP BY ALL)
            AS o USING (batch_id, reason_code)
        GROUP BY ALL
    """
    by_file = con.execute(
        f"""
        WITH q AS ({open_rows})
        SELECT coalesce(b.source_kind, 'unrecognised') AS source_kind, b.file_name,
               count(DISTINCT b.batch_id) AS batches, sum(b.rows_in) AS rows_in,
               sum(b.rows_accepted) AS rows_accepted, sum(b.rows_duplicate) AS rows_duplicate,
               sum(b.rows_quarantined) AS rows_quarantined,
               coalesce(sum(q.quarantine_open), 0) AS quarantine_open,
               count(DISTINCT b.batch_id) FILTER (WHERE b.status = 'refused') AS refused
        FROM events.ingest_batches AS b
        LEFT JOIN (SELECT batch_id, sum(quarantine_open) AS quarantine_open FROM q GROUP BY ALL) AS q USING (batch_id)
        WHERE b.started_at <= $at
        GROUP BY ALL ORDER BY source_kind, b.file_name
        """,
        {"at": frozen_at},
    ).df()
    by_reason = con.execute(
        f"""
        WITH q AS ({open_rows})
        SELECT coalesce(b.source_kind, 'unrecognised') AS source_kind, q.reason_code,
               sum(q.rows) AS rows, sum(q.quarantine_open) AS quarantine_open
        FROM q JOIN events.ingest_batches AS b USING (batch_id)
        WHERE b.started_at <= $at
        GROUP BY ALL ORDER BY source_kind, reason_code
        """,
        {"at": frozen_at},
    ).df()
    for frame in (by_file, by_reason):
        for c in frame.columns:
            if c not in ("source_kind", "file_name", "reason_code"):
                frame[c] = frame[c].astype("int64")
    return (
        Table(
            "quarantine_by_file",
            "파일별 적재·격리",
            "events.ingest_batches, events.quarantine",
            by_file,
            [own_column(c) for c in by_file.columns],
        ),
        Table(
            "quarantine_by_reason",
            "원천 종류·사유별 격리",
            "events.quarantine",
            by_reason,
            [own_column(c) for c in by_reason.columns],
        ),
    )


def quarantine_rows(con, frozen_at: datetime) -> Table:
    """The quarantined rows still open when the year was frozen, each where a person finds it in
    its file (the row; the column too where the row gave several records) with its reason."""
    frame = con.execute(
        f"""
        SELECT coalesce(b.source_kind, 'unrecognised') AS source_kind, b.file_name,
               {location_sql("q.source_row", "q.source_column")} AS location, q.reason_code, q.reason
        FROM {open_quarantine("$at")} AS q JOIN events.ingest_batches AS b USING (batch_id)
        WHERE b.started_at <= $at
        ORDER BY source_kind, b.file_name, q.batch_id, q.source_row, q.source_column NULLS FIRST
        """,
        {"at": frozen_at},
    ).df()
    columns = [own_column(c) for c in frame.columns]
    return Table("quarantine_rows", "미해결 격리 행", "events.quarantine", frame, columns)


# a rule's kind as the 데이터품질 sheet names it: an invariant's failure refuses, a plausibility warns
KIND_TITLES = {INVARIANT: "불변 규칙 / invariant", PLAUSIBILITY: "타당성 점검(경고) / plausibility (warns)"}


def quality_table(outcomes: Sequence[RuleOutcome]) -> Table:
    names = ("suite", "rule", "kind", "success", "observed")
    frame = pd.DataFrame(
        [(str(o.suite), str(o.rule), KIND_TITLES[o.kind], bool(o.success), str(o.observed)) for o in outcomes],
        columns=list(names),
    )
    return Table("quality_outcomes", "품질 규칙 결과", "pipelines.quality", frame, [own_column(c) for c in names])


def centre_names(con) -> dict[str, str]:
    rows = con.execute("SELECT center_code, name_ko FROM reference.centers ORDER BY center_code").fetchall()
    return {ALL: "전체", **dict(rows)}


def read_year(con: duckdb.DuckDBPyConnection, year: int, frozen_at: datetime, quality=()) -> YearFrames:
    """Every table of the export of `year` (the quarantine as of `frozen_at`)."""
    out = YearFrames(year, centre_names(con))
    existing = set(fz.tables(con, fz.MARTS_SCHEMA))
    for mart, declared in marts().items():
        if mart not in existing:
            continue
        if mart == "goal_path":
            out.tables[mart] = _goal_path(con, year, declared)
        else:
            out.tables[mart] = _mart_table(con, mart, year, declared)
        if declared.late:
            out.tables[mart + OBSERVED] = _observed_table(con, mart, year, declared)
    out.tables["summary"] = _summary(out["indicator_values"], out.centres)
    out.tables["quarantine_by_file"], out.tables["quarantine_by_reason"] = _quarantine(con, frozen_at)
    out.tables["quarantine_rows"] = quarantine_rows(con, frozen_at)
    out.tables["quality_outcomes"] = quality_table(quality)
    return out
