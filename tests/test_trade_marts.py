"""The bundled K-stat samples reproduce the report through `python -m pipelines run`: Table 2-2's
Jeonbuk export totals and Table 2-8's 2018–2022 compound growth; and the generator writes the
bundled files byte for byte. A centre added as a seed row gets its country's series, and a new
year's first centre log runs before KITA publishes the year."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest
from helpers import PROJECT_DIR, cli, consultation, instance_home, project_checkout, rec, write_csv, write_xlsx

from pipelines.generate.trade import write_trade

pytestmark = pytest.mark.slow


def one(warehouse, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_table_2_2_totals_and_table_2_8_growth_through_the_cli(bundled_run):
    warehouse, _ = bundled_run
    totals = dict(
        one(warehouse, "SELECT year, round(value_usd / 1e6) FROM marts.trade_context WHERE series = 'jeonbuk_total'")
    )
    assert (totals[2021], totals[2022]) == (7819, 8222)  # Table 2-2, USD million
    national = dict(
        one(warehouse, "SELECT year, round(value_usd / 1e6) FROM marts.trade_context WHERE series = 'national_total'")
    )
    assert (national[2021], national[2022]) == (644439, 683750)
    growth = dict(
        one(
            warehouse,
            "SELECT series, round(compound_growth_rate * 100, 2) FROM marts.trade_growth "
            "WHERE base_year = 2018 AND year = 2022",
        )
    )
    assert growth["jeonbuk_total"] == 1.26  # (82/78)^(1/4) − 1
    # the report's other printed averages: SME 6.0, SME VN+IN 6.6, all firms VN+IN −2.3
    assert (round(growth["sme_total"], 1), round(growth["sme_vietnam_india"], 1)) == (6.0, 6.6)
    assert round(growth["jeonbuk_vietnam_india"], 1) == -2.3
    # the revised snapshot: the preliminary 2022 figure (retrieved 2023-01-20) is superseded, not erased
    assert totals[2022] != 8220
    [(snapshots,)] = one(
        warehouse,
        "SELECT count(*) FROM events.event_store WHERE source_kind = 'trade' AND payload->>'region' = 'jeonbuk' "
        "AND payload->>'country' = 'ALL' AND payload->>'item_code' = 'ALL' AND payload->>'sigun' = 'ALL' "
        "AND payload->>'firm_size' = 'all' AND payload->>'period' = '2022'",
    )
    assert snapshots >= 2
    shares = one(
        warehouse,
        "SELECT year, centre_firm_share FROM marts.trade_context WHERE series = 'jeonbuk_vietnam_india' "
        "AND year BETWEEN 2020 AND 2022",
    )
    assert len(shares) == 3 and all(0 < s < 1 for _, s in shares)


def test_the_generator_writes_the_bundled_trade_files(tmp_path):
    written = write_trade(tmp_path)
    assert {"xls", "xlsx", "csv"} <= set(written.values())
    for name in written:
        assert (tmp_path / "trade" / name).read_bytes() == (PROJECT_DIR / "sources" / "trade" / name).read_bytes(), name
    assert sorted(p.name for p in (PROJECT_DIR / "sources" / "trade").iterdir()) == sorted(written)


def test_generate_command_writes_the_trade_samples(tmp_path):
    out = tmp_path / "gen"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "generate", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "trade" / "K-stat 총괄 전북 2018-2022.xls").exists() and (out / "center_logs").is_dir()


def test_a_centre_added_as_a_seed_row_gets_its_country_series_and_share(tmp_path):
    project = project_checkout(tmp_path / "project")
    with (project / "dbt_project" / "seeds" / "centers.csv").open("a", encoding="utf-8") as f:
        f.write("jakarta,자카르타,Jakarta,ID,IDR,2021-01-01,자카르타센터\n")
    sources = tmp_path / "sources"
    shipments = [("JKT-1", "자카르타", "2021-05-03", "25000"), ("JKT-2", "자카르타", "2022-04-11", "30000")]
    shipments.append(("JKT-3", "jakarta", "2022-09-20", "20000"))
    write_csv(
        sources / "center_logs" / "jakarta_2021-2022.csv",
        [
            rec(record, center=centre, date=day, activity="export_shipped", amount=amount, currency="USD")
            for record, centre, day, amount in shipments
        ],
    )
    # K-stat's yearly exports of Jeonbuk to Indonesia (the country only in the file name), thousand USD
    write_xlsx(
        sources / "trade" / "전북_인도네시아_수출_2021-2022.xlsx",
        ["년도", "수출금액", "수출증감률"],
        [["2021", "150,000", "-"], ["2022", "196,452", "31.0"]],
        title_rows=[["국가별 수출 추이"], ["조회일 : 2023-03-15"], ["단위 : 천달러"], []],
    )
    warehouse = tmp_path / "jeonbuk.duckdb"
    env = {"DAGSTER_HOME": str(instance_home(tmp_path))}
    done = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), cwd=project, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {
        (series, year): (value, growth, exports, share)
        for series, year, value, growth, exports, share in one(
            warehouse,
            "SELECT series, year, value_usd, yoy_growth_rate, centre_firm_exports_usd, centre_firm_share "
            "FROM marts.trade_context",
        )
    }
    assert rows[("centre_firms_indonesia", 2021)][:2] == (25_000, None)
    assert rows[("centre_firms_indonesia", 2022)] == (50_000, 1.0, None, None)
    assert rows[("jeonbuk_indonesia", 2022)][:3] == (196_452_000, pytest.approx(196_452 / 150_000 - 1), 50_000)
    assert rows[("jeonbuk_indonesia", 2022)][3] == pytest.approx(50_000 / 196_452_000)
    assert not any(series.startswith("centre_firms_viet") for series, _ in rows)  # no Hanoi log, no Hanoi series


def test_the_first_log_of_a_new_year_runs_before_kita_publishes_it(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources", sources)
    # six ordinary rows of January 2026 at Hanoi, no shipment yet; K-stat has nothing of 2026
    write_csv(
        sources / "center_logs" / "hanoi" / "2026" / "hanoi_2026-01.csv",
        [
            rec("HAN-2026-900001", date="2026-01-06"),
            rec("HAN-2026-900002", date="2026-01-07", firm_id="202-81-00012"),
            consultation("HAN-2026-900003", date="2026-01-12", amount="12000"),
            consultation("HAN-2026-900004", date="2026-01-15", importer_id="IMP-002", amount="8000"),
            rec("HAN-2026-900005", date="2026-01-20", activity="difficulty_resolved"),
            rec("HAN-2026-900006", date="2026-01-27", activity="importer_info_provided", importer_id="IMP-003"),
        ],
    )
    warehouse = tmp_path / "jeonbuk.duckdb"
    env = {"DAGSTER_HOME": str(instance_home(tmp_path))}
    done = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    new_year = one(
        warehouse,
        "SELECT series, value_usd, centre_firm_share, other_markets_yoy_growth_rate, trade_data_status "
        "FROM marts.trade_context WHERE year = 2026 ORDER BY series",
    )
    assert new_year == [
        ("centre_firms_vietnam", 0.0, None, None, "awaiting_kita"),
        ("centre_firms_vietnam_india", 0.0, None, None, "awaiting_kita"),
    ]
    statuses = one(
        warehouse,
        "SELECT DISTINCT trade_data_status FROM marts.trade_context WHERE year = 2022 AND series LIKE 'centre_firms_%'",
    )
    assert statuses == [("final",)]  # a year K-stat has: read against Jeonbuk's published figures
