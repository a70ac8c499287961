"""The Dagster code location: `dagster dev` loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.dbt import warehouse_models
from pipelines.assets.export import EXPORT_JOB, annual_export
from pipelines.assets.ingest import INGEST_ASSETS, INGEST_CHECKS
from pipelines.assets.marts import MART_CHECKS
from pipelines.resources import default_resources
from pipelines.sensors import build_sources_sensor

PIPELINE_JOB = dg.define_asset_job(
    "ingest_and_build",
    # the export is partitioned by year and run per year (python -m pipelines export, or the UI)
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("export"),
    description="원천 적재 후 웨어하우스 빌드 / Ingest every source file, then build all dbt models and checks.",
)


def build_definitions(sources=None, warehouse=None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*INGEST_ASSETS, warehouse_models, annual_export],
        asset_checks=[*INGEST_CHECKS, *MART_CHECKS],
        jobs=[PIPELINE_JOB, EXPORT_JOB],
        sensors=[build_sources_sensor(PIPELINE_JOB)],
        resources=default_resources(sources, warehouse),
    )


defs = build_definitions()
