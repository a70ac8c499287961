"""Opening the warehouse: one configuration for the command line, the Dagster assets and tests.

DuckDB lets one process write a file at a time. A writer here first takes the project's writer
lock (a file beside the warehouse, held by each writing step of a run after its pool claim), waiting a
bounded time for another writer with a one-line message, then opens the file and brings the
event store's schema up to date.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.eventstore.migrations import migrate

DEFAULT_LOCK_TIMEOUT = 600.0  # seconds a writer waits for another; $JB_LOCK_TIMEOUT overrides


class WarehouseBusy(RuntimeError):
    """Another process writes the warehouse and did not finish in time."""


def lock_timeout() -> float:
    return float(os.environ.get("JB_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))


class BoundedWait:
    """A wait for something another process holds: said once on stderr, given up after `timeout`."""

    def __init__(self, timeout: float, interval: float = 0.2):
        self.timeout, self.interval = timeout, interval
        self.deadline, self.told = time.monotonic() + timeout, False

    def blocked(self, what: str, give_up: Exception) -> None:
        """One more round of waiting for `what`, or `give_up` raised when the time is over."""
        if time.monotonic() >= self.deadline:
            raise give_up
        if not self.told:
            print(f"waiting up to {self.timeout:.0f} s {what}", file=sys.stderr, flush=True)
            self.told = True
        time.sleep(self.interval)


# (lock path, thread) -> (fd, depth): re-entrant within a thread; another thread of the process
# waits like another process would (flock conflicts between descriptors)
_held: dict[tuple[str, int], tuple[int, int]] = {}


def _lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".writer.lock")


def _holder(lock: Path) -> str:
    try:
        return lock.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def writer_lock(warehouse: Path | str) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to `lock_timeout()` seconds for another writer."""
    lock = _lock_path(Path(warehouse).resolve())
    key = (str(lock), threading.get_ident())
    if key in _held:
        fd, depth = _held[key]
        _held[key] = (fd, depth + 1)
        try:
            yield
        finally:
            _held[key] = (fd, _held[key][1] - 1)
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    wait = BoundedWait(lock_timeout())
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(lock)
                busy = WarehouseBusy(
                    f"the warehouse {warehouse} is being written by {holder}; gave up after {wait.timeout:.0f} s "
                    f"(wait for it to finish, or stop it; JB_LOCK_TIMEOUT sets the wait)"
                )
                wait.blocked(f"for the warehouse: {holder} is writing it", busy)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({' '.join(sys.argv)[:200]})".encode())
        _held[key] = (fd, 1)
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse. A writer holds the writer lock while it is open and finds
    the event store migrated to this release's schema; its connection has the warehouse attached
    as its default database (`cursor` gives another thread a connection of its own)."""
    path = Path(path)
    if read_only:
        con = _open(path, read_only=True)
        try:
            yield con
        finally:
            con.close()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path):
        con = _open(path, read_only=False)
        try:
            # Checkpoint when the connection closes rather than every 16 MB of log: an ingest of
            # many files otherwise rewrites the growing table and its index again and again.
            con.execute("SET checkpoint_threshold = '1GB'")
            migrate(con, content_hashes())
            drop_interrupted_dbt_swaps(con)
            yield con
        finally:
            con.close()


def drop_interrupted_dbt_swaps(con: duckdb.DuckDBPyConnection) -> None:
    """dbt-duckdb rebuilds a table as `<model>__dbt_tmp`, renames the old one `<model>__dbt_backup`,
    commits, and only then drops the backup; a build killed in between leaves it beside the model
    until dbt rebuilds that same model, which a refused freeze or a run with nothing new never does."""
    for schema, name, kind in con.execute(
        "SELECT table_schema, table_name, CASE table_type WHEN 'VIEW' THEN 'VIEW' ELSE 'TABLE' END "
        "FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND (ends_with(table_name, '__dbt_backup') OR ends_with(table_name, '__dbt_tmp'))"
    ).fetchall():
        con.execute(f'DROP {kind} IF EXISTS "{schema}"."{name}"')


# Row groups of a writer's connection. A transaction that appends at least a row group writes it
# straight into the database file, compressed, instead of into the write-ahead log first and the
# file again at the checkpoint: an ingest's events are written once. DuckDB's default (122,880
# rows) is more than most ingests append, so they all went through the log.
WRITER_ROW_GROUP_SIZE = 16_384


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The warehouse attached as the connection's default database, waiting (bounded) while a
    process outside this project's lock holds the file."""
    wait = BoundedWait(lock_timeout())
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True)
            # spills beside the warehouse, as for a connection to the file itself (not in the cwd)
            con = duckdb.connect(config={"temp_directory": f"{path}.tmp"})
            try:
                quoted = str(path).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS warehouse (ROW_GROUP_SIZE {WRITER_ROW_GROUP_SIZE})")
                con.execute("USE warehouse")
            except BaseException:
                con.close()
                raise
            return con
        except duckdb.IOException as exc:
            busy = WarehouseBusy(f"cannot open the warehouse {path}: {str(exc).splitlines()[0]}")
            if "lock" not in str(exc).lower():
                raise busy from None
            wait.blocked(f"for the warehouse {path}: another process has it open", busy)


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the warehouse `con` is connected to (for another thread). A plain
    `con.cursor()` of a writer's connection starts in the in-memory default database."""
    other = con.cursor()
    other.execute(f"USE {con.execute('SELECT current_database()').fetchone()[0]}")
    return other


def content_hashes() -> dict[str, str]:
    """Each source kind's content hash over a stored payload, for the store's migrations."""
    from pipelines.ingest.prepare import stored_content_hash_sql
    from pipelines.ingest.sources import SOURCE_KINDS

    return {kind.name: stored_content_hash_sql(kind) for kind in SOURCE_KINDS}
