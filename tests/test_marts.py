"""The evaluation marts built from the bundled sources: their pandera schemas hold (and catch a
broken frame), every measure is in the indicator registry, and 2023–2025 have content."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandera.pandas as pa
import pytest
from helpers import PROJECT_DIR

from schemas.marts import MART_SCHEMAS, SEEDED_WEIGHTS_SQL, probabilities_match_seed

pytestmark = pytest.mark.slow

REGISTRY = PROJECT_DIR / "dbt_project" / "seeds" / "indicators.csv"
# numbers that describe a row rather than measure anything: positions, orders, a goal's parameters
NOT_INDICATORS = {
    "as_of_position",
    "observed_as_of_position",
    "stage_order",
    "evaluation_year",
    "base_year",
    "base_value_usd",
    "growth_rate",
    "report_target_usd",
    "cohort_year",
    "years_since_entry",
    "from_year",
    "year",
    "survey_year",  # satisfaction marts: the year a survey belongs to (a key, like year)
}


def frames(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        out = {m: con.execute(f"SELECT * FROM marts.{m}").df() for m in MART_SCHEMAS}
        out["_seeded_weights"] = con.execute(SEEDED_WEIGHTS_SQL).df()
    return out


def test_every_mart_satisfies_its_pandera_schema(bundled_run):
    got = frames(bundled_run[0])
    for mart, schema in MART_SCHEMAS.items():
        if mart == "process_evaluation":
            schema = probabilities_match_seed(got[mart], got["_seeded_weights"])
        schema.validate(got[mart], lazy=True)


@pytest.mark.parametrize(
    ("mart", "breaks"),
    [
        (
            "process_evaluation",
            lambda df: df.assign(expected_contract_probability=df.expected_contract_probability * 0.9),
        ),
        ("process_evaluation", lambda df: df.assign(observed_contract_rate=df.observed_rate_ci_high + 0.01)),
        ("continuity_evaluation", lambda df: df.assign(firms_new=df.firms_supported + 1)),
        ("tier_transitions", lambda df: df.assign(share_of_from_tier=df.share_of_from_tier / 2)),
        ("cohort_retention", lambda df: df.assign(retained_firms=df.cohort_firms + 1)),
    ],
)
def test_a_broken_mart_fails_its_schema(bundled_run, mart, breaks):
    got = frames(bundled_run[0])
    schema = MART_SCHEMAS[mart]
    if mart == "process_evaluation":
        schema = probabilities_match_seed(got[mart], got["_seeded_weights"])
    with pytest.raises(pa.errors.SchemaErrors):
        schema.validate(breaks(got[mart]), lazy=True)


def test_every_measure_of_every_mart_is_registered_and_in_long_form(bundled_run):
    with REGISTRY.open(encoding="utf-8") as f:
        registry = list(csv.DictReader(f))
    sources = {r["source"] for r in registry}
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        numeric = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name <> 'indicator_values' AND (data_type IN ('BIGINT', 'INTEGER', 'DOUBLE') "
            "OR data_type LIKE 'DECIMAL%')"
        ).fetchall()
        long_form = {r[0] for r in con.execute("SELECT DISTINCT indicator_code FROM marts.indicator_values").fetchall()}
    unregistered = [f"{t}.{c}" for t, c in numeric if c not in NOT_INDICATORS and f"{t}.{c}" not in sources]
    assert unregistered == []
    for r in registry:  # and every registered source exists
        if r["source"] != "program_targets":
            mart, column = r["source"].split(".")
            assert (mart, column) in numeric, r["indicator_code"]
    centre_year = {r["indicator_code"] for r in registry if r["grain"] in ("center_year", "center_year_stage")}
    assert centre_year <= long_form


def test_process_and_continuity_have_content_in_2023_to_2025(bundled_run):
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:

        def one(sql: str):
            return con.execute(sql).fetchall()

        for center in ("hanoi", "new_delhi"):
            for year in (2023, 2024, 2025):
                opportunities, pipeline = one(
                    f"SELECT sum(opportunities), sum(weighted_pipeline_usd) FROM marts.process_evaluation "
                    f"WHERE center = '{center}' AND year = {year}"
                )[0]
                assert opportunities > 50 and pipeline > 0, (center, year)
            where = f"center = '{center}' AND from_year = 2024"
            moves = {r[0] for r in one(f"SELECT DISTINCT to_tier FROM marts.tier_transitions WHERE {where}")}
            assert {"dropped", "graduated", "growth", "star"} <= moves, center
            links, graduated = one(
                "SELECT mentoring_links, firms_graduated FROM marts.continuity_evaluation "
                f"WHERE center = '{center}' AND year = 2024"
            )[0]
            assert links > 0 and graduated > 0
        gaps = dict(
            one("SELECT year, continuity_gaps FROM marts.continuity_evaluation WHERE center = 'all' AND year >= 2023")
        )
        assert gaps[2023] > 0 and gaps[2024] > 0
        retention = one(
            "SELECT retention_rate FROM marts.cohort_retention "
            "WHERE center = 'all' AND cohort_year = 2023 AND years_since_entry = 2"
        )
        assert 0 < retention[0][0] < 1
        # the goal grows at the SME export growth 2018–2022 of the bundled K-stat files (Table 2-8: 6.0 %)
        base_year, g, path, base = one(
            "SELECT base_year, growth_rate, path_value_usd, base_value_usd FROM marts.goal_path WHERE year = 2026"
        )[0]
        [(sme,)] = one(
            "SELECT compound_growth_rate FROM marts.trade_growth "
            "WHERE series = 'sme_total' AND base_year = 2018 AND year = 2022"
        )
        assert base_year == 2022 and g == sme and round(g, 3) == 0.060
        assert float(path) == pytest.approx(float(base) * (1 + g) ** 4, abs=0.005)  # money: rounded to the cent
