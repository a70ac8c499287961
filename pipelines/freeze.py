"""Frozen annual evaluations: `python -m pipelines freeze --year Y`.

A freeze records, in the append-only `events.evaluation_freezes`, the store position year Y's
marts were built at, a checksum of every mart's rows of year Y, and a copy of every reference seed
(`events.freeze_reference_rows`). From then on dbt evaluates year Y in a view of its own: only the
events at or below that position, with the pinned seeds and the freeze's evaluation date
(dbt_project/macros/evaluation_views.sql), while the other years keep moving. Freezing a year
again is refused unless asked for; both freezes stay on record and the newest applies.

Which rows belong to year Y: a mart's `evaluation_year` column when it has one (transitions and
cohorts are evaluated in the year their outcome is observed), else its `year` column; and the
columns observed a year later (continuity gaps, 12-month contract rates: column meta
`evaluated_in: following_year`) of the rows of Y-1, which the view of Y supplies.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines import build_state
from pipelines import warehouse as wh
from pipelines.config import PROJECT_DIR
from pipelines.dbt_project import build
from pipelines.eventstore import read
from pipelines.mart_registry import MARTS_SCHEMA, marts

REFERENCE_SCHEMA = "reference"
YEAR_COLUMNS = ("evaluation_year", "year")  # first found names a mart's evaluation year


class FreezeRefused(RuntimeError):
    """The year is frozen already and a re-freeze was not asked for, or there is nothing to freeze."""


@dataclass
class FreezeResult:
    freeze_id: int
    year: int
    store_position: int
    evaluated_on: date
    checksum: str
    marts: dict[str, dict]
    pinned: dict[str, dict]
    replaces: int | None
    mismatches: list[str] = field(default_factory=list)  # marts whose rebuilt rows differ
    built_by: str | None = None  # the run whose marts were recorded as they were (not rebuilt first)


def year_column(con: duckdb.DuckDBPyConnection, mart: str) -> str:
    columns = mart_columns(con, mart)
    for name in YEAR_COLUMNS:
        if name in columns:
            return name
    raise ValueError(f"mart {MARTS_SCHEMA}.{mart} has no evaluation year column (one of {YEAR_COLUMNS})")


def mart_columns(con: duckdb.DuckDBPyConnection, table: str, schema: str = MARTS_SCHEMA) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            [schema],
        ).fetchall()
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows_md5(con, mart: str, ycol: str, year: int, columns: list[str]) -> tuple[int, str]:
    """Row count and md5 of the mart's rows of `year`, each row as JSON of `columns`, sorted, so
    that the order DuckDB returns rows in does not matter."""
    row = "to_json(struct_pack(" + ", ".join(f"{_quote(c)} := {_quote(c)}" for c in columns) + "))::VARCHAR"
    return con.execute(
        f"SELECT count(*), md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) "
        f"FROM (SELECT {row} AS r FROM {MARTS_SCHEMA}.{_quote(mart)} WHERE {_quote(ycol)} = ?)",
        [year],
    ).fetchall()[0]


def mart_checksum(con: duckdb.DuckDBPyConnection, mart: str, year: int, recorded: dict | None = None) -> dict:
    """What year `year`'s evaluation holds of a mart: its rows of that year without the columns
    observed a year later, and those columns (with the key) of the rows of the year before.
    `recorded` (a freeze's entry) fixes the columns compared, so a column added to a mart later
    does not make a frozen year differ."""
    if recorded is None:
        declared = marts().get(mart)
        late = [c for c in (declared.late if declared else ()) if c in mart_columns(con, mart)]
        columns = [c for c in mart_columns(con, mart) if c not in late]
        key = list(declared.key) if declared else []
        recorded = {"year_column": year_column(con, mart), "columns": columns, "late_columns": late, "key": key}
    ycol, late = recorded["year_column"], recorded.get("late_columns", [])
    n, digest = _rows_md5(con, mart, ycol, year, recorded["columns"])
    if late:
        _, observed = _rows_md5(con, mart, ycol, year - 1, recorded["key"] + late)
        digest = hashlib.md5(f"{digest}|{observed}".encode(), usedforsecurity=False).hexdigest()
    return {**recorded, "rows": n, "md5": digest}


def year_checksums(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, dict]:
    return {mart: mart_checksum(con, mart, year) for mart in tables(con, MARTS_SCHEMA)}


def overall(checksums: dict[str, dict]) -> str:
    return hashlib.md5(
        json.dumps({m: c["md5"] for m, c in sorted(checksums.items())}).encode(), usedforsecurity=False
    ).hexdigest()


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def freezes(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[dict]:
    rows = con.execute(
        "SELECT freeze_id, year, store_position, evaluated_on, frozen_at, checksum, mart_checksums, "
        "replaces_freeze_id, reason, code_version FROM events.evaluation_freezes "
        "WHERE ? IS NULL OR year = ? ORDER BY freeze_id",
        [year, year],
    ).fetchall()
    keys = (
        "freeze_id",
        "year",
        "store_position",
        "evaluated_on",
        "frozen_at",
        "checksum",
        "mart_checksums",
        "replaces",
        "reason",
        "code_version",
    )
    return [dict(zip(keys, r)) for r in rows]


def _refuse_if_frozen(con: duckdb.DuckDBPyConnection, year: int, refreeze: bool) -> list[dict]:
    earlier = freezes(con, year)
    if earlier and not refreeze:
        f = earlier[-1]
        raise FreezeRefused(
            f"{year} is frozen already (freeze {f['freeze_id']} at store position {f['store_position']}, "
            f"{f['frozen_at']:%Y-%m-%d}); freeze again only on purpose, with --refreeze and a --reason"
        )
    return earlier


def _record(con, year: int, evaluated_on: date, refreeze: bool, reason: str | None) -> FreezeResult:
    """Insert the freeze and its pinned seeds (in the caller's transaction; the marts are fresh)."""
    earlier = _refuse_if_frozen(con, year, refreeze)
    position = read.head_position(con)
    built = {
        p
        for (p,) in con.execute(
            f"SELECT DISTINCT as_of_position FROM {MARTS_SCHEMA}.result_evaluation WHERE year = ?", [year]
        ).fetchall()
    }
    if not built:
        raise FreezeRefused(f"the marts hold no rows of {year}: nothing to freeze")
    if built != {position}:
        raise FreezeRefused(f"{year}'s marts were built at positions {sorted(built)}, the store is at {position}")
    marts = year_checksums(con, year)
    freeze_id = con.execute("SELECT coalesce(max(freeze_id), 0) + 1 FROM events.evaluation_freezes").fetchall()[0][0]
    pinned = {}
    for seed in tables(con, REFERENCE_SCHEMA):
        con.execute(
            f"INSERT INTO events.freeze_reference_rows (freeze_id, seed, row_number, row_values) "
            f"SELECT ?, ?, row_number() OVER (ORDER BY to_json(s)::VARCHAR), to_json(s) "
            f"FROM {REFERENCE_SCHEMA}.{_quote(seed)} AS s",
            [freeze_id, seed],
        )
        n, digest = con.execute(
            "SELECT count(*), md5(coalesce(string_agg(row_values::VARCHAR, chr(10) ORDER BY row_number), '')) "
            "FROM events.freeze_reference_rows WHERE freeze_id = ? AND seed = ?",
            [freeze_id, seed],
        ).fetchall()[0]
        pinned[seed] = {"rows": n, "md5": digest}
    replaces = earlier[-1]["freeze_id"] if earlier else None
    checksum = overall(marts)
    con.execute(
        "INSERT INTO events.evaluation_freezes (freeze_id, year, store_position, evaluated_on, frozen_at, "
        "mart_checksums, checksum, pinned_reference, code_version, replaces_freeze_id, reason) "
        "VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?)",
        [
            freeze_id,
            year,
            position,
            evaluated_on,
            json.dumps(marts),
            checksum,
            json.dumps(pinned),
            code_version(),
            replaces,
            reason,
        ],
    )
    return FreezeResult(freeze_id, year, position, evaluated_on, checksum, marts, pinned, replaces)


def verify(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Frozen years whose marts no longer match their freeze: one line per mart that differs
    (compared on the columns the freeze hashed). Empty when every frozen year reproduces."""
    problems = []
    latest: dict[int, dict] = {}
    for f in freezes(con):
        latest[f["year"]] = f
    existing = set(tables(con, MARTS_SCHEMA))
    for year, f in sorted(latest.items()):
        for mart, recorded in json.loads(f["mart_checksums"]).items():
            if mart not in existing:
                problems.append(f"{year}: {MARTS_SCHEMA}.{mart} (frozen by freeze {f['freeze_id']}) no longer exists")
                continue
            have = mart_columns(con, mart)
            missing = [c for c in recorded["columns"] + recorded.get("late_columns", []) if c not in have]
            if missing:
                problems.append(f"{year}: {MARTS_SCHEMA}.{mart} lost the frozen columns {missing}")
                continue
            now = mart_checksum(con, mart, year, recorded)
            if (now["rows"], now["md5"]) != (recorded["rows"], recorded["md5"]):
                problems.append(
                    f"{year}: {MARTS_SCHEMA}.{mart} differs from freeze {f['freeze_id']} "
                    f"({now['rows']} rows now, {recorded['rows']} frozen)"
                )
    return problems


def freeze(
    warehouse: Path, year: int, *, refreeze: bool = False, reason: str | None = None, today: date | None = None
) -> FreezeResult:
    """Build the marts (unless the last run built them from this very store and code:
    build_state.marts_current), record the freeze of `year`, rebuild and check the year reproduces."""
    evaluated_on = today or date.today()
    if date(year, 12, 31) >= evaluated_on:
        raise FreezeRefused(f"{year} has not ended yet (evaluation date {evaluated_on}): freeze a year once it is over")
    with wh.writer_lock(warehouse):
        with wh.connect(warehouse) as con:  # migrates an older store before dbt reads it
            _refuse_if_frozen(con, year, refreeze)
        try:
            # marts just built by a run on this store and code need no build before they are recorded
            current = None if refreeze else build_state.marts_current(warehouse, evaluated_on)
            if current is None:
                build(str(warehouse), evaluated_on, refreeze_year=year if refreeze else None)
            with wh.connect(warehouse) as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    result = _record(con, year, evaluated_on, refreeze, reason)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            result.built_by = current.run_id if current is not None else None
        finally:
            # whether recorded or not, the marts go back to every year's own view: a failed
            # re-freeze must not leave its year showing the live numbers
            build(str(warehouse), evaluated_on)
        with wh.connect(warehouse, read_only=True) as con:
            result.mismatches = [p for p in verify(con) if p.startswith(f"{year}:")]
    return result
