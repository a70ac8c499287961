"""The dbt project as Dagster sees it, and the `dbt` executable of this environment."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines.config import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed at load; elsewhere `ensure_manifest` does it.
DBT_PROJECT.prepare_if_dev()


def dbt_executable() -> str:
    """The `dbt` beside this Python: scripts and cron run .venv/bin/python without activating."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


def _newest_source_mtime() -> float:
    files = [
        p
        for pattern in ("*.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")
        for p in DBT_PROJECT_DIR.glob(pattern)
        if p.is_file()
    ]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    manifest = DBT_PROJECT.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        dbt_resource().cli(["parse", "--quiet"], target_path=DBT_PROJECT.target_path).wait()
    return manifest
