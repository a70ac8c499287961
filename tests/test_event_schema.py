"""The pandera schema that each source's Dagster check holds its stored events to (schemas/events.py)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest

from pipelines.eventstore.migrations import migrate
from pipelines.ingest.sources import CENTER_LOG
from pipelines.warehouse import content_hashes
from schemas.events import STORED_EVENTS_SQL, stored_events_schema

SCHEMA = stored_events_schema(CENTER_LOG)
S1, S2 = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
A, B, C = "a" * 32, "b" * 32, "c" * 32


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def event(
    position: int,
    event_id: str,
    stream: str = S1,
    version: int = 1,
    event_type: str = "activity_recorded",
    corrects: str | None = None,
) -> dict:
    return {
        "position": position,
        "event_id": event_id,
        "source_kind": "center_log",
        "stream_id": stream,
        "stream_version": version,
        "event_type": event_type,
        "schema_version": 1,
        "occurred_on": pd.Timestamp("2022-03-05"),
        "batch_id": 1,
        "corrects_event_id": corrects,
    }


def test_a_consistent_store_passes():
    SCHEMA.validate(frame([event(1, A), event(2, B, version=2, event_type="activity_amended", corrects=A)]))


def test_an_empty_store_passes():
    con = duckdb.connect()
    migrate(con, content_hashes())
    empty = con.execute(STORED_EVENTS_SQL, ["center_log"]).df()
    assert len(empty) == 0
    SCHEMA.validate(empty)


@pytest.mark.parametrize(
    "rows, broken",
    [
        ([event(1, A), event(2, A, stream=S2)], "event_id"),
        ([event(1, A), event(1, B, stream=S2)], "position"),
        ([event(2, A), event(1, B, version=2, event_type="activity_voided", corrects=A)], "after its target"),
        ([event(1, A), event(2, B, stream=S2, event_type="activity_amended", corrects=A)], "target's stream"),
        ([event(1, A, corrects=C)], "name the event they correct"),
        ([event(1, A), event(2, B, version=3, event_type="activity_amended", corrects=A)], "versions count"),
        ([event(1, A), event(2, B, version=1, event_type="activity_amended", corrects=A)], "stream_version"),
        ([{**event(1, A), "source_kind": "survey"}], "source_kind"),
    ],
)
def test_a_broken_store_fails_with_the_rule_it_breaks(rows, broken):
    with pytest.raises(pa.errors.SchemaErrors) as exc:
        SCHEMA.validate(frame(rows), lazy=True)
    failures = exc.value.failure_cases
    assert (
        failures["column"].astype(str).str.contains(broken).any()
        or failures["check"].astype(str).str.contains(broken).any()
    )
