"""Every input variation of a centre activity log that docs/sources.md §2 says must be accepted,
and the quarantine reasons for the rows it says must not be.

Each test writes a tiny fixture into tmp_path, ingests it into its own warehouse and reads back
the stored payload (`payload->>'field'`) or the quarantine row (`reason`, `source_row`: the
line/row a person sees in the file, header on row 1 = first data row on row 2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path

import pytest
from helpers import (
    KO_HEADERS,
    consultation,
    count,
    csv_text,
    ingest,
    query,
    rec,
    write_csv,
    write_xlsx,
)


def stored(warehouse: Path, field: str) -> dict[str, str | None]:
    """record_id -> payload->>'field' of every stored event."""
    return dict(query(warehouse, f"SELECT payload->>'record_id', payload->>'{field}' FROM events.event_store"))


def reasons(warehouse: Path) -> dict[int, str]:
    """source_row -> quarantine reason."""
    return dict(query(warehouse, "SELECT source_row, reason FROM events.quarantine"))


def source_rows(warehouse: Path) -> dict[str, int]:
    return dict(query(warehouse, "SELECT payload->>'record_id', source_row FROM events.event_store"))


KOREAN_ROW = consultation(
    "HAN-2022-000123",
    center="하노이",
    activity="수출상담",
    firm_name="전북식품(주) 똠양꿍",
    importer_name="하노이무역",
    channel="대면",
    note="샘플 발송, 통역 포함 (재상담 예정)",
    담당자="김민수",
)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_csv_in_utf8_bom_or_cp949_gives_identical_korean_text(warehouse, src, encoding):
    path = write_csv(src / "log.csv", [KOREAN_ROW, rec("HAN-2022-000124", center="뉴델리")], encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [result] = ingest(warehouse, path)

    assert (result.status, result.accepted, result.quarantined) == ("loaded", 2, 0)
    assert query(warehouse, "SELECT encoding FROM events.ingest_batches") == [(encoding,)]
    rid = "HAN-2022-000123"
    assert stored(warehouse, "record_id")[rid] == rid  # the BOM did not end up in the first header
    assert stored(warehouse, "firm_name")[rid] == "전북식품(주) 똠양꿍"
    assert stored(warehouse, "importer_name")[rid] == "하노이무역"
    assert stored(warehouse, "note")[rid] == "샘플 발송, 통역 포함 (재상담 예정)"
    assert stored(warehouse, "center") == {rid: "hanoi", "HAN-2022-000124": "new_delhi"}
    assert stored(warehouse, "activity")[rid] == "consultation_held"
    assert stored(warehouse, "channel")[rid] == "offline"
    assert query(
        warehouse, "SELECT payload->'extra'->>'담당자' FROM events.event_store WHERE payload->>'record_id' = ?", [rid]
    ) == [("김민수",)]


def test_the_three_encodings_of_one_log_are_the_same_records(warehouse, src):
    paths = [
        write_csv(src / f"{i}_{enc}.csv", [KOREAN_ROW], encoding=enc)
        for i, enc in enumerate(["utf-8", "utf-8-sig", "cp949"])
    ]
    assert len({p.read_bytes() for p in paths}) == 3
    results = ingest(warehouse, *paths)
    assert [(r.status, r.accepted, r.duplicates) for r in results] == [
        ("loaded", 1, 0),
        ("loaded", 0, 1),
        ("loaded", 0, 1),
    ]


# --------------------------------------------------------------------------- xlsx

XLSX_HEADER = ["기록번호", "센터", "일자", "활동", "기업번호", "수입업체번호", "금액", "통화", "수량", "기업명"]
XLSX_ROWS = [
    ["HAN-1", "하노이", dt.datetime(2022, 3, 5), "수출상담", 2028100011, "IMP-1", 12500.5, "VND", None, "전북식품"],
    ["HAN-2", "hanoi", dt.date(2022, 3, 6), "수입업체발굴", "202-81-00011", None, None, None, 12, None],
    ["HAN-3", "뉴델리", dt.datetime(2022, 3, 7, 14, 30), "수출계약", 2028100022, "IMP-9", 1000, "INR", 1, None],
    ["HAN-4", "hanoi", 44630, "시장정보제공", 2028100011, None, None, None, None, None],
]


def test_xlsx_first_sheet_with_date_cells_numeric_amounts_and_numeric_firm_id(warehouse, src):
    path = write_xlsx(
        src / "log.xlsx",
        XLSX_HEADER,
        XLSX_ROWS,
        other_sheets={"요약": [XLSX_HEADER, ["HAN-99", "hanoi", dt.datetime(2022, 1, 1), "시장정보제공", 2028100011]]},
        active_sheet=1,
    )  # the second sheet is the active one: still read the first
    [result] = ingest(warehouse, path)

    assert (result.status, result.rows_in, result.accepted, result.quarantined) == ("loaded", 4, 4, 0)
    assert stored(warehouse, "date") == {
        "HAN-1": "2022-03-05",
        "HAN-2": "2022-03-06",
        "HAN-3": "2022-03-07",
        "HAN-4": "2022-03-10",
    }
    assert stored(warehouse, "firm_id") == {
        "HAN-1": "202-81-00011",
        "HAN-2": "202-81-00011",
        "HAN-3": "202-81-00022",
        "HAN-4": "202-81-00011",
    }
    assert stored(warehouse, "amount")["HAN-1"] == "12500.5"
    assert stored(warehouse, "amount")["HAN-3"] == "1000.0"
    assert stored(warehouse, "currency") == {"HAN-1": "VND", "HAN-2": "USD", "HAN-3": "INR", "HAN-4": "USD"}
    assert stored(warehouse, "quantity") == {"HAN-1": "1", "HAN-2": "12", "HAN-3": "1", "HAN-4": "1"}
    assert stored(warehouse, "center")["HAN-3"] == "new_delhi"
    assert source_rows(warehouse) == {"HAN-1": 2, "HAN-2": 3, "HAN-3": 4, "HAN-4": 5}
    assert query(warehouse, "SELECT encoding FROM events.ingest_batches") == [("spreadsheet",)]


def test_xlsx_with_a_title_block_and_a_bad_row_reports_sheet_row_numbers(warehouse, src):
    rows = [XLSX_ROWS[0], ["HAN-5", "hanoi", "2022-02-30", "시장정보제공", 2028100011] + [None] * 5, XLSX_ROWS[1]]
    path = write_xlsx(
        src / "log.xlsx",
        XLSX_HEADER,
        rows,
        title_rows=[["2022년 3월 하노이센터 활동일지"], [None], ["작성일", dt.datetime(2022, 4, 1)]],
    )
    [result] = ingest(warehouse, path)

    assert (result.accepted, result.quarantined) == (2, 1)
    assert source_rows(warehouse) == {"HAN-1": 5, "HAN-2": 7}
    [(row, reason)] = reasons(warehouse).items()
    assert row == 6 and "'2022-02-30'" in reason


# --------------------------------------------------------------------------- headers

ALL_FIELDS = [
    "record_id",
    "center",
    "date",
    "activity",
    "program",
    "firm_id",
    "firm_name",
    "firm_tier",
    "product",
    "importer_id",
    "importer_name",
    "channel",
    "amount",
    "currency",
    "quantity",
    "note",
]
FULL_ROW = consultation(
    "HAN-1",
    program="글로벌파트너사업",
    firm_name="전북식품",
    firm_tier="초보",
    product="화장품",
    importer_name="ABC Co",
    channel="비대면",
    amount="2,000",
    currency="VND",
    quantity="2",
    note="비고",
)


def _header_variant(variant: str) -> tuple[list[str], list[str]]:
    """(field order, header text) for a variant of the header row."""
    order = list(ALL_FIELDS)
    if "shuffled" in variant:
        random.Random(7).shuffle(order)
    if variant.startswith("ko"):
        text = [KO_HEADERS[f] for f in order]
    elif variant.startswith("en"):
        text = list(order)
    else:  # mixed: Korean and English aliases, odd case and spacing
        text = [KO_HEADERS[f] if i % 2 else f.replace("_", " ").title() for i, f in enumerate(order)]
    return order, text


@pytest.mark.parametrize("variant", ["ko", "ko shuffled", "en", "en shuffled", "mixed shuffled"])
def test_korean_or_english_headers_in_any_order(warehouse, src, variant):
    order, text = _header_variant(variant)
    body = csv_text([FULL_ROW], columns=order).splitlines()[1:]
    path = src / "log.csv"
    path.write_text(",".join(text) + "\n" + "\n".join(body) + "\n", encoding="utf-8")
    [result] = ingest(warehouse, path)

    assert (result.status, result.accepted) == ("loaded", 1), reasons(warehouse)
    expected = {
        "record_id": "HAN-1",
        "center": "hanoi",
        "date": "2022-03-05",
        "activity": "consultation_held",
        "program": "global_partner",
        "firm_id": "202-81-00011",
        "firm_name": "전북식품",
        "firm_tier": "beginner",
        "product": "화장품",
        "importer_id": "IMP-001",
        "importer_name": "ABC Co",
        "channel": "online",
        "amount": "2000.0",
        "currency": "VND",
        "quantity": "2",
        "note": "비고",
    }
    got = {f: stored(warehouse, f)["HAN-1"] for f in expected}
    assert got == expected
    assert stored(warehouse, "extra") == {"HAN-1": None}


def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_line_numbers(warehouse, src):
    path = write_csv(
        src / "log.csv",
        [rec("HAN-1"), rec("HAN-2", date="2022-13-01"), rec("HAN-3")],
        title_rows=[["2022년 3월 하노이센터 활동일지"], [], ["작성자", "김민수"]],
    )
    assert path.read_text(encoding="utf-8").splitlines()[3].startswith("기록번호")
    [result] = ingest(warehouse, path)

    assert (result.rows_in, result.accepted, result.quarantined) == (3, 2, 1)
    assert source_rows(warehouse) == {"HAN-1": 5, "HAN-3": 7}
    assert list(reasons(warehouse)) == [6]


def test_extra_columns_are_kept_in_the_payload_under_extra(warehouse, src):
    # kept canonically: keys sorted, blank cells left out (so column order is not content)
    row = rec("HAN-1", 담당자="김민수", **{"Follow-up": "yes", "비고2": ""})
    [result] = ingest(warehouse, write_csv(src / "log.csv", [row]))

    assert (result.status, result.accepted) == ("loaded", 1)
    extra = query(
        warehouse,
        "SELECT payload->'extra'->>'담당자', payload->'extra'->>'Follow-up', "
        "json_keys(payload->'extra') FROM events.event_store",
    )
    assert extra == [("김민수", "yes", ["Follow-up", "담당자"])]
    assert stored(warehouse, "firm_id") == {"HAN-1": "202-81-00011"}  # known columns unaffected


# --------------------------------------------------------------------------- codes and labels


@pytest.mark.parametrize(
    "written, code", [("hanoi", "hanoi"), ("하노이", "hanoi"), ("new_delhi", "new_delhi"), ("뉴델리", "new_delhi")]
)
def test_centre_as_code_or_korean_name(warehouse, src, written, code):
    ingest(warehouse, write_csv(src / "log.csv", [rec("R-1", center=written)]))
    assert stored(warehouse, "center") == {"R-1": code}
    # the stream id is opaque: md5(source kind | centre | record id) of the record's first event
    [(stream_id, kind)] = query(warehouse, "SELECT stream_id::VARCHAR, source_kind FROM events.event_store")
    assert kind == "center_log"
    assert stream_id.replace("-", "") == hashlib.md5(f"center_log|{code}|R-1".encode()).hexdigest()


CATALOGUE = {
    "firm_enrolled": "사업선정",
    "market_info_provided": "시장정보제공",
    "importer_discovered": "수입업체발굴",
    "importer_info_provided": "수입업체정보제공",
    "agency_referral": "유관기관연계",
    "mou_signed": "MOU체결",
    "consultation_held": "수출상담",
    "contract_signed": "수출계약",
    "export_shipped": "수출실적",
    "difficulty_resolved": "애로해소",
    "sample_shipped": "샘플발송",
    "showroom_item": "전시품목",
    "showroom_visit": "전시관방문",
    "briefing_held": "우수상품설명회",
    "fair_supported": "수출상담회지원",
    "urgent_task": "긴급업무대행",
    "interpretation": "통역지원",
    "open_consultation": "열린수출상담회",
    "product_pretest": "사전조사",
    "experience_panel": "체험단",
    "council_meeting": "협의회",
    "mentoring": "멘토링",
    "firm_graduated": "졸업",
}


def test_activity_as_code_or_korean_label_for_the_whole_catalogue(warehouse, src):
    everything = dict(
        importer_id="IMP-1", amount="100", program="global_partner", firm_tier="growth", mentor_firm_id="202-81-00099"
    )
    rows = []
    for code, label in CATALOGUE.items():
        rows.append(rec(f"{code}:code", activity=code, **everything))
        rows.append(rec(f"{code}:label", activity=label, **everything))
    [result] = ingest(warehouse, write_csv(src / "log.csv", rows))

    assert (result.accepted, result.quarantined) == (2 * len(CATALOGUE), 0), reasons(warehouse)
    got = stored(warehouse, "activity")
    for code in CATALOGUE:
        assert got[f"{code}:code"] == got[f"{code}:label"] == code


PROGRAMME_NAMES = [
    ("글로벌파트너사업", "global_partner"),
    ("글로벌 파트너 사업", "global_partner"),
    ("global_partner", "global_partner"),
    ("상설전시관 운영", "showroom"),
    ("상설전시관운영", "showroom"),
    ("상설전시관", "showroom"),
    ("전라북도 베트남･인도 수출지원 협의회 운영", "council"),
    ("전라북도 베트남·인도 수출지원 협의회 운영", "council"),
    ("전라북도 베트남ㆍ인도 수출지원 협의회", "council"),
    ("전북제품 체험단 운영", "experience_panel"),
    ("전북제품체험단", "experience_panel"),
    ("현지 시장개척 초보 기업 파트너 사업(정보 특화형)", "partner_info"),
    ("코로나19 대응 긴급 해외업무 대행", "urgent_tasks"),
]


def test_programme_name_variations(warehouse, src):
    rows = [
        rec(f"P-{i}", activity="사업선정", program=name, firm_tier="초보")
        for i, (name, _) in enumerate(PROGRAMME_NAMES)
    ]
    [result] = ingest(warehouse, write_csv(src / "log.csv", rows))

    assert result.quarantined == 0, reasons(warehouse)
    got = stored(warehouse, "program")
    assert {name: got[f"P-{i}"] for i, (name, _) in enumerate(PROGRAMME_NAMES)} == dict(PROGRAMME_NAMES)


def test_tier_in_korean_or_english(warehouse, src):
    tiers = {
        "초보": "beginner",
        "성장": "growth",
        "스타": "star",
        "성숙": "star",
        "beginner": "beginner",
        "growth": "growth",
        "star": "star",
    }
    rows = [rec(f"T-{i}", activity="firm_enrolled", program="global_partner", firm_tier=t) for i, t in enumerate(tiers)]
    ingest(warehouse, write_csv(src / "log.csv", rows))
    got = stored(warehouse, "firm_tier")
    assert {t: got.get(f"T-{i}") for i, t in enumerate(tiers)} == tiers


# --------------------------------------------------------------------------- values


def test_date_forms_and_an_excel_serial_in_csv(warehouse, src):
    dates = {"2022-03-05": "2022-03-05", "2022.03.05": "2022-03-05", "2022/3/5": "2022-03-05", "44630": "2022-03-10"}
    rows = [rec(f"D-{i}", date=d) for i, d in enumerate(dates)]
    ingest(warehouse, write_csv(src / "log.csv", rows))
    got = stored(warehouse, "date")
    assert {d: got.get(f"D-{i}") for i, d in enumerate(dates)} == dates
    assert query(warehouse, "SELECT DISTINCT occurred_on::VARCHAR FROM events.event_store ORDER BY 1") == [
        ("2022-03-05",),
        ("2022-03-10",),
    ]


def test_amount_currency_and_quantity(warehouse, src):
    rows = [
        consultation("A-1", amount="12,500.50", currency=""),
        consultation("A-2", amount="1000", currency="VND"),
        consultation("A-3", amount="1000", currency="INR", center="뉴델리"),
        consultation("A-4", amount="1,300,000", currency="KRW"),
        rec("A-5", activity="importer_discovered", quantity="12"),
        rec("A-6", activity="importer_discovered", quantity=""),
    ]
    [result] = ingest(warehouse, write_csv(src / "log.csv", rows))

    assert result.quarantined == 0, reasons(warehouse)
    assert stored(warehouse, "amount") == {
        "A-1": "12500.5",
        "A-2": "1000.0",
        "A-3": "1000.0",
        "A-4": "1300000.0",
        "A-5": None,
        "A-6": None,
    }
    assert stored(warehouse, "currency") == {
        "A-1": "USD",
        "A-2": "VND",
        "A-3": "INR",
        "A-4": "KRW",
        "A-5": "USD",
        "A-6": "USD",
    }
    assert stored(warehouse, "quantity") == {"A-1": "1", "A-2": "1", "A-3": "1", "A-4": "1", "A-5": "12", "A-6": "1"}


def test_firm_ids_with_or_without_hyphens_are_normalised(warehouse, src):
    rows = [
        rec("F-1", firm_id="2028100011"),
        rec("F-2", firm_id="202-81-00011"),
        rec("F-3", firm_id=" 202-81-00011 "),
        rec("F-4", activity="멘토링", firm_id="2028100011", mentor_firm_id="2028100022"),
        rec("F-5", activity="mentoring", mentor_firm_id="202-81-00022"),
    ]
    [result] = ingest(warehouse, write_csv(src / "log.csv", rows))

    assert result.quarantined == 0, reasons(warehouse)
    assert set(stored(warehouse, "firm_id").values()) == {"202-81-00011"}
    assert stored(warehouse, "mentor_firm_id") == {
        "F-1": None,
        "F-2": None,
        "F-3": None,
        "F-4": "202-81-00022",
        "F-5": "202-81-00022",
    }


# --------------------------------------------------------------------------- required fields


@pytest.mark.parametrize(
    "row, field_named",
    [
        (
            rec("R-1", activity="시장정보제공", firm_id=""),
            "기업번호/firm_id is required for activity market_info_provided",
        ),
        (consultation("R-1", importer_id=""), "수입업체번호/importer_id is required for activity consultation_held"),
        (
            consultation("R-1", activity="MOU체결", importer_id=""),
            "수입업체번호/importer_id is required for activity mou_signed",
        ),
        (consultation("R-1", amount=""), "금액/amount is required for activity consultation_held"),
        (rec("R-1", activity="수출실적"), "금액/amount is required for activity export_shipped"),
        (rec("R-1", activity="사업선정", firm_tier="초보"), "사업/program is required for activity firm_enrolled"),
        (
            rec("R-1", activity="사업선정", program="글로벌파트너사업"),
            "기업단계/firm_tier is required for activity firm_enrolled",
        ),
        (rec("R-1", activity="멘토링"), "멘토기업번호/mentor_firm_id is required for activity mentoring"),
    ],
    ids=["firm_id", "importer_id", "importer_id-mou", "amount", "amount-export", "program", "tier", "mentor"],
)
def test_a_row_missing_a_field_its_activity_needs_is_quarantined(warehouse, src, row, field_named):
    [result] = ingest(warehouse, write_csv(src / "log.csv", [rec("OK-1"), row]))

    assert (result.rows_in, result.accepted, result.quarantined) == (2, 1, 1)
    assert stored(warehouse, "record_id") == {"OK-1": "OK-1"}
    [(row_no, reason)] = reasons(warehouse).items()
    assert row_no == 3
    assert field_named in reason
    assert query(warehouse, "SELECT record_key FROM events.quarantine") == [("hanoi:R-1",)]


def test_fields_an_activity_does_not_need_may_be_blank(warehouse, src):
    rows = [
        rec(f"V-{a}", activity=a, firm_id="")
        for a in ("showroom_visit", "briefing_held", "fair_supported", "council_meeting", "open_consultation")
    ]
    rows.append(rec("V-bulk", activity="수입업체발굴", quantity="12"))  # no importer id, no amount
    [result] = ingest(warehouse, write_csv(src / "log.csv", rows))
    assert (result.accepted, result.quarantined) == (6, 0), reasons(warehouse)
    assert stored(warehouse, "quantity")["V-bulk"] == "12"


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    "row, quoted, field_named",
    [
        (rec("B-1", center="호치민"), "'호치민'", "센터/center"),
        (rec("B-1", date="2022-02-30"), "'2022-02-30'", "일자/date"),
        (consultation("B-1", amount="-1,000"), "'-1,000'", "금액/amount"),
        (rec("B-1", quantity="0"), "'0'", "수량/quantity"),
        (consultation("B-1", currency="EUR"), "'EUR'", "통화/currency"),
        (consultation("B-1", amount="천달러"), "'천달러'", "금액/amount"),
        (rec("B-1", activity="골프접대"), "'골프접대'", "활동/activity"),
        (rec("B-1", firm_id="202-81-0001"), "'202-81-0001'", "기업번호/firm_id"),
        (
            rec("B-1", activity="사업선정", program="global_partner", firm_tier="왕초보"),
            "'왕초보'",
            "기업단계/firm_tier",
        ),
    ],
    ids=["centre", "date", "negative-amount", "quantity-0", "currency", "text-amount", "activity", "firm-id", "tier"],
)
def test_a_bad_value_is_quarantined_with_a_reason_quoting_it(warehouse, src, row, quoted, field_named):
    [result] = ingest(warehouse, write_csv(src / "log.csv", [rec("OK-1"), row, rec("OK-2")]))

    assert (result.rows_in, result.accepted, result.quarantined) == (3, 2, 1)
    [(row_no, reason)] = reasons(warehouse).items()
    assert row_no == 3
    assert quoted in reason and field_named in reason
    [(raw,)] = query(warehouse, "SELECT raw_values::VARCHAR FROM events.quarantine")
    assert quoted.strip("'") in raw  # the row as written is kept


def test_an_infinite_amount_is_quarantined(warehouse, src):
    [result] = ingest(warehouse, write_csv(src / "log.csv", [consultation("B-1", amount="inf")]))
    assert (result.accepted, result.quarantined) == (0, 1)


def test_several_problems_of_one_row_are_all_named(warehouse, src):
    row = consultation("B-1", date="2022-02-30", amount="-5", currency="XXX", quantity="0")
    ingest(warehouse, write_csv(src / "log.csv", [row]))
    [(row_no, reason)] = reasons(warehouse).items()
    assert row_no == 2
    for quoted in ("'2022-02-30'", "'-5'", "'XXX'", "'0'"):
        assert quoted in reason


# --------------------------------------------------------------------------- row numbers


def test_a_ragged_row_is_quarantined_with_its_line_number(warehouse, src):
    text = (
        "기록번호,센터,일자,활동,기업번호\n"
        "HAN-1,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
        "HAN-2,hanoi,2022-03-05\n"
        "HAN-3,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
        "HAN-4,hanoi,2022-03-05,시장정보제공,202-81-00011,extra,cells\n"
        "HAN-5,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
    )
    path = src / "log.csv"
    path.write_text(text, encoding="utf-8")
    [result] = ingest(warehouse, path)

    assert (result.rows_in, result.accepted, result.quarantined) == (5, 3, 2)
    assert source_rows(warehouse) == {"HAN-1": 2, "HAN-3": 4, "HAN-5": 6}
    got = reasons(warehouse)
    assert set(got) == {3, 5}
    assert "3 fields" in got[3] and "5" in got[3]
    assert "7 fields" in got[5]


def test_blank_lines_are_not_rows_and_do_not_shift_line_numbers(warehouse, src):
    text = (
        "기록번호,센터,일자,활동,기업번호\n"
        "HAN-1,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
        "\n"
        ",,,,\n"
        "HAN-2,hanoi,2022-02-30,시장정보제공,202-81-00011\n"
        "HAN-3,hanoi,2022-03-05,시장정보제공,202-81-00011\n"
    )
    path = src / "log.csv"
    path.write_text(text, encoding="utf-8")
    [result] = ingest(warehouse, path)

    assert (result.rows_in, result.accepted, result.quarantined) == (3, 2, 1)
    assert source_rows(warehouse) == {"HAN-1": 2, "HAN-3": 6}
    assert list(reasons(warehouse)) == [5]
    assert count(warehouse, "quarantine", "source_row IN (3, 4)") == 0


# --------------------------------------------------------------------------- values that once broke a chunk


def test_huge_quantity_and_amount_are_quarantined_not_fatal(warehouse, src):
    path = write_csv(
        src / "log.csv", [rec("HAN-1", quantity="1e30"), consultation("HAN-2", amount="1e28"), rec("HAN-3")]
    )
    [result] = ingest(warehouse, path)

    assert (result.status, result.accepted, result.quarantined) == ("loaded", 1, 2)
    found = reasons(warehouse)
    assert "수량/quantity '1e30'" in found[2]
    assert "금액/amount '1e28' is implausibly large" in found[3]


def test_commas_are_read_only_as_thousands_separators(warehouse, src):
    path = write_csv(
        src / "log.csv", [consultation("HAN-1", amount="1,234,567.5"), consultation("HAN-2", amount="1,5")]
    )
    [result] = ingest(warehouse, path)

    assert (result.accepted, result.quarantined) == (1, 1)
    assert stored(warehouse, "amount") == {"HAN-1": "1234567.5"}
    assert "금액/amount '1,5' is not a number" in reasons(warehouse)[3]


def test_repeated_extra_headers_keep_both_columns(warehouse, src):
    path = src / "log.csv"
    path.write_text(
        "기록번호,센터,일자,활동,기업번호,담당자,담당자\nHAN-1,hanoi,2022-03-05,시장정보제공,202-81-00011,김,이\n",
        encoding="utf-8",
    )
    [result] = ingest(warehouse, path)

    assert (result.status, result.accepted) == ("loaded", 1)
    assert query(warehouse, "SELECT payload->'extra' FROM events.event_store") == [
        ('{"담당자":"김","담당자 (2)":"이"}',)
    ]


def test_xlsx_cells_right_of_the_header_quarantine_the_row(warehouse, src):
    rows = [
        XLSX_ROWS[0],
        ["HAN-5", "hanoi", dt.datetime(2022, 3, 9), "시장정보제공", 2028100011] + [None] * 5 + ["stray"],
        XLSX_ROWS[1],
    ]
    [result] = ingest(warehouse, write_xlsx(src / "log.xlsx", XLSX_HEADER, rows))

    assert (result.rows_in, result.accepted, result.quarantined) == (3, 2, 1)
    [(row, reason)] = reasons(warehouse).items()
    assert row == 3 and "right of the last header column" in reason
