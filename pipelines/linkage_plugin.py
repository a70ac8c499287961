"""The dbt-duckdb plugin that lets a model link the centres' firms to a customs extract
(dbt_project/profiles.yml): `link_pseudonym(registration_number)` on dbt's connection gives a
firm's pseudonym under the linkage key (pipelines/linkage.py), read from the environment when dbt
connects. The key stays in this process's memory: it is in no SQL, no dbt variable, no log. Without
a key the function gives NULL, and no firm is linked.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pipelines.linkage import link_key, pseudonym

FUNCTION = "link_pseudonym"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self.key = link_key()

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # once per connection: dbt's cursors share its catalog, so they see the function too
        key = self.key

        def link(registration_number: str | None) -> str | None:
            return pseudonym(registration_number, key) if key and registration_number else None

        # "special": the function itself answers NULL (no key) instead of DuckDB refusing a NULL
        conn.create_function(FUNCTION, link, ["VARCHAR"], "VARCHAR", null_handling="special", side_effects=False)
