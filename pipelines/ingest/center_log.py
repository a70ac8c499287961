"""Centre activity logs (sources.md §1): header mapping, typing in SQL, pandera validation.

The output is a `PreparedBatch`: candidate events (one per acceptable row) and rejected rows,
for several files at once. Whether a candidate is new, a duplicate or a conflict is decided by
the event store, which sees what is already stored.
"""

from __future__ import annotations

import json
import re

import duckdb
import numpy as np
import pandas as pd
import pyarrow as arrow
import pandera.pandas as pa

from pipelines.eventstore.batch import ROWS, PreparedBatch
from pipelines.ingest.readers import Grid
from pipelines.reference import register_lookups
from schemas.raw import center_log_rows

SOURCE_KIND = "center_log"
SCHEMA_VERSION = 1

# canonical field -> accepted header names (Korean first, then English aliases)
FIELDS: dict[str, list[str]] = {
    "record_id": ["기록번호", "record_id", "record no"],
    "center": ["센터", "center", "centre"],
    "date": ["일자", "date", "activity date"],
    "activity": ["활동", "activity"],
    "program": ["사업", "program", "programme"],
    "firm_id": ["기업번호", "firm_id", "사업자등록번호", "business registration number"],
    "firm_name": ["기업명", "firm_name"],
    "firm_tier": ["기업단계", "firm_tier", "tier"],
    "product": ["품목", "product"],
    "importer_id": ["수입업체번호", "importer_id"],
    "importer_name": ["수입업체명", "importer_name"],
    "channel": ["방식", "channel"],
    "amount": ["금액", "amount"],
    "currency": ["통화", "currency"],
    "quantity": ["수량", "quantity"],
    "correction": ["정정구분", "correction"],
    "corrects_record_id": ["원기록번호", "corrects_record_id"],
    "mentor_firm_id": ["멘토기업번호", "mentor_firm_id"],
    "note": ["비고", "note", "notes"],
}
REQUIRED_HEADERS = ("record_id", "center", "date", "activity")


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text)).lower()


_ALIAS = {_norm_header(alias): field for field, aliases in FIELDS.items() for alias in aliases}


def map_header(header: list[str]) -> dict[int, str]:
    """Column index -> canonical field, for the columns whose header is known."""
    return {i: _ALIAS[_norm_header(h)] for i, h in enumerate(header) if _norm_header(h) in _ALIAS}


def is_header(cells: list[str]) -> bool:
    return set(REQUIRED_HEADERS) <= set(map_header(cells).values())


def header_problem(header: list[str]) -> str | None:
    """Why a recognised header cannot be used, or None."""
    mapped = map_header(header)
    seen: dict[str, list[str]] = {}
    for i, field in mapped.items():
        seen.setdefault(field, []).append(header[i])
    twice = {f: hs for f, hs in seen.items() if len(hs) > 1}
    if twice:
        return "several columns mean the same field: " + "; ".join(
            f"{f} <- {', '.join(hs)}" for f, hs in twice.items())
    return None


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_TYPED_SQL = """
CREATE OR REPLACE TEMP MACRO parse_date(x) AS CASE
    WHEN regexp_matches(x, '^\\d{4}\\s*(?:[-./]|년)\\s*\\d{1,2}\\s*(?:[-./]|월)\\s*\\d{1,2}\\s*(?:일|\\.)?(?:\\s+\\d{1,2}:\\d{2}(?::\\d{2})?)?$')
        THEN try(make_date(
            regexp_extract(x, '^(\\d{4})', 1)::BIGINT,
            regexp_extract(x, '^\\d{4}\\s*(?:[-./]|년)\\s*(\\d{1,2})', 1)::BIGINT,
            regexp_extract(x, '^\\d{4}\\s*(?:[-./]|년)\\s*\\d{1,2}\\s*(?:[-./]|월)\\s*(\\d{1,2})', 1)::BIGINT))
    -- an Excel serial day number, as Excel writes dates into CSV or numeric cells
    WHEN regexp_matches(x, '^\\d{5}(?:\\.0+)?$')
        THEN DATE '1899-12-30' + CAST(x AS DOUBLE)::INTEGER
END;
CREATE OR REPLACE TEMP MACRO finite_or_null(v) AS CASE WHEN isfinite(v) THEN v END;
-- 'inf' and 'nan' cast to DOUBLE but are not amounts
-- digits, optionally grouped in thousands by commas ('1,5' is not fifteen), or any number DuckDB reads
CREATE OR REPLACE TEMP MACRO parse_number(x) AS CASE
    WHEN regexp_matches(x, '^[+-]?\\d{1,3}(,\\d{3})+(\\.\\d+)?$') THEN try_cast(replace(x, ',', '') AS DOUBLE)
    WHEN NOT contains(x, ',') THEN finite_or_null(try_cast(x AS DOUBLE))
END;
CREATE OR REPLACE TEMP MACRO parse_brn(x) AS CASE
    WHEN regexp_matches(regexp_replace(x, '[\\s\\-]', '', 'g'), '^\\d{10}$')
    THEN regexp_replace(regexp_replace(x, '[\\s\\-]', '', 'g'), '^(\\d{3})(\\d{2})(\\d{5})$', '\\1-\\2-\\3')
END;
"""

_CURRENCY_WORDS = "MAP {'달러': 'USD', '미국달러': 'USD', '동': 'VND', '베트남동': 'VND', '루피': 'INR', '인도루피': 'INR', '원': 'KRW'}"

def unique_names(header: list[str]) -> list[str]:
    """Header names made unique (a repeated `담당자` becomes `담당자 (2)`), blank ones named by
    position: they become JSON keys."""
    seen: dict[str, int] = {}
    names = []
    for i, h in enumerate(header):
        name = h or f"column_{i + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _canonical(file_no: int, grid: Grid) -> tuple[arrow.Table, list[arrow.Table]]:
    """One file's cells under the canonical field names, and its extra columns in long form
    (file_no, source_row, k = header, v = cell). Column picking only: no cell is copied."""
    mapped = map_header(grid.header)
    n = grid.table.num_rows
    file_col = arrow.array(np.full(n, file_no, dtype=np.int32))
    by_field = {field: grid.table.column(f"c{i}") for i, field in mapped.items()}
    cells = {field: by_field.get(field, arrow.nulls(n, arrow.string())) for field in FIELDS}
    table = arrow.table({"file_no": file_col, "source_row": grid.table.column("source_row"), **cells})
    extras = [arrow.table({"file_no": file_col, "source_row": grid.table.column("source_row"),
                           "k": arrow.array([name] * n, arrow.string()), "v": grid.table.column(f"c{i}")})
              for i, name in enumerate(unique_names(grid.header)) if i not in mapped]
    return table, extras


_EMPTY_EXTRAS = arrow.schema([("file_no", arrow.int32()), ("source_row", arrow.int64()),
                              ("k", arrow.string()), ("v", arrow.string())])

# Cells trimmed, blank = NULL, rows with nothing in them dropped. Extra columns are content too,
# so they are written canonically: sorted by header, blank cells left out, no object at all when
# nothing is left (column order never makes a conflict).
_LOG_ROWS_SQL = f"""
CREATE OR REPLACE TEMP TABLE center_log_cells AS
WITH extra AS (
    SELECT file_no, source_row,
           to_json(map_from_entries(list({{'k': k, 'v': trim(v)}} ORDER BY k))) AS extra
    FROM center_log_extras_arrow WHERE trim(v) <> ''
    GROUP BY ALL
),
cells AS (
    SELECT file_no, source_row, {", ".join(f"nullif(trim({f}), '') AS {f}" for f in FIELDS)}
    FROM center_log_cells_arrow
)
SELECT cells.*, extra.extra
FROM cells LEFT JOIN extra USING (file_no, source_row)
WHERE extra.extra IS NOT NULL OR NOT ({" AND ".join(f"{f} IS NULL" for f in FIELDS)})
"""


def _raw_sql(view: str, header: list[str]) -> str:
    """The row as written (header -> cell), for the rows that end up in quarantine."""
    pairs = ", ".join(f"{_sql_literal(name)}, c{i}" for i, name in enumerate(unique_names(header)))
    return f"SELECT source_row, json_object({pairs}) AS raw_values FROM {view} WHERE source_row IN ({ROWS})"


_TYPED_SELECT = f"""
SELECT
    file_no, source_row, record_id,
    l_center.code AS center, g.center AS center_raw,
    d.parsed::TIMESTAMP AS occurred_on, g.date AS date_raw,
    l_activity.code AS activity, g.activity AS activity_raw,
    l_program.code AS program, g.program AS program_raw,
    b_firm.parsed AS firm_id, g.firm_id AS firm_id_raw,
    firm_name,
    l_tier.code AS firm_tier, g.firm_tier AS firm_tier_raw,
    product, importer_id, importer_name,
    CASE lower(replace(g.channel, ' ', ''))
        WHEN '대면' THEN 'offline' WHEN 'offline' THEN 'offline' WHEN 'face-to-face' THEN 'offline'
        WHEN '비대면' THEN 'online' WHEN 'online' THEN 'online' WHEN '화상' THEN 'online'
    END AS channel, g.channel AS channel_raw,
    parse_number(g.amount) AS amount, g.amount AS amount_raw,
    kc.currency AS currency, g.currency AS currency_raw,
    CASE WHEN g.quantity IS NULL THEN 1
         WHEN parse_number(g.quantity) = floor(parse_number(g.quantity))
         THEN try_cast(parse_number(g.quantity) AS BIGINT) END AS quantity,
    g.quantity AS quantity_raw,
    CASE lower(g.correction)
        WHEN '정정' THEN 'amend' WHEN '수정' THEN 'amend' WHEN 'amend' THEN 'amend'
        WHEN '취소' THEN 'void' WHEN 'void' THEN 'void' WHEN 'cancel' THEN 'void'
    END AS correction, g.correction AS correction_raw,
    corrects_record_id,
    b_mentor.parsed AS mentor_firm_id, g.mentor_firm_id AS mentor_firm_id_raw,
    note, extra,
    r.needs_firm, r.needs_importer, r.needs_amount, r.needs_program, r.needs_tier, r.needs_mentor
FROM center_log_cells AS g
LEFT JOIN center_log_label_map AS l_center ON l_center.catalogue = 'center' AND l_center.raw = g.center
LEFT JOIN center_log_label_map AS l_activity ON l_activity.catalogue = 'activity' AND l_activity.raw = g.activity
LEFT JOIN center_log_label_map AS l_program ON l_program.catalogue = 'program' AND l_program.raw = g.program
LEFT JOIN center_log_label_map AS l_tier ON l_tier.catalogue = 'tier' AND l_tier.raw = g.firm_tier
LEFT JOIN center_log_date_map AS d ON d.raw = g.date
LEFT JOIN center_log_brn_map AS b_firm ON b_firm.raw = g.firm_id
LEFT JOIN center_log_brn_map AS b_mentor ON b_mentor.raw = g.mentor_firm_id
LEFT JOIN known_currencies AS kc ON kc.currency = coalesce(
    {_CURRENCY_WORDS}[replace(g.currency, ' ', '')], upper(g.currency), 'USD')
LEFT JOIN activity_rules AS r ON r.activity_code = l_activity.code
ORDER BY file_no, source_row
"""

# The costly parsing (label matching, dates, registration numbers) runs once per distinct text,
# not once per row: a month of logs repeats the same few hundred values.
_VALUE_MAPS_SQL = """
CREATE OR REPLACE TEMP TABLE center_log_label_map AS
WITH vals AS (
    SELECT DISTINCT 'center' AS catalogue, center AS raw FROM center_log_cells
    UNION ALL SELECT DISTINCT 'activity', activity FROM center_log_cells
    UNION ALL SELECT DISTINCT 'program', program FROM center_log_cells
    UNION ALL SELECT DISTINCT 'tier', firm_tier FROM center_log_cells
)
SELECT v.catalogue, v.raw, l.code
FROM vals AS v JOIN label_lookup AS l ON l.catalogue = v.catalogue AND l.label = norm_label(v.raw);
CREATE OR REPLACE TEMP TABLE center_log_date_map AS
SELECT raw, parse_date(raw) AS parsed FROM (SELECT DISTINCT date AS raw FROM center_log_cells WHERE date IS NOT NULL);
CREATE OR REPLACE TEMP TABLE center_log_brn_map AS
SELECT raw, parse_brn(raw) AS parsed
FROM (SELECT firm_id AS raw FROM center_log_cells UNION SELECT mentor_firm_id FROM center_log_cells)
WHERE raw IS NOT NULL;
"""

_CANDIDATES_SQL = f"""
CREATE OR REPLACE TEMP TABLE center_log_candidates AS
SELECT
    t.file_no,
    t.source_row,
    md5('{SOURCE_KIND}|' || t.center || '|' || t.record_id) AS event_id,
    CASE WHEN t.correction IS NULL THEN '{SOURCE_KIND}:' || t.center || ':' || t.record_id END AS stream,
    CASE t.correction WHEN 'amend' THEN 'activity_amended' WHEN 'void' THEN 'activity_voided'
         ELSE 'activity_recorded' END AS event_type,
    {SCHEMA_VERSION} AS schema_version,
    t.occurred_on::DATE AS occurred_on,
    p.payload,
    md5(p.payload::VARCHAR) AS content_hash,
    CASE WHEN t.correction IS NOT NULL
         THEN md5('{SOURCE_KIND}|' || t.center || '|' || t.corrects_record_id) END AS corrects_event_id,
    t.center || ':' || t.record_id AS record_key,
    t.center || ':' || t.corrects_record_id AS corrects_record_key
FROM center_log_typed AS t
-- merge-patching into {{}} drops null members: a compact, canonical payload
CROSS JOIN LATERAL (SELECT json_merge_patch('{{}}', to_json(struct_pack(
    record_id := t.record_id, center := t.center, date := t.occurred_on::DATE,
    activity := t.activity, program := t.program, firm_id := t.firm_id,
    firm_name := t.firm_name, firm_tier := t.firm_tier, product := t.product,
    importer_id := t.importer_id, importer_name := t.importer_name, channel := t.channel,
    amount := t.amount, currency := t.currency, quantity := t.quantity,
    correction := t.correction, corrects_record_id := t.corrects_record_id,
    mentor_firm_id := t.mentor_firm_id, note := t.note, extra := t.extra
))) AS payload) AS p
ANTI JOIN center_log_failures AS f ON f.file_no = t.file_no AND f.source_row = t.source_row
"""


def prepare(con: duckdb.DuckDBPyConnection, grids: dict[int, Grid],
            today: pd.Timestamp | None = None) -> PreparedBatch:
    """Type, validate and shape the rows of several centre logs (file_no -> grid) at once.

    Set-wise over all files: one typing query, one pandera validation, one payload query. The
    grids stay registered (as views) until `PreparedBatch.release()`, so quarantined rows can be
    quoted as written.
    """
    register_lookups(con)
    con.execute(_TYPED_SQL)
    raw_sql: dict[int, str] = {}
    tables: list[arrow.Table] = []
    extras: list[arrow.Table] = []
    bad_rows: list[tuple[int, int, None, str, str]] = []
    for file_no, grid in grids.items():
        view = f"center_log_grid_{file_no}"
        con.register(view, grid.table)
        raw_sql[file_no] = _raw_sql(view, grid.header)
        table, file_extras = _canonical(file_no, grid)
        tables.append(table)
        extras += file_extras
        bad_rows += [(file_no, row, None, json.dumps({"line": text}, ensure_ascii=False), f"the row {why}")
                     for row, why, text in grid.bad_rows]
    # one Arrow table for all files: DuckDB scans it once instead of a union of many scans
    con.register("center_log_cells_arrow", arrow.concat_tables(tables))
    con.register("center_log_extras_arrow", arrow.concat_tables(extras) if extras else _EMPTY_EXTRAS.empty_table())
    con.execute(_LOG_ROWS_SQL)
    con.unregister("center_log_cells_arrow")
    con.unregister("center_log_extras_arrow")
    con.execute(_VALUE_MAPS_SQL)
    con.execute(f"CREATE OR REPLACE TEMP TABLE center_log_typed AS {_TYPED_SELECT}")
    # through Arrow: pandas keeps the strings Arrow-backed instead of building Python objects
    frame = con.sql("SELECT * EXCLUDE (extra) FROM center_log_typed").to_arrow_table().to_pandas()
    con.register("center_log_failures", _failures(frame, center_log_rows(today)))
    con.execute(_CANDIDATES_SQL)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE center_log_rejected AS
        SELECT t.file_no, t.source_row, coalesce(t.center, t.center_raw) || ':' || t.record_id AS record_key,
               NULL::VARCHAR AS raw_values, f.reason
        FROM center_log_typed AS t JOIN center_log_failures AS f USING (file_no, source_row)
    """)
    con.unregister("center_log_failures")
    if bad_rows:
        con.executemany("INSERT INTO center_log_rejected VALUES (?, ?, ?, ?, ?)", bad_rows)
    counts = dict(con.execute("SELECT file_no, count(*) FROM center_log_typed GROUP BY ALL").fetchall())
    rows_in = {n: counts.get(n, 0) + len(g.bad_rows) for n, g in grids.items()}

    def release() -> None:
        for file_no in grids:
            con.unregister(f"center_log_grid_{file_no}")

    return PreparedBatch(source_kind=SOURCE_KIND, rows_in=rows_in, candidates="center_log_candidates",
                         rejected="center_log_rejected", raw_sql=raw_sql, release=release)


def _failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """(file_no, source_row) -> reasons, one row per failing row, reasons joined with '; '."""
    empty = pd.DataFrame({"file_no": pd.Series([], dtype="int32"), "source_row": pd.Series([], dtype="int64"),
                          "reason": pd.Series([], dtype="str")})
    try:
        schema.validate(frame, lazy=True)
        return empty
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases.dropna(subset=["index"]).drop_duplicates(["index", "check"])
    failing = sorted(set(cases["index"].astype(int)))
    if not failing:
        return empty
    # one lookup for all failing rows; their values fill the reason templates
    rows = dict(zip(failing, frame.loc[failing].astype(object).where(frame.loc[failing].notna(), "")
                    .to_dict("records")))
    reasons: dict[int, list[str]] = {}
    for idx, template in zip(cases["index"].astype(int), cases["check"].astype(str)):
        reasons.setdefault(idx, []).append(_fill(template, rows[idx]))
    return pd.DataFrame({
        "file_no": [int(rows[i]["file_no"]) for i in reasons],
        "source_row": [int(rows[i]["source_row"]) for i in reasons],
        "reason": ["; ".join(r) for r in reasons.values()],
    })


def _fill(template: str, values: dict) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
