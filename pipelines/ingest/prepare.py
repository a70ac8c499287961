"""Generic typing, validation and shaping of a source kind's rows, set-wise, for many files.

From the kind's field list: one query trims and types every cell (costly parsing once per
distinct text); then one pandera validation of the typed rows decides the bad ones while a second
connection shapes every row as a candidate event. Whether a candidate is new, a duplicate or a
conflict is decided by the event store, inside the transaction that appends it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pandas as pd
import pyarrow as arrow

from pipelines.eventstore.batch import BATCH_ROWS, ROWS, PreparedBatch, arrow_rows
from pipelines.ingest.fields import Field, unique_names
from pipelines.ingest.readers import Grid
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.validate import failures
from pipelines.reference import register_lookups
from schemas.raw import raw_schema

# Parsing macros the field types use (pipelines/ingest/fields.py).
PARSE_MACROS = """
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
-- 'inf' and 'nan' cast to DOUBLE but are not numbers
CREATE OR REPLACE TEMP MACRO finite_or_null(v) AS CASE WHEN isfinite(v) THEN v END;
-- any number DuckDB reads, or digits grouped in thousands by commas ('1,5' is not fifteen); the
-- pattern only for text with a comma, since it costs more than the cast
CREATE OR REPLACE TEMP MACRO parse_number(x) AS CASE
    WHEN NOT contains(x, ',') THEN finite_or_null(try_cast(x AS DOUBLE))
    WHEN regexp_matches(x, '^[+-]?\\d{1,3}(,\\d{3})+(\\.\\d+)?$') THEN try_cast(replace(x, ',', '') AS DOUBLE)
END;
CREATE OR REPLACE TEMP MACRO parse_whole(x) AS CASE
    WHEN parse_number(x) = floor(parse_number(x)) THEN try_cast(parse_number(x) AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO parse_brn(x) AS CASE
    WHEN regexp_matches(regexp_replace(x, '[\\s\\-]', '', 'g'), '^\\d{10}$')
    THEN regexp_replace(regexp_replace(x, '[\\s\\-]', '', 'g'), '^(\\d{3})(\\d{2})(\\d{5})$', '\\1-\\2-\\3')
END;
"""  # noqa: E501 (the date pattern reads best on one line)


def _shape(cursor: duckdb.DuckDBPyConnection, kind: SourceKind, typed: arrow.Table) -> arrow.Table:
    """The typed rows shaped as candidate events, on a connection of its own."""
    try:
        cursor.register(f"{kind.name}_typed", typed)
        return arrow_rows(cursor, shaped_sql(kind))
    finally:
        cursor.close()


_EXTRAS_SCHEMA = arrow.schema(
    [("file_no", arrow.int32()), ("source_row", arrow.int64()), ("k", arrow.string()), ("v", arrow.string())]
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _canonical(kind: SourceKind, file_no: int, grid: Grid) -> tuple[arrow.Table, list[arrow.Table]]:
    """One file's cells under the kind's field names, and its extra columns in long form
    (file_no, source_row, k = header, v = cell). Column picking only: no cell is copied."""
    mapped = kind.fields.map_header(grid.header)
    n = grid.table.num_rows
    file_col = arrow.array(np.full(n, file_no, dtype=np.int32))
    rows = grid.table.column("source_row").cast(arrow.int64())
    # Cells are text whatever a reader built (an empty column comes out typed null): one file's
    # shape must not break the concatenation of its chunk.
    text = {i: grid.table.column(f"c{i}").cast(arrow.string()) for i in range(len(grid.header))}
    by_field = {name: text[i] for i, name in mapped.items()}
    cells = {name: by_field.get(name, arrow.nulls(n, arrow.string())) for name in kind.fields.names}
    table = arrow.table({"file_no": file_col, "source_row": rows, **cells})
    extras = [
        arrow.table(
            {
                "file_no": file_col,
                "source_row": rows,
                "k": arrow.array([name] * n, arrow.string()),
                "v": text[i],
            }
        )
        for i, name in enumerate(unique_names(grid.header))
        if i not in mapped
    ]
    return table, extras


def _extra_sql(kind: SourceKind) -> str:
    """Extra columns are content too, so they are written canonically: sorted by header, blank
    cells left out, no object at all when nothing is left (column order never makes a conflict)."""
    return f"""
    CREATE OR REPLACE TEMP TABLE {kind.name}_extra AS
    SELECT file_no, source_row,
           ('{{' || string_agg(to_json(k) || ':' || to_json(v), ',' ORDER BY k) || '}}')::JSON AS extra
    FROM (SELECT file_no, source_row, k, nullif(trim(v), '') AS v FROM {kind.name}_extras_arrow)
    WHERE v IS NOT NULL
    GROUP BY ALL
    """


def _cells(kind: SourceKind) -> str:
    """The cells trimmed, blank = NULL (the reader removed invisibles and made the text NFC), with
    their extra columns; rows with nothing in them dropped. A subquery: never materialised."""
    names = kind.fields.names
    return f"""(
        SELECT c.file_no, c.source_row, {", ".join(f"nullif(trim(c.{f}), '') AS {f}" for f in names)}, e.extra
        FROM {kind.name}_cells_arrow AS c LEFT JOIN {kind.name}_extra AS e USING (file_no, source_row)
        WHERE e.extra IS NOT NULL OR NOT ({" AND ".join(f"nullif(trim(c.{f}), '') IS NULL" for f in names)})
    )"""


def _value_maps_sql(kind: SourceKind) -> list[str]:
    """Costly parsing runs once per distinct text, not once per row: a month of logs repeats the
    same few hundred values."""
    cells = f"{kind.name}_cells_arrow"
    statements = []
    labels = [f for f in kind.fields if f.type.catalogue]
    if labels:
        values = " UNION ".join(  # distinct (catalogue, text), also for a kind with one label field
            f"SELECT '{f.type.catalogue}' AS catalogue, nullif(trim({f.name}), '') AS raw FROM {cells}" for f in labels
        )
        statements.append(f"""
            CREATE OR REPLACE TEMP TABLE {kind.name}_labels AS
            SELECT v.catalogue, v.raw, l.code
            FROM (SELECT DISTINCT * FROM ({values})) AS v
            JOIN label_lookup AS l ON l.catalogue = v.catalogue AND l.label = norm_label(v.raw)""")
    costly = {}
    for f in kind.fields:
        if f.type.per_distinct and not f.type.catalogue:
            costly.setdefault(f.type, []).append(f.name)
    for ftype, names in costly.items():
        values = " UNION ".join(f"SELECT nullif(trim({n}), '') AS raw FROM {cells}" for n in names)
        statements.append(f"""
            CREATE OR REPLACE TEMP TABLE {kind.name}_map_{ftype.name} AS
            SELECT raw, {ftype.sql.format(x="raw")} AS parsed
            FROM (SELECT DISTINCT raw FROM ({values}) WHERE raw IS NOT NULL)""")
    return statements


def _typed_expr(kind: SourceKind, f: Field) -> tuple[str, str]:
    """(typed value expression, join) of a field over the normalised cells `g`."""
    cell = f"g.{f.name}"
    alias = f"m_{f.name}"
    if f.type.catalogue:
        value = f"{alias}.code"
        join = (
            f"LEFT JOIN {kind.name}_labels AS {alias} "
            f"ON {alias}.catalogue = '{f.type.catalogue}' AND {alias}.raw = {cell}"
        )
    elif f.type.per_distinct:
        value = f"{alias}.parsed"
        join = f"LEFT JOIN {kind.name}_map_{f.type.name} AS {alias} ON {alias}.raw = {cell}"
    else:
        value, join = f.type.sql.format(x=cell), ""
    if f.default is not None:
        value = f"CASE WHEN {cell} IS NULL THEN {f.default} ELSE {value} END"
    return f"CAST({value} AS {f.type.duck_type})", join


def typed_sql(kind: SourceKind) -> str:
    """Every field typed (`name`), beside its text (`name_raw`) where typing can fail, plus the
    kind's enrichment columns, for the rows of the cells."""
    items, joins = [], []
    for f in kind.fields:
        value, join = _typed_expr(kind, f)
        items.append(f"{value} AS {f.name}" + (f", g.{f.name} AS {f.name}_raw" if f.can_fail else ""))
        if join:
            joins.append(join)
    enrich = f", {kind.enrich_columns}" if kind.enrich_columns else ""
    return f"""
    WITH t AS (SELECT g.file_no, g.source_row, {", ".join(items)}, g.extra
               FROM {_cells(kind)} AS g {" ".join(joins)})
    SELECT t.* {enrich} FROM t {kind.enrich_joins}
    """


def payload_sql(kind: SourceKind, value=lambda f: f"t.{f.name}", extra: str = "t.extra") -> str:
    """The event's payload as canonical JSON text: the payload fields that have a value and
    `extra`, keys in name order, each value serialised from its type by DuckDB. The text depends
    only on the typed values (not on column order, header spelling or blank fields), so its md5
    is the record's content identity, and a new optional field changes nothing."""
    parts = [(f.name, value(f), f"to_json({value(f)})") for f in kind.fields if f.payload] + [("extra", extra, extra)]
    members = [f"CASE WHEN {v} IS NOT NULL THEN '\"{name}\":' || {text} END" for name, v, text in sorted(parts)]
    return f"('{{' || concat_ws(',', {', '.join(members)}) || '}}')"


def stored_content_hash_sql(kind: SourceKind) -> str:
    """The content identity of a stored event, from its JSON `payload` (for migrations)."""
    text = payload_sql(
        kind, value=lambda f: f"TRY_CAST(payload->>'{f.name}' AS {f.type.duck_type})", extra="(payload->'extra')"
    )
    return f"md5({text})"


def key_sql(kind: SourceKind, fields: tuple[str, ...], sep: str) -> str:
    return f"concat_ws('{sep}', {', '.join(f't.{k}' for k in fields)})"


def shaped_sql(kind: SourceKind) -> str:
    """Every typed row shaped as a candidate event (ids, stream, type, payload, content hash)."""
    key = key_sql(kind, kind.key, "|")
    record_id = f"md5('{kind.name}|' || {key})"
    event_id = record_id if kind.on_conflict == "quarantine" else f"md5('{kind.name}|' || {key} || '|' || p.hash)"
    corr = kind.correction
    if corr:
        scope = (*kind.key[:-1], corr.target)
        is_correction = f"t.{corr.mark} IS NOT NULL"
        corrects = f"CASE WHEN {is_correction} THEN md5('{kind.name}|' || {key_sql(kind, scope, '|')}) END"
        corrects_key = f"CASE WHEN {is_correction} THEN {key_sql(kind, scope, ':')} END"
        stream = f"CASE WHEN NOT {is_correction} THEN {record_id}::UUID END"
    else:
        corrects, corrects_key, stream = "NULL::VARCHAR", "NULL::VARCHAR", f"{record_id}::UUID"
    return f"""
    SELECT
        t.file_no, t.source_row,
        {event_id} AS event_id,
        {stream} AS stream_id,
        {kind.event_type} AS event_type,
        {kind.schema_version} AS schema_version,
        {kind.fields[kind.occurred_on].type.as_date.format(x=f"t.{kind.occurred_on}")} AS occurred_on,
        p.text::JSON AS payload,
        p.hash AS content_hash,
        {corrects} AS corrects_event_id,
        {key_sql(kind, kind.key, ":")} AS record_key,
        {corrects_key} AS corrects_record_key
    FROM {kind.name}_typed AS t
    CROSS JOIN LATERAL (SELECT {payload_sql(kind)} AS text, md5(text) AS hash) AS p
    """


def _raw_sql(view: str, header: list[str]) -> str:
    """The row as written (header -> cell), for the rows that end up in quarantine."""
    pairs = ", ".join(f"{_quote(name)}, c{i}" for i, name in enumerate(unique_names(header)))
    return f"SELECT source_row, json_object({pairs}) AS raw_values FROM {view} WHERE source_row IN ({ROWS})"


# Nullable booleans and whole numbers as pandas' own nullable types (not object or float64): the
# rules' isna/fillna on them are vectorised, and no column needs coercing.
_PANDAS_TYPES = {arrow.bool_(): pd.BooleanDtype(), arrow.int64(): pd.Int64Dtype()}


def _validation_frame(kind: SourceKind, typed: arrow.Table) -> pd.DataFrame:
    """The typed rows as pandera checks them, without the payload's `extra`: dates as timestamps
    (pandas keeps those as datetime64, not as Python date objects), DuckDB's lossless booleans as
    plain ones. Taken from the Arrow columns themselves (a query would export them all again); in
    one chunk, as pandas takes a check's failing rows from every column, and a take over many
    chunks first copies the column whole."""
    fields = kind.fields.names
    columns = {}
    for name in [n for n in typed.column_names if n not in fields and n != "extra"] + list(fields):
        column = typed.column(name)
        if column.type == arrow.bool8():
            column = column.cast(arrow.bool_())
        elif arrow.types.is_date(column.type):
            column = column.cast(arrow.timestamp("us"))
        columns[name] = column
    return arrow.table(columns).combine_chunks().to_pandas(types_mapper=_PANDAS_TYPES.get)


def set_up(con: duckdb.DuckDBPyConnection, kinds: tuple[SourceKind, ...]) -> None:
    """What preparing rows of these kinds needs on the connection (their label lookups, the
    parsing macros), each built once per connection."""
    register_lookups(con, [f.type.catalogue for kind in kinds for f in kind.fields if f.type.catalogue])
    if not con.execute("SELECT getvariable('parse_macros')").fetchall()[0][0]:
        con.execute(PARSE_MACROS)
        con.execute("SET VARIABLE parse_macros = true")


def prepare(con: duckdb.DuckDBPyConnection, kind: SourceKind, grids: dict[int, Grid]) -> PreparedBatch:
    """Type, validate and shape the rows of several files of one kind (file_no -> grid) at once.

    The grids stay registered (as views) until `PreparedBatch.release()`, so quarantined rows can
    be quoted as written.
    """
    set_up(con, (kind,))
    raw_sql, cells, extras, bad_rows = _register_grids(con, kind, grids)
    typed = _typed(con, kind, cells, extras)
    _split_rows(con, kind, typed, bad_rows)
    counts = {int(n): int(c) for n, c in zip(*np.unique(typed.column("file_no").to_numpy(), return_counts=True))}
    rows_in = {n: counts.get(n, 0) + len(g.bad_rows) for n, g in grids.items()}

    def release() -> None:
        for name in (*(f"grid_{file_no}" for file_no in grids), "typed", "shaped"):
            con.unregister(f"{kind.name}_{name}")

    return PreparedBatch(
        source_kind=kind.name,
        wording=kind.wording,
        rows_in=rows_in,
        candidates=f"{kind.name}_candidates",
        rejected=f"{kind.name}_rejected",
        raw_sql=raw_sql,
        corrections=kind.correction is not None,
        release=release,
        layouts={n: (g.stride, g.parts) for n, g in grids.items() if g.stride > 1},
    )


def _register_grids(
    con: duckdb.DuckDBPyConnection, kind: SourceKind, grids: dict[int, Grid]
) -> tuple[dict[int, str], arrow.Table, list[arrow.Table], list[tuple]]:
    """Each grid registered as a view (its rows quoted from it), its cells in canonical columns,
    the cells of columns the kind does not know, and the rows that could not be read."""
    raw_sql: dict[int, str] = {}
    tables: list[arrow.Table] = []
    extras: list[arrow.Table] = []
    bad_rows: list[tuple] = []
    for file_no, grid in grids.items():
        view = f"{kind.name}_grid_{file_no}"
        con.register(view, grid.table)
        raw_sql[file_no] = _raw_sql(view, grid.header)
        table, file_extras = _canonical(kind, file_no, grid)
        tables.append(table)
        extras += file_extras
        bad_rows += [
            (file_no, row, None, json.dumps({"line": text}, ensure_ascii=False), f"the row {why}", "malformed")
            for row, why, text in grid.bad_rows
        ]
    # one Arrow table for all files: DuckDB scans it once instead of a union of many scans
    return raw_sql, arrow.concat_tables(tables), extras, bad_rows


def _typed(
    con: duckdb.DuckDBPyConnection, kind: SourceKind, cells: arrow.Table, extras: list[arrow.Table]
) -> arrow.Table:
    """The rows typed (each field's text parsed, labels looked up), registered as `<kind>_typed`."""
    con.register(f"{kind.name}_cells_arrow", arrow.Table.from_batches(cells.to_batches(BATCH_ROWS), cells.schema))
    con.register(f"{kind.name}_extras_arrow", arrow.concat_tables(extras) if extras else _EXTRAS_SCHEMA.empty_table())
    con.execute(_extra_sql(kind))
    con.unregister(f"{kind.name}_extras_arrow")
    for statement in _value_maps_sql(kind):
        con.execute(statement)
    typed = arrow_rows(con, typed_sql(kind))
    con.unregister(f"{kind.name}_cells_arrow")
    con.register(f"{kind.name}_typed", typed)
    return typed


def _split_rows(con: duckdb.DuckDBPyConnection, kind: SourceKind, typed: arrow.Table, bad_rows: list[tuple]) -> None:
    """`<kind>_candidates`: the shaped rows that pass the kind's rules; `<kind>_rejected`: those
    that fail, with their reasons, and the rows that could not be read."""
    # Shaping (DuckDB, on a second connection) and validating (pandera, here) do not depend on each
    # other: they run at once, and the candidates are the shaped rows that passed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        shaping = pool.submit(_shape, con.cursor(), kind, typed)
        # through Arrow: pandas keeps the strings Arrow-backed instead of building Python objects
        con.register(f"{kind.name}_failures_frame", failures(_validation_frame(kind, typed), raw_schema(kind)))
        con.register(f"{kind.name}_shaped", shaping.result())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {kind.name}_failures AS SELECT * FROM {kind.name}_failures_frame")
    con.unregister(f"{kind.name}_failures_frame")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {kind.name}_candidates AS
        SELECT s.* FROM {kind.name}_shaped AS s ANTI JOIN {kind.name}_failures USING (file_no, source_row)
    """)
    # a key field that did not parse is named by its text (a typed key field, e.g. a year, as text too)
    key = ", ".join(f"coalesce(t.{k}::VARCHAR, t.{k}_raw)" if kind.fields[k].can_fail else f"t.{k}" for k in kind.key)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {kind.name}_rejected AS
        SELECT t.file_no, t.source_row, concat_ws(':', {key}) AS record_key, NULL::VARCHAR AS raw_values,
               f.reason, 'invalid' AS reason_code
        FROM {kind.name}_typed AS t JOIN {kind.name}_failures AS f USING (file_no, source_row)
    """)
    if bad_rows:
        con.executemany(f"INSERT INTO {kind.name}_rejected VALUES (?, ?, ?, ?, ?, ?)", bad_rows)
