"""Personal data of a survey never reaches the warehouse in the clear (docs/sources.md §5).

A form export with a name, a phone number and an e-mail address — in their own columns, in a
comment, in an unreadable line and in a row that is quarantined — runs through
`python -m pipelines run` (Dagster, the ingest and the dbt build) beside a copy of the bundled
sources (so that every mart has rows). Then the raw bytes of the DuckDB file (and of its
write-ahead log, if one is left) are searched for them and for every phone number and e-mail
address of the bundled survey files; every text cell of every table is searched too, and so is
what the run printed. Strings that are stored (a registration number, a comment) are found the
same way, so the byte search can find text.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest
from helpers import PROJECT_DIR, cli
from python_calamine import CalamineWorkbook

pytestmark = pytest.mark.slow

NAME, PHONE, MAIL = "홍예슬", "010-9876-5432", "yeseul.hong@example.com"
OTHER_PHONE, OTHER_MAIL = "063-281-7777", "yh.kim@example.org"
HEADER = "타임스탬프,성명,연락처,이메일,기업명,기업번호,기업단계,[동의] 열린 수출상담회,[중요도] 열린 수출상담회,의견"
FIXTURE = "\r\n".join(
    [
        HEADER,
        f"2023. 12. 4 오후 3:12:45,{NAME},{PHONE},{MAIL},전북식품,202-81-00011,성장,4,3,상담 만족도높음 {OTHER_PHONE}",
        f"2023. 12. 4 오후 3:20:00,남궁솔,{OTHER_PHONE},{OTHER_MAIL},(주)새만금,,스타,5,4,문의 {OTHER_MAIL}",
        f"2023. 12. 4 오후 4:00:00,{NAME},{PHONE},{MAIL},전북식품(주),401-81-12345,성장,4,4,x,y,z",
        "",
    ]
)
SECRETS = (NAME, PHONE, MAIL, OTHER_PHONE, OTHER_MAIL, "남궁솔", "9876-5432", "yeseul.hong", "281-7777")


def test_no_personal_data_in_the_warehouse_file(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources", sources)
    bundled = "".join(_text(p) for p in (sources / "surveys").rglob("*.*"))
    bundled_contacts = set(re.findall(r"010-\d{4}-\d{4}|[\w.]+@example\.(?:com|org|net)", bundled))
    assert len(bundled_contacts) > 100 and not any(s in bundled for s in SECRETS)
    (sources / "extra" / "2023_만족도_개인정보.csv").parent.mkdir()
    (sources / "extra" / "2023_만족도_개인정보.csv").write_bytes(FIXTURE.encode("utf-8"))
    warehouse = tmp_path / "warehouse" / "pii.duckdb"
    run = cli("run", "--sources", str(sources), "--warehouse", str(warehouse))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        accepted, quarantined = con.execute(
            "SELECT rows_accepted, rows_quarantined FROM events.ingest_batches WHERE file_name LIKE '%개인정보%'"
        ).fetchone()
        cells = []
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall():
            row_text = f'SELECT string_agg(CAST(t AS VARCHAR), chr(10)) FROM "{schema}"."{table}" AS t'
            cells.append(con.execute(row_text).fetchone()[0] or "")
        stored = con.execute("SELECT payload::VARCHAR FROM events.event_store").fetchall()
    assert (accepted, quarantined) == (2, 3)  # 2 answers; the answer 5, the firmless row, the broken line
    every_cell = "\n".join(cells)

    files = [warehouse] + [p for p in (warehouse.with_name(warehouse.name + ".wal"),) if p.exists()]
    data = b"".join(p.read_bytes() for p in files)
    # the search finds text that is stored: the registration number and the masked comment
    assert b"202-81-00011" in data and "상담 만족도높음".encode() in data
    assert any("[개인정보 삭제]" in p for (p,) in stored)
    printed = run.stdout + run.stderr
    for secret in SECRETS:
        assert secret.encode("utf-8") not in data, secret
        assert secret not in every_cell, secret
        assert secret not in printed, secret
    leaked = sorted(c for c in bundled_contacts if c.encode() in data or c in every_cell)
    assert leaked == []


def _text(path) -> str:
    """A survey file's text (a workbook's cells, tab-separated)."""
    if path.suffix == ".xlsx":
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return "\n".join("\t".join(str(c) for c in row) for row in sheet.to_python())
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp949")
