"""The marts, as the dbt project declares them: the one list every other part reads (the pandera
schemas, the quality rules, the freeze, the analysts' copy, the workbook and the report).

A mart is a model of the `marts` schema. Its yml holds its facts: `config.meta` gives its Korean
and English titles and its place in the export (`export: {section, order, report_rows}`); its key
is its `unique_combination` test; its late columns are those with `meta.evaluated_in:
following_year` (observed a year later). Read from dbt's manifest, so a new mart needs no list
in Python (docs/extending.md, "Adding a mart").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.dbt_project import ensure_manifest

MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class Mart:
    name: str
    title_ko: str
    title_en: str
    key: tuple[str, ...]  # its unique_combination test
    columns: tuple[str, ...]
    late: tuple[str, ...]  # evaluated in the following year's evaluation
    section: str  # the workbook's sheet and the report's section it belongs to
    order: int  # its place in the export
    report_rows: str  # which of its rows the report shows (pipelines/export/sections.py)


def marts() -> dict[str, Mart]:
    """Every mart of the project, in export order (the project parsed again if a yml changed)."""
    manifest = ensure_manifest()
    return _read(manifest, manifest.stat().st_mtime_ns)


def _late(column: dict) -> bool:
    return (column.get("meta") or {}).get("evaluated_in") == "following_year"


@cache
def _read(manifest_path: Path, _mtime: int) -> dict[str, Mart]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = manifest["nodes"].values()
    keys = {
        n["attached_node"]: tuple(n["test_metadata"]["kwargs"]["columns"])
        for n in nodes
        if n["resource_type"] == "test" and (n.get("test_metadata") or {}).get("name") == "unique_combination"
    }
    found = []
    for n in nodes:
        if n["resource_type"] != "model" or n["schema"] != MARTS_SCHEMA:
            continue
        meta = n["config"].get("meta") or {}
        export = meta.get("export") or {}
        missing = [k for k in ("title_ko", "title_en") if not meta.get(k)] + [
            f"export.{k}" for k in ("section", "order", "report_rows") if k not in export
        ]
        if missing:
            raise ValueError(f"mart {n['name']} ({n['original_file_path']}): config.meta lacks {', '.join(missing)}")
        found.append(
            Mart(
                name=n["name"],
                title_ko=meta["title_ko"],
                title_en=meta["title_en"],
                key=keys.get(n["unique_id"], ()),
                columns=tuple(n["columns"]),
                late=tuple(c for c, col in n["columns"].items() if _late(col)),
                section=export["section"],
                order=int(export["order"]),
                report_rows=export["report_rows"],
            )
        )
    return {m.name: m for m in sorted(found, key=lambda m: (m.order, m.name))}
