"""The satisfaction marts built by `python -m pipelines run` from the bundled sources.

The 2023 new-programme survey reproduces the report's Table 5-1 and its group means
(tests/reference/table_5_1_*.csv, one decimal); the marts hold their pandera schemas (and a
broken frame fails them), every measure is registered, the surveys are in the evaluation of their
survey year, and Dagster shows the survey source and the marts' checks.
"""

from __future__ import annotations

import csv

import dagster as dg
import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest
from helpers import PROJECT_DIR

from pipelines import freeze
from pipelines.dbt_project import ensure_manifest
from pipelines.generate.surveys import NEW_PROGRAM_SURVEY, YEARLY_SURVEYS
from schemas.marts import MART_SCHEMAS

pytestmark = pytest.mark.slow

REFERENCE = PROJECT_DIR / "tests" / "reference"
QUESTIONS = ("agreement", "importance")


def reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def frame(warehouse, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def test_table_5_1_is_reproduced_through_the_command_line(bundled_run):
    warehouse, run = bundled_run
    assert "marts.satisfaction_evaluation" in run.stdout
    got = frame(
        warehouse,
        f"SELECT * FROM marts.satisfaction_evaluation WHERE survey = '{NEW_PROGRAM_SURVEY}' AND tier = 'all'",
    ).set_index(["program_code", "question"])
    table = reference("table_5_1_new_program_survey.csv")
    assert len(got) == len(table) * 2
    for r in table:
        for q in QUESTIONS:
            row = got.loc[(r["program_code"], q)]
            assert row["n"] == 6 and row["survey_year"] == 2023 and row["small_n"]
            assert round(row["score_100"], 1) == float(r[f"{q}_100"]), (r["program_code"], q)
            assert round(row["mean_4pt"], 1) == float(r[f"{q}_4pt"]), (r["program_code"], q)
            assert row["group_code"] == r["group"] and row["program_name_ko"] == r["program_ko"]
    groups = frame(
        warehouse, f"SELECT * FROM marts.satisfaction_groups WHERE survey = '{NEW_PROGRAM_SURVEY}'"
    ).set_index(["group_code", "question"])
    means = reference("table_5_1_group_means.csv")
    assert len(groups) == len(means) * 2
    for g in means:
        for q in QUESTIONS:
            row = groups.loc[(g["group"], q)]
            assert round(row["score_100"], 1) == float(g[f"{q}_100"]), (g["group"], q)
            assert round(row["mean_4pt"], 1) == float(g[f"{q}_4pt"]), (g["group"], q)
            assert row["programs"] == sum(r["group"] == g["group"] for r in table)


def test_the_tiers_of_the_new_programme_survey_add_up(bundled_run):
    got = frame(
        bundled_run[0],
        f"SELECT tier, sum(n) AS n FROM marts.satisfaction_evaluation WHERE survey = '{NEW_PROGRAM_SURVEY}' "
        "GROUP BY tier ORDER BY tier",
    )
    assert dict(zip(got["tier"], got["n"])) == {"all": 108, "beginner": 36, "growth": 36, "star": 36}


def test_every_survey_is_in_the_evaluation_of_its_survey_year(bundled_run):
    got = frame(
        bundled_run[0],
        "SELECT survey, survey_year, min(evaluation_year) AS first, max(evaluation_year) AS last, "
        "avg(response_rate) FILTER (tier = 'all') AS response_rate, count(DISTINCT tier) AS tiers "
        "FROM marts.satisfaction_evaluation GROUP BY ALL",
    ).set_index("survey")
    expected = {NEW_PROGRAM_SURVEY: 2023, **{name: year for year, name in YEARLY_SURVEYS.items()}}
    assert dict(zip(got.index, got["survey_year"])) == expected  # 2025's answers came in January 2026
    assert (got["first"] == got["survey_year"]).all() and (got["last"] == got["survey_year"]).all()
    for name in YEARLY_SURVEYS.values():  # about seven in ten selected firms answer
        assert 0.55 < got.loc[name, "response_rate"] < 0.85, name
        assert got.loc[name, "tiers"] == 4  # all, beginner, growth, star


def test_the_marts_satisfy_their_pandera_schemas_and_a_broken_frame_fails(bundled_run):
    for mart in ("satisfaction_evaluation", "satisfaction_groups"):
        got = frame(bundled_run[0], f"SELECT * FROM marts.{mart}")
        MART_SCHEMAS[mart].validate(got, lazy=True)
        MART_SCHEMAS[mart].validate(got.iloc[0:0], lazy=True)  # an empty mart (no survey yet) is fine
    scores = frame(bundled_run[0], "SELECT * FROM marts.satisfaction_evaluation")
    breaks = [
        scores.assign(score_100=scores.score_100 + 1),  # not mean / 4 × 100
        scores.assign(ci_low_100=scores.ci_high_100 + 1),  # the score outside its interval
        scores.assign(n=scores.n.where(scores.tier != "star", scores.n + 1)),  # tiers do not add up
        scores.assign(top2_share=scores.top2_share + 2),
    ]  # a duplicated key is the dbt key test's (unique_combination), not repeated in pandera
    for broken in breaks:
        with pytest.raises(pa.errors.SchemaErrors):
            MART_SCHEMAS["satisfaction_evaluation"].validate(broken, lazy=True)


def test_every_measure_is_registered_as_a_satisfaction_indicator(bundled_run):
    with (PROJECT_DIR / "dbt_project" / "seeds" / "indicators.csv").open(encoding="utf-8") as f:
        registry = {r["source"]: r for r in csv.DictReader(f)}
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        numeric = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name LIKE 'satisfaction%' AND data_type IN ('BIGINT', 'INTEGER', 'DOUBLE')"
        ).fetchall()
    keys = {"survey_year", "evaluation_year", "as_of_position"}
    measures = {f"{t}.{c}" for t, c in numeric if c not in keys}
    assert len(measures) == 18 and measures <= set(registry)
    assert {registry[m]["evaluation"] for m in measures} == {"satisfaction"}
    assert {registry[m]["grain"] for m in measures} == {"survey_program", "survey_group"}


def test_a_freeze_finds_the_year_of_the_satisfaction_marts(bundled_run):
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        for mart in ("satisfaction_evaluation", "satisfaction_groups"):
            assert freeze.year_column(con, mart) == "evaluation_year"
            assert freeze.mart_checksum(con, mart, 2023)["rows"] > 0


def test_dagster_shows_the_survey_source_and_the_marts_checks():
    ensure_manifest()
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_survey__answer_events"])).parent_keys
    assert dg.AssetKey("survey_events") in parents
    assert graph.get(dg.AssetKey("survey_events")).group_name == "ingest"
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {
        ("survey_events", "no_refused_files"),
        ("survey_events", "events_match_schema"),
        ("marts/satisfaction_evaluation", "matches_pandera_schema"),
        ("marts/satisfaction_groups", "matches_pandera_schema"),
    } <= checks
