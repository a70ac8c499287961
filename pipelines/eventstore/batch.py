"""What a source parser hands to the event store for a set of files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


ROWS = "__QUARANTINED_ROWS__"


@dataclass(frozen=True)
class PreparedBatch:
    """Temp tables on the ingest connection, filled by a source parser for several files.

    Files are numbered (`file_no`) in the order they are appended.
    `candidates`: file_no, source_row, event_id, stream (NULL for a correction: it joins the
    stream of the event it corrects), event_type, schema_version, occurred_on, payload (JSON),
    content_hash, corrects_event_id, record_key, corrects_record_key.
    `rejected`: file_no, source_row, record_key, raw_values, reason -- rows the parser refused
    (raw_values only where the file's `raw_sql` cannot quote the row).
    `raw_sql[file_no]`: a SELECT of (source_row, raw_values JSON) giving that file's rows as
    written, for the rows of a subquery put in place of `ROWS` (the quarantined ones).
    `release()`: frees what the parser registered, once the files are appended.
    """

    source_kind: str
    rows_in: dict[int, int]
    candidates: str
    rejected: str
    raw_sql: dict[int, str]
    release: Callable[[], None]
