"""The code location as the UI and the daemon load it: the whole `Definitions` in a code server,
not the in-process job runs the other tests use (a name clash between a job and an asset's op
passed every in-process test and kept the UI from loading the project)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from helpers import PROJECT_DIR, instance_home

from pipelines.dbt_project import ensure_manifest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
LOCATION = "pipelines.definitions"
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a `Definitions`

WORKSPACE = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename
    ... on PythonError { message }
    ... on RepositoryLocation { repositories { name
      jobs { name } schedules { name } sensors { name } assetNodes { assetKey { path } } } } } } } } }"""

SCHEDULE_DRY_RUN = """mutation($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) { __typename
    ... on PythonError { message }
    ... on DryRunInstigationTick { evaluationResult { skipReason cursor error { message }
      runRequests { runKey tags { key value } } } } } }"""

SENSOR_DRY_RUN = """mutation($selector: SensorSelector!, $cursor: String) {
  sensorDryRun(selectorData: $selector, cursor: $cursor) { __typename
    ... on PythonError { message }
    ... on DryRunInstigationTick { evaluationResult { skipReason cursor error { message }
      runRequests { runKey tags { key value } } } } } }"""


def _environment(home: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "JB_"))}
    env.update(DAGSTER_HOME=str(home), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", **settings)
    return env


def test_dagster_definitions_validate_passes(tmp_path):
    ensure_manifest()
    out = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", LOCATION],
        cwd=PROJECT_DIR,
        env=_environment(instance_home(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "All code locations passed validation" in out.stdout + out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webserver:
    """`dagster-webserver` on a loopback port, queried through its GraphQL endpoint."""

    def __init__(self, url: str):
        self.url = url

    def query(self, text: str, **variables) -> dict:
        answer = requests.post(f"{self.url}/graphql", json={"query": text, "variables": variables}, timeout=120)
        answer.raise_for_status()
        body = answer.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def location(self, deadline_s: float = 240) -> dict:
        """The code location's entry once it has finished loading."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                entries = self.query(WORKSPACE)["workspaceOrError"]["locationEntries"]
                entry = next(e for e in entries if e["name"] == LOCATION)
                if entry["loadStatus"] == "LOADED":
                    return entry
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the code location did not load in time"
            time.sleep(1)

    def selector(self, **name) -> dict:
        return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, **name}


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """The UI's server on the project, watching a sources folder with one centre log."""
    ensure_manifest()
    tmp = tmp_path_factory.mktemp("ui")
    sources = tmp / "sources"
    log_file = Path("center_logs/hanoi/2019/hanoi_2019-11.xlsx")
    (sources / log_file.parent).mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "sources" / log_file, sources / log_file)
    port = _free_port()
    env = _environment(
        instance_home(tmp), JB_SOURCES=str(sources), JB_WAREHOUSE=str(tmp / "w.duckdb"), JB_EXPORTS=str(tmp / "x")
    )
    log = (tmp / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Webserver(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_ui_loads_the_code_location_with_its_assets_jobs_schedules_and_sensor(webserver):
    entry = webserver.location()
    loaded = entry["locationOrLoadError"]
    assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
    (repository,) = loaded["repositories"]
    assert repository["name"] == REPOSITORY
    assert {j["name"] for j in repository["jobs"]} >= {"ingest_and_build", "freeze_and_export"}
    assert {s["name"] for s in repository["schedules"]} == {"monthly_ingest_and_build", "yearly_freeze_and_export"}
    assert {s["name"] for s in repository["sensors"]} == {"sources_sensor", "last_build_mark"}
    keys = {"/".join(a["assetKey"]["path"]) for a in repository["assetNodes"]}
    assert {"center_log_events", "marts/result_evaluation", "analyst_marts", "annual_export"} <= keys


def _tick(answer: dict) -> dict:
    (result,) = answer.values()
    assert result["__typename"] == "DryRunInstigationTick", result.get("message")
    evaluation = result["evaluationResult"]
    assert evaluation["error"] is None, evaluation["error"]
    return evaluation


def test_each_schedule_evaluates_in_the_loaded_code_location(webserver):
    webserver.location()
    seoul = ZoneInfo("Asia/Seoul")
    yearly = _tick(
        webserver.query(
            SCHEDULE_DRY_RUN,
            selector=webserver.selector(scheduleName="yearly_freeze_and_export"),
            timestamp=dt.datetime(2026, 1, 15, 7, tzinfo=seoul).timestamp(),
        )
    )
    (request,) = yearly["runRequests"]
    tags = {t["key"]: t["value"] for t in request["tags"]}
    assert (tags["dagster/partition"], request["runKey"]) == ("2025", "annual_export_2025")
    monthly = _tick(
        webserver.query(
            SCHEDULE_DRY_RUN,
            selector=webserver.selector(scheduleName="monthly_ingest_and_build"),
            timestamp=dt.datetime(2026, 2, 2, 6, tzinfo=seoul).timestamp(),
        )
    )
    assert len(monthly["runRequests"]) == 1


def test_the_sources_sensor_evaluates_in_the_loaded_code_location(webserver):
    webserver.location()
    selector = webserver.selector(sensorName="sources_sensor")
    first = _tick(webserver.query(SENSOR_DRY_RUN, selector=selector, cursor=None))
    (request,) = first["runRequests"]
    assert {"key": "new_files", "value": "1"} in request["tags"]
    again = _tick(webserver.query(SENSOR_DRY_RUN, selector=selector, cursor=first["cursor"]))
    assert again["runRequests"] == [] and again["skipReason"] == "no new or changed files"
