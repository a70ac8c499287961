"""Plain-text summaries of the store and of a run, for the command line and Dagster metadata."""

from __future__ import annotations

import duckdb

from pipelines.eventstore import read
from pipelines.eventstore.read import OPEN_QUARANTINE, location_sql
from pipelines.ingest.sources import SOURCE_KINDS


def _table(headers: list[str], rows: list[tuple]) -> str:
    cells = [headers] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def batches_summary(con: duckdb.DuckDBPyConnection, batch_ids: list[int] | None = None) -> str:
    """Files and rows of the given batches (a run's), or of every distinct file stored."""
    where = "batch_id IN (SELECT unnest($ids))" if batch_ids is not None else "true"
    totals = con.execute(
        f"""
        SELECT count(*) FILTER (status = 'loaded'), count(*) FILTER (status = 'duplicate'),
               count(*) FILTER (status = 'refused'), count(*) FILTER (status = 'requeued'),
               coalesce(sum(rows_in) FILTER (status = 'loaded'), 0),
               coalesce(sum(rows_accepted) FILTER (status = 'loaded'), 0),
               coalesce(sum(rows_duplicate) FILTER (status = 'loaded'), 0),
               coalesce(sum(rows_quarantined) FILTER (status = 'loaded'), 0),
               coalesce(sum(rows_accepted + rows_duplicate) FILTER (status = 'requeued'), 0)
        FROM events.ingest_batches WHERE {where}
        """,
        {"ids": batch_ids or []} if batch_ids is not None else {},
    ).fetchone()
    text = (
        f"batches: {totals[0]} loaded, {totals[1]} duplicate files, {totals[2]} refused"
        + (f", {totals[3]} requeues" if totals[3] else "")
        + f"\nrows:    {totals[4]} in = {totals[5]} accepted + {totals[6]} duplicate + {totals[7]} quarantined"
        + (f"\nrequeue: {totals[8]} quarantined rows settled" if totals[3] else "")
    )
    refused = con.execute(
        f"SELECT file_path, reason FROM events.ingest_batches WHERE {where} AND status = 'refused' ORDER BY batch_id",
        {"ids": batch_ids or []} if batch_ids is not None else {},
    ).fetchall()
    if refused:
        text += "\nrefused files:\n" + "\n".join(f"  {path}: {reason}" for path, reason in refused)
    return text


def quarantine_summary(con: duckdb.DuckDBPyConnection, batch_ids: list[int] | None = None, limit: int = 10) -> str:
    """Open quarantined rows (of the given batches, or all) grouped by reason, values elided."""
    where = "batch_id IN (SELECT unnest($ids))" if batch_ids is not None else "true"
    rows = con.execute(
        f"""
        SELECT count(*) AS rows,
               regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', 'g'),
                              '(record|row|position|batch|of|from) [^ ;,)]+', '\\1 …', 'g') AS reason
        FROM {OPEN_QUARANTINE} WHERE {where} GROUP BY 2 ORDER BY 1 DESC, 2 LIMIT $limit
        """,
        {"limit": limit} | ({"ids": batch_ids} if batch_ids is not None else {}),
    ).fetchall()
    return _table(["rows", "quarantine reason (values elided)"], rows) if rows else "quarantine: nothing open"


def quarantine_rows(con: duckdb.DuckDBPyConnection, limit: int = 10) -> str:
    """The first open quarantined rows, by file and row: where each is, as a person finds it in
    the file (the row, and the column where the row gave several records), and why."""
    rows = con.execute(
        f"""
        SELECT b.file_name, {location_sql("q.source_row", "q.source_column")}, q.reason
        FROM {OPEN_QUARANTINE} AS q JOIN events.ingest_batches AS b USING (batch_id)
        ORDER BY b.file_name, q.batch_id, q.source_row, q.source_column NULLS FIRST LIMIT $limit
        """,
        {"limit": limit},
    ).fetchall()
    total = read.open_quarantine_count(con)
    if not rows:
        return "open quarantined rows: none"
    shown = f"the first {len(rows)} of {total}" if total > len(rows) else f"all {total}"
    return f"open quarantined rows ({shown}):\n" + _table(["file", "where", "reason"], rows)


def events_summary(con: duckdb.DuckDBPyConnection) -> str:
    breakdown = " ".join(f"WHEN '{k.name}' THEN payload->>'{k.breakdown}'" for k in SOURCE_KINDS if k.breakdown)
    rows = con.execute(
        f"""
        SELECT source_kind, CASE source_kind {breakdown} END AS part, event_type, count(*) AS events,
               min(position) AS first_position, max(position) AS last_position
        FROM events.event_store GROUP BY ALL ORDER BY ALL
        """
        if breakdown
        else """SELECT source_kind, NULL, event_type, count(*), min(position), max(position)
           FROM events.event_store GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    count, position = read.head(con)
    return (
        _table(["source", "part", "event_type", "events", "first", "last"], rows)
        + f"\nlast position: {position} ({count} events)"
    )


def open_quarantine(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(f"""
        SELECT count(*), count(*) FILTER (reason_code = 'awaiting_target'),
               (SELECT count(*) FROM events.quarantine_resolutions)
        FROM {OPEN_QUARANTINE}""").fetchone()
    return (
        f"quarantine: {rows[0]} rows open ({rows[1]} corrections waiting for their record), "
        f"{rows[2]} settled by requeue"
    )


def marts_summary(con: duckdb.DuckDBPyConnection) -> str:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
    ).fetchall()
    rows = [(f"marts.{t}", con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0]) for (t,) in tables]
    return _table(["mart", "rows"], rows) if rows else "marts: none built"


def quality_summary(con: duckdb.DuckDBPyConnection) -> str:
    """The quality rules of the last checks (docs/quality.md): failed invariants and plausibility
    warnings, each naming its rows."""
    from pipelines.quality.outcome import INVARIANT
    from pipelines.quality.recorded import latest

    recorded = latest(con)
    if not recorded:
        return "quality: no rule checked yet"
    position = max(p for _, p in recorded)
    failed = [o for o, _ in recorded if not o.success and o.kind == INVARIANT]
    warnings = [o for o, _ in recorded if not o.success and o.kind != INVARIANT]
    text = f"quality: {len(recorded)} rules checked at store position {position}"
    if failed:
        text += f"\n{len(failed)} invariant(s) FAILED (downstream blocked):\n" + "\n".join(f"  {o}" for o in failed)
    if warnings:
        text += f"\n{len(warnings)} plausibility warning(s) (worth a look; nothing blocked):\n" + "\n".join(
            f"  {o}" for o in warnings
        )
    return text if failed or warnings else text + ", all pass"


def status(con: duckdb.DuckDBPyConnection) -> str:
    return "\n\n".join(
        [
            events_summary(con),
            batches_summary(con),
            open_quarantine(con),
            quarantine_summary(con),
            quarantine_rows(con),
            quality_summary(con),
        ]
    )


def run_summary(con: duckdb.DuckDBPyConnection, batch_ids: list[int], after_position: int) -> str:
    added, total = read.events_since(con, after_position)
    return "\n\n".join(
        [
            batches_summary(con, batch_ids),
            f"events:  {added} added, {total} in the store",
            quarantine_summary(con, batch_ids),
            marts_summary(con),
            quality_summary(con),
        ]
    )
