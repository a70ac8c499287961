"""The Dagster code location: `dagster dev` loads `defs` from here."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines import build_state
from pipelines.assets.dbt import warehouse_models
from pipelines.assets.export import EXPORT_JOB, annual_export
from pipelines.assets.ingest import INGEST_ASSETS, INGEST_CHECKS
from pipelines.assets.marts import MART_CHECKS
from pipelines.assets.publish import analyst_marts_asset
from pipelines.assets.quality import QUALITY_CHECKS
from pipelines.resources import SourcesFolder, Warehouse, default_resources
from pipelines.sensors import build_sources_sensor

PIPELINE_JOB = dg.define_asset_job(
    "ingest_and_build",
    # the export is partitioned by year and run per year (python -m pipelines export, or the UI)
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("export"),
    description="원천 적재 후 웨어하우스 빌드 / Ingest every source file, then build all dbt models and checks.",
)


# The centres send their logs at the start of each month: ingest and build on the 2nd, 06:00 KST,
# unless nothing changed since the last successful build (as `python -m pipelines run` decides).
@dg.schedule(
    name="monthly_ingest_and_build",
    job=PIPELINE_JOB,
    cron_schedule="0 6 2 * *",
    execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="월간 적재·빌드 / Ingest the month's files and rebuild every mart, on the 2nd of each month.",
)
def monthly_ingest_and_build(context: dg.ScheduleEvaluationContext, sources: SourcesFolder, warehouse: Warehouse):
    last = build_state.nothing_new(sources.folder, Path(warehouse.database))
    if last is not None:
        return dg.SkipReason(f"nothing new since the last build (run {last.run_id}, {last.finished_at})")
    return dg.RunRequest()


# A run of the job from the UI, the schedule or the sensor leaves the same mark as the command line.
@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[PIPELINE_JOB],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="빌드 기록 / Records what a successful ingest_and_build was built from (nothing new, nothing done).",
)
def last_build_mark(context: dg.RunStatusSensorContext, sources: SourcesFolder, warehouse: Warehouse):
    run_id, database = context.dagster_run.run_id, Path(warehouse.database)
    last = build_state.last_build(database)
    if last is None or last.run_id != run_id:  # a command-line run records its own
        build_state.record(sources.folder, database, build_state.inputs(sources.folder), run_id)


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
        schedules=[monthly_ingest_and_build, yearly_freeze_and_export],
        sensors=[build_sources_sensor(PIPELINE_JOB), last_build_mark],
        resources=default_resources(sources, warehouse),
    )


defs = build_definitions()
