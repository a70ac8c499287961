"""The export's writers on hand-made tables: text from input files stays text (never a formula,
never markup), and every mart column has its Korean title in the one place titles come from."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest

from pipelines.export.charts import draw_all, register_korean_font
from pipelines.export.columns import Kind, kind_of, mart_columns, own_column
from pipelines.export.excel import write_workbook
from pipelines.export.frames import Table, YearFrames, quality_table
from pipelines.export.meta import meta_block
from pipelines.export.report import write_report
from pipelines.mart_registry import marts
from pipelines.quality import RuleOutcome

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "<script>alert(1)</script>"]


def hostile_frames() -> YearFrames:
    by_file = pd.DataFrame(
        {
            "source_kind": ["center_log"] * len(HOSTILE),
            "file_name": HOSTILE,
            "batches": [1] * len(HOSTILE),
        }
    )
    by_reason = pd.DataFrame({"source_kind": HOSTILE, "reason_code": HOSTILE, "rows": [3] * len(HOSTILE)})
    outcomes = [RuleOutcome("marts", text, False, text) for text in HOSTILE]
    frames = YearFrames(2025, {"all": "전체", "hanoi": "<b>하노이</b>"})
    for key, frame in (("quarantine_by_file", by_file), ("quarantine_by_reason", by_reason)):
        frames.tables[key] = Table(key, key, "hand-made", frame, [own_column(c) for c in frame.columns])
    frames.tables["quality_outcomes"] = quality_table(outcomes)
    return frames


def a_meta() -> dict:
    freeze = {
        "year": 2025,
        "freeze_id": 1,
        "frozen_at": datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
        "evaluated_on": date(2026, 1, 20),
        "store_position": 123,
        "checksum": "abc",
        "mart_checksums": '{"result_evaluation": {"rows": 3, "md5": "def"}}',
        "code_version": "=cmd|' /C calc'!A0",
    }
    return meta_block(
        freeze,
        frozen_now=True,
        code_version="+v1",
        warehouse="/tmp/w.duckdb",
        quality_rules=5,
        quality_failed=0,
        data_docs_index=None,
        export_inputs="0" * 64,
    )


def test_text_from_input_files_is_never_a_formula(tmp_path):
    path = write_workbook(tmp_path / "x.xlsx", hostile_frames(), a_meta())
    book = openpyxl.load_workbook(path)
    texts = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    texts[cell.value] = cell.data_type
    for text in HOSTILE + ["=cmd|' /C calc'!A0", "+v1"]:
        assert texts.get(text) == "s", f"{text!r} is not a plain string cell ({texts.get(text)})"
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any("<f>" in z.read(n).decode() or "<f " in z.read(n).decode() for n in sheets)


def test_text_from_input_files_is_escaped_in_the_report(tmp_path):
    frames = hostile_frames()
    html = write_report(tmp_path / "x.html", frames, draw_all(frames), a_meta()).read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(re.findall(r"<script\b", html)) == 1, "only the report's own chart-loaded script"
    assert "<b>하노이</b>" not in html
    # offline: nothing fetched from elsewhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "<link" not in html and "@import" not in html


def test_every_mart_column_has_a_korean_title():
    columns = mart_columns()
    assert set(marts()) <= set(columns), "every mart the export reads is a dbt model"
    hangul = re.compile(r"[\uac00-\ud7a3]")
    untitled = [f"{m}.{c.name}" for m in marts() for c in columns[m].values() if not hangul.search(c.title)]
    assert not untitled, f"describe these columns as '한국어 / English' in the marts' yml: {untitled}"


@pytest.mark.parametrize(
    ("name", "data_type", "kind"),
    [
        ("export_amount_usd", "double", Kind.MONEY),
        ("attainment_rate", "double", Kind.RATE),
        ("share_below_50", "double", Kind.RATE),
        ("score_100_linear", "double", Kind.SCORE),
        ("ci_low_100", "double", Kind.SCORE),
        ("mean_4pt", "double", Kind.MEAN),
        ("amounts_without_fx_rate", "bigint", Kind.INTEGER),
        ("year", "integer", Kind.YEAR),
        ("small_n", "boolean", Kind.BOOL),
        ("center", "varchar", Kind.TEXT),
    ],
)
def test_number_formats_follow_the_mart_conventions(name, data_type, kind):
    assert kind_of(name, data_type) is kind


def test_charts_find_the_korean_font_in_the_installed_package():
    from matplotlib import font_manager

    family = register_korean_font()
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "koreanize_matplotlib" in path and path.endswith(".ttf")
