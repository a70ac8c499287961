"""Sample satisfaction surveys (docs/sources.md §5): online-form exports about the centres' programmes.

`write_surveys(out_dir, plan, seed)` writes `out_dir/surveys/<year>/<survey>.<csv|xlsx>`:

- the 2023 new-programme survey (`2023_신규사업_수요조사.csv`): six firms of the 2023 logs, two of
  each tier, rate the nine proposed programmes (agreement 동의 and importance 중요도); the answers
  of each programme add up to Table 5-1's score × 6 / 25, so that the programme means, their
  100-point scores and the group means are the report's exactly (Table 5-1 is consistent with six
  respondents: the report's 2 + 2 + 2 FGI firms);
- yearly satisfaction surveys 2023–2025 (`<year>_사업만족도조사`): about seven in ten of the firms
  selected into programmes that year (the logs' firm_enrolled rows) rate the programmes they were
  selected into. 2023 is a UTF-8 CSV with numbers, 2024 a CP949 CSV with the Korean scale labels,
  2025 an .xlsx with a 조사연도 column (answered in January 2026, for 2025) and date-time cells.

Like real exports they carry personal data (성명, 연락처, 이메일; made up here, with example.com
addresses) and a few bad rows: an answer of 5, a row without a firm, answers to a programme that is
not in the seed, a second submission of a firm, an identical row sent twice. Deterministic: their
own random streams, so the centre logs are the same bytes with or without them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from pathlib import Path

from pipelines.generate.firms import CENTRES, TIERS
from pipelines.generate.plan import Plan
from pipelines.generate.seeds import programs
from pipelines.generate.write import write_xlsx

NEW_PROGRAM_SURVEY = "2023_신규사업_수요조사"
YEARLY_SURVEYS = {2023: "2023_사업만족도조사", 2024: "2024_사업만족도조사", 2025: "2025_사업만족도조사"}
# Table 5-1: programme -> (agreement, importance) on 100 points, as the report prints them. Six
# answers whose sum is score × 6 / 25 give exactly that score (mean / 4 × 100, rounded to 0.1).
TABLE_5_1 = {
    "partner_info": (91.7, 91.7),
    "partner_marketing": (95.8, 95.8),
    "partner_aftercare": (87.5, 87.5),
    "consultation_center": (100.0, 95.8),
    "interpretation": (91.7, 91.7),
    "open_consultation": (87.5, 87.5),
    "product_pretest": (91.7, 87.5),
    "experience_panel": (75.0, 66.7),
    "council": (83.3, 75.0),
}
FGI_FIRMS_PER_TIER = 2
# how the form names some programmes: the official name with a small variation (matched leniently)
FORM_NAMES = {
    "council": "전라북도 베트남·인도 수출지원 협의회",
    "experience_panel": "전북제품 체험단",
    "consultation_center": "전라북도 수출상담센터 운영",
}
UNKNOWN_PROGRAM = "수출바우처 연계 지원"  # a programme the seed does not know (its answers are quarantined)
RESPONSE_RATE = 0.7

KO_TIER = {"beginner": "초보", "growth": "성장", "star": "스타"}
AGREEMENT_LABELS = {1: "전혀 그렇지 않다", 2: "그렇지 않다", 3: "그렇다", 4: "매우 그렇다"}
IMPORTANCE_LABELS = {1: "전혀 중요하지 않다", 2: "중요하지 않다", 3: "중요하다", 4: "매우 중요하다"}
QUESTIONS = (("동의", AGREEMENT_LABELS), ("중요도", IMPORTANCE_LABELS))
PERSONAL = ["성명", "연락처", "이메일"]
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_SYLLABLES = "민서지현우준영수하은도연재희성진아윤경호"
_MAIL_WORDS = ("export", "sales", "trade", "global", "info", "ceo", "biz")
_MAIL_DOMAINS = ("example.com", "example.org", "example.net")
COMMENTS = (
    "현지 바이어 매칭이 큰 도움이 되었습니다",
    "상담 통역 품질이 좋았습니다",
    "샘플 배송 기간이 길었습니다",
    "사후관리 연락이 더 자주 있으면 좋겠습니다",
    "내년에도 참여하고 싶습니다",
    "시장정보 보고서가 유용했습니다",
)


def _person(rng: random.Random) -> list[str]:
    """성명, 연락처, 이메일 of a made-up respondent (the example.* domains are reserved)."""
    name = rng.choice(_SURNAMES) + rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
    phone = f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}"
    mail = f"{rng.choice(_MAIL_WORDS)}{rng.randint(1, 999)}@{rng.choice(_MAIL_DOMAINS)}"
    return [name, phone, mail]


def _stamp(when: dt.datetime) -> str:
    """A Google Forms timestamp of the Korean locale: `2023. 5. 18 오후 3:12:45`."""
    noon = "오후" if when.hour >= 12 else "오전"
    hour = when.hour % 12 or 12
    return f"{when.year}. {when.month}. {when.day} {noon} {hour}:{when.minute:02d}:{when.second:02d}"


def _moment(rng: random.Random, first: dt.date, days: int) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randrange(days))
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 20), rng.randint(0, 59), rng.randint(0, 59))


def _columns(names: list[str]) -> list[str]:
    return [f"[{q}] {name}" for name in names for q, _ in QUESTIONS]


def fgi_answers(seed: int) -> dict[str, list[tuple[int, int]]]:
    """programme -> six (agreement, importance) answers whose sums reproduce Table 5-1."""
    rng = random.Random(f"{seed}/surveys/new_programs/answers")
    out = {}
    for code, scores in TABLE_5_1.items():
        columns = []
        for score in scores:
            total = round(score * 6 / 25)  # the six answers' sum: mean × 6, mean = score / 25
            low, high = divmod(total, 6)
            answers = [low + 1] * high + [low] * (6 - high)
            rng.shuffle(answers)
            columns.append(answers)
        out[code] = list(zip(*columns))
    return out


def fgi_firms(plan: Plan, seed: int) -> list:
    """Two firms of each tier supported in 2023, one from each centre where it has one."""
    rng = random.Random(f"{seed}/surveys/new_programs/firms")
    chosen: list = []
    everyone = [f for c in CENTRES for f in plan.years[(c, 2023)].firms]
    for tier in TIERS:
        for center in CENTRES[:FGI_FIRMS_PER_TIER]:
            firms = [f for f in plan.years[(center, 2023)].firms if f.tiers.get(2023) == tier and f not in chosen]
            firms = firms or [f for f in everyone if f.tiers.get(2023) == tier and f not in chosen]
            chosen.append(rng.choice(firms))
    return chosen


def _new_program_survey(plan: Plan, seed: int) -> tuple[list[str], list[list]]:
    rng = random.Random(f"{seed}/surveys/new_programs")
    names = [FORM_NAMES.get(code, programs()[code].name_ko) for code in TABLE_5_1]
    header = ["타임스탬프", *PERSONAL, "기업명", "기업번호", "기업단계", *_columns(names), "의견"]
    answers = fgi_answers(seed)
    stamps = sorted(_moment(rng, dt.date(2023, 5, 15), 12) for _ in range(FGI_FIRMS_PER_TIER * len(TIERS)))
    rows = []
    for k, (firm, when) in enumerate(zip(fgi_firms(plan, seed), stamps)):
        cells = [str(v) for code in TABLE_5_1 for v in answers[code][k]]
        tier = KO_TIER[firm.tiers[2023]]
        rows.append([_stamp(when), *_person(rng), firm.name, firm.firm_id, tier, *cells, rng.choice(("", *COMMENTS))])
    return header, rows


def enrolled(plan: Plan, year: int) -> dict:
    """firm -> the programmes (codes, seed order) it was selected into in `year`, at any centre."""
    order = list(programs())
    out: dict = {}
    for center in CENTRES:
        cy = plan.years.get((center, year))
        for code, firms in (cy.enrolled if cy else {}).items():
            for f in firms:
                out.setdefault(f, set()).add(code)
    return {f: sorted(codes, key=order.index) for f, codes in sorted(out.items(), key=lambda kv: kv[0].serial)}


def _answer(rng: random.Random, leaning: float) -> int:
    """A 4-point answer: mostly 3 and 4, the share of 4 rising with the programme's `leaning`."""
    return rng.choices((1, 2, 3, 4), weights=(0.03, 0.12, 0.85 - leaning, leaning))[0]


def _yearly_survey(plan: Plan, seed: int, year: int) -> tuple[list[str], list[list], dict]:
    """The year's satisfaction survey of the firms selected into programmes, with its bad rows."""
    rng = random.Random(f"{seed}/surveys/yearly/{year}")
    selected = enrolled(plan, year)
    codes = [c for c in programs() if any(c in p for p in selected.values())]
    leaning = {c: rng.uniform(0.3, 0.6) for c in codes}
    names = [programs()[c].name_ko.replace(" ", "") if rng.random() < 0.2 else programs()[c].name_ko for c in codes]
    extra = [UNKNOWN_PROGRAM] if year == 2024 else []
    firm_column = "사업자등록번호" if year == 2025 else "기업번호"
    year_column = ["조사연도"] if year == 2025 else []
    respondent = ["기업명", firm_column, "기업단계", *year_column]
    header = ["타임스탬프", *PERSONAL, *respondent, *_columns(names + extra), "의견"]
    first = dt.date(2026, 1, 5) if year == 2025 else dt.date(year, 12, 1)
    respondents = [f for f in selected if rng.random() < RESPONSE_RATE]
    stamps = sorted(_moment(rng, first, 12) for _ in respondents)
    noise: Counter = Counter()
    rows: list[list] = []
    for firm, when in zip(respondents, stamps):
        cells: list = []
        for code in codes:
            for _, labels in QUESTIONS:
                if code not in selected[firm]:
                    cells.append("")
                    continue
                value = _answer(rng, leaning[code])
                cells.append(labels[value] if year == 2024 else value if year == 2025 else str(value))
        cells += ["", ""] * len(extra)
        tier = KO_TIER[firm.tiers[year]]
        comment = rng.choice(COMMENTS) if rng.random() < 0.25 else ""
        rows.append([when, *_person(rng), firm.name, firm.firm_id, tier, *([year] if year_column else []), *cells,
                     comment])  # fmt: skip
    start = 1 + len(PERSONAL) + 3 + len(year_column)  # the first question column
    # a phone number written into a comment (masked by the ingest)
    rows[1][-1] = f"통역 관련 문의는 {rows[1][2]}로 연락 바랍니다"
    noise["comment_with_phone"] += 1
    if year == 2023:
        rows[3][next(i for i in range(start, len(header) - 1) if rows[3][i] != "")] = "5"  # a typo
        noise["answer_out_of_range"] += 1
        anonymous = list(rows[5])
        anonymous[0], anonymous[5] = anonymous[0] + dt.timedelta(hours=2), ""  # forgot the firm number
        rows.append(anonymous)
        noise["row_without_firm"] += 1
    if year == 2024:
        for row in rows[2:4]:  # two firms also rate a programme the seed does not know
            row[-3:-1] = ["매우 그렇다", "중요하다"]
        noise["unknown_programme_rows"] += 2
    if year in (2024, 2025):
        again = list(rows[4])  # the same firm submits again two days later, one answer changed
        again[0] += dt.timedelta(days=2)
        changed = next(i for i in range(start, len(header) - 1) if again[i] != "")
        again[changed] = _flip(again[changed], year)
        rows.append(again)
        noise["second_submission"] += 1
    if year == 2025:
        rows.append(list(rows[6]))  # the same row sent twice: a duplicate
        noise["identical_row_twice"] += 1
    rows.sort(key=lambda r: r[0])  # the form lists submissions in time order
    if year != 2025:  # CSV: the Korean locale's text; the workbook keeps date-time cells
        for row in rows:
            row[0] = _stamp(row[0])
    return header, rows, dict(noise)


def _flip(value, year: int):
    """Another answer than `value` (as the file writes answers)."""
    if year == 2024:
        ko = {**{v: k for k, v in AGREEMENT_LABELS.items()}, **{v: k for k, v in IMPORTANCE_LABELS.items()}}
        n = ko[value]
        labels = AGREEMENT_LABELS if value in AGREEMENT_LABELS.values() else IMPORTANCE_LABELS
        return labels[3 if n == 4 else 4]
    n = int(value)
    return (3 if n == 4 else 4) if year == 2025 else str(3 if n == 4 else 4)


def _write_csv(path: Path, header: list[str], rows: list[list], encoding: str) -> int:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode(encoding)
    path.write_bytes(data)
    return len(data)


def write_surveys(out_dir: Path, plan: Plan, seed: int = 2023) -> dict:
    """Write the sample surveys under `out_dir/surveys/`; a summary of files, answers and bad rows."""
    root = Path(out_dir) / "surveys"
    files: dict[str, dict] = {}
    header, rows = _new_program_survey(plan, seed)
    path = root / "2023" / f"{NEW_PROGRAM_SURVEY}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    size = _write_csv(path, header, rows, "utf-8")
    files[path.relative_to(out_dir).as_posix()] = {"rows": len(rows), "bytes": size, "noise": {}}
    for year, name in YEARLY_SURVEYS.items():
        header, rows, noise = _yearly_survey(plan, seed, year)
        path = root / str(year) / f"{name}.{'xlsx' if year == 2025 else 'csv'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if year == 2025:
            size = write_xlsx(
                path, [header, *rows], "설문지 응답 시트1", creator="만족도 조사"
            )  # as Google Forms names it
        else:
            size = _write_csv(path, header, rows, "cp949" if year == 2024 else "utf-8")
        files[path.relative_to(out_dir).as_posix()] = {"rows": len(rows), "bytes": size, "noise": noise}
    return {
        "files": len(files),
        "rows": sum(f["rows"] for f in files.values()),
        "bytes": sum(f["bytes"] for f in files.values()),
        "by_file": files,
    }
