"""The Dagster code location: its definitions, an in-process run on a temp warehouse, the sensor."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.dbt_project import ensure_manifest

HEADER = "기록번호,센터,일자,활동,사업,기업번호,기업단계,수입업체번호,금액,통화,수량,정정구분,원기록번호\n"
ROWS = [
    "HAN-2022-000001,하노이,2022-03-05,사업선정,글로벌 파트너 사업,202-81-00011,성장,,,,,,",
    'HAN-2022-000002,하노이,2022-03-06,수출상담,,202-81-00011,,IMP-1,"1,000",USD,,,',
    'HAN-2022-000003,하노이,2022-03-07,수출상담,,2028100011,,IMP-2,"2,320,000",VND,2,,',
    "NDL-2022-000001,뉴델리,2022-04-01,수입업체발굴,,301-81-00022,,,,,12,,",
    "NDL-2022-000002,뉴델리,2022-04-02,애로해소,,301-81-00022,,,,,,,",
    "NDL-2022-000003,뉴델리,2022-04-03,애로해소,,301-81-00033,,,,,,,",
    'HAN-2022-000004,하노이,2022-03-08,수출상담,,202-81-00011,,IMP-1,"1,500",USD,,정정,HAN-2022-000002',
    "NDL-2022-000004,뉴델리,2022-04-04,,,,,,,,,취소,NDL-2022-000003",
    "HAN-2022-000005,하노이,2022-02-30,애로해소,,202-81-00011,,,,,,,",
]


@pytest.fixture(scope="module")
def defs_module():
    ensure_manifest()  # the dbt assets read the manifest when the module is imported
    from pipelines import definitions

    return definitions


@pytest.fixture
def small_sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources" / "center_logs"
    folder.mkdir(parents=True)
    (folder / "log_2022-03.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8-sig")
    return folder.parent


def run_job(defs_module, sources: Path, warehouse: Path):
    defs = defs_module.build_definitions(sources, warehouse)
    job = defs.resolve_job_def("ingest_and_build")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_definitions_show_the_flow(defs_module):
    defs = defs_module.defs
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "center_log_events",
        "intermediate/int_activities",
        "marts/process_evaluation",
        "marts/continuity_evaluation",
        "marts/result_evaluation",
        "reference/fx_rates_usd",
    } <= keys
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["center_log_events"] == "ingest"
    assert groups["staging/stg_center_log__activity_events"] == "staging"
    assert groups["intermediate/int_activities"] == "intermediate"
    assert groups["marts/result_evaluation"] == "marts"
    # the staging model reads the event store, so it depends on the ingest asset
    parents = graph.get(dg.AssetKey(["staging", "stg_center_log__activity_events"])).parent_keys
    assert dg.AssetKey("center_log_events") in parents
    # every asset that writes the warehouse shares the single-slot pool (the specs run nothing)
    for assets_def in defs.assets:
        assert isinstance(assets_def, dg.AssetSpec) or assets_def.op.pool == "warehouse"
    check_names = {c.name for c in graph.asset_check_keys}
    assert {
        "no_refused_files",
        "events_match_schema",
        "matches_pandera_schema",
        "frozen_years_reproduce",
    } <= check_names
    assert any(n.startswith("unique_combination_result_evaluation") for n in check_names)
    assert defs.resolve_sensor_def("sources_sensor") is not None
    assert groups["analyst_marts"] == "marts" and groups["annual_export"] == "export"
    # the monthly build leaves the yearly-partitioned export to its own job
    monthly = defs.resolve_job_def("ingest_and_build")
    assert dg.AssetKey("annual_export") not in monthly.asset_layer.selected_asset_keys
    assert dg.AssetKey("analyst_marts") in monthly.asset_layer.selected_asset_keys


def test_the_dbt_resource_knows_the_version_of_the_dbt_it_runs_without_running_it(defs_module):
    """dagster-dbt would run `dbt --version` before every command; ours reads the installed dbt-core,
    which must be the dbt it runs (the executable beside this Python)."""
    import subprocess

    from pipelines.assets.dbt import dbt_resource
    from pipelines.dbt_project import dbt_executable

    resource = dbt_resource()
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {resource._cli_version}" in reported
    assert resource._cli_version.major < 2  # dbt Core: dagster-dbt parses its events as such
    assert resource._initialize_dbt_core_adapter(["build"]) is None  # no adapter opened in the run's process


def test_schedules_build_monthly_and_freeze_and_export_the_past_year_in_january(defs_module):
    import datetime as dt

    defs = defs_module.defs
    monthly = defs.resolve_schedule_def("monthly_ingest_and_build")
    assert (monthly.cron_schedule, monthly.job_name, monthly.execution_timezone) == (
        "0 6 2 * *", "ingest_and_build", "Asia/Seoul"
    )  # fmt: skip
    yearly = defs.resolve_schedule_def("yearly_freeze_and_export")
    assert (yearly.cron_schedule, yearly.job_name) == ("0 7 15 1 *", "freeze_and_export")
    request = defs_module.yearly_freeze_and_export(
        dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 15, 7))
    )
    assert request.partition_key == "2025"
    assert "2025" in defs.resolve_job_def("freeze_and_export").partitions_def.get_partition_keys(
        current_time=dt.datetime(2026, 1, 15)
    )


@pytest.mark.slow
def test_in_process_run_builds_marts_on_a_temp_warehouse(defs_module, small_sources, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = run_job(defs_module, small_sources, warehouse)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"center_log_events", "marts/result_evaluation"} <= materialized
    ingest = next(
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("center_log_events")
    )
    assert ingest.metadata["rows_accepted"].value == 8
    assert ingest.metadata["rows_quarantined"].value == 1
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["no_refused_files"] and checks["events_match_schema"]
    assert all(checks.values()), [k for k, v in checks.items() if not v]
    # the analysts' copy records each mart's row count and first rows on the mart's own asset
    observed = {
        e.asset_key.to_user_string(): e.event_specific_data.asset_observation.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }
    assert observed["marts/result_evaluation"]["dagster/row_count"].value == 3  # hanoi, new_delhi, all
    assert "hanoi" in observed["marts/result_evaluation"]["preview"].value
    assert (tmp_path / "analyst.duckdb").is_file()

    con = duckdb.connect(str(warehouse), read_only=True)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT center, supported_firms, importers_discovered, difficulties_resolved, consultations,"
            " consultation_amount_usd FROM marts.result_evaluation WHERE year = 2022"
        ).fetchall()
    }
    vnd = con.execute("SELECT units_per_usd FROM reference.fx_rates_usd WHERE currency='VND' AND year=2022").fetchone()[
        0
    ]
    # the amendment replaces 1,000 by 1,500; the voided difficulty and the bad date do not count
    assert rows["hanoi"][:4] == (1, 0, 0, 3)
    assert float(rows["hanoi"][4]) == pytest.approx(1500 + 2_320_000 / vnd, abs=0.005)  # money: to the cent
    assert rows["new_delhi"][:4] == (1, 12, 1, 0)
    assert rows["all"][:4] == (2, 12, 1, 3)
    _the_run_leaves_its_mark_and_the_schedule_then_skips(defs_module, small_sources, warehouse, result)


def _the_run_leaves_its_mark_and_the_schedule_then_skips(defs_module, sources, warehouse, result):
    """Nothing new, nothing done, for the UI's runs: the run-status sensor records what a
    successful run was built from; the monthly schedule then skips until something changes."""
    from pipelines import build_state
    from pipelines.resources import SourcesFolder, Warehouse

    resources = {"sources": SourcesFolder(path=str(sources)), "warehouse": Warehouse(database=str(warehouse))}
    schedule = defs_module.defs.resolve_schedule_def("monthly_ingest_and_build")
    with dg.build_schedule_context(resources=resources) as ctx:
        assert isinstance(schedule.evaluate_tick(ctx).run_requests[0], dg.RunRequest)  # no mark yet
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_run_status_sensor_context(
        sensor_name="last_build_mark",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_success_event(),
        resources=resources,
    ) as ctx:
        defs_module.last_build_mark(ctx)
    assert build_state.last_build(warehouse).run_id == result.run_id
    with dg.build_schedule_context(resources=resources) as ctx:
        tick = schedule.evaluate_tick(ctx)
    assert not tick.run_requests and "nothing new since the last build" in tick.skip_message
    (sources / "center_logs" / "log_2022-04.csv").write_text(HEADER + ROWS[0] + "\n", encoding="utf-8")
    with dg.build_schedule_context(resources=resources) as ctx:
        assert len(schedule.evaluate_tick(ctx).run_requests) == 1


@pytest.mark.slow
def test_a_refused_file_fails_its_check_but_the_rest_loads(defs_module, small_sources, tmp_path):
    (small_sources / "notes.csv").write_text("this,is\nnot,a log\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    result = run_job(defs_module, small_sources, warehouse)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["no_refused_files"].passed
    assert "notes.csv" in checks["no_refused_files"].metadata["refused"].value
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM events.event_store").fetchone()[0] == 8
    assert con.execute("SELECT count(*) FROM marts.result_evaluation").fetchone()[0] == 3


def test_sensor_requests_a_run_only_for_new_or_changed_files(defs_module, small_sources):
    from pipelines.resources import SourcesFolder

    sensor = defs_module.defs.resolve_sensor_def("sources_sensor")
    resources = {"sources": SourcesFolder(path=str(small_sources))}
    with dg.build_sensor_context(resources=resources) as ctx:
        first = sensor(ctx)
        assert isinstance(first, dg.RunRequest)
        cursor = ctx.cursor
    assert json.loads(cursor)
    with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)
    (small_sources / "center_logs" / "log_2022-04.csv").write_text(HEADER + ROWS[0] + "\n", encoding="utf-8")
    with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
        again = sensor(ctx)
        assert isinstance(again, dg.RunRequest) and again.run_key != first.run_key
