"""Ingest files into the event store: find them, recognise them by content, append each.

Each file is one batch in one transaction. A file that cannot be read is refused and logged;
the others still load. Files are taken in path order, so monthly files named by month load in
time order and a correction finds the record it corrects.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from pipelines.eventstore import store
from pipelines.eventstore.batch import PreparedBatch
from pipelines.eventstore.store import BatchResult, FileInfo
from pipelines.ingest import center_log
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.readers import Grid, read_grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceKind:
    name: str
    is_header: Callable[[list[str]], bool]
    header_problem: Callable[[list[str]], str | None]
    prepare: Callable[[duckdb.DuckDBPyConnection, Grid], PreparedBatch]
    description: str


SOURCE_KINDS: tuple[SourceKind, ...] = (
    SourceKind(center_log.SOURCE_KIND, center_log.is_header, center_log.header_problem,
               center_log.prepare, "centre activity log (기록번호, 센터, 일자, 활동, …)"),
)


def recognise(rows: list[list[str]]) -> tuple[int, SourceKind] | None:
    """The first row that is the header of a known kind of file, and that kind."""
    for idx, row in enumerate(rows):
        for kind in SOURCE_KINDS:
            if kind.is_header(row):
                return idx, kind
    return None


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Files under the given files and folders, in path order; hidden and Office lock files skipped."""
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            found.update(f for f in p.rglob("*") if f.is_file()
                         and not any(part.startswith(".") for part in f.relative_to(p).parts)
                         and not f.name.startswith("~$"))
        elif p.is_file():
            found.add(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return sorted(found, key=lambda f: str(f))


def file_info(path: Path) -> FileInfo:
    data = path.read_bytes()
    return FileInfo(path.resolve(), hashlib.sha256(data).hexdigest(), len(data))


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path) -> BatchResult:
    info = file_info(path)
    loaded = store.loaded_batch(con, info.sha256)
    if loaded:
        kind = con.execute("SELECT source_kind FROM events.ingest_batches WHERE batch_id = ?",
                           [loaded[0]]).fetchone()[0]
        return store.record_duplicate(con, info, kind, loaded)
    kind: SourceKind | None = None
    try:
        found: dict = {}

        def find_header(rows: list[list[str]]) -> int | None:
            hit = recognise(rows)
            if hit:
                found["kind"] = hit[1]
                return hit[0]
            return None

        grid = read_grid(path, find_header)
        kind = found.get("kind")
        if kind is None:
            known = "; ".join(k.description for k in SOURCE_KINDS)
            raise RefusedFile(path, f"no known header in its first rows (expected a {known})")
        problem = kind.header_problem(grid.header)
        if problem:
            raise RefusedFile(path, problem)
        prepared = kind.prepare(con, grid)
        return store.append(con, info, prepared, grid.encoding)
    except RefusedFile as exc:
        log.error("refused %s: %s", path, exc.reason)
        return store.record_refused(con, info, kind.name if kind else None, exc.reason)


def ingest_files(con: duckdb.DuckDBPyConnection, files: Iterable[Path],
                 progress: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    store.ensure_schema(con)
    results = []
    for path in files:
        result = ingest_file(con, path)
        results.append(result)
        if progress:
            progress(result)
    return results


def ingest_paths(warehouse: Path, paths: Iterable[Path | str],
                 progress: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    """Ingest every file under `paths` into the warehouse at `warehouse`."""
    files = discover(paths)
    with store.connect(warehouse) as con:
        return ingest_files(con, files, progress)
