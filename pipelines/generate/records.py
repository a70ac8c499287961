"""The true records of a centre log and the desk a centre-year is planned on.

An `Activity` is what happened (the content of one log row, without its record id); a `Desk`
collects one centre-year's activities and knows its firms, dates and random stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from pipelines.generate import names
from pipelines.generate.allocate import split_total, weights, workday
from pipelines.generate.firms import CentreYear, Firm
from pipelines.generate.seeds import fx_rates

# record ids (HAN-2022-000123) and importer ids (HAN-B-00042) start with the centre's prefix
PREFIX = {"hanoi": "HAN", "new_delhi": "NDL"}


@dataclass(slots=True)
class Importer:
    importer_id: str
    name: str


@dataclass(slots=True)
class Activity:
    """One true record of a centre log: the content of a row, without its record id."""

    center: str
    day: date
    activity: str
    firm: Firm | None = None
    program: str | None = None
    tier: str | None = None
    importer: Importer | None = None
    channel: str | None = None  # 'offline' | 'online'
    amount: float | None = None  # in `currency`
    currency: str = "USD"
    quantity: int = 1
    mentor: Firm | None = None
    note: str = ""
    staff: str = ""  # who logged it: the extra 담당자 column of some files


@dataclass
class ImporterBook:
    """A centre's importer register: ids are handed out in order of discovery."""

    center: str
    known: list[Importer] = field(default_factory=list)

    def new(self, rng: random.Random) -> Importer:
        imp = Importer(f"{PREFIX[self.center]}-B-{len(self.known) + 1:05d}", names.importer_name(rng, self.center))
        self.known.append(imp)
        return imp


@dataclass
class Desk:
    """One centre-year being planned: its firms, its random stream and the records so far."""

    cy: CentreYear
    rng: random.Random
    scale: int
    importers: ImporterBook
    # serials of the firms this centre supports next year (every year's firms are chosen before
    # any deal is made); None in the last year, when there is no next year to sign in
    staying: frozenset[int] | None = None
    acts: list[Activity] = field(default_factory=list)
    later: list[Activity] = field(default_factory=list)  # dated next year: handed to next year's desk
    briefed: set[int] = field(default_factory=set)  # serials given market information here, any year
    starts: dict[int, date] = field(default_factory=dict)  # firm serial -> day it was selected
    programs: dict[int, str] = field(default_factory=dict)  # firm serial -> main programme

    def __post_init__(self) -> None:
        for program, firms in self.cy.enrolled.items():  # ladder programmes come first
            for f in firms:
                self.programs.setdefault(f.serial, program)

    @property
    def year(self) -> int:
        return self.cy.year

    @property
    def end(self) -> date:
        return date(self.cy.year, 12, 31)

    def add(self, day: date, activity: str, firm: Firm | None = None, **fields) -> Activity:
        act = Activity(
            self.cy.center, day, activity, firm, staff=self.rng.choice(names.STAFF[self.cy.center]), **fields
        )
        (self.later if day > self.end else self.acts).append(act)
        return act

    def stays(self, firm: Firm) -> bool:
        """Whether this centre supports `firm` next year too (always, in the last year: unknown)."""
        return self.staying is None or firm.serial in self.staying

    def signs_next_year(self, firm: Firm) -> bool:
        """Whether a deal of `firm` may close next year: only if the centre still supports it then."""
        return self.staying is not None and firm.serial in self.staying

    def day(
        self, firm: Firm | None = None, lead_days: int = 0, first: date | None = None, last: date | None = None
    ) -> date:
        """A working day on which `firm` can be served: after its selection (plus a lead time)
        and `first`, before year end and, where that leaves room, before `last`."""
        start = self.starts.get(firm.serial, self.cy.start) if firm else self.cy.start
        if firm and self.year - 1 in firm.tiers:  # served last year: no need to wait for selection
            start = self.cy.start
        lo = min(max(start.toordinal() + lead_days, first.toordinal() if first else 0), self.end.toordinal())
        hi = max(lo, min(self.end.toordinal(), last.toordinal() if last else self.end.toordinal()))
        return workday(self.rng, date.fromordinal(lo), date.fromordinal(hi))

    def filed_under(self, firm: Firm) -> str | None:
        """The programme of a firm's ordinary row: staff fill in 사업 on about half of them."""
        return self.programs.get(firm.serial) if self.rng.random() < 0.5 else None

    def online(self) -> str:
        """The channel of a meeting: mostly video during COVID-19 (2020–2021)."""
        share = {2019: 0.3, 2020: 0.85, 2021: 0.8, 2022: 0.55}.get(self.year, 0.45)
        return "online" if self.rng.random() < share else "offline"


def settle_amounts(
    rows: list[Activity],
    total_cents: int,
    rng: random.Random,
    year: int,
    shares: dict[str, float],
    bias: list[float] | None = None,
    unit_cents: int = 1,
) -> None:
    """Give `rows` amounts whose USD values add up to `total_cents` to the cent.

    Amounts are multiples of `unit_cents` where the total allows (estimates are round numbers).
    `shares` says how often a row is written in another currency (e.g. VND 0.2) at the year's
    rate of the FX seed; the largest USD row absorbs their rounding, so that converting back
    gives the exact total, as the report's tables demand.
    """
    unit = unit_cents if total_cents % unit_cents == 0 else 1
    floor = min(50_000 // unit, total_cents // unit // (2 * len(rows)))  # no deal below USD 500 if it fits
    spread = weights(rng, len(rows), 1.0)
    base = bias or [1.0] * len(rows)
    units = split_total(total_cents // unit, [s * b * r.quantity for s, b, r in zip(spread, base, rows)], minimum=floor)
    for row, c in zip(rows, (u * unit for u in units)):
        draw, row.currency = rng.random(), "USD"
        for currency, share in shares.items():
            if draw < share:
                row.currency = currency
                break
            draw -= share
        row.amount = in_currency(c / 100, row.currency, year)
    anchor = max(rows, key=lambda r: (r.currency == "USD", r.amount if r.currency == "USD" else 0.0))
    anchor.currency = "USD"
    others = sum(r.amount / fx_rates()[(r.currency, year)] for r in rows if r is not anchor)
    anchor.amount = round(total_cents / 100 - others, 2)


def in_currency(usd: float, currency: str, year: int) -> float:
    """A USD value as it is written in `currency`: dong and won in round thousands, rupees whole."""
    if currency == "USD":
        return round(usd, 2)
    value = usd * fx_rates()[(currency, year)]
    return float(round(value, -3) if currency in ("VND", "KRW") else round(value))
