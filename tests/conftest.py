"""Shared fixtures: a fresh warehouse per test, and the helpers module importable as `helpers`."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """The path of a warehouse file that does not exist yet (each test gets its own)."""
    return tmp_path / "warehouse" / "test.duckdb"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A folder for the test's fixture files."""
    folder = tmp_path / "sources"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory, worker_id):
    """`python -m pipelines run` of the bundled sources into a fresh warehouse, shared by the
    tests that read what it built: (warehouse path, the completed process). Under pytest-xdist
    the first worker builds it once and every worker gets a copy of its own (some tests write to
    it: a forced rebuild, dbt's docs); a single process builds it in place."""
    from helpers import cli

    def build(warehouse: Path) -> subprocess.CompletedProcess:
        done = cli("run", "--warehouse", str(warehouse))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    if worker_id == "master":
        warehouse = tmp_path_factory.mktemp("e2e") / "jeonbuk.duckdb"
        return warehouse, build(warehouse)
    shared = tmp_path_factory.getbasetemp().parent / "bundled_run"
    shared.mkdir(exist_ok=True)
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the one that builds
        done = shared / "completed.json"
        if not done.exists():
            built = build(shared / "jeonbuk.duckdb")
            done.write_text(json.dumps([built.args, built.returncode, built.stdout, built.stderr]), encoding="utf-8")
    own = tmp_path_factory.mktemp("e2e")
    for f in shared.iterdir():
        if f.is_dir():
            shutil.copytree(f, own / f.name)
        elif f.name != done.name:
            shutil.copy2(f, own / f.name)
    return own / "jeonbuk.duckdb", subprocess.CompletedProcess(*json.loads(done.read_text(encoding="utf-8")))
