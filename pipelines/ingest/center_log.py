"""Centre activity logs (sources.md §1): header mapping, typing in SQL, pandera validation.

The output is a `PreparedBatch`: candidate events (one per acceptable row) and rejected rows,
for several files at once. Whether a candidate is new, a duplicate or a conflict is decided by
the event store, which sees what is already stored.
"""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipelines.eventstore.batch import PreparedBatch
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
CREATE OR REPLACE TEMP MACRO parse_number(x) AS
    finite_or_null(try_cast(regexp_replace(x, '[,\\s]', '', 'g') AS DOUBLE));
CREATE OR REPLACE TEMP MACRO parse_brn(x) AS CASE
    WHEN regexp_matches(regexp_replace(x, '[\\s\\-]', '', 'g'), '^\\d{10}$')
    THEN regexp_replace(regexp_replace(x, '[\\s\\-]', '', 'g'), '^(\\d{3})(\\d{2})(\\d{5})$', '\\1-\\2-\\3')
END;
"""

_CURRENCY_WORDS = "MAP {'달러': 'USD', '미국달러': 'USD', '동': 'VND', '베트남동': 'VND', '루피': 'INR', '인도루피': 'INR', '원': 'KRW'}"

def _file_rows_sql(file_no: int, view: str, header: list[str]) -> str:
    """One file's cells under the canonical field names (blank = NULL), extras as canonical JSON."""
    mapped = map_header(header)
    field_col = {field: f"c{i}" for i, field in mapped.items()}
    cells = ", ".join((f"nullif(trim({field_col[f]}), '')" if f in field_col else "NULL::VARCHAR") + f" AS {f}"
                      for f in FIELDS)
    # Extra columns are content too, so they are written canonically: sorted by header, blank
    # cells left out, no object at all when nothing is left (column order never makes a conflict).
    extras = sorted(((h, i) for i, h in enumerate(header) if i not in mapped and h))
    entries = ", ".join(f"{{'k': {_sql_literal(h)}, 'v': nullif(trim(c{i}), '')}}" for h, i in extras)
    extra = (f"nullif(to_json(map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL))), '{{}}')"
             if extras else "NULL")
    blank = " AND ".join(f"trim(c{i}) = ''" for i in range(len(header))) or "false"
    return (f"SELECT {file_no}::INTEGER AS file_no, source_row, {cells}, {extra}::JSON AS extra "
            f"FROM {view} WHERE NOT ({blank})")


def _raw_sql(view: str, header: list[str]) -> str:
    """The row as written (header -> cell), for the rows that end up in quarantine."""
    pairs = ", ".join(f"{_sql_literal(h or f'column_{i + 1}')}, c{i}" for i, h in enumerate(header))
    return f"SELECT source_row, json_object({pairs}) AS raw_values FROM {view}"


_TYPED_SELECT = f"""
SELECT
    file_no, source_row, record_id,
    l_center.code AS center, g.center AS center_raw,
    parse_date(g.date)::TIMESTAMP AS occurred_on, g.date AS date_raw,
    l_activity.code AS activity, g.activity AS activity_raw,
    l_program.code AS program, g.program AS program_raw,
    parse_brn(g.firm_id) AS firm_id, g.firm_id AS firm_id_raw,
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
         THEN parse_number(g.quantity)::BIGINT END AS quantity,
    g.quantity AS quantity_raw,
    CASE lower(g.correction)
        WHEN '정정' THEN 'amend' WHEN '수정' THEN 'amend' WHEN 'amend' THEN 'amend'
        WHEN '취소' THEN 'void' WHEN 'void' THEN 'void' WHEN 'cancel' THEN 'void'
    END AS correction, g.correction AS correction_raw,
    corrects_record_id,
    parse_brn(g.mentor_firm_id) AS mentor_firm_id, g.mentor_firm_id AS mentor_firm_id_raw,
    note, extra,
    r.needs_firm, r.needs_importer, r.needs_amount, r.needs_program, r.needs_tier, r.needs_mentor
FROM log_rows AS g
LEFT JOIN label_lookup AS l_center ON l_center.catalogue = 'center' AND l_center.label = norm_label(g.center)
LEFT JOIN label_lookup AS l_activity ON l_activity.catalogue = 'activity' AND l_activity.label = norm_label(g.activity)
LEFT JOIN label_lookup AS l_program ON l_program.catalogue = 'program' AND l_program.label = norm_label(g.program)
LEFT JOIN label_lookup AS l_tier ON l_tier.catalogue = 'tier' AND l_tier.label = norm_label(g.firm_tier)
LEFT JOIN known_currencies AS kc ON kc.currency = coalesce(
    {_CURRENCY_WORDS}[replace(g.currency, ' ', '')], upper(g.currency), 'USD')
LEFT JOIN activity_rules AS r ON r.activity_code = l_activity.code
ORDER BY file_no, source_row
"""

_CANDIDATES_SQL = f"""
CREATE OR REPLACE TEMP TABLE candidates AS
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
    md5(p.payload) AS content_hash,
    CASE WHEN t.correction IS NOT NULL
         THEN md5('{SOURCE_KIND}|' || t.center || '|' || t.corrects_record_id) END AS corrects_event_id,
    t.center || ':' || t.record_id AS record_key,
    t.center || ':' || t.corrects_record_id AS corrects_record_key
FROM typed AS t
-- merge-patching into {{}} drops null members: a compact, canonical payload
CROSS JOIN LATERAL (SELECT json_merge_patch('{{}}', to_json(struct_pack(
    record_id := t.record_id, center := t.center, date := t.occurred_on::DATE,
    activity := t.activity, program := t.program, firm_id := t.firm_id,
    firm_name := t.firm_name, firm_tier := t.firm_tier, product := t.product,
    importer_id := t.importer_id, importer_name := t.importer_name, channel := t.channel,
    amount := t.amount, currency := t.currency, quantity := t.quantity,
    correction := t.correction, corrects_record_id := t.corrects_record_id,
    mentor_firm_id := t.mentor_firm_id, note := t.note, extra := t.extra
)))::VARCHAR AS payload) AS p
ANTI JOIN failures AS f ON f.file_no = t.file_no AND f.source_row = t.source_row
"""


def prepare(con: duckdb.DuckDBPyConnection, grids: dict[int, Grid],
            today: pd.Timestamp | None = None) -> PreparedBatch:
    """Type, validate and shape the rows of several centre logs (file_no -> grid) at once.

    Set-wise over all files: one typing query, one pandera validation, one payload query; the
    per-file work is one INSERT of its cells. The grids stay registered (as views) until
    `PreparedBatch.release()`, so quarantined rows can be quoted as written.
    """
    register_lookups(con)
    con.execute(_TYPED_SQL)
    raw_sql: dict[int, str] = {}
    file_selects: list[str] = []
    bad_rows: list[tuple[int, int, None, str, str]] = []
    for file_no, grid in grids.items():
        view = f"log_grid_{file_no}"
        con.register(view, grid.table)
        file_selects.append(_file_rows_sql(file_no, view, grid.header))
        raw_sql[file_no] = _raw_sql(view, grid.header)
        bad_rows += [(file_no, row, None, json.dumps({"line": text}, ensure_ascii=False), f"the row {why}")
                     for row, why, text in grid.bad_rows]
    con.execute("CREATE OR REPLACE TEMP VIEW log_rows AS " + " UNION ALL ".join(file_selects))
    con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {_TYPED_SELECT}")
    # through Arrow: pandas keeps the strings Arrow-backed instead of building Python objects
    frame = con.sql("SELECT * EXCLUDE (extra) FROM typed").to_arrow_table().to_pandas()
    failures = _failures(frame, center_log_rows(today))
    con.register("failures", failures)
    con.execute(_CANDIDATES_SQL)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT t.file_no, t.source_row, coalesce(t.center, t.center_raw) || ':' || t.record_id AS record_key,
               NULL::VARCHAR AS raw_values, f.reason
        FROM typed AS t JOIN failures AS f USING (file_no, source_row)
    """)
    con.unregister("failures")
    if bad_rows:
        con.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?, ?)", bad_rows)
    counts = dict(con.execute("SELECT file_no, count(*) FROM typed GROUP BY ALL").fetchall())
    rows_in = {n: counts.get(n, 0) + len(g.bad_rows) for n, g in grids.items()}

    def release() -> None:
        for file_no in grids:
            con.unregister(f"log_grid_{file_no}")

    return PreparedBatch(source_kind=SOURCE_KIND, rows_in=rows_in, candidates="candidates",
                         rejected="rejected", raw_sql=raw_sql, release=release)


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
    reasons: dict[int, list[str]] = {}
    for idx, template in zip(cases["index"].astype(int), cases["check"].astype(str)):
        values = {k: ("" if pd.isna(v) else v) for k, v in frame.loc[idx].items()}
        reasons.setdefault(idx, []).append(_fill(template, values))
    if not reasons:
        return empty
    return pd.DataFrame({
        "file_no": [int(frame.at[i, "file_no"]) for i in reasons],
        "source_row": [int(frame.at[i, "source_row"]) for i in reasons],
        "reason": ["; ".join(r) for r in reasons.values()],
    })


def _fill(template: str, values: dict) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
