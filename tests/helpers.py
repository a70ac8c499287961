"""Small helpers for tests: write centre-log fixture files, ingest them, read the warehouse back.

Fixture rows are dicts keyed by the canonical field names of docs/sources.md §2 (`record_id`,
`center`, …); any other key is written as a column with that header (an "extra" column).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from pipelines import warehouse as wh
from pipelines.ingest.runner import ingest_paths
from pipelines.ingest.sources.center_log import CENTER_LOG

PROJECT_DIR = Path(__file__).resolve().parents[1]

# canonical field -> Korean header, as the source kind declares them
KO_HEADERS: dict[str, str] = {f.name: f.ko for f in CENTER_LOG.fields}


def rec(record_id: str, **fields) -> dict:
    """A valid `market_info_provided` row of the Hanoi centre, with `fields` overriding."""
    row = {
        "record_id": record_id,
        "center": "hanoi",
        "date": "2022-03-05",
        "activity": "market_info_provided",
        "firm_id": "202-81-00011",
    }
    row.update(fields)
    return row


def consultation(record_id: str, **fields) -> dict:
    """A valid `consultation_held` row (needs firm, importer and amount)."""
    base = {"activity": "consultation_held", "importer_id": "IMP-001", "amount": "1000"}
    base.update(fields)
    return rec(record_id, **base)


def columns_of(rows: Sequence[dict]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def header_text(columns: Sequence[str], headers: str = "ko") -> list[str]:
    if headers == "ko":
        return [KO_HEADERS.get(c, c) for c in columns]
    if headers == "en":
        return list(columns)
    raise ValueError(headers)


def csv_text(
    rows: Sequence[dict],
    *,
    columns: Sequence[str] | None = None,
    headers: str = "ko",
    title_rows: Sequence[Sequence[str]] = (),
) -> str:
    columns = list(columns) if columns is not None else columns_of(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for title in title_rows:
        writer.writerow(title)
    writer.writerow(header_text(columns, headers))
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return buf.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[dict],
    *,
    columns: Sequence[str] | None = None,
    headers: str = "ko",
    encoding: str = "utf-8",
    title_rows: Sequence[Sequence[str]] = (),
) -> Path:
    """Write a centre log CSV (header on the line after `title_rows`); `encoding` may be
    'utf-8', 'utf-8-sig' (with BOM) or 'cp949'."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(rows, columns=columns, headers=headers, title_rows=title_rows).encode(encoding))
    return path


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title_rows: Sequence[Sequence] = (),
    other_sheets: dict | None = None,
    active_sheet: int = 0,
) -> Path:
    """An .xlsx whose first sheet holds `title_rows`, `header`, then `rows` (cells as given:
    datetime, int, float or str); `other_sheets` adds later sheets {name: [rows]}."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "활동일지"
    for title in title_rows:
        ws.append(list(title))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for name, sheet_rows in (other_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    wb.active = active_sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def cli(
    *args: str, env: dict | None = None, timeout: float = 900, cwd: Path = PROJECT_DIR
) -> subprocess.CompletedProcess:
    """`python -m pipelines ARGS` as a user runs it, without the caller's pipeline settings; run
    from `cwd`, the `pipelines` package of that checkout is the one imported."""
    settings = ("DAGSTER_HOME", "JB_WAREHOUSE", "JB_SOURCES", "JB_ANALYST")
    environment = {k: v for k, v in os.environ.items() if k not in settings}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def project_checkout(root: Path) -> Path:
    """The project's files as a clone has them (tracked and new, not ignored), without the bundled
    sources and the tests, copied to `root`: a test may edit its seeds; `cli(..., cwd=root)` runs it."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in files.stdout.splitlines():
        if name.startswith(("sources/", "tests/")) or not (PROJECT_DIR / name).exists():
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, root / name)
    return root


def copy_of_built(built: Path, folder: Path) -> Path:
    """A copy of a built warehouse and its last-build mark in `folder`: a run on it with something
    new is a month's run (the seeds and unit tests that build passed are not run again), not a
    rebuild; the copy's name is the original's."""
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / built.name
    shutil.copy2(built, warehouse)
    shutil.copy2(f"{built}.last_build.json", f"{warehouse}.last_build.json")
    return warehouse


def instance_home(tmp_path: Path) -> Path:
    """A persistent DAGSTER_HOME with the project's dagster.yaml, its storage inside tmp_path."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = (PROJECT_DIR / "dagster.yaml").read_text(encoding="utf-8").replace(".dagster", str(home / ".dagster"))
    (home / "dagster.yaml").write_text(config, encoding="utf-8")
    return home


def ingest(warehouse: Path, *paths: Path):
    """ingest_paths on a list of files/folders; returns the BatchResults."""
    return ingest_paths(warehouse, list(paths))


def query(warehouse: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    """Rows of `sql` on the warehouse, opened read-only and closed again."""
    with wh.connect(warehouse, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def query_dicts(warehouse: Path, sql: str, params: Sequence | None = None) -> list[dict]:
    with wh.connect(warehouse, read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def events(warehouse: Path) -> list[dict]:
    """Every stored event, in position order, payload parsed."""
    rows = query_dicts(warehouse, "SELECT * FROM events.event_store ORDER BY position")
    for row in rows:
        row["payload"] = json.loads(row["payload"])
    return rows


def payloads(warehouse: Path) -> dict[str, dict]:
    """record_id -> payload of every stored event."""
    return {e["payload"]["record_id"]: e["payload"] for e in events(warehouse)}


def quarantine(warehouse: Path) -> list[dict]:
    return query_dicts(warehouse, "SELECT * FROM events.quarantine ORDER BY batch_id, source_row")


def batches(warehouse: Path) -> list[dict]:
    return query_dicts(warehouse, "SELECT * FROM events.ingest_batches ORDER BY batch_id")


def count(con_or_warehouse, table: str, where: str = "true", params: Sequence | None = None) -> int:
    sql = f"SELECT count(*) FROM events.{table} WHERE {where}"
    if isinstance(con_or_warehouse, duckdb.DuckDBPyConnection):
        return con_or_warehouse.execute(sql, params or []).fetchone()[0]
    return query(con_or_warehouse, sql, params)[0][0]
