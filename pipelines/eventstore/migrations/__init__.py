"""Ordered schema migrations of the event store, recorded in `events.schema_migrations`.

A warehouse made by any earlier release upgrades in place on the next connection that writes:
the missing migrations run once, in version order, in one transaction. Stored rows are carried
over, never edited in meaning: a migration may add columns that are derived from what was stored
(a stream id from the stream's first event) or empty, and rebuild a table to change a constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).parent

# source kind -> SQL expression of the content hash over a JSON column named `payload`
ContentHashes = dict[str, str]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection, ContentHashes], None]


def _sql_file(name: str) -> Callable[[duckdb.DuckDBPyConnection, ContentHashes], None]:
    def apply(con: duckdb.DuckDBPyConnection, _: ContentHashes) -> None:
        con.execute((HERE / name).read_text(encoding="utf-8"))

    return apply


def _source_streams(con: duckdb.DuckDBPyConnection, hashes: ContentHashes) -> None:
    """v1 -> v2: streams were text (`center_log:<centre>:<id>`); now an opaque id, the source
    kind and a version per stream. The id and version are derived from the stored order (the
    stream's first event gives the id), not by parsing the text. Content hashes are recomputed
    from the typed fields (v1 hashed the JSON text)."""
    _sql_file("m002_source_streams.sql")(con, hashes)
    kinds = [
        k
        for (k,) in con.execute(
            "SELECT DISTINCT source_kind FROM events.ingest_batches WHERE source_kind IS NOT NULL"
        ).fetchall()
    ]
    unknown = [k for k in kinds if k not in hashes]
    if unknown:
        raise RuntimeError(f"the store holds events of unknown source kinds {unknown}: cannot upgrade")
    content_hash = (
        "CASE b.source_kind " + " ".join(f"WHEN '{k}' THEN {hashes[k]}" for k in kinds) + " END"
        if kinds
        else "e.content_hash"
    )
    con.execute(f"""
        INSERT INTO events.event_store_v2 (position, event_id, source_kind, stream_id, stream_version, event_type,
            schema_version, occurred_on, recorded_at, batch_id, source_row, payload, content_hash, corrects_event_id)
        SELECT e.position, e.event_id, b.source_kind,
               first_value(e.event_id) OVER stream_order::UUID,
               row_number() OVER stream_order,
               e.event_type, e.schema_version, e.occurred_on, e.recorded_at, e.batch_id, e.source_row, e.payload,
               {content_hash.replace("payload", "e.payload")}, e.corrects_event_id
        FROM events.event_store AS e JOIN events.ingest_batches AS b USING (batch_id)
        WINDOW stream_order AS (PARTITION BY e.stream ORDER BY e.position)
        ORDER BY e.position
    """)
    con.execute("INSERT INTO events.ingest_batches_v2 BY NAME SELECT * FROM events.ingest_batches")
    # v1 wrote the reason only; its kind is read once here from the wording v1 used
    con.execute("""
        INSERT INTO events.quarantine_v2 (batch_id, source_row, record_key, raw_values, reason, reason_code)
        SELECT batch_id, source_row, record_key, raw_values, reason,
               CASE WHEN reason LIKE '%which is neither stored nor accepted earlier' THEN 'awaiting_target'
                    WHEN reason LIKE '%with other content%' THEN 'conflict'
                    WHEN json_keys(raw_values) = ['line'] THEN 'malformed'
                    ELSE 'invalid' END
        FROM events.quarantine
    """)
    for table in ("event_store", "ingest_batches", "quarantine"):
        con.execute(f"DROP TABLE events.{table}")
        con.execute(f"ALTER TABLE events.{table}_v2 RENAME TO {table}")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial event store, batch ledger and quarantine", _sql_file("m001_initial.sql")),
    Migration(2, "source kind, opaque stream ids with versions, requeue", _source_streams),
    Migration(3, "frozen annual evaluations and their pinned reference data", _sql_file("m003_evaluation_freezes.sql")),
    Migration(4, "file row and column of a row's several records", _sql_file("m004_source_columns.sql")),
)
LATEST = MIGRATIONS[-1].version

_LEDGER = """
CREATE SCHEMA IF NOT EXISTS events;
CREATE TABLE IF NOT EXISTS events.schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
"""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the store: 0 when empty; 1 for a store made before migrations
    were recorded (its tables exist without a ledger)."""
    has = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'events' AND NOT temporary"
        ).fetchall()
    }
    if "schema_migrations" in has:
        return con.execute("SELECT coalesce(max(version), 0) FROM events.schema_migrations").fetchone()[0]
    return 1 if "event_store" in has else 0


def migrate(con: duckdb.DuckDBPyConnection, hashes: ContentHashes) -> list[int]:
    """Apply the migrations the store lacks (all or none of them); the versions applied."""
    version = current_version(con)
    if version == LATEST:
        return []
    if version > LATEST:
        raise RuntimeError(f"the warehouse has store schema version {version}, newer than this release ({LATEST})")
    applied = []
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_LEDGER)
        if version == 1 and not con.execute("SELECT count(*) FROM events.schema_migrations").fetchone()[0]:
            con.execute(
                "INSERT INTO events.schema_migrations (version, name, applied_at) VALUES (1, ?, now())",
                [MIGRATIONS[0].name],
            )
        for m in MIGRATIONS:
            if m.version > version:
                m.apply(con, hashes)
                con.execute(
                    "INSERT INTO events.schema_migrations (version, name, applied_at) VALUES (?, ?, now())",
                    [m.version, m.name],
                )
                applied.append(m.version)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return applied
