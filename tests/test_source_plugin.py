"""A source kind made up here plugs into the framework without touching it.

It has a two-row header with a group cell over two columns, a title block above it, and
the `supersede` conflict policy: a later snapshot of the same key is a new version of the stream.
Its events reach a typed, documented and tested dbt staging model that nobody wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import query, write_xlsx

from pipelines import warehouse as wh
from pipelines.ingest.fields import DATE, NUMBER, TEXT, Field, FieldSet
from pipelines.ingest.runner import discover, ingest_files
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources import SOURCE_KINDS

SNAPSHOT = SourceKind(
    name="test_snapshot",
    title="시험 스냅숏 / test snapshot",
    fields=FieldSet(
        (
            Field("region", "지역", TEXT, "Region", required=True),
            Field("period", "기간", TEXT, "Year", required=True),
            Field("exports", "수출 금액", NUMBER, "Exports of the region in the year", aliases=("export amount",)),
            Field("growth", "수출 증감률", NUMBER, "Growth on a year earlier, %"),
            Field("retrieved", "조회일", DATE, "Retrieval date", required=True),
        )
    ),
    recognise_by=("region", "period", "exports"),
    key=("region", "period"),
    occurred_on="retrieved",
    event_type="'snapshot_recorded'",
    event_types=("snapshot_recorded",),
    conflict_hint="send a later snapshot",
    on_conflict="supersede",
    header_rows=2,
)
KINDS = (*SOURCE_KINDS, SNAPSHOT)
TOP = ["지역", "기간", "수출", None, "조회일"]  # `수출` spans two columns (a merged cell)
BOTTOM = [None, None, "금액", "증감률", None]


def snapshot_file(path: Path, rows: list[list]) -> Path:
    return write_xlsx(path, TOP, [BOTTOM, *rows], title_rows=[["K-stat 지역별 수출 (시험)"], []])


def ingest(warehouse: Path, folder: Path):
    with wh.connect(warehouse) as con:
        return ingest_files(con, discover([folder]), kinds=KINDS)


def test_a_made_up_kind_loads_end_to_end(warehouse, src):
    first = snapshot_file(
        src / "a_2022.xlsx",
        [["전북", "2022", "1,234.5", "-3.2", "2023-03-15"], ["전북", "2021", "abc", "1", "2023-03-15"]],
    )
    [result] = ingest(warehouse, src)
    assert (result.status, result.source_kind, result.accepted, result.quarantined) == ("loaded", "test_snapshot", 1, 1)
    [(payload, kind, version)] = query(
        warehouse, "SELECT payload::VARCHAR, source_kind, stream_version FROM events.event_store"
    )
    assert kind == "test_snapshot" and version == 1
    assert '"exports":1234.5' in payload and '"growth":-3.2' in payload
    [(reason,)] = query(warehouse, "SELECT reason FROM events.quarantine")
    assert "수출 금액/exports 'abc' is not a number" in reason

    # a revised snapshot of the same region and period supersedes: same stream, next version
    snapshot_file(src / "b_2022_revised.xlsx", [["전북", "2022", "1,300", "-2.0", "2023-06-01"]])
    first.rename(src / "a_2022_moved.xlsx")  # known bytes under another name: a duplicate batch
    results = ingest(warehouse, src)
    assert sorted((Path(r.file).name, r.status) for r in results) == [
        ("a_2022_moved.xlsx", "duplicate"),
        ("b_2022_revised.xlsx", "loaded"),
    ]
    streams = query(
        warehouse, "SELECT stream_id, stream_version, payload->>'exports' FROM events.event_store ORDER BY position"
    )
    assert [(v, x) for _, v, x in streams] == [(1, "1234.5"), (2, "1300.0")]
    assert streams[0][0] == streams[1][0]


@pytest.mark.slow
def test_a_made_up_kinds_events_reach_a_typed_documented_staging_model_nobody_wrote(warehouse, src, tmp_path):
    import datetime as dt
    import json
    import shutil
    import subprocess

    from pipelines import kind_files
    from pipelines.config import DBT_PROJECT_DIR, PROJECT_DIR
    from pipelines.dbt_project import dbt_executable, dbt_vars

    snapshot_file(src / "a.xlsx", [["전북", "2022", "1,234.5", "-3.2", "2023-03-15"]])
    ingest(warehouse, src)
    project, docs = tmp_path / "dbt_project", tmp_path / "sources.md"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copy(PROJECT_DIR / "docs" / "sources.md", docs)
    written = kind_files.write(KINDS, staging_dir=project / "models" / "staging", docs=docs)
    assert sorted(p.name for p in written) == [
        "_kinds__sources.yml", "_test_snapshot__models.yml", "sources.md", "stg_test_snapshot__record_events.sql",
    ]  # fmt: skip
    assert kind_files.stale(KINDS, staging_dir=project / "models" / "staging", docs=docs) == []

    model = SNAPSHOT.staging_model
    target = tmp_path / "target"
    done = subprocess.run(
        [dbt_executable(), "build", "--select", model, "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target), "--vars", dbt_vars(str(warehouse))],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    [row] = query(warehouse, f"SELECT region, period, exports, growth, retrieved, stream_version FROM staging.{model}")
    assert row == ("전북", "2022", 1234.5, -3.2, dt.date(2023, 3, 15), 1)

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    [node] = [n for n in manifest["nodes"].values() if n["name"] == model]
    assert {"region", "period", "exports", "growth", "retrieved", "extra"} <= set(node["columns"])
    assert all(c["description"] for c in node["columns"].values())
    assert node["columns"]["exports"]["description"] == "수출 금액 / Exports of the region in the year"
    tests = {n["test_metadata"]["name"]: n for n in manifest["nodes"].values()
             if n["resource_type"] == "test" and n.get("attached_node") == node["unique_id"]}  # fmt: skip
    assert {"unique", "not_null", "accepted_values", "typed_as_declared"} <= set(tests)
    assert tests["typed_as_declared"]["test_metadata"]["kwargs"]["required"] == ["region", "period", "retrieved"]
    # and the fields' test fails on an event whose required field is missing
    [compiled] = target.glob("compiled/**/typed_as_declared_*.sql")
    bad = "(select 7 as position, null as region, '2022' as period, null::date as retrieved)"
    sql = compiled.read_text(encoding="utf-8").replace(f'"{warehouse.stem}"."staging"."{model}"', bad)
    assert query(warehouse, sql) == [(7, "region is null; retrieved is null")]
    table = docs.read_text(encoding="utf-8").split("## 시험 스냅숏 / test snapshot", 1)[1]
    assert "| 수출 금액 | `exports` | `export amount` |" in table and "| 지역 | `region` | |" in table


def test_a_kind_naming_an_unknown_field_is_refused_at_definition():
    with pytest.raises(ValueError, match="unknown fields"):
        SourceKind(
            name="bad",
            title="bad",
            fields=SNAPSHOT.fields,
            recognise_by=("nope",),
            key=("region",),
            occurred_on="retrieved",
            event_type="'x'",
            event_types=("x",),
            conflict_hint="",
        )


def test_a_files_kind_is_told_from_its_first_rows_once(src):
    from helpers import rec, write_csv

    from pipelines.ingest.readers import SNIFF_BYTES, head_rows
    from pipelines.ingest.runner import file_info, sniff
    from pipelines.ingest.sources import CENTER_LOG

    path = write_csv(src / "big.csv", [rec(f"HAN-{i}", note="x" * 200) for i in range(2000)])
    assert path.stat().st_size > 4 * SNIFF_BYTES
    [block] = head_rows(path)
    assert len(block) < 2000 and block[0][0] == "기록번호"
    info = file_info(path)
    assert sniff(info, KINDS) is CENTER_LOG
    path.unlink()  # the same path and bytes are not read again
    assert sniff(info, KINDS) is CENTER_LOG
    snapshot = snapshot_file(src / "s.xlsx", [["전북", "2022", "1", "0", "2023-03-15"]])
    assert sniff(file_info(snapshot), KINDS) is SNAPSHOT
    assert sniff(file_info(snapshot), SOURCE_KINDS) is None


def test_one_kinds_ingest_leaves_the_waiting_rows_of_other_kinds_alone(warehouse, src):
    from helpers import quarantine, rec, write_csv

    write_csv(src / "log" / "a.csv", [rec("HAN-2", correction="정정", corrects_record_id="HAN-1"), rec("HAN-3")])
    with wh.connect(warehouse) as con:
        ingest_files(con, discover([src / "log"]))  # the correction waits for HAN-1
        snapshot_file(src / "kstat" / "a.xlsx", [["전북", "2022", "1", "0", "2023-03-15"]])
        [result] = ingest_files(con, discover([src / "kstat"]), kinds=(SNAPSHOT,))
    assert (result.status, result.accepted) == ("loaded", 1)
    assert [q["reason_code"] for q in quarantine(warehouse)] == ["awaiting_target"]
