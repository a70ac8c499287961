"""Which firms each centre supports each year, at which tier, in which programmes.

Firms are the thread that ties the years together: a firm keeps its registration number, name,
product and home centre; about half of a year's firms come back the next year; from 2023 the
tier ladder moves beginners (partner_info) to growth (partner_marketing) to star
(partner_aftercare) one step a year, with drop-outs, and star firms graduate and mentor.
A graduate leaves the ladder for good: it is never selected into a ladder programme again (so it
graduates once), though it may still be supported in the ordinary programmes.
The number of firms supported each year is exactly the yearly target.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from pipelines.generate import names
from pipelines.generate.allocate import pick
from pipelines.generate.seeds import centres
from pipelines.generate.targets import FIRST_YEAR, LAST_YEAR, centre_split

CENTRES = ("hanoi", "new_delhi")
LADDER = ("partner_info", "partner_marketing", "partner_aftercare")
LADDER_TIER = dict(zip(LADDER, ("beginner", "growth", "star")))
TIERS = ("beginner", "growth", "star")

RETAIN_PARTNER = 0.6  # global-partner firms often apply again
RETAIN_OTHER = 0.42
LADDER_STEP = 0.75  # share of ladder firms selected for the next rung
GRADUATE = 0.7  # share of partner_aftercare firms that graduate in December, once and for good
TIER_STEP = 0.15  # yearly chance that a firm outside the ladder grows a tier
VISIT_OTHER_CENTRE = 0.04


@dataclass(eq=False, slots=True)
class Firm:
    serial: int  # creation order: a stable key that never depends on memory or hashing
    firm_id: str
    name: str
    group: str
    product: str
    home: str
    tiers: dict[int, str] = field(default_factory=dict)  # year -> tier while supported


@dataclass(slots=True)
class CentreYear:
    center: str
    year: int
    start: date  # first working day of the centre that year (opening, else 1 January)
    firms: list[Firm]  # home firms supported this year
    visitors: list[Firm] = field(default_factory=list)  # other centre's firms also served here
    enrolled: dict[str, list[Firm]] = field(default_factory=dict)  # programme -> firms selected
    graduates: list[Firm] = field(default_factory=list)  # leave partner_aftercare in December
    mentors: list[Firm] = field(default_factory=list)  # last year's graduates, mentoring newcomers


@dataclass
class _Carry:
    """What one year hands to the next."""

    active: list[Firm] = field(default_factory=list)
    ladder: dict[int, str] = field(default_factory=dict)  # serial -> ladder programme
    partners: set[int] = field(default_factory=set)  # serials in global_partner
    graduated: set[int] = field(default_factory=set)  # serials that have graduated, in any year so far


def quotas(year: int, scale: int) -> dict[str, int]:
    """Firms selected per centre and programme; the ladder programmes exist from 2023."""
    q = {
        "global_partner": 25 if year < 2023 else 20,
        "sample_shipping": 20,
        "showroom": 20,
        "product_briefing": 8,
        "export_work_support": 15,
    }
    if 2020 <= year <= 2023:  # the COVID-19 urgent-task programme
        q["urgent_tasks"] = 15 if year < 2023 else 8
    if year >= 2023:
        q.update(partner_info=12, partner_marketing=10, partner_aftercare=8, product_pretest=3, experience_panel=3)
    return {k: v * scale for k, v in q.items()}


def open_centres(year: int) -> list[str]:
    return [c for c in CENTRES if centres()[c].opened_on.year <= year]


def build_years(firm_targets: dict[int, int], seed: int, scale: int) -> dict[tuple[str, int], CentreYear]:
    """(centre, year) -> who is supported, for every year the centres are open."""
    used_ids: set[str] = set()
    out: dict[tuple[str, int], CentreYear] = {}
    carry = _Carry()
    serials = iter(range(10**9))
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        rng = random.Random(f"{seed}/firms/{year}")
        climbing = {}
        for f in carry.active:
            step = _ladder_next(rng, carry.ladder.get(f.serial))
            if step:
                climbing[f.serial] = step
        continuing = _continuing(rng, carry, climbing, firm_targets[year])
        new = _new_firms(rng, year, firm_targets[year], continuing, used_ids, serials)
        for f in continuing:
            _grow_tier(rng, f, year)
        active = continuing + new
        nxt = _Carry(active, graduated=set(carry.graduated))
        for center in open_centres(year):
            cy = CentreYear(
                center,
                year,
                max(date(year, 1, 1), centres()[center].opened_on),
                [f for f in active if f.home == center],
            )
            _enrol(rng, cy, {f.serial for f in new}, climbing, carry, nxt, scale)
            last = out.get((center, year - 1))
            cy.mentors = list(last.graduates) if last else []
            out[(center, year)] = cy
        _visitors(rng, year, out)
        carry = nxt
    return out


def _ladder_next(rng: random.Random, last: str | None) -> str | None:
    """The ladder programme a firm moves to next year, or None when it leaves the ladder."""
    if last in ("partner_info", "partner_marketing") and rng.random() < LADDER_STEP:
        return LADDER[LADDER.index(last) + 1]
    return None  # partner_aftercare ends in graduation or a return to the ordinary programmes


def _continuing(rng, carry: _Carry, climbing: dict[int, str], target: int) -> list[Firm]:
    """Last year's firms supported again: every climber, and a share of the others."""
    retained = [
        f
        for f in carry.active
        if f.serial not in climbing and rng.random() < (RETAIN_PARTNER if f.serial in carry.partners else RETAIN_OTHER)
    ]
    keep = set(climbing) | {f.serial for f in pick(rng, retained, target - len(climbing))}
    return [f for f in carry.active if f.serial in keep]


def _new_firms(rng, year, target, continuing, used_ids, serials) -> list[Firm]:
    """Newcomers, each given a home centre so that the centres keep their yearly shares."""
    wanted = centre_split(target, year)
    need = target - len(continuing)
    opened = open_centres(year)
    homes: list[str] = []
    for c in opened[:-1]:
        have = sum(f.home == c for f in continuing)
        homes += [c] * max(0, min(need - len(homes), wanted[c] - have))
    homes += [opened[-1]] * (need - len(homes))
    firms = []
    for home in homes:
        group = names.product_group(rng, home)
        firm = Firm(
            next(serials),
            names.new_brn(rng, used_ids),
            names.firm_name(rng, group),
            group,
            names.product(rng, group),
            home,
        )
        firm.tiers[year] = rng.choices(TIERS, weights=(50, 35, 15))[0]
        firms.append(firm)
    return firms


def _grow_tier(rng, firm: Firm, year: int) -> None:
    tier = firm.tiers[max(firm.tiers)]
    if tier != "star" and rng.random() < TIER_STEP:
        tier = TIERS[TIERS.index(tier) + 1]
    firm.tiers[year] = tier


def _enrol(
    rng, cy: CentreYear, new: set[int], climbing: dict[int, str], carry: _Carry, nxt: _Carry, scale: int
) -> None:
    """Select the centre-year's firms into programmes, the ladder first (it has prior claims)."""
    on_ladder = _enrol_ladder(rng, cy, new, climbing, carry, nxt, scale) if cy.year >= 2023 else set()
    off_ladder = [f for f in cy.firms if f.serial not in on_ladder]
    for program, k in quotas(cy.year, scale).items():
        if program in LADDER:
            continue
        if program == "global_partner":  # last year's partners are selected again first
            chosen = pick(rng, [f for f in off_ladder if f.serial in carry.partners], k)
            chosen += pick(rng, [f for f in off_ladder if f.serial not in carry.partners], k - len(chosen))
            nxt.partners.update(f.serial for f in chosen)
        elif program in ("product_pretest", "experience_panel"):
            chosen = pick(rng, off_ladder, k)
        else:
            chosen = pick(rng, cy.firms, k)
        cy.enrolled[program] = chosen


def _enrol_ladder(
    rng, cy: CentreYear, new: set[int], climbing: dict[int, str], carry: _Carry, nxt: _Carry, scale: int
) -> set[int]:
    """Fill the rungs: last year's climbers first, then firms of the rung's tier that have not
    graduated; returns the serials placed on the ladder. Graduates are recorded in `nxt`."""
    q = quotas(cy.year, scale)
    year = cy.year
    on_ladder: set[int] = set()
    for program in reversed(LADDER):  # top rung first, so a firm is placed on one rung only
        tier = LADDER_TIER[program]
        climbers = [f for f in cy.firms if climbing.get(f.serial) == program]
        free = [
            f
            for f in cy.firms
            if f.serial not in on_ladder and f.serial not in climbing and f.serial not in carry.graduated
        ]
        if program == "partner_info":  # the ladder is for beginners, newcomers first
            pool = [f for f in free if f.tiers[year] == tier]
            pool.sort(key=lambda f: f.serial not in new)
            extra = pool[: max(0, q[program] - len(climbers))]
        else:
            extra = pick(
                rng, [f for f in free if f.tiers[year] == tier and f.serial not in new], q[program] - len(climbers)
            )
        chosen = climbers + extra
        for f in chosen:
            f.tiers[year] = tier
            on_ladder.add(f.serial)
            nxt.ladder[f.serial] = program
        cy.enrolled[program] = chosen
    cy.graduates = [f for f in cy.enrolled["partner_aftercare"] if rng.random() < GRADUATE]
    nxt.graduated.update(f.serial for f in cy.graduates)
    return on_ladder


def _visitors(rng, year: int, out: dict) -> None:
    """A few firms of one centre also ask the other centre for help that year."""
    opened = open_centres(year)
    if len(opened) < 2:
        return
    for i, center in enumerate(opened):
        other = opened[(i + 1) % len(opened)]
        for f in out[(center, year)].firms:
            if rng.random() < VISIT_OTHER_CENTRE:
                out[(other, year)].visitors.append(f)
