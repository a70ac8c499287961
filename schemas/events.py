"""Pandera schema for centre-log events as stored in events.event_store.

Run as a Dagster asset check after every ingest: it guards what the store promises its readers
(positions, identities, streams, correction links), whatever the parser did. Payloads are not
read here: the JSON column type already guarantees they parse, and dbt tests their content.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

CENTER_LOG_EVENT_TYPES = ["activity_recorded", "activity_amended", "activity_voided"]


def _corrections_point_back(df: pd.DataFrame) -> pd.Series:
    is_correction = df["event_type"].isin(["activity_amended", "activity_voided"])
    return is_correction == df["corrects_event_id"].notna()


def _corrections_follow_target(df: pd.DataFrame) -> pd.Series:
    """A correction is stored after the event it corrects, in the same stream."""
    target = df[["event_id", "position", "stream"]].rename(
        columns={"event_id": "corrects_event_id", "position": "target_position", "stream": "target_stream"})
    joined = df[["corrects_event_id", "position", "stream"]].merge(target, on="corrects_event_id", how="left")
    ok = joined["corrects_event_id"].isna() | (
        (joined["target_position"] < joined["position"]) & (joined["target_stream"] == joined["stream"]))
    return pd.Series(ok.to_numpy(), index=df.index)


CenterLogEvents = pa.DataFrameSchema(
    name="center_log_events",
    columns={
        "position": pa.Column("int64", [pa.Check.ge(1)], unique=True),
        "event_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{32}$"), unique=True),
        "stream": pa.Column(str, pa.Check.str_matches(r"^center_log:[a-z_]+:.+$")),
        "event_type": pa.Column(str, pa.Check.isin(CENTER_LOG_EVENT_TYPES)),
        "schema_version": pa.Column("int32", pa.Check.isin([1])),
        "occurred_on": pa.Column("datetime64[us]", nullable=False),
        "batch_id": pa.Column("int64", pa.Check.ge(1)),
        "corrects_event_id": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(_corrections_point_back,
                 error="amend/void events name the event they correct, other events do not"),
        pa.Check(_corrections_follow_target,
                 error="a correction is stored after its target, in the target's stream"),
    ],
    strict=False,
)

CENTER_LOG_EVENTS_SQL = """
SELECT position, event_id, stream, event_type, schema_version, occurred_on, batch_id,
       corrects_event_id
FROM events.event_store
WHERE stream LIKE 'center_log:%'
ORDER BY position
"""
