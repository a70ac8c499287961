"""The Dagster code location: `dagster dev` loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.dbt import warehouse_models
from pipelines.assets.export import EXPORT_JOB, annual_export
from pipelines.assets.ingest import INGEST_ASSETS, INGEST_CHECKS
from pipelines.assets.marts import MART_CHECKS
from pipelines.assets.publish import analyst_marts_asset
from pipelines.assets.quality import QUALITY_CHECKS
from pipelines.resources import default_resources
from pipelines.sensors import build_sources_sensor

PIPELINE_JOB = dg.define_asset_job(
    "ingest_and_build",
    # the export is partitioned by year and run per year (python -m pipelines export, or the UI)
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("export"),
    description="원천 적재 후 웨어하우스 빌드 / Ingest every source file, then build all dbt models and checks.",
)


# The centres send their logs at the start of each month: ingest and build on the 2nd, 06:00 KST.
MONTHLY_BUILD = dg.ScheduleDefinition(
    name="monthly_ingest_and_build",
    job=PIPELINE_JOB,
    cron_schedule="0 6 2 * *",
    execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="월간 적재·빌드 / Ingest the month's files and rebuild every mart, on the 2nd of each month.",
)


# In January the past year is frozen and exported (the 15th, after December's logs are in).
@dg.schedule(
    job=EXPORT_JOB,
    cron_schedule="0 7 15 1 *",
    execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="연간 동결·내보내기 / Freeze the past year and write its export, every 15 January.",
)
def yearly_freeze_and_export(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    year = str(context.scheduled_execution_time.year - 1)
    return dg.RunRequest(run_key=f"annual_export_{year}", partition_key=year)


def build_definitions(sources=None, warehouse=None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*INGEST_ASSETS, warehouse_models, analyst_marts_asset(), annual_export],
        asset_checks=[*INGEST_CHECKS, *MART_CHECKS, *QUALITY_CHECKS],
        jobs=[PIPELINE_JOB, EXPORT_JOB],
        schedules=[MONTHLY_BUILD, yearly_freeze_and_export],
        sensors=[build_sources_sensor(PIPELINE_JOB)],
        resources=default_resources(sources, warehouse),
    )


defs = build_definitions()
