"""Ingest files into the event store: find them, recognise them by content, append them.

Files are taken in path order, so monthly files named by month load in time order. A file already
loaded or logged from the same path with the same bytes is not offered again; known bytes under
another name or path are a duplicate batch and are not parsed. The rest is read (in parallel
threads), typed and validated set-wise per chunk of about `chunk_rows` rows, then judged and
appended in one transaction per chunk. Only input problems refuse a file; anything else is a bug
and aborts the run with its traceback, leaving the chunk unrecorded.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import duckdb

from pipelines import warehouse as wh
from pipelines.eventstore.batch import BatchResult, FileInfo, Offer
from pipelines.eventstore.read import known_paths, loaded_batches
from pipelines.ingest.append import flush
from pipelines.ingest.discovery import discover
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.personal import mask_free_text
from pipelines.ingest.prepare import set_up
from pipelines.ingest.readers import Grid, HeaderAt, combine_header, head_rows, read_grid
from pipelines.ingest.requeue import requeue
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources import SOURCE_KINDS, by_name

log = logging.getLogger(__name__)

Progress = Callable[[BatchResult], None] | None
READ_AHEAD = 4  # files read ahead of the one being typed


def recognise(rows: list[list[str]], kinds: tuple[SourceKind, ...]) -> tuple[HeaderAt, SourceKind] | None:
    """The first row that starts the header of a known kind of file, and that kind."""
    for idx in range(len(rows)):
        for kind in kinds:
            at = HeaderAt(idx, kind.header_rows)
            if idx + at.rows <= len(rows):
                mapped = set(kind.fields.map_header(combine_header(rows, at)).values())
                if kind.recognises(mapped):
                    return at, kind
    return None


def header_problem(kind: SourceKind, header: list[str]) -> str | None:
    """Why a recognised header cannot be used, or None."""
    seen: dict[str, list[str]] = {}
    for i, name in kind.fields.map_header(header).items():
        seen.setdefault(name, []).append(header[i])
    twice = {f: hs for f, hs in seen.items() if len(hs) > 1}
    if twice:
        return "several columns mean the same field: " + "; ".join(f"{f} <- {', '.join(hs)}" for f, hs in twice.items())
    return None


def file_info(path: Path) -> FileInfo:
    data = path.read_bytes()
    return FileInfo(path.resolve(), hashlib.sha256(data).hexdigest(), len(data))


@dataclass
class _Read:
    kind: SourceKind | None = None
    grid: Grid | None = None
    refused: str | None = None


def read(info: FileInfo, kinds: tuple[SourceKind, ...] = SOURCE_KINDS) -> _Read:
    """The file's grid and kind, or why it is refused."""
    found: dict = {}

    def find_header(rows: list[list[str]]) -> HeaderAt | None:
        hit = recognise(rows, kinds)
        if hit:
            found["kind"] = hit[1]
            return hit[0]
        return None

    try:
        grid = read_grid(info.path, find_header)
        kind = found.get("kind")
        if kind is None:
            known = "; ".join(k.title for k in kinds)
            raise RefusedFile(info.path, f"no known header in its first rows (expected a {known})")
        problem = header_problem(kind, grid.header)
        if problem:
            raise RefusedFile(info.path, problem)
        return _Read(kind, mask_free_text(kind, kind.reshape(grid) if kind.reshape else grid))
    except RefusedFile as exc:
        log.error("refused %s: %s", info.path, exc.reason)
        return _Read(found.get("kind"), refused=exc.reason)


def _offers(
    con: duckdb.DuckDBPyConnection, files: Iterable[Path], kinds: tuple[SourceKind, ...]
) -> Iterator[tuple[Offer, tuple[SourceKind, Grid] | None]]:
    """Each file to offer, in path order, with its grid when it is to be loaded."""
    known, loaded_by_hash = known_paths(con), loaded_batches(con)
    seen: dict[str, Offer] = {}  # sha256 -> the first offer of these bytes in this call
    decided: list[Offer] = []
    with ThreadPoolExecutor(max_workers=2) as pool:  # hashing, pyarrow and calamine release the GIL
        for file_no, info in enumerate(pool.map(file_info, map(Path, files))):
            if (str(info.path), info.sha256) in known:
                continue
            first = seen.get(info.sha256)
            if first is not None and first.action == "duplicate":
                decided.append(replace(first, file_no=file_no, info=info))
            elif first is not None:
                decided.append(Offer(file_no, info, "copy", copy_of=first.file_no))
            else:
                loaded = loaded_by_hash.get(info.sha256)
                seen[info.sha256] = (
                    Offer(file_no, info, "duplicate", loaded[2], duplicate_of=loaded[0], rows_in=loaded[1])
                    if loaded
                    else Offer(file_no, info, "load")
                )
                decided.append(seen[info.sha256])
        # read ahead a few files at a time, in order: a chunk, not the whole folder, is in memory
        to_read = iter([o for o in decided if o.action == "load"])
        pending = deque(pool.submit(read, o.info, kinds) for o in islice(to_read, READ_AHEAD))
        for offer in decided:
            if offer.action != "load":
                yield offer, None
                continue
            r = pending.popleft().result()
            pending.extend(pool.submit(read, o.info, kinds) for o in islice(to_read, 1))
            if r.refused is not None:
                yield (
                    replace(offer, action="refused", source_kind=r.kind.name if r.kind else None, reason=r.refused),
                    None,
                )
            else:
                yield replace(offer, source_kind=r.kind.name, encoding=r.grid.encoding), (r.kind, r.grid)


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[Path],
    progress: Progress = None,
    chunk_rows: int = 1_000_000,
    kinds: tuple[SourceKind, ...] = SOURCE_KINDS,
) -> list[BatchResult]:
    """Ingest files in path order; then apply corrections that were waiting for these records."""
    results: list[BatchResult] = []
    offers: list[Offer] = []
    grids: dict[int, tuple[SourceKind, Grid]] = {}
    rows = 0

    def emit(batch: list[BatchResult]) -> None:
        results.extend(batch)
        for r in batch:
            if progress:
                progress(r)

    done: dict[int, BatchResult] = {}  # file_no -> what became of a file of an earlier chunk
    ready: set[str] = set()  # kinds whose lookups are built on the connection

    for offer, grid in _offers(con, files, kinds):
        if offer.copy_of in done:  # the same bytes as a file of an earlier chunk
            offer = offer.same_as(done[offer.copy_of])
        offers.append(offer)
        if grid:
            if grid[0].name not in ready:  # its lookups while the next files are read, not after
                set_up(con, (grid[0],))
                ready.add(grid[0].name)
            grids[offer.file_no] = grid
            rows += grid[1].table.num_rows
        if rows >= chunk_rows:
            flushed = flush(con, offers, grids)
            done.update(zip((o.file_no for o in offers), flushed))
            emit(flushed)
            offers, grids, rows = [], {}, 0
    if offers:
        emit(flush(con, offers, grids))
    # only a correction can wait for its target. Asked after every ingest, not only one that
    # loaded rows: a process killed between its append and this step left them waiting, and the
    # repeated ingest loads nothing (a requeue that settles nothing records nothing)
    waiting = tuple(k for k in kinds if k.correction)
    if waiting:
        emit(requeue(con, codes=("awaiting_target",), kinds=waiting))
    return results


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path) -> BatchResult:
    """Ingest one file as one batch (corrections it releases are requeue batches after it)."""
    return ingest_files(con, [Path(path)])[0]


def ingest_paths(warehouse: Path, paths: Iterable[Path | str], progress: Progress = None) -> list[BatchResult]:
    """Ingest every file under `paths` into the warehouse at `warehouse`."""
    files = discover(paths)
    with wh.connect(warehouse) as con:
        return ingest_files(con, files, progress)


_sniffed: dict[tuple[str, str, tuple[str, ...]], str | None] = {}  # (path, sha256, kinds) -> kind


def sniff(info: FileInfo, kinds: tuple[SourceKind, ...] = SOURCE_KINDS) -> SourceKind | None:
    """The kind of a file from its first rows only (None: no kind recognises it). Remembered by
    path and bytes: each source's asset asks about every new file."""
    key = (str(info.path), info.sha256, tuple(k.name for k in kinds))
    if key not in _sniffed:
        hits = (recognise(rows, kinds) for rows in head_rows(info.path))
        _sniffed[key] = next((hit[1].name for hit in hits if hit), None)
    return by_name(_sniffed[key], kinds) if _sniffed[key] else None


def new_files(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[Path],
    kind: SourceKind | None,
    kinds: tuple[SourceKind, ...] = SOURCE_KINDS,
) -> list[Path]:
    """The files not yet loaded or logged from their path that are of `kind` (None: of no kind),
    for one source's ingest asset."""
    known = known_paths(con)
    fresh = [info for info in map(file_info, map(Path, files)) if (str(info.path), info.sha256) not in known]
    return [info.path for info in fresh if sniff(info, kinds) is kind]
