"""The dbt staging models read exactly the payload fields their source kind declares."""

from __future__ import annotations

import re

import pytest
from helpers import PROJECT_DIR

from pipelines.ingest.sources import SOURCE_KINDS

STAGING = PROJECT_DIR / "dbt_project" / "models" / "staging"


@pytest.mark.parametrize("kind", SOURCE_KINDS, ids=lambda k: k.name)
def test_the_staging_model_reads_every_declared_payload_field_and_no_other(kind):
    [model] = STAGING.glob(f"{kind.name}/stg_{kind.name}__*_events.sql")
    sql = model.read_text(encoding="utf-8")
    read = set(re.findall(r"payload\s*->>?\s*'(\w+)'", sql))
    declared = {f.name for f in kind.fields if f.payload} | {"extra"}
    assert read == declared, (sorted(read - declared), sorted(declared - read))
    assert f"source_kind = '{kind.name}'" in sql
