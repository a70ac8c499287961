"""A graduation ends the tier ladder whichever side of New Year it is recorded (docs/evaluations.md, continuity).

Two star firms of 2023, each mentoring a beginner in 2024: Hanoi's graduates on 10 December 2023,
New Delhi's on 15 January 2024. Both go star → graduated from 2023 to 2024, and neither is a star,
nor on the ladder, in 2024. Run as a user runs it: `python -m pipelines run` on small centre logs.
"""

from __future__ import annotations

import pytest
from helpers import cli, consultation, instance_home, query_dicts, rec, write_csv

pytestmark = pytest.mark.slow

GRADUATES = {"hanoi": ("202-81-00011", "2023-12-10"), "new_delhi": ("301-81-00011", "2024-01-15")}
MENTEES = {"hanoi": "202-81-00022", "new_delhi": "301-81-00022"}


def centre_log(center: str) -> list[dict]:
    star, graduated_on = GRADUATES[center]
    mentee = MENTEES[center]
    key = center[:3].upper()
    return [
        rec(f"{key}-1", center=center, date="2023-03-02", activity="firm_enrolled", program="partner_aftercare",
            firm_id=star, firm_tier="star"),
        rec(f"{key}-2", center=center, date=graduated_on, activity="firm_graduated", program="partner_aftercare",
            firm_id=star, firm_tier="star"),
        rec(f"{key}-3", center=center, date="2024-02-01", activity="firm_enrolled", program="partner_info",
            firm_id=mentee, firm_tier="beginner"),
        rec(f"{key}-4", center=center, date="2024-03-05", activity="mentoring", program="partner_info",
            firm_id=mentee, mentor_firm_id=star),
        # a deal of the star year (the process marts are not empty), and an ordinary service for the
        # graduate in 2024, its selection written as a star
        consultation(f"{key}-6", center=center, date="2023-05-04", firm_id=star),
        rec(f"{key}-5", center=center, date="2024-06-03", activity="firm_enrolled", program="global_partner",
            firm_id=star, firm_tier="star"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("graduation")
    sources, warehouse = tmp / "sources", tmp / "w.duckdb"
    for center in GRADUATES:
        write_csv(sources / "center_logs" / f"{center}.csv", centre_log(center))
    out = cli(
        "run", "--sources", str(sources), "--warehouse", str(warehouse), env={"DAGSTER_HOME": str(instance_home(tmp))}
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return warehouse


def transitions(warehouse, center: str) -> list[tuple]:
    rows = query_dicts(
        warehouse,
        "SELECT from_year, from_tier, to_tier, firms FROM marts.tier_transitions WHERE center = ? ORDER BY ALL",
        [center],
    )
    return [(r["from_year"], r["from_tier"], r["to_tier"], r["firms"]) for r in rows]


def test_a_graduation_in_december_or_january_ends_the_star_year_and_leaves_no_star_behind(built):
    december, january = transitions(built, "hanoi"), transitions(built, "new_delhi")
    # the graduate leaves the ladder from 2023; the 2024 beginner is not followed into 2025 yet
    # (this run's date is after 2025, so it is: it was not supported in 2025)
    expected = [(2023, "star", "graduated", 1), (2024, "beginner", "dropped", 1)]
    assert (december, january) == (expected, expected)
    assert transitions(built, "all") == [(2023, "star", "graduated", 2), (2024, "beginner", "dropped", 2)]


def test_in_the_year_after_its_graduation_the_firm_is_supported_but_not_on_the_ladder(built):
    rows = query_dicts(
        built,
        "SELECT center, firms_supported, firms_continuing_from_prior_year, firms_advanced_tier, firms_on_ladder, "
        "firms_graduated, mentoring_links FROM marts.continuity_evaluation WHERE year = 2024 ORDER BY center",
    )
    by_centre = {r.pop("center"): r for r in rows}
    # graduate and mentee are supported; only the mentee is on the ladder. A graduation is counted
    # in the year it is dated (docs/evaluations.md), so only January's falls in 2024.
    common = {"firms_supported": 2, "firms_continuing_from_prior_year": 1, "firms_advanced_tier": 0,
              "firms_on_ladder": 1, "mentoring_links": 1}  # fmt: skip
    assert by_centre["hanoi"] == common | {"firms_graduated": 0}
    assert by_centre["new_delhi"] == common | {"firms_graduated": 1}
    assert by_centre["all"] == {k: 2 * v for k, v in common.items()} | {"firms_graduated": 1}
