"""The annual export of a frozen evaluation: `export_year` is what the command line and the
Dagster asset call.

The export is always built from a frozen year: a year not frozen yet is frozen first (and the
meta block says so), and a frozen year whose marts no longer reproduce its freeze is refused. So
exporting a frozen year again, after late events, gives the same numbers. Before anything is
written the quality suites (pipelines/quality) judge the year's frozen evaluation (not the live
marts, which may hold a later year by then); a failing invariant refuses the export, naming it, a
failing plausibility rule is a warning the 데이터품질 sheet shows, and their Data Docs are
published in `<year>/data_docs/` (in `<year>.refused/data_docs/` when the export is refused).

Everything is written into `.<year>.partial/` beside the destination and renamed into place whole,
so a reader (or a killed export) never leaves `<year>/` half-written: it holds the last complete
export or nothing.

An export is made from its inputs alone: the year's latest freeze and the code and seeds (their
digest is `export_inputs` in meta.json), and names the warehouse file it was read from. When `<year>/` holds a whole
export of the same inputs and the marts still reproduce the freeze, nothing is rewritten
(`force` rewrites it): the workbook, the charts and the quality suites would come out the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines import freeze as fz
from pipelines import warehouse as wh
from pipelines.build_state import code_files
from pipelines.export.meta import meta_block, write_meta_json
from pipelines.processes import process_alive

if TYPE_CHECKING:  # imported when an export is written: Great Expectations takes seconds to import
    from pipelines.quality import QualityReport

Validate = Callable[[duckdb.DuckDBPyConnection, int, Path], "QualityReport"]
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
    rewritten: bool = True  # False: the folder already held this export, and was left as it was


def file_stem(year: int) -> str:
    return f"jeonbuk_export_centres_{year}"


def export_year(
    warehouse: Path | str,
    year: int,
    out_dir: Path | str,
    validate: Validate | None = None,
    *,
    today: date | None = None,
    force: bool = False,
    progress=print,
) -> ExportResult:
    """Write `out_dir/<year>/`: the workbook, the HTML report and meta.json of the frozen
    evaluation of `year`, freezing it first when it is not frozen yet.

    `validate` (default: pipelines.quality.validate_marts) runs the quality suites on the year's
    evaluation (their Data Docs go to `<year>/data_docs/`, or to `<year>.refused/data_docs/` when
    an invariant fails and the export is refused).
    """
    warehouse, folder = Path(warehouse), Path(out_dir) / str(year)
    stage, refused = _sibling(folder, f"partial-{os.getpid()}"), folder.with_name(f"{year}.refused")
    _recover(folder)
    current = None if force else _current(warehouse, year, folder)
    if current is not None:
        progress(f"{folder} is the export of freeze {current['freeze_id']} by this code already: nothing rewritten")
        return _result(year, folder, current, rewritten=False)
    # the files and the suites, imported only when there is something to write (matplotlib, GX)
    from pipelines.export.charts import draw_all
    from pipelines.export.excel import write_workbook
    from pipelines.export.frames import read_year
    from pipelines.export.report import write_report
    from pipelines.quality import validate_marts

    validate = validate or validate_marts
    with wh.writer_lock(warehouse):  # nothing is appended or rebuilt between the freeze and the read
        frozen_now = _freeze_first(warehouse, year, today, progress)
        with wh.connect(warehouse) as con:
            freeze = fz.freezes(con, year)[-1]
            quality = _checked(con, year, freeze, validate, stage, refused, progress)
            frames = read_year(con, year, freeze["frozen_at"], quality.outcomes)
    meta = meta_block(
        freeze,
        frozen_now=frozen_now,
        code_version=fz.code_version(),
        warehouse=warehouse,
        quality_rules=len(quality.outcomes),
        quality_failed=len(quality.failed),  # 0: failed invariants refuse above
        export_inputs=_inputs(freeze),
        # relative when published beside the files, so that the folder can be moved or shared
        data_docs_index=(
            quality.docs_index.relative_to(stage)
            if quality.docs_index and quality.docs_index.is_relative_to(stage)
            else quality.docs_index
        ),
    )
    stage.mkdir(parents=True, exist_ok=True)
    stem = file_stem(year)
    try:
        write_workbook(stage / f"{stem}.xlsx", frames, meta)
        write_report(stage / f"{stem}.html", frames, draw_all(frames), meta)
        write_meta_json(stage / "meta.json", meta)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _put_in_place(stage, folder)
    shutil.rmtree(refused, ignore_errors=True)  # the year exports now: an earlier refusal is history
    return _result(year, folder, meta)


def _freeze_first(warehouse: Path, year: int, today: date | None, progress) -> bool:
    """Freeze `year` when it is not frozen yet (and check the freeze reproduces); whether it was."""
    with wh.connect(warehouse) as con:
        if fz.freezes(con, year):
            return False
    progress(f"{year} is not frozen yet: freezing it first (python -m pipelines freeze --year {year})")
    try:
        result = fz.freeze(warehouse, year, today=today)
    except fz.FreezeRefused as exc:
        raise ExportRefused(f"cannot freeze {year}: {exc}") from None
    if result.mismatches:
        raise ExportRefused(f"{year} was frozen but does not reproduce: {result.mismatches}")
    progress(
        f"froze {year} as freeze {result.freeze_id} at store position {result.store_position}"
        + (f" (the marts as run {result.built_by} built them)" if result.built_by else "")
    )
    return True


def _checked(con, year: int, freeze: dict, validate: Validate, stage: Path, refused: Path, progress):
    """The year's marts still match its freeze and pass the quality rules (their Data Docs staged,
    or kept in `refused` when an invariant fails); the rules' outcomes."""
    differs = [p for p in fz.verify(con) if p.startswith(f"{year}:")]
    if differs:
        raise ExportRefused(
            f"the marts of {year} no longer match its freeze {freeze['freeze_id']} ({'; '.join(differs)}): "
            "rebuild them (python -m pipelines run) or re-freeze the year on purpose"
        )
    progress(f"checking the evaluation of {year} against the quality rules (pipelines/quality)")
    quality = validate(con, year, stage / DATA_DOCS)
    for o in quality.warnings:
        progress(f"warning (plausibility, the export goes on): {o}")
    if quality.failed:
        failed = "; ".join(f"{o.suite}: {o.rule} ({o.observed})" for o in quality.failed)
        docs = _keep_refused_docs(stage, refused, quality.docs_index)
        raise ExportRefused(
            f"{len(quality.failed)} quality rule(s) fail on the evaluation of {year}: {failed}"
            + (f" -- see {docs}" if docs else "")
        )
    return quality


def _result(year: int, folder: Path, meta: dict, rewritten: bool = True) -> ExportResult:
    stem = file_stem(year)
    return ExportResult(
        year, folder, folder / f"{stem}.xlsx", folder / f"{stem}.html", folder / "meta.json", meta, rewritten
    )


def _inputs(freeze: dict) -> str:
    """The digest of what an export of `freeze` is made from (the same for a copy of the warehouse)."""
    parts = [f"freeze={freeze['freeze_id']}:{freeze['checksum']}", *code_files()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _current(warehouse: Path, year: int, folder: Path) -> dict | None:
    """The meta of the export in `folder` when it is whole, of the year's latest freeze, made from
    the same inputs, and the marts still reproduce that freeze; else None (the export is made)."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stem = file_stem(year)
    if not all((folder / name).is_file() for name in (f"{stem}.xlsx", f"{stem}.html")):
        return None
    with wh.connect(warehouse, read_only=True) as con:
        freezes = fz.freezes(con, year)
        if not freezes or meta.get("export_inputs") != _inputs(freezes[-1]) or meta.get("warehouse") != str(warehouse):
            return None
        if any(p.startswith(f"{year}:") for p in fz.verify(con)):
            return None  # the full path refuses it, saying why
    return meta


def _sibling(folder: Path, what: str) -> Path:
    return folder.with_name(f".{folder.name}.{what}")


def _recover(folder: Path) -> None:
    """Undo what a killed export left: its partial folder removed, and after a kill between the two
    renames of `_put_in_place`, the last complete export back in place (or the old one removed)."""
    for partial in folder.parent.glob(f".{folder.name}.partial-*"):
        if not process_alive(int(partial.name.rsplit("-", 1)[1]), None):
            shutil.rmtree(partial, ignore_errors=True)
    old = _sibling(folder, "old")
    if old.exists() and not folder.exists():
        os.rename(old, folder)
    shutil.rmtree(old, ignore_errors=True)


def _put_in_place(stage: Path, folder: Path) -> None:
    """`stage` becomes `folder`: the old export is renamed aside, the new one in, the old removed.
    A directory cannot be renamed over a non-empty one, so this is two renames; `_recover` mends a
    kill between them."""
    old = _sibling(folder, "old")
    if folder.exists():
        os.rename(folder, old)
    os.rename(stage, folder)
    shutil.rmtree(old, ignore_errors=True)


def _keep_refused_docs(stage: Path, refused: Path, docs_index: Path | None) -> Path | None:
    """The Data Docs of a refused export, moved to `<year>.refused/`; the partial folder removed."""
    if docs_index is None or not docs_index.is_relative_to(stage):
        shutil.rmtree(stage, ignore_errors=True)
        return docs_index
    shutil.rmtree(refused, ignore_errors=True)
    os.rename(stage, refused)
    return refused / docs_index.relative_to(stage)
