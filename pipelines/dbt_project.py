"""The dbt project's files and the `dbt` executable of this environment, without Dagster: the
freeze, the export and the quality rules need the manifest and a `dbt build`, not dagster-dbt
(2.7 s to import). The Dagster side of dbt is in pipelines/assets/dbt.py."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from pipelines import build_state
from pipelines.config import DBT_PROJECT_DIR
from pipelines.reference import check_seeds

TARGET_PATH = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = TARGET_PATH / "manifest.json"


class DbtFailed(RuntimeError):
    """A `dbt` command outside Dagster exited non-zero (a model, a test or a seed failed)."""


def dbt_executable() -> str:
    """The `dbt` beside this Python: scripts and cron run .venv/bin/python without activating."""
    return str(Path(sys.executable).with_name("dbt"))


def _dbt(args: list[str]) -> None:
    done = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise DbtFailed(f"dbt {args[0]} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")


def _newest_source_mtime() -> float:
    files = [
        p
        for pattern in ("*.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")
        for p in DBT_PROJECT_DIR.glob(pattern)
        if p.is_file()
    ]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest() -> Path:
    """Bring the files written from the source kinds up to date (pipelines/kind_files.py), then run
    `dbt parse` when the manifest is missing or older than the project's files."""
    from pipelines import kind_files  # the source kinds import pandera: only where dbt is parsed

    kind_files.write()
    if not MANIFEST_PATH.exists() or MANIFEST_PATH.stat().st_mtime < _newest_source_mtime():
        _dbt(["parse", "--quiet"])
    return MANIFEST_PATH


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


def unchanged_left_out(database: str, *, seeds: bool = True) -> tuple[list[str], list[str], str]:
    """What a `dbt build` of `database` leaves out when its last successful build ran on this very
    code and these seeds (pipelines/build_state.py): the unit tests (fixtures in, rows out: they
    depend on the code alone) and, with `seeds`, the seeds and the seeds' own tests. Returns the
    extra flags, the --exclude values and a note for the log; nothing when the code or a seed changed.

    `--indirect-selection cautious` excludes a test only with all its parents, so the tests from
    models to seeds (relationships) still run: they check the new rows."""
    passed = build_state.last_build_on_this_code(Path(database))
    if passed is None:
        return [], [], ""
    what, flags, excluded = "dbt unit tests", [], ["resource_type:unit_test"]
    if seeds:
        what, flags = "dbt unit tests, seeds and the seeds' own tests", ["--indirect-selection", "cautious"]
        excluded.append("resource_type:seed")
    note = (
        f"{what} not run: the code and seeds are those of run {passed.run_id}, which loaded and passed "
        "them (`run --full-refresh`, or the run tag jb/full_refresh, runs them)"
    )
    return flags, excluded, note


def build(database: str, evaluation_date: date | None = None, refreeze_year: int | None = None) -> None:
    """`dbt build` (seeds, models, tests; less what unchanged_left_out() leaves out) outside Dagster,
    for commands that need fresh marts (freeze); raises when a seed is malformed
    (reference.SeedError) or a model or test fails (DbtFailed)."""
    check_seeds()
    ensure_manifest()
    flags, excluded, _ = unchanged_left_out(database)
    _dbt(
        [
            "build",
            "--quiet",
            "--vars",
            dbt_vars(database, evaluation_date, refreeze_year),
            "--target-path",
            str(target_path(database)),
            *flags,
            *(["--exclude", *excluded] if excluded else []),
        ]
    )


def target_path(database: str) -> Path:
    """dbt's artifacts of one warehouse, kept from build to build: its partial parse stays valid (the
    profile names the warehouse, and another warehouse's parse is a full one, 2 s longer), and builds
    of two warehouses at once never write the same files (the project's manifest among them)."""
    digest = hashlib.sha256(str(Path(database).resolve()).encode()).hexdigest()[:12]
    return TARGET_PATH / f"warehouse-{digest}"
