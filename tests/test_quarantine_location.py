"""A quarantined record is found where a person finds it: the file row as a person counts it
(header = row 1 below any title rows, which count) and, where a row gives several records (a
survey's answers, a K-stat row's periods), the column's header — in the quarantine, in the events,
in the reasons, in `status` and on the export's data-quality sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from helpers import cli, ingest, query, write_xlsx
from test_survey_parsing import FIRM_A, HEADER, INTERPRETATION, OPEN, OPEN_IMPORTANCE, row, write_survey

from pipelines import warehouse as wh
from pipelines.eventstore.migrations import MIGRATIONS
from pipelines.export.frames import quarantine_rows
from pipelines.ingest.requeue import requeue

WHERE = f"row 7, column {OPEN}"
FIRMS = ["202-81-00011", "401-81-12345", "403-86-55555", "402-81-22222", "404-81-33333", "405-81-44444"]


def six_submissions(bad_answer: str = "5") -> list[list[str]]:
    """Six submissions, the last (file row 7 under a header on row 1) answering OPEN with `bad_answer`."""
    rows = [row(f"2023. 12. 4 오후 {h}:00:00", firm, "4", "3", "3") for h, firm in zip(range(1, 6), FIRMS)]
    return rows + [row("2023. 12. 4 오후 6:00:00", FIRMS[5], bad_answer, "3", "2")]


def write(kind: str, path: Path, rows: list[list[str]]) -> Path:
    if kind == "csv":
        return write_survey(path.with_suffix(".csv"), rows)
    # two title rows above the header: the sheet's row 7 is then the fourth submission
    return write_xlsx(path.with_suffix(".xlsx"), HEADER, rows[2:], title_rows=[["2023 만족도 조사"], []])


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_answer_is_quarantined_at_its_file_row_and_column(warehouse, src, kind):
    path = write(kind, src / "2023_만족도", six_submissions())
    [result] = ingest(warehouse, path)
    assert result.quarantined == 1
    [q] = query(warehouse, "SELECT source_row, source_column, reason_code FROM events.quarantine")
    assert q == (7, OPEN, "invalid")
    # the row's other answers are stored with the same row and their own columns
    stored = query(warehouse, "SELECT source_column FROM events.event_store WHERE source_row = 7")
    assert {c for (c,) in stored} == {OPEN_IMPORTANCE, INTERPRETATION}


def test_status_and_the_data_quality_sheet_name_the_row_and_the_column(warehouse, src):
    ingest(warehouse, write_survey(src / "2023_만족도.csv", six_submissions()))
    out = cli("status", "--warehouse", str(warehouse))
    assert out.returncode == 0, out.stderr
    assert WHERE in out.stdout and "2023_만족도.csv" in out.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sheet = quarantine_rows(con, dt.datetime.now(dt.UTC)).frame
    assert sheet[["file_name", "location", "reason_code"]].values.tolist() == [["2023_만족도.csv", WHERE, "invalid"]]


def test_a_conflict_names_the_row_and_column_of_the_stored_answer(warehouse, src):
    ingest(warehouse, write_survey(src / "a" / "s.csv", six_submissions("4")))
    changed = six_submissions("4")
    changed[5][6] = "1"  # the same submission, another answer
    [second] = ingest(warehouse, write_survey(src / "b" / "s.csv", changed))
    assert (second.accepted, second.duplicates, second.quarantined) == (0, second.rows_in - 1, 1)
    [(source_row, column, reason)] = query(warehouse, "SELECT source_row, source_column, reason FROM events.quarantine")
    assert (source_row, column) == (7, OPEN)
    assert f"(from s.csv {WHERE}, position " in reason


def test_the_same_survey_saved_again_stores_nothing_new(warehouse, src):
    """Event ids do not depend on where a record was read: other bytes, same answers, no new events."""
    path = write_survey(src / "s.csv", six_submissions())
    [first] = ingest(warehouse, path)
    events = query(warehouse, "SELECT count(*) FROM events.event_store")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))  # saved again: other bytes
    [again] = ingest(warehouse, path)
    # its quarantined answers repeat open quarantine rows: duplicates of them too
    assert (again.status, again.accepted, again.quarantined) == ("loaded", 0, 0)
    assert again.duplicates == first.accepted + first.quarantined
    assert query(warehouse, "SELECT count(*) FROM events.event_store") == events


def test_requeue_settles_each_answer_of_a_row_once(warehouse, src, tmp_path, monkeypatch):
    """Two answers of one row, quarantined for an unknown programme, are two quarantined records
    (row 2 and each column); requeue settles both, and a second requeue finds nothing open."""
    import shutil

    from pipelines import reference
    from pipelines.config import SEEDS_DIR

    voucher, voucher_importance = "[동의] 수출바우처 연계 지원", "[중요도] 수출바우처 연계 지원"
    header = ["타임스탬프", "기업번호", OPEN, voucher, voucher_importance]
    ingest(warehouse, write_survey(src / "later.csv", [["2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3", "2"]], header))
    assert query(warehouse, "SELECT source_row, source_column FROM events.quarantine ORDER BY 2") == [
        (2, voucher),
        (2, voucher_importance),
    ]
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "programs.csv").open("a", encoding="utf-8") as f:
        f.write("export_voucher,수출바우처 연계 지원,proposed,,,,\n")
    monkeypatch.setattr(reference, "SEEDS_DIR", seeds)
    with wh.connect(warehouse) as con:
        [result] = requeue(con)
        assert (result.accepted, result.quarantined) == (2, 0)
        assert requeue(con) == []
    settled = query(warehouse, "SELECT source_row, source_column FROM events.quarantine_resolutions ORDER BY 2")
    assert settled == [(2, voucher), (2, voucher_importance)]
    stored = query(warehouse, "SELECT source_row, source_column FROM events.event_store WHERE batch_id = 2 ORDER BY 2")
    assert stored == settled


def test_a_version_3_store_upgrades_keeping_its_rows_as_written(warehouse, src):
    """Rows stored before keep their numbers (source_column NULL); new ones get row and column;
    a record is still quarantined once."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA events")
    con.execute(
        "CREATE TABLE events.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    for m in MIGRATIONS[:3]:
        m.apply(con, {})
        con.execute("INSERT INTO events.schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    con.execute("""
        INSERT INTO events.ingest_batches VALUES (1, 'survey', 'old.csv', '/x/old.csv', 'h', 1, 'utf-8', 'loaded', NULL,
            NULL, 2, 0, 0, 2, NULL, NULL, now(), now());
        INSERT INTO events.quarantine VALUES (1, 7007, NULL, NULL, 'old reason', 'invalid'),
                                             (1, 7008, NULL, NULL, 'old reason', 'invalid');
    """)
    con.close()
    ingest(warehouse, write_survey(src / "2023_만족도.csv", six_submissions()))
    rows = query(warehouse, "SELECT batch_id, source_row, source_column FROM events.quarantine ORDER BY ALL")
    assert rows == [(1, 7007, None), (1, 7008, None), (2, 7, OPEN)]
    assert query(warehouse, "SELECT max(version) FROM events.schema_migrations") == [(4,)]
    with duckdb.connect(str(warehouse)) as con, pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO events.quarantine VALUES (1, 7008, NULL, NULL, NULL, 'twice', 'invalid')")
