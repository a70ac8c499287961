"""Ingest assets: files of the sources folder into the event store."""


from collections import Counter

import pandera.pandas as pa

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import summary
from pipelines.eventstore import store
from pipelines.ingest.runner import discover, ingest_files
from pipelines.resources import SourcesFolder
from schemas.events import CENTER_LOG_EVENTS_SQL, CenterLogEvents

WAREHOUSE_POOL = "warehouse"  # DuckDB allows one writer per file: every writing step uses this pool


@dg.asset(
    key="center_log_events",
    group_name="ingest",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
    description=(
        "센터 활동기록 적재 / Centre activity logs from the sources folder, appended to "
        "events.event_store: one batch per file, bad rows to events.quarantine."
    ),
    check_specs=[dg.AssetCheckSpec("no_refused_files", asset="center_log_events",
                                   description="Every file offered in this run could be read.")],
)
def center_log_events(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                      sources: SourcesFolder):
    files = discover([sources.folder])
    context.log.info(f"{len(files)} files under {sources.folder}")

    def progress(result):
        context.log.info(
            f"{result.status:9} {result.file}: {result.accepted} accepted, "
            f"{result.duplicates} duplicate, {result.quarantined} quarantined"
            + (f" ({result.reason})" if result.reason else ""))

    with warehouse.get_connection() as con:
        store.ensure_schema(con)
        after_batch, _ = summary.store_marks(con)
        results = ingest_files(con, files, progress)
        events_total, last_position = con.execute(
            "SELECT count(*), max(position) FROM events.event_store").fetchone()
        reasons = summary.quarantine_summary(con, after_batch)
    statuses = Counter(r.status for r in results)
    refused = [f"{r.file}: {r.reason}" for r in results if r.status == "refused"]
    yield dg.MaterializeResult(
        metadata={
            "files": len(results),
            "files_loaded": statuses["loaded"],
            "files_duplicate": statuses["duplicate"],
            "files_refused": statuses["refused"],
            "rows_accepted": sum(r.accepted for r in results),
            "rows_duplicate": sum(r.duplicates for r in results),
            "rows_quarantined": sum(r.quarantined for r in results),
            "events_total": events_total,
            "last_position": last_position or 0,
            "quarantine_reasons": dg.MetadataValue.md(f"```\n{reasons}\n```"),
        },
        check_results=[dg.AssetCheckResult(
            check_name="no_refused_files", passed=not refused, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"refused": dg.MetadataValue.md("\n".join(f"- {r}" for r in refused) or "none")},
        )],
    )


@dg.asset_check(asset="center_log_events", name="events_match_schema", pool=WAREHOUSE_POOL,
                description="Stored centre-log events satisfy the pandera schema schemas/events.py.")
def center_log_events_match_schema(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    # In the pool too: DuckDB refuses a reader while another process (dbt) writes the file.
    with store.connect(warehouse.database, read_only=True) as con:
        frame = con.execute(CENTER_LOG_EVENTS_SQL).df()
    try:
        CenterLogEvents.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        by_check = cases.groupby(["column", "check"], dropna=False).size().reset_index(name="rows")
        return dg.AssetCheckResult(passed=False, metadata={
            "events": len(frame), "failures": dg.MetadataValue.md(f"```\n{by_check.to_string(index=False)}\n```")})
    return dg.AssetCheckResult(passed=True, metadata={"events": len(frame)})
