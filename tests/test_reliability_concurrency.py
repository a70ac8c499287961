"""Concurrent writers (reliability/concurrency.py): what its campaign found, kept as fast tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import PROJECT_DIR, instance_home, rec, write_csv

pytestmark = pytest.mark.slow

# A UI run's writing step: Dagster claims the `warehouse` pool for it, then it takes the writer lock.
UI_STEP = textwrap.dedent("""
    import sys, time, uuid
    from pathlib import Path
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
    from pipelines import warehouse as wh
    from pipelines.pool import process_tags
    home, warehouse, go = sys.argv[1:4]
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.from_config(home) as instance:
        started = DagsterRunStatus.STARTED
        instance.add_run(DagsterRun(job_name="ingest_and_build", run_id=run_id, status=started, tags=process_tags()))
        instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
        instance.event_log_storage.claim_concurrency_slot("warehouse", run_id, "center_log_events")
        print(run_id, flush=True)
        while not Path(go).exists():
            time.sleep(0.1)
        try:
            with wh.writer_lock(warehouse):
                print("wrote", flush=True)
        finally:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
""")


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "JB_"))}
    env.update(settings)
    return env


def test_a_cli_run_waits_for_a_ui_runs_step_without_holding_the_writer_lock(tmp_path: Path):
    home, warehouse, go = instance_home(tmp_path), tmp_path / "w.duckdb", tmp_path / "go"
    sources = tmp_path / "sources"
    write_csv(sources / "a.csv", [rec("HAN-1")])
    step = subprocess.Popen(
        [sys.executable, "-c", UI_STEP, str(home), str(warehouse), str(go)],
        cwd=PROJECT_DIR,
        env=_env(JB_LOCK_TIMEOUT="120"),
        stdout=subprocess.PIPE,
        text=True,
    )
    run = None
    try:
        run_id = step.stdout.readline().strip()
        run = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "run", "--sources", str(sources), "--warehouse", str(warehouse)],
            cwd=PROJECT_DIR,
            env=_env(DAGSTER_HOME=str(home), JB_LOCK_TIMEOUT="10"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        said = ""
        while "waiting up to" not in said and (line := run.stderr.readline()):
            said += line
        go.touch()  # the UI step asks for the writer lock while the CLI run waits for the pool
        assert step.stdout.readline().strip() == "wrote"
        assert step.wait(timeout=60) == 0
        out, err = run.communicate(timeout=600)
    finally:
        for process in (step, run):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert f"waiting up to 10 s for the warehouse pool, held by run {run_id}" in said
    assert run.returncode == 0, said + err[-3000:]
    assert "Traceback" not in said + err
