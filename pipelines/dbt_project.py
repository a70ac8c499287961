"""The dbt project as Dagster sees it, and the `dbt` executable of this environment."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines.config import DBT_PROJECT_DIR
from pipelines.reference import check_seeds

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


def dbt_vars(database: str, evaluation_date: date | None = None, refreeze_year: int | None = None) -> str:
    """The --vars of every build: the warehouse path (profiles.yml reads it) and, when given, the
    evaluation date of the live view (which years have ended; default today) and a frozen year
    to evaluate live for its re-freeze."""
    values: dict[str, str | int] = {"warehouse": str(database)}
    if evaluation_date is not None:
        values["evaluation_date"] = evaluation_date.isoformat()
    if refreeze_year is not None:
        values["refreeze_year"] = refreeze_year
    return json.dumps(values)


def build(database: str, evaluation_date: date | None = None, refreeze_year: int | None = None) -> None:
    """`dbt build` (seeds, models, tests) outside Dagster, for commands that need fresh marts
    (freeze); raises when a seed is malformed (reference.SeedError) or a model or test fails."""
    check_seeds()
    ensure_manifest()
    dbt_resource().cli(
        ["build", "--quiet", "--vars", dbt_vars(database, evaluation_date, refreeze_year)],
        target_path=DBT_PROJECT.target_path,
    ).wait()
