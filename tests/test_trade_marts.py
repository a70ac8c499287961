"""The bundled K-stat samples reproduce the report through `python -m pipelines run`: Table 2-2's
Jeonbuk export totals and Table 2-8's 2018–2022 compound growth; and the generator writes the
bundled files byte for byte."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from helpers import PROJECT_DIR

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
