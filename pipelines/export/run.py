"""The annual export of a frozen evaluation: `export_year` is what the command line and the
Dagster asset call.

The export is always built from a frozen year: a year not frozen yet is frozen first (and the
meta block says so), and a frozen year whose marts no longer reproduce its freeze is refused. So
exporting a frozen year again, after late events, gives the same numbers. Before anything is
written the quality suites (pipelines/quality) run with the export year; a failing rule refuses
the export, naming it, and their Data Docs are published in `<year>/data_docs/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines import freeze as fz
from pipelines import warehouse as wh
from pipelines.export.charts import draw_all
from pipelines.export.excel import write_workbook
from pipelines.export.frames import read_year
from pipelines.export.meta import meta_block, write_meta_json
from pipelines.export.report import write_report
from pipelines.quality import QualityReport, validate_marts

Validate = Callable[[duckdb.DuckDBPyConnection, int, Path], QualityReport]
DATA_DOCS = "data_docs"  # the quality suites' Data Docs, beside the workbook


class ExportRefused(RuntimeError):
    """The year cannot be exported: it cannot be frozen, no longer reproduces, or fails quality rules."""


@dataclass
class ExportResult:
    year: int
    folder: Path
    workbook: Path
    report: Path
    meta_json: Path
    meta: dict


def file_stem(year: int) -> str:
    return f"jeonbuk_export_centres_{year}"


def export_year(
    warehouse: Path | str,
    year: int,
    out_dir: Path | str,
    validate: Validate = validate_marts,
    *,
    today: date | None = None,
    progress=print,
) -> ExportResult:
    """Write `out_dir/<year>/`: the workbook, the HTML report and meta.json of the frozen
    evaluation of `year`, freezing it first when it is not frozen yet.

    `validate` runs the quality suites on the marts with the export year (their Data Docs go to
    `<year>/data_docs/`, where they stay when a rule fails and the export is refused).
    """
    warehouse, folder = Path(warehouse), Path(out_dir) / str(year)
    with wh.writer_lock(warehouse):  # nothing is appended or rebuilt between the freeze and the read
        with wh.connect(warehouse) as con:
            frozen_now = not fz.freezes(con, year)
        if frozen_now:
            progress(f"{year} is not frozen yet: freezing it first (python -m pipelines freeze --year {year})")
            try:
                result = fz.freeze(warehouse, year, today=today)
            except fz.FreezeRefused as exc:
                raise ExportRefused(f"cannot freeze {year}: {exc}") from None
            if result.mismatches:
                raise ExportRefused(f"{year} was frozen but does not reproduce: {result.mismatches}")
            progress(f"froze {year} as freeze {result.freeze_id} at store position {result.store_position}")
        with wh.connect(warehouse) as con:
            freeze = fz.freezes(con, year)[-1]
            differs = [p for p in fz.verify(con) if p.startswith(f"{year}:")]
            if differs:
                raise ExportRefused(
                    f"the marts of {year} no longer match its freeze {freeze['freeze_id']} ({'; '.join(differs)}): "
                    "rebuild them (python -m pipelines run) or re-freeze the year on purpose"
                )
            progress(f"checking the marts of {year} against the quality rules (pipelines/quality)")
            quality = validate(con, year, folder / DATA_DOCS)
            if quality.failed:
                failed = "; ".join(f"{o.suite}: {o.rule} ({o.observed})" for o in quality.failed)
                raise ExportRefused(
                    f"{len(quality.failed)} quality rule(s) fail on the marts of {year}: {failed}"
                    + (f" -- see {quality.docs_index}" if quality.docs_index else "")
                )
            frames = read_year(con, year, freeze["frozen_at"], quality.outcomes)
    meta = meta_block(
        freeze,
        frozen_now=frozen_now,
        code_version=fz.code_version(),
        warehouse=warehouse,
        quality_rules=len(quality.outcomes),
        quality_failed=len(quality.failed),  # 0: failed rules refuse above
        # relative when published beside the files, so that the folder can be moved or shared
        data_docs_index=(
            quality.docs_index.relative_to(folder)
            if quality.docs_index and quality.docs_index.is_relative_to(folder)
            else quality.docs_index
        ),
    )
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(year)
    workbook = write_workbook(folder / f"{stem}.xlsx", frames, meta)
    report = write_report(folder / f"{stem}.html", frames, draw_all(frames), meta)
    meta_json = write_meta_json(folder / "meta.json", meta)
    return ExportResult(year, folder, workbook, report, meta_json, meta)
