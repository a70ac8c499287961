"""What the last successful build was made of, so that a run with nothing new does nothing.

A build of the marts follows from: the files of the sources folder (path, size and modification
time, as the sources sensor sees them), the code and the seeds (the content of pipelines/,
schemas/, the dbt project and the locked packages), the store (its head, batches, quarantine,
resolutions and freezes: `ingest`, `requeue` or `freeze` may have changed it since), the
evaluation date (the live view is evaluated on today's date) and the analysts' file the build
writes. After a successful run their digest is kept beside the warehouse; the next run whose
digest is the same has nothing to do.

This module imports only the standard library and duckdb: deciding that there is nothing to do
costs a fraction of a second, not the seconds that Dagster, dbt and Great Expectations take to import.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.config import DBT_PROJECT_DIR, PROJECT_DIR, analyst_path
from pipelines.ingest.discovery import discover

# The files a build's result depends on, beside the sources and the store.
CODE = (
    (PROJECT_DIR / "pipelines", "**/*.py"),
    (PROJECT_DIR / "schemas", "**/*.py"),
    (DBT_PROJECT_DIR, "*.yml"),
    *((DBT_PROJECT_DIR / folder, "**/*") for folder in ("models", "macros", "seeds", "tests", "snapshots")),
    (PROJECT_DIR, "uv.lock"),
)
STORE = {
    "event_store": "max(position)",
    "ingest_batches": "max(batch_id)",
    "quarantine": "count(*)",
    "quarantine_resolutions": "count(*)",
    "evaluation_freezes": "max(freeze_id)",
}


# A run tagged so builds everything, whatever the last build was (`run --full-refresh`).
FULL_REFRESH_TAG = "jb/full_refresh"


@dataclass(frozen=True)
class LastBuild:
    digest: str
    run_id: str
    finished_at: str
    store_position: int
    code: str = ""  # code_digest() of the build: its seeds were loaded and its unit tests passed on that code
    evaluated_on: str = ""  # the evaluation date of the build's live view (ISO)
    store: str = ""  # the digest of the store it was built from (_state), the analysts' file aside


def mark_path(warehouse: Path) -> Path:
    return Path(warehouse).resolve().with_name(Path(warehouse).name + ".last_build.json")


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def code_files() -> list[str]:
    """Each file of the code and seeds with its content hash (the export's up-to-date test uses it too)."""
    return [
        f"{folder.name}/{p.relative_to(folder)}={hashlib.sha256(p.read_bytes()).hexdigest()}"
        for folder, pattern in CODE
        for p in sorted(folder.glob(pattern))
        if p.is_file()
    ]


def code_digest() -> str:
    return hashlib.sha256("\n".join(code_files()).encode()).hexdigest()


def last_build_on_this_code(warehouse: Path) -> LastBuild | None:
    """The last successful build of `warehouse` when it ran on today's code and seeds: dbt's unit
    tests (fixtures in, rows out) depend on the code alone, the seeds' tables and their tests on the
    seed files, so none of them need run again for new events."""
    last = last_build(warehouse)
    return last if last is not None and last.code == code_digest() else None


def marts_current(warehouse: Path, evaluated_on: date) -> LastBuild | None:
    """The last successful build when the marts are still what it made of the store: the same code
    and seeds, the same store (the analysts' copy aside), evaluated on `evaluated_on` (a freeze then
    records them without building them first). The source files do not count: the store has
    what the marts read."""
    last = last_build_on_this_code(warehouse)
    if last is None or last.evaluated_on != evaluated_on.isoformat():
        return None
    state = _state(Path(warehouse))
    return last if state is not None and last.store == state[0] else None


def _store(warehouse: Path) -> dict[str, object] | None:
    """The store's head and counts (STORE); None when it cannot be read now (absent, or a writer holds it)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    with con:
        try:
            return {
                table: con.execute(f"SELECT {what} FROM events.{table}").fetchone()[0] for table, what in STORE.items()
            }
        except duckdb.Error:  # a store of an older release, or no store yet: the run migrates it
            return None


def inputs(sources: Path, today: date | None = None) -> str:
    """The digest of what a build reads besides the store: the evaluation date, the source files, the code."""
    parts = [
        f"evaluation_date={(today or date.today()).isoformat()}",
        *(f"source {p.relative_to(sources)}={_stamp(p)}" for p in discover([sources])),
        *code_files(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _state(warehouse: Path) -> tuple[str, str, int] | None:
    """The digest of the store, the analysts' file's stamp and the store's head; None when the store
    cannot be read now (absent, of an older release, or held by a writer: the run goes ahead,
    migrates or waits)."""
    store = _store(warehouse)
    if store is None:
        return None
    analyst = analyst_path(warehouse)
    digest = hashlib.sha256("\n".join(f"{table}={value}" for table, value in store.items()).encode()).hexdigest()
    return digest, _stamp(analyst) if analyst.exists() else "absent", store["event_store"] or 0


def _digest(inputs_now: str, state: tuple[str, str, int]) -> str:
    return f"{inputs_now}:{state[0]}:{state[1]}"


def last_build(warehouse: Path) -> LastBuild | None:
    try:
        return LastBuild(**json.loads(mark_path(warehouse).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # no mark, or one this release does not read: build
        return None


def nothing_new(sources: Path, warehouse: Path, inputs_now: str | None = None) -> LastBuild | None:
    """The last successful build when nothing it depends on has changed since, else None
    (`inputs_now`: inputs(sources), when the caller has it already)."""
    last = last_build(warehouse)
    if last is None:
        return None
    state = _state(Path(warehouse))
    return last if state is not None and last.digest == _digest(inputs_now or inputs(sources), state) else None


def record(sources: Path, warehouse: Path, inputs_before: str, run_id: str) -> None:
    """After a successful run that started from `inputs_before`: keep the digest of what it left.
    A source file or the code changed while it ran is not in its marts, so then nothing is kept."""
    state = _state(Path(warehouse))
    if state is None or inputs(sources) != inputs_before:
        return
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    # inputs_before holds the code digest as it was when the run started: unchanged, as just checked
    # the evaluation date too: a run that crossed midnight changed inputs() and kept no mark above
    mark = LastBuild(
        _digest(inputs_before, state), run_id, finished, state[2], code_digest(), date.today().isoformat(), state[0]
    )
    path = mark_path(warehouse)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(mark.__dict__, indent=2), encoding="utf-8")
    os.replace(tmp, path)  # whole or not at all: a kill leaves the old mark
