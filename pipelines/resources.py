"""Dagster resources: the warehouse file, the sources folder and dbt."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import warehouse as wh
from pipelines.config import sources_dir, warehouse_path


class SourcesFolder(dg.ConfigurableResource):
    """The folder the ingest reads and the sensor watches ($JB_SOURCES, default sources/)."""

    path: str

    @property
    def folder(self) -> Path:
        return Path(self.path)


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file, opened as the command line opens it (pipelines/warehouse.py)."""

    database: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with wh.connect(self.database, read_only=read_only) as con:
            yield con


def default_resources(sources: Path | None = None, warehouse: Path | None = None) -> dict:
    from pipelines.assets.dbt import dbt_resource  # the assets import these resources

    return {
        "warehouse": Warehouse(database=str(warehouse_path(warehouse))),
        "sources": SourcesFolder(path=str(sources_dir(sources))),
        "dbt": dbt_resource(),
    }
