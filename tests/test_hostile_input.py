"""Regressions found by trying the ingest as a new user would, with hostile files and timing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from helpers import PROJECT_DIR, cli, count, events, ingest, instance_home, quarantine, query, rec, write_csv

HEADER = "기록번호,센터,일자,활동,기업번호\n"


# --------------------------------------------------------------------------- invisible characters


def test_bom_and_zero_width_characters_do_not_make_other_records(warehouse, src):
    ingest(warehouse, write_csv(src / "a.csv", [rec("HAN-1"), rec("HAN-2")]))
    # the same records, with a BOM / zero-width space at the start of cells and a decomposed 하노이
    text = (
        HEADER + "\ufeffHAN-1,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
        "HAN-2\u200b,\u200bhanoi,2022-03-05,시장정보제공,202-81-00011\n"
        "HAN-3,\u1112\u1161\u1102\u1169\u110b\u1175,2022-03-05,시장정보제공,202-81-00011\n"
    )
    path = src / "b.csv"
    path.write_text(text, encoding="utf-8")
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.duplicates, result.quarantined) == (1, 2, 0), quarantine(warehouse)
    assert {e["payload"]["record_id"] for e in events(warehouse)} == {"HAN-1", "HAN-2", "HAN-3"}


def test_invisible_characters_left_in_a_value_are_shown_escaped_in_the_reason(warehouse, src):
    path = src / "a.csv"
    path.write_text(HEADER + "HAN-1,ha\u00a0noi,2022-03-05,시장정보제공,202-81-00011\n", encoding="utf-8")
    ingest(warehouse, path)
    [q] = quarantine(warehouse)
    assert "'ha\\u00a0noi'" in q["reason"]
    assert "ha\u00a0noi" in q["raw_values"]  # the row as written keeps the character itself


def test_repeated_and_numbered_extra_headers_get_unique_names(warehouse, src):
    path = src / "a.csv"
    path.write_text(
        "기록번호,센터,일자,활동,기업번호,메모,메모,메모 (2)\nHAN-1,hanoi,2022-03-05,시장정보제공,202-81-00011,a,b,c\n",
        encoding="utf-8",
    )
    [result] = ingest(warehouse, path)
    assert (result.status, result.accepted) == ("loaded", 1)
    [e] = events(warehouse)
    assert sorted(e["payload"]["extra"].values()) == ["a", "b", "c"] and len(e["payload"]["extra"]) == 3


# --------------------------------------------------------------------------- corrections before their record


def test_a_correction_that_arrives_before_its_record_applies_when_it_arrives(warehouse, src):
    void = {
        "record_id": "HAN-9",
        "center": "hanoi",
        "date": "2022-03-20",
        "correction": "취소",
        "corrects_record_id": "HAN-1",
    }
    [first] = ingest(warehouse, write_csv(src / "01.csv", [void, rec("HAN-2")]))
    assert (first.accepted, first.quarantined) == (1, 1)
    assert "waits" in quarantine(warehouse)[0]["reason"]

    results = ingest(warehouse, write_csv(src / "02.csv", [rec("HAN-1")]))
    assert [(r.status, r.accepted) for r in results] == [("loaded", 1), ("requeued", 1)]
    by_id = {e["payload"]["record_id"]: e for e in events(warehouse)}
    assert by_id["HAN-9"]["event_type"] == "activity_voided"
    assert by_id["HAN-9"]["stream_id"] == by_id["HAN-1"]["stream_id"]
    assert (by_id["HAN-1"]["stream_version"], by_id["HAN-9"]["stream_version"]) == (1, 2)
    assert query(warehouse, "SELECT resolution FROM events.quarantine_resolutions") == [("accepted",)]
    assert ingest(warehouse, src) == []  # nothing left to do: the ledger does not grow


# --------------------------------------------------------------------------- an empty store


@pytest.mark.slow
def test_a_run_whose_store_stays_empty_passes_its_checks(tmp_path):
    from pipelines.dbt_project import ensure_manifest

    ensure_manifest()
    from pipelines.definitions import build_definitions

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "header_only.csv").write_text(HEADER, encoding="utf-8")
    (sources / "all_bad.csv").write_text(HEADER + "HAN-1,런던,2022-03-05,시장정보제공,202-81-00011\n", encoding="utf-8")
    job = build_definitions(sources, tmp_path / "w.duckdb").resolve_job_def("ingest_and_build")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["events_match_schema"] and checks["no_refused_files"]
    assert result.success


# --------------------------------------------------------------------------- another writer

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pipelines import warehouse as wh
    with wh.writer_lock(sys.argv[1]):
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _hold_lock(warehouse: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), str(seconds)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_writer_waits_a_bounded_time_then_fails_in_one_line(warehouse, src):
    write_csv(src / "a.csv", [rec("HAN-1")])
    holder = _hold_lock(warehouse, 30)
    try:
        out = cli("ingest", str(src), "--warehouse", str(warehouse), env={"JB_LOCK_TIMEOUT": "1"})
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 3
    assert "Traceback" not in out.stderr
    assert f"pid {holder.pid}" in out.stderr and "gave up after 1 s" in out.stderr
    assert "waiting up to 1 s" in out.stderr


@pytest.mark.slow
def test_a_writer_that_waits_gets_in_when_the_other_finishes_and_reports_only_its_own_batches(warehouse, tmp_path):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    write_csv(mine / "a.csv", [rec("HAN-1")])
    for i in range(3):
        write_csv(theirs / f"t{i}.csv", [rec(f"NDL-{i}", center="뉴델리")])
    ingest(warehouse, theirs)
    holder = _hold_lock(warehouse, 2)
    out = cli("ingest", str(mine), "--warehouse", str(warehouse), env={"JB_LOCK_TIMEOUT": "60"})
    holder.wait()
    assert out.returncode == 0, out.stderr
    assert "batches: 1 loaded" in out.stdout
    assert count(warehouse, "event_store") == 4


# --------------------------------------------------------------------------- a dead run's pool claim


def _stale_claim(home: Path, pid: int) -> str:
    """A STARTED run of process `pid` holding the warehouse slot, as a killed `make run` leaves it."""
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from pipelines.pool import HOST_TAG, PID_TAG

    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_run(
            DagsterRun(
                job_name="ingest_and_build",
                run_id=run_id,
                status=DagsterRunStatus.STARTED,
                tags={PID_TAG: str(pid), HOST_TAG: socket.gethostname()},
            )
        )
        instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
        instance.event_log_storage.claim_concurrency_slot("warehouse", run_id, "center_log_events")
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    return run_id


@pytest.fixture
def small_sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    write_csv(folder / "a.csv", [rec("HAN-1")])
    return folder


@pytest.mark.slow
def test_a_dead_runs_pool_claim_is_released_and_the_run_marked_failed(tmp_path, small_sources):
    home = instance_home(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = _stale_claim(home, dead.pid)

    out = cli(
        "run",
        "--sources",
        str(small_sources),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        env={"DAGSTER_HOME": str(home)},
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert f"released the warehouse pool slot of run {run_id}" in out.stderr
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(run_id).status.value == "FAILURE"
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


@pytest.mark.slow
def test_a_live_runs_pool_claim_is_waited_for_a_bounded_time_naming_it(tmp_path, small_sources):
    home = instance_home(tmp_path)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        run_id = _stale_claim(home, alive.pid)
        started = time.monotonic()
        out = cli(
            "run",
            "--sources",
            str(small_sources),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            env={"DAGSTER_HOME": str(home), "JB_LOCK_TIMEOUT": "2"},
            timeout=600,
        )
    finally:
        alive.kill()
        alive.wait()
    assert out.returncode == 3 and time.monotonic() - started < 120
    assert run_id in out.stderr and f"kill {alive.pid}" in out.stderr and "Traceback" not in out.stderr
    shutil.rmtree(home)


def test_a_ui_run_between_its_steps_is_alive_though_its_last_step_process_ended(tmp_path):
    """Found by the concurrency campaign under load: a UI run's steps run in subprocesses, and its
    `jb/pid` names the last step's, which ends while the run worker waits for the pool to start the
    next step. A CLI run took that for a dead run, released its claim and marked it failed; the run
    then went on and succeeded. A run lives while the process that executes it lives."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    from pipelines.pool import release_dead

    home = instance_home(tmp_path)
    step = subprocess.Popen([sys.executable, "-c", "pass"])
    step.wait()
    run_id = _stale_claim(home, step.pid)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        start = DagsterEvent(DagsterEventType.RUN_START.value, "ingest_and_build", pid=os.getpid())
        instance.report_dagster_event(start, run_id=run_id)  # the run worker: this process, alive
        assert release_dead(instance, "warehouse") == []
        assert instance.get_run_by_id(run_id).status.value == "STARTED"
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


def test_a_run_in_one_process_knows_its_steps_run_in_its_worker():
    """The dbt step imports Great Expectations in the background while dbt builds only when the
    suites will run in the same process: a CLI run (in-process), not a UI run's step subprocess."""
    from pipelines.pool import run_worker

    seen = []

    @dg.op
    def where(context):
        seen.append(run_worker(context.instance, context.run.run_id))

    @dg.job
    def one_process():
        where()

    with dg.DagsterInstance.ephemeral() as instance:
        assert one_process.execute_in_process(instance=instance).success
        assert run_worker(instance, "no-such-run") is None
    assert seen == [os.getpid()]
