"""Hostile input (issue 17, item 8): the failures reliability/hostile.py found, shrunk by
hypothesis, as ordinary tests; and a tiny version of the campaign so the suite keeps it working."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import ingest, query, rec, write_csv, write_xlsx

PHONE, MAIL = "010  701 2832", "0000@00.com"


def _stored(warehouse: Path) -> str:
    """Everything a file can leave in the store, as text, and the file's bytes."""
    rows = query(
        warehouse,
        "SELECT payload::VARCHAR FROM events.event_store UNION ALL "
        "SELECT concat_ws(' ', raw_values::VARCHAR, reason) FROM events.quarantine UNION ALL "
        "SELECT coalesce(reason, '') FROM events.ingest_batches",
    )
    return "\n".join(r[0] for r in rows) + warehouse.read_bytes().decode("utf-8", "replace")


def test_personal_data_in_a_centre_log_comment_an_extra_column_or_a_bad_line_is_not_stored(warehouse, src):
    write_csv(
        src / "a.csv",
        [rec("HAN-1", note=f"연락처 {PHONE}", 메모=MAIL), rec("HAN-2", center="런던", note=MAIL, 메모=PHONE)],
    )
    (src / "b.csv").write_text(
        f"기록번호,센터,일자,활동,기업번호\nHAN-3,hanoi,2022-03-05,시장정보제공,202-81-00011,{PHONE},{MAIL}\n",
        encoding="utf-8",
    )  # an unreadable line (too many fields) is quarantined as written
    results = ingest(warehouse, src)
    assert [(r.accepted, r.quarantined) for r in results] == [(1, 1), (0, 1)]
    stored = _stored(warehouse)
    assert PHONE not in stored and MAIL not in stored and "[개인정보 삭제]" in stored
    # a comment without personal data is kept exactly as written
    assert query(warehouse, "SELECT payload->>'note' FROM events.event_store") == [("연락처 [개인정보 삭제]",)]


def test_personal_data_in_an_extra_column_of_a_k_stat_csv_or_xlsx_is_not_stored(warehouse, src):
    title = [["K-stat 지역별 수출입 총괄"], ["지역 : 전국", "단위 : 백만달러", "조회일 : 2023.03.15"], []]
    header = ["년도", "수출금액", "수출증감률", "수입금액", "수입증감률", "수지", "메모"]
    text = io.StringIO()
    for row in [*title, header, ["2022", "683,750", "6.1", "731,217", "18.9", "-47,467", MAIL]]:
        text.write(",".join(f'"{c}"' for c in row) + "\r")
    (src / "K-stat 총괄 전국 2021-2022.csv").write_text(text.getvalue(), encoding="utf-8")
    write_xlsx(
        src / "전북_베트남_수출_2018-2022.xlsx",
        ["년도", "수출금액", "수출증감률", "연락처"],
        [["2022", "1,000", "2.0", f"담당 {PHONE}"]],
        title_rows=[["국가별 수출 추이"], ["조회일 : 2023-03-15"], ["단위 : 천달러"], []],
    )
    results = ingest(warehouse, src)
    assert [r.status for r in results] == ["loaded", "loaded"] and all(r.accepted for r in results)
    stored = _stored(warehouse)
    assert PHONE not in stored and MAIL not in stored


def test_a_csv_file_with_a_cell_over_128_kib_is_no_traceback(warehouse, src):
    write_csv(src / "a.csv", [rec("HAN-1", note="가" * 200_000), rec("HAN-2")])
    [result] = ingest(warehouse, src)
    assert (result.status, result.accepted) == ("loaded", 2)


def test_a_k_stat_file_whose_first_row_covers_the_label_header_is_refused_with_its_reason(warehouse, src):
    """Shrunk: `금액` in the first data row's label cell made it the header's second row, and the
    label column (년월 금액) was no longer found: a StopIteration, then a traceback."""
    rows = [
        ["지역별 수출입 총괄"],
        ["지역 : 전라북도", "", "", "단위 : 천달러, kg", "", "조회일 : 2023-03-15"],
        [],
        ["년월", "수출", "", "", "", "수입", "", "", "", "수지"],
        ["금액", "금액", "증감률", "중량", "증감률", "금액", "증감률", "중량", "증감률", "금액"],
        ["2019년", "6512340", "△16.7", "19537020", "-", "4900000", "▲5.8", "24500000", "-", "1612340"],
    ]
    (src / "K-stat 총괄 전북 2018-2022.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    [result] = ingest(warehouse, src)
    assert result.status == "refused" and "no column of row labels" in result.reason


def test_an_xls_whose_container_header_repeats_is_refused_not_a_dead_process(tmp_path):
    """Shrunk: the K-stat .xls with its first 512 bytes (the OLE header) written twice made calamine
    ask for 4 GB while following a sector chain; Rust aborts the process on a failed allocation, so
    an ingest died without a reason. Read in a child with 3 GB of address space, as a small machine."""
    import subprocess
    import sys

    sample = next(Path("sources/trade").glob("*.xls")).read_bytes()
    bad = tmp_path / "K-stat 총괄 전북 2018-2022.xls"
    bad.write_bytes(sample[:512] + sample)
    probe = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from pipelines.ingest.errors import RefusedFile\n"
        "from pipelines.ingest.readers import read_grid\n"
        "try:\n"
        "    read_grid(sys.argv[1], lambda rows: None)\n"
        "except RefusedFile as exc:\n"
        "    print(exc.reason)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert "not a readable spreadsheet" in done.stdout


def test_a_seed_with_two_byte_order_marks_is_rewritten_with_the_same_rows(tmp_path):
    """Shrunk: a BOM before Excel's BOM stayed in the first column's name, which the rewrite then
    turned into a BOM again: other rows after check_seeds, and never canonical."""
    from pipelines.reference import check_seeds, read_seed

    seed = tmp_path / "tiers.csv"
    seed.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbftier_code,name_ko\r\nbeginner,\xec\xb4\x88\xeb\xb3\xb4\r\n")
    assert read_seed(seed)[0] == ["tier_code", "name_ko"]
    assert check_seeds(tmp_path) and check_seeds(tmp_path) == []
    assert read_seed(seed)[:2] == (["tier_code", "name_ko"], [["beginner", "초보"]])


@pytest.mark.slow
def test_a_tiny_hostile_campaign_finds_nothing(tmp_path):
    from reliability.hostile import READERS, run

    out = run(seed=7, files=3, workdir=tmp_path / "hostile", giants=False, say=lambda _: None)
    assert out.clean, out.failures
    assert out.inputs == 3 * len(READERS)


@pytest.mark.parametrize("reader", ["center_log_csv", "seeds"])
def test_a_giant_file_is_handled_by_the_campaign(tmp_path, reader, monkeypatch):
    """The 10 MB cell, smaller: the same code path in seconds."""
    import reliability.hostile as hostile

    monkeypatch.setattr(hostile, "BIG_CELL", 300_000)
    out = hostile.run(seed=7, files=1, workdir=tmp_path / "h", quick=True, readers=(reader,), say=lambda _: None)
    assert out.clean, out.failures


def test_the_campaign_probes_a_spreadsheet_with_the_products_reader_not_bare_calamine(tmp_path):
    """Found by the full campaign after the fix above: its crash probe opened the file with calamine
    itself, so the container check the ingest does first was skipped and the refused file still
    counted as a dead process."""
    from reliability.hostile import aborts

    sample = next(Path("sources/trade").glob("*.xls")).read_bytes()
    bad = tmp_path / "K-stat 총괄 전북 2018-2022.xls"
    bad.write_bytes(sample[:512] + sample)
    assert aborts(bad) is None
