"""The marts' Great Expectations suites (pipelines/quality) as Dagster asset checks: one check per
suite, on the mart it validates, run after every build. They are blocking: a failing invariant
(severity ERROR) stops every asset downstream of the mart (the analysts' file) in the same run. A
failing plausibility rule only warns (severity WARN, the rows in the check's metadata): the run and
the publish go on. Every outcome is also kept in the warehouse for the run's summary and `status`.

One multi-asset check runs the selected suites together, so GX is imported and its context set
up once per run, not once per suite. A routine build sets no export year (no upper bound on
years); the export validates again with its year. Data Docs go beside the warehouse file.
"""

from pathlib import Path

import dagster as dg

from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.assets.marts import mart_key
from pipelines.quality.recorded import record
from pipelines.quality.rules import planned_checks, suites
from pipelines.resources import Warehouse

DOCS_FOLDER = "data_docs"  # beside the warehouse file (git ignores it under warehouse/)

QUALITY_SPECS = [
    dg.AssetCheckSpec(
        check,
        asset=mart_key(mart),
        blocking=True,
        description=f"marts.{mart}: Great Expectations suite '{check}' (docs/quality.md).",
    )
    for mart, check in planned_checks()
]


@dg.multi_asset_check(
    specs=QUALITY_SPECS,
    name="mart_quality_rules",
    description="품질 규칙 / Business rules on the marts (Great Expectations), one check per suite.",
    can_subset=True,
    pool=WAREHOUSE_POOL,  # DuckDB refuses a reader while another process writes the file
)
def mart_quality_rules(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    from pipelines.quality.checkpoint import run_suites

    selected = {(k.asset_key, k.name) for k in context.selected_asset_check_keys}
    with warehouse.connect() as con:
        chosen = [s for s in suites(con, year=None) if (mart_key(s.mart), s.check) in selected]
        report = run_suites(con, chosen, docs_dir=Path(warehouse.database).parent / DOCS_FOLDER)
        record(con, [s.name for s in chosen], report.outcomes)

    def listed(outcomes) -> dg.MetadataValue:
        return dg.MetadataValue.md("\n".join(f"- {o.rule}: {o.observed}" for o in outcomes) or "none")

    for suite in chosen:
        outcomes = [o for o in report.outcomes if o.suite == suite.name]
        failed = [o for o in report.failed if o.suite == suite.name]
        warnings = [o for o in report.warnings if o.suite == suite.name]
        yield dg.AssetCheckResult(
            asset_key=mart_key(suite.mart),
            check_name=suite.check,
            passed=not failed and not warnings,
            # only an ERROR blocks what is downstream; a WARN shows in the UI and lets the run go on
            severity=dg.AssetCheckSeverity.ERROR if failed else dg.AssetCheckSeverity.WARN,
            metadata={
                "rules": len(outcomes),
                "failed": listed(failed),
                "warnings": listed(warnings),
                "data_docs": dg.MetadataValue.path(str(report.docs_index)),
            },
        )
    # a mart the warehouse lacks has no suite: say so rather than leave its check unanswered
    for asset_key, check in sorted(selected - {(mart_key(s.mart), s.check) for s in chosen}, key=str):
        yield dg.AssetCheckResult(
            asset_key=asset_key, check_name=check, passed=False, metadata={"failed": "the mart is not in the warehouse"}
        )


QUALITY_CHECKS = [mart_quality_rules]
