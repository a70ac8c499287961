"""The analysts' file: after every build, the marts (and only the marts) are copied into
`analyst.duckdb` beside the warehouse, written aside and renamed over the old file at once.

Analysts open that file read-only for as long as they like: DuckDB locks a file for its writer,
and this file has none but the short copy into a new file. A reader who still holds the old file
keeps reading it (the rename does not touch an open file) and sees the new marts on reconnecting.
No raw event, quarantined row or survey answer is copied: only the `marts` schema, with the
column descriptions dbt wrote, and one `publication` row saying what the copy was made from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.eventstore import read
from pipelines.freeze import code_version, tables
from pipelines.mart_registry import MARTS_SCHEMA

ALIAS = "analyst_new"


@dataclass(frozen=True)
class Publication:
    path: Path
    rows: dict[str, int]  # mart -> rows copied
    store_position: int
    published_at: datetime


def _comments(con: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    """COMMENT statements that carry the table's and its columns' descriptions over."""
    table = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [MARTS_SCHEMA, mart],
    ).fetchone()
    columns = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL",
        [MARTS_SCHEMA, mart],
    ).fetchall()
    target = f"{ALIAS}.{MARTS_SCHEMA}.{mart}"
    statements = [f"COMMENT ON TABLE {target} IS {_literal(table[0])}"] if table and table[0] else []
    return statements + [f'COMMENT ON COLUMN {target}."{c}" IS {_literal(text)}' for c, text in columns]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(con: duckdb.DuckDBPyConnection, target: Path) -> Publication:
    """Copy the marts of the warehouse open on `con` into a new file, then rename it to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a publisher that was killed
        stale.unlink()
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    marts = tables(con, MARTS_SCHEMA)
    position = read.head_position(con)
    published_at = datetime.now(UTC)
    rows: dict[str, int] = {}
    done = False
    con.execute(f"ATTACH '{scratch}' AS {ALIAS}")
    try:
        con.execute(f"CREATE SCHEMA {ALIAS}.{MARTS_SCHEMA}")
        for mart in marts:
            con.execute(f"CREATE TABLE {ALIAS}.{MARTS_SCHEMA}.{mart} AS SELECT * FROM {MARTS_SCHEMA}.{mart}")
            rows[mart] = con.execute(f"SELECT count(*) FROM {ALIAS}.{MARTS_SCHEMA}.{mart}").fetchone()[0]
            for statement in _comments(con, mart):
                con.execute(statement)
        con.execute(
            f"CREATE TABLE {ALIAS}.main.publication AS SELECT ?::TIMESTAMPTZ AS published_at, "
            "?::BIGINT AS store_position, ?::VARCHAR AS code_version, ?::VARCHAR[] AS marts",
            [published_at, position, code_version(), marts],
        )
        about = "발행 정보 / When these marts were copied, from which store position and code version"
        con.execute(f"COMMENT ON TABLE {ALIAS}.main.publication IS {_literal(about)}")
        con.execute(f"CHECKPOINT {ALIAS}")
        done = True
    finally:
        con.execute(f"DETACH {ALIAS}")
        if not done:
            scratch.unlink(missing_ok=True)
    os.replace(scratch, target)  # atomic: a reader sees the old file or the new one, never half of one
    return Publication(target, rows, position, published_at)
