"""What the files really hold: the true records plus the mess of a hand-kept log.

Every noise row is built so that, after the ingest applies corrections and sets aside what it
must, the records that count are exactly the plan's:
- amendments: a record first written wrong, then a `정정` row with its own id in a later month
  carrying the full corrected content (the correction is what counts);
- voids: an extra row (a double entry, a cancelled event) withdrawn later by a `취소` row;
- duplicates: a record re-sent unchanged at the top of the next month's file;
- conflicts: a record id re-sent with other content and no correction mark (quarantined);
- bad rows: extra rows with one defect each, about 0.3 % of a year's rows (quarantined);
- late entries: a record logged in the month after it happened (it still counts in its year).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import groupby

from pipelines.generate.layout import FileStyle
from pipelines.generate.plan import Plan
from pipelines.generate.records import PREFIX, Activity

AMEND, VOID, DUPLICATE = 0.015, 0.006, 0.01  # shares of records that get each kind of noise
LATE = 0.03
CONFLICTS_PER_YEAR = 2  # per centre, times the scale
BAD_SHARE = 0.003
DEFECTS = (
    "unknown_centre",
    "impossible_date",
    "missing_firm",
    "negative_amount",
    "unknown_activity",
    "amount_text",
    "short_firm_id",
)
FIRM_DEFECTS = {"missing_firm", "short_firm_id"}
AMOUNT_DEFECTS = {"negative_amount", "amount_text"}
# activities a hurried entry confuses with each other (all valid rows, so the mistake is stored)
MIXED_UP = {
    "consultation_held": "importer_info_provided",
    "market_info_provided": "importer_discovered",
    "difficulty_resolved": "urgent_task",
    "importer_info_provided": "market_info_provided",
}


@dataclass(slots=True, eq=False)
class Row:
    content: Activity
    kind: str  # record | amend | void | duplicate | conflict | bad
    month: int  # file index (year * 12 + month - 1)
    target: Row | None = None  # the row amended, voided, re-sent or contradicted
    defect: str | None = None  # for bad rows
    record_id: str = ""


def file_rows(plan: Plan, styles: list[FileStyle]) -> dict[FileStyle, list[Row]]:
    """The rows of every file, in file order, with record ids assigned."""
    by_key = {(s.center, s.index): s for s in styles}
    rows: dict[tuple[str, int], list[Row]] = {k: [] for k in by_key}
    for (center, year), acts in groupby(plan.activities, key=lambda a: (a.center, a.day.year)):
        rng = random.Random(f"{plan.seed}/noise/{center}/{year}")
        _centre_year(rng, list(acts), center, plan.scale, by_key, rows)
    out = {}
    for key in sorted(by_key, key=lambda k: str(by_key[k].path)):
        out[by_key[key]] = _file_order(rows[key])
    _assign_ids(out)
    return out


def _centre_year(rng, acts, center, scale, by_key, rows) -> None:
    last = max(i for c, i in by_key if c == center)

    def put(row: Row) -> Row:
        rows[(center, row.month)].append(row)
        return row

    def later(month: int) -> int:  # corrections follow one or two months after the slip
        return min(last, month + rng.randint(1, 2))

    plain: list[Row] = []
    firms = list({a.firm.serial: a.firm for a in acts if a.firm is not None}.values())
    for a in acts:
        month = _index(a.day)
        if month < last and rng.random() < LATE:
            month += 1
        draw = rng.random()
        if month < last and draw < AMEND:
            wrong = put(Row(_mistake(rng, a, firms), "record", month))
            put(Row(replace(a, note=_amend_note(a, wrong.content)), "amend", later(month), wrong))
        elif month < last and draw < AMEND + VOID:
            put(Row(a, "record", month))
            extra = put(Row(_extra(rng, a), "record", month))
            put(Row(extra.content, "void", later(month), extra))
        elif (
            month < last
            and draw < AMEND + VOID + DUPLICATE
            and by_key[(center, month)].extras == by_key[(center, month + 1)].extras
        ):
            original = put(Row(a, "record", month))
            put(Row(a, "duplicate", month + 1, original))
        else:
            plain.append(put(Row(a, "record", month)))
    for row in _sample(rng, [r for r in plain if r.month < last], CONFLICTS_PER_YEAR * scale):
        put(Row(_altered(rng, row.content), "conflict", row.month + 1, row))
    pools = {
        "firm": [r for r in plain if r.content.firm is not None],
        "amount": [r for r in plain if r.content.amount is not None],
        "any": plain,
    }
    n_bad = max(1, round(BAD_SHARE * len(acts)))
    start = rng.randrange(len(DEFECTS))
    for k in range(n_bad):
        defect = DEFECTS[(start + k) % len(DEFECTS)]
        need = "firm" if defect in FIRM_DEFECTS else "amount" if defect in AMOUNT_DEFECTS else "any"
        base = rng.choice(pools[need] or plain)
        put(Row(base.content, "bad", base.month, defect=defect))


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _sample(rng: random.Random, rows: list[Row], k: int) -> list[Row]:
    return [rows[i] for i in sorted(rng.sample(range(len(rows)), min(k, len(rows))))]


def _same_month(rng: random.Random, day: date) -> date:
    """Another day of the same month (a typo in the day, not in the month)."""
    for _ in range(10):
        other = day.replace(day=rng.randint(1, 28))
        if other != day:
            return other
    return day + timedelta(days=1) if day.day < 28 else day - timedelta(days=1)


def _mistake(rng: random.Random, a: Activity, firms: list) -> Activity:
    """The record as first written, with one slip the amendment later fixes."""
    slips = ["date"]
    if a.amount is not None:
        slips += ["amount", "currency"] if a.currency != "USD" else ["amount", "amount"]
    if a.quantity > 1:
        slips.append("quantity")
    if a.firm is not None and len(firms) > 1:
        slips.append("firm")
    if a.activity in MIXED_UP and (a.activity != "consultation_held" or a.importer):
        slips.append("activity")
    slip = rng.choice(slips)
    if slip == "amount":
        return replace(a, amount=a.amount * 10)  # one zero too many
    if slip == "currency":
        return replace(a, currency="USD")  # dong or rupees left without their currency
    if slip == "quantity":
        return replace(a, quantity=a.quantity + rng.choice((1, 10)))
    if slip == "firm":
        other = a.firm
        while other is a.firm:
            other = rng.choice(firms)
        return replace(a, firm=other)
    if slip == "activity":
        return replace(a, activity=MIXED_UP[a.activity])
    return replace(a, day=_same_month(rng, a.day))


def _amend_note(a: Activity, wrong: Activity) -> str:
    for field, note in (
        ("amount", "금액 정정"),
        ("currency", "통화 누락 정정"),
        ("quantity", "수량 정정"),
        ("firm", "기업번호 정정"),
        ("activity", "활동 구분 정정"),
        ("day", "일자 정정"),
    ):
        if getattr(a, field) != getattr(wrong, field):
            return note
    return "정정"


def _extra(rng: random.Random, a: Activity) -> Activity:
    """A row that should not have been written: the same entry twice, or an event later cancelled."""
    if a.firm is None:
        return replace(a, day=_same_month(rng, a.day), note="행사 취소")
    return a


def _altered(rng: random.Random, a: Activity) -> Activity:
    """The same record id re-sent with content changed by hand and no correction mark."""
    if a.amount is not None and rng.random() < 0.5:
        return replace(a, amount=round(a.amount * 1.1, 2))
    if rng.random() < 0.5:
        return replace(a, quantity=a.quantity + 1)
    return replace(a, day=_same_month(rng, a.day))


def _file_order(rows: list[Row]) -> list[Row]:
    """Re-sent rows first (last month's tail), then the month by date, corrections at the end."""
    head = [r for r in rows if r.kind == "duplicate"]
    body = sorted((r for r in rows if r.kind in ("record", "bad")), key=lambda r: r.content.day)
    tail = [r for r in rows if r.kind in ("amend", "void", "conflict")]
    return head + body + tail


def _assign_ids(files: dict[FileStyle, list[Row]]) -> None:
    """Ids run on per centre and year of entry; a re-sent or contradicting row reuses its target's."""
    counters: dict[tuple[str, int], int] = {}
    for style, rows in files.items():
        for row in rows:
            if row.kind in ("duplicate", "conflict"):
                row.record_id = row.target.record_id
                continue
            n = counters.get((style.center, style.year), 0) + 1
            counters[(style.center, style.year)] = n
            row.record_id = f"{PREFIX[style.center]}-{style.year}-{n:06d}"
