"""Requeue: judge quarantined rows again with today's reference data and rules.

A row quarantined for a cause since fixed (a centre added to centers.csv, a catalogue entry, a
correction whose original has arrived) is read back from its copy as written, typed, validated
and judged like a new row of its file. Rows that now pass are appended (with the ids they would
have had the first time) and their resolution is recorded in events.quarantine_resolutions; the
others stay open. A requeue that settles nothing records nothing, so repeating it is harmless.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.eventstore.batch import BatchResult, FileInfo, Offer
from pipelines.eventstore.read import OPEN_QUARANTINE
from pipelines.ingest.append import flush
from pipelines.ingest.readers import Grid
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources import SOURCE_KINDS, by_name

SELECTED = f"""
SELECT q.batch_id, q.source_row, q.raw_values::VARCHAR AS raw_values, b.source_kind, b.file_path, b.file_hash,
       b.file_bytes, b.encoding, q.source_column
FROM {OPEN_QUARANTINE} AS q JOIN events.ingest_batches AS b USING (batch_id)
WHERE q.reason_code <> 'malformed' AND b.source_kind IS NOT NULL
  AND ($reason IS NULL OR q.reason ILIKE '%' || $reason || '%')
  AND ($file IS NULL OR b.file_name = $file OR b.file_path = $file)
  AND ($codes IS NULL OR list_contains($codes, q.reason_code))
  AND list_contains($kinds, b.source_kind)
ORDER BY q.batch_id, q.source_row, q.source_column
"""


def requeue(
    con: duckdb.DuckDBPyConnection,
    reason: str | None = None,
    file: str | None = None,
    codes: tuple[str, ...] | None = None,
    kinds: tuple[SourceKind, ...] = SOURCE_KINDS,
) -> list[BatchResult]:
    """Re-judge the open quarantined rows (those whose reason contains `reason`, of the file
    named `file`, with one of the reason `codes`); one `requeued` batch per original batch. When
    rows are accepted, corrections still waiting are judged again too: their record may be one of
    them, quarantined in a later batch than the correction."""
    results = _requeue_once(con, reason, file, codes, kinds)
    accepted = any(r.accepted for r in results)
    while accepted:
        again = _requeue_once(con, None, None, ("awaiting_target",), kinds)
        results += again
        accepted = any(r.accepted for r in again)
    return results


def _requeue_once(con, reason, file, codes, kinds) -> list[BatchResult]:
    rows = con.execute(
        SELECTED,
        {"reason": reason, "file": file, "codes": list(codes) if codes else None, "kinds": [k.name for k in kinds]},
    ).fetchall()
    by_batch: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_batch[row[0]].append(row)
    offers, grids = [], {}
    for file_no, (batch_id, batch_rows) in enumerate(by_batch.items()):
        _, _, _, kind_name, path, sha, size, encoding, _ = batch_rows[0]
        kind = by_name(kind_name, kinds)
        grids[file_no] = (kind, _grid(Path(path), encoding, batch_rows))
        offers.append(
            Offer(file_no, FileInfo(Path(path), sha, size), "requeue", kind_name, encoding, duplicate_of=batch_id)
        )
    if not offers:
        return []
    return flush(con, offers, grids, keep=lambda results: any(r.accepted or r.duplicates for r in results))


def _grid(path: Path, encoding: str | None, rows: list[tuple]) -> Grid:
    """The quarantined rows of one file as a grid: the header is the one they were written under.
    Records of one row are told apart by their column, numbered as the ingest numbers them."""
    values = [json.loads(r[2]) for r in rows]
    header = list(values[0])
    columns = {f"c{i}": pa.array([v.get(h) for v in values], pa.string()) for i, h in enumerate(header)}
    parts = sorted({r[8] for r in rows if r[8] is not None})
    part = {name: k for k, name in enumerate(parts, start=1)}
    stride = len(parts) + 1
    numbers = [r[1] * stride + part.get(r[8], 0) for r in rows]
    table = pa.table(columns).append_column("source_row", pa.array(numbers, pa.int64()))
    return Grid(path, encoding or "requeue", header, table, stride=stride, parts=parts)
