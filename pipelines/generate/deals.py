"""Deals: opportunities from importer information to consultation, MOU and contract, and exports.

An opportunity is one (firm, importer) pair. The consulted ones meet the yearly consultation
count and amount exactly. What follows them is dealt out so that the process evaluation finds
contract rates (a contract within 12 months of reaching a stage) close to the expert panel's
probabilities (process_stage_weights.csv), and few continuity gaps:
- about 70 % of the consulted deals sign, some early the next year;
- MOUs and partner-agency referrals mark weaker deals: 30 % of those sign;
- importer information that never reaches a meeting is added until 40 % of the deals that got
  importer information sign;
- a firm the centre will not support next year starts its deals by early autumn and nearly all
  of them close in the year; the few left open are the continuity gaps the report names.
Outcomes are dealt by count (k of n sign), not drawn one by one, so every centre-year is close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines.generate.allocate import chunks, pick, split_total, weighted_pick, workday
from pipelines.generate.firms import Firm
from pipelines.generate.records import Activity, Desk, Importer, in_currency, settle_amounts
from pipelines.generate.seeds import centres, fx_rates

SIGN_RATE = 0.70  # consulted deals that sign within 12 months (the panel's 70 %)
WEAK_SIGN_RATE = 0.30  # deals with an MOU or a partner-agency referral (the panel's 30 %)
INFO_SIGN_RATE = 0.40  # deals that got importer information (the panel's 40 %)
MOU_SHARE = 0.18  # consulted deals of firms supported next year that get an MOU ...
REFERRAL_SHARE = 0.12  # ... or a partner-agency referral instead
LEFT_OPEN = 0.12  # deals of firms not supported next year still open at year end
LEAVING_DEADLINE = 110  # days before year end by which a leaving firm's deal starts
PARTNERS = ("global_partner", "partner_info", "partner_marketing", "partner_aftercare")
NAMED_DISCOVERY = 0.3  # share of an opportunity's importers logged as discovered one by one
REFERRAL_NOTES = ("K-sure 신용조사 의뢰", "KOTRA 무역관 연계", "무역협회 바이어 검증 요청")
CONSULT_NOTES = ("화상상담", "센터 상담실", "현지 바이어 방문", "가격 조건 협의", "샘플 평가 후 재상담")


@dataclass
class Opportunity:
    firm: Firm
    importer: Importer
    informed: bool = False  # importer information before the first meeting
    consultations: list[Activity] = field(default_factory=list)
    weak: str | None = None  # 'mou_signed' or 'agency_referral'
    signs: bool = False


def opportunities(desk: Desk, consultations: int, amount_cents: int) -> None:
    """Consultations (exact count and USD amount) with the stages before and after them."""
    rng, cy = desk.rng, desk.cy
    candidates, weights = [], []
    partners = {f.serial for p, firms in cy.enrolled.items() if p in PARTNERS for f in firms}
    fair = {f.serial for f in cy.enrolled.get("export_work_support", [])}
    for f in cy.firms + cy.visitors:
        w = 3.0 if f.serial in partners else 1.5 if f.serial in fair else 1.0 if rng.random() < 0.15 else 0
        if w:
            candidates.append(f)
            weights.append(w)
    chosen = weighted_pick(rng, candidates, weights, consultations)
    per_firm = split_total(consultations, [weights[i] for i in chosen], minimum=1)
    opps: list[Opportunity] = []
    for i, n in zip(chosen, per_firm):
        for size in chunks(n, rng, 1, 3):
            opps.append(_consult(desk, candidates[i], size))
    rows = [row for o in opps for row in o.consultations]
    local = centres()[cy.center].local_currency
    settle_amounts(rows, amount_cents, rng, desk.year, {local: 0.2, "KRW": 0.02}, unit_cents=10_000)
    _deal_out(desk, opps)
    for o in opps:
        _follow_up(desk, o)
    _importer_info_only(desk, opps, partners)


def _consult(desk: Desk, firm: Firm, size: int) -> Opportunity:
    rng = desk.rng
    opp = Opportunity(firm, desk.importers.new(rng))
    deadline = None if desk.stays(firm) else desk.end - timedelta(days=LEAVING_DEADLINE)
    first = desk.day(firm, 10, last=deadline)
    if rng.random() < 0.85:
        info_day = max(desk.day(firm), first - timedelta(days=rng.randint(5, 40)))
        info_day = min(info_day, first)
        if rng.random() < NAMED_DISCOVERY:
            desk.add(info_day, "importer_discovered", firm, importer=opp.importer, program=desk.filed_under(firm))
        desk.add(
            info_day,
            "importer_info_provided",
            firm,
            importer=opp.importer,
            program=desk.filed_under(firm),
            channel="online",
        )
        opp.informed = True
    day = first
    program = desk.filed_under(firm)
    while size > 0:
        q = 2 if size >= 2 and rng.random() < 0.05 else 1  # two sessions logged as one row
        row = desk.add(
            day,
            "consultation_held",
            firm,
            importer=opp.importer,
            program=program,
            channel=desk.online(),
            quantity=q,
            note=f"{q}회 상담" if q > 1 else rng.choice(CONSULT_NOTES) if rng.random() < 0.3 else "",
        )
        opp.consultations.append(row)
        size -= q
        day = desk.day(firm, first=day + timedelta(days=7), last=day + timedelta(days=40))
    return opp


def _deal_out(desk: Desk, opps: list[Opportunity]) -> None:
    """Which consulted deals get an MOU or a referral (weaker deals), and which sign."""
    rng = desk.rng
    staying = [o for o in opps if desk.stays(o.firm)]
    leaving = [o for o in opps if not desk.stays(o.firm)]
    for o in staying:
        draw = rng.random()
        o.weak = "mou_signed" if draw < MOU_SHARE else "agency_referral" if draw < MOU_SHARE + REFERRAL_SHARE else None
    for weak in ("mou_signed", "agency_referral"):
        group = [o for o in staying if o.weak == weak]
        _sign(rng, group, round(WEAK_SIGN_RATE * len(group)))
    if leaving:
        _sign(rng, leaving, len(leaving) - max(1, round(LEFT_OPEN * len(leaving))))
    _sign(rng, [o for o in staying if o.weak is None], round(SIGN_RATE * len(opps)) - sum(o.signs for o in opps))


def _sign(rng, opps: list[Opportunity], k: int) -> None:
    for o in pick(rng, opps, k):
        o.signs = True


def _follow_up(desk: Desk, opp: Opportunity) -> None:
    """Interpretation, MOU or agency referral, and the contract of a consulted opportunity."""
    rng, year, firm = desk.rng, desk.year, opp.firm
    value = sum(r.amount / fx_rates()[(r.currency, year)] for r in opp.consultations)
    first, latest = opp.consultations[0].day, opp.consultations[-1].day
    program = opp.consultations[0].program
    if year >= 2023:
        for r in opp.consultations:
            if r.channel == "offline" and rng.random() < 0.2:
                desk.add(
                    r.day, "interpretation", firm, importer=opp.importer, program="interpretation", channel="offline"
                )
    if opp.weak == "agency_referral":
        day = desk.day(firm, first=first, last=first + timedelta(days=30))
        desk.add(day, "agency_referral", firm, importer=opp.importer, note=rng.choice(REFERRAL_NOTES))
        latest = max(latest, day)
    elif opp.weak == "mou_signed":
        day = desk.day(firm, first=first + timedelta(days=3), last=first + timedelta(days=45))
        desk.add(
            day,
            "mou_signed",
            firm,
            importer=opp.importer,
            program=program,
            channel="offline",
            amount=float(max(1000, round(value * rng.uniform(0.5, 1.2), -2))),
        )
        latest = max(latest, day)
    if opp.signs:
        _contract(desk, opp, value, program, latest)


def _contract(desk: Desk, opp: Opportunity, value: float, program: str | None, after: date) -> None:
    """A contract two weeks to three months after the deal's last step: next year's first months
    if the centre still supports the firm then, else by year end."""
    rng, firm = desk.rng, opp.firm
    lo, hi = after + timedelta(days=14), after + timedelta(days=90)
    day = workday(rng, lo, hi) if desk.signs_next_year(firm) else desk.day(firm, first=lo, last=hi)
    usd = max(1000.0, round(value * rng.uniform(0.1, 0.6), -1))
    currency = "USD" if rng.random() < 0.85 else centres()[desk.cy.center].local_currency
    desk.add(
        day,
        "contract_signed",
        firm,
        importer=opp.importer,
        program=program,
        amount=in_currency(usd, currency, day.year),
        currency=currency,
    )


def _importer_info_only(desk: Desk, opps: list[Opportunity], partners: set[int]) -> None:
    """Importers introduced that never reach a meeting, mostly to the ladder's information-specialised
    beginners and other partners: as many as bring the deals with importer information to 40 %."""
    rng, cy = desk.rng, desk.cy
    informed = [o for o in opps if o.informed]
    extra = round(sum(o.signs for o in informed) / INFO_SIGN_RATE) - len(informed)
    beginners = {f.serial for f in cy.enrolled.get("partner_info", [])}
    firms = cy.firms + cy.visitors
    weights = [3.0 if f.serial in beginners else 2.0 if f.serial in partners else 0.3 for f in firms]
    for f in sorted(rng.choices(firms, weights, k=max(0, extra)), key=lambda f: f.serial):
        desk.add(
            desk.day(f, 7),
            "importer_info_provided",
            f,
            importer=desk.importers.new(rng),
            program=desk.filed_under(f),
            channel="online",
            note="바이어 프로필 송부",
        )


def exports(desk: Desk, amount_cents: int) -> None:
    """Exports the firms report through JBBA: mostly firms with a contract, some regular exporters."""
    rng, year = desk.rng, desk.year
    signed: dict[int, tuple[Firm, float, date]] = {}
    for a in desk.acts:
        if a.activity == "contract_signed":
            f, usd, latest = signed.get(a.firm.serial, (a.firm, 0.0, a.day))
            signed[a.firm.serial] = (f, usd + a.amount / fx_rates()[(a.currency, year)], max(latest, a.day))
    typical = sorted(v[1] for v in signed.values())[len(signed) // 2] if signed else 30_000.0
    regular = [
        (f, typical, None)
        for f in desk.cy.firms
        if f.serial not in signed and f.tiers[year] != "beginner" and rng.random() < 0.25
    ]
    exporters = list(signed.values()) + regular or [(f, typical, None) for f in desk.cy.firms[:3]]
    rows, bias = [], []
    for firm, usd, after in exporters:
        n = 1 if usd < typical else rng.randint(1, 3)
        for _ in range(n):
            first = after + timedelta(days=14) if after else None
            rows.append(desk.add(desk.day(firm, 60, first), "export_shipped", firm, program=desk.filed_under(firm)))
            bias.append(usd / n)
    settle_amounts(rows, amount_cents, rng, year, {"KRW": 0.12}, bias)
