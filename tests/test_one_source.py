"""A warehouse fed by one kind of source alone (a province that starts with its satisfaction
survey, or with K-stat downloads, before any centre log) runs clean: the marts the other sources
feed are empty, and an empty mart is a valid mart."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from helpers import PROJECT_DIR, cli, instance_home

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("folder", ["surveys", "trade"])
def test_one_source_alone_runs_clean(tmp_path, folder):
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources" / folder, sources / folder)
    warehouse = tmp_path / "jeonbuk.duckdb"
    env = {"DAGSTER_HOME": str(instance_home(tmp_path))}
    done = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "failed check" not in done.stdout + done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(centre_rows,)] = con.execute("SELECT count(*) FROM marts.result_evaluation").fetchall()
        [(events,)] = con.execute("SELECT count(*) FROM events.event_store").fetchall()
    assert centre_rows == 0 and events > 0  # the centre marts were checked empty
