"""One list of marts: the dbt project's. The pandera schemas, the quality rules, the export's
sections and the analysts' copy all read pipelines/mart_registry.py, and a mart whose yml lacks
its titles or its place in the export is refused by name."""

from __future__ import annotations

import json
import shutil

import pytest

from pipelines import mart_registry
from pipelines.dbt_project import ensure_manifest
from pipelines.export.sections import REPORT_ROWS, SECTIONS, section_tables
from pipelines.quality.rules import planned_checks
from schemas.marts import MART_SCHEMAS


def test_every_mart_has_its_schema_its_section_and_its_rules():
    marts = mart_registry.marts()
    assert set(MART_SCHEMAS) == set(marts)
    sections = {s.key for s in SECTIONS}
    for mart in marts.values():
        assert mart.section in sections, f"{mart.name}: export.section {mart.section!r} is not a section"
        assert mart.report_rows in REPORT_ROWS, f"{mart.name}: report_rows {mart.report_rows!r}"
        assert mart.key, f"{mart.name} has no unique_combination test"
        assert set(mart.key) <= set(mart.columns) and set(mart.late) <= set(mart.columns)
    assert {m for m, _ in planned_checks()} == set(marts)


def test_the_sections_hold_every_mart_once_in_export_order():
    placed = [t for s in SECTIONS for t, _ in section_tables(s) if t in mart_registry.marts()]
    assert placed == list(mart_registry.marts())  # the order of `export.order`
    assert len(set(placed)) == len(placed)


def test_a_mart_without_its_titles_is_refused_naming_its_yml(tmp_path):
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == "goal_path")
    del node["config"]["meta"]["title_ko"]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValueError, match=r"goal_path \(models/marts/result/goal_path.sql\).*title_ko"):
        mart_registry._read(path, 0)


def test_the_registry_follows_the_manifest_when_it_changes(tmp_path):
    path = tmp_path / "manifest.json"
    shutil.copy(ensure_manifest(), path)
    before = mart_registry._read(path, path.stat().st_mtime_ns)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == "goal_path")
    node["config"]["meta"]["title_ko"] = "새 제목"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    after = mart_registry._read(path, path.stat().st_mtime_ns + 1)
    assert before["goal_path"].title_ko == "목표 경로" and after["goal_path"].title_ko == "새 제목"
