"""The latest outcome of every rule the Dagster checks ran, kept in the warehouse
(`quality.rule_outcomes`), so that a run's summary and `status` name the rows a rule flagged; a
suite's rows are replaced each time its check runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from pipelines.eventstore import read
from pipelines.quality.outcome import RuleOutcome

TABLE = "quality.rule_outcomes"


def record(con: duckdb.DuckDBPyConnection, suites: Sequence[str], outcomes: Sequence[RuleOutcome]) -> None:
    """Replace the outcomes of `suites` with `outcomes`, stamped with the store position checked."""
    position = read.head_position(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (suite VARCHAR, rule VARCHAR, kind VARCHAR, success BOOLEAN, "
        "observed VARCHAR, store_position BIGINT, checked_at TIMESTAMPTZ)"
    )
    checked_at = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    con.execute(f"DELETE FROM {TABLE} WHERE suite IN (SELECT unnest($suites))", {"suites": list(suites)})
    con.executemany(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(o.suite, o.rule, o.kind, o.success, o.observed, position, checked_at) for o in outcomes],
    )
    con.execute("COMMIT")


def latest(con: duckdb.DuckDBPyConnection) -> list[tuple[RuleOutcome, int]]:
    """Every recorded outcome with the store position it was checked at; none before a first check."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'quality' AND table_name = 'rule_outcomes'"
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(
        f"SELECT suite, rule, success, observed, kind, store_position FROM {TABLE} ORDER BY suite, rule"
    ).fetchall()
    return [(RuleOutcome(*r[:5]), r[5]) for r in rows]
