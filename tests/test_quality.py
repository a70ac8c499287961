"""Great Expectations suites on the marts (pipelines/quality): on the bundled build every rule
passes and Data Docs name every suite; a mart broken on purpose, one rule at a time, fails exactly
that rule and QualityFailed names it. The column lists the rules derive are checked without GX."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from helpers import cli, consultation, ingest, instance_home, rec, write_csv

from pipelines.config import PROJECT_DIR
from pipelines.quality import QualityFailed, QualityReport, RuleOutcome, validate_marts
from pipelines.quality import rules as r

pytestmark = pytest.mark.slow

EXPORT_YEAR = 2025  # the bundled logs and surveys end in 2025


@pytest.fixture(scope="module")
def bundled(bundled_run) -> Path:
    return bundled_run[0]


@pytest.fixture(scope="module")
def bundled_con(bundled):
    con = duckdb.connect(str(bundled), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def passing(bundled_con, tmp_path_factory) -> QualityReport:
    return validate_marts(bundled_con, EXPORT_YEAR, docs_dir=tmp_path_factory.mktemp("docs") / "data_docs")


def test_every_rule_passes_on_the_bundled_build(passing):
    assert passing.failed == [], "\n".join(map(str, passing.failed))
    suites = {o.suite for o in passing.outcomes}
    assert {
        "result_evaluation",
        "result_evaluation.centres_vs_all",
        "process_evaluation.centres_vs_all",
        "satisfaction_evaluation.n_vs_survey",
        "satisfaction_evaluation",
        "goal_path",
    } <= suites
    rules = {o.rule for o in passing.outcomes}
    for family in (r.CENTRES_SUM, r.CONTRACTS, r.SHARES, r.SCORES, r.SURVEY_N, r.NO_LATER_YEAR):
        assert any(rule.startswith(family) for rule in rules), family
    assert f"{r.CENTRES_SUM}: contracts" in rules
    assert f"{r.CONTRACTS}: contracts ≤ consultations" in rules


def test_plan_rows_after_the_export_year_are_not_data(bundled_con, passing):
    """The goal path runs to 2026 and indicator_values holds its target: they do not fail 2025."""
    assert bundled_con.execute("SELECT max(year) FROM marts.goal_path").fetchone()[0] > EXPORT_YEAR
    assert bundled_con.execute("SELECT max(year) FROM marts.indicator_values").fetchone()[0] > EXPORT_YEAR
    assert any(o.suite == "goal_path" and o.rule.startswith(r.NO_LATER_YEAR) and o.success for o in passing.outcomes)


def test_data_docs_name_every_suite(passing):
    assert passing.docs_index is not None and passing.docs_index.is_file()
    html = passing.docs_index.read_text(encoding="utf-8")
    for suite in {o.suite for o in passing.outcomes}:
        assert suite in html, suite
    # the Korean rule names reach the validation pages
    pages = "".join(p.read_text(encoding="utf-8") for p in passing.docs_index.parent.rglob("*.html"))
    assert "센터 합계 = 전체 행" in pages
    assert not (PROJECT_DIR / "gx").exists(), "GX left its folder in the repository"


def test_the_dagster_checks_are_the_suites_of_a_build(bundled_con):
    """Dagster declares one check per suite before a warehouse exists; a build has those suites."""
    built = {(s.mart, s.check) for s in r.suites(bundled_con, EXPORT_YEAR)}
    assert set(r.planned_checks()) == built
    assert len(r.planned_checks()) == len(built)


def test_without_an_export_year_no_year_is_too_late(bundled_con):
    assert not any(rule.rule.startswith(r.NO_LATER_YEAR) for s in r.suites(bundled_con, None) for rule in s.rules)
    assert any(rule.rule.startswith(r.NO_LATER_YEAR) for s in r.suites(bundled_con, 2025) for rule in s.rules)


# ---- each rule broken on purpose ---------------------------------------------------------------


def _update_one(table: str, assignment: str, where: str) -> str:
    """UPDATE exactly one row of a mart (the first by DuckDB's rowid)."""
    return f"UPDATE marts.{table} SET {assignment} WHERE rowid = (SELECT min(rowid) FROM marts.{table} WHERE {where})"


HANOI_2024 = "center = 'hanoi' AND year = 2024"
HANOI_2025 = "center = 'hanoi' AND year = 2025"  # the export year: its evaluation is what is judged

BROKEN = {
    # one centre's contracts grow and the all row does not follow
    "centres_sum": (
        [_update_one("result_evaluation", "contracts = contracts + 1", HANOI_2025)],
        "result_evaluation.centres_vs_all",
        f"{r.CENTRES_SUM}: contracts",
        "2025 (contracts__all=190, contracts__centres=191)",
    ),
    # an opportunity signed twice within its window: a logical impossibility, unlike more contracts
    # than consultations in a centre-year (see PLAUSIBLE)
    "cohort_contracts": (
        # (2024's windows closed in 2025: its evaluation observed them; the all row moved too)
        [
            "UPDATE marts.process_evaluation SET observed_contracts = observed_contracts + 100"
            " WHERE year = 2024 AND stage_code = 'consultation' AND center IN ('hanoi', 'all')"
        ],
        "process_evaluation",
        f"{r.CONTRACTS}: observed_contracts ≤ observed_cohort_opportunities",
        "hanoi 2024 consultation (observed_contracts=183, observed_cohort_opportunities=118)",
    ),
    "shares": (
        [_update_one("continuity_evaluation", "continuation_rate = 1.2", HANOI_2025)],
        "continuity_evaluation",
        f"{r.SHARES}: continuation_rate",
        "hanoi 2025 (continuation_rate=1.2)",
    ),
    "scores": (
        [_update_one("satisfaction_groups", "score_100 = 101", "evaluation_year = 2025")],
        "satisfaction_groups",
        f"{r.SCORES}: score_100",
        "score_100=101",
    ),
    "survey_n": (
        [_update_one("satisfaction_evaluation", "n = n + 1", "tier = 'all' AND evaluation_year = 2025")],
        "satisfaction_evaluation.n_vs_survey",
        r.SURVEY_N,
        "1 of ",
    ),
    # the export judges its year's evaluation: a later year inside it is a model's error
    "later_year": (
        [_update_one("trade_growth", "base_year = 2026", "year = 2025")],
        "trade_growth",
        f"{r.NO_LATER_YEAR}: base_year",
        "(base_year=2026)",
    ),
    "later_year_of_an_evaluation": (
        [_update_one("tier_transitions", "from_year = 2026", "evaluation_year = 2025")],
        "tier_transitions",
        f"{r.NO_LATER_YEAR}: from_year",
        "(from_year=2026)",
    ),
}


@pytest.fixture
def broken_copy(bundled, tmp_path):
    """A copy of the bundled warehouse, opened for writing, to break on purpose."""
    copy = tmp_path / "broken.duckdb"
    shutil.copy(bundled, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_mart_fails_exactly_its_rule(case, broken_copy):
    statements, suite, rule, seen = BROKEN[case]
    for sql in statements:
        assert broken_copy.execute(sql).fetchone()[0] >= 1, sql  # DuckDB returns the rows changed
    report = validate_marts(broken_copy, EXPORT_YEAR)
    assert [(o.suite, o.rule) for o in report.failed] == [(suite, rule)]
    assert seen in report.failed[0].observed, report.failed[0].observed
    with pytest.raises(QualityFailed) as failed:
        report.raise_if_failed()
    assert rule in str(failed.value) and suite in str(failed.value)


def test_the_year_rule_has_no_bound_without_an_export_year(broken_copy):
    broken_copy.execute(_update_one("trade_growth", "year = 2026", "true"))
    assert validate_marts(broken_copy, None).failed == []


def test_the_export_year_is_judged_on_its_own_evaluation(broken_copy):
    """January's log puts rows of the next year in the live marts: they are not the export year's
    evaluation, and even broken they do not fail its rules (nor do rows of a year before)."""
    broken_copy.execute(_update_one("trade_growth", "year = 2026, base_year = 2027", "true"))
    broken_copy.execute(_update_one("continuity_evaluation", "continuation_rate = 1.2", "year = 2020"))
    assert validate_marts(broken_copy, EXPORT_YEAR).failed == []


# ---- plausibility rules warn -------------------------------------------------------------------

# more contracts than consultations at Hanoi in 2025: contracts signed in January of what December
# consultations started; the all row moved too, so the centres still add up
MORE_CONTRACTS = (
    "UPDATE marts.result_evaluation SET contracts = contracts + 1000 WHERE year = 2025 AND center IN ('hanoi', 'all')"
)


def test_more_contracts_than_consultations_warns_and_blocks_nothing(broken_copy):
    broken_copy.execute(MORE_CONTRACTS)
    report = validate_marts(broken_copy, EXPORT_YEAR)
    assert report.failed == []
    assert [(o.suite, o.rule, o.kind) for o in report.warnings] == [
        ("result_evaluation", f"{r.CONTRACTS}: contracts ≤ consultations", r.PLAUSIBILITY)
    ]
    assert "hanoi 2025 (contracts=" in report.warnings[0].observed
    report.raise_if_failed()  # a warning is not a failure


def test_every_rule_is_an_invariant_or_a_plausibility_rule(bundled_con):
    kinds = {rule.rule: rule.kind for s in r.suites(bundled_con, EXPORT_YEAR) for rule in s.rules}
    assert set(kinds.values()) == {r.INVARIANT, r.PLAUSIBILITY}
    assert kinds[f"{r.CONTRACTS}: contracts ≤ consultations"] == r.PLAUSIBILITY
    assert kinds[f"{r.CONTRACTS}: observed_contracts ≤ observed_cohort_opportunities"] == r.INVARIANT


def test_a_plausibility_warning_names_its_rows_and_the_run_publishes(tmp_path):
    """Contracts signed in January of December's consultations: the monthly run warns, names the
    rows in its summary and in `status`, and still refreshes the analysts' file."""
    home, sources, warehouse = instance_home(tmp_path), tmp_path / "sources", tmp_path / "w" / "jeonbuk.duckdb"
    env = {"DAGSTER_HOME": str(home)}
    write_csv(
        sources / "hanoi_2022-12.csv",
        [consultation("HAN-1", date="2022-12-05"), consultation("HAN-2", date="2022-12-12", importer_id="IMP-002")],
    )
    ingest(warehouse, sources / "hanoi_2022-12.csv")  # December in the store; the run below takes January
    signed = {"activity": "contract_signed", "amount": "1000"}
    write_csv(
        sources / "hanoi_2023-01.csv",
        [rec("HAN-3", date="2023-01-09", importer_id="IMP-001", **signed),
         rec("HAN-4", date="2023-01-16", importer_id="IMP-002", **signed)],
    )  # fmt: skip
    second = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), env=env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "failed check" not in second.stderr
    warned = "hanoi 2023 (contracts=2, consultations=0)"
    assert warned in second.stdout and r.CONTRACTS in second.stdout, second.stdout[-3000:]
    with duckdb.connect(str(warehouse.with_name("analyst.duckdb")), read_only=True) as analyst:
        contracts = analyst.execute(
            "SELECT contracts FROM marts.result_evaluation WHERE center = 'hanoi' AND year = 2023"
        ).fetchone()
    assert contracts == (2,), "the analysts' file was refreshed"
    status = cli("status", "--warehouse", str(warehouse))
    assert status.returncode == 0 and warned in status.stdout, status.stdout[-3000:]


# ---- what the rules derive, without GX ---------------------------------------------------------


def test_the_registry_marks_what_adds_up(bundled_con):
    reg = r.registry()
    marts = r.column_types(bundled_con)
    columns = marts["result_evaluation"]
    additive = r.additive_columns("result_evaluation", ["center", "year"], columns, reg)
    assert {"contracts", "consultations", "contract_amount_usd", "export_amount_usd"} <= set(additive)
    assert "supported_firms" not in additive  # distinct firms: a firm of two centres counts once
    # goal_path has a `center` column, but it names the goal's row: not a centre dimension
    assert r.additive_columns("goal_path", ["goal_code", "year"], marts["goal_path"], reg) == []


def test_shares_scores_and_years_come_from_names_and_the_registry(bundled_con):
    reg = r.registry()

    def columns(rules):
        return {rule.kwargs["column"] for rule in rules}

    result = r.column_types(bundled_con)
    assert columns(r.share_rules("result_evaluation", result["result_evaluation"], reg, None)) == set()  # a count
    assert {"continuation_rate"} == columns(
        r.share_rules("continuity_evaluation", result["continuity_evaluation"], reg, None)
    )
    trade = columns(r.share_rules("trade_context", result["trade_context"], reg, None))
    assert trade == {"centre_firm_share"}  # growth rates may be negative or above 1
    assert "share_of_from_tier" in columns(r.share_rules("tier_transitions", result["tier_transitions"], reg, None))
    assert columns(r.score_rules("satisfaction_evaluation", result["satisfaction_evaluation"], reg, None)) == {
        "score_100",
        "score_100_linear",
        "ci_low_100",
        "ci_high_100",
    }
    years = {m: columns(r.year_rules(m, cols, reg, 2025)) for m, cols in result.items()}
    assert years["continuity_evaluation"] == {"year"}  # not firms_continuing_from_prior_year
    assert years["tier_transitions"] == {"from_year"}  # not evaluation_year: the year after, by design
    assert years["trade_growth"] == {"base_year", "year"}


def test_the_failure_message_names_every_rule():
    failed = [
        RuleOutcome(
            "result_evaluation", f"{r.CONTRACTS}: contracts ≤ consultations", False, "1 of 20 rows: hanoi 2024"
        ),
        RuleOutcome("trade_growth", f"{r.NO_LATER_YEAR}: year", False, "1 of 158 rows"),
    ]
    message = str(QualityFailed(failed, Path("/x/index.html")))
    assert "계약 ≤ 상담 / contracts never exceed consultations: contracts ≤ consultations" in message
    assert "hanoi 2024" in message and "trade_growth" in message and "/x/index.html" in message
    assert QualityReport([*failed, RuleOutcome("goal_path", "x", True, "")], None).failed == failed


# ---- as Dagster asset checks -------------------------------------------------------------------


def _run_checks_and_export(warehouse: Path):
    """The quality checks and a stand-in for the export downstream of a mart, in one run."""
    import dagster as dg

    from pipelines.assets.marts import mart_key
    from pipelines.assets.quality import mart_quality_rules
    from pipelines.resources import Warehouse

    @dg.asset(deps=[mart_key("continuity_evaluation"), mart_key("result_evaluation")])
    def annual_export() -> None:
        return None

    job = dg.define_asset_job(
        "quality_then_export",
        selection=dg.AssetSelection.checks(mart_quality_rules) | dg.AssetSelection.assets(annual_export),
    )
    defs = dg.Definitions(
        assets=[annual_export],
        asset_checks=[mart_quality_rules],
        jobs=[job],
        resources={"warehouse": Warehouse(database=str(warehouse))},
    )
    result = defs.resolve_job_def("quality_then_export").execute_in_process(raise_on_error=False)
    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    exported = any(m.asset_key.path == ["annual_export"] for m in result.get_asset_materialization_events())
    return checks, exported


def test_the_checks_are_blocking_and_one_per_suite():
    from pipelines.assets.quality import QUALITY_SPECS

    assert {(s.asset_key.path[-1], s.name) for s in QUALITY_SPECS} == set(r.planned_checks())
    assert all(s.blocking for s in QUALITY_SPECS)


@pytest.mark.parametrize("broken", ["sound", "invariant", "plausibility"])
def test_a_failing_invariant_stops_what_is_downstream_of_its_mart_and_a_warning_does_not(broken, bundled, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(bundled, copy)
    with duckdb.connect(str(copy)) as con:
        if broken == "invariant":
            con.execute(_update_one("continuity_evaluation", "continuation_rate = 1.2", HANOI_2024))
        if broken == "plausibility":
            con.execute(MORE_CONTRACTS)
    checks, exported = _run_checks_and_export(copy)
    assert set(checks) == set(r.planned_checks())
    expected = {
        "sound": {},
        "invariant": {("continuity_evaluation", "business_rules"): "ERROR"},
        "plausibility": {("result_evaluation", "business_rules"): "WARN"},
    }
    assert {k: e.severity.value for k, e in checks.items() if not e.passed} == expected[broken]
    assert exported is (broken != "invariant")
    docs = Path(checks[("continuity_evaluation", "business_rules")].metadata["data_docs"].value)
    assert docs == tmp_path / "data_docs" / "index.html" and docs.is_file()
    if broken == "invariant":
        assert "continuation_rate" in checks[("continuity_evaluation", "business_rules")].metadata["failed"].value
    if broken == "plausibility":
        warned = checks[("result_evaluation", "business_rules")].metadata["warnings"].value
        assert "hanoi 2025 (contracts=" in warned
