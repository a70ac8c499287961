"""The pandera schema that the Dagster check holds the stored events to (schemas/events.py)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.events import CenterLogEvents


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    return df.astype({"position": "int64", "schema_version": "int32", "batch_id": "int64",
                      "occurred_on": "datetime64[us]"})


def event(position: int, event_id: str, stream: str = "center_log:hanoi:HAN-1",
          event_type: str = "activity_recorded", corrects: str | None = None) -> dict:
    return {"position": position, "event_id": event_id, "stream": stream, "event_type": event_type,
            "schema_version": 1, "occurred_on": "2022-03-05", "batch_id": 1, "corrects_event_id": corrects}


A, B, C = "a" * 32, "b" * 32, "c" * 32


def test_a_consistent_store_passes():
    CenterLogEvents.validate(frame([event(1, A), event(2, B, event_type="activity_amended", corrects=A)]))


@pytest.mark.parametrize("rows, broken", [
    ([event(1, A), event(2, A, stream="center_log:hanoi:HAN-2")], "event_id"),
    ([event(1, A), event(1, B, stream="center_log:hanoi:HAN-2")], "position"),
    ([event(2, A), event(1, B, event_type="activity_voided", corrects=A)], "after its target"),
    ([event(1, A), event(2, B, stream="center_log:hanoi:HAN-9", event_type="activity_amended", corrects=A)],
     "target's stream"),
    ([event(1, A, corrects=C)], "name the event they correct"),
    ([event(1, A, stream="survey:x")], "stream"),
])
def test_a_broken_store_fails_with_the_rule_it_breaks(rows, broken):
    with pytest.raises(pa.errors.SchemaErrors) as exc:
        CenterLogEvents.validate(frame(rows), lazy=True)
    failures = exc.value.failure_cases
    assert failures["column"].astype(str).str.contains(broken).any() or \
        failures["check"].astype(str).str.contains(broken).any()
