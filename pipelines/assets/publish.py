"""The analysts' copy of the marts (pipelines/publish.py) as the last asset of every build, with
each mart's row count and first rows recorded on the mart's own asset."""

import dagster as dg

from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.assets.marts import mart_key
from pipelines.config import analyst_path
from pipelines.mart_registry import MARTS_SCHEMA, marts
from pipelines.publish import publish
from pipelines.resources import Warehouse

PREVIEW_ROWS = 5


def analyst_marts_asset() -> dg.AssetsDefinition:
    names = sorted(marts())

    @dg.asset(
        key="analyst_marts",
        group_name="marts",
        deps=[mart_key(m) for m in names],
        pool=WAREHOUSE_POOL,
        description=(
            "분석용 마트 파일 / The marts, and only the marts, copied to analyst.duckdb beside the warehouse "
            "after every build and swapped in atomically: analysts read it without ever blocking a run."
        ),
    )
    def analyst_marts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            done = publish(con, analyst_path(warehouse.database))
            for mart, rows in done.rows.items():
                preview = con.execute(f"SELECT * FROM {MARTS_SCHEMA}.{mart} LIMIT {PREVIEW_ROWS}").df()
                context.log_event(
                    dg.AssetObservation(
                        asset_key=mart_key(mart),
                        metadata={
                            "dagster/row_count": rows,
                            "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
                        },
                    )
                )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(done.path)),
                "marts": len(done.rows),
                "rows": sum(done.rows.values()),
                "store_position": done.store_position,
            }
        )

    return analyst_marts
