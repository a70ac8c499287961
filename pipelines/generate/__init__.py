"""Deterministic, seeded generator of the centres' monthly activity logs (docs/sources.md §2).

`generate(out_dir, scale, seed)` writes `out_dir/center_logs/<centre>/<yyyy>/<centre>_<yyyy-mm>`
files (CSV or XLSX) and the satisfaction surveys of those firms under `out_dir/surveys/`
(pipelines/generate/surveys.py). After the ingest applies corrections and sets aside
duplicates, conflicts and bad rows, the result indicators of 2019–2022 equal the report's
Table 2-9 at scale 1; `scale` multiplies firms, events and targets.

plan (what happens) → noise (what the files hold) → layout/render (how it is written) → write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path

from pipelines.generate.layout import file_styles
from pipelines.generate.noise import file_rows
from pipelines.generate.plan import build_plan, totals
from pipelines.generate.render import Renderer
from pipelines.generate.surveys import write_surveys
from pipelines.generate.write import write_csv, write_xlsx

__all__ = ["generate"]


def generate(out_dir: Path, scale: int = 1, seed: int = 2023) -> dict:
    """Write the logs and return a summary: files, rows per year and centre, noise, indicators."""
    if scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, not {scale}")
    out_dir = Path(out_dir)
    for target in (out_dir / "center_logs", out_dir / "surveys"):
        if target.exists() and any(p.is_file() for p in target.rglob("*")):
            # the ingest reads every file in the folder: stale files of another run would mix in
            raise FileExistsError(f"{target} already holds files; remove it or choose another folder")
    plan = build_plan(scale, seed)
    files = file_rows(plan, file_styles(seed))
    rows_by_year: dict[int, Counter] = {}
    kinds: Counter = Counter()
    formats: Counter = Counter()
    size = 0
    for style, rows in files.items():
        renderer = Renderer(style, seed)
        cells = [renderer.cells(r) for r in rows]
        path = out_dir / style.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if style.fmt == "xlsx":
            size += write_xlsx(path, [style.header, *cells], f"{style.year}-{style.month:02d}")
        else:
            size += write_csv(path, style.header, cells, style.encoding)
        formats[style.fmt] += 1
        rows_by_year.setdefault(style.year, Counter())[style.center] += len(rows)
        kinds.update(r.kind for r in rows)
    surveys = write_surveys(out_dir, plan, seed)
    return {
        "out_dir": str(out_dir),
        "scale": scale,
        "seed": seed,
        "files": sum(formats.values()),
        "formats": dict(sorted(formats.items())),
        "bytes": size,
        "rows": sum(kinds.values()),
        "rows_by_year": {y: dict(sorted(c.items())) for y, c in sorted(rows_by_year.items())},
        "row_kinds": dict(sorted(kinds.items())),
        "indicators": {y: asdict(t) for y, t in totals(plan.activities).items()},
        "surveys": surveys,  # files, rows and bad rows of the survey exports (not in the log figures above)
    }
