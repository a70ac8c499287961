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
