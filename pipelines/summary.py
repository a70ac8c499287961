"""Plain-text summaries of the store and of a run, for the command line."""

from __future__ import annotations

import duckdb


def _table(headers: list[str], rows: list[tuple]) -> str:
    cells = [headers] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def store_marks(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(last batch id, last position): where a run starts."""
    return con.execute(
        "SELECT (SELECT coalesce(max(batch_id), 0) FROM events.ingest_batches),"
        "       (SELECT coalesce(max(position), 0) FROM events.event_store)").fetchone()


def batches_summary(con: duckdb.DuckDBPyConnection, after_batch: int = 0) -> str:
    totals = con.execute(
        """
        SELECT count(*) FILTER (status = 'loaded'), count(*) FILTER (status = 'duplicate'),
               count(*) FILTER (status = 'refused'), coalesce(sum(rows_in), 0),
               coalesce(sum(rows_accepted), 0), coalesce(sum(rows_duplicate), 0),
               coalesce(sum(rows_quarantined), 0)
        FROM events.ingest_batches WHERE batch_id > ?
        """, [after_batch]).fetchone()
    text = (f"batches: {totals[0]} loaded, {totals[1]} duplicate files, {totals[2]} refused\n"
            f"rows:    {totals[3]} in = {totals[4]} accepted + {totals[5]} duplicate + {totals[6]} quarantined")
    refused = con.execute(
        "SELECT file_path, reason FROM events.ingest_batches WHERE batch_id > ? AND status = 'refused' ORDER BY batch_id",
        [after_batch]).fetchall()
    if refused:
        text += "\nrefused files:\n" + "\n".join(f"  {path}: {reason}" for path, reason in refused)
    return text


def quarantine_summary(con: duckdb.DuckDBPyConnection, after_batch: int = 0, limit: int = 10) -> str:
    rows = con.execute(
        """
        SELECT count(*) AS rows,
               regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', 'g'),
                              '(record|row|position|batch|of|from) [^ ;,)]+', '\\1 …', 'g') AS reason
        FROM events.quarantine WHERE batch_id > ? GROUP BY 2 ORDER BY 1 DESC, 2 LIMIT ?
        """, [after_batch, limit]).fetchall()
    return _table(["rows", "quarantine reason (values elided)"], rows) if rows else "quarantine: empty"


def events_summary(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        SELECT split_part(stream, ':', 1) AS source, split_part(stream, ':', 2) AS center,
               event_type, count(*) AS events, min(position) AS first_position, max(position) AS last_position
        FROM events.event_store GROUP BY ALL ORDER BY ALL
        """).fetchall()
    last = con.execute("SELECT coalesce(max(position), 0), count(*) FROM events.event_store").fetchone()
    return (_table(["source", "center", "event_type", "events", "first", "last"], rows)
            + f"\nlast position: {last[0]} ({last[1]} events)")


def marts_summary(con: duckdb.DuckDBPyConnection) -> str:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1").fetchall()
    rows = [(f"marts.{t}", con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0]) for (t,) in tables]
    return _table(["mart", "rows"], rows) if rows else "marts: none built"


def status(con: duckdb.DuckDBPyConnection) -> str:
    return "\n\n".join([events_summary(con), batches_summary(con), quarantine_summary(con)])


def run_summary(con: duckdb.DuckDBPyConnection, marks: tuple[int, int]) -> str:
    after_batch, after_position = marks
    added, total = con.execute(
        "SELECT count(*) FILTER (position > ?), count(*) FROM events.event_store", [after_position]).fetchone()
    return "\n\n".join([
        batches_summary(con, after_batch),
        f"events:  {added} added, {total} in the store",
        quarantine_summary(con, after_batch),
        marts_summary(con),
    ])
