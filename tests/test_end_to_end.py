"""`python -m pipelines run` on the bundled sources reproduces the report's Table 2-9."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from helpers import cli

PROJECT_DIR = Path(__file__).resolve().parents[1]
TABLE_2_9 = PROJECT_DIR / "tests" / "reference" / "table_2_9_center_results.csv"
YEARS = ["2019", "2020", "2021", "2022"]

pytestmark = pytest.mark.slow


def table_2_9() -> dict[str, dict[str, float]]:
    with TABLE_2_9.open(encoding="utf-8") as f:
        return {row["indicator"]: {y: float(row[y]) for y in YEARS} for row in csv.DictReader(f)}


def test_all_rows_reproduce_table_2_9(bundled_run):
    warehouse, _ = bundled_run
    con = duckdb.connect(str(warehouse), read_only=True)
    got = {
        str(r[0]): r[1:]
        for r in con.execute(
            """SELECT year, supported_firms, importers_discovered, difficulties_resolved, consultations,
                  round(consultation_amount_usd / 1e6, 1)
           FROM marts.result_evaluation WHERE center = 'all' AND year BETWEEN 2019 AND 2022"""
        ).fetchall()
    }
    expected = table_2_9()
    for year in YEARS:
        assert got[year] == (
            expected["supported_firms"][year],
            expected["importers_discovered"][year],
            expected["difficulties_resolved"][year],
            expected["consultations"][year],
            expected["consultation_amount_usd_million"][year],
        ), year


def test_run_prints_a_summary_and_reports_quarantine(bundled_run):
    warehouse, first = bundled_run
    assert "loaded" in first.stdout and "marts.result_evaluation" in first.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    bad = con.execute("SELECT count(*) FROM events.ingest_batches WHERE status = 'refused'").fetchone()[0]
    assert bad == 0
    balance = con.execute(
        "SELECT count(*) FROM events.ingest_batches WHERE rows_in <> rows_accepted + rows_duplicate + rows_quarantined"
    ).fetchone()[0]
    assert balance == 0
    # the bundled sources show the quarantine, duplicates and corrections at work
    assert con.execute("SELECT count(*) FROM events.quarantine").fetchone()[0] > 0
    assert con.execute("SELECT sum(rows_duplicate) FROM events.ingest_batches").fetchone()[0] > 0
    types = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT event_type FROM events.event_store WHERE source_kind = 'center_log'"
        ).fetchall()
    }
    assert types == {"activity_recorded", "activity_amended", "activity_voided"}


def test_second_run_adds_no_event_and_changes_no_mark(bundled_run):
    """Nothing new: the second run says so and does nothing; forced, it rebuilds to the same."""
    warehouse, _ = bundled_run
    con = duckdb.connect(str(warehouse), read_only=True)
    events_before = con.execute("SELECT count(*), max(position) FROM events.event_store").fetchone()
    mart_before = con.execute("SELECT * FROM marts.result_evaluation ORDER BY year, center").fetchall()
    batches_before = con.execute("SELECT max(batch_id) FROM events.ingest_batches").fetchone()[0]
    con.close()
    analyst = warehouse.with_name("analyst.duckdb").stat().st_mtime_ns
    idle = cli("run", "--warehouse", str(warehouse))
    assert idle.returncode == 0 and "nothing new since the last build" in idle.stdout, idle.stdout + idle.stderr
    assert warehouse.with_name("analyst.duckdb").stat().st_mtime_ns == analyst  # nothing rewritten
    second = cli("run", "--full-refresh", "--warehouse", str(warehouse))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "nothing new" not in second.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*), max(position) FROM events.event_store").fetchone() == events_before
    assert con.execute("SELECT * FROM marts.result_evaluation ORDER BY year, center").fetchall() == mart_before
    # every file is known by path and bytes: the ledger does not grow with every run
    assert con.execute("SELECT max(batch_id) FROM events.ingest_batches").fetchone()[0] == batches_before


def test_status_shows_events_per_centre_and_reasons(bundled_run):
    warehouse, _ = bundled_run
    out = cli("status", "--warehouse", str(warehouse))
    assert out.returncode == 0, out.stderr
    assert "hanoi" in out.stdout and "new_delhi" in out.stdout
    assert "last position:" in out.stdout and "quarantine reason" in out.stdout


def test_env_vars_choose_the_warehouse(bundled_run, tmp_path):
    warehouse, _ = bundled_run
    out = cli("status", env={"JB_WAREHOUSE": str(warehouse)})
    assert out.returncode == 0 and "last position:" in out.stdout
    missing = cli("status", env={"JB_WAREHOUSE": str(tmp_path / "none.duckdb")})
    assert missing.returncode != 0 and "no warehouse" in missing.stderr


def test_a_refused_file_makes_the_command_fail_but_the_rest_loads(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources" / "center_logs" / "hanoi" / "2019", sources / "hanoi")
    (sources / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    warehouse = tmp_path / "w.duckdb"
    out = cli("ingest", str(sources), "--warehouse", str(warehouse))
    assert out.returncode == 1
    assert "broken.xlsx" in out.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    loaded = con.execute("SELECT count(*) FROM events.ingest_batches WHERE status = 'loaded'").fetchone()[0]
    refused = con.execute("SELECT file_name, reason FROM events.ingest_batches WHERE status = 'refused'").fetchall()
    assert loaded == len(list((sources / "hanoi").iterdir()))
    assert refused and refused[0][0] == "broken.xlsx" and "spreadsheet" in refused[0][1]
    assert con.execute("SELECT count(*) FROM events.event_store").fetchone()[0] > 0


def _mart_digests(warehouse: Path) -> dict[str, str]:
    """Each mart's rows, all years, as one md5 (the freeze's checksums cover one year each)."""
    from pipelines.freeze import MARTS_SCHEMA, tables

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            m: con.execute(f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM marts.{m} t").fetchone()[
                0
            ]
            for m in tables(con, MARTS_SCHEMA)
        }


def test_a_new_month_skips_the_unit_tests_and_builds_the_marts_a_full_refresh_builds(bundled_run, tmp_path):
    """A month's new events do not change the code: dbt's unit tests, which passed on it, are not
    run again; every mart equals, row for row, what a forced full build makes of the same store."""
    from helpers import copy_of_built, rec, write_csv

    warehouse = copy_of_built(bundled_run[0], tmp_path / "w")
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources", sources)
    write_csv(
        sources / "center_logs" / "hanoi" / "2026" / "hanoi_2026-01.csv",
        [rec(f"HN-2026-01-{n:03}", date=f"2026-01-{n + 4:02}") for n in range(6)],
    )
    month = cli("run", "--log-level", "INFO", "--sources", str(sources), "--warehouse", str(warehouse))
    assert month.returncode == 0, month.stderr[-3000:]
    assert "dbt unit tests, seeds and the seeds' own tests not run" in month.stdout + month.stderr
    month_nodes = _dbt_nodes_run(warehouse)
    after_month = _mart_digests(warehouse)
    full = cli("run", "--full-refresh", "--sources", str(sources), "--warehouse", str(warehouse))
    assert full.returncode == 0, full.stderr[-3000:]
    assert _mart_digests(warehouse) == after_month and len(after_month) >= 10
    full_nodes = _dbt_nodes_run(warehouse)
    # the month's build: every model and every test that reads one, a model-to-seed relationship among them
    assert {n for n in full_nodes if n.startswith("model.")} <= month_nodes
    assert any(n.startswith("test.") and "relationships" in n and "ref_centers_" in n for n in month_nodes)
    skipped = full_nodes - month_nodes
    assert skipped and all(n.split(".")[0] in ("seed", "unit_test", "test") for n in skipped)
    assert {"seed", "unit_test"} <= {n.split(".")[0] for n in skipped}


def _dbt_nodes_run(warehouse: Path) -> set[str]:
    """The unique ids of the nodes the last dbt command on `warehouse` ran (its run_results.json)."""
    from pipelines.dbt_project import target_path

    results = json.loads((target_path(str(warehouse)) / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"] for r in results["results"]}
