"""A frozen year survives late and corrected events and seed edits; the next year moves on.

Run the way a user runs it: `python -m pipelines run | freeze` on a checkout of the project (a
copy, so that the test can edit a seed file as the expert panel would) with the bundled sources.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import yaml
from helpers import PROJECT_DIR, cli, consultation, copy_of_built, project_checkout, write_csv

pytestmark = pytest.mark.slow

ALL_2023 = (
    "SELECT consultations, consultation_amount_usd FROM marts.result_evaluation WHERE year = 2023 AND center = 'all'"
)
MARTS = ("result_evaluation", "process_evaluation", "continuity_evaluation", "indicator_values", "tier_transitions")
MART_YML = sorted((PROJECT_DIR / "dbt_project" / "models" / "marts").rglob("*.yml"))


def following_year_columns() -> dict[str, list[str]]:
    """Columns the mart yml marks as observed a year later (meta evaluated_in: following_year)."""
    out: dict[str, list[str]] = {}
    for path in MART_YML:
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            late = [c["name"] for c in model["columns"] if c.get("meta", {}).get("evaluated_in") == "following_year"]
            out[model["name"]] = late
    return out


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The project's files as a clone has them (tracked and new, not ignored; without the bundled sources)."""
    return project_checkout(tmp_path_factory.mktemp("checkout") / "project")


def rows(warehouse: Path, mart: str, where: str, exclude=(), only=None) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE marts.{mart})").fetchall()]
        keep = [c for c in names if c not in exclude and (only is None or c in only or c in ("center", "year"))]
        query = f"SELECT {', '.join(keep)} FROM marts.{mart} WHERE {where}"
        return sorted(map(repr, con.execute(query).fetchall()))


def snapshot(warehouse: Path, year: int) -> dict[str, list]:
    """What the evaluation of `year` shows: the rows of that year, except the figures observed a
    year later (they belong to the next year's evaluation), and those figures of the year before."""
    late = following_year_columns()
    out = {}
    for mart in MARTS:
        column = "evaluation_year" if mart in ("tier_transitions", "indicator_values") else "year"
        out[mart] = rows(warehouse, mart, f"{column} = {year}", exclude=late[mart])
        if late[mart]:
            out[mart + " (observed)"] = rows(warehouse, mart, f"year = {year - 1}", only=late[mart] + ["stage_code"])
    return out


def observed(warehouse: Path, year: int) -> list[str]:
    """The process figures of `year` observed a year later."""
    late = following_year_columns()["process_evaluation"]
    return rows(warehouse, "process_evaluation", f"year = {year}", only=late + ["stage_code"])


def a_2023_consultation(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        record_id, center, firm, importer, day = con.execute(
            "SELECT source_record_id, center, firm_id, importer_id, activity_date "
            "FROM staging.stg_center_log__activity_events WHERE activity = 'consultation_held' "
            "AND year(activity_date) = 2023 AND event_type = 'activity_recorded' "
            "ORDER BY position LIMIT 1"
        ).fetchall()[0]
    return {"record_id": record_id, "center": center, "firm_id": firm, "importer_id": importer, "date": str(day)}


def test_frozen_year_survives_late_events_and_seed_edits(bundled_run, checkout, tmp_path):
    # the bundled sources run on the checkout's code (the same code, so the same warehouse)
    warehouse = copy_of_built(bundled_run[0], tmp_path)
    env = {"DAGSTER_HOME": str(checkout)}  # as make sets it: a persistent instance

    frozen = cli("freeze", "--year", "2023", "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert frozen.returncode == 0, frozen.stdout[-2000:] + frozen.stderr[-2000:]
    assert "froze 2023 as freeze 1" in frozen.stdout and "pinned reference" in frozen.stdout
    before_2023, before_2024 = snapshot(warehouse, 2023), snapshot(warehouse, 2024)
    observed_2023 = observed(warehouse, 2023)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first_2023 = con.execute(ALL_2023).fetchall()[0]
    assert all(before_2023.values()), "every mart has rows of 2023"

    # late and corrected events of 2023: a new firm's consultation and an amended consultation
    target = a_2023_consultation(warehouse)
    late = tmp_path / "late" / "hanoi_2023-late.csv"
    late.parent.mkdir()
    write_csv(
        late,
        [
            consultation("HAN-2023-LATE-1", date="2023-12-15", firm_id="999-81-00001", amount="250000"),
            consultation(
                "HAN-2023-LATE-2",
                center=target["center"],
                date=target["date"],
                firm_id=target["firm_id"],
                importer_id=target["importer_id"],
                amount="777777",
                correction="정정",
                corrects_record_id=target["record_id"],
            ),
        ],
    )
    # the expert panel raises the consultation weight from 2023 on
    weights = checkout / "dbt_project" / "seeds" / "process_stage_weights.csv"
    with weights.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow([2023, "consultation", 0.8, "test: panel decision"])

    again = cli("run", "--sources", str(late.parent), "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = con.execute(
            "SELECT count(*) FROM events.event_store WHERE payload->>'record_id' LIKE 'HAN-2023-LATE-%'"
        ).fetchall()[0][0]
        weight_2024 = con.execute(
            "SELECT expected_contract_probability FROM marts.process_evaluation "
            "WHERE year = 2024 AND center = 'all' AND stage_code = 'consultation'"
        ).fetchall()[0][0]
        weight_2023 = con.execute(
            "SELECT expected_contract_probability FROM marts.process_evaluation "
            "WHERE year = 2023 AND center = 'all' AND stage_code = 'consultation'"
        ).fetchall()[0][0]
    assert stored == 2
    assert snapshot(warehouse, 2023) == before_2023
    # the 12-month figures of 2023's opportunities are 2024's to tell, and 2024 is not frozen
    assert observed(warehouse, 2023) != observed_2023
    assert (weight_2023, weight_2024) == (0.7, 0.8)
    after_2024 = snapshot(warehouse, 2024)
    assert after_2024["process_evaluation"] != before_2024["process_evaluation"]
    # the late firm of 2023 is not supported in 2024: the 2023 → 2024 transitions see it
    assert after_2024["tier_transitions"] != before_2024["tier_transitions"]
    verified = cli("freeze", "--verify", "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert verified.returncode == 0 and "every frozen year reproduces" in verified.stdout

    # freezing again is refused unless asked for; a deliberate re-freeze takes the late events in
    refused = cli("freeze", "--year", "2023", "--warehouse", str(warehouse), cwd=checkout, env=env)
    assert refused.returncode == 1 and "2023 is frozen already" in refused.stderr
    refrozen = cli(
        "freeze", "--year", "2023", "--refreeze", "--reason", "late logs of December",
        "--warehouse", str(warehouse), cwd=checkout, env=env,
    )  # fmt: skip
    assert refrozen.returncode == 0, refrozen.stdout[-2000:] + refrozen.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        record = con.execute(
            "SELECT freeze_id, replaces_freeze_id, reason FROM events.evaluation_freezes ORDER BY freeze_id"
        ).fetchall()
        refrozen_2023 = con.execute(ALL_2023).fetchall()[0]
    assert record == [(1, None, None), (2, 1, "late logs of December")]
    # the re-frozen year now counts the late consultation (and the amended amount)
    assert refrozen_2023[0] == first_2023[0] + 1 and refrozen_2023[1] != first_2023[1]
    assert snapshot(warehouse, 2023)["process_evaluation"] != before_2023["process_evaluation"]
