"""The impact panel (int_impact_panel): the customs extract's firms in every year it covers, linked
to the centres' firms by the linkage key inside one query; the key itself reaches no file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import ingest, query, rec, write_csv

from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_project import dbt_executable, dbt_vars
from pipelines.linkage import KEY_FILE_VARIABLE, KEY_VARIABLE, pseudonym

pytestmark = pytest.mark.slow

KEY = "panel-test-key-7f3a9c"
SUPPORTED, LATER, NEVER = "202-81-00011", "401-81-12345", "609-81-99999"
HEADER = [
    "기준연도",
    "가명기업번호",
    "기업규모",
    "업종",
    "수출액",
    "베트남수출액",
    "인도수출액",
    "수출국수",
    "수출품목수",
]


def extract(path: Path, rows: list[list]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def build_panel(warehouse: Path, target: Path, key: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (KEY_VARIABLE, KEY_FILE_VARIABLE)}
    if key:
        env[KEY_VARIABLE] = key
    done = subprocess.run(
        [dbt_executable(), "build", "--select", "+int_impact_panel",
         "--resource-type", "model", "--resource-type", "seed",
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target / "logs"), "--vars", dbt_vars(str(warehouse))],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert KEY not in done.stdout + done.stderr


def test_the_panel_links_the_centres_firms_by_the_key_and_keeps_the_key_out_of_every_file(warehouse, src, tmp_path):
    write_csv(
        src / "log" / "hanoi.csv",
        [
            rec("HAN-1", date="2022-03-05", firm_id=SUPPORTED),
            rec("HAN-2", date="2023-05-01", firm_id=SUPPORTED),
            rec("HAN-3", date="2023-07-01", firm_id=LATER),
        ],
    )
    supported, later = (pseudonym(f, KEY.encode()) for f in (SUPPORTED, LATER))
    never = pseudonym(NEVER, KEY.encode())
    extract(
        src / "customs" / "extract.csv",
        [
            [2021, supported, "중소기업", "C", 100, 10, 0, 1, 1],
            [2023, supported, "중소기업", "C", 300, 50, 20, 2, 2],
            [2021, later, "중견기업", "G", 1000, 0, 0, 3, 3],
            [2022, later, "중견기업", "G", 1100, 0, 0, 3, 3],
            [2023, later, "중견기업", "G", 1200, 0, 0, 3, 3],
            [2022, never, "중소기업", "C", 50, 0, 0, 1, 1],
        ],
    )
    ingest(warehouse, src / "log", src / "customs")

    build_panel(warehouse, tmp_path / "without", None)
    sql = "SELECT firm_pseudonym, year, exports_usd, exports_any, cohort, is_linked FROM intermediate.int_impact_panel"
    rows = query(warehouse, sql + " WHERE view_id = 0 ORDER BY 1, 2")
    assert len(rows) == 9 and not any(r[-1] for r in rows)  # 3 firms × 2021-2023, none linked without the key

    build_panel(warehouse, tmp_path / "with", KEY)
    panel = {(p, y): (x, a, c, linked) for p, y, x, a, c, linked in query(warehouse, sql + " WHERE view_id = 0")}
    assert panel[(supported, 2022)] == (0.0, 0, 2022, True)  # a year the extract does not list: no exports
    assert panel[(supported, 2023)] == (300.0, 1, 2022, True)
    assert panel[(later, 2021)] == (1000.0, 1, 2023, True)
    assert panel[(never, 2022)] == (50.0, 1, None, False)
    [(log_exports, vn_in)] = query(
        warehouse,
        "SELECT log_exports, exports_vn_in_usd FROM intermediate.int_impact_panel "
        "WHERE view_id = 0 AND firm_pseudonym = ? AND year = 2023",
        [supported],
    )
    assert log_exports == pytest.approx(5.707110264748875) and vn_in == 70.0  # ln(301); 50 + 20

    # no table maps a registration number to a pseudonym, and the key is in no file
    both = query(
        warehouse, "SELECT table_schema, table_name FROM information_schema.columns GROUP BY ALL "
        "HAVING bool_or(column_name ILIKE '%pseudonym%') AND bool_or(column_name = 'firm_id')",
    )  # fmt: skip
    assert both == []
    for path in [warehouse, *(p for p in tmp_path.rglob("*") if p.is_file())]:
        assert KEY.encode() not in path.read_bytes(), path
    manifest = json.loads((tmp_path / "with" / "manifest.json").read_text(encoding="utf-8"))
    assert KEY not in json.dumps(manifest)
