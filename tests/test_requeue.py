"""Quarantine can be worked off: fix the cause, requeue, and the rows load with their first ids."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from helpers import cli, count, ingest, query, rec, write_csv

from pipelines import warehouse as wh
from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import dbt_executable
from pipelines.ingest.requeue import requeue

pytestmark = pytest.mark.slow


def dbt_build(project: Path, warehouse: Path) -> None:
    subprocess.run(
        [
            dbt_executable(),
            "build",
            "--quiet",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--vars",
            json.dumps({"warehouse": str(warehouse)}),
        ],
        check=True,
        cwd=project,
    )


def centres(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(
            con.execute(
                "SELECT center, difficulties_resolved FROM marts.result_evaluation WHERE year = 2022"
            ).fetchall()
        )
    finally:
        con.close()


def test_rows_of_an_unknown_centre_load_after_the_centre_is_added(tmp_path, src, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    warehouse = tmp_path / "w.duckdb"
    rows = [
        rec("TOK-1", center="도쿄", activity="애로해소"),
        rec("TOK-2", center="도쿄", activity="애로해소"),
        rec("HAN-1", activity="애로해소"),
        rec("HAN-2", date="2022-02-30"),
    ]
    [loaded] = ingest(warehouse, write_csv(src / "a.csv", rows))
    assert (loaded.accepted, loaded.quarantined) == (1, 3)
    dbt_build(project, warehouse)
    assert "tokyo" not in centres(warehouse)

    with (project / "seeds" / "centers.csv").open("a", encoding="utf-8") as f:
        f.write("tokyo,도쿄,Tokyo,JP,JPY,2024-01-01,\n")
    monkeypatch.setattr("pipelines.reference.SEEDS_DIR", project / "seeds")
    with wh.connect(warehouse) as con:
        [result] = requeue(con, reason="센터/center")
        assert (result.status, result.rows_in, result.accepted, result.quarantined) == ("requeued", 2, 2, 0)
        assert requeue(con) == []  # the bad date still fails: nothing settled, nothing recorded
    ids = dict(query(warehouse, "SELECT payload->>'record_id', event_id FROM events.event_store"))
    expected = query(warehouse, "SELECT md5('center_log|tokyo|TOK-1'), md5('center_log|tokyo|TOK-2')")[0]
    assert (ids["TOK-1"], ids["TOK-2"]) == expected  # the ids they would have had the first time
    assert query(warehouse, "SELECT source_row, resolution FROM events.quarantine_resolutions ORDER BY 1") == [
        (2, "accepted"),
        (3, "accepted"),
    ]
    batches = query(
        warehouse,
        "SELECT rows_in, rows_accepted, rows_duplicate, rows_quarantined FROM events.ingest_batches ORDER BY batch_id",
    )
    assert all(r[0] == r[1] + r[2] + r[3] for r in batches)
    assert count(warehouse, "quarantine") == 3  # quarantine rows stay as they were

    dbt_build(project, warehouse)
    assert centres(warehouse)["tokyo"] == 2 and centres(warehouse)["all"] == 3

    out = cli("requeue", "--warehouse", str(warehouse))
    assert out.returncode == 0 and "nothing settled" in out.stdout and "1 rows open" in out.stdout
    status = cli("status", "--warehouse", str(warehouse))
    assert "1 rows open" in status.stdout and "2 settled by requeue" in status.stdout


def test_a_requeue_with_nothing_open_says_so_rather_than_that_rows_still_fail(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    write_csv(tmp_path / "src" / "a.csv", [rec("HAN-1")])
    ingest(warehouse, tmp_path / "src")
    out = cli("requeue", "--warehouse", str(warehouse))
    assert out.returncode == 0, out.stderr
    assert "nothing to settle: no quarantined row is open" in out.stdout and "still fails" not in out.stdout
