"""Every table a dbt model reads is a dependency in the manifest and an edge in the Dagster asset graph.

The frozen seeds (`pinned_seed`) read events.freeze_reference_rows, and the evaluation views read the
head of the whole event store and the freezes, each through its staging model: lineage tools
(dbt-project-evaluator, the Dagster UI) see only what the manifest records at parse time.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from helpers import PROJECT_DIR

from pipelines.dbt_project import dbt_executable, ensure_manifest
from pipelines.ingest.sources import SOURCE_KINDS

pytestmark = pytest.mark.slow

DBT_DIR = PROJECT_DIR / "dbt_project"
SOURCE = "source.jeonbuk_centres.events."
STAGED = "model.jeonbuk_centres.stg_events__"


def parsed_manifest(project: Path, target: Path) -> dict:
    """`dbt parse` of `project` into `target` (no warehouse is opened): its manifest."""
    out = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--profiles-dir", ".", "--target-path", str(target)],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    return parsed_manifest(DBT_DIR, tmp_path_factory.mktemp("dbt_target"))


def models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_every_pinned_seed_model_depends_on_the_pinned_rows(manifest):
    pinned = {name: node for name, node in models(manifest).items() if "pinned_seed(" in node["raw_code"]}
    assert pinned and set(pinned) == {p.stem for p in DBT_DIR.glob("models/**/int_pinned__*.sql")}
    for name, node in pinned.items():
        assert STAGED + "freeze_reference_rows" in node["depends_on"]["nodes"], name
    staged = models(manifest)["stg_events__freeze_reference_rows"]
    assert staged["depends_on"]["nodes"] == [SOURCE + "freeze_reference_rows"]


def test_the_evaluation_views_read_the_whole_store_and_the_freezes(manifest):
    views = models(manifest)["int_evaluation_views"]
    assert set(views["depends_on"]["nodes"]) == {STAGED + "store_positions", STAGED + "evaluation_freezes"}
    assert models(manifest)["stg_events__store_positions"]["depends_on"]["nodes"] == [SOURCE + "event_store"]
    assert models(manifest)["stg_events__evaluation_freezes"]["depends_on"]["nodes"] == [SOURCE + "evaluation_freezes"]
    store = manifest["sources"][SOURCE + "event_store"]
    assert (store["schema"], store["identifier"]) == ("events", "event_store")


def test_no_source_is_unused(manifest):
    """dbt-project-evaluator's fct_unused_sources: every source is read by some node."""
    read = {parent for node in manifest["nodes"].values() for parent in node.get("depends_on", {}).get("nodes", [])}
    assert sorted(set(manifest["sources"]) - read) == []


def test_the_dagster_asset_graph_shows_the_same_edges():
    ensure_manifest()  # the dbt assets read the manifest when the module is imported
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    pinned = [k for k in graph.get_all_asset_keys() if k.path[-1].startswith("int_pinned__")]
    assert pinned and {k.path[-1] for k in pinned} == {p.stem for p in DBT_DIR.glob("models/**/int_pinned__*.sql")}

    def staged(name: str) -> dg.AssetKey:
        return dg.AssetKey(["staging", f"stg_events__{name}"])

    for key in pinned:
        assert staged("freeze_reference_rows") in graph.get(key).parent_keys, key
    views = graph.get(dg.AssetKey(["intermediate", "int_evaluation_views"])).parent_keys
    assert views == {staged("store_positions"), staged("evaluation_freezes")}
    for name, table in [
        ("store_positions", "event_store"),
        *((t, t) for t in ("evaluation_freezes", "freeze_reference_rows")),
    ]:
        assert graph.get(staged(name)).parent_keys == {dg.AssetKey(["events", table])}, name
    # the store's head follows every kind's ingest
    store = graph.get(dg.AssetKey(["events", "event_store"])).parent_keys
    assert store == {dg.AssetKey(f"{kind.name}_events") for kind in SOURCE_KINDS}
