"""The centre's everyday work: selections, importer discovery, difficulties, programme services,
the tier ladder, centre events and market information.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.generate.allocate import chunks, split_total, weighted_pick, workday
from pipelines.generate.firms import LADDER
from pipelines.generate.records import Desk

SHOWROOM_ITEMS = 50  # items on display per centre (report Table 3-1)
MARKET_INFO_SIGN_RATE = 0.10  # firms first given market information that sign within 12 months
SIGN_NEXT_YEAR = 0.05  # of those that do not sign this year but are supported next year, about so many do
URGENT_CASES = {2020: 30, 2021: 30, 2022: 30, 2023: 15}  # COVID-19 urgent tasks per centre

DISCOVERY_NOTES = ("바이어 리스트 송부", "유통사 DB 조사", "전시회 참가업체 조사", "온라인 B2B 플랫폼 검색")
DIFFICULTY_NOTES = {
    "hanoi": (
        "통관 서류 보완",
        "위생허가 문의",
        "라벨링 규정 안내",
        "바이어 대금 지연",
        "현지 상표등록 안내",
        "물류비 견적",
        "수입허가 문의",
    ),
    "new_delhi": (
        "통관 서류 보완",
        "FSSAI 등록 지원",
        "BIS 인증 문의",
        "바이어 대금 지연",
        "현지 상표등록 안내",
        "물류비 견적",
        "관세율 확인",
    ),
}
MARKET_NOTES = ("현지 시장동향 보고서", "HS코드 및 관세율 안내", "유통채널 조사", "경쟁제품 가격조사", "월간보고서")
URGENT_NOTES = ("바이어 대면 미팅 대행", "통관 보류 화물 현장 확인", "전시회 부스 대리 운영", "현지 계약서 전달")


def enrolments(desk: Desk) -> None:
    """Selections into programmes: March–April, or the first month of a newly opened centre."""
    cy, rng = desk.cy, desk.rng
    if cy.start.month == 1:
        first, last = date(cy.year, 3, 2), date(cy.year, 4, 30)
    else:
        first, last = cy.start + timedelta(days=2), cy.start + timedelta(days=27)
    for program, firms in cy.enrolled.items():
        for f in firms:
            day = workday(rng, first, last)
            desk.starts[f.serial] = min(desk.starts.get(f.serial, day), day)
            desk.add(
                day,
                "firm_enrolled",
                f,
                program=program,
                tier=f.tiers[cy.year],
                note=f"{cy.year}년 선정" if rng.random() < 0.2 else "",
            )


def discoveries(desk: Desk, total: int) -> None:
    """Importers discovered: the named ones of the deals, the rest in bulk rows without an id."""
    cy, rng = desk.cy, desk.rng
    named = sum(a.quantity for a in desk.acts if a.activity == "importer_discovered")
    bulk = total - named
    if bulk < 0:
        raise ValueError(f"{cy.center} {cy.year}: {named} importers named in deals, target {total}")
    if bulk == 0:
        return
    enrolled = {f.serial for firms in cy.enrolled.values() for f in firms}
    firms = [f for f in cy.firms + cy.visitors if f.serial in enrolled or rng.random() < 0.4]
    weights = [3.0 if f.serial in enrolled else 1.0 for f in firms]
    chosen = weighted_pick(rng, firms, weights, bulk)
    for i, n in zip(chosen, split_total(bulk, [weights[i] for i in chosen], minimum=1)):
        for q in chunks(n, rng, 2, 25):
            desk.add(
                desk.day(firms[i], 7),
                "importer_discovered",
                firms[i],
                quantity=q,
                program=desk.filed_under(firms[i]),
                note=rng.choice(DISCOVERY_NOTES) if rng.random() < 0.4 else "",
            )


def difficulties(desk: Desk, total: int) -> None:
    """Export difficulties resolved: one case a row, now and then a few cases together."""
    cy, rng = desk.cy, desk.rng
    enrolled = {f.serial for firms in cy.enrolled.values() for f in firms}
    firms = [f for f in cy.firms + cy.visitors if f.serial in enrolled or rng.random() < 0.7]
    chosen = weighted_pick(rng, firms, [1.0] * len(firms), total)
    per_firm = split_total(total, [2.0 if firms[i].serial in enrolled else 1.0 for i in chosen], minimum=1)
    for i, n in zip(chosen, per_firm):
        f = firms[i]
        while n > 0:
            q = 1 if rng.random() < 0.75 else min(n, rng.randint(2, 4))
            program = "consultation_center" if cy.year >= 2023 and rng.random() < 0.4 else desk.filed_under(f)
            desk.add(
                desk.day(f),
                "difficulty_resolved",
                f,
                quantity=q,
                program=program,
                channel="online" if rng.random() < 0.7 else "offline",
                note=rng.choice(DIFFICULTY_NOTES[cy.center]) if rng.random() < 0.6 else "",
            )
            n -= q


def programme_services(desk: Desk, quotas: dict[str, int]) -> None:
    """Samples, showroom items, urgent tasks, pre-tests and experience panels of selected firms."""
    cy, rng, scale = desk.cy, desk.rng, desk.scale
    met = {}  # firm serial -> importers it consulted, for samples sent after a meeting
    for a in desk.acts:
        if a.activity == "consultation_held":
            met.setdefault(a.firm.serial, []).append(a.importer)
    for f in cy.enrolled.get("sample_shipping", []):
        for _ in range(rng.randint(1, 3)):
            importer = rng.choice(met[f.serial]) if f.serial in met and rng.random() < 0.7 else None
            desk.add(
                desk.day(f, 14),
                "sample_shipped",
                f,
                program="sample_shipping",
                importer=importer,
                note=rng.choice(("EMS 발송", "샘플 통관 지원", "특송 배송비 지원")),
            )
    _spread(desk, "showroom", "showroom_item", SHOWROOM_ITEMS * scale, one_row=True)
    if cy.year in URGENT_CASES:
        _spread(desk, "urgent_tasks", "urgent_task", URGENT_CASES[cy.year] * scale, one_row=False)
    for program, note in (("product_pretest", "수입업체 샘플 평가"), ("experience_panel", "현지 체험단 운영")):
        for f in cy.enrolled.get(program, []):
            desk.add(desk.day(f, 30), program, f, program=program, note=note)


def _spread(desk: Desk, program: str, activity: str, total: int, one_row: bool) -> None:
    """`total` items or cases over the programme's firms: one row with a quantity, or one a case."""
    firms = desk.cy.enrolled.get(program, [])
    if not firms:
        return
    chosen = firms[:total]
    for f, n in zip(chosen, split_total(total, [1.0] * len(chosen), minimum=1)):
        for q in [n] if one_row else [1] * n:
            desk.add(
                desk.day(f, 5),
                activity,
                f,
                program=program,
                quantity=q,
                note=f"{n}개 품목 전시" if one_row else desk.rng.choice(URGENT_NOTES),
            )


def ladder(desk: Desk) -> None:
    """Graduations of star firms in December, and last year's graduates mentoring beginners."""
    cy, rng = desk.cy, desk.rng
    for f in cy.graduates:
        desk.add(
            workday(rng, date(cy.year, 12, 1), date(cy.year, 12, 20)),
            "firm_graduated",
            f,
            program="partner_aftercare",
            tier="star",
        )
    mentees = cy.enrolled.get(LADDER[0], [])
    for i, mentor in enumerate(cy.mentors):
        for mentee in mentees[i :: max(1, len(cy.mentors))][:2]:
            for _ in range(rng.randint(2, 3)):
                desk.add(
                    desk.day(mentee, 14), "mentoring", mentee, mentor=mentor, program=LADDER[0], channel=desk.online()
                )


def centre_events(desk: Desk) -> None:
    """Events of the centre itself, with no firm: visits, briefings, fairs, councils, open sessions."""
    cy, rng, scale = desk.cy, desk.rng, desk.scale
    months = list(range(cy.start.month, 13))
    share = len(months) / 12
    for m in months:
        for _ in range(rng.randint(1, 2) * scale):
            desk.add(
                workday(rng, date(cy.year, m, 1), _month_end(cy.year, m)),
                "showroom_visit",
                program="showroom",
                quantity=rng.randint(1, 12),
                note="바이어 방문",
            )
    events = [
        ("briefing_held", "product_briefing", 2, ("코스메틱쇼", "우수제품 시연회")),
        ("fair_supported", "export_work_support", 3, ("전북 수출상담회 바이어 모집",)),
    ]
    if cy.year >= 2023:
        events += [
            ("council_meeting", "council", 6, ("KOTRA·무역보험공사·무역협회 참석",)),
            ("open_consultation", "open_consultation", 8, ("월간 화상 상담회",)),
        ]
    for activity, program, per_year, notes in events:
        for _ in range(max(1, round(per_year * share)) * scale):
            desk.add(
                desk.day(),
                activity,
                program=program,
                note=rng.choice(notes),
                channel="online" if activity == "open_consultation" else desk.online(),
            )


def market_info(desk: Desk) -> None:
    """Market information: for most firms still looking for a market, and for every firm the
    centre has not served otherwise, so that each supported firm has at least one row in the year.

    A firm's first market information at a centre comes with the start of its year (by April).
    Firms closing deals seldom ask for it: only as many of those new to it get it as make about
    one in ten firms first informed that year sign a contract within 12 months (the panel's 10 %).
    """
    cy, rng = desk.cy, desk.rng
    enrolled = {f.serial for firms in cy.enrolled.values() for f in firms}
    served = {a.firm.serial for a in desk.acts if a.firm is not None}
    signed: dict[int, list[date]] = {}
    for a in desk.acts + desk.later:
        if a.activity == "contract_signed":
            signed.setdefault(a.firm.serial, []).append(a.day)
    firms = cy.firms + cy.visitors
    early = date(cy.year, 4, 30)
    days: dict[int, list[date]] = {}
    for f in firms:  # firms not signing: most of them
        if f.serial in signed:
            continue
        n = rng.randint(1, 2) if f.serial in enrolled else int(rng.random() < 0.45)
        n = max(n, int(f.serial not in served))
        new = f.serial not in desk.briefed
        days[f.serial] = [desk.day(f, last=early if new and i == 0 else None) for i in range(n)]
    newcomers = [f for f in firms if days.get(f.serial) and f.serial not in desk.briefed]
    # a few of them sign early next year, still within 12 months of the information
    expected = SIGN_NEXT_YEAR * sum(desk.signs_next_year(f) for f in newcomers)
    wanted = round((MARKET_INFO_SIGN_RATE * len(newcomers) - expected) / (1 - MARKET_INFO_SIGN_RATE))
    pool = [f for f in firms if f.serial in signed and f.serial not in desk.briefed]
    for f in rng.sample(pool, len(pool)):  # firms signing: only as many as are wanted
        if wanted <= 0:
            break
        day = desk.day(f, last=early)
        if any(day <= c <= day + timedelta(days=365) for c in signed[f.serial]):
            days[f.serial] = [day]
            wanted -= 1
    for f in firms:
        for day in days.get(f.serial, []):
            desk.add(
                day,
                "market_info_provided",
                f,
                program=desk.filed_under(f),
                channel="online",
                note=f"{f.product} {rng.choice(MARKET_NOTES)}" if rng.random() < 0.5 else "",
            )
            desk.briefed.add(f.serial)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
