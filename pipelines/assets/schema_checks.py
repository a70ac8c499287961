"""A pandera schema's verdict on a frame as a Dagster asset check result (the stored events, the marts)."""

import dagster as dg
import pandas as pd
import pandera.pandas as pa


def schema_result(
    key: dg.AssetCheckKey, frame: pd.DataFrame, schema: pa.DataFrameSchema, counted: str
) -> dg.AssetCheckResult:
    """Passed, or failed with the count of failing rows per column and check; `counted` names the rows."""
    metadata: dict = {counted: len(frame)}
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        by_check = exc.failure_cases.groupby(["column", "check"], dropna=False).size().reset_index(name="rows")
        metadata["failures"] = dg.MetadataValue.md(f"```\n{by_check.to_string(index=False)}\n```")
    return dg.AssetCheckResult(
        check_name=key.name, asset_key=key.asset_key, passed="failures" not in metadata, metadata=metadata
    )
