"""The annual export as a person uses it: `python -m pipelines export --year 2025` on a warehouse
built from the bundled sources, the workbook read back with openpyxl and compared with the marts,
the HTML report opened in headless Chromium, and a second export after late events.

Expected values are always queried from the warehouse (read-only), never written here.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from helpers import PROJECT_DIR, cli, consultation, copy_of_built, instance_home, rec, write_csv

pytestmark = pytest.mark.slow

YEAR = 2025
CHROMIUM = Path("/usr/bin/chromium")
SHEETS = ["요약", "결과평가", "과정평가", "연속성평가", "만족도평가", "무역동향", "데이터품질", "메타"]
VOLATILE_META = {"generated_at", "code_version", "frozen_by_this_export", "warehouse"}


@dataclass
class Export:
    warehouse: Path
    folder: Path
    stdout: str

    @property
    def workbook(self) -> Path:
        return next(self.folder.glob("*.xlsx"))

    @property
    def report(self) -> Path:
        return next(self.folder.glob("*.html"))


@pytest.fixture(scope="module")
def exported(bundled_run, tmp_path_factory) -> Export:
    """The bundled warehouse copied (the session's stays unfrozen), then exported: 2025 is frozen first."""
    root = tmp_path_factory.mktemp("export")
    warehouse = copy_of_built(bundled_run[0], root)
    result = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(root / "exports"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Export(warehouse, root / "exports" / str(YEAR), result.stdout)


def norm(value):
    """One comparable form for a cell and a mart value (Excel keeps 16 significant digits)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):  # money is DECIMAL in the marts, a number in a cell
        return float(f"{value:.12g}")
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value


def rows_sorted(rows) -> list[tuple]:
    return sorted((tuple(norm(v) for v in row) for row in rows), key=repr)


def sheet_tables(sheet) -> dict[str, tuple[list[str], list[tuple]]]:
    """Tables side by side: row 1 a title naming the table's code in parentheses, row 2 Korean
    titles, row 3 code names, then the rows."""
    out = {}
    for cell in sheet[1]:
        if not cell.value:
            continue
        key = re.search(r"\((\w+)\)", cell.value).group(1)
        start, codes = cell.column, []
        while sheet.cell(3, start + len(codes)).value:
            codes.append(sheet.cell(3, start + len(codes)).value)
        rows, r = [], 4
        while any(sheet.cell(r, start + j).value is not None for j in range(len(codes))):
            rows.append(tuple(sheet.cell(r, start + j).value for j in range(len(codes))))
            r += 1
        out[key] = (codes, rows)
    return out


def mart_year_column(con, mart: str) -> str:
    cols = {c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE marts.{mart})").fetchall()}
    return "evaluation_year" if "evaluation_year" in cols else "year"


def expected(con, key: str, codes: list[str]) -> list[tuple]:
    select = ", ".join(f'"{c}"' for c in codes)
    if key == "goal_path":
        hidden = {"actual_value_usd", "attainment_rate"}  # beyond the year: the path only
        select = ", ".join(f'CASE WHEN year <= {YEAR} THEN "{c}" END' if c in hidden else f'"{c}"' for c in codes)
        return con.execute(f"SELECT {select} FROM marts.goal_path").fetchall()
    if key.endswith("_observed"):
        return con.execute(
            f"SELECT {select} FROM marts.{key.removesuffix('_observed')} WHERE year = ?", [YEAR - 1]
        ).fetchall()
    if key == "quarantine_by_file":
        return con.execute(
            "SELECT coalesce(source_kind, 'unrecognised'), file_name, count(*), sum(rows_in), sum(rows_accepted), "
            "sum(rows_duplicate), sum(rows_quarantined) FROM events.ingest_batches GROUP BY ALL"
        ).fetchall()
    if key == "quarantine_rows":  # the open rows, each where a person finds it in its file
        return con.execute(
            "SELECT coalesce(b.source_kind, 'unrecognised'), b.file_name, "
            "'row ' || q.source_row || coalesce(', column ' || q.source_column, '') "
            "FROM events.quarantine AS q JOIN events.ingest_batches AS b USING (batch_id) "
            "ANTI JOIN events.quarantine_resolutions AS r ON r.batch_id = q.batch_id "
            "AND r.source_row = q.source_row AND r.source_column IS NOT DISTINCT FROM q.source_column"
        ).fetchall()
    if key == "quarantine_by_reason":
        return con.execute(
            "SELECT coalesce(b.source_kind, 'unrecognised'), q.reason_code, count(*) "
            "FROM events.quarantine AS q JOIN events.ingest_batches AS b USING (batch_id) GROUP BY ALL"
        ).fetchall()
    return con.execute(f"SELECT {select} FROM marts.{key} WHERE {mart_year_column(con, key)} = ?", [YEAR]).fetchall()


def test_export_freezes_the_year_first_and_says_so(exported):
    assert f"{YEAR} is not frozen yet: freezing it first" in exported.stdout
    # the marts of the run before it are recorded as they are: no build before the freeze
    built_by = json.loads(Path(f"{exported.warehouse}.last_build.json").read_text(encoding="utf-8"))["run_id"]
    assert f"(the marts as run {built_by} built them)" in exported.stdout
    meta = json.loads((exported.folder / "meta.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(exported.warehouse), read_only=True) as con:
        freeze_id, position, checksum = con.execute(
            "SELECT freeze_id, store_position, checksum FROM events.evaluation_freezes WHERE year = ?", [YEAR]
        ).fetchall()[-1]
    assert meta["frozen_by_this_export"] is True
    assert (meta["freeze_id"], meta["store_position"], meta["mart_checksum"]) == (freeze_id, position, checksum)
    assert meta["code_version"] and meta["generated_at"]
    # the quality suites ran with the export year; their Data Docs are published beside the files
    assert meta["quality_rules"] > 20 and meta["quality_failed"] == 0
    assert meta["data_docs_index"] == "data_docs/index.html"
    docs = (exported.folder / meta["data_docs_index"]).read_text(encoding="utf-8")
    assert "result_evaluation" in docs
    assert 'href="data_docs/index.html"' in exported.report.read_text(encoding="utf-8")


def test_exporting_the_same_freeze_again_rewrites_nothing_unless_forced(exported, tmp_path):
    """Export in proportion (issue 18, item 4): the folder holds this export already."""
    folder = tmp_path / "exports" / str(YEAR)
    shutil.copytree(exported.folder, folder)
    files = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    args = ("export", "--year", str(YEAR), "--warehouse", str(exported.warehouse), "--out", str(folder.parent))
    again = cli(*args)
    assert again.returncode == 0 and "is up to date (freeze 1)" in again.stdout, again.stdout + again.stderr
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == files
    forced = cli(*args, "--force")
    assert forced.returncode == 0 and "exported 2025 from freeze 1" in forced.stdout, forced.stdout + forced.stderr
    workbook = next(folder.glob("*.xlsx"))
    assert workbook.stat().st_mtime_ns != files[workbook]
    assert workbook_values(workbook) == workbook_values(exported.workbook)


def test_every_sheet_holds_the_marts_numbers(exported):
    book = openpyxl.load_workbook(exported.workbook)
    assert book.sheetnames == SHEETS
    with duckdb.connect(str(exported.warehouse), read_only=True) as con:
        checked = []
        for name in SHEETS[:-1]:
            sheet = book[name]
            assert sheet.freeze_panes == "A4", f"{name}: the three header rows stay in view"
            for key, (codes, rows) in sheet_tables(sheet).items():
                checked.append(key)
                if key == "summary":
                    values = {
                        (code, year, centre): v
                        for code, year, centre, v in con.execute(
                            "SELECT indicator_code, year, center, value FROM marts.indicator_values "
                            "WHERE evaluation_year = ?",
                            [YEAR],
                        ).fetchall()
                    }
                    assert len(rows) == len({(c, y) for c, y, _ in values})
                    for row in rows:
                        cells = dict(zip(codes, row))
                        for centre in ("all", "hanoi", "new_delhi"):
                            want = values.get((cells["indicator_code"], cells["year"], centre))
                            assert norm(cells[f"value:{centre}"]) == norm(want), (cells["indicator_code"], centre)
                    continue
                if key == "quality_outcomes":  # every rule of every suite ran with the export year, and passed
                    outcomes = [dict(zip(codes, r)) for r in rows]
                    assert len(outcomes) > 20 and all(o["success"] is True for o in outcomes)
                    assert {o["suite"] for o in outcomes} >= {"result_evaluation", "satisfaction_evaluation"}
                    continue
                if key.startswith("quarantine_"):
                    keep = 7 if key == "quarantine_by_file" else 3
                    codes, rows = codes[:keep], [r[:keep] for r in rows]
                want = expected(con, key, codes)
                assert want, f"{name}/{key}: the marts hold rows of {YEAR}"
                assert rows_sorted(rows) == rows_sorted(want), f"{name}/{key} differs from the warehouse"
        meta = {r[1]: r[2] for r in book["메타"].iter_rows(min_row=4, values_only=True)}
        position, checksum = con.execute(
            "SELECT store_position, checksum FROM events.evaluation_freezes WHERE year = ?", [YEAR]
        ).fetchall()[-1]
    assert meta["store_position"] == str(position) and meta["mart_checksum"] == checksum
    assert meta["frozen_by_this_export"] == "True"
    expected_tables = {"summary", "result_evaluation", "indicator_values", "goal_path", "process_evaluation"}
    assert expected_tables | {"process_evaluation_observed", "tier_transitions", "cohort_retention"} <= set(checked)
    assert {"satisfaction_evaluation", "satisfaction_groups", "trade_context", "trade_growth"} <= set(checked)


def test_numbers_are_formatted_not_rounded(exported):
    book = openpyxl.load_workbook(exported.workbook)
    tables = sheet_tables(book["결과평가"])
    codes, _ = tables["result_evaluation"]
    sheet = book["결과평가"]
    money = sheet.cell(4, codes.index("export_amount_usd") + 1)
    assert money.number_format == "#,##0" and isinstance(money.value, float)
    process = book["과정평가"]
    codes, _ = sheet_tables(process)["process_evaluation"]
    assert process.cell(4, codes.index("expected_contract_probability") + 1).number_format == "0.0%"
    satisfaction = book["만족도평가"]
    codes, _ = sheet_tables(satisfaction)["satisfaction_evaluation"]
    assert satisfaction.cell(4, codes.index("score_100") + 1).number_format == "0.0"
    assert all(book[s]._charts for s in ("요약", "결과평가", "과정평가")), "native charts where a chart says more"


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (`make browser` installs it)")
def test_report_draws_every_chart_in_chromium(exported, tmp_path):
    html = exported.report.read_text(encoding="utf-8")
    charts = len(re.findall(r'<img class="chart"', html))
    assert charts == 8, "results, goal path, funnel, observed rates, tier flows, cohorts, satisfaction, trade"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "nothing is fetched: the report opens offline"
    browser = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
    ]  # fmt: skip
    dom = subprocess.run(
        [*browser, "--dump-dom", exported.report.as_uri()], capture_output=True, text=True, timeout=180
    ).stdout
    assert f'data-charts-loaded="{charts}/{charts}"' in dom, dom[-2000:]
    assert dom.count('data-loaded="yes"') == charts
    shot = tmp_path / "report.png"
    subprocess.run(
        [*browser, f"--screenshot={shot}", "--window-size=1280,2000", exported.report.as_uri()],
        capture_output=True,
        timeout=180,
    )
    assert shot.exists() and shot.stat().st_size > 50_000


def workbook_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    out = {s.title: [tuple(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets if s.title != "메타"}
    out["메타"] = [r for r in book["메타"].iter_rows(values_only=True) if r[1] not in VOLATILE_META]
    return out


def test_exporting_a_frozen_year_again_after_late_events_gives_the_same_numbers(exported, tmp_path):
    warehouse = tmp_path / "jeonbuk.duckdb"
    shutil.copy2(exported.warehouse, warehouse)
    late = tmp_path / "late" / "hanoi_2025-late.csv"
    write_csv(
        late,
        [
            consultation("HAN-2025-LATE-1", date="2025-12-20", firm_id="999-81-00001", amount="250000"),
            consultation("HAN-2025-LATE-2", date="2025-11-03", firm_id="999-81-00002", amount="90000"),
        ],
    )
    ran = cli("run", "--sources", str(late.parent), "--warehouse", str(warehouse))
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = con.execute(
            "SELECT count(*) FROM events.event_store WHERE payload->>'record_id' LIKE 'HAN-2025-LATE-%'"
        ).fetchall()[0][0]
    assert stored == 2, "the late events of 2025 are in the store"

    again = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "freezing it first" not in again.stdout
    second = tmp_path / "again" / str(YEAR)
    assert workbook_values(next(second.glob("*.xlsx"))) == workbook_values(exported.workbook)
    first_meta = json.loads((exported.folder / "meta.json").read_text(encoding="utf-8"))
    second_meta = json.loads((second / "meta.json").read_text(encoding="utf-8"))
    assert second_meta["frozen_by_this_export"] is False
    assert {k: v for k, v in first_meta.items() if k not in VOLATILE_META} == {
        k: v for k, v in second_meta.items() if k not in VOLATILE_META
    }


def test_a_frozen_year_exports_again_once_the_next_year_has_begun(exported, tmp_path):
    """January's log is in before the yearly export (or a past year is issued again): the export
    judges the frozen year's evaluation, not the live marts that now hold the new year."""
    warehouse = tmp_path / "jeonbuk.duckdb"
    shutil.copy2(exported.warehouse, warehouse)
    january = tmp_path / "next" / "center_logs" / "hanoi" / "2026" / "hanoi_2026-01.csv"
    firm = {"firm_id": "404-81-42235"}
    write_csv(
        january,
        [
            rec("HAN-2026-000001", date="2026-01-05", **firm),
            rec("HAN-2026-000002", date="2026-01-06", activity="importer_discovered", quantity="2", **firm),
            consultation("HAN-2026-000003", date="2026-01-08", importer_id="HAN-B-01348", amount="12000", **firm),
            consultation("HAN-2026-000004", date="2026-01-12", importer_id="HAN-B-01302", amount="8000", **firm),
            rec("HAN-2026-000005", date="2026-01-14", activity="difficulty_resolved", **firm),
            rec("HAN-2026-000006", date="2026-01-20", activity="contract_signed", importer_id="HAN-B-01348",
                amount="15000", **firm),
        ],
    )  # fmt: skip
    # the run's own exit is not this test's subject: the marts of 2026 are built either way
    cli("run", "--sources", str(january.parents[3]), "--warehouse", str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.result_evaluation WHERE year = ?", [YEAR + 1]).fetchone()[0]

    again = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    second = tmp_path / "again" / str(YEAR)
    assert workbook_values(next(second.glob("*.xlsx"))) == workbook_values(exported.workbook)
    first_meta = json.loads((exported.folder / "meta.json").read_text(encoding="utf-8"))
    second_meta = json.loads((second / "meta.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in first_meta.items() if k not in VOLATILE_META} == {
        k: v for k, v in second_meta.items() if k not in VOLATILE_META
    }


def test_dagster_asset_exports_a_year_partition(exported, tmp_path, monkeypatch):
    import dagster as dg

    from pipelines.assets.export import annual_export
    from pipelines.definitions import defs
    from pipelines.resources import Warehouse

    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("annual_export")).group_name == "export"
    assert str(YEAR) in annual_export.partitions_def.get_partition_keys()
    warehouse = tmp_path / "jeonbuk.duckdb"  # a file this process has not opened yet
    shutil.copy2(exported.warehouse, warehouse)
    monkeypatch.setenv("JB_EXPORTS", str(tmp_path / "exports"))
    result = dg.materialize(
        [annual_export],
        partition_key=str(YEAR),
        resources={"warehouse": Warehouse(database=str(warehouse))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    written = tmp_path / "exports" / str(YEAR)
    assert workbook_values(next(written.glob("*.xlsx"))) == workbook_values(exported.workbook)


def test_quality_outcomes_are_shown_and_failed_rules_refuse(exported, tmp_path):
    from pipelines.export.frames import KIND_TITLES
    from pipelines.export.run import ExportRefused, export_year
    from pipelines.quality import PLAUSIBILITY, QualityReport, RuleOutcome

    warehouse = tmp_path / "jeonbuk.duckdb"  # a file this process has not opened yet
    shutil.copy2(exported.warehouse, warehouse)
    passed = RuleOutcome("result_evaluation", "expect_column_values_to_not_be_null", True, "")
    failed = RuleOutcome("process_evaluation", "expect_column_values_to_be_between", False, "2 unexpected")
    warned = RuleOutcome("result_evaluation", "contracts ≤ consultations", False, "hanoi 2025", PLAUSIBILITY)
    docs = tmp_path / "docs" / "index.html"
    with pytest.raises(ExportRefused, match="expect_column_values_to_be_between"):
        report = QualityReport([passed, failed], docs)
        export_year(warehouse, YEAR, tmp_path / "refused", lambda con, y, d: report, progress=lambda _: None)
    assert not (tmp_path / "refused").exists()
    report = QualityReport([passed, warned], docs)  # a plausibility warning does not refuse
    result = export_year(warehouse, YEAR, tmp_path / "ok", lambda con, y, d: report, progress=lambda _: None)
    codes, rows = sheet_tables(openpyxl.load_workbook(result.workbook)["데이터품질"])["quality_outcomes"]
    assert [dict(zip(codes, r)) for r in rows] == [{**vars(o), "kind": KIND_TITLES[o.kind]} for o in (passed, warned)]
    assert result.meta["quality_rules"] == 2 and result.meta["quality_failed"] == 0
    assert result.meta["data_docs_index"] == str(docs)
    assert docs.as_uri() in result.report.read_text(encoding="utf-8")


def test_names_from_input_files_stay_text_through_the_whole_pipeline(bundled_run, tmp_path):
    """A survey whose file name is a formula and an HTML tag: the name is the survey's name in the
    marts, and the export writes it as a text cell and escaped HTML."""
    hostile = '=HYPERLINK("http:evil","x")<img src=x onerror=alert(1)>'
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_DIR / "sources", sources)
    header = ["타임스탬프", "기업번호", "기업단계", "[동의] 열린 수출상담회", "[중요도] 열린 수출상담회"]
    rows = [["2025. 11. 3 오후 2:10:00", f"202-81-0001{n}", "성장", "4", "3"] for n in range(3)]
    with (sources / "surveys" / "2025" / f"{hostile}.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    # the bundled run's warehouse: the run below ingests the new survey and builds on it
    home, warehouse = instance_home(tmp_path), copy_of_built(bundled_run[0], tmp_path / "w")
    env = {"DAGSTER_HOME": str(home)}
    built = cli("run", "--sources", str(sources), "--warehouse", str(warehouse), env=env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    out = tmp_path / "exports"
    exported = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stdout[-3000:] + exported.stderr[-3000:]

    book = openpyxl.load_workbook(next((out / str(YEAR)).glob("*.xlsx")))
    cells = [c for ws in book.worksheets for r in ws.iter_rows() for c in r if "HYPERLINK" in str(c.value or "")]
    assert cells, "the survey's name reached the workbook"
    # the survey's name (result sheets) and its file name (data-quality sheet): text, never a formula
    assert all(c.data_type == "s" and c.value.startswith(hostile) for c in cells), [
        (c.data_type, c.value) for c in cells
    ]
    assert any(c.value == hostile for c in cells)
    html = next((out / str(YEAR)).glob("*.html")).read_text(encoding="utf-8")
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def _whole_or_absent(folder: Path) -> bool:
    """An export folder holds a complete export (workbook, report, meta, Data Docs) or is not there."""
    if not folder.exists():
        return True
    names = {p.name for p in folder.iterdir()}
    return {f"jeonbuk_export_centres_{YEAR}.xlsx", f"jeonbuk_export_centres_{YEAR}.html", "meta.json"} <= names


def _export_killed_when(warehouse: Path, out: Path, ready, *extra: str) -> None:
    """`export --year 2025` as a user starts it, SIGKILLed as soon as `ready(out)` holds."""
    import signal
    import sys
    import time

    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("JB_", "DAGSTER_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "export", "--year", str(YEAR), "--warehouse", str(warehouse)]
        + ["--out", str(out), *extra],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not ready(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the export ended before the moment it was to be killed at"


def test_a_killed_export_never_leaves_a_half_written_folder(exported, tmp_path):
    warehouse, out = tmp_path / "jeonbuk.duckdb", tmp_path / "exports"
    shutil.copy2(exported.warehouse, warehouse)
    folder = out / str(YEAR)

    def staged(*names):
        return lambda o: any(all((p / n).exists() for n in names) for p in o.glob(f".{YEAR}.partial-*"))

    # killed after the quality suites wrote their Data Docs, then after the workbook was written
    for moment in (staged("data_docs"), staged(f"jeonbuk_export_centres_{YEAR}.xlsx")):
        _export_killed_when(warehouse, out, moment)
        assert not folder.exists()
    done = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert _whole_or_absent(folder) and folder.exists()
    first = workbook_values(next(folder.glob("*.xlsx")))
    assert first == workbook_values(exported.workbook)
    # a re-export (forced: the same one is up to date) killed midway keeps the last complete export
    # in place, byte for byte
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    _export_killed_when(warehouse, out, staged("data_docs"), "--force")
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    again = cli("export", "--year", str(YEAR), "--warehouse", str(warehouse), "--out", str(out))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert workbook_values(next(folder.glob("*.xlsx"))) == first
    assert sorted(p.name for p in out.iterdir()) == [str(YEAR)]  # no partial or old folder left behind
