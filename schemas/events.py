"""Pandera schema for one source kind's events as stored in events.event_store.

Run as a Dagster asset check after every ingest of that kind: it guards what the store promises
its readers (positions, identities, stream versions, correction links), whatever the ingest
did. Payloads are not read here: the JSON column type already guarantees they parse, and dbt
tests their content. An empty store is valid.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.source_kind import SourceKind


def _corrections_follow_target(df: pd.DataFrame) -> pd.Series:
    """A correction is stored after the event it corrects, in the same stream."""
    target = df[["event_id", "position", "stream_id"]].rename(
        columns={"event_id": "corrects_event_id", "position": "target_position", "stream_id": "target_stream"}
    )
    joined = df[["corrects_event_id", "position", "stream_id"]].merge(target, on="corrects_event_id", how="left")
    ok = joined["corrects_event_id"].isna() | (
        (joined["target_position"] < joined["position"]) & (joined["target_stream"] == joined["stream_id"])
    )
    return pd.Series(ok.to_numpy(), index=df.index)


def _versions_follow_positions(df: pd.DataFrame) -> pd.Series:
    """Within a stream, versions are 1, 2, 3 … in position order."""
    ordered = df.sort_values("position")
    expected = ordered.groupby("stream_id", sort=False).cumcount() + 1
    return (ordered["stream_version"] == expected).reindex(df.index)


def stored_events_schema(kind: SourceKind) -> pa.DataFrameSchema:
    corrections = set(kind.event_types) - {kind.event_types[0]}

    def corrections_point_back(df: pd.DataFrame) -> pd.Series:
        return df["event_type"].isin(corrections) == df["corrects_event_id"].notna()

    return pa.DataFrameSchema(
        name=f"{kind.name}_events",
        columns={
            "position": pa.Column("int64", pa.Check.ge(1), unique=True),
            "event_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{32}$"), unique=True),
            "source_kind": pa.Column(str, pa.Check.isin([kind.name])),
            "stream_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f-]{36}$")),
            "stream_version": pa.Column("int32", pa.Check.ge(1)),
            "event_type": pa.Column(str, pa.Check.isin(list(kind.event_types))),
            "schema_version": pa.Column("int32", pa.Check.isin([kind.schema_version])),
            "occurred_on": pa.Column("datetime64[us]", nullable=False),
            "batch_id": pa.Column("int64", pa.Check.ge(1)),
            "corrects_event_id": pa.Column(str, nullable=True),
        },
        checks=[
            pa.Check(
                corrections_point_back, error="amend/void events name the event they correct, other events do not"
            ),
            pa.Check(
                _corrections_follow_target, error="a correction is stored after its target, in the target's stream"
            ),
            pa.Check(_versions_follow_positions, error="stream versions count 1, 2, 3 … in position order"),
        ],
        unique=["stream_id", "stream_version"],
        coerce=True,
        strict=False,
    )


STORED_EVENTS_SQL = """
SELECT position, event_id, source_kind, stream_id::VARCHAR AS stream_id, stream_version, event_type,
       schema_version, occurred_on::TIMESTAMP AS occurred_on, batch_id, corrects_event_id
FROM events.event_store
WHERE source_kind = ?
ORDER BY position
"""
