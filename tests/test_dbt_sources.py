"""The dbt staging models read exactly the payload fields their source kind declares, as their types."""

from __future__ import annotations

import json
import re

import pytest
from helpers import PROJECT_DIR

from pipelines.ingest.sources import SOURCE_KINDS

STAGING = PROJECT_DIR / "dbt_project" / "models" / "staging"


@pytest.mark.parametrize("kind", SOURCE_KINDS, ids=lambda k: k.name)
def test_the_staging_model_reads_every_declared_payload_field_and_no_other(kind):
    [model] = STAGING.glob(f"{kind.name}/stg_{kind.name}__*_events.sql")
    sql = model.read_text(encoding="utf-8")
    [structure] = re.findall(r"from_json\(\s*payload,\s*'(\{.*?\})'", sql, re.DOTALL)
    read = json.loads(structure)
    declared = {f.name: f.type.duck_type for f in kind.fields if f.payload} | {"extra": "JSON"}
    assert read == declared
    assert f"source_kind = '{kind.name}'" in sql


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
