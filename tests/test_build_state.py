"""Nothing new, nothing done (issue 18, item 1): what makes a run's build stale, at its unit.
The end-to-end path (a second `run` says so and returns at once) is in test_end_to_end.py."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from helpers import consultation, ingest, rec, write_csv

from pipelines import build_state
from pipelines import warehouse as wh
from pipelines.config import analyst_path


@pytest.fixture
def built(tmp_path, monkeypatch):
    """A store of one file and the mark a successful run leaves (code: a folder of the test's own)."""
    code = tmp_path / "code"
    (code / "model.sql").parent.mkdir(parents=True)
    (code / "model.sql").write_text("select 1", encoding="utf-8")
    monkeypatch.setattr(build_state, "CODE", ((code, "**/*"),))
    sources, warehouse = tmp_path / "sources", tmp_path / "w" / "jeonbuk.duckdb"
    ingest(warehouse, write_csv(sources / "hanoi_2022-03.csv", [consultation("HAN-1")]))
    analyst_path(warehouse).write_bytes(b"marts")
    before = build_state.inputs(sources)
    build_state.record(sources, warehouse, before, "run-1")
    return sources, warehouse, code


def test_nothing_changed_is_nothing_new(built):
    sources, warehouse, _ = built
    last = build_state.nothing_new(sources, warehouse)
    assert last is not None and last.run_id == "run-1" and last.store_position == 1


def test_no_mark_or_an_unreadable_mark_builds(built):
    sources, warehouse, _ = built
    build_state.mark_path(warehouse).write_text("{not json", encoding="utf-8")
    assert build_state.nothing_new(sources, warehouse) is None
    build_state.mark_path(warehouse).unlink()
    assert build_state.nothing_new(sources, warehouse) is None


@pytest.mark.parametrize("change", ["new file", "file rewritten", "file touched", "file removed"])
def test_a_change_in_the_sources_folder_builds(built, change):
    sources, warehouse, _ = built
    log = sources / "hanoi_2022-03.csv"
    if change == "new file":
        write_csv(sources / "sub" / "hanoi_2022-04.csv", [rec("HAN-2")])
    elif change == "file rewritten":
        write_csv(log, [consultation("HAN-1"), rec("HAN-2")])
    elif change == "file touched":
        st = log.stat()
        os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    else:
        log.unlink()
    assert build_state.nothing_new(sources, warehouse) is None


def test_hidden_and_office_lock_files_are_not_sources(built):
    sources, warehouse, _ = built
    (sources / ".DS_Store").write_bytes(b"x")
    (sources / "~$hanoi_2022-03.xlsx").write_bytes(b"x")
    assert build_state.nothing_new(sources, warehouse) is not None


def test_a_change_in_the_store_by_another_command_builds(built, tmp_path):
    sources, warehouse, _ = built
    ingest(warehouse, write_csv(tmp_path / "elsewhere" / "hanoi_2022-05.csv", [rec("HAN-5")]))
    assert build_state.nothing_new(sources, warehouse) is None


def test_a_new_quarantine_row_alone_builds(built, tmp_path):
    sources, warehouse, _ = built
    ingest(warehouse, write_csv(tmp_path / "elsewhere" / "bad.csv", [rec("HAN-6", date="2022-13-45")]))
    with wh.connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT max(position) FROM events.event_store").fetchone()[0] == 1  # no new event
    assert build_state.nothing_new(sources, warehouse) is None


def test_a_change_in_the_code_or_a_seed_builds(built):
    sources, warehouse, code = built
    (code / "model.sql").write_text("select 2", encoding="utf-8")
    assert build_state.nothing_new(sources, warehouse) is None


def test_the_same_bytes_written_again_to_the_code_are_no_change(built):
    sources, warehouse, code = built
    (code / "model.sql").write_text("select 1", encoding="utf-8")  # a checkout that rewrites the file
    assert build_state.nothing_new(sources, warehouse) is not None


def test_a_missing_analysts_file_builds(built):
    sources, warehouse, _ = built
    analyst_path(warehouse).unlink()
    assert build_state.nothing_new(sources, warehouse) is None


def test_a_new_day_builds_because_the_live_view_is_evaluated_on_today(built):
    sources, _, _ = built
    today = date.today()
    assert build_state.inputs(sources, today) != build_state.inputs(sources, today + timedelta(days=1))


def test_a_file_changed_while_the_run_ran_leaves_no_mark(built, tmp_path):
    sources, warehouse, _ = built
    build_state.mark_path(warehouse).unlink()
    before = build_state.inputs(sources)
    write_csv(sources / "hanoi_2022-04.csv", [rec("HAN-2")])  # arrives after the ingest read the folder
    build_state.record(sources, warehouse, before, "run-2")
    assert build_state.last_build(warehouse) is None
    assert build_state.nothing_new(sources, warehouse) is None


def test_a_store_that_cannot_be_read_builds(tmp_path):
    sources = tmp_path / "sources"
    write_csv(sources / "hanoi_2022-03.csv", [rec("HAN-1")])
    assert build_state.nothing_new(sources, tmp_path / "none.duckdb") is None


def test_marts_a_run_just_built_are_current_for_a_freeze_until_the_store_code_or_day_changes(built, tmp_path):
    """A freeze records such marts without building them first; anything a build reads changed since, it builds."""
    _, warehouse, code = built
    today = date.today()
    assert build_state.marts_current(warehouse, today).run_id == "run-1"
    assert build_state.marts_current(warehouse, today - timedelta(days=1)) is None  # evaluated on another day
    (code / "model.sql").write_text("select 2", encoding="utf-8")
    assert build_state.marts_current(warehouse, today) is None
    (code / "model.sql").write_text("select 1", encoding="utf-8")
    assert build_state.marts_current(warehouse, today) is not None
    analyst_path(warehouse).unlink()  # the analysts' copy is not the marts
    assert build_state.marts_current(warehouse, today) is not None
    # `ingest` alone, as a user may before freezing: the new events are not in the marts
    ingest(warehouse, write_csv(tmp_path / "late" / "hanoi_2022-12.csv", [rec("HAN-12")]))
    assert build_state.marts_current(warehouse, today) is None


def test_a_mark_of_an_earlier_release_without_its_evaluation_date_is_never_current(built):
    _, warehouse, _ = built
    mark = build_state.mark_path(warehouse)
    mark.write_text(mark.read_text(encoding="utf-8").replace(f'"{date.today().isoformat()}"', '""'), encoding="utf-8")
    assert build_state.marts_current(warehouse, date.today()) is None
