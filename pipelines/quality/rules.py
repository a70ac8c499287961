"""The business rules a reviewer would check by hand, as data: one suite per mart, plus the
comparisons between tables (computed in DuckDB SQL, so that GX validates a plain frame).

Column lists are derived, not written out: from the marts' columns, the indicator registry
(seeds/indicators.csv: unit, aggregation and the mart column each indicator comes from) and the
marts' keys (the dbt `unique_combination` tests). A new mart column called `*_rate` or registered
as a fraction is checked without an edit here.

Every rule is an invariant (a logical impossibility: it blocks) or a plausibility rule (a pattern
worth a look: it warns); docs/quality.md says which and why.

With an export year the suites judge that year's evaluation, the rows its freeze holds
(pipelines/freeze.py), not the live marts: rows of a later year that came in since (January's
log) are not the export's, and a frozen year validates the same whenever it is exported.

To add a rule: write a function `(mart, columns, registry, year) -> list[Rule]` and list it in
MART_RULES, or add a comparison suite to `suites()`; see docs/quality.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb

from pipelines import freeze as fz
from pipelines.mart_registry import MARTS_SCHEMA, marts
from pipelines.quality.outcome import INVARIANT, PLAUSIBILITY
from pipelines.reference import seed_rows

ALL = "all"  # the province-total row of a mart with a `center` column

# Rule names, Korean first for the officials who read the export, English after.
CENTRES_SUM = "센터 합계 = 전체 행 / centres sum to the all row"
CONTRACTS = "계약 ≤ 상담 / contracts never exceed consultations"
SHARES = "비율·비중 0..1 / rates and shares within 0..1"
SCORES = "점수 0..100 / scores within 0..100"
SURVEY_N = "응답 수 = 설문 응답 행 / n matches the survey rows"
NO_LATER_YEAR = "내보내기 연도 이후 없음 / no year after the export year"

# Dagster check names: a mart's own suite, and the comparison suites
MART_CHECK, CENTRES_SUM_CHECK, SURVEY_N_CHECK = "business_rules", "centres_sum_to_all", "n_matches_survey_rows"
SURVEY_MART = "satisfaction_evaluation"


@dataclass(frozen=True)
class Rule:
    rule: str  # shown in Data Docs, in RuleOutcome and in QualityFailed
    expectation: str  # a class of great_expectations.expectations
    kwargs: Mapping  # its arguments
    shows: tuple[str, ...]  # the columns printed beside a failing row's key
    kind: str = INVARIANT  # or PLAUSIBILITY: a failure warns, naming the rows, and blocks nothing


@dataclass(frozen=True)
class Suite:
    name: str  # GX suite and data asset; the mart's own name, or "<mart>.<comparison>"
    mart: str  # the mart whose Dagster asset carries the check
    check: str  # the Dagster asset check's name
    sql: str  # the frame validated
    key: tuple[str, ...]  # what names a failing row
    rules: tuple[Rule, ...] = field(default=())


@dataclass(frozen=True)
class Indicator:
    unit: str
    aggregation: str


Registry = dict[tuple[str, str], Indicator]  # (mart, column) -> the indicator registered for it


def registry() -> Registry:
    """The registry's indicators that come from a mart column (`source` = mart.column)."""
    rows = seed_rows("indicators.csv")
    return {
        tuple(r["source"].split(".", 1)): Indicator(r["unit"], r["aggregation"]) for r in rows if "." in r["source"]
    }


def additive_columns(mart: str, key: list[str], columns: Mapping[str, str], reg: Registry) -> list[str]:
    """Columns whose `all` row must be the sum of the centre rows: the registry's `sum` indicators
    (a `distinct` count such as supported_firms may be smaller than the sum: a firm served by two
    centres counts once), in marts keyed by centre (goal_path's `center` only names the goal's row)."""
    if "center" not in key:
        return []
    return [c for c in columns if (ind := reg.get((mart, c))) and ind.aggregation == "sum"]


# ---- rules on one mart -------------------------------------------------------------------------

# Ratios that are not shares of a whole: growth may be negative or above 1, attainment above 1.
_NOT_A_SHARE = re.compile(r"growth|attainment")
_YEAR = re.compile(r"^([a-z]+_)?year$")  # year, from_year, survey_year; not firms_continuing_from_prior_year
# `evaluation_year` is the year whose evaluation holds a row, by design the year after for figures
# known a year later (domain: continuity gaps, transitions); it is not the data's year.
_NOT_A_DATA_YEAR = {"evaluation_year"}
_INTEGER = {"INTEGER", "BIGINT", "SMALLINT", "HUGEINT"}


def _between(rule: str, column: str, low: float | None, high: float | None) -> Rule:
    kwargs = {"column": column, "min_value": low, "max_value": high}
    return Rule(f"{rule}: {column}", "ExpectColumnValuesToBeBetween", kwargs, (column,))


def share_rules(mart: str, columns: Mapping[str, str], reg: Registry, year: int | None) -> list[Rule]:
    """Every column the registry says is a fraction, and every unregistered `*_rate` / `*_share`
    column (amounts_without_fx_rate is registered as a count of records)."""

    def is_share(c: str) -> bool:
        ind = reg.get((mart, c))
        return ind.unit == "fraction" if ind else c.endswith(("_rate", "_share"))

    return [_between(SHARES, c, 0, 1) for c in columns if is_share(c) and not _NOT_A_SHARE.search(c)]


def score_rules(mart: str, columns: Mapping[str, str], reg: Registry, year: int | None) -> list[Rule]:
    """`score_100*` columns and every column the registry measures in points out of 100."""
    return [
        _between(SCORES, c, 0, 100)
        for c in columns
        if c.startswith("score_100") or ((ind := reg.get((mart, c))) and ind.unit == "points (100)")
    ]


# (mart, the consultations, the contracts that came of them, the rule's kind)
CONTRACT_PAIRS = (
    # counts of different events in a centre-year: a contract signed in January may come of a
    # consultation of December, so a month (or a young year) may show more contracts: worth a look
    ("result_evaluation", "consultations", "contracts", PLAUSIBILITY),
    # the contracts of the cohort itself: an opportunity reaching a stage in Y signs at most once
    # within its window, so more contracts than opportunities is impossible
    ("process_evaluation", "observed_cohort_opportunities", "observed_contracts", INVARIANT),
)


def contract_rules(mart: str, columns: Mapping[str, str], reg: Registry, year: int | None) -> list[Rule]:
    return [
        Rule(
            f"{CONTRACTS}: {contracts} ≤ {consultations}",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            # a null (a window not closed yet) is not a breach
            {
                "column_A": consultations,
                "column_B": contracts,
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            (contracts, consultations),
            kind,
        )
        for m, consultations, contracts, kind in CONTRACT_PAIRS
        if m == mart and {consultations, contracts} <= columns.keys()
    ]


def year_rules(mart: str, columns: Mapping[str, str], reg: Registry, year: int | None) -> list[Rule]:
    """No year after the export year in its evaluation, in every year column of the mart; none
    without an export year."""
    if year is None:
        return []
    return [
        _between(NO_LATER_YEAR, c, None, year)
        for c, dtype in columns.items()
        if _YEAR.match(c) and c not in _NOT_A_DATA_YEAR and dtype in _INTEGER
    ]


MartRules = Callable[[str, Mapping[str, str], Registry, "int | None"], list[Rule]]
MART_RULES: tuple[MartRules, ...] = (share_rules, score_rules, contract_rules, year_rules)


# ---- comparisons between tables ----------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _all(c: str) -> str:
    return f"{c}__all"


def _centres(c: str) -> str:
    return f"{c}__centres"


def _difference(c: str) -> str:
    return f"{c}__difference"


def centres_sum_sql(source: str, key: list[str], additive: list[str]) -> str:
    """Per key without `center`: per column, the `all` row, the sum of the centre rows and their
    difference (null where both are null, e.g. a 12-month figure not observed yet); `source` is
    the mart or its rows of one evaluation (`evaluation_source`)."""
    keys = ", ".join(_q(k) for k in key if k != "center")
    sums = ", ".join(f"sum({_q(c)}) AS {_q(c)}" for c in additive)
    compared = ", ".join(
        f"w.{_q(c)} AS {_q(_all(c))}, s.{_q(c)} AS {_q(_centres(c))}, "
        f"CASE WHEN w.{_q(c)} IS NULL AND s.{_q(c)} IS NULL THEN NULL "
        f"ELSE coalesce(w.{_q(c)}, 0) - coalesce(s.{_q(c)}, 0) END AS {_q(_difference(c))}"
        for c in additive
    )
    return f"""
        WITH centres AS (
            SELECT {keys}, {sums} FROM {source} AS m WHERE center <> '{ALL}' GROUP BY ALL
        ), whole AS (
            SELECT {keys}, {", ".join(_q(c) for c in additive)} FROM {source} AS m WHERE center = '{ALL}'
        )
        SELECT {keys}, {compared} FROM whole AS w FULL JOIN centres AS s USING ({keys}) ORDER BY {keys}
    """


def centres_sum_suite(mart: str, key: list[str], columns: Mapping[str, str], additive: list[str], source: str) -> Suite:
    by = tuple(k for k in key if k != "center")

    def rule(c: str) -> Rule:
        # money is summed in floating point: a cent of difference is rounding, not a missing event
        tol = 0.01 if columns[c] in ("DOUBLE", "FLOAT", "REAL") or c.endswith("_usd") else 0
        kwargs = {"column": _difference(c), "min_value": -tol, "max_value": tol}
        return Rule(f"{CENTRES_SUM}: {c}", "ExpectColumnValuesToBeBetween", kwargs, (_all(c), _centres(c)))

    sql = centres_sum_sql(source, list(key), additive)
    return Suite(f"{mart}.centres_vs_all", mart, CENTRES_SUM_CHECK, sql, by, tuple(rule(c) for c in additive))


def survey_n_sql(source: str, year: int | None) -> str:
    """The mart's n on its `all` rows against the accepted answer events (one stream per firm's
    answer) the row's evaluation saw (position <= as_of_position: a frozen year saw fewer); and
    answer groups the mart has no row for at all. With an export year, that year's surveys only
    (a survey is evaluated in its own year)."""
    return f"""
    WITH answers AS (
        SELECT survey, survey_year, program AS program_code, question, stream_id, position
        FROM staging.stg_survey__answer_events WHERE {"true" if year is None else f"survey_year = {int(year)}"}
    ), mart_rows AS (
        SELECT survey, survey_year, program_code, question, n, as_of_position
        FROM {source} AS m WHERE tier = '{ALL}'
    ), compared AS (
        SELECT m.survey, m.survey_year, m.program_code, m.question, m.n, count(DISTINCT a.stream_id) AS survey_rows
        FROM mart_rows AS m LEFT JOIN answers AS a
          ON a.survey = m.survey AND a.survey_year = m.survey_year AND a.program_code = m.program_code
             AND a.question = m.question AND a.position <= m.as_of_position
        GROUP BY ALL
        UNION ALL
        SELECT survey, survey_year, program_code, question, 0, count(DISTINCT stream_id)
        FROM answers AS a
        WHERE {"true" if year is None else "a.position <= (SELECT max(as_of_position) FROM mart_rows)"} AND NOT EXISTS (
            SELECT 1 FROM mart_rows AS m WHERE m.survey = a.survey AND m.survey_year = a.survey_year
                AND m.program_code = a.program_code AND m.question = a.question
        )
        GROUP BY ALL
    )
    SELECT *, n - survey_rows AS difference FROM compared ORDER BY survey, survey_year, program_code, question
"""


def survey_n_suite(source: str, year: int | None) -> Suite:
    rule = Rule(
        SURVEY_N,
        "ExpectColumnValuesToBeBetween",
        {"column": "difference", "min_value": 0, "max_value": 0},
        ("n", "survey_rows"),
    )
    key = ("survey", "survey_year", "program_code", "question")
    return Suite(f"{SURVEY_MART}.n_vs_survey", SURVEY_MART, SURVEY_N_CHECK, survey_n_sql(source, year), key, (rule,))


# ---- the suites of a warehouse -----------------------------------------------------------------


def planned_checks() -> list[tuple[str, str]]:
    """(mart, check) of every suite, from the dbt project alone: Dagster declares its checks before
    any warehouse exists. `suites()` gives the same pairs for a warehouse built from the project."""
    reg, checks = registry(), []
    for mart, declared in marts().items():
        checks.append((mart, MART_CHECK))
        if additive_columns(mart, list(declared.key), dict.fromkeys(declared.columns, ""), reg):
            checks.append((mart, CENTRES_SUM_CHECK))
        if mart == SURVEY_MART:
            checks.append((mart, SURVEY_N_CHECK))
    return checks


def column_types(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """{mart: {column: DuckDB type}} of the marts this warehouse holds."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
        "ORDER BY table_name, ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall()
    held: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        held.setdefault(table, {})[column] = dtype
    return held


def suites(con: duckdb.DuckDBPyConnection, year: int | None) -> list[Suite]:
    """Every suite for the marts this warehouse holds, for an export of `year` (None: no bound)."""
    reg, held = registry(), column_types(con)
    keys = {name: mart.key for name, mart in marts().items()}
    sources = {mart: evaluation_source(con, mart, year) for mart in held}
    out: list[Suite] = []
    for mart, columns in held.items():
        key = tuple(keys.get(mart, ()))
        rules = tuple(r for make in MART_RULES for r in make(mart, columns, reg, year))
        out.append(Suite(mart, mart, MART_CHECK, f"SELECT * FROM {sources[mart]} AS m", key, rules))
        if additive := additive_columns(mart, list(key), columns, reg):
            out.append(centres_sum_suite(mart, list(key), columns, additive, sources[mart]))
    if SURVEY_MART in held:
        out.append(survey_n_suite(sources[SURVEY_MART], year))
    return out


def evaluation_source(con: duckdb.DuckDBPyConnection, mart: str, year: int | None) -> str:
    """What the suites of a mart read: the live mart, or with an export year that year's evaluation
    as its freeze holds it (pipelines/freeze.py): the rows of its evaluation year without the
    columns observed a year later, and those columns, with the key, of the rows of the year before."""
    table = f"{MARTS_SCHEMA}.{_q(mart)}"
    if year is None:
        return table
    declared = marts().get(mart)
    ycol, year = _q(fz.year_column(con, mart)), int(year)
    if declared is None or not declared.late:
        return f"(SELECT * FROM {table} WHERE {ycol} = {year})"
    late = ", ".join(_q(c) for c in declared.late)
    observed = ", ".join(_q(c) for c in [*declared.key, *declared.late])
    return (
        f"(SELECT * EXCLUDE ({late}) FROM {table} WHERE {ycol} = {year} "
        f"UNION ALL BY NAME SELECT {observed} FROM {table} WHERE {ycol} = {year - 1})"
    )
