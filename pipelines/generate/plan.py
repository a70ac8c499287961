"""What happens: the true activity records of every centre and year, before any noise.

`build_plan` walks the centre-years in order. Firms and programmes come from `firms`, the deals
(opportunities, consultations, contracts, exports) from `deals`, everything else from
`services`. Every year's firms are chosen first, so a desk knows which firms its centre supports
next year; a deal of such a firm may close early next year, and the desk hands that contract on
to the centre's next desk. The yearly result indicators of the plan equal the targets exactly; `totals`
recomputes them from the records themselves, so a test can hold the plan to the report.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from pipelines.generate import deals, services
from pipelines.generate.firms import CentreYear, build_years, quotas
from pipelines.generate.records import PREFIX, Activity, Desk, ImporterBook
from pipelines.generate.seeds import fx_rates
from pipelines.generate.targets import TARGETS, YearTargets, centre_split


@dataclass
class Plan:
    scale: int
    seed: int
    years: dict[tuple[str, int], CentreYear]
    activities: list[Activity]  # in date order per centre-year


def build_plan(scale: int = 1, seed: int = 2023) -> Plan:
    years = build_years({y: t.supported_firms * scale for y, t in TARGETS.items()}, seed, scale)
    books = {c: ImporterBook(c) for c in PREFIX}
    briefed: dict[str, set[int]] = {c: set() for c in PREFIX}  # firms given market information
    acts: list[Activity] = []
    carried: dict[str, list[Activity]] = {}  # centre -> deals of last year's desk closed this year
    for (center, year), cy in years.items():
        nxt = years.get((center, year + 1))
        staying = frozenset(f.serial for f in nxt.firms + nxt.visitors) if nxt else None
        rng = random.Random(f"{seed}/plan/{center}/{year}")
        desk = Desk(cy, rng, scale, books[center], staying, acts=carried.pop(center, []), briefed=briefed[center])
        kpi = {k: centre_split(v, year)[center] for k, v in asdict(TARGETS[year].scaled(scale)).items()}
        services.enrolments(desk)
        deals.opportunities(desk, kpi["consultations"], kpi["consultation_usd"] * 100)
        deals.exports(desk, kpi["export_usd"] * 100)
        services.discoveries(desk, kpi["importers_discovered"])
        services.difficulties(desk, kpi["difficulties_resolved"])
        services.programme_services(desk, quotas(year, scale))
        services.ladder(desk)
        services.centre_events(desk)
        services.market_info(desk)
        acts += sorted(desk.acts, key=lambda a: a.day)  # stable: same-day rows keep plan order
        carried[center] = desk.later
    if any(carried.values()):
        raise RuntimeError("a deal was planned to close after the last year")
    return Plan(scale, seed, years, acts)


def totals(activities: list[Activity]) -> dict[int, YearTargets]:
    """The result indicators of marts.result_evaluation, recomputed from the records
    (consultation and export amounts in whole USD)."""
    rate = fx_rates()
    firms: dict[int, set[str]] = {}
    sums: dict[int, dict[str, float]] = {}
    for a in activities:
        y = a.day.year
        s = sums.setdefault(y, dict.fromkeys(("imp", "diff", "cons", "cons_usd", "exp_usd"), 0.0))
        if a.firm is not None:
            firms.setdefault(y, set()).add(a.firm.firm_id)
        if a.activity == "importer_discovered":
            s["imp"] += a.quantity
        elif a.activity == "difficulty_resolved":
            s["diff"] += a.quantity
        elif a.activity == "consultation_held":
            s["cons"] += a.quantity
            s["cons_usd"] += a.amount / rate[(a.currency, y)]
        elif a.activity == "export_shipped":
            s["exp_usd"] += a.amount / rate[(a.currency, y)]
    return {
        y: YearTargets(
            len(firms.get(y, ())),
            int(s["imp"]),
            int(s["diff"]),
            int(s["cons"]),
            round(s["cons_usd"]),
            round(s["exp_usd"]),
        )
        for y, s in sorted(sums.items())
    }
