"""The kill campaign (reliability/kills.py) in small, and the defect it found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from helpers import PROJECT_DIR, cli, consultation, count, ingest, rec, write_csv

from reliability.kills import campaign

pytestmark = pytest.mark.slow

KILLED_BEFORE_THE_WAITING_CORRECTIONS = textwrap.dedent("""
    import os, signal, sys
    from pipelines.ingest import runner

    runner.requeue = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)  # the step after the append
    runner.ingest_paths(sys.argv[1], [sys.argv[2]])
""")


def test_an_ingest_killed_after_its_append_still_applies_the_corrections_it_released(tmp_path):
    warehouse, src = tmp_path / "w.duckdb", tmp_path / "src"
    ingest(warehouse, write_csv(src / "01.csv", [consultation("HAN-9", correction="정정", corrects_record_id="HAN-1")]))
    assert count(warehouse, "quarantine", "reason_code = 'awaiting_target'") == 1
    record = write_csv(src / "02.csv", [consultation("HAN-1"), rec("HAN-2")])
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_THE_WAITING_CORRECTIONS, str(warehouse), str(record)],
        cwd=PROJECT_DIR,
        env=dict(os.environ, PYTHONPATH=str(PROJECT_DIR)),
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL
    assert count(warehouse, "event_store") == 2  # the record is in, its correction still waits

    again = cli("ingest", str(record), "--warehouse", str(warehouse))
    assert again.returncode == 0, again.stderr
    assert count(warehouse, "event_store") == 3
    assert count(warehouse, "quarantine_resolutions", "resolution = 'accepted'") == 1


def test_killed_ingests_and_requeues_converge_to_the_uninterrupted_store(tmp_path):
    out = campaign(17, quick=True, workdir=tmp_path / "kills", commands=("ingest", "requeue"), trials=1)
    assert out.kills >= 1 and out.clean, out.failures


HOLD_THE_FILE = (
    "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(10)\n"
)


def test_dbt_waits_for_an_orphaned_dbt_that_still_holds_the_warehouse(tmp_path):
    """Found by the kill campaign: `kill -9` of a `freeze` alone leaves its dbt build running, and the
    next freeze's dbt failed at once with DuckDB's lock error (a traceback) instead of waiting for it."""
    from pipelines.dbt_project import dbt_executable, dbt_vars

    warehouse = tmp_path / "w.duckdb"
    duckdb_holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    assert duckdb_holder.stdout.readline().strip() == "held"
    shown = subprocess.run(
        [dbt_executable(), "show", "--inline", "select 1 as one", "--vars", dbt_vars(str(warehouse))]
        + ["--target-path", str(tmp_path / "target")],  # not the project's manifest, which others read
        cwd=PROJECT_DIR / "dbt_project",
        capture_output=True,
        text=True,
        timeout=300,
    )
    duckdb_holder.wait()
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
    assert "Traceback" not in shown.stdout + shown.stderr


def test_a_writer_drops_what_a_killed_dbt_left_half_swapped(bundled_run, tmp_path):
    """Found by the kill campaign: a freeze killed in the dbt build that follows its record, between
    dbt-duckdb's commit of a rebuilt mart and its drop of the old one, left
    `marts.process_evaluation__dbt_backup` beside the mart. The freeze started again is refused as
    frozen already and builds nothing, so the stray stayed (dbt drops one only when it rebuilds that
    model). Any writer of the warehouse now drops them; an analyst's own table stays."""
    import shutil

    import duckdb

    from pipelines import warehouse as wh

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(bundled_run[0], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE marts.process_evaluation__dbt_backup AS SELECT * FROM marts.process_evaluation")
        con.execute("CREATE VIEW intermediate.int_activities__dbt_tmp AS SELECT 1 AS one")
        con.execute("CREATE TABLE marts.my__dbt_backup_notes AS SELECT 1 AS one")  # not dbt's name
    with wh.connect(warehouse):
        pass
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
    names = {f"{schema}.{table}" for schema, table in found}
    assert not {n for n in names if n.endswith(("__dbt_backup", "__dbt_tmp"))}, sorted(names)
    assert {"marts.my__dbt_backup_notes", "marts.process_evaluation"} <= names
