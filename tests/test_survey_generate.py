"""The sample surveys: Table 5-1 by construction, consistent with the centre logs, as bundled.

The generator writes them beside the logs (`python -m pipelines generate`); the bundled
`sources/` are its scale-1 output, and adding the surveys changed no byte of the logs.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import PROJECT_DIR, ingest, query

from pipelines.generate import generate
from pipelines.generate.plan import build_plan
from pipelines.generate.surveys import (
    NEW_PROGRAM_SURVEY,
    TABLE_5_1,
    YEARLY_SURVEYS,
    enrolled,
    fgi_answers,
    fgi_firms,
)

REFERENCE = PROJECT_DIR / "tests" / "reference"
BUNDLED = PROJECT_DIR / "sources"


def reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def plan():
    return build_plan(1)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "sources"
    return out, generate(out, scale=1)


@pytest.fixture(scope="module")
def loaded(generated, tmp_path_factory) -> tuple[Path, list]:
    out, _ = generated
    warehouse = tmp_path_factory.mktemp("wh") / "surveys.duckdb"
    return warehouse, ingest(warehouse, out / "surveys")


def test_the_new_programme_answers_give_table_5_1_exactly():
    answers = fgi_answers(2023)
    assert list(TABLE_5_1) == [r["program_code"] for r in reference("table_5_1_new_program_survey.csv")]
    for r in reference("table_5_1_new_program_survey.csv"):
        six = answers[r["program_code"]]
        assert len(six) == 6 and all(1 <= v <= 4 for pair in six for v in pair)
        for k, question in enumerate(("agreement", "importance")):
            mean = sum(pair[k] for pair in six) / 6
            assert round(mean, 1) == float(r[f"{question}_4pt"]), (r["program_code"], question)
            assert round(mean / 4 * 100, 1) == float(r[f"{question}_100"]), (r["program_code"], question)
    for g in reference("table_5_1_group_means.csv"):
        codes = [r["program_code"] for r in reference("table_5_1_new_program_survey.csv") if r["group"] == g["group"]]
        for k, question in enumerate(("agreement", "importance")):
            means = [sum(pair[k] for pair in answers[c]) / 6 for c in codes]
            assert round(sum(m / 4 * 100 for m in means) / len(means), 1) == float(g[f"{question}_100"])
            assert round(sum(means) / len(means), 1) == float(g[f"{question}_4pt"])


def test_the_six_respondents_are_two_firms_of_each_tier_from_the_2023_logs(plan):
    firms = fgi_firms(plan, 2023)
    assert len({f.firm_id for f in firms}) == 6
    assert Counter(f.tiers[2023] for f in firms) == {"beginner": 2, "growth": 2, "star": 2}
    supported_2023 = {a.firm.firm_id for a in plan.activities if a.firm is not None and a.day.year == 2023}
    assert {f.firm_id for f in firms} <= supported_2023


def test_files_formats_and_the_bad_rows_they_hold(generated):
    out, summary = generated
    files = {Path(p).name: v for p, v in summary["surveys"]["by_file"].items()}
    assert sorted(files) == sorted([f"{NEW_PROGRAM_SURVEY}.csv"] + [
        f"{name}.{'xlsx' if year == 2025 else 'csv'}" for year, name in YEARLY_SURVEYS.items()
    ])  # fmt: skip
    root = out / "surveys"
    (root / "2023" / f"{NEW_PROGRAM_SURVEY}.csv").read_bytes().decode("utf-8")
    (root / "2023" / "2023_사업만족도조사.csv").read_bytes().decode("utf-8")
    cp949 = (root / "2024" / "2024_사업만족도조사.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp949.decode("utf-8")
    assert "매우 그렇다" in cp949.decode("cp949")  # the 2024 form exports the scale labels
    assert (root / "2025" / "2025_사업만족도조사.xlsx").read_bytes()[:4] == b"PK\x03\x04"
    noise = Counter()
    for f in files.values():
        noise.update(f["noise"])
    assert set(noise) == {
        "answer_out_of_range",
        "row_without_firm",
        "unknown_programme_rows",
        "second_submission",
        "identical_row_twice",
        "comment_with_phone",
    }
    header = (root / "2023" / f"{NEW_PROGRAM_SURVEY}.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("타임스탬프,성명,연락처,이메일,") and header.endswith(",의견")


def test_the_bad_rows_are_quarantined_for_their_reasons(loaded):
    warehouse, results = loaded
    assert [r.status for r in results] == ["loaded"] * 4
    assert all(r.rows_in == r.accepted + r.duplicates + r.quarantined for r in results)
    assert sum(r.duplicates for r in results) == 2  # the row sent twice: two answers
    reasons = Counter(
        reason.split(" '")[0].split(":")[0] for (reason,) in query(warehouse, "SELECT reason FROM events.quarantine")
    )
    assert set(reasons) == {
        "응답/answer",  # outside 1–4
        "사업자등록번호/firm_id",  # a row without a firm
        "사업명/program",  # a programme the seed does not know
        "a later submission",  # a firm's second submission
    }


def test_yearly_respondents_rate_the_programmes_they_were_selected_into(plan, loaded):
    warehouse, _ = loaded
    selected = {
        (year, f.firm_id, code)
        for year in YEARLY_SURVEYS
        for f, codes in enrolled(plan, year).items()
        for code in codes
    }
    answered = {
        (p["survey_year"], p["firm_id"], p["program"])
        for (text,) in query(warehouse, "SELECT payload::VARCHAR FROM events.event_store")
        if (p := json.loads(text))["survey"] in YEARLY_SURVEYS.values()
    }
    assert answered and answered <= selected
    for year in YEARLY_SURVEYS:
        firms = {f for y, f, _ in answered if y == year}
        share = len(firms) / len(enrolled(plan, year))
        assert 0.6 < share < 0.8, (year, share)
    # the 2025 survey was answered in January 2026 and belongs to 2025 by its 조사연도 column
    stamps = query(
        warehouse,
        "SELECT DISTINCT year(occurred_on) FROM events.event_store WHERE payload->>'survey' = '2025_사업만족도조사'",
    )
    assert stamps == [(2026,)] and {y for y, _, _ in answered} == {2023, 2024, 2025}


def test_the_bundled_surveys_are_the_generators_and_the_logs_did_not_change(generated):
    out, _ = generated
    for folder in ("center_logs", "surveys"):
        made = sorted(p.relative_to(out) for p in (out / folder).rglob("*") if p.is_file())
        bundled = sorted(p.relative_to(BUNDLED) for p in (BUNDLED / folder).rglob("*") if p.is_file())
        assert made == bundled, folder
        different = [str(p) for p in made if (out / p).read_bytes() != (BUNDLED / p).read_bytes()]
        assert different == [], folder


def test_the_generator_refuses_a_folder_that_already_holds_surveys(tmp_path):
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "old.csv").write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError, match="surveys"):
        generate(tmp_path)
