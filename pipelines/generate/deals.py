"""Deals: opportunities from importer information to consultation, MOU and contract, and exports.

An opportunity is one (firm, importer) pair. Every pair planned here reaches a consultation
(that is how the yearly consultation count and amount are met exactly); MOUs, contracts and
agency referrals follow for some, and importer information without a consultation is added
for others, so that many opportunities stop early, as the process evaluation expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines.generate.allocate import chunks, split_total, weighted_pick
from pipelines.generate.firms import Firm
from pipelines.generate.records import Activity, Desk, Importer, in_currency, settle_amounts
from pipelines.generate.seeds import centres, fx_rates

CONTRACT_CHANCE = {"beginner": 0.2, "growth": 0.3, "star": 0.4}
MOU_CHANCE = 0.12
REFERRAL_CHANCE = 0.08
NAMED_DISCOVERY = 0.3  # share of an opportunity's importers logged as discovered one by one
REFERRAL_NOTES = ("K-sure 신용조사 의뢰", "KOTRA 무역관 연계", "무역협회 바이어 검증 요청")
CONSULT_NOTES = ("화상상담", "센터 상담실", "현지 바이어 방문", "가격 조건 협의", "샘플 평가 후 재상담")


@dataclass
class Opportunity:
    firm: Firm
    importer: Importer
    consultations: list[Activity] = field(default_factory=list)


def opportunities(desk: Desk, consultations: int, amount_cents: int) -> None:
    """Consultations (exact count and USD amount) with the stages before and after them."""
    rng, cy = desk.rng, desk.cy
    candidates, weights = [], []
    partners = {
        f.serial
        for p, firms in cy.enrolled.items()
        if p in ("global_partner", "partner_info", "partner_marketing", "partner_aftercare")
        for f in firms
    }
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
    for o in opps:
        _follow_up(desk, o)
    for f in (f for f in cy.firms if f.serial in partners):
        for _ in range(rng.randint(0, 2)):  # importers introduced that never reach a meeting
            desk.add(
                desk.day(f, 7),
                "importer_info_provided",
                f,
                importer=desk.importers.new(rng),
                program=desk.filed_under(f),
                channel="online",
                note="바이어 프로필 송부",
            )


def _consult(desk: Desk, firm: Firm, size: int) -> Opportunity:
    rng = desk.rng
    opp = Opportunity(firm, desk.importers.new(rng))
    first = desk.day(firm, 10)
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
        day = desk.day(firm, first=day + timedelta(days=rng.randint(7, 40)))
    return opp


def _follow_up(desk: Desk, opp: Opportunity) -> None:
    """MOU, agency referral, interpretation and contract of a consulted opportunity."""
    rng, year, firm = desk.rng, desk.year, opp.firm
    value = sum(r.amount / fx_rates()[(r.currency, year)] for r in opp.consultations)
    first, last = opp.consultations[0].day, opp.consultations[-1].day
    program = opp.consultations[0].program
    if year >= 2023:
        for r in opp.consultations:
            if r.channel == "offline" and rng.random() < 0.2:
                desk.add(
                    r.day, "interpretation", firm, importer=opp.importer, program="interpretation", channel="offline"
                )
    if rng.random() < REFERRAL_CHANCE:
        desk.add(
            desk.day(firm, first=first), "agency_referral", firm, importer=opp.importer, note=rng.choice(REFERRAL_NOTES)
        )
    if rng.random() < MOU_CHANCE and (first + timedelta(days=30)) <= desk.end:
        desk.add(
            desk.day(firm, first=first + timedelta(days=3)),
            "mou_signed",
            firm,
            importer=opp.importer,
            program=program,
            channel="offline",
            amount=float(max(1000, round(value * rng.uniform(0.5, 1.2), -2))),
        )
    signed = last + timedelta(days=rng.randint(14, 90))
    if rng.random() < CONTRACT_CHANCE[firm.tiers[year]] and signed <= desk.end - timedelta(days=3):
        usd = max(1000.0, round(value * rng.uniform(0.1, 0.6), -1))
        currency = "USD" if rng.random() < 0.85 else centres()[desk.cy.center].local_currency
        desk.add(
            desk.day(firm, first=signed),
            "contract_signed",
            firm,
            importer=opp.importer,
            program=program,
            amount=in_currency(usd, currency, year),
            currency=currency,
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
