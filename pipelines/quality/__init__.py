"""Great Expectations suites on the marts: the business rules a reviewer would check by hand,
run before every export (which refuses to run when an invariant fails) and as Dagster asset
checks. A plausibility rule that fails only warns (`report.warnings`), naming the rows.

    report = validate_marts(con, year=2025, docs_dir=out / "data_docs")
    report.raise_if_failed()  # QualityFailed names every failing invariant

The rules are in `rules.py`; docs/quality.md lists them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.quality.outcome import INVARIANT, PLAUSIBILITY, QualityFailed, QualityReport, RuleOutcome
from pipelines.quality.rules import suites

__all__ = ["INVARIANT", "PLAUSIBILITY", "QualityFailed", "QualityReport", "RuleOutcome", "validate_marts"]


def validate_marts(con: duckdb.DuckDBPyConnection, year: int | None, docs_dir: Path | None = None) -> QualityReport:
    """Validate every suite on the marts of `con`. `year` is the export year: the suites judge that
    year's evaluation (what its freeze holds), in which a later year fails; None validates the
    whole live marts, with no upper bound on years. With `docs_dir`, GX Data Docs are written there."""
    from pipelines.quality.checkpoint import run_suites

    return run_suites(con, suites(con, year), docs_dir)
