"""The sample-log generator: deterministic, faithful to Table 2-9, and readable by the ingest."""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.generate import generate
from pipelines.generate.plan import build_plan, totals
from pipelines.generate.render import program_label
from pipelines.generate.seeds import activities, programs
from pipelines.generate.targets import REPORT_YEARS, TARGETS
from pipelines.ingest.runner import ingest_paths
from pipelines.reference import register_lookups

PROJECT_DIR = Path(__file__).resolve().parents[1]
TABLE_2_9 = PROJECT_DIR / "tests" / "reference" / "table_2_9_center_results.csv"
FILE_NAME = re.compile(r"center_logs/(hanoi|new_delhi)/(\d{4})/\1_\2-(0[1-9]|1[0-2])\.(csv|xlsx)")
# the process stages of the activities that move an opportunity, in order, with the expert panel's
# expected contract probability (dbt_project/seeds: activities, process_stages, process_stage_weights)
STAGES = {
    "market_info_provided": ("market_info", 0.10),
    "mou_signed": ("mou", 0.30),
    "agency_referral": ("agency_referral", 0.30),
    "importer_info_provided": ("importer_info", 0.40),
    "consultation_held": ("consultation", 0.70),
    "contract_signed": ("contract", 1.00),
}


@pytest.fixture(scope="module")
def scale_one(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "sources"
    return out, generate(out, scale=1)


@pytest.fixture(scope="module")
def plan_one():
    return build_plan(1)


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_two_runs_write_the_same_bytes(scale_one, tmp_path):
    """A second run, in another process with another string-hash seed, writes identical files."""
    first, _ = scale_one
    again = tmp_path / "again"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; "
            "from pipelines.generate import generate; generate(Path(sys.argv[1]))",
            str(again),
        ],
        check=True,
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONHASHSEED": "1"},
    )
    assert _files(first) == _files(again)
    sample = [f for i, f in enumerate(_files(first)) if i % 9 == 0 or f.suffix == ".xlsx"]
    assert any(f.suffix == ".xlsx" for f in sample) and any(f.suffix == ".csv" for f in sample)
    for f in sample:
        assert (first / f).read_bytes() == (again / f).read_bytes(), f


def test_another_seed_gives_other_firms_but_the_same_totals():
    one, other = build_plan(1, seed=2023), build_plan(1, seed=7)

    def firm_ids(plan) -> set[str]:
        return {a.firm.firm_id for a in plan.activities if a.firm is not None}

    assert firm_ids(one) != firm_ids(other)
    assert totals(other.activities) == totals(one.activities) == TARGETS


def test_every_activity_occurs_with_the_fields_it_needs():
    plan = build_plan(1)
    rules = activities()
    assert {a.activity for a in plan.activities} == set(rules)  # the whole catalogue is used
    missing = [
        (a.activity, field)
        for a in plan.activities
        for field, value in (
            ("firm", a.firm),
            ("importer", a.importer),
            ("amount", a.amount),
            ("program", a.program),
            ("tier", a.tier),
            ("mentor", a.mentor),
        )
        if getattr(rules[a.activity], f"needs_{field}") and value is None
    ]
    assert missing == []


def test_plan_reproduces_table_2_9():
    with TABLE_2_9.open(encoding="utf-8") as f:
        table = {row["indicator"]: row for row in csv.DictReader(f)}
    got = totals(build_plan(1).activities)
    for year in REPORT_YEARS:
        t, y = got[year], str(year)
        assert t.supported_firms == int(table["supported_firms"][y]), year
        assert t.importers_discovered == int(table["importers_discovered"][y]), year
        assert t.difficulties_resolved == int(table["difficulties_resolved"][y]), year
        assert t.consultations == int(table["consultations"][y]), year
        # the exact amount, not just one that rounds to the printed USD million
        assert t.consultation_usd == round(float(table["consultation_amount_usd_million"][y]) * 1e6), year
    # the report's text: actual exports of centre-using firms of about USD 12 million, 2019–2022
    assert sum(got[y].export_usd for y in REPORT_YEARS) == 12_000_000


@pytest.mark.slow
def test_scale_two_doubles_firms_and_rows(scale_one, tmp_path):
    _, one = scale_one
    two = generate(tmp_path / "x2", scale=2)
    assert 1.9 < two["rows"] / one["rows"] < 2.1
    for year, values in one["indicators"].items():
        assert two["indicators"][year] == {k: 2 * v for k, v in values.items()}, year


def test_writes_only_monthly_logs_of_open_months(scale_one):
    root, summary = scale_one
    files = [f.as_posix() for f in _files(root) if f.parts[0] == "center_logs"]  # surveys: test_survey_generate.py
    assert all(FILE_NAME.fullmatch(f) for f in files), [f for f in files if not FILE_NAME.fullmatch(f)]
    months = {c: sorted(f.split("_")[-1][:7] for f in files if f.split("/")[1] == c) for c in ("hanoi", "new_delhi")}
    assert (months["hanoi"][0], months["hanoi"][-1], len(months["hanoi"])) == ("2019-11", "2025-12", 74)
    assert (months["new_delhi"][0], months["new_delhi"][-1], len(months["new_delhi"])) == ("2020-04", "2025-12", 69)
    assert 0 < summary["formats"]["xlsx"] <= len(files) / 5
    # every kind of noise the ingest has to handle is there
    assert set(summary["row_kinds"]) == {"record", "amend", "void", "duplicate", "conflict", "bad"}


def test_refuses_a_folder_that_already_holds_logs(scale_one):
    root, _ = scale_one
    with pytest.raises(FileExistsError):
        generate(root)


def test_programme_name_variants_map_back_to_their_code():
    con = duckdb.connect()
    register_lookups(con)
    rng = random.Random(1)
    variants = sorted({(program_label(rng, code), code) for code in programs() for _ in range(300)})
    con.execute("CREATE TEMP TABLE v(label VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", variants)
    wrong = con.execute("""
        SELECT v.label, v.code, l.code FROM v LEFT JOIN label_lookup AS l
          ON l.catalogue = 'program' AND l.label = norm_label(v.label)
        WHERE l.code IS DISTINCT FROM v.code""").fetchall()
    assert wrong == []
    assert len(variants) > 3 * len(programs())  # the variation is real, not one label per code


def test_ingest_of_the_first_months_gives_2019_exactly(scale_one, tmp_path):
    """Hanoi's first five files hold every 2019 record and its corrections (2019 is all Hanoi;
    a December record logged late in January is corrected by March at the latest)."""
    root, _ = scale_one
    first = sorted((root / "center_logs" / "hanoi").rglob("*.*"))[:5]
    warehouse = tmp_path / "w.duckdb"
    results = ingest_paths(warehouse, first)
    assert [r.status for r in results] == ["loaded"] * 5
    assert sum(r.duplicates for r in results) > 0
    con = duckdb.connect(str(warehouse), read_only=True)
    firms, imp, diff, cons, usd = con.execute(
        """
        WITH latest AS (SELECT * FROM events.event_store
                        QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY stream_version DESC) = 1),
             cur AS (SELECT payload->>'activity' AS a, (payload->>'date')::DATE AS d, payload->>'firm_id' AS f,
                            (payload->>'quantity')::BIGINT AS q, (payload->>'amount')::DOUBLE AS amt,
                            payload->>'currency' AS cur
                     FROM latest WHERE event_type <> 'activity_voided')
        SELECT count(DISTINCT f), sum(q) FILTER (a = 'importer_discovered'),
               sum(q) FILTER (a = 'difficulty_resolved'), sum(q) FILTER (a = 'consultation_held'),
               sum(amt / fx.units_per_usd) FILTER (a = 'consultation_held')
        FROM cur JOIN read_csv(?) AS fx ON fx.currency = cur.cur AND fx.year = year(d)
        WHERE year(d) = 2019""",
        [str(PROJECT_DIR / "dbt_project" / "seeds" / "fx_rates_usd.csv")],
    ).fetchone()
    t = TARGETS[2019]
    assert (firms, imp, diff, cons) == (
        t.supported_firms,
        t.importers_discovered,
        t.difficulties_resolved,
        t.consultations,
    )
    assert abs(usd - t.consultation_usd) < 1
    corrected = con.execute("SELECT count(DISTINCT event_type) FROM events.event_store").fetchone()[0]
    assert corrected == 3  # recorded, amended and voided events all occur
    reasons = [r[0] for r in con.execute("SELECT reason FROM events.quarantine").fetchall()]
    intended = re.compile(
        r"record .* with other content|not a known centre|not a date|is negative"
        r"|not in the activity catalogue|is not a number|is not a 10-digit|firm_id is required"
    )
    assert reasons and all(intended.search(r) for r in reasons), reasons


def _opportunity(a) -> tuple[str, str, str | None]:
    """(centre, firm, importer): the firm alone while no importer is named."""
    return a.center, a.firm.firm_id, a.importer.importer_id if a.importer else None


def observed_contract_rates(activities) -> dict[tuple[int, str], float]:
    """(year, stage) -> share of the opportunities that first reached the stage that year (both
    centres) with a contract within 365 days from then: marts.process_evaluation's observed rate.
    A (firm, importer) opportunity is won by its own contract, the firm alone by any contract of
    the firm at that centre."""
    reached: dict[tuple, dict[str, date]] = defaultdict(dict)  # opportunity -> stage -> first day
    deal_contracts: dict[tuple, list[date]] = defaultdict(list)  # opportunity -> contract days
    firm_contracts: dict[tuple, list[date]] = defaultdict(list)  # (centre, firm) -> contract days
    for a in activities:
        if a.activity not in STAGES or a.firm is None:
            continue
        opp, (stage, _) = _opportunity(a), STAGES[a.activity]
        reached[opp][stage] = min(reached[opp].get(stage, a.day), a.day)
        if stage == "contract":
            deal_contracts[opp].append(a.day)
            firm_contracts[(a.center, a.firm.firm_id)].append(a.day)
    cohorts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])  # -> [won, reached]
    for (center, firm, importer), stages in reached.items():
        signed = firm_contracts[(center, firm)] if importer is None else deal_contracts[(center, firm, importer)]
        for stage, day in stages.items():
            cohorts[(day.year, stage)][0] += any(day <= d <= day + timedelta(days=365) for d in signed)
            cohorts[(day.year, stage)][1] += 1
    return {key: won / n for key, (won, n) in cohorts.items()}


def continuity_gaps(activities) -> Counter:
    """(centre, year) -> firms supported there in the year with an opportunity active in the year
    whose furthest stage by 31 December has a probability of at least 0.70 and no contract, and
    with no activity at that centre the next year (docs/evaluations.md, continuity gaps)."""
    order = list(STAGES)
    supported: dict[tuple[str, str], set[int]] = defaultdict(set)  # (centre, firm) -> years
    events: dict[tuple, list[tuple[date, int]]] = defaultdict(list)  # opportunity -> (day, stage order)
    for a in activities:
        if a.firm is not None:
            supported[(a.center, a.firm.firm_id)].add(a.day.year)
        if a.activity in STAGES and a.firm is not None:
            events[_opportunity(a)].append((a.day, order.index(a.activity)))
    gaps = set()
    for (center, firm, _), stages in events.items():
        for year in {day.year for day, _ in stages}:
            furthest = order[max(i for day, i in stages if day.year <= year)]
            stage, probability = STAGES[furthest]
            if stage != "contract" and probability >= 0.70 and year + 1 not in supported[(center, firm)]:
                gaps.add((center, year, firm))
    return Counter((center, year) for center, year, _ in gaps)


def test_observed_contract_rates_are_close_to_the_panels_probabilities(plan_one):
    rates = observed_contract_rates(plan_one.activities)
    tolerance = {"market_info": 0.05, "mou": 0.10, "agency_referral": 0.10, "importer_info": 0.08, "consultation": 0.08}
    for year in (2023, 2024):
        for stage, probability in STAGES.values():
            if stage == "contract":
                assert rates[(year, stage)] == 1.0
            else:
                assert abs(rates[(year, stage)] - probability) <= tolerance[stage], (year, stage, rates[(year, stage)])


def test_few_firms_leave_with_an_open_deal_at_70_percent(plan_one):
    gaps = continuity_gaps(plan_one.activities)
    for center in ("hanoi", "new_delhi"):
        for year in (2023, 2024):
            assert 1 <= gaps[(center, year)] <= 10, (center, year, gaps[(center, year)])


def test_beginners_climb_the_ladder_and_graduates_mentor(plan_one):
    rungs: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)  # (centre, firm) -> year -> programme
    graduated, mentors = set(), set()
    for a in plan_one.activities:
        if a.activity == "firm_enrolled" and a.program.startswith("partner_"):
            rungs[(a.center, a.firm.firm_id)][a.day.year] = a.program
        elif a.activity == "firm_graduated":
            graduated.add((a.center, a.firm.firm_id, a.day.year))
        elif a.activity == "mentoring":
            mentors.add((a.center, a.mentor.firm_id, a.day.year))
    climbs = Counter(tuple(years.get(y) for y in (2023, 2024, 2025)) for years in rungs.values())
    assert climbs[("partner_info", "partner_marketing", "partner_aftercare")] >= 10
    assert 0 < climbs[("partner_info", None, None)] < climbs[("partner_info", "partner_marketing", "partner_aftercare")]
    # last year's graduates mentor this year's beginners
    assert {(c, f, y + 1) for c, f, y in graduated if y < 2025} == {m for m in mentors if m[2] > 2023}


def test_a_firm_graduates_once_and_then_leaves_the_ladder(plan_one):
    """A graduate never graduates again and is never selected into a ladder programme after its
    graduation year (it may still be supported in the ordinary programmes)."""
    graduations = Counter(a.firm.firm_id for a in plan_one.activities if a.activity == "firm_graduated")
    assert graduations and max(graduations.values()) == 1, graduations.most_common(3)
    graduated_in = {a.firm.firm_id: a.day.year for a in plan_one.activities if a.activity == "firm_graduated"}
    back_on_ladder = [
        (a.firm.firm_id, a.program, a.day.year)
        for a in plan_one.activities
        if a.activity == "firm_enrolled"
        and a.program in ("partner_info", "partner_marketing", "partner_aftercare")
        and a.day.year > graduated_in.get(a.firm.firm_id, a.day.year)
    ]
    assert back_on_ladder == []
