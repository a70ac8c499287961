"""Append-only event store: judge prepared rows against what is stored, append them atomically.

Only INSERT statements touch the `events` tables. A chunk of whole files is judged and appended
in one transaction, so verdicts can never be stale and a crash leaves each file entirely in or
entirely out. Positions are max(position) + n inside that transaction, batch ids as max(batch_id) + n;
the batch ledger's primary key and UNIQUE (stream_id, stream_version) make a concurrent writer
fail at commit instead of interleaving, so positions are gap-free and a stream never forks.

The store knows no source: what a record key, a correction or a conflict means comes from the
source kind, through the candidates' columns and its `Wording`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from pipelines.eventstore.batch import ROWS, BatchResult, Offer, PreparedBatch, arrow_rows, whole_batches
from pipelines.eventstore.read import OPEN_QUARANTINE, location_sql

NO_ROWS = "no data rows under its header: a file without records, nothing to load"


def _file_row(record: str) -> str:
    """The file row of a prepared record numbered `record` (a column of the query), as a person
    counts it: records of a row giving several are numbered row × stride + k (PreparedBatch.layouts)."""
    return f"{record} // f.stride"


def _file_column(record: str) -> str:
    """The header of the column a record was read from, when its row gives several records; else NULL."""
    return f"f.parts[{record} % f.stride]"


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


_JUDGE_SQL = """
CREATE OR REPLACE TEMP TABLE {judged} AS
WITH c AS (  -- the keys only: payloads stay in the candidates until they are appended
    SELECT file_no, source_row, event_id, stream_id, content_hash, corrects_event_id, record_key,
        corrects_record_key,
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
            || b.file_name || ' ' || {stored_at} || ', position ' || s.position
            || '); ' || $hint
        WHEN s.position IS NULL AND c.occurrence > 1 AND c.content_hash <> c.first_hash THEN
            'record ' || c.record_key || ' appears again with other content (first at '
            || {first_at} || CASE WHEN c.first_file = c.file_no THEN ' of this file'
                                   ELSE ' of ' || f.file_name END
            || '); ' || $hint
    END AS reason,
    NULL::UUID AS resolved_stream
FROM c
LEFT JOIN events.event_store AS s USING (event_id)
LEFT JOIN events.ingest_batches AS b ON b.batch_id = s.batch_id
LEFT JOIN chunk_files AS f ON f.file_no = c.first_file
"""

# A correction joins the stream of the event it corrects: stored, or new in this chunk (a
# correction of a correction follows the chain, one link per pass).
_RESOLVE_STORED_SQL = """
UPDATE {judged} SET resolved_stream = s.stream_id, depth = 1
FROM events.event_store AS s
WHERE {judged}.verdict = 'new' AND {judged}.stream_id IS NULL AND s.event_id = {judged}.corrects_event_id
"""
_RESOLVE_NEW_SQL = """
UPDATE {judged} SET resolved_stream = t.stream,
    depth = CASE WHEN t.file_no = {judged}.file_no THEN t.depth + 1 ELSE 1 END
FROM (SELECT event_id, coalesce(stream_id, resolved_stream) AS stream, depth, file_no FROM {judged}
      WHERE verdict = 'new' AND coalesce(stream_id, resolved_stream) IS NOT NULL) AS t
WHERE {judged}.verdict = 'new' AND {judged}.stream_id IS NULL AND {judged}.resolved_stream IS NULL
  AND t.event_id = {judged}.corrects_event_id AND t.file_no <= {judged}.file_no
"""
_AWAITING_SQL = """
UPDATE {judged} SET verdict = 'awaiting_target',
    reason = $label || ' names record ' || corrects_record_key
             || ', which is not stored yet: the row waits here and is applied when that record arrives'
WHERE verdict = 'new' AND stream_id IS NULL AND resolved_stream IS NULL
"""
# a repeat of a row that found no target is not a duplicate of anything stored
_AWAITING_REPEATS_SQL = """
UPDATE {judged} SET verdict = 'awaiting_target', reason = t.reason
FROM (SELECT event_id, reason FROM {judged} WHERE verdict = 'awaiting_target') AS t
WHERE {judged}.verdict = 'duplicate' AND {judged}.stored_position IS NULL AND {judged}.event_id = t.event_id
"""


def _repeats(prepared: PreparedBatch) -> str:
    """The temp table of the kind's rows that repeat an open quarantine row (duplicates)."""
    return f"{prepared.source_kind}_quarantine_repeats"


def _judged(prepared: PreparedBatch) -> str:
    """The temp table of verdicts: one per source kind, so kinds judged together do not collide."""
    return f"{prepared.source_kind}_judged"


def _judge(con: duckdb.DuckDBPyConnection, prepared: PreparedBatch) -> None:
    """Decide, set-wise for all prepared files, what each candidate is: new, duplicate,
    conflict or a correction awaiting its target. Files are judged as if appended in file_no order."""
    judged = _judged(prepared)
    hint = {"hint": prepared.wording.conflict_hint}
    judge = _JUDGE_SQL.format(
        candidates=prepared.candidates,
        judged=judged,
        stored_at=location_sql("s.source_row", "s.source_column"),
        first_at=location_sql(_file_row("c.first_row"), _file_column("c.first_row")),
    )
    con.execute(judge, hint)
    if prepared.corrections:
        con.execute(_RESOLVE_STORED_SQL.format(judged=judged))
        while con.execute(_RESOLVE_NEW_SQL.format(judged=judged)).fetchall()[0][0]:
            pass
        con.execute(_AWAITING_SQL.format(judged=judged), {"label": prepared.wording.correction_label})
        con.execute(_AWAITING_REPEATS_SQL.format(judged=judged))


class _Discard(Exception):
    """Raised inside the transaction to roll back a chunk that `keep` declined."""


def append_chunk(
    con: duckdb.DuckDBPyConnection,
    offers: list[Offer],
    prepared: dict[str, PreparedBatch],
    keep: Callable[[list[BatchResult]], bool] | None = None,
) -> list[BatchResult]:
    """Judge and append a chunk of files (in path order) in one transaction: every file's
    batch row, events and quarantined rows, or (on any error) nothing at all.

    A requeue offers quarantined rows again (action `requeue`): the rows that now pass are
    appended and their resolution recorded; the others stay in quarantine as they are. When
    `keep(results)` is false the whole chunk is rolled back and nothing is recorded."""
    started = dt.datetime.now(dt.UTC)
    try:
        return _append(con, offers, prepared, keep, started)
    except _Discard:
        return []


def _append(con, offers, prepared, keep, started) -> list[BatchResult]:
    with transaction(con):
        first_batch = con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM events.ingest_batches").fetchall()[0][0]
        after = con.execute("SELECT coalesce(max(position), 0) FROM events.event_store").fetchall()[0][0]
        batch_of = {o.file_no: first_batch + i for i, o in enumerate(offers)}
        layouts = {n: layout for p in prepared.values() for n, layout in p.layouts.items()}
        files = pa.table(
            {
                "file_no": pa.array([o.file_no for o in offers], pa.int32()),
                "batch_id": pa.array([batch_of[o.file_no] for o in offers], pa.int64()),
                "file_name": pa.array([o.info.path.name for o in offers], pa.string()),
                "requeue_of": pa.array([o.duplicate_of if o.action == "requeue" else None for o in offers], pa.int64()),
                "stride": pa.array([layouts.get(o.file_no, (1, []))[0] for o in offers], pa.int64()),
                "parts": pa.array([layouts.get(o.file_no, (1, []))[1] for o in offers], pa.list_(pa.string())),
            }
        )
        con.register("chunk_files_arrow", files)  # one statement (executemany ran one per file)
        con.execute("CREATE OR REPLACE TEMP TABLE chunk_files AS SELECT * FROM chunk_files_arrow")
        con.unregister("chunk_files_arrow")
        for batch in prepared.values():
            _judge(con, batch)
        if prepared:
            _insert_events(con, list(prepared.values()), after, started)
            requeued = any(o.action == "requeue" for o in offers)
            for batch in prepared.values():
                _insert_quarantine(con, batch)
                if requeued:
                    _insert_resolutions(con, batch, after)
        counts = _counts(con, list(prepared.values()), after)
        rows_in = {n: rows for p in prepared.values() for n, rows in p.rows_in.items()}
        results: list[BatchResult] = []
        rows = []
        for o in offers:
            result, duplicate_of = _batch_result(o, batch_of, counts, rows_in, results)
            rows.append(_batch_row(o, result, duplicate_of, started))
            results.append(result)
        _insert_batches(con, rows)
        if keep is not None and not keep(results):
            raise _Discard
    return results


def _counts(con: duckdb.DuckDBPyConnection, prepared: list[PreparedBatch], after: int) -> dict[int, tuple]:
    """file_no -> (accepted, duplicates, quarantined, first position, last position)."""
    if not prepared:
        return {}
    verdicts = " UNION ALL ".join(
        f"SELECT file_no, verdict FROM {_judged(p)} UNION ALL SELECT file_no, 'rejected' FROM {p.rejected} "
        f"UNION ALL SELECT file_no, 'repeat' FROM {_repeats(p)}"
        for p in prepared
    )
    return {
        row[0]: row[1:]
        for row in con.execute(
            f"""
        SELECT v.file_no, count(*) FILTER (verdict = 'new'), count(*) FILTER (verdict IN ('duplicate', 'repeat')),
               count(*) FILTER (verdict NOT IN ('new', 'duplicate', 'repeat')) - count(*) FILTER (verdict = 'repeat'),
               any_value(p.first), any_value(p.last)
        FROM ({verdicts}) AS v JOIN chunk_files USING (file_no)
        LEFT JOIN (SELECT batch_id, min(position) AS first, max(position) AS last FROM events.event_store
                   WHERE position > ? GROUP BY batch_id) AS p USING (batch_id)
        GROUP BY v.file_no
    """,
            [after],
        ).fetchall()
    }


def _batch_result(
    o: Offer, batch_of: dict[int, int], counts: dict[int, tuple], rows_in: dict[int, int], earlier: list[BatchResult]
) -> tuple[BatchResult, int | None]:
    """The file's batch row, and the batch it duplicates or re-judges."""
    batch_id, name = batch_of[o.file_no], str(o.info.path)
    if o.copy_of is not None:  # the same bytes as an earlier file of this chunk
        o = o.same_as(next(r for r in earlier if r.batch_id == batch_of[o.copy_of]))
    if o.action == "refused":
        return BatchResult(batch_id, name, "refused", o.source_kind, reason=o.reason), None
    if o.action == "duplicate":
        return BatchResult(
            batch_id,
            name,
            "duplicate",
            o.source_kind,
            o.rows_in,
            0,
            o.rows_in,
            0,
            f"same content as batch {o.duplicate_of}",
        ), o.duplicate_of
    accepted, duplicates, quarantined, first, last = counts.get(o.file_no, (0, 0, 0, None, None))
    if o.action == "requeue":
        return BatchResult(
            batch_id,
            name,
            "requeued",
            o.source_kind,
            rows_in[o.file_no],
            accepted,
            duplicates,
            quarantined,
            f"quarantined rows of batch {o.duplicate_of} judged again",
            first,
            last,
        ), o.duplicate_of
    return BatchResult(
        batch_id,
        name,
        "loaded",
        o.source_kind,
        rows_in[o.file_no],
        accepted,
        duplicates,
        quarantined,
        None if rows_in[o.file_no] else NO_ROWS,
        first,
        last,
    ), None


def _batch_row(o: Offer, r: BatchResult, duplicate_of: int | None, started: dt.datetime) -> dict:
    return {
        "batch_id": r.batch_id, "source_kind": r.source_kind, "file_name": o.info.path.name,
        "file_path": str(o.info.path), "file_hash": o.info.sha256, "file_bytes": o.info.size,
        "encoding": o.encoding if r.status in ("loaded", "requeued") else None, "status": r.status,
        "reason": r.reason, "duplicate_of": duplicate_of, "rows_in": r.rows_in, "rows_accepted": r.accepted,
        "rows_duplicate": r.duplicates, "rows_quarantined": r.quarantined, "first_position": r.first_position,
        "last_position": r.last_position, "started_at": started,
    }  # fmt: skip


def _insert_batches(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """The chunk's batch rows, in one statement."""
    con.register("chunk_batches", pa.Table.from_pylist(rows))
    try:
        con.execute(
            f"INSERT INTO events.ingest_batches ({', '.join(rows[0])}, finished_at) "
            f"SELECT {', '.join(rows[0])}, now() FROM chunk_batches ORDER BY batch_id"
        )
    finally:
        con.unregister("chunk_batches")


def _insert_events(
    con: duckdb.DuckDBPyConnection, prepared: list[PreparedBatch], after: int, recorded_at: dt.datetime
) -> None:
    # Files in order; in each, originals, then corrections link by link, each in row order: a
    # correction always gets a later position than the event it corrects, and the next version of
    # its stream (continuing what is stored). Everything but the payload is settled on the narrow
    # verdicts first; the payloads then join once.
    new = " UNION ALL ".join(
        f"""SELECT '{p.source_kind}' AS source_kind, file_no, source_row, depth, event_id,
                   coalesce(stream_id, resolved_stream) AS stream_id, content_hash, corrects_event_id
            FROM {_judged(p)} WHERE verdict = 'new'"""
        for p in prepared
    )
    order = "n.file_no, n.depth, n.source_row"
    # As Arrow batches, like the candidates: both sides of the join below are then scanned, and
    # the events written, by every thread.
    appended = arrow_rows(
        con,
        f"""
        WITH n AS ({new})
        SELECT n.*, f.batch_id, {_file_row("n.source_row")} AS file_row,
               {_file_column("n.source_row")} AS source_column,
               {after} + row_number() OVER (ORDER BY {order}) AS position,
               CAST(coalesce(s.stored_version, 0) + row_number() OVER (PARTITION BY n.stream_id ORDER BY {order})
                    AS INTEGER) AS stream_version
        FROM n JOIN chunk_files AS f USING (file_no)
        LEFT JOIN (SELECT stream_id, max(stream_version) AS stored_version FROM events.event_store
                   WHERE stream_id IN (SELECT stream_id FROM n) GROUP BY stream_id) AS s USING (stream_id)
        """,
    )
    payloads = " UNION ALL ".join(
        f"SELECT '{p.source_kind}' AS source_kind, file_no, source_row, event_type, schema_version, occurred_on, "
        f"payload FROM {p.candidates}"
        for p in prepared
    )
    con.register("chunk_appended", appended)
    try:
        events = arrow_rows(
            con,
            f"""
            SELECT a.position, a.event_id, a.source_kind, a.stream_id, a.stream_version, c.event_type,
                   c.schema_version, c.occurred_on, $recorded_at::TIMESTAMPTZ AS recorded_at, a.batch_id,
                   a.file_row AS source_row, a.source_column, c.payload, a.content_hash, a.corrects_event_id
            FROM chunk_appended AS a JOIN ({payloads}) AS c USING (source_kind, file_no, source_row)
            """,
            {"recorded_at": recorded_at},
        )
    finally:
        con.unregister("chunk_appended")
    # Whole row groups: the threads of a join hand over part-filled batches, and a part-filled row
    # group amid the table is rewritten, with all that follow it, at the checkpoint.
    con.register("chunk_events", whole_batches(events))
    try:
        con.execute(f"INSERT INTO events.event_store ({', '.join(events.column_names)}) SELECT * FROM chunk_events")
    finally:
        con.unregister("chunk_events")


def _insert_quarantine(con: duckdb.DuckDBPyConnection, prepared: PreparedBatch) -> None:
    """Quarantine rows of loaded files, in one statement; rows re-judged by a requeue stay where
    they are. The row as written is built only for the quarantined rows (the filter reaches each
    file's scan)."""
    repeats = _repeats(prepared)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {repeats} (file_no INTEGER, source_row BIGINT)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE chunk_quarantine AS
        SELECT q.*, f.batch_id, {_file_row("q.source_row")} AS file_row,
               {_file_column("q.source_row")} AS source_column
        FROM (
            SELECT file_no, source_row, record_key, raw_values, reason, reason_code FROM {prepared.rejected}
            UNION ALL
            SELECT file_no, source_row, record_key, NULL, reason, verdict FROM {_judged(prepared)}
            WHERE verdict NOT IN ('new', 'duplicate')
        ) AS q JOIN chunk_files AS f USING (file_no)
        WHERE f.requeue_of IS NULL
    """)
    files = [n for (n,) in con.execute("SELECT DISTINCT file_no FROM chunk_quarantine ORDER BY 1").fetchall()]
    if not files:
        return
    raw = " UNION ALL ".join(
        f"SELECT {n} AS file_no, * FROM ("
        + prepared.raw_sql[n].replace(ROWS, f"SELECT source_row FROM chunk_quarantine WHERE file_no = {n}")
        + ")"
        for n in files
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE chunk_quarantined AS
        SELECT q.*, coalesce(r.raw_values, q.raw_values::JSON) AS raw
        FROM chunk_quarantine AS q LEFT JOIN ({raw}) AS r USING (file_no, source_row)
    """)
    # A row quarantined already, with the same content and reason, and still open (a form exported
    # again with its bad answers, or the same bad row in two files of a chunk) is a duplicate of
    # that quarantine row, not a new one.
    con.execute(
        f"""
        INSERT INTO {repeats}
        SELECT file_no, source_row FROM (
            SELECT file_no, source_row, record_key, raw::VARCHAR AS raw, reason,
                   row_number() OVER (PARTITION BY record_key, raw::VARCHAR, reason ORDER BY file_no, source_row) AS n
            FROM chunk_quarantined
        ) AS c
        WHERE n > 1 OR EXISTS (
            SELECT 1 FROM {OPEN_QUARANTINE} AS o JOIN events.ingest_batches AS b USING (batch_id)
            WHERE b.source_kind = $kind AND o.reason = c.reason AND o.raw_values::VARCHAR = c.raw
              AND o.record_key IS NOT DISTINCT FROM c.record_key
        )
    """,
        {"kind": prepared.source_kind},
    )
    con.execute(f"""
        INSERT INTO events.quarantine (batch_id, source_row, source_column, record_key, raw_values, reason,
                                       reason_code)
        SELECT q.batch_id, q.file_row, q.source_column, q.record_key, q.raw, q.reason, q.reason_code
        FROM chunk_quarantined AS q ANTI JOIN {repeats} USING (file_no, source_row)
        ORDER BY q.file_no, q.source_row
    """)


def _insert_resolutions(con: duckdb.DuckDBPyConnection, prepared: PreparedBatch, after: int) -> None:
    """For a requeue: what became of each re-judged row that now passes."""
    con.execute(
        f"""
        INSERT INTO events.quarantine_resolutions (batch_id, source_row, source_column, resolved_by_batch,
                                                  resolution, position, resolved_at)
        SELECT f.requeue_of, {_file_row("j.source_row")}, {_file_column("j.source_row")}, f.batch_id,
               CASE j.verdict WHEN 'new' THEN 'accepted' ELSE 'duplicate' END, e.position, now()
        FROM {_judged(prepared)} AS j JOIN chunk_files AS f USING (file_no)
        LEFT JOIN events.event_store AS e ON e.position > ? AND e.event_id = j.event_id AND j.verdict = 'new'
        WHERE f.requeue_of IS NOT NULL AND j.verdict IN ('new', 'duplicate')
    """,
        [after],
    )
