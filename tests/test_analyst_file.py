"""The analysts' file (pipelines/publish.py): an analyst holding analyst.duckdb open read-only
never blocks a run, and sees the new marts on reconnecting; the file holds the marts only."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from helpers import cli, consultation, copy_of_built, instance_home, write_csv

pytestmark = pytest.mark.slow


def _run(sources, warehouse, home):
    out = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), env={"DAGSTER_HOME": str(home)})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


CONSULTATIONS = "SELECT consultations FROM marts.result_evaluation WHERE center = 'hanoi' AND year = 2022"


def test_a_reader_holding_the_analyst_file_never_blocks_a_run_and_sees_new_marts_on_reconnecting(bundled_run, tmp_path):
    # the bundled run's warehouse and analysts' file, and a month with one more consultation
    home, sources = instance_home(tmp_path), tmp_path / "sources"
    warehouse = copy_of_built(bundled_run[0], tmp_path / "w")
    analyst = warehouse.with_name("analyst.duckdb")
    shutil.copy2(bundled_run[0].with_name("analyst.duckdb"), analyst)

    reader = duckdb.connect(str(analyst), read_only=True)  # held through the next run
    try:
        (before,) = reader.execute(CONSULTATIONS).fetchone()
        write_csv(sources / "hanoi_2022-12-late.csv", [consultation("HAN-2022-LATE-1", date="2022-12-28")])
        ran = _run(sources, warehouse, home)
        assert str(analyst) in ran.stdout
        assert reader.execute(CONSULTATIONS).fetchone() == (before,)  # the file it opened, unchanged
    finally:
        reader.close()
    with duckdb.connect(str(analyst), read_only=True) as again:
        assert again.execute(CONSULTATIONS).fetchone() == (before + 1,)
        position = again.execute("SELECT store_position FROM publication").fetchone()[0]
        schemas = {s for (s,) in again.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
        marts = {t for (t,) in again.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'")
                 .fetchall()}  # fmt: skip
        described = again.execute(
            "SELECT count(*) FILTER (WHERE comment IS NULL), count(*) FROM duckdb_columns() WHERE schema_name = 'marts'"
        ).fetchone()
    with duckdb.connect(str(warehouse), read_only=True) as source:
        assert position == source.execute("SELECT max(position) FROM events.event_store").fetchone()[0]
        built = {t for (t,) in source.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'")
                 .fetchall()}  # fmt: skip
    # only the marts: no events, quarantine, staging or survey answers
    assert schemas == {"main", "marts"} and marts == built
    assert described[0] == 0 and described[1] > 50  # every column carries its dbt description
    assert not list(analyst.parent.glob(".analyst.duckdb.*"))  # no scratch file left behind
