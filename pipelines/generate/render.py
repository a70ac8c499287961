"""The cells of one row as a person at the centre would have typed them into one file.

Labels vary from row to row the way they do in a hand-kept log (Korean name or code, aliases,
spacing, 성숙 for 스타, hyphens or not), but only in ways the ingest reads back to the same value:
a row re-sent in another month's file must mean exactly what it meant the first time. Text the
ingest stores as typed (firm, importer and product names, notes) is therefore never varied.
CSV cells are text; spreadsheet cells keep dates as dates and amounts as numbers.
"""

from __future__ import annotations

import random
from datetime import date

from pipelines.generate.firms import Firm
from pipelines.generate.layout import FileStyle
from pipelines.generate.noise import Row
from pipelines.generate.seeds import activities, centres, programs

KO_TIER = {"beginner": "초보", "growth": "성장", "star": "스타"}
KO_CHANNEL = {"offline": "대면", "online": "비대면"}
KO_CORRECTION = {"amend": "정정", "void": "취소"}
EXCEL_EPOCH = date(1899, 12, 30)
BAD_CENTRES = ("호치민", "자카르타", "뭄바이")  # centres the province plans but has not opened
BAD_ACTIVITIES = ("바이어미팅", "홍보지원", "현지출장")
BAD_AMOUNTS = ("abc", "미정", "TBD")
IMPOSSIBLE_DAYS = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))


class Renderer:
    """Turns the rows of one file into cells, with the file's habits and its own random stream."""

    def __init__(self, style: FileStyle, seed: int):
        self.style = style
        self.typed = style.fmt == "xlsx"
        self.rng = random.Random(f"{seed}/render/{style.path}")
        self.centre_name = centres()[style.center].name_ko

    def cells(self, row: Row) -> list:
        values = self._void(row) if row.kind == "void" else self._fields(row)
        if row.kind == "bad":
            self._spoil(values, row)
        out = [values.get(f) for f in self.style.fields]
        if self.style.extras:
            out.append(row.content.staff)
        return out if self.typed else ["" if v is None else str(v) for v in out]

    def _fields(self, row: Row) -> dict:
        a, rng, english = row.content, self.rng, self.style.english
        v = {
            "record_id": row.record_id,
            "center": self._centre(),
            "date": self._date(a.day),
            "activity": self._activity(a.activity),
            "note": a.note or None,
        }
        if a.program:
            v["program"] = a.program if english else program_label(rng, a.program)
        if a.firm is not None:
            v["firm_id"] = self._brn(a.firm)
            v["firm_name"] = a.firm.name
            v["product"] = a.firm.product
        if a.tier:
            v["firm_tier"] = (
                a.tier if english else "성숙" if a.tier == "star" and rng.random() < 0.15 else KO_TIER[a.tier]
            )
        if a.importer is not None:
            v["importer_id"] = a.importer.importer_id
            v["importer_name"] = a.importer.name
        if a.channel:
            v["channel"] = a.channel if english else KO_CHANNEL[a.channel]
        if a.amount is not None:
            v["amount"] = self._amount(a.amount, a.currency)
            if a.currency != "USD" or self.style.usd_written:
                v["currency"] = a.currency
        if a.quantity != 1 or rng.random() < 0.3:
            v["quantity"] = a.quantity
        if a.mentor is not None:
            v["mentor_firm_id"] = self._brn(a.mentor)
        if row.kind == "amend":
            v["correction"] = "amend" if english else KO_CORRECTION["amend"]
            v["corrects_record_id"] = row.target.record_id
        return v

    def _void(self, row: Row) -> dict:
        """A withdrawal needs only its id, centre, date and the record it withdraws."""
        a = row.content
        v = {
            "record_id": row.record_id,
            "center": self._centre(),
            "date": self._date(a.day),
            "correction": "void" if self.style.english else KO_CORRECTION["void"],
            "corrects_record_id": row.target.record_id,
            "note": a.note if a.note == "행사 취소" else "중복 입력 취소",
        }
        if self.rng.random() < 0.5:
            v["activity"] = self._activity(a.activity)
        return v

    def _spoil(self, v: dict, row: Row) -> None:
        """The one defect of a bad row, of the kinds the ingest must quarantine."""
        rng, a = self.rng, row.content
        if row.defect == "unknown_centre":
            v["center"] = rng.choice(BAD_CENTRES)
        elif row.defect == "impossible_date":
            month, day = rng.choice(IMPOSSIBLE_DAYS)
            v["date"] = self._date_text(self.style.year, month, day)
        elif row.defect == "missing_firm":
            v["firm_id"] = None
        elif row.defect == "negative_amount":  # a refund typed as a minus amount
            v["amount"] = -a.amount if self.typed else f"-{self._amount_text(a.amount, a.currency)}"
        elif row.defect == "unknown_activity":
            v["activity"] = rng.choice(BAD_ACTIVITIES)
        elif row.defect == "amount_text":
            v["amount"] = rng.choice(BAD_AMOUNTS)
        elif row.defect == "short_firm_id":
            digits = a.firm.firm_id.replace("-", "")
            cut = rng.randrange(10)
            v["firm_id"] = digits[:cut] + digits[cut + 1 :]  # a digit lost while typing

    def _centre(self) -> str:
        as_code = self.style.centre_as_code != (self.rng.random() < 0.02)
        return self.style.center if as_code else self.centre_name

    def _activity(self, code: str) -> str:
        if self.style.english:
            return code
        d = activities()[code]
        draw = self.rng.random()
        if draw < 0.08 and d.aliases:
            return self.rng.choice(d.aliases)
        return code if draw > 0.98 else d.label_ko

    def _brn(self, firm: Firm) -> str:
        return firm.firm_id if self.rng.random() < 0.9 else firm.firm_id.replace("-", "")

    def _date(self, day: date):
        if self.typed:
            return day
        draw = self.rng.random()
        if draw < 0.004:  # a cell Excel saved as its serial day number
            return str((day - EXCEL_EPOCH).days)
        return self._date_text(day.year, day.month, day.day, other_style=draw > 0.97)

    def _date_text(self, year: int, month: int, day: int, other_style: bool = False) -> str:
        style = self.style.date_style
        if other_style:
            style = self.rng.choice([s for s in ("iso", "dot", "slash") if s != style])
        if style == "slash":
            return f"{year}/{month}/{day}"
        sep = "-" if style == "iso" else "."
        return f"{year}{sep}{month:02d}{sep}{day:02d}"

    def _amount(self, amount: float, currency: str):
        if self.typed:
            return int(amount) if amount.is_integer() else amount
        return self._amount_text(amount, currency)

    def _amount_text(self, amount: float, currency: str) -> str:
        whole = amount.is_integer() and (currency in ("VND", "KRW", "INR") or self.rng.random() < 0.5)
        spec = (",." if self.style.thousands else ".") + ("0f" if whole else "2f")
        return format(amount, spec)


def program_label(rng: random.Random, code: str) -> str:
    """A programme as staff write it: official name, a short alias, spacing and dots varied,
    운영 ('operation') dropped or added, now and then the code."""
    p = programs()[code]
    draw = rng.random()
    if draw < 0.04:
        return code
    if draw < 0.12 and p.aliases:
        return rng.choice(p.aliases)
    name = p.name_ko
    if draw < 0.22:
        name = name.replace(" ", "")
    elif draw < 0.3:
        name = name.replace("･", rng.choice("·ㆍ"))
    if name.endswith("운영") and rng.random() < 0.3:
        name = name[:-2].rstrip()
    elif not name.endswith("운영") and rng.random() < 0.05:
        name += " 운영"
    return name
