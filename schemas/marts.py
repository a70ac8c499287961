"""Pandera schemas of the evaluation marts, run as Dagster asset checks after every dbt build.

They hold what a reader of the frames relies on, whatever the SQL did: types, counts not
negative, rates and shares within 0..1, intervals around their rate, parts never above their
whole, and the process evaluation's probabilities equal to the stage-weight seed in force for each
year (the pinned copy for a frozen year). Keys and relations are dbt's tests (each mart's
`unique_combination`), not repeated here; `MART_SCHEMAS` has one schema per mart of the dbt
project (pipelines/mart_registry.py, checked by tests/test_mart_registry.py).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

COUNT = pa.Column("Int64", pa.Check.ge(0), nullable=False, coerce=True)
MAYBE_COUNT = pa.Column("Int64", pa.Check.ge(0), nullable=True, coerce=True)
USD = pa.Column(float, pa.Check.ge(0), nullable=False, coerce=True)
SHARE = pa.Column(float, pa.Check.in_range(0, 1), nullable=True, coerce=True)
YEAR = pa.Column(int, pa.Check.in_range(2000, 2100), nullable=False, coerce=True)
# text columns coerced: an empty mart (one source alone feeds none of its rows) arrives from DuckDB
# with object columns, and an empty mart is a valid mart
CENTER = pa.Column(str, pa.Check.str_matches(r"^[a-z_]+$"), nullable=False, coerce=True)


def _at_most(part: str, whole: str) -> pa.Check:
    return pa.Check(lambda df: df[part].isna() | (df[part] <= df[whole]), name=f"{part} <= {whole}")


def _ordered(low: str, value: str, high: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df[value].isna() | ((df[low] <= df[value] + 1e-12) & (df[value] <= df[high] + 1e-12))

    return pa.Check(check, name=f"{low} <= {value} <= {high}")


def _shares_add_up(df: pd.DataFrame) -> pd.Series:
    total = df.groupby(["center", "from_year", "from_tier"])["share_of_from_tier"].transform("sum")
    return (total - 1).abs() < 1e-9


RESULT = pa.DataFrameSchema(
    {
        "center": CENTER,
        "year": YEAR,
        **{
            c: COUNT
            for c in ("supported_firms", "importers_discovered", "difficulties_resolved", "consultations", "contracts")
        },
        **{c: USD for c in ("consultation_amount_usd", "contract_amount_usd", "export_amount_usd")},
    },
)

PROCESS = pa.DataFrameSchema(
    {
        "center": CENTER,
        "year": YEAR,
        "stage_code": pa.Column(str, coerce=True),
        **{
            c: COUNT
            for c in (
                "activities",
                "opportunities",
                "open_opportunities",
                "opportunities_without_value",
                "observed_cohort_opportunities",
                "observed_contracts",
            )
        },
        "expected_contract_probability": pa.Column(float, pa.Check.in_range(0, 1), nullable=False),
        "pipeline_value_usd": USD,
        "weighted_pipeline_usd": USD,
        **{
            c: SHARE
            for c in ("share_below_50", "observed_contract_rate", "observed_rate_ci_low", "observed_rate_ci_high")
        },
        "median_days_in_stage": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
    checks=[
        _at_most("open_opportunities", "opportunities"),
        _at_most("observed_contracts", "observed_cohort_opportunities"),
        pa.Check(lambda df: df["weighted_pipeline_usd"] <= df["pipeline_value_usd"] + 0.01, name="weighted <= value"),
        _ordered("observed_rate_ci_low", "observed_contract_rate", "observed_rate_ci_high"),
    ],
)

CONTINUITY = pa.DataFrameSchema(
    {
        "center": CENTER,
        "year": YEAR,
        **{
            c: COUNT
            for c in (
                "firms_supported",
                "firms_new",
                "firms_continuing_from_prior_year",
                "firms_advanced_tier",
                "firms_on_ladder",
                "firms_graduated",
                "mentoring_links",
            )
        },
        "continuity_gaps": MAYBE_COUNT,
        "continuation_rate": SHARE,
    },
    checks=[
        _at_most("firms_continuing_from_prior_year", "firms_supported"),
        _at_most("firms_new", "firms_supported"),
        _at_most("firms_advanced_tier", "firms_continuing_from_prior_year"),
        _at_most("firms_graduated", "firms_supported"),
        _at_most("continuity_gaps", "firms_supported"),
    ],
)

TRANSITIONS = pa.DataFrameSchema(
    {
        "center": CENTER,
        "from_year": YEAR,
        "from_tier": pa.Column(str, pa.Check.isin(["beginner", "growth", "star", "unknown"]), coerce=True),
        "to_tier": pa.Column(
            str, pa.Check.isin(["beginner", "growth", "star", "unknown", "dropped", "graduated"]), coerce=True
        ),
        "evaluation_year": YEAR,
        "firms": pa.Column("Int64", pa.Check.gt(0), coerce=True),
        "share_of_from_tier": SHARE,
    },
    checks=[
        pa.Check(lambda df: df["evaluation_year"] == df["from_year"] + 1, name="evaluated the year after"),
        pa.Check(_shares_add_up, name="shares of a from-tier add up to 1"),
    ],
)

COHORTS = pa.DataFrameSchema(
    {
        "center": CENTER,
        "cohort_year": YEAR,
        "years_since_entry": pa.Column(int, pa.Check.isin([0, 1, 2]), coerce=True),
        "evaluation_year": YEAR,
        "cohort_firms": pa.Column("Int64", pa.Check.gt(0), coerce=True),
        "retained_firms": COUNT,
        "retention_rate": SHARE,
    },
    checks=[
        _at_most("retained_firms", "cohort_firms"),
        pa.Check(
            lambda df: (df["years_since_entry"] != 0) | (df["retained_firms"] == df["cohort_firms"]),
            name="a cohort is whole in its first year",
        ),
    ],
)

INDICATORS = pa.DataFrameSchema(
    {
        "indicator_code": pa.Column(str, coerce=True),
        "center": CENTER,
        "year": YEAR,
        "evaluation": pa.Column(str, pa.Check.isin(["result", "process", "continuity", "satisfaction"]), coerce=True),
        "attainment_rate": pa.Column(float, pa.Check.ge(0), nullable=True),
        "target": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: (df["unit"] != "fraction") | df["value"].isna() | df["value"].between(0, 1),
            name="fractions within 0..1",
        )
    ],
)

GOALS = pa.DataFrameSchema(
    {
        "goal_code": pa.Column(str, coerce=True),
        "year": YEAR,
        "growth_rate": pa.Column(float, pa.Check.in_range(-0.5, 1.0)),
        "path_value_usd": pa.Column(float, pa.Check.ge(0), nullable=True),
        "attainment_rate": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
)

# a centre's country names its series (seed centers and countries), so series and markets are patterns
_TRADE_SERIES = r"^(jeonbuk|sme|national|centre_firms)_[a-z]+(_[a-z]+)*$"
MAYBE_USD = pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True)
RATE = pa.Column(float, nullable=True, coerce=True)  # growth: any sign


def _share_matches(df: pd.DataFrame) -> pd.Series:
    expected = df["centre_firm_exports_usd"] / df["value_usd"].where(df["value_usd"] != 0)
    return df["centre_firm_share"].isna() | (
        (df["centre_firm_share"] - expected).abs() <= 1e-9 * expected.abs() + 1e-12
    )


TRADE_CONTEXT = pa.DataFrameSchema(
    {
        "year": YEAR,
        "series": pa.Column(str, pa.Check.str_matches(_TRADE_SERIES), nullable=False, coerce=True),
        "market": pa.Column(str, pa.Check.str_matches(r"^([A-Z]{2}|ALL|VN\+IN|other)$"), coerce=True),
        "value_usd": pa.Column(float, nullable=False, coerce=True),  # other markets could be negative only by error
        "yoy_growth_rate": pa.Column(float, pa.Check.ge(-1), nullable=True, coerce=True),  # a year without exports: −1
        "centre_firm_exports_usd": MAYBE_USD,
        "centre_firm_share": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
        "other_markets_yoy_growth_rate": RATE,
        "growth_vs_other_markets": RATE,
        "trade_data_status": pa.Column(str, pa.Check.isin(["final", "partial", "awaiting_kita"]), coerce=True),
    },
    checks=[
        pa.Check(lambda df: df["value_usd"] >= 0, name="value_usd >= 0"),
        pa.Check(_share_matches, name="centre_firm_share = centre_firm_exports_usd / value_usd"),
    ],
)

TRADE_GROWTH = pa.DataFrameSchema(
    {
        "series": pa.Column(str, pa.Check.str_matches(_TRADE_SERIES), nullable=False, coerce=True),
        "base_year": YEAR,
        "year": YEAR,
        "base_value_usd": USD,
        "value_usd": USD,
        "compound_growth_rate": pa.Column(float, pa.Check.ge(-1), nullable=True, coerce=True),
    },
    checks=[pa.Check(lambda df: df["base_year"] < df["year"], name="base_year < year")],
)

# str and bool columns coerced: an empty mart arrives from DuckDB with object columns
_QUESTION = pa.Column(str, pa.Check.isin(["agreement", "importance"]), nullable=False, coerce=True)
_TEXT = pa.Column(str, nullable=False, coerce=True)
_CODE = pa.Column(str, pa.Check.str_matches(r"^[a-z_]+$"), nullable=False, coerce=True)
SCORE_100 = pa.Column(float, pa.Check.in_range(0, 100), nullable=False, coerce=True)
MAYBE_SCORE_100 = pa.Column(float, pa.Check.in_range(0, 100), nullable=True, coerce=True)
MEAN_4PT = pa.Column(float, pa.Check.in_range(1, 4), nullable=False, coerce=True)


def _within(low: str, value: str, high: str) -> pa.Check:
    """low <= value <= high where the bounds are known (no interval from one answer)."""

    def check(df: pd.DataFrame) -> pd.Series:
        known = df[low].notna() & df[high].notna()
        return ~known | ((df[low] <= df[value] + 1e-9) & (df[value] <= df[high] + 1e-9))

    return pa.Check(check, name=f"{low} <= {value} <= {high}")


def _tiers_add_up(df: pd.DataFrame) -> pd.Series:
    """The `all` row's answers are those of its tier rows together."""
    key = ["survey", "survey_year", "program_code", "question"]
    tiers = df[df["tier"] != "all"].groupby(key)["n"].sum().rename("tiers_n")
    joined = df[key + ["tier", "n"]].merge(tiers, left_on=key, right_index=True, how="left")
    return pd.Series(((joined["tier"] != "all") | (joined["n"] == joined["tiers_n"])).to_numpy(), df.index)


SATISFACTION = pa.DataFrameSchema(
    {
        "survey": _TEXT,
        "survey_year": YEAR,
        "program_code": _CODE,
        "question": _QUESTION,
        "tier": pa.Column(str, pa.Check.isin(["all", "beginner", "growth", "star", "unknown"]), coerce=True),
        "n": pa.Column("Int64", pa.Check.ge(1), nullable=False, coerce=True),
        "mean_4pt": MEAN_4PT,
        "score_100": SCORE_100,
        "score_100_linear": SCORE_100,
        "ci_low_100": MAYBE_SCORE_100,
        "ci_high_100": MAYBE_SCORE_100,
        "top2_answers": COUNT,
        **{c: SHARE for c in ("top2_share", "top2_ci_low", "top2_ci_high", "response_rate")},
        "enrolled_firms": MAYBE_COUNT,
        "small_n": pa.Column(bool, nullable=False, coerce=True),
    },
    checks=[
        pa.Check(lambda df: (df["score_100"] - df["mean_4pt"] * 25).abs() < 1e-9, name="score_100 = mean / 4 × 100"),
        pa.Check(
            lambda df: (df["score_100_linear"] - (df["mean_4pt"] - 1) / 3 * 100).abs() < 1e-9,
            name="score_100_linear = (mean − 1) / 3 × 100",
        ),
        _within("ci_low_100", "score_100", "ci_high_100"),
        _within("top2_ci_low", "top2_share", "top2_ci_high"),
        _at_most("top2_answers", "n"),
        pa.Check(_tiers_add_up, name="the all row's n is its tier rows' n together"),
    ],
)

SATISFACTION_GROUPS = pa.DataFrameSchema(
    {
        "survey": _TEXT,
        "survey_year": YEAR,
        "group_code": _CODE,
        "question": _QUESTION,
        "programs": pa.Column("Int64", pa.Check.ge(1), nullable=False, coerce=True),
        "answers": pa.Column("Int64", pa.Check.ge(1), nullable=False, coerce=True),
        "mean_4pt": MEAN_4PT,
        "score_100": SCORE_100,
        "score_100_linear": SCORE_100,
    },
    checks=[
        pa.Check(lambda df: (df["score_100"] - df["mean_4pt"] * 25).abs() < 1e-9, name="score_100 = mean / 4 × 100"),
        _at_most("programs", "answers"),
    ],
)

MART_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "result_evaluation": RESULT,
    "process_evaluation": PROCESS,
    "continuity_evaluation": CONTINUITY,
    "tier_transitions": TRANSITIONS,
    "cohort_retention": COHORTS,
    "indicator_values": INDICATORS,
    "goal_path": GOALS,
    "trade_context": TRADE_CONTEXT,
    "trade_growth": TRADE_GROWTH,
    "satisfaction_evaluation": SATISFACTION,
    "satisfaction_groups": SATISFACTION_GROUPS,
}

# The stage weight each (year, stage) of the process evaluation must show: the seed row in force
# that year, from the seed as the year's evaluation view sees it (pinned when the year is frozen).
SEEDED_WEIGHTS_SQL = """
    WITH years AS (
        SELECT DISTINCT year, stage_code,
               coalesce((SELECT max(view_id) FROM intermediate.int_evaluation_views v WHERE v.frozen_year = p.year), 0)
                   AS view_id
        FROM marts.process_evaluation AS p
    )
    SELECT years.year, years.stage_code, w.expected_contract_probability AS seeded
    FROM years ASOF JOIN intermediate.int_pinned__process_stage_weights AS w
      ON years.view_id = w.view_id AND years.stage_code = w.stage_code AND years.year >= w.effective_year
"""


def probabilities_match_seed(process: pd.DataFrame, seeded: pd.DataFrame) -> pa.DataFrameSchema:
    """A schema that also checks `process` rows against the seeded weights frame."""
    expected = process.merge(seeded, on=["year", "stage_code"], how="left")["seeded"].to_numpy()
    return pa.DataFrameSchema(
        PROCESS.columns,
        checks=[
            *PROCESS.checks,
            pa.Check(
                lambda df: pd.Series(abs(df["expected_contract_probability"].to_numpy() - expected) < 1e-12, df.index),
                name="probability equals the seed in force that year",
            ),
        ],
    )
