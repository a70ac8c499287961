"""One chunk of files into the store: each kind's grids prepared (typed, validated, shaped), then
judged and appended in one transaction. The run over files (`runner.py`) and the requeue
(`requeue.py`) both end here, so neither needs the other's internals."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipelines.eventstore import store
from pipelines.eventstore.batch import BatchResult, Offer, PreparedBatch
from pipelines.ingest.prepare import prepare
from pipelines.ingest.readers import Grid
from pipelines.ingest.source_kind import SourceKind


def flush(
    con: duckdb.DuckDBPyConnection,
    offers: list[Offer],
    grids: dict[int, tuple[SourceKind, Grid]],
    keep: Callable[[list[BatchResult]], bool] | None = None,
) -> list[BatchResult]:
    """Prepare the chunk's grids per kind, then judge and append the chunk in one transaction."""
    prepared: dict[str, PreparedBatch] = {}
    try:
        for kind in {k for k, _ in grids.values()}:
            prepared[kind.name] = prepare(con, kind, {n: g for n, (k, g) in grids.items() if k is kind})
        return store.append_chunk(con, offers, prepared, keep)
    finally:
        for batch in prepared.values():
            batch.release()
