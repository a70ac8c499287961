"""Centre activity logs (sources.md §1): header mapping, typing in SQL, pandera validation.

The output is a `PreparedBatch`: candidate events (one per acceptable row) and quarantined rows.
Whether a candidate is new, a duplicate or a conflict is decided by the event store, which sees
what is already stored.
"""

from __future__ import annotations

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


def _typed_select(mapped: dict[int, str]) -> str:
    """SQL that types every field of `grid`, keeping the text beside it."""
    col = {field: f"c{i}" for i, field in mapped.items()}

    def text(field: str) -> str:
        return f"nullif(trim({col[field]}), '')" if field in col else "CAST(NULL AS VARCHAR)"

    def lookup(field: str, catalogue: str) -> str:
        return (f"(SELECT code FROM label_lookup WHERE catalogue = '{catalogue}' "
                f"AND label = norm_label({text(field)}))")

    return f"""
    SELECT
        source_row,
        {text('record_id')} AS record_id,
        {lookup('center', 'center')} AS center, {text('center')} AS center_raw,
        parse_date({text('date')}) AS occurred_on, {text('date')} AS date_raw,
        {lookup('activity', 'activity')} AS activity, {text('activity')} AS activity_raw,
        {lookup('program', 'program')} AS program, {text('program')} AS program_raw,
        parse_brn({text('firm_id')}) AS firm_id, {text('firm_id')} AS firm_id_raw,
        {text('firm_name')} AS firm_name,
        {lookup('firm_tier', 'tier')} AS firm_tier, {text('firm_tier')} AS firm_tier_raw,
        {text('product')} AS product,
        {text('importer_id')} AS importer_id,
        {text('importer_name')} AS importer_name,
        CASE lower(replace({text('channel')}, ' ', ''))
            WHEN '대면' THEN 'offline' WHEN 'offline' THEN 'offline' WHEN 'face-to-face' THEN 'offline'
            WHEN '비대면' THEN 'online' WHEN 'online' THEN 'online' WHEN '화상' THEN 'online'
        END AS channel, {text('channel')} AS channel_raw,
        parse_number({text('amount')}) AS amount, {text('amount')} AS amount_raw,
        (SELECT currency FROM known_currencies WHERE currency = coalesce(
            {_CURRENCY_WORDS}[replace({text('currency')}, ' ', '')],
            upper({text('currency')}), 'USD')) AS currency,
        {text('currency')} AS currency_raw,
        CASE WHEN {text('quantity')} IS NULL THEN 1
             WHEN parse_number({text('quantity')}) = floor(parse_number({text('quantity')}))
             THEN parse_number({text('quantity')})::BIGINT END AS quantity,
        {text('quantity')} AS quantity_raw,
        CASE lower({text('correction')})
            WHEN '정정' THEN 'amend' WHEN '수정' THEN 'amend' WHEN 'amend' THEN 'amend'
            WHEN '취소' THEN 'void' WHEN 'void' THEN 'void' WHEN 'cancel' THEN 'void'
        END AS correction, {text('correction')} AS correction_raw,
        {text('corrects_record_id')} AS corrects_record_id,
        parse_brn({text('mentor_firm_id')}) AS mentor_firm_id, {text('mentor_firm_id')} AS mentor_firm_id_raw,
        {text('note')} AS note
    FROM grid
    """


def prepare(con: duckdb.DuckDBPyConnection, grid: Grid, today: pd.Timestamp | None = None) -> PreparedBatch:
    """Type, validate and shape the rows of one centre log into candidate events."""
    mapped = map_header(grid.header)
    extras = {i: h for i, h in enumerate(grid.header) if i not in mapped and h}
    register_lookups(con)
    con.execute(_TYPED_SQL)
    con.register("grid", grid.table)
    blank = " AND ".join(f"trim(c{i}) = ''" for i in range(len(grid.header))) or "false"
    raw_json = "json_object(" + ", ".join(
        f"{_sql_literal(h or f'column_{i + 1}')}, c{i}" for i, h in enumerate(grid.header)) + ")"
    # Extra columns are content too, so they are written canonically: sorted by header, blank
    # cells left out, no object at all when nothing is left (column order never makes a conflict).
    entries = ", ".join(f"{{'k': {_sql_literal(h)}, 'v': nullif(trim(c{i}), '')}}"
                        for i, h in sorted(extras.items(), key=lambda item: item[1]))
    extra_json = (f"nullif(to_json(map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL))), '{{}}')"
                  if extras else "NULL::JSON")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE typed AS
        SELECT t.*, r.needs_firm, r.needs_importer, r.needs_amount, r.needs_program,
               r.needs_tier, r.needs_mentor, g.raw_values, g.extra
        FROM ({_typed_select(mapped)} WHERE NOT ({blank})) AS t
        JOIN (SELECT source_row, {raw_json} AS raw_values, {extra_json} AS extra FROM grid) AS g
          USING (source_row)
        LEFT JOIN activity_rules AS r ON r.activity_code = t.activity
        ORDER BY source_row
    """)
    con.unregister("grid")
    frame = con.execute("SELECT * EXCLUDE (raw_values, extra) FROM typed").df()
    failures = _failures(frame, center_log_rows(today))
    con.register("failures", failures)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE candidates AS
        SELECT
            t.source_row,
            md5('{SOURCE_KIND}|' || t.center || '|' || t.record_id) AS event_id,
            CASE WHEN t.correction IS NULL
                 THEN '{SOURCE_KIND}:' || t.center || ':' || t.record_id END AS stream,
            CASE t.correction WHEN 'amend' THEN 'activity_amended' WHEN 'void' THEN 'activity_voided'
                 ELSE 'activity_recorded' END AS event_type,
            {SCHEMA_VERSION} AS schema_version,
            t.occurred_on,
            p.payload,
            md5(p.payload) AS content_hash,
            CASE WHEN t.correction IS NOT NULL
                 THEN md5('{SOURCE_KIND}|' || t.center || '|' || t.corrects_record_id) END AS corrects_event_id,
            t.center || ':' || t.record_id AS record_key,
            t.center || ':' || t.corrects_record_id AS corrects_record_key,
            t.raw_values
        FROM typed AS t
        CROSS JOIN LATERAL (SELECT to_json(struct_pack(
            record_id := t.record_id, center := t.center, date := t.occurred_on,
            activity := t.activity, program := t.program, firm_id := t.firm_id,
            firm_name := t.firm_name, firm_tier := t.firm_tier, product := t.product,
            importer_id := t.importer_id, importer_name := t.importer_name, channel := t.channel,
            amount := t.amount, currency := t.currency, quantity := t.quantity,
            correction := t.correction, corrects_record_id := t.corrects_record_id,
            mentor_firm_id := t.mentor_firm_id, note := t.note, extra := t.extra
        ))::VARCHAR AS payload) AS p
        WHERE t.source_row NOT IN (SELECT source_row FROM failures)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT t.source_row, coalesce(t.center, t.center_raw) || ':' || t.record_id AS record_key, t.raw_values, f.reason
        FROM typed AS t JOIN failures AS f USING (source_row)
    """)
    con.unregister("failures")
    unparseable = [(row, None, None, f"the row {why}") for row, why in grid.bad_rows]
    if unparseable:
        con.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?)", unparseable)
    rows_in = con.execute("SELECT count(*) FROM typed").fetchone()[0] + len(unparseable)
    return PreparedBatch(source_kind=SOURCE_KIND, rows_in=rows_in,
                         candidates="candidates", rejected="rejected")


def _failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """source_row -> reasons, one row per failing source row, reasons joined with '; '."""
    try:
        schema.validate(frame, lazy=True)
        return pd.DataFrame({"source_row": pd.Series([], dtype="int64"), "reason": pd.Series([], dtype="str")})
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases.dropna(subset=["index"]).drop_duplicates(["index", "check"])
    reasons: dict[int, list[str]] = {}
    for idx, template in zip(cases["index"].astype(int), cases["check"].astype(str)):
        values = {k: ("" if pd.isna(v) else v) for k, v in frame.loc[idx].items()}
        reasons.setdefault(idx, []).append(_fill(template, values))
    return pd.DataFrame({
        "source_row": [int(frame.at[i, "source_row"]) for i in reasons],
        "reason": ["; ".join(r) for r in reasons.values()],
    })


def _fill(template: str, values: dict) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
