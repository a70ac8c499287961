"""Append-only event store: one DuckDB transaction per file, idempotent by file and event id.

Only INSERT statements touch the `events` tables. Positions are assigned as max(position) + n
inside the writing transaction; the primary key makes a concurrent writer fail instead of
interleaving, so positions are gap-free and only increase.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from pipelines.eventstore.batch import ROWS, PreparedBatch

SCHEMA_SQL = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    file: str
    status: str  # loaded | duplicate | refused
    source_kind: str | None
    rows_in: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    first_position: int | None = None
    last_position: int | None = None


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse; writers also make sure the store's tables exist."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            # Checkpoint when the connection closes rather than every 16 MB of log: an ingest
            # of many files otherwise rewrites the growing table and its index again and again.
            con.execute("SET checkpoint_threshold = '1GB'")
            ensure_schema(con)
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_SQL)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, rolled back explicitly on any error (a DuckDB COMMIT after a failed
    statement would return quietly and keep nothing)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def loaded_batch(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, int] | None:
    """(batch_id, rows_in) of the batch that loaded a file with these bytes, if any."""
    return con.execute(
        "SELECT batch_id, rows_in FROM events.ingest_batches WHERE file_hash = ? AND status = 'loaded'",
        [sha256],
    ).fetchone()


def _next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM events.ingest_batches").fetchone()[0]


def _insert_batch(con, batch_id: int, file: FileInfo, *, source_kind, encoding, status, reason,
                  duplicate_of, rows_in, accepted, duplicates, quarantined, first_position,
                  last_position, started_at: dt.datetime) -> None:
    con.execute(
        "INSERT INTO events.ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, source_kind, file.path.name, str(file.path), file.sha256, file.size, encoding,
         status, reason, duplicate_of, rows_in, accepted, duplicates, quarantined, first_position,
         last_position, started_at, dt.datetime.now(dt.timezone.utc)],
    )


def record_duplicate(con, file: FileInfo, source_kind: str | None, loaded: tuple[int, int]) -> BatchResult:
    """The same bytes were loaded before (under any name): log the attempt, add nothing."""
    started = dt.datetime.now(dt.timezone.utc)
    duplicate_of, rows_in = loaded
    reason = f"same content as batch {duplicate_of}"
    with transaction(con):
        batch_id = _next_batch_id(con)
        _insert_batch(con, batch_id, file, source_kind=source_kind, encoding=None, status="duplicate",
                      reason=reason, duplicate_of=duplicate_of, rows_in=rows_in, accepted=0,
                      duplicates=rows_in, quarantined=0, first_position=None, last_position=None,
                      started_at=started)
    return BatchResult(batch_id, str(file.path), "duplicate", source_kind, rows_in, 0, rows_in, 0, reason)


def record_refused(con, file: FileInfo, source_kind: str | None, reason: str) -> BatchResult:
    """A file that cannot be read at all: log it with the reason, store no event."""
    started = dt.datetime.now(dt.timezone.utc)
    with transaction(con):
        batch_id = _next_batch_id(con)
        _insert_batch(con, batch_id, file, source_kind=source_kind, encoding=None, status="refused",
                      reason=reason, duplicate_of=None, rows_in=0, accepted=0, duplicates=0,
                      quarantined=0, first_position=None, last_position=None, started_at=started)
    return BatchResult(batch_id, str(file.path), "refused", source_kind, reason=reason)


_JUDGE_SQL = """
CREATE OR REPLACE TEMP TABLE {judged} AS
WITH c AS (
    SELECT *,
        row_number() OVER w AS occurrence,
        first_value(content_hash) OVER w AS first_hash,
        first_value(file_no) OVER w AS first_file,
        first_value(source_row) OVER w AS first_row
    FROM {candidates}
    WINDOW w AS (PARTITION BY event_id ORDER BY file_no, source_row)
)
SELECT c.*, s.position AS stored_position,
    CASE WHEN c.corrects_event_id IS NULL THEN 0 END AS depth,  -- links to the original
    -- A stored record is the reference for every row that repeats its id; otherwise the
    -- first row (in file order) is.
    CASE
        WHEN s.position IS NOT NULL AND s.content_hash = c.content_hash THEN 'duplicate'
        WHEN s.position IS NOT NULL THEN 'conflict'
        WHEN c.occurrence = 1 THEN 'new'
        WHEN c.content_hash = c.first_hash THEN 'duplicate'
        ELSE 'conflict'
    END AS verdict,
    CASE
        WHEN s.position IS NOT NULL AND s.content_hash <> c.content_hash THEN
            'record ' || c.record_key || ' is already stored with other content (from '
            || b.file_name || ' row ' || s.source_row || ', position ' || s.position
            || '); mark a change as 정정 with 원기록번호'
        WHEN s.position IS NULL AND c.occurrence > 1 AND c.content_hash <> c.first_hash THEN
            'record ' || c.record_key || ' appears again with other content (first at row '
            || c.first_row || CASE WHEN c.first_file = c.file_no THEN ' of this file'
                                   ELSE ' of ' || f.file_name END
            || '); mark a change as 정정 with 원기록번호'
    END AS reason
FROM c
LEFT JOIN events.event_store AS s USING (event_id)
LEFT JOIN events.ingest_batches AS b ON b.batch_id = s.batch_id
LEFT JOIN {files} AS f ON f.file_no = c.first_file
-- sorted by file: appending one file reads a narrow slice (zone maps skip the rest)
ORDER BY c.file_no, c.source_row
"""

# A correction joins the stream of the event it corrects: stored, or new in this file or an
# earlier one (a correction of a correction follows the chain, one link per pass).
_RESOLVE_STORED_SQL = """
UPDATE {judged} SET stream = s.stream, depth = 1
FROM events.event_store AS s
WHERE {judged}.verdict = 'new' AND {judged}.stream IS NULL AND s.event_id = {judged}.corrects_event_id
"""
_RESOLVE_NEW_SQL = """
UPDATE {judged} SET stream = t.stream,
    depth = CASE WHEN t.file_no = {judged}.file_no THEN t.depth + 1 ELSE 1 END
FROM (SELECT event_id, stream, depth, file_no FROM {judged} WHERE verdict = 'new' AND stream IS NOT NULL) AS t
WHERE {judged}.verdict = 'new' AND {judged}.stream IS NULL AND t.event_id = {judged}.corrects_event_id
  AND t.file_no <= {judged}.file_no
"""
_UNKNOWN_TARGET_SQL = """
UPDATE {judged} SET verdict = 'unknown_target',
    reason = '정정/취소 names record ' || corrects_record_key
             || ', which is neither stored nor accepted earlier'
WHERE verdict = 'new' AND stream IS NULL;
-- a repeat of a row that found no target is not a duplicate of anything stored
UPDATE {judged} SET verdict = 'unknown_target', reason = t.reason
FROM (SELECT event_id, reason FROM {judged} WHERE verdict = 'unknown_target') AS t
WHERE {judged}.verdict = 'duplicate' AND {judged}.stored_position IS NULL AND {judged}.event_id = t.event_id
"""


def judged_table(prepared: PreparedBatch) -> str:
    """The temp table of verdicts: one per source kind, so kinds judged together do not collide."""
    return f"{prepared.source_kind}_judged"


def judge(con: duckdb.DuckDBPyConnection, prepared: PreparedBatch, file_names: dict[int, str]) -> None:
    """Decide, set-wise for all prepared files, what each candidate is: new, duplicate,
    conflict or a correction without target. Files are judged as if appended in file_no order."""
    judged, files = judged_table(prepared), f"{prepared.source_kind}_judged_files"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {files} (file_no INTEGER, file_name VARCHAR)")
    if file_names:
        con.executemany(f"INSERT INTO {files} VALUES (?, ?)", list(file_names.items()))
    con.execute(_JUDGE_SQL.format(candidates=prepared.candidates, files=files, judged=judged))
    con.execute(_RESOLVE_STORED_SQL.format(judged=judged))
    while con.execute(_RESOLVE_NEW_SQL.format(judged=judged)).fetchone()[0]:
        pass
    con.execute(_UNKNOWN_TARGET_SQL.format(judged=judged))


def append_file(con: duckdb.DuckDBPyConnection, file_no: int, file: FileInfo, prepared: PreparedBatch,
                encoding: str | None) -> BatchResult:
    """Append one judged file as one batch: all of it, or (on any error) none of it."""
    started = dt.datetime.now(dt.timezone.utc)
    judged = judged_table(prepared)
    with transaction(con):
        batch_id = _next_batch_id(con)
        after = con.execute("SELECT coalesce(max(position), 0) FROM events.event_store").fetchone()[0]
        _insert_events(con, judged, batch_id, file_no, started, after)
        accepted, duplicates, quarantined = con.execute(
            f"""
            SELECT count(*) FILTER (verdict = 'new'), count(*) FILTER (verdict = 'duplicate'),
                   count(*) FILTER (verdict IN ('conflict', 'unknown_target'))
                     + (SELECT count(*) FROM {prepared.rejected} WHERE file_no = ?)
            FROM {judged} WHERE file_no = ?
            """,
            [file_no, file_no],
        ).fetchone()
        if quarantined:
            _insert_quarantine(con, batch_id, file_no, prepared)
        first, last = (after + 1, after + accepted) if accepted else (None, None)
        _insert_batch(con, batch_id, file, source_kind=prepared.source_kind, encoding=encoding,
                      status="loaded", reason=None, duplicate_of=None, rows_in=prepared.rows_in[file_no],
                      accepted=accepted, duplicates=duplicates, quarantined=quarantined,
                      first_position=first, last_position=last, started_at=started)
    return BatchResult(batch_id, str(file.path), "loaded", prepared.source_kind, prepared.rows_in[file_no],
                       accepted, duplicates, quarantined, None, first, last)


def _insert_quarantine(con: duckdb.DuckDBPyConnection, batch_id: int, file_no: int,
                       prepared: PreparedBatch) -> None:
    # The row as written is built only for the quarantined rows (the filter reaches the scan).
    judged = judged_table(prepared)
    con.execute(
        f"""
        INSERT INTO events.quarantine
        WITH q AS (
            SELECT source_row, record_key, raw_values, reason FROM {prepared.rejected} WHERE file_no = ?
            UNION ALL
            SELECT source_row, record_key, NULL, reason FROM {judged}
            WHERE file_no = ? AND verdict IN ('conflict', 'unknown_target')
        )
        SELECT ?, q.source_row, q.record_key, coalesce(r.raw_values, q.raw_values::JSON), q.reason
        FROM q
        LEFT JOIN ({prepared.raw_sql[file_no].replace(ROWS, "SELECT source_row FROM q")}) AS r
               ON r.source_row = q.source_row
        ORDER BY q.source_row
        """,
        [file_no, file_no, batch_id],
    )


def _insert_events(con: duckdb.DuckDBPyConnection, judged: str, batch_id: int, file_no: int,
                   recorded_at: dt.datetime, after_position: int) -> None:
    # Originals, then corrections link by link, each in file order: a correction always gets a
    # later position than the event it corrects.
    con.execute(
        f"""
        INSERT INTO events.event_store
        SELECT ? + row_number() OVER (ORDER BY depth, source_row), event_id, stream, event_type,
               schema_version, occurred_on, ?::TIMESTAMPTZ, ?, source_row, payload, content_hash,
               corrects_event_id
        FROM {judged}
        WHERE file_no = ? AND verdict = 'new'
        """,
        [after_position, recorded_at, batch_id, file_no],
    )
