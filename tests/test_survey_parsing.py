"""Every input variation of a satisfaction-survey export (docs/sources.md §5), each on a tiny fixture.

A form export has one row per submission and one column per programme and question; the ingest
stores one event per answer (survey, firm, programme, question). Each test writes a fixture into
tmp_path, ingests it into its own warehouse and reads back the stored answers or the quarantine.
A survey record is found at its file row (`source_row`, header = row 1) and the header of the
answer's column (`source_column`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from helpers import batches, ingest, quarantine, query, write_csv, write_xlsx

from pipelines import summary
from pipelines import warehouse as wh
from pipelines.ingest.requeue import requeue
from pipelines.ingest.sources.survey import (
    MASK,
    STAMP_BY_PATTERN,
    STAMP_GOOGLE_FORMS,
    SURVEY,
    mask_personal,
    question_column,
)

FIRM_A, FIRM_B, FIRM_C = "202-81-00011", "401-81-12345", "403-86-55555"
OPEN = "[동의] 열린 수출상담회"
OPEN_IMPORTANCE = "[중요도] 열린 수출상담회"
INTERPRETATION = "[동의] 전문 통역 서비스"
HEADER = [
    "타임스탬프",
    "성명",
    "연락처",
    "이메일",
    "기업번호",
    "기업단계",
    OPEN,
    OPEN_IMPORTANCE,
    INTERPRETATION,
    "의견",
]


def row(stamp: str, firm: str, *answers: str, tier: str = "성장", comment: str = "", person=None) -> list[str]:
    name, phone, mail = person or ("홍길동", "010-1234-5678", "gildong@example.com")
    return [stamp, name, phone, mail, firm, tier, *answers, comment]


def write_survey(path: Path, rows: list[list], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def answers(warehouse: Path) -> dict[tuple[str, str, str], dict]:
    """(firm, programme, question) -> payload of every stored answer."""
    rows = query(warehouse, "SELECT payload::VARCHAR FROM events.event_store WHERE source_kind = 'survey'")
    out = {}
    for (text,) in rows:
        p = json.loads(text)
        out[(p["firm_id"], p["program"], p["question"])] = p
    return out


def answers_all(warehouse: Path) -> list[dict]:
    return [json.loads(t) for (t,) in query(warehouse, "SELECT payload::VARCHAR FROM events.event_store")]


def reasons(warehouse: Path) -> dict[tuple[int, str | None], str]:
    """(file row, column) -> quarantine reason."""
    return {
        (r, c): why for r, c, why in query(warehouse, "SELECT source_row, source_column, reason FROM events.quarantine")
    }


def balanced(result) -> bool:
    return result.rows_in == result.accepted + result.duplicates + result.quarantined


# --------------------------------------------------------------------------- formats and values


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_csv_in_utf8_bom_or_cp949_with_korean_am_pm_timestamps(warehouse, src, encoding):
    path = write_survey(
        src / "2023_만족도.csv",
        [
            row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3", "", comment="바이어 매칭이 좋았습니다"),
            row("2023. 12. 5 오전 12:05:09", FIRM_B, "2", "1", "3", tier="스타"),
        ],
        encoding=encoding,
    )
    [result] = ingest(warehouse, path)
    assert (result.status, result.source_kind, result.rows_in, result.accepted) == ("loaded", "survey", 5, 5)
    got = answers(warehouse)
    a = got[(FIRM_A, "open_consultation", "agreement")]
    assert (a["answer"], a["tier"], a["survey"], a["survey_year"]) == (4, "growth", "2023_만족도", 2023)
    assert a["submitted_at"] == "2023-12-04 15:12:45" and a["comment"] == "바이어 매칭이 좋았습니다"
    assert got[(FIRM_B, "open_consultation", "importance")]["submitted_at"] == "2023-12-05 00:05:09"
    assert got[(FIRM_B, "interpretation", "agreement")]["tier"] == "star"
    assert (FIRM_A, "interpretation", "agreement") not in got  # a blank answer is no record
    occurred = query(warehouse, "SELECT DISTINCT occurred_on FROM events.event_store ORDER BY 1")
    assert [d for (d,) in occurred] == [dt.date(2023, 12, 4), dt.date(2023, 12, 5)]


def test_full_width_and_spaced_spellings_of_an_answer_are_answers(warehouse, src):
    """Every spelling a keyboard makes of 1-4 is the answer: full-width digits like the trailing
    and ideographic spaces (once the one spelling that was quarantined)."""
    path = write_survey(
        src / "2023_만족도.csv",
        [
            row("2023. 12. 4 오후 3:12:45", FIRM_A, "４", "３ ", "\u3000２"),
            row("2023. 12. 4 오후 3:20:00", FIRM_B, "4 ", "\u30003", "２\u3000"),
        ],
    )
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (6, 0), reasons(warehouse)
    got = {k: v["answer"] for k, v in answers(warehouse).items()}
    assert [got[(f, "open_consultation", "agreement")] for f in (FIRM_A, FIRM_B)] == [4, 4]
    assert [got[(f, "open_consultation", "importance")] for f in (FIRM_A, FIRM_B)] == [3, 3]
    assert [got[(f, "interpretation", "agreement")] for f in (FIRM_A, FIRM_B)] == [2, 2]


def test_scale_labels_and_numbers_give_the_same_answers(warehouse, src):
    path = write_survey(
        src / "labels.csv",
        [
            row("2024. 12. 2 오전 10:00:00", FIRM_A, "매우 그렇다", "중요하지 않다", "전혀 그렇지 않다"),
            row("2024. 12. 2 오전 11:00:00", FIRM_B, "그렇다", "매우 중요하다", "매우 그렇지 않다"),
            row("2024. 12. 2 오후 1:00:00", FIRM_C, "4", "2", "1"),
        ],
        encoding="cp949",
    )
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (9, 0)
    got = {k: v["answer"] for k, v in answers(warehouse).items()}
    assert [got[(f, "open_consultation", "agreement")] for f in (FIRM_A, FIRM_B, FIRM_C)] == [4, 3, 4]
    assert [got[(f, "open_consultation", "importance")] for f in (FIRM_A, FIRM_B, FIRM_C)] == [2, 4, 2]
    assert [got[(f, "interpretation", "agreement")] for f in (FIRM_A, FIRM_B, FIRM_C)] == [1, 1, 1]


def test_xlsx_with_date_time_cells_and_a_survey_year_column(warehouse, src):
    """Answered in January 2026 for 2025: 조사연도 decides the survey year, not the timestamps."""
    header = ["타임스탬프", "성명", "사업자등록번호", "기업단계", "조사연도", OPEN, OPEN_IMPORTANCE]
    path = write_xlsx(
        src / "2025_만족도.xlsx",
        header,
        [
            [dt.datetime(2026, 1, 7, 15, 30, 5), "김영희", FIRM_A, "초보", 2025, 4, 3],
            [dt.datetime(2026, 1, 8, 9, 0, 0), "이철수", "4018112345", "성숙", "2025년", 3, "매우 중요하다"],
        ],
    )
    [result] = ingest(warehouse, path)
    assert (result.status, result.accepted, result.quarantined) == ("loaded", 4, 0)
    got = answers(warehouse)
    a = got[(FIRM_A, "open_consultation", "agreement")]
    assert (a["survey_year"], a["submitted_at"], a["tier"], a["answer"]) == (2025, "2026-01-07 15:30:05", "beginner", 4)
    b = got[(FIRM_B, "open_consultation", "importance")]  # digits-only number, 성숙 = star
    assert (b["survey_year"], b["tier"], b["answer"]) == (2025, "star", 4)


def test_without_survey_year_the_earliest_timestamp_decides(warehouse, src):
    """Late answers in January do not move a December survey into the next year; a blank
    조사연도 cell falls back the same way."""
    path = write_survey(
        src / "dec.csv",
        [
            row("2024. 1. 3 오전 9:00:00", FIRM_A, "4", "", ""),
            row("2023. 12. 28 오후 4:00:00", FIRM_B, "3", "", ""),
        ],
    )
    header = ["타임스탬프", "기업번호", "조사연도", OPEN]
    blank = write_survey(
        src / "blank_year.csv",
        [["2024. 12. 9 오전 9:00:00", FIRM_A, "2024", "4"], ["2025. 1. 2 오전 9:00:00", FIRM_B, "", "3"]],
        header=header,
    )
    ingest(warehouse, path, blank)
    years = {(p["survey"], p["firm_id"]): p["survey_year"] for p in answers_all(warehouse)}
    assert years == {
        ("dec", FIRM_A): 2023,
        ("dec", FIRM_B): 2023,
        ("blank_year", FIRM_A): 2024,
        ("blank_year", FIRM_B): 2024,
    }


def test_a_consistent_survey_year_column_gives_the_whole_survey_its_year(warehouse, src):
    """Timestamps of December 2025, 조사연도 2023 on two rows and blank on the third: one survey,
    one year (it once split into 2023 with n = 2 and 2025 with n = 1)."""
    header = ["타임스탬프", "기업번호", "조사연도", OPEN]
    rows = [
        ["2025. 12. 1 오전 9:00:00", FIRM_A, "2023", "4"],
        ["2025. 12. 2 오전 9:00:00", FIRM_B, "2023년", "3"],
        ["2025. 12. 3 오전 9:00:00", FIRM_C, "", "2"],
    ]
    [result] = ingest(warehouse, write_survey(src / "s.csv", rows, header=header))
    assert (result.accepted, result.quarantined) == (3, 0)
    assert {p["survey_year"] for p in answers_all(warehouse)} == {2023}


def test_a_survey_year_column_naming_several_years_refuses_the_file(warehouse, src):
    header = ["타임스탬프", "기업번호", "조사연도", OPEN]
    rows = [
        ["2025. 12. 1 오전 9:00:00", FIRM_A, "2025", "4"],
        ["2025. 12. 2 오전 9:00:00", FIRM_B, "2025", "3"],
        ["2025. 12. 3 오전 9:00:00", FIRM_C, "2024", "2"],
    ]
    [result] = ingest(warehouse, write_survey(src / "s.csv", rows, header=header))
    assert result.status == "refused"
    assert "2024 on rows 4; 2025 on rows 2–3" in result.reason and "one survey has one year" in result.reason
    assert query(warehouse, "SELECT count(*) FROM events.event_store")[0][0] == 0


def test_the_same_question_asked_twice_refuses_the_file_naming_both_columns(warehouse, src):
    header = ["타임스탬프", "기업번호", "[동의] 글로벌파트너사업", OPEN, "[동의] 글로벌 파트너사업"]
    rows = [["2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3", "2"], ["2023. 12. 4 오후 4:12:45", FIRM_B, "x", "3", "4"]]
    [result] = ingest(warehouse, write_survey(src / "twice.csv", rows, header=header))
    assert result.status == "refused"
    assert "`[동의] 글로벌파트너사업` (column 3) and `[동의] 글로벌 파트너사업` (column 5)" in result.reason
    assert query(warehouse, "SELECT count(*) FROM events.event_store")[0][0] == 0


def test_a_survey_year_in_the_title_rows(warehouse, src):
    path = src / "titled.csv"
    path.write_text(
        "2025년 사업 만족도 조사,,\n조사연도: 2025,,\n타임스탬프,기업번호,[동의] 열린 수출상담회\n"
        "2026. 1. 5 오전 9:00:00,202-81-00011,4\n",
        encoding="utf-8",
    )
    [result] = ingest(warehouse, path)
    assert result.accepted == 1
    assert answers(warehouse)[(FIRM_A, "open_consultation", "agreement")]["survey_year"] == 2025


def test_google_forms_grid_headers_and_programme_name_variants(warehouse, src):
    """`동의 [열린 수출상담회]` (Google Forms' grid) as well as `[동의] …`; names matched leniently."""
    header = ["타임스탬프", "기업번호", "동의 정도 [열린수출상담회]", "[중요도] 전라북도 베트남·인도 수출지원 협의회",
              "[agreement] 전북제품 체험단", "[동의] interpretation"]  # fmt: skip
    path = write_survey(src / "grid.csv", [["2023. 5. 18 오후 3:12:45", FIRM_A, "4", "3", "2", "1"]], header=header)
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (4, 0)
    assert set(answers(warehouse)) == {
        (FIRM_A, "open_consultation", "agreement"),
        (FIRM_A, "council", "importance"),
        (FIRM_A, "experience_panel", "agreement"),
        (FIRM_A, "interpretation", "agreement"),
    }


def test_question_column_reading():
    assert question_column("[동의] 열린 수출상담회") == ("agreement", "열린 수출상담회")
    assert question_column("[ 중요도 ]전문 통역 서비스") == ("importance", "전문 통역 서비스")
    assert question_column("사업별 중요도 [전문 통역 서비스]") == ("importance", "전문 통역 서비스")
    assert question_column("[추천] 열린 수출상담회") == ("추천", "열린 수출상담회")  # quarantined: not 동의/중요도
    assert question_column("[연락처] 담당자") is None  # personal data is never read, whatever its form
    assert question_column("기업명") is None


# --------------------------------------------------------------------------- bad rows


def test_an_answer_outside_1_to_4_is_quarantined_and_the_rest_of_the_row_loads(warehouse, src):
    path = write_survey(
        src / "bad.csv",
        [
            row("2023. 12. 4 오후 3:12:45", FIRM_A, "5", "3", "보통"),
            row("2023. 12. 4 오후 4:00:00", FIRM_B, "0", "", ""),
        ],
    )
    [result] = ingest(warehouse, path)
    assert (result.rows_in, result.accepted, result.quarantined) == (4, 1, 3) and balanced(result)
    got = reasons(warehouse)
    assert got[(2, OPEN)] == "응답/answer '5' is outside the 4-point scale 1–4 (there is no midpoint)"
    assert got[(2, INTERPRETATION)].startswith("응답/answer '보통' is empty or not an answer 1–4 or a scale label")
    assert got[(3, OPEN)].startswith("응답/answer '0' is outside")
    assert set(answers(warehouse)) == {(FIRM_A, "open_consultation", "importance")}
    [raw] = [
        json.loads(q["raw_values"]) for q in quarantine(warehouse) if (q["source_row"], q["source_column"]) == (2, OPEN)
    ]
    assert raw["answer"] == "5" and raw["program"] == "열린 수출상담회" and raw["firm_id"] == FIRM_A


def test_an_unknown_programme_is_quarantined_with_its_name(warehouse, src):
    header = ["타임스탬프", "기업번호", OPEN, "[동의] 수출바우처 연계 지원", "[추천] 열린 수출상담회"]
    path = write_survey(src / "unknown.csv", [["2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3", "4"]], header=header)
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (1, 2) and balanced(result)
    got = reasons(warehouse)
    assert (
        got[(2, "[동의] 수출바우처 연계 지원")]
        == "사업명/program '수출바우처 연계 지원' is empty or not a programme name (§2.5)"
    )
    assert got[(2, "[추천] 열린 수출상담회")] == "문항/question '추천' is empty or not 동의 or 중요도"


def test_rows_without_a_firm_are_quarantined(warehouse, src):
    path = write_survey(
        src / "nofirm.csv",
        [row("2023. 12. 4 오후 3:12:45", "", "4", "3", ""), row("2023. 12. 4 오후 3:20:00", "12-34", "4", "", "")],
    )
    [result] = ingest(warehouse, path)
    assert (result.rows_in, result.accepted, result.quarantined) == (3, 0, 3)
    got = reasons(warehouse)
    assert got[(2, OPEN)] == "사업자등록번호/firm_id '' is empty or not a 10-digit business registration number"
    assert got[(3, OPEN)] == "사업자등록번호/firm_id '12-34' is empty or not a 10-digit business registration number"


def test_a_second_submission_is_quarantined_whole_and_an_identical_resend_is_a_duplicate(warehouse, src):
    first = row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3", "")
    path = write_survey(
        src / "twice.csv",
        [
            first,
            row("2023. 12. 4 오후 3:30:00", FIRM_B, "3", "3", "3"),
            first,  # the same row sent twice
            row("2023. 12. 6 오전 9:00:00", FIRM_A, "4", "2", "4"),  # the firm answers again, and more
        ],
    )
    [result] = ingest(warehouse, path)
    assert (result.rows_in, result.accepted, result.duplicates, result.quarantined) == (10, 5, 2, 3)
    got = reasons(warehouse)
    assert set(got) == {(5, OPEN), (5, OPEN_IMPORTANCE), (5, INTERPRETATION)}
    assert got[(5, INTERPRETATION)] == (
        f"a later submission: firm '{FIRM_A}' first submitted survey 'twice' at '2023-12-04 15:12:45', "
        "this one at '2023-12-06 09:00:00' is not counted (a firm answers a survey once)"
    )
    assert answers(warehouse)[(FIRM_A, "open_consultation", "importance")]["answer"] == 3

    # a later export of the same form: known rows are duplicates, a later submission still is not counted
    again = write_survey(src / "later" / "twice.csv", [first, row("2023. 12. 8 오전 9:00:00", FIRM_A, "1", "", "")])
    [later] = ingest(warehouse, again)
    assert (later.accepted, later.duplicates, later.quarantined) == (0, 2, 1)
    assert "a later submission" in reasons(warehouse)[(3, OPEN)]


def test_the_survey_is_named_by_its_file_also_when_the_name_is_decomposed(warehouse, src):
    """A name saved on macOS arrives in NFD: it is the same survey as the NFC name."""
    import unicodedata

    first = row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "", "")
    write_survey(src / "a" / "2023_만족도.csv", [first])
    write_survey(
        src / "b" / unicodedata.normalize("NFD", "2023_만족도.csv"),
        [first, row("2023. 12. 5 오전 9:00:00", FIRM_B, "3", "", "")],
    )
    one, two = ingest(warehouse, src)
    assert (one.accepted, two.accepted, two.duplicates) == (1, 1, 1)
    assert {p["survey"] for p in answers_all(warehouse)} == {"2023_만족도"}


def test_a_changed_answer_with_the_same_timestamp_is_a_conflict(warehouse, src):
    write_survey(src / "a" / "s.csv", [row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "", "")])
    write_survey(src / "b" / "s.csv", [row("2023. 12. 4 오후 3:12:45", FIRM_A, "2", "", "")])
    first, second = ingest(warehouse, src)
    assert (first.accepted, second.accepted, second.quarantined) == (1, 0, 1)
    [q] = quarantine(warehouse)
    assert q["reason_code"] == "conflict" and "with other content" in q["reason"]
    assert "a firm answers a survey once" in q["reason"]


@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "in_one_chunk"])
def test_a_form_exported_again_repeats_its_bad_answers_as_duplicates_of_their_quarantine(warehouse, src, together):
    """The same form downloaded three times, each time with one more respondent: its six bad
    answers are quarantined once; in the later downloads they are duplicates of those rows."""
    first = [
        row("2023. 12. 4 오후 3:12:45", FIRM_A, "5", "0", "보통"),
        row("2023. 12. 4 오후 4:00:00", FIRM_B, "x", "9", "??"),
    ]
    more = [
        row("2023. 12. 5 오전 9:00:00", FIRM_C, "4", "3", "2"),
        row("2023. 12. 6 오전 9:00:00", "404-81-42235", "4", "", ""),
    ]
    paths = [write_survey(src / f"download {k}" / "2023_만족도.csv", first + more[: k - 1]) for k in (1, 2, 3)]
    results = ingest(warehouse, *paths) if together else [r for p in paths for r in ingest(warehouse, p)]
    assert [(r.rows_in, r.accepted, r.duplicates, r.quarantined) for r in results] == [
        (6, 0, 0, 6),
        (9, 3, 6, 0),
        (10, 1, 9, 0),
    ]
    assert all(balanced(r) for r in results)
    open_rows = query(warehouse, "SELECT count(*) FROM events.quarantine")[0][0]
    assert open_rows == 6
    with wh.connect(warehouse) as con:
        assert "6" in summary.open_quarantine(con)


def test_quarantined_survey_rows_can_be_judged_again(warehouse, src):
    """Requeue reads a quarantined answer back from its long-form copy: nothing was fixed here,
    so nothing is settled and the rows stay."""
    path = write_survey(src / "rq.csv", [row("2023. 12. 4 오후 3:12:45", FIRM_A, "5", "3", "")])
    ingest(warehouse, path)
    with wh.connect(warehouse) as con:
        assert requeue(con) == []
    assert [(q["source_row"], q["source_column"]) for q in quarantine(warehouse)] == [(2, OPEN)]


def test_answers_to_a_programme_added_later_are_taken_in_by_requeue(warehouse, src, tmp_path, monkeypatch):
    import shutil

    from pipelines import reference
    from pipelines.config import SEEDS_DIR

    header = ["타임스탬프", "기업번호", OPEN, "[동의] 수출바우처 연계 지원"]
    path = write_survey(src / "later.csv", [["2023. 12. 4 오후 3:12:45", FIRM_A, "4", "3"]], header=header)
    ingest(warehouse, path)
    assert list(reasons(warehouse)) == [(2, "[동의] 수출바우처 연계 지원")]
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "programs.csv").open("a", encoding="utf-8") as f:
        f.write("export_voucher,수출바우처 연계 지원,proposed,,,,\n")
    monkeypatch.setattr(reference, "SEEDS_DIR", seeds)
    with wh.connect(warehouse) as con:
        [result] = requeue(con)
    assert (result.status, result.accepted, result.quarantined) == ("requeued", 1, 0)
    assert answers(warehouse)[(FIRM_A, "export_voucher", "agreement")]["answer"] == 3


def test_a_file_without_question_columns_is_refused(warehouse, src):
    path = write_survey(
        src / "noq.csv", [["2023. 12. 4 오후 3:12:45", FIRM_A, "좋음"]], header=["타임스탬프", "기업번호", "의견"]
    )
    [result] = ingest(warehouse, path)
    assert result.status == "refused" and result.source_kind == "survey"
    assert "no question columns" in result.reason


def test_bad_timestamps_are_quarantined(warehouse, src):
    path = write_survey(
        src / "stamps.csv",
        [row("어제 오후", FIRM_A, "4", "", ""), row("2023. 2. 30 오후 3:00:00", FIRM_B, "4", "", ""),
         row("2099. 1. 1 오전 9:00:00", FIRM_C, "4", "", "")],
    )  # fmt: skip
    [result] = ingest(warehouse, path)
    assert (result.accepted, result.quarantined) == (0, 3)
    got = reasons(warehouse)
    assert got[(2, OPEN)].startswith("타임스탬프/submitted_at '어제 오후' is empty or not a date and time")
    assert got[(3, OPEN)].startswith("타임스탬프/submitted_at '2023. 2. 30 오후 3:00:00' is empty or not")
    assert "is outside 2000-01-01 … today" in got[(4, OPEN)]


@pytest.mark.slow
def test_google_forms_stamps_read_by_strptime_give_what_the_pattern_gives():
    """The strptime fast path reads only what the pattern reads too, to the same time: out-of-range
    months, days, hours, minutes and seconds, 오전/오후 or AM/PM or neither, spacing variants."""
    parts = itertools.product(
        ["2023", "2024", "0999"], ["2", "02", "12", "13", "0"], ["1", "09", "29", "30", "31", "32"],
        ["오전", "오후", "AM", "pm", ""], ["0", "1", "09", "11", "12", "13"], ["00", "5", "59", "60"],
        ["00", "7", "59", "60", "5.5"], [" ", "  ", ""],
    )  # fmt: skip
    texts = [f"{y}.{sp}{m}.{sp}{d} {noon} {h}:{mi}:{s}" for y, m, d, noon, h, mi, s, sp in parts]
    con = duckdb.connect()
    con.register("stamps", pa.table({"x": texts}))
    fast, pattern = STAMP_GOOGLE_FORMS.format(x="x"), STAMP_BY_PATTERN.format(x="x")
    read, differ = con.execute(
        f"SELECT count({fast}), count(*) FILTER ({fast} IS NOT NULL AND {fast} IS DISTINCT FROM {pattern}) FROM stamps"
    ).fetchone()
    assert differ == 0
    assert read > 1000  # the fast path is taken, not always falling through
    google = STAMP_GOOGLE_FORMS.format(x="'2023. 5. 18 오후 3:12:45'")
    assert con.execute(f"SELECT {google}").fetchone()[0] == dt.datetime(2023, 5, 18, 15, 12, 45)


def test_surveys_and_centre_logs_in_one_folder_are_each_recognised(warehouse, src):
    write_csv(src / "log.csv", [{"record_id": "HAN-1", "center": "hanoi", "date": "2023-03-01",
                                "activity": "market_info_provided", "firm_id": FIRM_A}])  # fmt: skip
    write_survey(src / "s.csv", [row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "", "")])
    results = ingest(warehouse, src)
    assert sorted((Path(r.file).name, r.source_kind, r.status) for r in results) == [
        ("log.csv", "center_log", "loaded"),
        ("s.csv", "survey", "loaded"),
    ]
    assert all(b["rows_in"] == b["rows_accepted"] for b in batches(warehouse))


# --------------------------------------------------------------------------- personal data


def test_personal_data_is_in_no_event_and_no_quarantined_copy(warehouse, src):
    person = ("박민수", "010-9876-5432", "minsu.park@example.com")
    path = write_survey(
        src / "pii.csv",
        [
            row("2023. 12. 4 오후 3:12:45", FIRM_A, "4", "5", "", person=person,
                comment="연락은 010-9876-5432 또는 minsu.park@example.com 으로"),
            row("2023. 12. 4 오후 3:20:00", "", "4", "", "", person=person),
        ],
    )  # fmt: skip
    with path.open("a", encoding="utf-8") as f:  # an unreadable line: too many fields
        f.write(
            "2023. 12. 4 오후 4:00:00,박민수,010-9876-5432,minsu.park@example.com,202-81-00011,성장,4,4,4,x,y,z\r\n"
        )
    [result] = ingest(warehouse, path)
    assert (result.rows_in, result.accepted, result.quarantined) == (4, 1, 3) and balanced(result)
    stored = query(warehouse, "SELECT payload::VARCHAR FROM events.event_store")
    kept = query(warehouse, "SELECT raw_values::VARCHAR, reason, record_key FROM events.quarantine")
    text = json.dumps([stored, kept], ensure_ascii=False)
    for secret in (*person, "9876-5432", "minsu.park"):
        assert secret not in text
    assert (
        answers(warehouse)[(FIRM_A, "open_consultation", "agreement")]["comment"] == f"연락은 {MASK} 또는 {MASK} 으로"
    )
    [line] = [json.loads(r) for r, why, _ in kept if why.startswith("the row has")]
    assert line == {"line": f"2023. 12. 4 오후 4:00:00,{FIRM_A},성장,4,4,4,x"}  # only the columns read
    codes = query(warehouse, "SELECT source_row, source_column, reason_code FROM events.quarantine")
    assert (4, None, "malformed") in codes  # an unreadable line: the row, no column


def test_masking_of_phone_numbers_and_e_mail_addresses():
    for text in ("010-1234-5678", "01012345678", "02 123 4567", "+82 10-1234-5678", "063)123-4567", "a.b+c@mail.co.kr"):
        assert mask_personal(f"연락처 {text} 입니다") == f"연락처 {MASK} 입니다", text
    for text in ("202-81-00011", "2028100011", "2023-12-04 15:12:45", "2023. 12. 4 오후 3:12:45", "12,500"):
        assert mask_personal(text) == text, text
    # an address with a Korean name, and two numbers one comma apart (RE2 has no look-around)
    assert mask_personal("메일 홍길동@example.com") == f"메일 {MASK}"
    assert mask_personal("010-1234-5678,02 123 4567") == f"{MASK},{MASK}"


def test_the_documented_example_drops_personal_data(warehouse, src):
    path = src / "example.csv"
    path.write_text(SURVEY.example, encoding="utf-8")
    ingest(warehouse, path)
    text = json.dumps(query(warehouse, "SELECT payload::VARCHAR FROM events.event_store"), ensure_ascii=False)
    assert "홍길동" not in text and "010-1234-5678" not in text and "gildong@example.com" not in text
