"""The annual export as a Dagster asset, one partition per ended year: the workbook, the HTML
report and meta.json of the year's frozen evaluation (freezing the year first if need be)."""

import dagster as dg

from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.assets.marts import mart_key
from pipelines.config import exports_dir
from pipelines.export.run import export_year
from pipelines.mart_registry import marts
from pipelines.pool import tag_step
from pipelines.resources import Warehouse

# Years from the first centre's opening; a partition exists once its year has ended.
YEARS = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start="2019", fmt="%Y")


@dg.asset(
    key="annual_export",
    group_name="export",
    partitions_def=YEARS,
    deps=[mart_key(m) for m in marts()],
    pool=WAREHOUSE_POOL,  # a year not frozen yet is frozen first: dbt writes the warehouse
    kinds={"excel", "html"},
    description="연간 평가 내보내기 / The year's frozen evaluation as an Excel workbook (요약 … 메타), a "
    "self-contained HTML report and meta.json under exports/<year>/.",
)
def annual_export(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    tag_step(context)
    result = export_year(warehouse.database, int(context.partition_key), exports_dir(), progress=context.log.info)
    meta = result.meta
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(result.folder)),
            "workbook": dg.MetadataValue.path(str(result.workbook)),
            "report": dg.MetadataValue.path(str(result.report)),
            "freeze_id": meta["freeze_id"],
            "store_position": meta["store_position"],
            "mart_checksum": meta["mart_checksum"],
            "frozen_by_this_export": meta["frozen_by_this_export"],
        }
    )


# Not named after the asset: a job and an asset's op of one name clash when the code location loads.
EXPORT_JOB = dg.define_asset_job(
    "freeze_and_export",
    selection=dg.AssetSelection.assets(annual_export),
    description="연간 평가 내보내기 / Export one ended year's frozen evaluation (freezing it first if need be).",
)
