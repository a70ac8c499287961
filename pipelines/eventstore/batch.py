"""What a source parser hands to the event store for one file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PreparedBatch:
    """Temp tables on the ingest connection, filled by a source parser.

    `candidates`: source_row, event_id, stream (NULL for a correction: it joins the stream of
    the event it corrects), event_type, schema_version, occurred_on, payload (JSON text),
    content_hash, corrects_event_id, record_key, corrects_record_key, raw_values.
    `rejected`: source_row, record_key, raw_values, reason -- rows the parser already refused.
    """

    source_kind: str
    rows_in: int
    candidates: str
    rejected: str
