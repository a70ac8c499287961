"""What the ingest hands to the event store: prepared rows of several files, and the files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pyarrow as arrow

ROWS = "__QUARANTINED_ROWS__"
# Rows handed between the ingest's statements are Arrow tables in batches of this many rows,
# registered on the connection: DuckDB scans the batches of a registered table in parallel, while
# an in-memory or temp table below 122,880 rows is one row group, scanned by one thread.
BATCH_ROWS = 16_384


def arrow_rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> arrow.Table:
    """The query's rows in batches of BATCH_ROWS, with UUID, JSON and other DuckDB types kept (so
    that registered again they are what they were, not text to parse again)."""
    con.execute("SET SESSION arrow_lossless_conversion = true")  # this connection only
    try:
        return con.sql(sql, params=params).to_arrow_table(batch_size=BATCH_ROWS)
    finally:
        con.execute("RESET SESSION arrow_lossless_conversion")  # pandas frames keep plain Arrow types


def whole_batches(table: arrow.Table) -> arrow.Table:
    """The table in batches of BATCH_ROWS rows, but one: the part-filled batches a parallel query
    leaves are put together at the end (only their rows are copied)."""
    batches = table.to_batches()
    whole = [b for b in batches if b.num_rows == BATCH_ROWS]
    parts = [b for b in batches if b.num_rows != BATCH_ROWS]
    if len(parts) > 1:
        parts = arrow.Table.from_batches(parts, table.schema).combine_chunks().to_batches(BATCH_ROWS)
    return arrow.Table.from_batches(whole + parts, table.schema)


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Wording:
    """How a source kind names its records in the reasons the store writes."""

    conflict_hint: str  # what to do instead of re-sending a record with other content
    correction_label: str = "correction"  # e.g. 정정/취소


@dataclass(frozen=True)
class PreparedBatch:
    """Temp tables on the ingest connection, filled by the framework for one source kind and
    several files (numbered `file_no` in the order they are appended).

    `candidates`: file_no, source_row, event_id, stream_id (NULL for a correction: it joins the
    stream of the event it corrects), event_type, schema_version, occurred_on, payload (JSON),
    content_hash, corrects_event_id, record_key, corrects_record_key.
    `rejected`: file_no, source_row, record_key, raw_values, reason, reason_code -- rows the
    framework refused (raw_values only where the file's `raw_sql` cannot quote the row).
    `raw_sql[file_no]`: a SELECT of (source_row, raw_values JSON) giving that file's rows as
    written, for the rows of a subquery put in place of `ROWS` (the quarantined ones).
    `release()`: frees what was registered, once the files are appended.
    `corrections`: whether candidates can be corrections at all (False: the store skips the
    statements that link corrections to their targets).
    `layouts[file_no]`: (stride, parts) of a file whose rows give several records: `source_row`
    above is then file row × stride + k, read from column parts[k - 1] (k = 0: the whole row),
    and the store writes the file row and that column. Absent: `source_row` is the file row.
    """

    source_kind: str
    wording: Wording
    rows_in: dict[int, int]
    candidates: str
    rejected: str
    raw_sql: dict[int, str]
    corrections: bool = True
    release: Callable[[], None] = field(default=lambda: None)
    layouts: dict[int, tuple[int, list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    file: str
    status: str  # loaded | duplicate | refused | requeued
    source_kind: str | None
    rows_in: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    first_position: int | None = None
    last_position: int | None = None


@dataclass(frozen=True)
class Offer:
    """One file of a chunk, in path order, and what the ingest made of it before the store
    judges it: to load (prepared under `source_kind`), a copy of known bytes, or refused."""

    file_no: int
    info: FileInfo
    action: str  # load | duplicate | refused | requeue
    source_kind: str | None = None
    encoding: str | None = None
    reason: str | None = None
    duplicate_of: int | None = None  # duplicate: the batch that loaded the bytes; requeue: the batch re-judged
    copy_of: int | None = None  # file_no of an earlier file of this chunk with the same bytes
    rows_in: int = 0  # duplicate: the rows of the loaded file

    def same_as(self, original: BatchResult) -> Offer:
        """A copy of an earlier file's bytes goes as that file went: refused for the same reason,
        or a duplicate of its batch. The one decision for copies in one chunk (the store) and
        across chunks (the runner)."""
        went = replace(self, copy_of=None, source_kind=original.source_kind)
        if original.status == "refused":
            return replace(went, action="refused", reason=original.reason)
        return replace(went, action="duplicate", duplicate_of=original.batch_id, rows_in=original.rows_in)
