"""Satisfaction surveys: exports of an online form (Google Forms CSV or .xlsx; docs/sources.md §5).

A form export has one row per submission and one column per programme and question
(`[동의] 열린 수출상담회`, `[중요도] 열린 수출상담회`). `reshape` turns it into one record per answer
(survey, firm, programme, question), so that everything after it — typing, rules, quarantine,
duplicates, conflicts, the event store — is the framework's.

Personal data never leaves `reshape`: only the columns named here are read (타임스탬프, 조사연도,
기업번호, 기업단계, 의견 and the question columns); every other column — 성명, 연락처, 이메일 and
whatever else the form asked, 기업명 included — is dropped before anything is typed or stored, and
phone numbers and e-mail addresses written into a kept cell (a comment) are masked. The text of an
unreadable line is cut down the same way before it is quarantined.

Records and rows: one file row becomes one record per answered question, so `rows_in` of a survey
batch counts answers (plus unreadable lines). Inside the ingest a record is numbered file row ×
1000 + the answer's column (row 12, column 7 → 12007; an unreadable line 12 → 12000); the store
writes the row and the column's header (`source_row` 12, `source_column` `[동의] 열린 수출상담회`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc

from pipelines.eventstore.read import events_of
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.fields import (
    BRN,
    TEXT,
    YEAR,
    Field,
    FieldSet,
    FieldType,
    choice,
    header_key,
    label,
    normalise_text,
)
from pipelines.ingest.readers import Grid
from pipelines.ingest.source_kind import SourceKind
from schemas.raw import row_check

ROW_STRIDE = 1000  # a record is numbered file row × ROW_STRIDE + the answer's column number (1-based)
EARLIEST = pd.Timestamp("2000-01-01")

# 2023. 5. 18 오후 3:12:45 (Google Forms, Korean locale), 2023-05-18 15:12:45 (an Excel date-time
# cell), 2023/5/18 3:12:45 PM, 2023년 5월 18일 오후 3시 12분, a date alone; AM/PM before or after the time.
STAMP_PATTERN = (
    r"^(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?[\sT]*(오전|오후|AM|PM|am|pm)?\s*"
    r"(?:(\d{1,2})\s*[:시]\s*(\d{1,2})\s*분?\s*(?::?\s*(\d{1,2}(?:\.\d+)?)\s*초?)?)?\s*(오전|오후|AM|PM|am|pm)?$"
)
_STAMP = STAMP_PATTERN.replace("{", "{{").replace("}", "}}")  # inside a FieldType.sql template
_SERIAL = r"^\d{{5}}(\.\d+)?$"


# The pattern's groups by name: the text is matched once, and each part read from the match
_PARTS = ["year", "month", "day", "noon_before", "hour", "minute", "second", "noon_after"]
_HOUR = "coalesce(CAST(nullif(m.hour, '') AS BIGINT), 0)"
_NOON = "upper(m.noon_before || m.noon_after)"
# 오후 3 → 15, 오전 12 → 0, 오후 13 is no time; without AM/PM the hour is read as written (15:12)
_HOUR_24 = (
    f"CASE WHEN {_NOON} = '' THEN {_HOUR} WHEN {_HOUR} <= 12 "
    f"THEN {_HOUR} % 12 + CASE WHEN {_NOON} IN ('오후', 'PM') THEN 12 ELSE 0 END END"
)
# Any stamp the pattern reads, or NULL.
STAMP_BY_PATTERN = f"""CASE
        WHEN regexp_matches({{x}}, '{_STAMP}') THEN list_transform(
            [regexp_extract({{x}}, '{_STAMP}', {_PARTS})],
            lambda m: try(make_timestamp(
                CAST(m.year AS BIGINT), CAST(m.month AS BIGINT), CAST(m.day AS BIGINT),
                {_HOUR_24},
                coalesce(CAST(nullif(m.minute, '') AS BIGINT), 0),
                coalesce(CAST(nullif(m.second, '') AS DOUBLE), 0))))[1]
        -- an Excel serial date-time, as Excel writes a date-time cell into CSV
        WHEN regexp_matches({{x}}, '{_SERIAL}')
            THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(CAST({{x}} AS DOUBLE) * 86400000000 AS BIGINT))
    END"""
# Google Forms' own layout read by strptime first, at a fifth of the pattern's cost; whatever it
# does not read falls through to the pattern, which gives the same time where both read the text
# (tests/test_survey_parsing.py compares them).
STAMP_GOOGLE_FORMS = "try_strptime(replace(replace({x}, '오후', 'PM'), '오전', 'AM'), '%Y. %m. %d %p %I:%M:%S')"
TIMESTAMP_KO = FieldType(
    "timestamp_ko",
    "TIMESTAMP",
    f"coalesce({STAMP_GOOGLE_FORMS}, {STAMP_BY_PATTERN})",
    "a date and time (2023. 5. 18 오후 3:12:45, 2023-05-18 15:12:45 or an Excel date-time)",
    per_distinct=True,
)

# The 4-point scale without a midpoint (docs/sources.md §5): a number, or the agreement or importance label.
SCALE_LABELS = {
    "전혀 그렇지 않다": 1,
    "매우 그렇지 않다": 1,
    "그렇지 않다": 2,
    "그렇다": 3,
    "매우 그렇다": 4,
    "전혀 중요하지 않다": 1,
    "중요하지 않다": 2,
    "중요하다": 3,
    "매우 중요하다": 4,
}
_LABEL_CASES = " ".join(f"WHEN '{k.replace(' ', '')}' THEN {v}" for k, v in SCALE_LABELS.items())
ANSWER = FieldType(
    "answer",
    "BIGINT",
    f"""CASE
        WHEN regexp_matches({{x}}, '^[+-]?\\d+(\\.0+)?$') THEN TRY_CAST(TRY_CAST({{x}} AS DOUBLE) AS BIGINT)
        ELSE CASE regexp_replace({{x}}, '\\s+', '', 'g') {_LABEL_CASES} END
    END""",
    "an answer 1–4 or a scale label (전혀 그렇지 않다 … 매우 그렇다, 전혀 중요하지 않다 … 매우 중요하다)",
    per_distinct=True,
)
QUESTIONS = {"동의": "agreement", "agreement": "agreement", "중요도": "importance", "importance": "importance"}

FIELDS = FieldSet(
    (
        Field(
            "survey",
            "조사명",
            TEXT,
            "The survey: the file name without its extension (not a column of the form)",
            required=True,
        ),
        Field(
            "survey_year",
            "조사연도",
            YEAR,
            "Survey year, `2025` or `2025년`; without it, the year of the file's earliest 타임스탬프",
            ("조사년도",),
            required=True,
        ),
        Field(
            "submitted_at",
            "타임스탬프",
            TIMESTAMP_KO,
            "When the firm submitted: `2023. 5. 18 오후 3:12:45`, `2023-05-18 15:12:45`, `2023/5/18 3:12:45 PM`, "
            "`2023년 5월 18일 오후 3시 12분` or an Excel date-time; not in the future",
            ("timestamp", "제출시각", "응답일시"),
            required=True,
        ),
        Field(
            "firm_id",
            "사업자등록번호",
            BRN,
            "Registration no. of the responding firm (`123-45-67890`, hyphens optional)",
            ("기업번호", "business registration number"),
            required=True,
        ),
        Field(
            "tier",
            "기업단계",
            label("tier", "초보/성장/스타 (beginner/growth/star)"),
            "Tier of the responding firm: 초보/성장/스타 (성숙 = 스타) or beginner/growth/star (§2.4)",
            ("firm tier",),
        ),
        Field(
            "program",
            "사업명",
            label("program", "a programme name (§2.5)"),
            "Programme: the name in the question column's header (§2.5)",
            ("programme",),
            required=True,
        ),
        Field(
            "question",
            "문항",
            choice(QUESTIONS, "동의 or 중요도"),
            "동의 (agreement) or 중요도 (importance): the bracket of the question column's header",
            required=True,
        ),
        Field("answer", "응답", ANSWER, "The answer: 1–4 or its label (§5.2)", required=True),
        Field("comment", "의견", TEXT, "Open comment of the submission", ("comments", "기타의견", "건의사항")),
    )
)

RESPONDENT = ("survey_year", "submitted_at", "firm_id", "tier", "comment")  # columns read from the form

# A question column: `[동의] 열린 수출상담회`, or Google Forms' grid layout `동의 [열린 수출상담회]`.
_PREFIXED = re.compile(r"^\[\s*(?P<q>[^\]]+?)\s*\]\s*(?P<p>.+?)$")
_SUFFIXED = re.compile(r"^(?P<q>[^\[]*(?:동의|중요|agree|importan)[^\[]*?)\s*\[\s*(?P<p>[^\]]+?)\s*\]$", re.I)
# Headers that name personal data: never read, even when written like a question column.
PERSONAL_HEADERS = ("성명", "이름", "연락처", "전화", "휴대폰", "핸드폰", "이메일", "메일", "주소", "담당자",
                    "email", "phone", "mobile", "name", "address")  # fmt: skip
# Personal data written into a kept cell: phone numbers (010-1234-5678, 02 123 4567, +82 10 …,
# 0082-10-…, +82-(0)10-…) and e-mail addresses are masked. Kept cells are first normalised (NFKC:
# full-width digits, ＠ and spaces; every dash to `-`), so a spelling is masked whatever keyboard
# typed it. A registration number never starts with 0, so it is never taken for a phone number.
# RE2 patterns (pyarrow masks whole columns at once): digits, letters and spaces in any script; a
# phone number stands between non-digits, which RE2 matches (no look-around) and puts back.
_D, _SEP = r"\p{Nd}", r"[\s\p{Z}.()-]"  # a digit, and what people put between digit groups
_DASHES = r"[\p{Pd}\x{2212}]"  # hyphens, en and em dashes, the minus sign
_PHONE_PREFIX = rf"(?:(?:\+|00){_SEP}{{0,2}}82{_SEP}{{0,3}}(?:\(0\){_SEP}{{0,2}}|0)?|0)"
_PHONE_NUMBER = rf"{_PHONE_PREFIX}{_D}{{1,2}}{_SEP}{{0,3}}{_D}{{3,4}}{_SEP}{{0,3}}{_D}{{4}}"
_PHONE = rf"(^|\P{{Nd}})({_PHONE_NUMBER})(\P{{Nd}}|$)"
_EMAIL = r"[\p{L}\p{N}_.+-]+@[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)+"
MASK = "[개인정보 삭제]"


def is_personal(header: str) -> bool:
    key = header_key(header)
    return any(word in key for word in PERSONAL_HEADERS)


def mask_personal(text: str | None) -> str | None:
    """The text with phone numbers and e-mail addresses replaced by MASK."""
    return _masked(arrow.array([text], arrow.string()))[0].as_py()


def question_column(header: str) -> tuple[str, str] | None:
    """(question, programme text) of a question column's header, else None. The question is its
    code when the header says 동의/중요(도) (agreement/importance), else as written (quarantined)."""
    if is_personal(header):
        return None
    m = _PREFIXED.match(header) or _SUFFIXED.match(header)
    if not m:
        return None
    q = header_key(m["q"])
    code = next((c for w, c in (("동의", "agreement"), ("agree", "agreement"), ("중요", "importance"),
                                ("importan", "importance")) if w in q), m["q"])  # fmt: skip
    return code, m["p"]


def _masked(column: arrow.ChunkedArray | arrow.Array) -> arrow.Array:
    """A column normalised (NFKC, dashes) with phone numbers and e-mail addresses replaced by
    MASK: each distinct text once (answer columns repeat a few), and only the texts that hold one
    are rewritten (finding is cheap, replacing cost ten times more)."""
    if isinstance(column, arrow.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    texts = pc.utf8_normalize(encoded.dictionary, "NFKC")
    texts = _replace_where(texts, pc.match_substring_regex(texts, _DASHES), _DASHES, "-")
    texts = _replace_where(texts, pc.match_substring(texts, "@"), _EMAIL, MASK)
    # twice: a number right after another (`010-1234-5678,010-…`) lost its left neighbour to the first
    for _ in range(2):
        texts = _replace_where(texts, pc.match_substring_regex(texts, _PHONE), _PHONE, rf"\1{MASK}\3")
    return pc.take(texts, encoded.indices)


def _masked_columns(columns: list[arrow.ChunkedArray], n: int) -> list[arrow.Array]:
    """_masked over several columns of n cells, as one: each pattern is compiled once (compiling
    RE2's Unicode classes costs more than matching a column)."""
    whole = _masked(arrow.chunked_array([chunk for column in columns for chunk in column.chunks], arrow.string()))
    return [whole.slice(k * n, n) for k in range(len(columns))]


def _replace_where(column: arrow.Array, found: arrow.Array, pattern: str, replacement: str) -> arrow.Array:
    found = pc.fill_null(found, False)
    if not pc.any(found).as_py():
        return column
    replaced = pc.replace_substring_regex(pc.filter(column, found), pattern, replacement)
    return pc.replace_with_mask(column, found, replaced)


_YEAR_IN_STAMP = r"^\s*(?P<year>\d{4})\D"
_EXCEL_SERIAL = r"^\s*(?P<days>\d{5}(?:\.\d+)?)\s*$"
_YEAR_IN_TITLE = re.compile(r"조사\s*연도\s*[:：]?\s*(\d{4})")


def file_survey_year(stamps: arrow.Array, preamble: list[list[str]]) -> str | None:
    """The survey year of rows without 조사연도: a `조사연도: 2025` title row, else the year of the
    file's earliest timestamp (written out, or an Excel serial date-time)."""
    for row in preamble:
        for cell in row:
            if m := _YEAR_IN_TITLE.search(cell or ""):
                return m[1]
    written = pc.struct_field(pc.extract_regex(stamps, _YEAR_IN_STAMP), "year")
    years = pc.cast(pc.filter(written, pc.is_valid(written)), arrow.int32()).to_pylist()
    serials = pc.struct_field(pc.extract_regex(stamps, _EXCEL_SERIAL), "days")
    excel = dt.datetime(1899, 12, 30)
    years += [(excel + dt.timedelta(days=float(d))).year for d in pc.filter(serials, pc.is_valid(serials)).to_pylist()]
    return str(min(years)) if years else None


def _scrub_line(text: str, keep: list[int], spreadsheet: bool) -> str:
    """An unreadable line cut down to the columns the survey reads, personal data masked."""
    try:
        cells = text.split("\t") if spreadsheet else next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return ""
    return ("\t" if spreadsheet else ",").join(mask_personal(cells[i]) or "" for i in keep if i < len(cells))


def _refuse_repeated_questions(grid: Grid, questions: list[tuple[int, str, str]]) -> None:
    """Two columns asking one question of one programme would make the answer depend on the row."""
    seen: dict[tuple[str, str], list[int]] = {}
    for i, question, programme in questions:
        seen.setdefault((question, header_key(programme)), []).append(i)
    twice = [columns for columns in seen.values() if len(columns) > 1]
    if twice:
        named = "; ".join(" and ".join(f"`{grid.header[i]}` (column {i + 1})" for i in columns) for columns in twice)
        raise RefusedFile(grid.path, f"several columns ask the same question: {named}; keep one of each")


def _written_year(grid: Grid, years: arrow.Array) -> str | None:
    """The year the 조사연도 column gives, when it gives one; a column that names several years is
    refused (one survey has one year), naming the rows of each."""
    found = pc.struct_field(pc.extract_regex(years, r"(?P<year>\d{4})"), "year")
    rows = grid.table.column("source_row").to_numpy()
    by_year: dict[str, list[int]] = {}
    for k, y in enumerate(found.to_pylist()):
        if y is not None:
            by_year.setdefault(y, []).append(int(rows[k]))
    if len(by_year) > 1:
        said = "; ".join(f"{y} on rows {_ranges(r)}" for y, r in sorted(by_year.items()))
        raise RefusedFile(
            grid.path, f"조사연도/survey_year names several years ({said}): one survey has one year; correct the column"
        )
    return next(iter(by_year), None)


def _ranges(rows: list[int]) -> str:
    """2, 3, 4, 7 -> '2–4, 7'."""
    spans: list[list[int]] = []
    for r in sorted(rows):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in spans)


def reshape(grid: Grid) -> Grid:
    """One record per answer: the form's row × each answered question column, without personal data."""
    mapped = FIELDS.map_header(grid.header)
    respondent = {name: i for i, name in mapped.items() if name in RESPONDENT}
    questions = [(i, *q) for i, h in enumerate(grid.header) if i not in mapped and (q := question_column(h))]
    if not questions:
        expected = "`[동의] 열린 수출상담회` and `[중요도] 열린 수출상담회`"
        raise RefusedFile(grid.path, f"no question columns: expected headers such as {expected}")
    if len(grid.header) >= ROW_STRIDE:
        raise RefusedFile(grid.path, f"has {len(grid.header)} columns; a survey may have at most {ROW_STRIDE - 1}")
    _refuse_repeated_questions(grid, questions)
    n = grid.table.num_rows
    blank = arrow.nulls(n, arrow.string())
    keep = sorted([*respondent.values(), *(i for i, _, _ in questions)])
    masked = dict(zip(keep, _masked_columns([grid.table.column(f"c{i}") for i in keep], n)))

    def cells(name: str) -> arrow.Array:
        return masked[respondent[name]] if name in respondent else blank

    stamps = cells("submitted_at")
    years = cells("survey_year")
    year = _written_year(grid, years) or file_survey_year(stamps, grid.preamble)
    if year is not None:
        written = pc.and_kleene(pc.is_valid(years), pc.not_equal(pc.utf8_trim_whitespace(years), ""))
        years = pc.if_else(pc.fill_null(written, False), years, year)
    # the answered cells in the file's order (row by row, left to right): each field's cells are
    # then taken at once, not filtered once per question column
    answered = np.column_stack(
        [
            pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(masked[i]), ""), False).to_numpy(zero_copy_only=False)
            for i, _, _ in questions
        ]
    )
    row, column = np.nonzero(answered)
    source_row = (
        grid.table.column("source_row").to_numpy()[row] * ROW_STRIDE + np.array([i + 1 for i, *_ in questions])[column]
    )
    order = np.argsort(source_row, kind="stable")  # a no-op unless the reader's rows come unordered
    row, column, source_row = row[order], column[order], source_row[order]
    at = arrow.array(row)
    long = {
        # NFC: a name saved on macOS arrives decomposed, and must name the same survey
        "survey": arrow.array([normalise_text(grid.path.stem)] * len(row), arrow.string()),
        "survey_year": pc.take(years, at),
        "submitted_at": pc.take(stamps, at),
        "firm_id": pc.take(cells("firm_id"), at),
        "tier": pc.take(cells("tier"), at),
        "program": pc.take(arrow.array([p for *_, p in questions], arrow.string()), column),
        "question": pc.take(arrow.array([q for _, q, _ in questions], arrow.string()), column),
        "answer": pc.take(arrow.concat_arrays([masked[i] for i, *_ in questions]), column * n + row),
        "comment": pc.take(cells("comment"), at),
    }
    table = arrow.table(
        {f"c{k}": long[name] for k, name in enumerate(FIELDS.names)} | {"source_row": arrow.array(source_row)}
    )
    bad = [
        (row * ROW_STRIDE, why, _scrub_line(text, keep, grid.encoding == "spreadsheet"))
        for row, why, text in grid.bad_rows
    ]
    return Grid(grid.path, grid.encoding, list(FIELDS.names), table, bad, stride=ROW_STRIDE, parts=list(grid.header))


def rules() -> list[pa.Check]:
    today = pd.Timestamp.today()
    latest = today.normalize() + pd.Timedelta(days=1)
    return [
        row_check(
            lambda df: df["answer"].isna() | df["answer"].between(1, 4),
            "응답/answer '{answer_raw}' is outside the 4-point scale 1–4 (there is no midpoint)",
        ),
        row_check(
            lambda df: df["submitted_at"].isna() | df["submitted_at"].between(EARLIEST, latest),
            "타임스탬프/submitted_at '{submitted_at_raw}' is outside 2000-01-01 … today",
        ),
        row_check(
            lambda df: df["survey_year"].isna() | df["survey_year"].between(2000, today.year + 1),
            f"조사연도/survey_year '{{survey_year_raw}}' is outside 2000 … {today.year + 1}",
        ),
        row_check(
            lambda df: (
                df["submitted_at"].isna()
                | df["first_submitted_at"].isna()
                | (df["submitted_at"] <= df["first_submitted_at"])
            ),
            "a later submission: firm '{firm_id}' first submitted survey '{survey}' at '{first_submitted_at}', "
            "this one at '{submitted_at}' is not counted (a firm answers a survey once)",
        ),
    ]


# The first submission of each firm in each survey: the earliest in the files being read, or the
# earliest already stored; a later one is quarantined whole (rules), whatever it answers.
FIRST_SUBMISSION_COLUMNS = "least(here.first_submitted_at, stored.first_submitted_at) AS first_submitted_at"
FIRST_SUBMISSION_JOINS = f"""
LEFT JOIN (SELECT survey, firm_id, min(submitted_at) AS first_submitted_at FROM t GROUP BY ALL) AS here
    ON here.survey = t.survey AND here.firm_id = t.firm_id
LEFT JOIN (
    SELECT payload->>'survey' AS survey, payload->>'firm_id' AS firm_id,
           min(CAST(payload->>'submitted_at' AS TIMESTAMP)) AS first_submitted_at
    FROM {events_of("survey")} GROUP BY ALL
) AS stored ON stored.survey = t.survey AND stored.firm_id = t.firm_id
"""

SURVEY = SourceKind(
    name="survey",
    title="만족도 조사 / Satisfaction survey",
    fields=FIELDS,
    recognise_by=("submitted_at", "firm_id"),
    key=("survey", "firm_id", "program", "question"),
    occurred_on="submitted_at",
    event_type="'answer_recorded'",
    event_types=("answer_recorded",),
    conflict_hint="a firm answers a survey once: the answer first stored counts",
    enrich_columns=FIRST_SUBMISSION_COLUMNS,
    enrich_joins=FIRST_SUBMISSION_JOINS,
    rules=rules,
    reshape=reshape,
    breakdown="survey",
    record="answer",
    about="One event per answer (survey, firm, programme, question) of a form export. Personal data (성명, "
    "연락처, 이메일, …) never reaches the store: the ingest drops those columns.",
    example=(
        "타임스탬프,성명,연락처,이메일,기업명,기업번호,기업단계,[동의] 열린 수출상담회,[중요도] 열린 수출상담회,"
        "[동의] 전문 통역 서비스,[중요도] 전문 통역 서비스,의견\n"
        "2023. 5. 18 오후 3:12:45,홍길동,010-1234-5678,gildong@example.com,전북식품(주),202-81-00011,초보,4,"
        "매우 중요하다,3,3,통역 지원이 유용했습니다\n"
        "2023. 5. 19 오전 9:05:10,김영희,063-123-4567,yh@example.com,(주)새만금,4018112345,스타,매우 그렇다,4,,,\n"
    ),
)
