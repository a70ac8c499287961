"""Shared fixtures: a fresh warehouse per test, and the helpers module importable as `helpers`."""

from __future__ import annotations

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
def bundled_run(tmp_path_factory):
    """`python -m pipelines run` of the bundled sources into a fresh warehouse, shared by the
    tests that read what it built: (warehouse path, the completed process)."""
    from helpers import cli

    warehouse = tmp_path_factory.mktemp("e2e") / "jeonbuk.duckdb"
    first = cli("run", "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return warehouse, first
