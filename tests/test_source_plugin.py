"""A source kind made up here plugs into the framework without touching it.

It has a two-row header with a group cell over two columns, a title block above it, and
the `supersede` conflict policy: a later snapshot of the same key is a new version of the stream.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import query, write_xlsx

from pipelines import warehouse as wh
from pipelines.ingest.fields import DATE, NUMBER, TEXT, Field, FieldSet
from pipelines.ingest.runner import discover, ingest_files
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources import SOURCE_KINDS

SNAPSHOT = SourceKind(
    name="test_snapshot",
    title="시험 스냅숏 / test snapshot",
    fields=FieldSet(
        (
            Field("region", "지역", TEXT, required=True),
            Field("period", "기간", TEXT, required=True),
            Field("exports", "수출 금액", NUMBER, aliases=("export amount",)),
            Field("growth", "수출 증감률", NUMBER),
            Field("retrieved", "조회일", DATE, required=True),
        )
    ),
    recognise_by=("region", "period", "exports"),
    key=("region", "period"),
    occurred_on="retrieved",
    event_type="'snapshot_recorded'",
    event_types=("snapshot_recorded",),
    conflict_hint="send a later snapshot",
    on_conflict="supersede",
    header_rows=2,
)
KINDS = (*SOURCE_KINDS, SNAPSHOT)
TOP = ["지역", "기간", "수출", None, "조회일"]  # `수출` spans two columns (a merged cell)
BOTTOM = [None, None, "금액", "증감률", None]


def snapshot_file(path: Path, rows: list[list]) -> Path:
    return write_xlsx(path, TOP, [BOTTOM, *rows], title_rows=[["K-stat 지역별 수출 (시험)"], []])


def ingest(warehouse: Path, folder: Path):
    with wh.connect(warehouse) as con:
        return ingest_files(con, discover([folder]), kinds=KINDS)


def test_a_made_up_kind_loads_end_to_end(warehouse, src):
    first = snapshot_file(
        src / "a_2022.xlsx",
        [["전북", "2022", "1,234.5", "-3.2", "2023-03-15"], ["전북", "2021", "abc", "1", "2023-03-15"]],
    )
    [result] = ingest(warehouse, src)
    assert (result.status, result.source_kind, result.accepted, result.quarantined) == ("loaded", "test_snapshot", 1, 1)
    [(payload, kind, version)] = query(
        warehouse, "SELECT payload::VARCHAR, source_kind, stream_version FROM events.event_store"
    )
    assert kind == "test_snapshot" and version == 1
    assert '"exports":1234.5' in payload and '"growth":-3.2' in payload
    [(reason,)] = query(warehouse, "SELECT reason FROM events.quarantine")
    assert "수출 금액/exports 'abc' is not a number" in reason

    # a revised snapshot of the same region and period supersedes: same stream, next version
    snapshot_file(src / "b_2022_revised.xlsx", [["전북", "2022", "1,300", "-2.0", "2023-06-01"]])
    first.rename(src / "a_2022_moved.xlsx")  # known bytes under another name: a duplicate batch
    results = ingest(warehouse, src)
    assert sorted((Path(r.file).name, r.status) for r in results) == [
        ("a_2022_moved.xlsx", "duplicate"),
        ("b_2022_revised.xlsx", "loaded"),
    ]
    streams = query(
        warehouse, "SELECT stream_id, stream_version, payload->>'exports' FROM events.event_store ORDER BY position"
    )
    assert [(v, x) for _, v, x in streams] == [(1, "1234.5"), (2, "1300.0")]
    assert streams[0][0] == streams[1][0]


def test_a_kind_naming_an_unknown_field_is_refused_at_definition():
    with pytest.raises(ValueError, match="unknown fields"):
        SourceKind(
            name="bad",
            title="bad",
            fields=SNAPSHOT.fields,
            recognise_by=("nope",),
            key=("region",),
            occurred_on="retrieved",
            event_type="'x'",
            event_types=("x",),
            conflict_hint="",
        )


def test_a_files_kind_is_told_from_its_first_rows_once(src):
    from helpers import rec, write_csv

    from pipelines.ingest.readers import SNIFF_BYTES, head_rows
    from pipelines.ingest.runner import file_info, sniff
    from pipelines.ingest.sources import CENTER_LOG

    path = write_csv(src / "big.csv", [rec(f"HAN-{i}", note="x" * 200) for i in range(2000)])
    assert path.stat().st_size > 4 * SNIFF_BYTES
    [block] = head_rows(path)
    assert len(block) < 2000 and block[0][0] == "기록번호"
    info = file_info(path)
    assert sniff(info, KINDS) is CENTER_LOG
    path.unlink()  # the same path and bytes are not read again
    assert sniff(info, KINDS) is CENTER_LOG
    snapshot = snapshot_file(src / "s.xlsx", [["전북", "2022", "1", "0", "2023-03-15"]])
    assert sniff(file_info(snapshot), KINDS) is SNAPSHOT
    assert sniff(file_info(snapshot), SOURCE_KINDS) is None


def test_one_kinds_ingest_leaves_the_waiting_rows_of_other_kinds_alone(warehouse, src):
    from helpers import quarantine, rec, write_csv

    write_csv(src / "log" / "a.csv", [rec("HAN-2", correction="정정", corrects_record_id="HAN-1"), rec("HAN-3")])
    with wh.connect(warehouse) as con:
        ingest_files(con, discover([src / "log"]))  # the correction waits for HAN-1
        snapshot_file(src / "kstat" / "a.xlsx", [["전북", "2022", "1", "0", "2023-03-15"]])
        [result] = ingest_files(con, discover([src / "kstat"]), kinds=(SNAPSHOT,))
    assert (result.status, result.accepted) == ("loaded", 1)
    assert [q["reason_code"] for q in quarantine(warehouse)] == ["awaiting_target"]
