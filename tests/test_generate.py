"""The sample-log generator: deterministic, faithful to Table 2-9, and readable by the ingest."""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys
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


@pytest.fixture(scope="module")
def scale_one(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "sources"
    return out, generate(out, scale=1)


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


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


def test_scale_two_doubles_firms_and_rows(scale_one, tmp_path):
    _, one = scale_one
    two = generate(tmp_path / "x2", scale=2)
    assert 1.9 < two["rows"] / one["rows"] < 2.1
    for year, values in one["indicators"].items():
        assert two["indicators"][year] == {k: 2 * v for k, v in values.items()}, year


def test_writes_only_monthly_logs_of_open_months(scale_one):
    root, summary = scale_one
    files = [f.as_posix() for f in _files(root)]
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
