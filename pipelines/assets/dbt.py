"""dbt models as Dagster assets (dagster-dbt): seeds, staging, intermediate and marts.

dbt tests become asset checks. dbt runs with one thread and the warehouse pool, so it never
writes while the ingest does. Its unit tests run when the code changed since the last successful
build (pipelines/build_state.py), not for every month's new events.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import build_state
from pipelines import warehouse as wh
from pipelines.assets.ingest import WAREHOUSE_POOL, checked_seeds
from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import dbt_executable, dbt_vars, target_path
from pipelines.pool import run_worker, tag_step
from pipelines.quality.checkpoint import import_in_background
from pipelines.resources import Warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed at load; elsewhere `ensure_manifest` does it.
DBT_PROJECT.prepare_if_dev()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


class Translator(DagsterDbtTranslator):
    """Groups follow the flow: reference (seeds) → staging → intermediate → marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, pool=WAREHOUSE_POOL, dagster_dbt_translator=Translator()
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    tag_step(context)
    checked_seeds(context)
    args = ["build", "--vars", dbt_vars(warehouse.database)]
    passed = build_state.unit_tests_passed_on_this_code(Path(warehouse.database))
    if passed is not None:
        args += ["--exclude", "resource_type:unit_test"]
        context.log.info(f"dbt unit tests not run: the code is that of run {passed.run_id}, which passed them")
    if run_worker(context.instance, context.run.run_id) == os.getpid():  # the suites follow in this process
        import_in_background()
    # profiles.yml takes the warehouse path from the `warehouse` variable; dbt runs as a
    # subprocess, under the writer lock this process holds for it.
    with wh.writer_lock(warehouse.database):
        yield from dbt.cli(args, context=context, target_path=target_path(warehouse.database)).stream()
