"""The event store's read side: what the rest of the product asks of the store (its head, the files
it knows, the open quarantine, a kind's events), written once. The write side is `store.py`."""

from __future__ import annotations

import duckdb


def open_quarantine(settled_by: str | None = None) -> str:
    """The quarantined rows no requeue has settled, as an SQL relation; with `settled_by` (an SQL
    timestamp expression, e.g. a query parameter) the rows still open at that time."""
    resolutions = (
        "events.quarantine_resolutions"
        if settled_by is None
        else f"(SELECT * FROM events.quarantine_resolutions WHERE resolved_at <= {settled_by})"
    )
    return f"""
(SELECT q.* FROM events.quarantine AS q ANTI JOIN {resolutions} AS r
 ON r.batch_id = q.batch_id AND r.source_row = q.source_row AND r.source_column IS NOT DISTINCT FROM q.source_column)
"""


OPEN_QUARANTINE = open_quarantine()


def events_of(kind: str) -> str:
    """One source kind's stored events, as an SQL relation (a kind's name is a Python identifier)."""
    assert kind.isidentifier(), kind
    return f"(SELECT * FROM events.event_store WHERE source_kind = '{kind}')"


def location_sql(row: str, column: str) -> str:
    """`row 7` or `row 7, column [동의] 열린 수출상담회`: where a person finds a record (in reasons,
    `status` and the export)."""
    return f"'row ' || {row} || coalesce(', column ' || {column}, '')"


def head(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> tuple[int, int]:
    """(events, newest position) of the store, or of one source kind."""
    where = "true" if kind is None else "source_kind = $kind"
    params = {} if kind is None else {"kind": kind}
    sql = f"SELECT count(*), coalesce(max(position), 0) FROM events.event_store WHERE {where}"
    return con.execute(sql, params).fetchone()


def head_position(con: duckdb.DuckDBPyConnection) -> int:
    """The position of the newest event; 0 for an empty store."""
    return head(con)[1]


def events_since(con: duckdb.DuckDBPyConnection, position: int) -> tuple[int, int]:
    """(events after `position`, events in the store)."""
    return con.execute("SELECT count(*) FILTER (position > ?), count(*) FROM events.event_store", [position]).fetchone()


def loaded_batches(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, str]]:
    """sha256 -> (batch_id, rows_in, source_kind) of the batch that loaded a file with those bytes."""
    rows = con.execute(
        "SELECT file_hash, batch_id, rows_in, source_kind FROM events.ingest_batches WHERE status = 'loaded'"
    ).fetchall()
    return {sha: (batch, rows_in, kind) for sha, batch, rows_in, kind in rows}


def known_paths(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(path, sha256) of every file already loaded or logged as a duplicate: not offered again."""
    return set(
        con.execute(
            "SELECT DISTINCT file_path, file_hash FROM events.ingest_batches WHERE status IN ('loaded', 'duplicate')"
        ).fetchall()
    )


def open_quarantine_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {OPEN_QUARANTINE}").fetchone()[0]
