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
