"""A seed edited in Notepad or Excel loads alike in every reader, or nothing runs.

Two readers read the seeds. The ingest's lookups use Python (pipelines/reference.py), and dbt's
seed load uses DuckDB's CSV reader. Each way an editor saves dbt_project/seeds/centers.csv must
give the same rows in both. A malformed seed must stop the commands before they ingest anything,
with the file and the line. The tests edit copies of the project, never its own seeds.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from helpers import PROJECT_DIR, cli, instance_home, project_checkout, query, rec, write_csv

from pipelines import reference
from pipelines.dbt_project import dbt_executable
from pipelines.reference import check_seeds, seed_rows

pytestmark = pytest.mark.slow

BASE = (PROJECT_DIR / "dbt_project" / "seeds" / "centers.csv").read_text(encoding="utf-8")
TOKYO = ["tokyo", "도쿄", "Tokyo", "JP", "JPY", "2024-01-01", "도쿄센터|일본"]
TOKYO_LINE = ",".join(TOKYO)


def lines(*rows: str, ends: str) -> str:
    """Rows joined with the line ends `ends` holds, one per row, taken in turn."""
    parts = ends.split("|")
    return "".join(row + parts[i % len(parts)] for i, row in enumerate(rows))


BASE_LINES = BASE.splitlines()
# how each editor saves the file with a Tokyo row added: (bytes, name_en of Tokyo)
VARIANTS = {
    # Notepad, or Python's csv module appending: CRLF after the LF lines
    "crlf_appended": ((BASE + TOKYO_LINE + "\r\n").encode(), "Tokyo"),
    "mixed_endings": (lines(*BASE_LINES, TOKYO_LINE, ends="\r\n|\n|\r").encode(), "Tokyo"),
    "bom": (("\ufeff" + BASE + TOKYO_LINE + "\n").encode(), "Tokyo"),
    # Excel's "CSV (쉼표로 분리)" on Korean Windows
    "cp949": (lines(*BASE_LINES, TOKYO_LINE, ends="\r\n").encode("cp949"), "Tokyo"),
    # a blank line, and the empty row Excel leaves where a row's cells were cleared
    "trailing_blank": ((BASE + TOKYO_LINE + "\r\n\r\n,,,,,,\r\n").encode(), "Tokyo"),
    "quoted_comma": ((BASE + TOKYO_LINE.replace(",Tokyo,", ',"Tokyo, Japan",') + "\n").encode(), "Tokyo, Japan"),
}


def expected_rows(name_en: str) -> list[dict[str, str]]:
    header, *rows = csv.reader(io.StringIO(BASE))
    tokyo = [name_en if i == 2 else cell for i, cell in enumerate(TOKYO)]
    return [dict(zip(header, row)) for row in [*rows, tokyo]]


def dbt(project: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
        + ["--vars", json.dumps({"warehouse": str(warehouse)})],
        cwd=project,
        capture_output=True,
        text=True,
    )


def test_every_editors_seed_loads_alike_in_the_lookups_and_dbt(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    seeds = project / "seeds"
    for variant, (raw, _) in VARIANTS.items():
        (seeds / f"centers_{variant}.csv").write_bytes(raw)
    monkeypatch.setattr(reference, "SEEDS_DIR", seeds)
    as_written = {v: seed_rows(f"centers_{v}.csv") for v in VARIANTS}  # the lookups, before the check

    rewritten = check_seeds(seeds)  # what run, ingest and requeue do first
    # every variant but the quoted comma (UTF-8, LF) is rewritten; the project's own seeds are canonical
    assert {n.split(":")[0] for n in rewritten} == {f"seeds/centers_{v}.csv" for v in VARIANTS} - {
        "seeds/centers_quoted_comma.csv"
    }
    assert check_seeds(seeds) == []  # canonical now: nothing more to rewrite

    warehouse = tmp_path / "w.duckdb"
    loaded = dbt(project, warehouse, "seed", "--select", *(f"centers_{v}" for v in VARIANTS))
    assert loaded.returncode == 0, loaded.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for variant, (_, name_en) in VARIANTS.items():
            expected = expected_rows(name_en)
            assert as_written[variant] == expected, variant
            assert seed_rows(f"centers_{variant}.csv") == expected, variant
            table = con.execute(f"SELECT * FROM reference.centers_{variant}")
            names = [d[0] for d in table.description]
            in_dbt = [{c: "" if v is None else str(v) for c, v in zip(names, row)} for row in table.fetchall()]
            assert in_dbt == expected, variant  # dbt's load: the same rows, blank cells NULL


def test_a_malformed_seed_stops_every_command_before_anything_is_ingested(tmp_path):
    checkout = project_checkout(tmp_path / "project")
    env = {"DAGSTER_HOME": str(instance_home(tmp_path))}
    warehouse = tmp_path / "w.duckdb"
    tokyo_log = write_csv(tmp_path / "a" / "tokyo.csv", [rec("TOK-1", center="도쿄"), rec("HAN-1")])
    first = cli("ingest", str(tokyo_log), "--warehouse", str(warehouse), cwd=checkout)
    assert first.returncode == 0, first.stderr
    batches = query(warehouse, "SELECT count(*) FROM events.ingest_batches")

    centers = checkout / "dbt_project" / "seeds" / "centers.csv"
    centers.write_bytes((BASE + "tokyo,도쿄,Tokyo,JP,2024-01-01,\r\n").encode())  # Notepad; the currency left out
    later = write_csv(tmp_path / "b" / "hanoi.csv", [rec("HAN-2")])
    commands = {
        "run": ("run", "--sources", str(later.parent), "--warehouse", str(warehouse)),
        "ingest": ("ingest", str(later), "--warehouse", str(warehouse)),
        "requeue": ("requeue", "--warehouse", str(warehouse)),
    }
    for command, args in commands.items():
        out = cli(*args, cwd=checkout, env=env)
        assert out.returncode == 1, command
        assert "seeds/centers.csv line 4: 6 fields, expected 7" in out.stderr, (command, out.stderr[-2000:])
        assert query(warehouse, "SELECT count(*) FROM events.ingest_batches") == batches, command
    assert centers.read_bytes().endswith(b"\r\n")  # left as the editor wrote it


@pytest.mark.slow
def test_a_centre_added_in_notepad_is_taken_in_and_built(tmp_path):
    """The item's story: the Tokyo rows wait in quarantine, an official adds the centre in Notepad
    (CRLF after LF lines), `requeue` takes the rows in and `run` builds the marts with it."""
    checkout = project_checkout(tmp_path / "project")
    env = {"DAGSTER_HOME": str(instance_home(tmp_path))}
    warehouse = tmp_path / "w.duckdb"
    rows = [rec("TOK-1", center="도쿄"), rec("TOK-2", center="도쿄"), rec("HAN-1")]
    log = write_csv(tmp_path / "a" / "tokyo.csv", [dict(r, activity="애로해소") for r in rows])
    first = cli("ingest", str(log), "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert first.returncode == 0 and "1 accepted, 0 duplicate, 2 quarantined" in first.stdout, first.stdout

    centers = checkout / "dbt_project" / "seeds" / "centers.csv"
    with centers.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(TOKYO)  # the csv module's own line end: CRLF
    requeued = cli("requeue", "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert requeued.returncode == 0 and "2 accepted" in requeued.stdout, requeued.stdout + requeued.stderr

    built = cli("run", "--sources", str(log.parent), "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    resolved = dict(
        query(warehouse, "SELECT center, difficulties_resolved FROM marts.result_evaluation WHERE year = 2022")
    )
    assert (resolved["tokyo"], resolved["hanoi"], resolved["all"]) == (2, 1, 3)
    assert "seeds/centers.csv: rewritten as UTF-8 with LF line endings" in requeued.stdout
    assert centers.read_text(encoding="utf-8") == BASE + TOKYO_LINE + "\n"
