"""The contract of the append-only event store (docs/event_store.md, pipelines/eventstore/).

Every test builds its own small centre-log files in tmp_path and its own warehouse, and goes
through the public API: `ingest_paths`, `ingest_file`, `store.connect/append/transaction`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from helpers import (
    PROJECT_DIR,
    batches,
    consultation,
    count,
    events,
    ingest,
    payloads,
    quarantine,
    query,
    rec,
    write_csv,
    write_xlsx,
)

from pipelines import warehouse as wh
from pipelines.eventstore import store
from pipelines.ingest.runner import ingest_file


def event_id(record_id: str, center: str = "hanoi") -> str:
    """The documented event id: md5(source kind | centre | record id)."""
    return hashlib.md5(f"center_log|{center}|{record_id}".encode()).hexdigest()


def stream_of(record_id: str, center: str = "hanoi") -> str:
    """The documented stream id: the event id of the record's original, as a UUID."""
    return str(uuid.UUID(event_id(record_id, center)))


def by_record(warehouse: Path) -> dict[str, dict]:
    return {e["payload"]["record_id"]: e for e in events(warehouse)}


def amend(record_id: str, corrects: str, **fields) -> dict:
    return consultation(record_id, correction="정정", corrects_record_id=corrects, **fields)


def void(record_id: str, corrects: str, **fields) -> dict:
    row = {
        "record_id": record_id,
        "center": "hanoi",
        "date": "2022-03-20",
        "correction": "취소",
        "corrects_record_id": corrects,
    }
    row.update(fields)
    return row


# --------------------------------------------------------------------------- idempotent append


def test_same_file_twice_and_under_another_name_is_a_duplicate_batch(warehouse, src):
    first = write_csv(src / "2022-03.csv", [consultation("HAN-1"), rec("HAN-2"), rec("HAN-3", center="런던")])
    [loaded] = ingest(warehouse, first)
    assert loaded.status == "loaded" and loaded.accepted == 2 and loaded.quarantined == 1
    before = events(warehouse)

    copy = src / "resent" / "hanoi log (copy).csv"
    copy.parent.mkdir()
    shutil.copyfile(first, copy)
    again = ingest(warehouse, first, copy)

    # the same path with the same bytes is not offered again; the copy is logged once
    assert [(Path(r.file).name, r.status) for r in again] == [(copy.name, "duplicate")]
    b = batches(warehouse)[-1]
    assert b["file_path"] == str(copy.resolve()) and b["status"] == "duplicate"
    assert b["duplicate_of"] == loaded.batch_id
    assert str(loaded.batch_id) in b["reason"]
    assert b["rows_accepted"] == 0 and b["rows_quarantined"] == 0
    assert b["rows_duplicate"] == b["rows_in"] == 3
    assert ingest(warehouse, first, copy) == []  # known paths and bytes: the ledger does not grow
    assert len(batches(warehouse)) == 2
    assert events(warehouse) == before
    assert count(warehouse, "quarantine") == 1


def test_ingesting_a_whole_folder_twice_adds_nothing(warehouse, src):
    write_csv(src / "2022-01.csv", [consultation("HAN-1"), rec("HAN-2"), rec("HAN-3", date="2022-02-30")])
    write_csv(
        src / "2022-02.csv",
        [amend("HAN-4", "HAN-1", amount="1500"), void("HAN-5", "HAN-2"), rec("HAN-6"), amend("HAN-7", "HAN-404")],
    )
    write_csv(src / "sub" / "2022-03.csv", [rec("HAN-1", firm_id="999-99-99999")], encoding="cp949")
    (src / "notes.txt").write_text("not a log\n", encoding="utf-8")

    first_run = ingest(warehouse, src)
    n_events = count(warehouse, "event_store")
    n_quarantine = count(warehouse, "quarantine")
    assert n_events == 5 and n_quarantine == 3

    n_batches = len(batches(warehouse))
    second_run = ingest(warehouse, src)
    assert count(warehouse, "event_store") == n_events
    assert count(warehouse, "quarantine") == n_quarantine
    # loaded files are not offered again; only the unreadable one is refused again
    assert [(Path(r.file).name, r.status) for r in second_run] == [("notes.txt", "refused")]
    assert len(batches(warehouse)) == n_batches + 1
    assert [r.status for r in first_run].count("loaded") == 3


# --------------------------------------------------------------------------- record duplicates


def test_record_resent_with_identical_content_is_counted_not_stored_twice(warehouse, src):
    ingest(warehouse, write_csv(src / "a.csv", [consultation("HAN-1"), rec("HAN-2")]))
    [second] = ingest(warehouse, write_csv(src / "b.csv", [rec("HAN-2"), rec("HAN-3")]))

    assert second.status == "loaded"
    assert (second.rows_in, second.accepted, second.duplicates, second.quarantined) == (2, 1, 1, 0)
    b = batches(warehouse)[-1]
    assert (b["rows_in"], b["rows_accepted"], b["rows_duplicate"], b["rows_quarantined"]) == (2, 1, 1, 0)
    ids = [e["payload"]["record_id"] for e in events(warehouse)]
    assert sorted(ids) == ["HAN-1", "HAN-2", "HAN-3"]
    assert count(warehouse, "quarantine") == 0


@pytest.mark.parametrize(
    "variant",
    [
        {"date": "2022.03.05"},
        {"date": "2022/3/5"},
        {"firm_id": "2028100011"},
        {"amount": "1,000"},
        {"amount": "1000.00"},
        {"center": "하노이"},
        {"activity": "수출상담"},
        {"currency": "USD", "quantity": "1"},
        {"date": "2022.03.05", "firm_id": "2028100011", "amount": "1,000", "center": "하노이"},
    ],
    ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_record_resent_in_another_form_that_means_the_same_is_a_duplicate(warehouse, src, variant):
    ingest(
        warehouse,
        write_csv(src / "a.csv", [consultation("HAN-1", date="2022-03-05", firm_id="202-81-00011", amount="1000")]),
    )
    before = events(warehouse)
    [second] = ingest(warehouse, write_csv(src / "b.csv", [consultation("HAN-1", **variant)]))

    assert (second.status, second.accepted, second.duplicates, second.quarantined) == ("loaded", 0, 1, 0)
    assert events(warehouse) == before
    assert quarantine(warehouse) == []


def test_same_records_resent_as_cp949_csv_and_as_xlsx_are_duplicates(warehouse, src):
    rows = [
        consultation("HAN-1", firm_name="전북식품(주)", amount="12,500.50", currency="VND"),
        rec("HAN-2", date="2022-03-07", note="샘플 발송"),
    ]
    ingest(warehouse, write_csv(src / "01.csv", rows))
    before = events(warehouse)
    cp949 = write_csv(src / "02.csv", rows, encoding="cp949")
    xlsx = write_xlsx(
        src / "03.xlsx",
        ["기록번호", "센터", "일자", "활동", "기업번호", "기업명", "수입업체번호", "금액", "통화", "비고"],
        [
            [
                "HAN-1",
                "하노이",
                dt.datetime(2022, 3, 5),
                "수출상담",
                2028100011,
                "전북식품(주)",
                "IMP-001",
                12500.5,
                "VND",
                None,
            ],
            [
                "HAN-2",
                "hanoi",
                dt.datetime(2022, 3, 7),
                "시장정보제공",
                2028100011,
                None,
                None,
                None,
                None,
                "샘플 발송",
            ],
        ],
    )
    results = ingest(warehouse, cp949, xlsx)

    assert [(r.status, r.accepted, r.duplicates, r.quarantined) for r in results] == [
        ("loaded", 0, 2, 0),
        ("loaded", 0, 2, 0),
    ]
    assert events(warehouse) == before


def test_record_resent_with_extra_columns_in_another_order_is_a_duplicate(warehouse, src):
    ingest(warehouse, write_csv(src / "a.csv", [rec("HAN-1", 담당자="김민수", 메모="x")]))
    [second] = ingest(
        warehouse,
        write_csv(
            src / "b.csv",
            [rec("HAN-1", 담당자="김민수", 메모="x")],
            columns=["메모", "firm_id", "activity", "date", "center", "record_id", "담당자"],
        ),
    )
    assert (second.duplicates, second.quarantined) == (1, 0)


def test_record_resent_with_an_added_empty_extra_column_is_a_duplicate(warehouse, src):
    ingest(warehouse, write_csv(src / "a.csv", [rec("HAN-1")]))
    [second] = ingest(warehouse, write_csv(src / "b.csv", [rec("HAN-1", 담당자="")]))
    assert (second.duplicates, second.quarantined) == (1, 0)


# --------------------------------------------------------------------------- conflicts


def test_same_id_other_content_in_a_later_file_is_quarantined_as_conflict(warehouse, src):
    ingest(warehouse, write_csv(src / "a.csv", [consultation("HAN-1", amount="1000")]))
    before = events(warehouse)
    [second] = ingest(warehouse, write_csv(src / "b.csv", [rec("HAN-9"), consultation("HAN-1", amount="2000")]))

    assert (second.accepted, second.duplicates, second.quarantined) == (1, 0, 1)
    [q] = quarantine(warehouse)
    assert q["batch_id"] == second.batch_id and q["source_row"] == 3
    assert q["record_key"] == "hanoi:HAN-1"
    assert "hanoi:HAN-1" in q["reason"] and "정정" in q["reason"]
    assert '"2000"' in q["raw_values"]
    assert by_record(warehouse)["HAN-1"] == before[0]  # not merged, not replaced


def test_same_id_other_content_in_the_same_file_is_quarantined_as_conflict(warehouse, src):
    [result] = ingest(
        warehouse,
        write_csv(
            src / "a.csv", [consultation("HAN-1", amount="1000"), rec("HAN-2"), consultation("HAN-1", amount="2000")]
        ),
    )

    assert (result.rows_in, result.accepted, result.duplicates, result.quarantined) == (3, 2, 0, 1)
    assert by_record(warehouse)["HAN-1"]["payload"]["amount"] == 1000
    [q] = quarantine(warehouse)
    assert q["source_row"] == 4
    assert "HAN-1" in q["reason"] and "row 2" in q["reason"]


def test_a_conflicting_row_repeated_is_quarantined_once_and_its_repeats_are_duplicates(warehouse, src):
    """The same content with the same reason is one quarantine row: in one file, and in a later
    file while that row is still open."""
    ingest(warehouse, write_csv(src / "a.csv", [consultation("HAN-1", amount="1000")]))
    [second] = ingest(
        warehouse,
        write_csv(src / "b.csv", [consultation("HAN-1", amount="2000"), consultation("HAN-1", amount="2000")]),
    )
    assert (second.accepted, second.duplicates, second.quarantined) == (0, 1, 1)
    [third] = ingest(warehouse, write_csv(src / "c.csv", [consultation("HAN-1", amount="2000"), rec("HAN-2")]))
    assert (third.accepted, third.duplicates, third.quarantined) == (1, 1, 0)
    assert len(quarantine(warehouse)) == 1


# --------------------------------------------------------------------------- corrections


def test_amend_and_void_are_own_events_in_the_stream_of_the_original(warehouse, src):
    ingest(warehouse, write_csv(src / "01.csv", [consultation("HAN-1", amount="1000"), rec("HAN-2")]))
    originals = {e["payload"]["record_id"]: e for e in events(warehouse)}

    [second] = ingest(
        warehouse,
        write_csv(
            src / "02.csv", [amend("HAN-10", "HAN-1", amount="1500", date="2022-03-15"), void("HAN-11", "HAN-2")]
        ),
    )
    assert (second.accepted, second.quarantined) == (2, 0)

    ev = by_record(warehouse)
    assert ev["HAN-1"] == originals["HAN-1"] and ev["HAN-2"] == originals["HAN-2"]
    amended, voided = ev["HAN-10"], ev["HAN-11"]

    assert amended["event_type"] == "activity_amended"
    assert str(amended["stream_id"]) == str(originals["HAN-1"]["stream_id"]) == stream_of("HAN-1")
    assert (originals["HAN-1"]["stream_version"], amended["stream_version"]) == (1, 2)
    assert amended["corrects_event_id"] == originals["HAN-1"]["event_id"] == event_id("HAN-1")
    assert amended["event_id"] == event_id("HAN-10")
    assert amended["payload"]["amount"] == 1500
    assert amended["payload"]["correction"] == "amend"
    assert amended["payload"]["corrects_record_id"] == "HAN-1"

    assert voided["event_type"] == "activity_voided"
    assert voided["stream_id"] == originals["HAN-2"]["stream_id"]
    assert voided["corrects_event_id"] == originals["HAN-2"]["event_id"]
    assert voided["payload"]["correction"] == "void"

    assert min(amended["position"], voided["position"]) > max(e["position"] for e in originals.values())
    assert originals["HAN-1"]["event_type"] == "activity_recorded"
    assert originals["HAN-1"]["corrects_event_id"] is None


@pytest.mark.parametrize("row", [amend("HAN-20", "HAN-404"), void("HAN-20", "HAN-404")], ids=["정정", "취소"])
def test_correction_of_an_unknown_record_is_quarantined(warehouse, src, row):
    ingest(warehouse, write_csv(src / "01.csv", [rec("HAN-1")]))
    [result] = ingest(warehouse, write_csv(src / "02.csv", [rec("HAN-2"), row]))

    assert (result.accepted, result.quarantined) == (1, 1)
    [q] = quarantine(warehouse)
    assert q["source_row"] == 3 and q["record_key"] == "hanoi:HAN-20"
    assert "hanoi:HAN-404" in q["reason"]
    assert "HAN-20" not in by_record(warehouse)


def test_correction_of_a_quarantined_row_of_the_same_file_is_quarantined(warehouse, src):
    ingest(warehouse, write_csv(src / "01.csv", [rec("HAN-1", date="2022-02-30"), amend("HAN-2", "HAN-1")]))
    assert count(warehouse, "event_store") == 0
    reasons = {q["source_row"]: q["reason"] for q in quarantine(warehouse)}
    assert set(reasons) == {2, 3}
    assert "hanoi:HAN-1" in reasons[3]


@pytest.mark.parametrize("layout", ["three files", "one file"])
def test_correction_of_a_correction_joins_the_same_stream(warehouse, src, layout):
    rows = [consultation("HAN-1"), amend("HAN-2", "HAN-1", amount="1500"), amend("HAN-3", "HAN-2", amount="1700")]
    if layout == "three files":
        for i, row in enumerate(rows):
            write_csv(src / f"0{i}.csv", [row])
    else:
        write_csv(src / "00.csv", rows)
    results = ingest(warehouse, src)
    assert sum(r.accepted for r in results) == 3

    ev = by_record(warehouse)
    assert {str(e["stream_id"]) for e in ev.values()} == {stream_of("HAN-1")}
    assert [ev[r]["stream_version"] for r in ("HAN-1", "HAN-2", "HAN-3")] == [1, 2, 3]
    assert ev["HAN-3"]["corrects_event_id"] == ev["HAN-2"]["event_id"]
    assert ev["HAN-2"]["corrects_event_id"] == ev["HAN-1"]["event_id"]
    assert ev["HAN-1"]["position"] < ev["HAN-2"]["position"] < ev["HAN-3"]["position"]


def test_correction_placed_before_its_original_in_the_same_file_comes_after_it(warehouse, src):
    [result] = ingest(
        warehouse,
        write_csv(
            src / "01.csv",
            [amend("HAN-2", "HAN-1", amount="1500"), void("HAN-3", "HAN-4"), consultation("HAN-1"), rec("HAN-4")],
        ),
    )
    assert (result.accepted, result.quarantined) == (4, 0)

    ev = by_record(warehouse)
    assert ev["HAN-2"]["source_row"] == 2 and ev["HAN-1"]["source_row"] == 4
    assert ev["HAN-2"]["position"] > ev["HAN-1"]["position"]
    assert ev["HAN-3"]["position"] > ev["HAN-4"]["position"]
    assert ev["HAN-2"]["stream_id"] == ev["HAN-1"]["stream_id"]
    assert ev["HAN-3"]["stream_id"] == ev["HAN-4"]["stream_id"]


def test_every_correction_comes_after_the_event_it_corrects_even_in_a_reversed_chain(warehouse, src):
    ingest(
        warehouse,
        write_csv(
            src / "01.csv",
            [amend("HAN-3", "HAN-2", amount="1700"), amend("HAN-2", "HAN-1", amount="1500"), consultation("HAN-1")],
        ),
    )
    ev = events(warehouse)
    assert len(ev) == 3
    position = {e["event_id"]: e["position"] for e in ev}
    for e in ev:
        if e["corrects_event_id"]:
            assert e["position"] > position[e["corrects_event_id"]], e["payload"]["record_id"]


# --------------------------------------------------------------------------- positions, ids


def _three_batches(src: Path) -> list[Path]:
    return [
        write_csv(src / "01.csv", [consultation("HAN-1"), rec("HAN-2"), rec("HAN-3")]),
        write_csv(src / "02.csv", [rec("HAN-3"), rec("HAN-4", center="뉴델리"), rec("HAN-5", amount="-1")]),
        write_csv(src / "03.csv", [rec("HAN-3")]),  # nothing new
        write_csv(src / "04.csv", [amend("HAN-6", "HAN-1"), rec("HAN-7"), void("HAN-8", "HAN-7")]),
    ]


def test_positions_only_increase_and_are_gap_free_across_batches(warehouse, src):
    results = []
    for path in _three_batches(src):
        results += ingest(warehouse, path)
    ev = events(warehouse)
    assert [e["position"] for e in ev] == list(range(1, len(ev) + 1)) and len(ev) == 7
    assert [e["batch_id"] for e in ev] == sorted(e["batch_id"] for e in ev)

    last = 0
    for r, b in zip(results, batches(warehouse)):
        mine = [e["position"] for e in ev if e["batch_id"] == b["batch_id"]]
        assert len(mine) == b["rows_accepted"] == r.accepted
        if mine:
            assert (b["first_position"], b["last_position"]) == (min(mine), max(mine)) == (last + 1, last + len(mine))
            assert (r.first_position, r.last_position) == (min(mine), max(mine))
            last = max(mine)
        else:
            assert b["first_position"] is None and b["last_position"] is None


def test_event_ids_are_deterministic_across_fresh_warehouses(tmp_path, src):
    paths = _three_batches(src)
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    ingest(one, *paths)
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for i, p in enumerate(paths):  # the same bytes under other names, in the same order
        shutil.copyfile(p, renamed / f"{i}_other_name.csv")
    for p in sorted(renamed.iterdir()):
        ingest(two, p)

    def identity(wh_path):
        return query(
            wh_path,
            "SELECT position, event_id, source_kind, stream_id, stream_version, event_type,"
            " content_hash, corrects_event_id, payload::VARCHAR FROM events.event_store ORDER BY position",
        )

    assert identity(one) == identity(two)
    ids = {e["payload"]["record_id"]: e["event_id"] for e in events(one)}
    assert ids["HAN-1"] == event_id("HAN-1")
    assert ids["HAN-4"] == event_id("HAN-4", "new_delhi")


# --------------------------------------------------------------------------- counts balance


def test_counts_balance_and_every_data_row_is_accounted_for(warehouse, src):
    files = {
        write_csv(
            src / "01.csv", [consultation("HAN-1"), rec("HAN-2"), rec("HAN-3", quantity="0"), rec("HAN-4", center="")]
        ): 4,
        write_csv(
            src / "02.csv",
            [
                rec("HAN-2"),
                rec("HAN-2", firm_id="2028100011"),
                consultation("HAN-1", amount="9"),
                amend("HAN-5", "HAN-1"),
                amend("HAN-6", "HAN-999"),
                rec("HAN-7"),
            ],
            encoding="utf-8-sig",
        ): 6,
        write_csv(src / "03.csv", [rec("HAN-8"), rec("HAN-8", activity="샘플발송")], encoding="cp949"): 2,
    }
    ragged = src / "04.csv"
    ragged.write_text(
        "기록번호,센터,일자,활동,기업번호\nHAN-9,hanoi,2022-03-05,시장정보제공,2028100011\n"
        "HAN-10,hanoi\nHAN-11,hanoi,2022-03-05,시장정보제공,2028100011,x,y\n",
        encoding="utf-8",
    )
    files[ragged] = 3
    results = ingest(warehouse, src)
    ev, qu = events(warehouse), quarantine(warehouse)

    assert len(results) == 4 and all(r.status == "loaded" for r in results)
    for r, b in zip(results, batches(warehouse)):
        assert b["rows_in"] == b["rows_accepted"] + b["rows_duplicate"] + b["rows_quarantined"]
        assert (r.rows_in, r.accepted, r.duplicates, r.quarantined) == (
            b["rows_in"],
            b["rows_accepted"],
            b["rows_duplicate"],
            b["rows_quarantined"],
        )
        assert b["rows_in"] == {k.resolve(): v for k, v in files.items()}[Path(b["file_path"])]
        stored_rows = [e["source_row"] for e in ev if e["batch_id"] == b["batch_id"]]
        quarantined_rows = [q["source_row"] for q in qu if q["batch_id"] == b["batch_id"]]
        assert len(stored_rows) == b["rows_accepted"]
        assert len(quarantined_rows) == b["rows_quarantined"]
        # every data line (2 … n+1) is stored, quarantined or one of the duplicates
        seen = stored_rows + quarantined_rows
        assert len(set(seen)) == len(seen)
        assert set(seen) <= set(range(2, b["rows_in"] + 2))
        assert len(seen) + b["rows_duplicate"] == b["rows_in"]
    assert sum(r.rows_in for r in results) == sum(files.values())
    assert [(r.accepted, r.duplicates, r.quarantined) for r in results] == [(2, 0, 2), (2, 2, 2), (1, 0, 1), (1, 0, 2)]


# --------------------------------------------------------------------------- append-only


def _snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    return {
        "event_store": query(warehouse, "SELECT * FROM events.event_store ORDER BY position"),
        "ingest_batches": query(warehouse, "SELECT * FROM events.ingest_batches ORDER BY batch_id"),
        "quarantine": query(warehouse, "SELECT * FROM events.quarantine"),
    }


def test_a_later_ingest_never_changes_an_earlier_row(warehouse, src):
    first = write_csv(src / "01.csv", [consultation("HAN-1"), rec("HAN-2"), rec("HAN-3", currency="EUR")])
    ingest(warehouse, first)
    before = _snapshot(warehouse)
    assert len(before["event_store"]) == 2 and len(before["quarantine"]) == 1

    second = write_csv(
        src / "02.csv",
        [
            amend("HAN-4", "HAN-1", amount="5"),
            void("HAN-5", "HAN-2"),
            rec("HAN-2"),
            consultation("HAN-1", amount="7"),
            rec("HAN-3", currency="EUR"),
            rec("HAN-6"),
        ],
    )
    ingest(warehouse, first, second, first)
    after = _snapshot(warehouse)

    assert after["event_store"][: len(before["event_store"])] == before["event_store"]
    assert after["ingest_batches"][: len(before["ingest_batches"])] == before["ingest_batches"]
    assert not Counter(before["quarantine"]) - Counter(after["quarantine"])
    assert len(after["event_store"]) == 5  # the later file did add events


# --------------------------------------------------------------------------- atomic batches


@pytest.mark.parametrize("step", ["_insert_events", "_insert_batches"])
def test_a_failed_statement_rolls_back_the_whole_batch(warehouse, src, monkeypatch, step):
    first = write_csv(src / "01.csv", [consultation("HAN-1"), rec("HAN-2")])
    failing = write_csv(src / "02.csv", [rec("HAN-3"), rec("HAN-4", date="2022-02-30"), amend("HAN-5", "HAN-1")])
    third = write_csv(src / "03.csv", [rec("HAN-6")])
    failing_hash = hashlib.sha256(failing.read_bytes()).hexdigest()

    real = getattr(store, step)
    seen_inside: list[int] = []

    def step_then_fail(con, *args, **kwargs):
        real(con, *args, **kwargs)
        seen_inside.append(count(con, "event_store"))
        con.execute("SELECT error('injected failure')")

    with wh.connect(warehouse) as con:
        loaded = ingest_file(con, first)
        monkeypatch.setattr(store, step, step_then_fail)
        with pytest.raises(duckdb.Error, match="injected failure"):
            ingest_file(con, failing)
        monkeypatch.undo()

        assert seen_inside == [4]  # the step did write inside the transaction …
        assert count(con, "event_store") == 2  # … and all of it was rolled back
        assert count(con, "event_store", "batch_id <> ?", [loaded.batch_id]) == 0
        assert count(con, "quarantine") == 0
        assert count(con, "ingest_batches", "file_hash = ?", [failing_hash]) == 0
        assert count(con, "ingest_batches") == 1

        # the same connection goes on working
        nxt = ingest_file(con, third)
        assert (nxt.status, nxt.batch_id, nxt.first_position, nxt.accepted) == ("loaded", 2, 3, 1)
        retry = ingest_file(con, failing)
        assert (retry.status, retry.accepted, retry.quarantined) == ("loaded", 2, 1)
        assert count(con, "event_store") == 5


def test_transaction_rolls_back_and_reraises_on_any_error(warehouse, src):
    path = write_csv(src / "01.csv", [rec("HAN-1")])
    with wh.connect(warehouse) as con:
        with pytest.raises(RuntimeError, match="after the insert"):
            with store.transaction(con):
                con.execute(
                    "INSERT INTO events.ingest_batches VALUES (1, NULL, 'x', 'x', 'h', 1, NULL, "
                    "'refused', 'r', NULL, 0, 0, 0, 0, NULL, NULL, now(), now())"
                )
                assert count(con, "ingest_batches") == 1
                raise RuntimeError("after the insert")
        assert count(con, "ingest_batches") == 0
        assert ingest_file(con, path).status == "loaded"
        assert count(con, "ingest_batches") == 1


KILL_AFTER = textwrap.dedent("""
    import os, signal, sys
    from pipelines.eventstore import store
    from pipelines.ingest.runner import ingest_paths

    step = sys.argv[3]
    real = getattr(store, step)

    def step_then_die(con, *args, **kwargs):
        real(con, *args, **kwargs)
        n = con.execute("SELECT count(*) FROM events.event_store").fetchall()[0][0]
        print(f"inside={n}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(store, step, step_then_die)
    ingest_paths(sys.argv[1], [sys.argv[2]])
    print("survived", flush=True)
""")


def killed_after(step: str, warehouse: Path, path: Path) -> subprocess.CompletedProcess:
    """Ingest `path` in a process that kills itself with SIGKILL right after the store's `step`."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER, str(warehouse), str(path), step],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "survived" not in proc.stdout
    return proc


def test_a_process_killed_mid_append_leaves_no_partial_batch(warehouse, src):
    first = write_csv(src / "01.csv", [consultation("HAN-1"), rec("HAN-2")])
    victim = write_csv(
        src / "02.csv", [rec("HAN-3"), rec("HAN-4", quantity="-1"), amend("HAN-5", "HAN-1"), rec("HAN-6")]
    )
    victim_hash = hashlib.sha256(victim.read_bytes()).hexdigest()
    ingest(warehouse, first)

    proc = killed_after("_insert_events", warehouse, victim)
    assert "inside=5" in proc.stdout

    assert count(warehouse, "event_store") == 2
    assert count(warehouse, "event_store", "batch_id <> 1") == 0
    assert count(warehouse, "quarantine") == 0
    assert count(warehouse, "ingest_batches", "file_hash = ?", [victim_hash]) == 0

    [again] = ingest(warehouse, victim)
    assert (again.status, again.rows_in, again.accepted, again.quarantined) == ("loaded", 4, 3, 1)
    assert (again.first_position, again.last_position) == (3, 5)
    assert set(by_record(warehouse)) == {"HAN-1", "HAN-2", "HAN-3", "HAN-5", "HAN-6"}


@pytest.mark.parametrize("kill_after", ["_insert_events", "_insert_quarantine", "_insert_batches"])
def test_a_process_killed_while_appending_a_chunk_of_files_leaves_each_file_whole_or_absent(warehouse, src, kill_after):
    write_csv(src / "01.csv", [consultation("HAN-1"), rec("HAN-2")])
    write_csv(src / "02.csv", [rec("HAN-3"), rec("HAN-4", quantity="-1"), amend("HAN-5", "HAN-1")])
    write_csv(src / "03.csv", [rec("HAN-6"), void("HAN-7", "HAN-2")])
    killed_after(kill_after, warehouse, src)
    # the three files were one transaction: none of them is in
    for table in ("event_store", "quarantine", "ingest_batches"):
        assert count(warehouse, table) == 0, table

    results = ingest(warehouse, src)
    assert [(r.status, r.accepted, r.quarantined) for r in results] == [
        ("loaded", 2, 0),
        ("loaded", 2, 1),
        ("loaded", 2, 0),
    ]
    assert [e["position"] for e in events(warehouse)] == list(range(1, 7))


# --------------------------------------------------------------------------- refused files


def test_unreadable_files_are_refused_and_the_others_still_load(warehouse, src):
    good_a = write_csv(src / "01_good.csv", [rec("HAN-1")])
    (src / "02_binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (src / "03_no_header.csv").write_text("이름,나이,주소\n홍길동,30,전주\n김철수,40,익산\n", encoding="utf-8")
    (src / "04_empty.csv").write_bytes(b"")
    (src / "05_garbage.xlsx").write_bytes(b"this is not a workbook at all; " * 50)
    (src / "06_zip_not_xlsx.xlsx").write_bytes(b"PK\x03\x04" + b"\x14\x00" * 40)
    write_xlsx(src / "07_sheet_without_header.xlsx", ["이름", "나이"], [["홍길동", 30]])
    good_b = write_csv(src / "08_good.csv", [rec("HAN-2")], encoding="cp949")

    results = ingest(warehouse, src)
    status = {Path(r.file).name: r for r in results}
    assert status[good_a.name].status == status[good_b.name].status == "loaded"
    expected_reason = {
        "02_binary.csv": "binary",
        "03_no_header.csv": "no known header",
        "04_empty.csv": "empty",
        "05_garbage.xlsx": "not a readable spreadsheet",
        "06_zip_not_xlsx.xlsx": "not a readable spreadsheet",
        "07_sheet_without_header.xlsx": "no known header",
    }
    rows = {b["file_name"]: b for b in batches(warehouse)}
    for name, fragment in expected_reason.items():
        r, b = status[name], rows[name]
        assert r.status == b["status"] == "refused", name
        assert fragment in r.reason and fragment in b["reason"], (name, b["reason"])
        assert (b["rows_in"], b["rows_accepted"], b["rows_quarantined"]) == (0, 0, 0)
        assert count(warehouse, "event_store", "batch_id = ?", [b["batch_id"]]) == 0
        assert count(warehouse, "quarantine", "batch_id = ?", [b["batch_id"]]) == 0
    assert sorted(payloads(warehouse)) == ["HAN-1", "HAN-2"]


def test_a_bug_aborts_the_run_and_leaves_the_chunk_unrecorded_so_a_fixed_release_loads_it(warehouse, src, monkeypatch):
    from pipelines.ingest import append

    real = append.prepare

    def buggy_prepare(con, kind, grids):
        if any("HAN-2" in g.table.column("c0").to_pylist() for g in grids.values()):
            raise duckdb.ConversionException("injected: a bug in the typing code")
        return real(con, kind, grids)

    write_csv(src / "01.csv", [rec("HAN-1")])
    ingest(warehouse, src)
    write_csv(src / "02.csv", [rec("HAN-2")])
    shutil.copy(src / "02.csv", src / "03_copy_of_02.csv")
    write_csv(src / "04.csv", [rec("HAN-4"), rec("HAN-1")])
    monkeypatch.setattr(append, "prepare", buggy_prepare)
    with pytest.raises(duckdb.ConversionException, match="injected"):
        ingest(warehouse, src)
    assert count(warehouse, "ingest_batches") == 1  # not refused: nothing of the chunk recorded
    assert count(warehouse, "event_store") == 1

    monkeypatch.undo()  # the fixed release
    results = ingest(warehouse, src)
    assert [(Path(r.file).name, r.status) for r in results] == [
        ("02.csv", "loaded"),
        ("03_copy_of_02.csv", "duplicate"),
        ("04.csv", "loaded"),
    ]
    assert (results[2].accepted, results[2].duplicates) == (1, 1)
    assert count(warehouse, "event_store") == 3


def test_a_failing_file_and_its_copy_when_everything_else_is_loaded(warehouse, src):
    write_csv(src / "01.csv", [rec("HAN-1")])
    ingest(warehouse, src)
    (src / "02_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    shutil.copy(src / "02_broken.xlsx", src / "03_copy.xlsx")
    for _ in range(2):
        results = ingest(warehouse, src)
        assert [(Path(r.file).name, r.status) for r in results] == [
            ("02_broken.xlsx", "refused"),
            ("03_copy.xlsx", "refused"),
        ]
        assert "spreadsheet" in results[1].reason
    assert count(warehouse, "ingest_batches", "status = 'duplicate'") == 0


def test_of_two_connections_appending_at_once_the_second_fails_at_commit_and_nothing_interleaves(warehouse, src):
    from pipelines.ingest import runner

    write_csv(src / "a" / "01.csv", [consultation("HAN-1"), rec("HAN-2")])
    write_csv(src / "b" / "01.csv", [rec("HAN-3"), amend("HAN-4", "HAN-1")])
    ingest(warehouse, src / "a")
    with wh.connect(warehouse) as con:
        other = wh.cursor(con)  # a second connection to the same file, as a second writer thread would have
        gate: list = []
        real_counts = store._counts

        def append_other_first(c, prepared, after):
            if c is con and not gate:  # while this chunk's transaction is open, the other appends and commits
                gate.append(None)
                gate[0] = runner.ingest_files(other, runner.discover([src / "b"]))
            return real_counts(c, prepared, after)

        store._counts = append_other_first
        try:
            write_csv(src / "c" / "01.csv", [rec("HAN-5"), amend("HAN-6", "HAN-1")])
            with pytest.raises(duckdb.Error) as failure:  # a conflict on the batch ledger or a stream version
                runner.ingest_files(con, runner.discover([src / "c"]))
        finally:
            store._counts = real_counts
    assert gate, failure.value
    assert [r.accepted for r in gate[0]] == [2]
    ev = events(warehouse)
    assert [e["position"] for e in ev] == [1, 2, 3, 4]
    assert sorted(e["stream_version"] for e in ev if str(e["stream_id"]) == stream_of("HAN-1")) == [1, 2]
    assert [r.accepted for r in ingest(warehouse, src / "c")] == [2]  # the loser simply runs again
    assert [e["position"] for e in events(warehouse)] == [1, 2, 3, 4, 5, 6]


def test_a_copy_of_a_file_flushed_in_an_earlier_chunk_is_a_duplicate(warehouse, src):
    from pipelines.ingest import runner

    write_csv(src / "01.csv", [rec("HAN-1"), rec("HAN-2")])
    shutil.copy(src / "01.csv", src / "02_copy.csv")
    (src / "03_broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    shutil.copy(src / "03_broken.xlsx", src / "04_copy.xlsx")
    with wh.connect(warehouse) as con:
        results = runner.ingest_files(con, runner.discover([src]), chunk_rows=1)  # a chunk per file
    assert [(Path(r.file).name, r.status, r.rows_in, r.duplicates) for r in results] == [
        ("01.csv", "loaded", 2, 0),
        ("02_copy.csv", "duplicate", 2, 2),
        ("03_broken.xlsx", "refused", 0, 0),
        ("04_copy.xlsx", "refused", 0, 0),
    ]
    assert batches(warehouse)[1]["duplicate_of"] == results[0].batch_id


def test_a_requeue_that_accepts_a_record_applies_its_waiting_correction(warehouse, src):
    from pipelines.ingest.requeue import requeue
    from pipelines.reference import register_lookups

    ingest(warehouse, write_csv(src / "01.csv", [amend("HAN-2", "HAN-1", amount="1500")]))  # waits for HAN-1
    ingest(warehouse, write_csv(src / "02.csv", [consultation("HAN-1", currency="EUR")]))  # HAN-1 invalid
    assert [q["reason_code"] for q in quarantine(warehouse)] == ["awaiting_target", "invalid"]
    with wh.connect(warehouse) as con:
        register_lookups(con)
        con.execute("INSERT INTO label_lookup VALUES ('currency', 'eur', 'EUR')")  # EUR becomes known
        results = requeue(con, reason="통화/currency")
    assert [(r.status, r.accepted) for r in results] == [("requeued", 1), ("requeued", 1)]
    ev = by_record(warehouse)
    assert ev["HAN-2"]["stream_id"] == ev["HAN-1"]["stream_id"] and ev["HAN-2"]["stream_version"] == 2


def test_whole_batches_puts_the_part_filled_batches_together_at_the_end():
    import pyarrow as arrow

    from pipelines.eventstore.batch import BATCH_ROWS, whole_batches

    sizes = [BATCH_ROWS, 5, BATCH_ROWS, BATCH_ROWS - 3, 7]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    table = arrow.Table.from_batches(
        [arrow.record_batch({"n": arrow.array(range(s, s + k), arrow.int64())}) for s, k in zip(starts, sizes)]
    )
    rebatched = whole_batches(table)
    assert [b.num_rows for b in rebatched.to_batches()] == [BATCH_ROWS, BATCH_ROWS, BATCH_ROWS, 9]
    assert sorted(rebatched.column("n").to_pylist()) == list(range(sum(sizes)))


def test_an_append_of_many_events_is_written_into_the_file_once_not_through_the_log(warehouse, src):
    """A writer attaches the warehouse with row groups of WRITER_ROW_GROUP_SIZE rows: the full row
    groups of an append go straight into the database file, so the write-ahead log holds only the
    rest (with DuckDB's default of 122,880 rows it held every event, written again at checkpoint).
    Every row group but the last is full: a part-filled one amid them (as the threads of a join
    leave them) is rewritten, with all that follow it, at the checkpoint."""
    from pipelines.ingest import runner

    n = 3 * wh.WRITER_ROW_GROUP_SIZE + 1000
    write_csv(src / "01.csv", [rec(f"HAN-{i}") for i in range(n)])
    row_groups = "SELECT list(n ORDER BY g) FROM (SELECT row_group_id AS g, max(count) AS n FROM pragma_storage_info('events.event_store') GROUP BY g)"  # noqa: E501
    with wh.connect(warehouse) as con:
        [result] = runner.ingest_files(con, [src / "01.csv"])
        wal = Path(f"{warehouse}.wal")
        logged = wal.stat().st_size if wal.exists() else 0
        stored = warehouse.stat().st_size
        spills = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
        appended = con.execute(row_groups).fetchall()[0][0]
    assert result.accepted == n
    assert logged < stored / 4, (logged, stored)
    assert spills == f"{warehouse}.tmp"  # beside the warehouse, as for a plain connection to it
    size = wh.WRITER_ROW_GROUP_SIZE
    assert appended == [size, size, size, 1000]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(row_groups).fetchall()[0][0] == [size, size, size, 1000]


def test_the_read_side_sees_the_head_the_files_and_the_quarantine_open_then_and_now(warehouse, src):
    from pipelines.eventstore import read

    with wh.connect(warehouse) as con:
        assert read.head(con) == (0, 0) and read.head_position(con) == 0 and read.open_quarantine_count(con) == 0
    first = write_csv(src / "01.csv", [amend("HAN-2", "HAN-1", amount="1500"), rec("HAN-3", date="2022-02-30")])
    ingest(warehouse, first)  # the amendment waits for HAN-1, HAN-3 is invalid
    with wh.connect(warehouse) as con:
        before = con.execute("SELECT now()").fetchone()[0]
        assert read.open_quarantine_count(con) == 2
    ingest(warehouse, write_csv(src / "02.csv", [consultation("HAN-1")]))  # releases the amendment
    with wh.connect(warehouse) as con:
        assert (
            read.head(con) == (2, 2) and read.head(con, "center_log") == (2, 2) and read.head(con, "survey") == (0, 0)
        )
        assert read.events_since(con, 1) == (1, 2)
        assert {Path(p).name for p, _ in read.known_paths(con)} == {"01.csv", "02.csv"}
        assert sorted(rows for _, rows, _ in read.loaded_batches(con).values()) == [1, 2]
        assert con.execute(f"SELECT source_row FROM {read.OPEN_QUARANTINE}").fetchall() == [(3,)]
        then = con.execute(f"SELECT source_row FROM {read.open_quarantine('$at')} ORDER BY 1", {"at": before})
        assert then.fetchall() == [(2,), (3,)]  # the export of a year frozen before the release sees both
        assert con.execute(f"SELECT count(*) FROM {read.events_of('center_log')}").fetchone()[0] == 2
