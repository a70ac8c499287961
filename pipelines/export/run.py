"""The annual export of a frozen evaluation: `export_year` is what the command line and the
Dagster asset call.

The export is always built from a frozen year: a year not frozen yet is frozen first (and the
meta block says so), and a frozen year whose marts no longer reproduce its freeze is refused. So
exporting a frozen year again, after late events, gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from pipelines import freeze as fz
from pipelines import warehouse as wh
from pipelines.export.charts import draw_all
from pipelines.export.excel import write_workbook
from pipelines.export.frames import QualityOutcome, read_year
from pipelines.export.meta import meta_block, write_meta_json
from pipelines.export.report import write_report


class ExportRefused(RuntimeError):
    """The year cannot be exported: it cannot be frozen, no longer reproduces, or fails quality rules."""


class QualityReport(Protocol):
    """What the quality suites return (pipelines.quality.validate_marts): any object with these
    attributes will do."""

    outcomes: Sequence[QualityOutcome]
    docs_index: Path | None
    failed: Sequence[QualityOutcome]


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
    quality: QualityReport | None = None,
    *,
    today: date | None = None,
    progress=print,
) -> ExportResult:
    """Write `out_dir/<year>/`: the workbook, the HTML report and meta.json of the frozen
    evaluation of `year`, freezing it first when it is not frozen yet.

    `quality` is the outcome of the quality suites on the marts; when it has failed rules the
    export is refused. The export command will obtain it here, once `pipelines.quality` exists:
    `quality = validate_marts(con, year, docs_dir)` inside the connection below.
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
            if quality is not None and quality.failed:
                failed = ", ".join(f"{o.suite}: {o.rule}" for o in quality.failed)
                raise ExportRefused(f"{len(quality.failed)} quality rule(s) fail on the marts of {year}: {failed}")
            outcomes = list(quality.outcomes) if quality is not None else []
            frames = read_year(con, year, freeze["frozen_at"], outcomes)
    meta = meta_block(
        freeze,
        frozen_now=frozen_now,
        code_version=fz.code_version(),
        warehouse=warehouse,
        quality_rules=len(outcomes),
        quality_failed=len(quality.failed) if quality is not None else 0,  # 0: failed rules refuse above
        data_docs_index=quality.docs_index if quality is not None else None,
    )
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(year)
    workbook = write_workbook(folder / f"{stem}.xlsx", frames, meta)
    report = write_report(folder / f"{stem}.html", frames, draw_all(frames), meta)
    meta_json = write_meta_json(folder / "meta.json", meta)
    return ExportResult(year, folder, workbook, report, meta_json, meta)
