"""The dbt staging models are those their source kinds declare: current, every payload field read as its type."""

from __future__ import annotations

import json

import pytest
from helpers import PROJECT_DIR

from pipelines import kind_files


def test_the_files_written_from_the_source_kinds_are_current():
    """The staging models, their yml, the source slices and the docs' field tables are written from
    the kinds (pipelines/kind_files.py); a kind changed without a run leaves them stale."""
    assert [str(p.relative_to(PROJECT_DIR)) for p in kind_files.stale()] == []


@pytest.mark.slow
def test_dbt_docs_generate_describes_every_column_of_every_model_seed_and_source(bundled_run, tmp_path):
    import subprocess

    from pipelines.dbt_project import dbt_executable, dbt_vars

    warehouse, _ = bundled_run
    target = tmp_path / "docs"
    out = subprocess.run(
        [dbt_executable(), "docs", "generate", "--profiles-dir", ".", "--target-path", str(target),
         "--vars", dbt_vars(str(warehouse))],
        cwd=PROJECT_DIR / "dbt_project", capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    documented = {**manifest["nodes"], **manifest["sources"]}
    built = {**catalog["nodes"], **catalog["sources"]}
    assert len(built) > 40
    missing = [
        f"{uid}.{column}"
        for uid, node in built.items()
        for column in node["columns"]
        if not documented[uid]["columns"].get(column, {}).get("description")
    ]
    assert missing == []
    assert [uid for uid in built if not documented[uid].get("description")] == []
    assert (target / "index.html").is_file()
