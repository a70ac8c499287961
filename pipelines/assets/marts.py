"""Asset checks on the marts dbt builds: their pandera schemas (schemas/marts.py), and that every
frozen year still reproduces its freeze (pipelines/freeze.py)."""

import dagster as dg

from pipelines import freeze
from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.assets.schema_checks import schema_result
from pipelines.resources import Warehouse
from schemas.marts import MART_SCHEMAS, SEEDED_WEIGHTS_SQL, probabilities_match_seed


def mart_key(mart: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", mart])


def _schema_result(con, mart: str) -> dg.AssetCheckResult:
    frame = con.execute(f"SELECT * FROM marts.{mart}").df()
    schema = MART_SCHEMAS[mart]
    if mart == "process_evaluation":
        schema = probabilities_match_seed(frame, con.execute(SEEDED_WEIGHTS_SQL).df())
    return schema_result(dg.AssetCheckKey(mart_key(mart), "matches_pandera_schema"), frame, schema, "rows")


# One step for every mart's schema: a step of its own each cost more in Dagster's bookkeeping
# (its events, its claim of the pool) than the check itself.
@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "matches_pandera_schema",
            asset=mart_key(mart),
            description=f"marts.{mart} satisfies its pandera schema (schemas/marts.py).",
        )
        for mart in MART_SCHEMAS
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,  # DuckDB refuses a reader while another process writes the file
)
def mart_schemas(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    with warehouse.connect(read_only=True) as con:
        for key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path):
            yield _schema_result(con, key.asset_key.path[-1])


@dg.asset_check(
    asset=mart_key("result_evaluation"),
    name="frozen_years_reproduce",
    pool=WAREHOUSE_POOL,
    description="Every frozen year's mart rows still have the checksums its freeze recorded.",
)
def frozen_years_reproduce(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        problems, frozen = freeze.verify(con), freeze.freezes(con)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "frozen_years": sorted({f["year"] for f in frozen}),
            "differences": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )


MART_CHECKS = [mart_schemas, frozen_years_reproduce]
