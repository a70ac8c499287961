"""Where things live: project folders, the warehouse file and the sources folder."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "jeonbuk.duckdb"
DEFAULT_SOURCES = PROJECT_DIR / "sources"
DEFAULT_EXPORTS = PROJECT_DIR / "exports"


def warehouse_path(override: str | os.PathLike | None = None) -> Path:
    """The DuckDB file: an explicit path, else $JB_WAREHOUSE, else warehouse/jeonbuk.duckdb."""
    raw = override or os.environ.get("JB_WAREHOUSE") or DEFAULT_WAREHOUSE
    return Path(raw).expanduser().resolve()


def sources_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder of input files: an explicit path, else $JB_SOURCES, else sources/."""
    raw = override or os.environ.get("JB_SOURCES") or DEFAULT_SOURCES
    return Path(raw).expanduser().resolve()


def exports_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder annual exports go to (one subfolder per year): an explicit path, else
    $JB_EXPORTS, else exports/."""
    raw = override or os.environ.get("JB_EXPORTS") or DEFAULT_EXPORTS
    return Path(raw).expanduser().resolve()


ANALYST_FILE = "analyst.duckdb"


def analyst_path(warehouse: Path | str) -> Path:
    """$JB_ANALYST, else analyst.duckdb in the warehouse's folder."""
    raw = os.environ.get("JB_ANALYST")
    return Path(raw).expanduser().resolve() if raw else Path(warehouse).resolve().with_name(ANALYST_FILE)
