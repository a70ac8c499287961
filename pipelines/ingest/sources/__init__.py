"""The registry of source kinds: one module per kind of file (see pipelines/ingest/source_kind.py).

To add a kind, write its module and list it here; the framework, the Dagster assets, the store's
migrations and docs/sources.md follow from this list.
"""

from __future__ import annotations

from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources.center_log import CENTER_LOG
from pipelines.ingest.sources.customs_panel import CUSTOMS_PANEL
from pipelines.ingest.sources.survey import SURVEY
from pipelines.ingest.sources.trade import TRADE

SOURCE_KINDS: tuple[SourceKind, ...] = (CENTER_LOG, SURVEY, TRADE, CUSTOMS_PANEL)


def by_name(name: str, kinds: tuple[SourceKind, ...] = SOURCE_KINDS) -> SourceKind:
    for kind in kinds:
        if kind.name == name:
            return kind
    raise KeyError(f"unknown source kind {name!r} (known: {', '.join(k.name for k in kinds)})")
