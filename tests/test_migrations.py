"""A warehouse made by the release before migrations existed upgrades in place, keeping every row.

tests/fixtures/warehouse_v1.duckdb was written by that release (commit a8d47a4) from small
centre logs: loaded, duplicate and refused files, amendments, a void, a conflict, a correction
of an unknown record and invalid rows.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
from helpers import consultation, ingest, query, rec, write_csv

from pipelines.eventstore.migrations import LATEST, current_version

FIXTURE = Path(__file__).parent / "fixtures" / "warehouse_v1.duckdb"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    path = tmp_path / "v1.duckdb"
    shutil.copyfile(FIXTURE, path)
    return path


def _v1_rows(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "events": con.execute(
                "SELECT position, event_id, event_type, occurred_on, recorded_at, batch_id, "
                "source_row, payload::VARCHAR, corrects_event_id, stream FROM events.event_store "
                "ORDER BY position"
            ).fetchall(),
            "batches": con.execute("SELECT * FROM events.ingest_batches ORDER BY batch_id").fetchall(),
            "quarantine": con.execute(
                "SELECT batch_id, source_row, record_key, raw_values::VARCHAR, reason "
                "FROM events.quarantine ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


def test_a_v1_warehouse_upgrades_in_place_keeping_every_row(v1, src):
    before = _v1_rows(v1)
    con = duckdb.connect(str(v1), read_only=True)
    assert current_version(con) == 1
    con.close()
    assert len(before["events"]) == 7 and len(before["quarantine"]) == 4

    write_csv(src / "new.csv", [rec("HAN-100")])
    ingest(v1, src / "new.csv")  # the first writer upgrades the store

    assert query(v1, "SELECT max(version) FROM events.schema_migrations") == [(LATEST,)]
    after = query(
        v1,
        "SELECT position, event_id, event_type, occurred_on, recorded_at, batch_id, source_row, "
        "payload::VARCHAR, corrects_event_id, stream_id, stream_version, source_kind "
        "FROM events.event_store WHERE position <= 7 ORDER BY position",
    )
    assert [a[:9] for a in after] == [b[:9] for b in before["events"]]
    assert {a[11] for a in after} == {"center_log"}
    # streams: the v1 text became the opaque id of the stream's first event, versions in order
    first_of = {}
    for b, a in zip(before["events"], after):
        first_of.setdefault(b[9], b[1])
        assert str(a[9]) == str(uuid.UUID(first_of[b[9]]))
    amended = [a for a in after if a[2] == "activity_amended"]
    assert amended and all(a[10] == 2 for a in amended)
    assert query(
        v1, "SELECT * EXCLUDE (batch_id) FROM events.ingest_batches WHERE batch_id <= 5 ORDER BY batch_id"
    ) == [b[1:] for b in before["batches"]]
    assert (
        query(
            v1,
            "SELECT batch_id, source_row, record_key, raw_values::VARCHAR, reason FROM events.quarantine "
            "WHERE batch_id <= 5 ORDER BY ALL",
        )
        == before["quarantine"]
    )
    codes = dict(query(v1, "SELECT record_key, reason_code FROM events.quarantine WHERE batch_id <= 5"))
    assert codes["hanoi:HAN-9"] == "awaiting_target" and codes["hanoi:HAN-2"] == "conflict"


def test_after_the_upgrade_resent_records_are_duplicates_not_conflicts(v1, src):
    # v1 hashed the JSON text; the upgrade recomputes content identity from the typed fields
    rows = [
        rec("HAN-1", firm_name="가나상사"),
        consultation("HAN-5", amount="2500", currency="VND", note="메모", 담당자="김"),
    ]
    [result] = ingest(v1, write_csv(src / "resent.csv", rows))
    assert (result.accepted, result.duplicates, result.quarantined) == (0, 2, 0)


def test_the_awaiting_correction_of_v1_applies_when_its_record_arrives(v1, src):
    [loaded, *requeued] = ingest(v1, write_csv(src / "late.csv", [rec("HAN-404")]))
    assert loaded.accepted == 1
    assert [(r.status, r.accepted) for r in requeued] == [("requeued", 1)]
    assert query(v1, "SELECT resolution FROM events.quarantine_resolutions") == [("accepted",)]
