"""The customs firm-year extract (docs/sources.md §7): a plug-in source kind, its files as the
trade-data centre sends them, a later extract superseding, bad rows quarantined with the reason,
and the linkage key that names the province's firms."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import batches, events, ingest, quarantine, query, write_xlsx

from pipelines.ingest.sources.customs_panel import CUSTOMS_PANEL
from pipelines.linkage import KEY_FILE_VARIABLE, KEY_VARIABLE, LinkKeyError, link_key, pseudonym

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
A, B = "a" * 63 + "1", "B" * 63 + "2"  # B in capitals: pseudonyms are compared in lower case


def extract(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_an_extract_in_cp949_and_as_xlsx_loads_one_event_per_firm_year(warehouse, src):
    rows = [
        [2023, A, "중소기업", "C", 125000, 40000, 0, 3, 5],
        [2024, B, "중견기업", "g", "1,800,000", None, None, 11, 40],
    ]
    extract(src / "cp949" / "관세청_기업별수출.csv", rows, encoding="cp949")
    write_xlsx(src / "xlsx" / "extract.xlsx", HEADER, [[str(v) if v is not None else None for v in r] for r in rows])
    results = ingest(warehouse, src / "cp949")
    assert [(r.source_kind, r.accepted, r.quarantined) for r in results] == [("customs_panel", 2, 0)]
    stored = events(warehouse)
    assert [e["event_type"] for e in stored] == ["customs_firm_year_recorded"] * 2
    payload = {k: v for k, v in stored[1]["payload"].items() if k != "extra"}
    assert payload == {
        "year": 2024,
        "firm_pseudonym": B.lower(),
        "size_band": "midsize",
        "industry": "G",
        "exports_usd": 1_800_000.0,
        "exports_vn_usd": 0.0,
        "exports_in_usd": 0.0,
        "destinations": 11,
        "products": 40,
    }
    assert [str(e["occurred_on"]) for e in stored] == ["2023-01-01", "2024-01-01"]
    # the same figures from a workbook are the same records: duplicates, nothing added
    [again] = ingest(warehouse, src / "xlsx")
    assert (again.accepted, again.duplicates) == (0, 2)


def test_a_later_extract_of_the_same_firm_year_supersedes_the_earlier_one(warehouse, src):
    extract(src / "a_2024-03.csv", [[2023, A, "중소기업", "C", 100, 0, 0, 1, 1]])
    ingest(warehouse, src)
    extract(
        src / "b_2024-09.csv", [[2023, A, "중소기업", "C", 120, 0, 0, 1, 1], [2023, B, "대기업", "C", 5, 0, 0, 1, 1]]
    )
    [later] = ingest(warehouse, src)  # the first file, known, is not read again
    assert (later.status, later.accepted, later.quarantined) == ("loaded", 2, 0)
    rows = query(
        warehouse,
        "SELECT stream_id, stream_version, payload->>'exports_usd' FROM events.event_store "
        "WHERE payload->>'firm_pseudonym' = ? ORDER BY position",
        [A],
    )
    assert [(v, x) for _, v, x in rows] == [(1, "100.0"), (2, "120.0")] and rows[0][0] == rows[1][0]


def test_rows_that_do_not_parse_are_quarantined_with_the_reason_and_the_rest_load(warehouse, src):
    extract(
        src / "bad.csv",
        [
            [2023, A, "중소기업", "C", 100, 0, 0, 1, 1],
            [2023, "not-a-pseudonym", "중소기업", "C", 100, 0, 0, 1, 1],
            [2023, B, "소기업", "C", 100, 0, 0, 1, 1],
            [2022, B, "중소기업", "Z", 100, 0, 0, 1, 1],
            [2021, B, "중소기업", "C", -5, 0, 0, 1, 1],
            [2020, B, "중소기업", "C", 100, 80, 30, 1, 1],
            [1999, B, "중소기업", "C", 100, 0, 0, 1, 1],
        ],
    )
    [result] = ingest(warehouse, src)
    assert (result.accepted, result.quarantined) == (1, 6)
    reasons = [q["reason"] for q in quarantine(warehouse)]
    for expected in (
        "가명기업번호/firm_pseudonym 'not-a-pseudonym' is empty or not a pseudonym of 64 hexadecimal characters",
        "기업규모/size_band '소기업' is empty or not 대기업, 중견기업 or 중소기업",
        "업종/industry 'Z' is empty or not a KSIC section letter A … U",
        "수출액/exports_usd '-5' is negative",
        "exceed 수출액/exports_usd '100'",
        "기준연도/year '1999' is outside 2000 … this year",
    ):
        assert any(expected in r for r in reasons), (expected, reasons)
    assert sum(1 for q in quarantine(warehouse) if q["source_row"]) == 6


def test_a_file_without_the_extracts_headers_is_refused_by_name(warehouse, src):
    path = src / "관세청_가명없음.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("기준연도,사업자등록번호,수출액\n2023,123-45-67890,100\n", encoding="utf-8")
    [result] = ingest(warehouse, src)
    assert result.status == "refused" and Path(result.file).name == path.name
    assert "관세청 기업별 수출 / Customs firm-year extract" in result.reason
    assert [b["status"] for b in batches(warehouse)] == ["refused"] and events(warehouse) == []


def test_the_pseudonym_is_hmac_sha256_of_the_ten_digits_under_the_key():
    # computed apart: printf 1234567890 | openssl dgst -sha256 -hmac province-secret
    expected = "e66748912cf3ded998da0d7575e6eb90091f9063c949d8cbf6bd427fffeb0d00"
    assert pseudonym("123-45-67890", b"province-secret") == expected
    assert pseudonym(" 1234567890 ", b"province-secret") == expected
    assert pseudonym("1234567890", b"another key") != expected
    assert CUSTOMS_PANEL.fields["firm_pseudonym"].type.expected  # a pseudonym that does not parse is named
    with pytest.raises(ValueError, match="10 digits"):
        pseudonym("123-45-6789", b"k")


def test_the_key_comes_from_the_variable_or_the_file_it_names(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    monkeypatch.delenv(KEY_FILE_VARIABLE, raising=False)
    assert link_key() is None
    key_file = tmp_path / "link.key"
    key_file.write_bytes(b"from-a-file\n")
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(key_file))
    assert link_key() == b"from-a-file"
    monkeypatch.setenv(KEY_VARIABLE, "from-the-variable")
    assert link_key() == b"from-the-variable"
    monkeypatch.delenv(KEY_VARIABLE)
    key_file.write_bytes(b"  \n")
    with pytest.raises(LinkKeyError, match="which is empty"):
        link_key()
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(tmp_path / "missing.key"))
    with pytest.raises(LinkKeyError, match="cannot be read"):
        link_key()
