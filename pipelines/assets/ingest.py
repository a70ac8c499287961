"""Ingest assets: one per source kind, made from the registry, plus one for unrecognised files.

Each asset offers the new files of its kind under the sources folder to the event store and
reports what became of them; each has its own checks: every file could be read, and the stored
events of its kind satisfy their pandera schema.
"""

from collections import Counter

import dagster as dg

from pipelines import summary
from pipelines.assets.schema_checks import schema_result
from pipelines.eventstore import read
from pipelines.ingest.discovery import discover
from pipelines.ingest.runner import ingest_files, new_files
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources import SOURCE_KINDS
from pipelines.pool import tag_step
from pipelines.reference import SeedError, check_seeds
from pipelines.resources import SourcesFolder, Warehouse
from schemas.events import STORED_EVENTS_SQL, stored_events_schema

WAREHOUSE_POOL = "warehouse"  # DuckDB allows one writer per file: every writing step uses this pool
UNRECOGNISED = "unrecognised_sources"


def checked_seeds(context: dg.AssetExecutionContext) -> None:
    """The lookups and dbt's seed load read the seeds alike, or the step fails before reading any
    (a run from the UI; the command line checks them first)."""
    try:
        for note in check_seeds():
            context.log.info(note)
    except SeedError as exc:
        raise dg.Failure(description=f"fix the reference seeds first:\n{exc}") from exc


def _ingest(
    context: dg.AssetExecutionContext, warehouse: Warehouse, sources: SourcesFolder, kind: SourceKind | None, key: str
) -> dg.MaterializeResult:
    def progress(result):
        context.log.info(
            f"{result.status:9} {result.file}: {result.accepted} accepted, "
            f"{result.duplicates} duplicate, {result.quarantined} quarantined"
            + (f" ({result.reason})" if result.reason else "")
        )

    tag_step(context)
    checked_seeds(context)
    with warehouse.connect() as con:
        files = new_files(con, discover([sources.folder]), kind)
        context.log.info(f"{len(files)} new files of {kind.name if kind else 'no known kind'} under {sources.folder}")
        results = ingest_files(con, files, progress, kinds=(kind,) if kind else SOURCE_KINDS)
        events_total, last_position = read.head(con, kind.name) if kind else (0, 0)
        reasons = summary.quarantine_summary(con, [r.batch_id for r in results])
    statuses = Counter(r.status for r in results)
    refused = [f"{r.file}: {r.reason}" for r in results if r.status == "refused"]
    return dg.MaterializeResult(
        metadata={
            "files": len(results),
            "files_loaded": statuses["loaded"],
            "files_duplicate": statuses["duplicate"],
            "files_refused": statuses["refused"],
            "batches": dg.MetadataValue.json([r.batch_id for r in results]),
            "rows_accepted": sum(r.accepted for r in results),
            "rows_duplicate": sum(r.duplicates for r in results),
            "rows_quarantined": sum(r.quarantined for r in results if r.status == "loaded"),
            "rows_requeued": sum(r.accepted + r.duplicates for r in results if r.status == "requeued"),
            "events_total": events_total,
            "last_position": last_position,
            "quarantine_reasons": dg.MetadataValue.md(f"```\n{reasons}\n```"),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="no_refused_files",
                asset_key=key,
                passed=not refused,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"refused": dg.MetadataValue.md("\n".join(f"- {r}" for r in refused) or "none")},
            )
        ],
    )


def ingest_asset(kind: SourceKind) -> dg.AssetsDefinition:
    key = kind.source_table

    @dg.asset(
        key=key,
        group_name="ingest",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "python"},
        description=f"{kind.title}: new files of this kind under the sources folder, appended to "
        "events.event_store (one batch per file, bad rows to events.quarantine).",
        check_specs=[
            dg.AssetCheckSpec(
                "no_refused_files", asset=key, description="Every file of this kind offered in this run could be read."
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse, sources: SourcesFolder):
        return _ingest(context, warehouse, sources, kind, key)

    return _asset


@dg.asset(
    key=UNRECOGNISED,
    group_name="ingest",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
    description="알 수 없는 파일 / Files under the sources folder that no source kind recognises: each is "
    "recorded as a refused batch with the reason, and fails the check.",
    check_specs=[
        dg.AssetCheckSpec(
            "no_refused_files",
            asset=UNRECOGNISED,
            description="Every file under the sources folder is of a known kind.",
        )
    ],
)
def unrecognised_sources(context: dg.AssetExecutionContext, warehouse: Warehouse, sources: SourcesFolder):
    return _ingest(context, warehouse, sources, None, UNRECOGNISED)


def _events_result(con, kind: SourceKind) -> dg.AssetCheckResult:
    frame = con.execute(STORED_EVENTS_SQL, [kind.name]).df()
    key = dg.AssetCheckKey(dg.AssetKey(kind.source_table), "events_match_schema")
    return schema_result(key, frame, stored_events_schema(kind), "events")


# One step for every kind (a step each cost more in Dagster's bookkeeping than the check).
@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "events_match_schema",
            asset=kind.source_table,
            description=f"Stored {kind.name} events satisfy the pandera schema of schemas/events.py.",
        )
        for kind in SOURCE_KINDS
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,  # DuckDB refuses a reader while another process (dbt) writes the file
)
def stored_events_schemas(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    kinds = {kind.source_table: kind for kind in SOURCE_KINDS}
    with warehouse.connect(read_only=True) as con:
        for key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path):
            yield _events_result(con, kinds[key.asset_key.path[-1]])


# The store as a whole, written by every kind's ingest: dbt reads its head (the last position) for
# the live evaluation view (source events.event_store), so the graph shows what that view follows.
EVENT_STORE = dg.AssetSpec(
    key=["events", "event_store"],
    group_name="ingest",
    kinds={"duckdb"},
    deps=[kind.source_table for kind in SOURCE_KINDS],
    description="이벤트 저장소 전체 / events.event_store, every kind's events: the live evaluation sees it up to "
    "its head.",
)

INGEST_ASSETS = [ingest_asset(kind) for kind in SOURCE_KINDS] + [unrecognised_sources, EVENT_STORE]
INGEST_CHECKS = [stored_events_schemas]
