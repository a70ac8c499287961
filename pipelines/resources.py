"""Dagster resources: the warehouse file, the sources folder and dbt."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.config import sources_dir, warehouse_path
from pipelines.dbt_project import dbt_resource


class SourcesFolder(dg.ConfigurableResource):
    """The folder the ingest reads and the sensor watches ($JB_SOURCES, default sources/)."""

    path: str

    @property
    def folder(self) -> Path:
        return Path(self.path)


def default_resources(sources: Path | None = None, warehouse: Path | None = None) -> dict:
    return {
        "warehouse": DuckDBResource(database=str(warehouse_path(warehouse))),
        "sources": SourcesFolder(path=str(sources_dir(sources))),
        "dbt": dbt_resource(),
    }
