"""Money is exact (docs/analysts.md, "Money is exact"): every money column of every mart is USD as
DECIMAL(18,2), no value has a fraction of a cent, the `all` row's money is the sum of the
centres' to the cent, and the sums do not depend on the order or the threads DuckDB adds rows
with. The money columns are found by the marts' convention (`*_usd`, docs/analysts.md)."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.dbt_project import ensure_manifest
from pipelines.mart_registry import marts

pytestmark = pytest.mark.slow

MONEY = "DECIMAL(18,2)"


def money_columns(con) -> dict[str, list[str]]:
    """mart -> its money columns, as the built warehouse has them."""
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'marts' AND column_name LIKE '%\\_usd' ESCAPE '\\' ORDER BY table_name, ordinal_position"
    ).fetchall():
        out.setdefault(table, []).append(column)
    return out


def test_every_money_column_of_every_mart_is_decimal_18_2_in_the_warehouse_and_its_yml(bundled_run):
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        money = money_columns(con)
        types = dict(
            ((t, c), d)
            for t, c, d in con.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts'"
            ).fetchall()
        )
    assert {"result_evaluation", "process_evaluation", "trade_context"} <= set(money)
    assert {f"{t}.{c}": types[t, c] for t, cols in money.items() for c in cols if types[t, c] != MONEY} == {}
    # the contracts say so too (the export and the analysts' docs read the yml)
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    declared = {
        f"{n['name']}.{c}": col.get("data_type")
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == "marts"
        for c, col in n["columns"].items()
        if c.endswith("_usd")
    }
    assert declared == {f"{t}.{c}": "decimal(18,2)" for t, cols in money.items() for c in cols}


def test_no_money_value_has_a_fraction_of_a_cent(bundled_run):
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        finer = {
            f"{t}.{c}": con.execute(f'SELECT count(*) FROM marts.{t} WHERE "{c}" <> round("{c}", 2)').fetchone()[0]
            for t, cols in money_columns(con).items()
            for c in cols
        }
    assert finer and {k: n for k, n in finer.items() if n} == {}


def test_the_all_row_money_is_the_sum_of_the_centres_exactly(bundled_run):
    """In every mart keyed by centre (its unique_combination test), for every money column."""
    layouts = marts()
    differing, compared = [], 0
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        for mart, cols in money_columns(con).items():
            key = layouts[mart].key
            if "center" not in key:
                continue
            by = ", ".join(f'"{k}"' for k in key if k != "center")
            for c in cols:
                rows = con.execute(
                    f"SELECT {by}, max(\"{c}\") FILTER (WHERE center = 'all') AS whole, "
                    f"sum(\"{c}\") FILTER (WHERE center <> 'all') AS parts FROM marts.{mart} "
                    f"GROUP BY ALL HAVING whole IS DISTINCT FROM parts AND parts IS NOT NULL"
                ).fetchall()
                compared += 1
                differing += [(mart, c, *r) for r in rows]
    assert compared >= 5 and differing == []


def test_sums_of_money_do_not_depend_on_row_order_or_threads(bundled_run):
    """The result evaluation's money summed again from its activities, shuffled, on one thread and
    on four, equals the mart to the cent: a freeze's checksum (which hashes the values' text)
    cannot change with the order DuckDB adds rows in."""
    sql = """
        SELECT coalesce(center, 'all') AS center, year,
               coalesce(sum(amount_usd) FILTER (WHERE activity = 'consultation_held'), 0),
               coalesce(sum(amount_usd) FILTER (WHERE activity = 'contract_signed'), 0),
               coalesce(sum(amount_usd) FILTER (WHERE activity = 'export_shipped'), 0)
        FROM (SELECT * FROM intermediate.int_activities WHERE view_id = 0 ORDER BY hash(activity_key, {seed}))
        GROUP BY GROUPING SETS ((center, year), (year))
    """
    with duckdb.connect(str(bundled_run[0]), read_only=True) as con:
        # the live view's years (a frozen year is computed in its own view)
        frozen = {y for (y,) in con.execute("SELECT year FROM events.evaluation_freezes").fetchall()}
        mart = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "SELECT center, year, consultation_amount_usd, contract_amount_usd, export_amount_usd "
                "FROM marts.result_evaluation"
            ).fetchall()
            if r[1] not in frozen
        }
        for threads, seed in ((1, 1), (4, 2)):
            con.execute(f"SET threads = {threads}")
            again = {(r[0], r[1]): r[2:] for r in con.execute(sql.format(seed=seed)).fetchall() if r[1] not in frozen}
            assert again == mart, threads
