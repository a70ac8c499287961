"""K-stat downloads as they really come (docs/sources.md §6): every layout and convention has a small
fixture here, read through the framework with the trade kind's reshape."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from helpers import batches, ingest, quarantine, query

from pipelines.generate.trade import _xls, _xlsx

TITLE = [["전북특별자치도 국가별 수출입"], ["기간 : 2022.01 ~ 2022.12", "단위 : 천달러", "조회일 : 2023-03-15"], []]
COUNTRY_HEADER = ["순번", "국가명", "수출금액", "수출증감률", "수입금액", "수입증감률", "수지"]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def figures(warehouse: Path) -> list[dict]:
    rows = query(
        warehouse, "SELECT payload::VARCHAR FROM events.event_store WHERE source_kind = 'trade' ORDER BY position"
    )
    import json

    return [json.loads(r[0]) for r in rows]


def by_country(warehouse: Path) -> dict[str, dict]:
    return {f["country"]: f for f in figures(warehouse)}


@pytest.mark.parametrize("fmt", ["csv", "cp949", "xlsx", "xls"])
def test_country_table_in_every_format_with_title_total_and_korean_negatives(warehouse, src, fmt):
    rows = [
        *TITLE,
        COUNTRY_HEADER,
        ["", "총계", "8,222,087", "5.2", "6,498,011", "6.5", "1,724,076"],
        ["1", "베트남", "488,822", "8.9", "430,334", "△44.1", "58,488"],
        ["2", "인도", "177,096", "▲16.0", "249,946", "-13.1", "△72,850"],
    ]
    if fmt in ("csv", "cp949"):
        path = write_csv(src / "a.csv", rows, "cp949" if fmt == "cp949" else "utf-8-sig")
    else:
        path = src / f"a.{fmt}"
        (_xls if fmt == "xls" else _xlsx)(path, rows)
    [result] = ingest(warehouse, path)
    assert (result.status, result.source_kind, result.accepted, result.quarantined) == ("loaded", "trade", 3, 0)
    got = by_country(warehouse)
    assert got["ALL"]["export_usd"] == 8_222_087_000 and got["ALL"]["label"] == "총계"
    assert got["VN"]["import_growth_pct"] == -44.1 and got["IN"]["export_growth_pct"] == -16.0
    assert got["IN"]["import_growth_pct"] == -13.1 and got["IN"]["balance_usd"] == -72_850_000
    assert {f["region"] for f in got.values()} == {"jeonbuk"}
    assert {(f["period"], f["status"], f["retrieved_on"], f["retrieved_from"]) for f in got.values()} == {
        ("2022", "final", "2023-03-15", "title")
    }


def test_two_row_header_with_year_and_month_rows(warehouse, src):
    rows = [
        ["지역별 수출입 총괄"],
        ["지역 : 전라북도", "", "단위 : 백만달러", "", "기준일 : 2024.05.02"],
        ["년월", "수출", "", "", "", "수입", "", "", "", "수지"],
        ["", "금액", "증감률", "중량", "증감률", "금액", "증감률", "중량", "증감률", "금액"],
        ["2023년", "8,000", "-2.7", "100", "1.0", "6,000", "△7.7", "200", "-", "2,000"],
        ["2024년", "3,000", "4.0", "40", "-", "2,500", "-", "80", "-", "500"],
        ["1월", "700", "1.0", "10", "-", "600", "-", "20", "-", "100"],
        ["2024년 4월", "800", "1.0", "10", "-", "600", "-", "20", "-", "200"],
    ]
    path = write_csv(src / "monthly.csv", rows)
    [result] = ingest(warehouse, path)
    assert (result.status, result.accepted, result.quarantined) == ("loaded", 4, 0)
    got = {f["period"]: f for f in figures(warehouse)}
    assert set(got) == {"2023", "2024", "2024-01", "2024-04"}
    assert got["2023"]["export_usd"] == 8e9 and got["2023"]["import_growth_pct"] == -7.7
    assert got["2023"]["export_kg"] == 100 and "import_kg" in got["2023"]
    assert got["2023"]["status"] == "final" and got["2024"]["status"] == "partial"  # 2024 still running on 2024-05-02
    assert got["2024-04"]["status"] == "final" and got["2024-01"]["unit"] == "백만달러"


def test_periods_side_by_side_and_mti_codes_as_text(warehouse, src):
    head = ["순번", "코드", "품목명"]
    for y in (2021, 2022):
        head += [f"{y}수출금액", f"{y}수출증감률", f"{y}수입금액", f"{y}수입증감률", f"{y}수지"]
    rows = [
        ["품목별 수출입"],
        ["지역 : 전북 | 조회일 : 2023-03-15"],
        head,
        ["", "", "총계", "100", "-", "50", "-", "50", "120", "20.0", "60", "20.0", "60"],
        ["1", "013", "곡실류", "10", "-", "5", "-", "5", "11", "10.0", "6", "20.0", "5"],
        ["2", "", "코드 없는 품목", "1", "-", "1", "-", "0", "1", "0", "1", "0", "0"],
    ]
    path = src / "items.xlsx"
    _xlsx(path, rows)
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (4, 2)
    got = {(f["item_code"], f["period"]): f for f in figures(warehouse)}
    assert got[("013", "2022")]["export_usd"] == 11_000 and got[("ALL", "2021")]["export_usd"] == 100_000
    assert got[("013", "2021")]["file_row"] == 5
    reasons = {q["reason"] for q in quarantine(warehouse)}
    assert reasons == {"품목코드/item_code '코드 없는 품목' is not an MTI code (1–6 digits)"}
    # row 6, once per period: each names the column its period's figures start in
    assert {(q["source_row"], q["source_column"]) for q in quarantine(warehouse)} == {
        (6, "2021수출금액"),
        (6, "2022수출금액"),
    }


def test_si_gun_rows_and_a_bad_amount_go_to_quarantine(warehouse, src):
    rows = [
        ["전라북도 시군별 수출실적"],
        ["기간 : 2022.01 ~ 2022.12", "작성일 : 2023-03-20"],
        ["순번", "시군명", "수출금액", "수출증감률"],
        ["1", "군산시", "2,685,073", "9.4"],
        ["2", "전주시", "788,457", "△15.8"],
        ["3", "익산시", "1,8O2,229", "-0.3"],  # a letter O in the amount
        ["4", "화성국", "1", "1"],
        ["", "전라북도 전체", "8,222,087", "5.2"],
    ]
    [result] = ingest(warehouse, write_csv(src / "sigun.csv", rows))
    assert (result.rows_in, result.accepted, result.quarantined) == (5, 4, 1)
    got = {f["sigun"]: f for f in figures(warehouse)}
    assert got["전주시"]["export_growth_pct"] == -15.8 and got["ALL"]["export_usd"] == 8_222_087_000
    [q] = quarantine(warehouse)
    assert "수출금액(USD)/export_usd '1,8O2,229' is not a number" in q["reason"] and q["source_row"] == 6


def test_unknown_country_is_quarantined_and_the_rest_loads(warehouse, src):
    rows = [
        *TITLE,
        COUNTRY_HEADER,
        ["1", "베트남", "1", "1", "1", "1", "0"],
        ["2", "아틀란티스", "1", "1", "1", "1", "0"],
    ]
    [result] = ingest(warehouse, write_csv(src / "c.csv", rows))
    assert (result.accepted, result.quarantined) == (1, 1)
    assert "국가코드/country '아틀란티스'" in quarantine(warehouse)[0]["reason"]


def test_region_country_and_firm_size_from_the_file_name_and_date_from_the_name(warehouse, src):
    rows = [
        ["국가별 수출 추이"],
        ["단위 : 천달러"],
        ["년도", "수출금액", "수출증감률"],
        ["2021", "95,118", "-"],
        ["2022", "93,120", "△2.1"],
    ]
    path = write_csv(src / "전북_중소기업_베트남_수출_20230401.csv", rows)
    [result] = ingest(warehouse, path)
    assert result.accepted == 2
    got = figures(warehouse)
    assert {(f["region"], f["firm_size"], f["country"], f["retrieved_on"], f["retrieved_from"]) for f in got} == {
        ("jeonbuk", "sme", "VN", "2023-04-01", "file_name")
    }


def test_retrieval_date_from_the_files_time_when_nothing_says_it(warehouse, src):
    rows = [["전국 수출입"], ["년도", "수출금액"], ["2022", "683,750,000"]]
    path = write_csv(src / "national.csv", rows)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    ingest(warehouse, path)
    [f] = figures(warehouse)
    assert (f["region"], f["retrieved_from"], f["retrieved_on"][:7]) == ("national", "file_modified", "2023-11")


def test_a_file_naming_no_region_is_refused_as_ambiguous(warehouse, src):
    rows = [["국가별 수출입"], ["기간 : 2022.01 ~ 2022.12"], COUNTRY_HEADER, ["1", "베트남", "1", "1", "1", "1", "0"]]
    [result] = ingest(warehouse, write_csv(src / "kstat_download.csv", rows))
    assert result.status == "refused" and "ambiguous" in result.reason and "region" in result.reason
    assert query(warehouse, "SELECT count(*) FROM events.event_store")[0][0] == 0
    assert batches(warehouse)[0]["status"] == "refused"


def test_an_unreadable_spreadsheet_is_refused_by_name(warehouse, src):
    path = src / "K-stat 총괄.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"garbage" * 10)
    [result] = ingest(warehouse, path)
    assert result.status == "refused" and Path(result.file).name == "K-stat 총괄.xls"


def test_a_revised_snapshot_supersedes_without_erasing(warehouse, src):
    header = ["년도", "수출금액", "수출증감률"]
    write_csv(src / "전북_총괄_20230120.csv", [["전북 수출"], header, ["2022", "8,219,540", "5.1"]])
    write_csv(src / "전북_총괄_20230315.csv", [["전북 수출"], header, ["2022", "8,222,087", "5.2"]])
    results = ingest(warehouse, src)
    assert [r.accepted for r in results] == [1, 1]
    rows = query(
        warehouse,
        "SELECT stream_id, stream_version, payload->>'export_usd', payload->>'retrieved_on' FROM events.event_store "
        "ORDER BY position",
    )
    assert rows[0][0] == rows[1][0] and [r[1] for r in rows] == [1, 2]
    assert [r[3] for r in rows] == ["2023-01-20", "2023-03-15"]
    assert quarantine(warehouse) == []


def nitemtrade_xml(items: list[dict], code: str = "00", message: str = "NORMAL SERVICE.") -> str:
    """An answer of Korea Customs' open API `nitemtrade`, as it comes."""
    body = "".join("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>{message}</resultMsg></header>"
        f"<body><items>{body}</items><numOfRows>{len(items)}</numOfRows><pageNo>1</pageNo>"
        f"<totalCount>{len(items)}</totalCount></body></response>"
    )


def api_item(year, code, name, hs, item, exp, imp) -> dict:
    return {
        "balPayments": exp - imp, "expDlr": exp, "expWgt": exp // 10, "hsCd": hs, "impDlr": imp,
        "impWgt": imp // 10, "statCd": code, "statCdCntnKor1": name, "statKor": item, "year": year,
    }  # fmt: skip


def test_korea_customs_nitemtrade_xml_one_record_per_item(warehouse, src):
    path = src / "nitemtrade_전국_20230120.xml"
    items = [
        api_item("총계", "-", "-", "-", "-", 3_000_000, 1_200_000),
        api_item("2022.01", "VN", "베트남", "85", "전기기기", 1_500_000, 700_000),
        api_item("2022.02", "VN", "베트남", "85", "전기기기", 1_000_000, 400_000),
        api_item("2022.01", "IN", "인도", "3304", "화장품", 500_000, 100_000),
        api_item("2022.01", "IN", "인도", "8X", "?", 1, 0),
    ]
    path.write_text(nitemtrade_xml(items), encoding="utf-8")
    [result] = ingest(warehouse, path)
    # the 총계 item is a total over the periods asked for, no period's figure (as in K-stat tables)
    assert (result.status, result.accepted, result.quarantined) == ("loaded", 3, 1)
    assert [b["encoding"] for b in batches(warehouse)] == ["xml"]
    got = {(f["country"], f["hs_code"], f["period"]): f for f in figures(warehouse)}
    assert set(got) == {("VN", "85", "2022-01"), ("VN", "85", "2022-02"), ("IN", "3304", "2022-01")}
    vn = got["VN", "85", "2022-01"]
    assert (vn["export_usd"], vn["import_usd"], vn["balance_usd"], vn["export_kg"]) == (1.5e6, 7e5, 8e5, 1.5e5)
    assert (vn["region"], vn["unit"], vn["status"], vn["retrieved_on"], vn["item_code"]) == (
        "national", "달러", "final", "2023-01-20", "ALL"
    )  # fmt: skip
    assert vn["file_row"] == 2 and vn["extra"]["statKor"] == "전기기기"
    [(row, reason)] = [(q["source_row"], q["reason"]) for q in quarantine(warehouse)]
    assert row == 5 and "HS부호/hs_code '8X'" in reason


def test_an_api_error_answer_and_an_entity_bomb_are_refused_by_name(warehouse, src):
    (src / "a_전국_20230120.xml").write_text(nitemtrade_xml([], "30", "SERVICE KEY IS NOT REGISTERED ERROR."))
    (src / "b_전국_20230120.xml").write_text(
        nitemtrade_xml([api_item("2022.01", "VN", "베트남", "85", "x", 1, 1)], "30", "SERVICE KEY ERROR.")
    )
    (src / "c_전국_20230120.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<response><body><items><item><year>2022.01</year><expDlr>&b;</expDlr></item></items></body></response>"
    )
    ingest(warehouse, src)
    results = {b["file_name"]: b for b in batches(warehouse)}
    assert [b["status"] for b in results.values()] == ["refused"] * 3
    assert "no known header" in results["a_전국_20230120.xml"]["reason"]  # no <item>: nothing to recognise
    assert "the API answered an error: 30 SERVICE KEY ERROR." in results["b_전국_20230120.xml"]["reason"]
    assert "not a readable XML file (EntitiesForbidden" in results["c_전국_20230120.xml"]["reason"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_table_loads_as_no_figures_and_breaks_no_other_file_of_its_chunk(warehouse, src, fmt):
    """A K-stat download with its title rows and header but no data rows, read in one chunk with
    the bundled trade files (its null-typed columns once broke the chunk's concatenation)."""
    from helpers import cli

    bundled = sorted((Path(__file__).resolve().parents[1] / "sources" / "trade").iterdir())
    for f in bundled:
        (src / f.name).write_bytes(f.read_bytes())
    empty = [*TITLE, COUNTRY_HEADER]
    if fmt == "csv":
        write_csv(src / "전북_국가별_빈표_2022.csv", empty, "utf-8-sig")
    else:
        _xlsx(src / "전북_국가별_빈표_2022.xlsx", empty)
    out = cli("ingest", str(src), "--warehouse", str(warehouse))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    ledger = {Path(b["file_path"]).name: b for b in batches(warehouse)}
    assert len(ledger) == len(bundled) + 1 and {b["status"] for b in ledger.values()} == {"loaded"}
    blank = ledger[f"전북_국가별_빈표_2022.{fmt}"]
    assert (blank["rows_in"], blank["rows_accepted"]) == (0, 0)
    assert "no data rows" in blank["reason"] and "no data rows" in out.stdout
    assert all(b["rows_accepted"] > 0 for name, b in ledger.items() if name != blank["file_name"])
