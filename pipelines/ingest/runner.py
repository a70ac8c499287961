"""Ingest files into the event store: find them, recognise them by content, append each.

Each file is one batch in one transaction. A file that cannot be read is refused and logged;
the others still load. Files are taken in path order, so monthly files named by month load in
time order and a correction finds the record it corrects. A file whose bytes were loaded before
(under any name) is a duplicate batch and is not even parsed.
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
    prepare: Callable[[duckdb.DuckDBPyConnection, dict[int, Grid]], PreparedBatch]
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


@dataclass
class _Offered:
    """A file on its way in: read and recognised, or refused, or a copy of another file."""

    info: FileInfo
    kind: SourceKind | None = None
    grid: Grid | None = None
    refused: str | None = None
    copy: bool = False  # same bytes as an earlier file of this chunk: a duplicate once that one is in
    loaded: tuple[int, int] | None = None  # (batch, rows) that stored these bytes before


def _read(info: FileInfo) -> _Offered:
    path = info.path
    found: dict = {}

    def find_header(rows: list[list[str]]) -> int | None:
        hit = recognise(rows)
        if hit:
            found["kind"] = hit[1]
            return hit[0]
        return None

    kind = None
    try:
        grid = read_grid(path, find_header)
        kind = found.get("kind")
        if kind is None:
            known = "; ".join(k.description for k in SOURCE_KINDS)
            raise RefusedFile(path, f"no known header in its first rows (expected a {known})")
        problem = kind.header_problem(grid.header)
        if problem:
            raise RefusedFile(path, problem)
        return _Offered(info, kind, grid)
    except RefusedFile as exc:
        log.error("refused %s: %s", path, exc.reason)
        return _Offered(info, kind, refused=exc.reason)


def _flush(con: duckdb.DuckDBPyConnection, chunk: list[_Offered],
           progress: Callable[[BatchResult], None] | None) -> list[BatchResult]:
    """Prepare and judge the chunk's files set-wise, then append them one transaction each."""
    prepared: dict[str, PreparedBatch] = {}
    try:
        for kind in {o.kind for o in chunk if o.grid is not None}:
            grids = {i: o.grid for i, o in enumerate(chunk) if o.kind is kind and o.grid is not None}
            prepared[kind.name] = kind.prepare(con, grids)
            store.judge(con, prepared[kind.name], {i: chunk[i].info.path.name for i in grids})
    except Exception as exc:  # a file the parser could not handle: find it, the rest goes on
        for batch in prepared.values():
            batch.release()
        readable = [o for o in chunk if o.grid is not None]
        if len(readable) == 1:
            log.error("refused %s: %s", readable[0].info.path, exc)
            chunk = [_Offered(o.info, o.kind, refused=f"could not be typed ({type(exc).__name__}: {exc})")
                     if o.grid is not None else o for o in chunk]
            return _flush(con, chunk, progress)
        return [r for offered in chunk for r in _flush(con, [_alone(con, offered)], progress)]
    results: list[BatchResult] = []
    try:
        for i, offered in enumerate(chunk):
            if offered.refused is not None:
                result = store.record_refused(con, offered.info, offered.kind.name if offered.kind else None,
                                              offered.refused)
            elif offered.loaded is not None or offered.copy:
                loaded = offered.loaded or store.loaded_batch(con, offered.info.sha256)
                result = store.record_duplicate(con, offered.info, _loaded_kind(con, loaded[0]), loaded)
            else:
                result = store.append_file(con, i, offered.info, prepared[offered.kind.name],
                                           offered.grid.encoding)
            results.append(result)
            if progress:
                progress(result)
    finally:
        for batch in prepared.values():
            batch.release()
    return results


def _alone(con: duckdb.DuckDBPyConnection, offered: _Offered) -> _Offered:
    """The same file, to be handled in a chunk of its own (a copy no longer points into a chunk)."""
    if not offered.copy:
        return offered
    loaded = store.loaded_batch(con, offered.info.sha256)
    return _Offered(offered.info, loaded=loaded) if loaded else _read(offered.info)


def ingest_files(con: duckdb.DuckDBPyConnection, files: Iterable[Path],
                 progress: Callable[[BatchResult], None] | None = None,
                 chunk_rows: int = 500_000) -> list[BatchResult]:
    """Ingest files in order, each as its own batch and transaction.

    Files are read, typed and judged in chunks of about `chunk_rows` rows, set-wise (the cost
    of a statement is paid per chunk, not per file); each file is then appended on its own.
    A file judged in a chunk is judged as if the chunk's earlier files were already stored.
    """
    store.ensure_schema(con)
    results: list[BatchResult] = []
    chunk: list[_Offered] = []
    seen: set[str] = set()  # sha256 of the readable files of this chunk
    rows = 0
    for path in files:
        info = file_info(path)
        loaded = store.loaded_batch(con, info.sha256)
        if loaded:
            chunk.append(_Offered(info, loaded=loaded))
            continue
        if info.sha256 in seen:
            chunk.append(_Offered(info, copy=True))
            continue
        offered = _read(info)
        if offered.grid is not None:
            seen.add(info.sha256)
            rows += offered.grid.table.num_rows
        chunk.append(offered)
        if rows >= chunk_rows:
            results += _flush(con, chunk, progress)
            chunk, seen, rows = [], set(), 0
    if chunk:
        results += _flush(con, chunk, progress)
    return results


def _loaded_kind(con: duckdb.DuckDBPyConnection, batch_id: int) -> str | None:
    return con.execute("SELECT source_kind FROM events.ingest_batches WHERE batch_id = ?", [batch_id]).fetchone()[0]


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path) -> BatchResult:
    """Ingest one file as one batch."""
    [result] = ingest_files(con, [Path(path)])
    return result


def ingest_paths(warehouse: Path, paths: Iterable[Path | str],
                 progress: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    """Ingest every file under `paths` into the warehouse at `warehouse`."""
    files = discover(paths)
    with store.connect(warehouse) as con:
        return ingest_files(con, files, progress)
