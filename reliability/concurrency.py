"""Concurrency: a run launched from the UI, a CLI `run` and a `requeue` at once on one warehouse,
while an analyst queries `analyst.duckdb` every second.

The UI is the project's own: `dagster-webserver` and `dagster-daemon` on the code location with a
private DAGSTER_HOME (the project's dagster.yaml: the queued run coordinator, so the daemon starts
the run worker), the run launched through the GraphQL `launchRun` mutation as the Launchpad does.
The CLI commands share that DAGSTER_HOME, as `make` sets it. Each round restores the warehouse
built from a few bundled centre logs, adds a few more to the sources folder, and starts the three
writers at seeded offsets. Then:

- every writer finishes within its bound (JB_LOCK_TIMEOUT plus its own work), none fails;
- a writer that waited said whom for (a process id or a run id, not "another process");
- the event store equals that of the same commands run one after another: events, event ids
  and contents, loaded batches, quarantine; positions gap-free; the batch ledger balanced;
- the analysts' file has the reference's marts, and none of the analyst's queries failed.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import requests

from reliability.outcome import Outcome

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOCATION, REPOSITORY, JOB = "pipelines.definitions", "__repository__", "ingest_and_build"
LOCK_TIMEOUT = 300  # s: longer than any writer's work here, so every waiter gets in
BOUND = LOCK_TIMEOUT + 300  # s: a command running longer than this hangs
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
NAMED = re.compile(r"waiting up to \d+ s for the (?:warehouse: pid \d+|warehouse pool, held by run [0-9a-f-]{36})")

LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""
TERMINATE = """mutation($id: String!) { terminateRun(runId: $id) { __typename } }"""
RUN_STATUS = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"""
SENSOR = """query($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) { __typename
  ... on Sensor { jobOriginId sensorState { id selectorId status } } } }"""
STOP_SENSOR = """mutation($id: String, $origin: String, $selectorId: String) {
  stopSensor(id: $id, jobOriginId: $origin, jobSelectorId: $selectorId) { __typename } }"""
LOCATION_STATUS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

# What the two warehouses must agree on: nothing stored twice, nothing lost.
STORE_FIGURES = {
    "events": "SELECT count(*) FROM events.event_store",
    "event ids": "SELECT count(DISTINCT event_id) FROM events.event_store",
    "contents": "SELECT coalesce(bit_xor(hash(event_id, content_hash, stream_id, event_type)), 0) "
    "FROM events.event_store",
    "loaded files": "SELECT count(*) FROM events.ingest_batches WHERE status = 'loaded'",
    "distinct loaded files": "SELECT count(DISTINCT file_hash) FROM events.ingest_batches WHERE status = 'loaded'",
    "quarantined rows": "SELECT count(*) FROM events.quarantine",
    "requeue resolutions": "SELECT count(*) FROM events.quarantine_resolutions",
}
# What must hold in the concurrent warehouse alone.
STORE_INVARIANTS = {
    "duplicate event ids": "SELECT count(*) - count(DISTINCT event_id) FROM events.event_store",
    "position gaps": "SELECT coalesce(max(position), 0) - count(*) FROM events.event_store",
    "unbalanced batches": "SELECT count(*) FROM events.ingest_batches "
    "WHERE rows_in <> rows_accepted + rows_duplicate + rows_quarantined",
    "batches whose events differ from their ledger row": "SELECT count(*) FROM events.ingest_batches AS b "
    "WHERE status IN ('loaded', 'requeued') "
    "AND rows_accepted <> (SELECT count(*) FROM events.event_store AS e WHERE e.batch_id = b.batch_id)",
    "events of no batch": "SELECT count(*) FROM events.event_store "
    "WHERE batch_id NOT IN (SELECT batch_id FROM events.ingest_batches)",
}


def _environment(home: Path, sources: Path, warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "JB_"))}
    env.update(
        DAGSTER_HOME=str(home),
        JB_SOURCES=str(sources),
        JB_WAREHOUSE=str(warehouse),
        JB_ANALYST=str(warehouse.with_name("analyst.duckdb")),
        JB_LOCK_TIMEOUT=str(LOCK_TIMEOUT),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def _instance_home(root: Path) -> Path:
    home = root / "dagster_home"
    home.mkdir(parents=True)
    config = (PROJECT_DIR / "dagster.yaml").read_text(encoding="utf-8").replace(".dagster", str(home / ".dagster"))
    (home / "dagster.yaml").write_text(config, encoding="utf-8")
    return home


def _pipelines(env: dict, *args: str, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines", *args], cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen) -> None:
    """End a process this campaign started (and its children: each runs in its own session)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def _figures(warehouse: Path, queries: dict[str, str]) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: con.execute(sql).fetchone()[0] for name, sql in queries.items()}


def _marts(analyst: Path) -> dict[str, tuple]:
    """Each published mart's rows and an order-free checksum of them."""
    with duckdb.connect(str(analyst), read_only=True) as con:
        (marts,) = con.execute("SELECT marts FROM publication").fetchone()
        return {
            m: con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM marts.{m} AS t").fetchone()
            for m in marts
        }


class Analyst(threading.Thread):
    """Queries the analysts' file every second, as an analyst's notebook does; counts failures."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.queries, self.failures = path, 0, []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            self.queries += 1
            try:
                with duckdb.connect(str(self.path), read_only=True) as con:
                    (marts,) = con.execute("SELECT marts FROM publication").fetchone()
                    con.execute(" UNION ALL ".join(f"SELECT count(*) FROM marts.{m}" for m in marts)).fetchall()
            except Exception as exc:  # any failure is what this counts
                self.failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")


class UI:
    """The Dagster webserver and daemon on the code location, driven through GraphQL."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.processes = env, logs, []
        self.url = ""

    def _start(self, *command: str, log: str) -> None:
        with (self.logs / log).open("w") as out:
            self.processes.append(
                subprocess.Popen(
                    command, cwd=PROJECT_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    def start(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/graphql"
        self._start(str(BIN / "dagster-webserver"), "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port), log="web.log")
        deadline = time.monotonic() + 300
        while True:
            try:
                entries = self.query(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
                entry = next(e for e in entries if e["name"] == LOCATION)
                if entry["loadStatus"] == "LOADED":
                    loaded = entry["locationOrLoadError"]
                    if loaded["__typename"] != "RepositoryLocation":
                        raise RuntimeError(f"the code location did not load: {loaded.get('message')}")
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the webserver did not load the code location in 300 s")
            time.sleep(1)
        # Stop the sources sensor before the daemon ticks it: it would start runs of its own.
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": "sources_sensor"}
        sensor = self.query(SENSOR, selector=selector)["sensorOrError"]
        state = sensor["sensorState"]
        self.query(STOP_SENSOR, id=state["id"], origin=sensor["jobOriginId"], selectorId=state["selectorId"])
        self._start(str(BIN / "dagster-daemon"), "run", "-m", LOCATION, log="daemon.log")

    def query(self, text: str, **variables) -> dict:
        answer = requests.post(self.url, json={"query": text, "variables": variables}, timeout=120)
        answer.raise_for_status()
        body = answer.json()
        if "errors" in body:
            raise RuntimeError(str(body["errors"])[:500])
        return body["data"]

    def launch(self) -> str:
        params = {"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": JOB}}
        answer = self.query(LAUNCH, params=params)["launchRun"]
        if answer["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun: {answer}")
        return answer["run"]["runId"]

    def status(self, run_id: str) -> str:
        return self.query(RUN_STATUS, id=run_id)["runOrError"]["status"]

    def stop(self) -> None:
        for process in reversed(self.processes):
            _stop(process)


def _waits(text: str) -> list[str]:
    return [line for line in text.splitlines() if "waiting up to" in line]


def _round(
    number: int, rng: random.Random, ui: UI, env: dict, paths: dict[str, Path], reference: dict, outcome: Outcome
) -> None:
    warehouse, analyst, logs = paths["warehouse"], paths["analyst"], paths["logs"] / f"round{number}"
    logs.mkdir()
    for name in ("warehouse", "analyst"):
        shutil.copy(paths[f"base_{name}"], paths[name])
    offsets = {w: rng.uniform(0, 15) for w in ("ui", "run", "requeue")}
    reader = Analyst(analyst)
    reader.start()
    started, processes, run_id = time.monotonic(), {}, None
    for writer, offset in sorted(offsets.items(), key=lambda item: item[1]):
        time.sleep(max(0.0, started + offset - time.monotonic()))
        if writer == "ui":
            run_id = ui.launch()
        else:
            processes[writer] = _pipelines(env, writer, log=logs / f"{writer}.log")
    done: dict[str, str] = {}
    while len(done) < 3:
        for writer, process in processes.items():
            if writer not in done and process.poll() is not None:
                done[writer] = f"exit {process.returncode}"
        if "ui" not in done and ui.status(run_id) in FINISHED:
            done["ui"] = ui.status(run_id)
        if time.monotonic() - started > BOUND + 15:
            for writer in {"ui", *processes} - done.keys():
                outcome.hangs += 1
                outcome.failures.append(f"round {number}: {writer} still running after {BOUND} s (logs {logs})")
                if writer in processes:
                    processes[writer].kill()
                    processes[writer].wait()
                else:  # stopped as a user stops it in the UI, so the next round starts clean
                    ui.query(TERMINATE, id=run_id)
            break
        time.sleep(1)
    reader.done.set()
    reader.join()
    outcome.inputs += 3 + reader.queries
    where = f"round {number} (offsets {', '.join(f'{w} {o:.1f} s' for w, o in offsets.items())}; logs {logs})"

    said = {w: (logs / f"{w}.log").read_text(encoding="utf-8", errors="replace") for w in processes}
    said["ui"] = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (paths["home"] / ".dagster" / "logs").rglob("*")
        if p.is_file() and run_id in str(p) and p.suffix == ".err"
    )
    for writer, text in said.items():
        outcome.tracebacks += text.count("Traceback (most recent call last)")
        for line in _waits(text):
            if not NAMED.search(line):
                outcome.failures.append(f"{where}: {writer} waited without naming whom for: {line.strip()}")
    for writer, status in done.items():
        if status not in ("exit 0", "SUCCESS"):
            outcome.failures.append(f"{where}: {writer} ended with {status}")
    waited = sorted(w for w, text in said.items() if _waits(text))

    figures = _figures(warehouse, STORE_FIGURES)
    for name, expected in reference["store"].items():
        if figures[name] != expected:
            outcome.failures.append(f"{where}: {name} {figures[name]}, sequentially {expected}")
    outcome.rows_lost += abs(figures["events"] - reference["store"]["events"])
    for name, value in _figures(warehouse, STORE_INVARIANTS).items():
        if value:
            outcome.failures.append(f"{where}: {value} {name}")
    marts = _marts(analyst)
    for mart, expected in reference["marts"].items():
        if marts.get(mart) != expected:
            outcome.failures.append(f"{where}: analysts' marts.{mart} {marts.get(mart)}, sequentially {expected}")
    for failure in sorted(set(reader.failures)):
        outcome.failures.append(f"{where}: analyst query failed {reader.failures.count(failure)}x: {failure}")
    print(
        f"  concurrency round {number}: {', '.join(f'{w} {s}' for w, s in sorted(done.items()))}; "
        f"waited: {', '.join(waited) or 'none'}; {reader.queries} analyst queries, {len(reader.failures)} failed "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )


def _sources(root: Path, rng: random.Random, base_files: int, new_files: int) -> tuple[Path, Path]:
    """A folder of a few bundled centre logs (the base) and one with a few more (the round's)."""
    logs = sorted((PROJECT_DIR / "sources" / "center_logs").rglob("*.*"))
    chosen = rng.sample(logs, base_files + new_files)
    base, full = root / "sources_base", root / "sources"
    for i, path in enumerate(chosen):
        for folder in (base, full) if i < base_files else (full,):
            target = folder / path.relative_to(PROJECT_DIR / "sources")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return base, full


def _sequential(env: dict, logs: Path, outcome: Outcome, *commands: tuple[str, ...]) -> None:
    for command in commands:
        log = logs / f"{'-'.join(command)}.log"
        process = _pipelines(env, *command, log=log)
        if process.wait(timeout=BOUND) != 0:
            raise RuntimeError(f"`pipelines {' '.join(command)}` failed: {log.read_text()[-2000:]}")
        outcome.inputs += 1


def campaign(seed: int, quick: bool, workdir: Path) -> Outcome:
    outcome = Outcome("concurrency")
    rng = random.Random(seed)
    rounds = 1 if quick else 5
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    base_sources, sources = _sources(workdir, rng, base_files=3, new_files=4)
    home = _instance_home(workdir)

    # The starting state, and the reference: the same commands one after another.
    base = workdir / "base" / "jeonbuk.duckdb"
    _sequential(_environment(home, base_sources, base), logs, outcome, ("run",))
    ref = workdir / "reference" / "jeonbuk.duckdb"
    ref.parent.mkdir()
    shutil.copy(base, ref)
    shutil.copy(base.with_name("analyst.duckdb"), ref.with_name("analyst.duckdb"))
    _sequential(_environment(home, sources, ref), logs, outcome, ("run",), ("requeue",))
    reference = {"store": _figures(ref, STORE_FIGURES), "marts": _marts(ref.with_name("analyst.duckdb"))}

    warehouse = workdir / "concurrent" / "jeonbuk.duckdb"
    warehouse.parent.mkdir()
    paths = {
        "warehouse": warehouse,
        "analyst": warehouse.with_name("analyst.duckdb"),
        "base_warehouse": base,
        "base_analyst": base.with_name("analyst.duckdb"),
        "logs": logs,
        "home": home,
    }
    env = _environment(home, sources, warehouse)
    ui = UI(env, logs)
    try:
        ui.start()
        for number in range(1, rounds + 1):
            _round(number, rng, ui, env, paths, reference, outcome)
    finally:
        ui.stop()
    return outcome
