"""dbt models as Dagster assets (dagster-dbt): seeds, staging, intermediate and marts.

dbt tests become asset checks. dbt runs with one thread and the warehouse pool, so it never
writes while the ingest does. Its unit tests, the seeds and the seeds' own tests run when the code
or a seed changed since the last successful build of this warehouse (pipelines/build_state.py) or
the run is tagged jb/full_refresh (`run --full-refresh`), not for every month's new events.
"""

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging import version

from pipelines import build_state, kind_files
from pipelines import warehouse as wh
from pipelines.assets.ingest import WAREHOUSE_POOL, checked_seeds
from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import dbt_executable, dbt_vars, target_path, unchanged_left_out
from pipelines.pool import run_worker, tag_step
from pipelines.quality.checkpoint import import_in_background
from pipelines.resources import Warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed at load (after the files written from the source
# kinds are brought up to date); elsewhere `ensure_manifest` does both.
if using_dagster_dev():
    kind_files.write()
DBT_PROJECT.prepare_if_dev()


class LocalDbt(DbtCliResource):
    """dagster-dbt's resource for the dbt-core installed beside this Python (dbt_executable()).

    Before each command dagster-dbt runs `dbt --version` in a subprocess (1.5 s) and opens a dbt
    adapter in this process, with the project's macros (about 1 s), for the row counts and column
    metadata that these assets do not fetch. The version is that of the installed dbt-core (a test
    checks it against `dbt --version`); without the adapter those two fetches are all that is lost.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(DBT_CORE_VERSION)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    return LocalDbt(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


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
    if build_state.FULL_REFRESH_TAG not in context.run.tags:
        # a subset's selection is dagster-dbt's: only the unit tests are left out of it
        flags, excluded, note = unchanged_left_out(warehouse.database, seeds=not context.is_subset)
        if excluded:
            args += [*flags, "--exclude", " ".join(excluded)]  # dagster-dbt takes one --exclude value
            context.log.info(note)
    if run_worker(context.instance, context.run.run_id) == os.getpid():  # the suites follow in this process
        import_in_background()
    # profiles.yml takes the warehouse path from the `warehouse` variable; dbt runs as a
    # subprocess, under the writer lock this process holds for it.
    with wh.writer_lock(warehouse.database):
        yield from dbt.cli(args, context=context, target_path=target_path(warehouse.database)).stream()
