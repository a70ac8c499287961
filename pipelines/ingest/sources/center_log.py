"""Centre activity logs: the monthly log each overseas centre keeps (docs/sources.md §1).

Everything about this kind of file is here; the framework does the rest.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.fields import BRN, DATE, NUMBER, TEXT, WHOLE, Field, FieldSet, choice, label
from pipelines.ingest.source_kind import Correction, SourceKind
from schemas.raw import row_check

EARLIEST_DATE = pd.Timestamp("2000-01-01")
MAX_AMOUNT = 1e15  # larger amounts are typing errors (and would overflow the USD decimals)

PER_ACTIVITY = "per activity"  # needed by the activities whose catalogue entry says so (_NEEDS)

FIELDS = FieldSet(
    (
        Field(
            "record_id",
            "기록번호",
            TEXT,
            "Record number, unique within a centre (e.g. `HAN-2022-000123`)",
            ("record no",),
            required=True,
            column="source_record_id",
        ),
        Field(
            "center",
            "센터",
            label("center", "a known centre"),
            "Centre: code or Korean name (§2.4)",
            ("centre",),
            required=True,
        ),
        Field(
            "date",
            "일자",
            DATE,
            "Activity date (§2.2); not before 2000-01-01, not in the future",
            ("activity date",),
            required=True,
            column="activity_date",
        ),
        Field(
            "activity",
            "활동",
            label("activity", "in the activity catalogue"),
            "Activity: code or Korean label (§2.3)",
            when="required (except 취소)",
        ),
        Field(
            "program",
            "사업",
            label("program", "a programme name"),
            "Programme: code or Korean name (§2.5)",
            ("programme",),
            when=PER_ACTIVITY,
        ),
        Field(
            "firm_id",
            "기업번호",
            BRN,
            "Registration no. (`123-45-67890`)",
            ("사업자등록번호", "business registration number"),
            when=PER_ACTIVITY,
        ),
        Field("firm_name", "기업명", TEXT, "Firm name"),
        Field(
            "firm_tier",
            "기업단계",
            label("tier", "초보/성장/스타 (beginner/growth/star)"),
            "Firm tier: 초보/성장/스타 (beginner/growth/star) (§2.4)",
            ("tier",),
            when=PER_ACTIVITY,
        ),
        Field("product", "품목", TEXT, "MTI code or product group"),
        Field("importer_id", "수입업체번호", TEXT, "Importer id assigned by the centre", when=PER_ACTIVITY),
        Field("importer_name", "수입업체명", TEXT, "Importer name"),
        Field(
            "channel",
            "방식",
            choice(
                {
                    "대면": "offline",
                    "offline": "offline",
                    "face-to-face": "offline",
                    "비대면": "online",
                    "online": "online",
                    "화상": "online",
                },
                "대면 or 비대면",
            ),
            "Channel: 대면 offline / 비대면 online (§2.4)",
        ),
        Field("amount", "금액", NUMBER, "Amount in the row's currency, ≥ 0 (`12,500.50` allowed)", when=PER_ACTIVITY),
        Field(
            "currency",
            "통화",
            label("currency", "one the project converts (USD, VND, INR, KRW)"),
            "Currency of the amount (§2.4)",
            default="'USD'",
        ),
        Field(
            "quantity",
            "수량",
            WHOLE,
            "How many, a whole number ≥ 1 (e.g. 12 importers discovered in one entry)",
            default="1",
        ),
        Field(
            "correction",
            "정정구분",
            choice(
                {"정정": "amend", "수정": "amend", "amend": "amend", "취소": "void", "void": "void", "cancel": "void"},
                "정정 or 취소",
            ),
            "Blank, 정정 (amend) or 취소 (void) (§2.7)",
        ),
        Field(
            "corrects_record_id", "원기록번호", TEXT, "The record a correction amends or voids", when="with 정정구분"
        ),
        Field("mentor_firm_id", "멘토기업번호", BRN, "Mentor firm's registration number", when=PER_ACTIVITY),
        Field("note", "비고", TEXT, "Free text", ("notes",)),
    )
)

_NEEDS = {  # activity catalogue flag -> the field an activity with that flag needs
    "needs_firm": "firm_id",
    "needs_importer": "importer_id",
    "needs_amount": "amount",
    "needs_program": "program",
    "needs_tier": "firm_tier",
    "needs_mentor": "mentor_firm_id",
}


def _is_void(df: pd.DataFrame) -> pd.Series:
    return df["correction"].eq("void").fillna(False).astype(bool)


def _needs(flag: str, field: str):
    """Rows of an activity whose catalogue entry sets `flag` must have `field` (voids excepted)."""
    return lambda df: ~(df[flag].fillna(False).astype(bool) & ~_is_void(df) & df[field].isna())


def rules() -> list[pa.Check]:
    latest = pd.Timestamp.today().normalize() + pd.Timedelta(days=1)
    checks = [
        row_check(
            lambda df: df["date"].isna() | df["date"].between(EARLIEST_DATE, latest),
            "일자/date '{date_raw}' is outside 2000-01-01 … today",
        ),
        row_check(lambda df: _is_void(df) | df["activity_raw"].notna(), "활동/activity is empty"),
        row_check(lambda df: df["amount"].isna() | (df["amount"] >= 0), "금액/amount '{amount_raw}' is negative"),
        row_check(
            lambda df: df["amount"].isna() | (df["amount"] < MAX_AMOUNT),
            "금액/amount '{amount_raw}' is implausibly large (10^15 or more)",
        ),
        row_check(
            lambda df: df["quantity"].isna() | (df["quantity"] >= 1),
            "수량/quantity '{quantity_raw}' is not a whole number of at least 1",
        ),
        row_check(
            lambda df: df["correction"].isna() | df["corrects_record_id"].notna(),
            "정정구분/correction '{correction_raw}' needs 원기록번호/corrects_record_id",
        ),
        row_check(
            lambda df: df["correction"].notna() | df["corrects_record_id"].isna(),
            "원기록번호/corrects_record_id '{corrects_record_id}' is given but 정정구분/correction is blank",
        ),
        row_check(
            lambda df: df["corrects_record_id"].isna() | (df["corrects_record_id"] != df["record_id"]),
            "원기록번호/corrects_record_id names the row itself",
        ),
    ]
    checks += [
        row_check(_needs(flag, f), f"{FIELDS[f].label} is required for activity {{activity}}")
        for flag, f in _NEEDS.items()
    ]
    return checks


CENTER_LOG = SourceKind(
    name="center_log",
    title="센터 활동기록 / Centre activity log",
    fields=FIELDS,
    recognise_by=("record_id", "center", "date", "activity"),
    key=("center", "record_id"),
    occurred_on="date",
    event_type="CASE t.correction WHEN 'amend' THEN 'activity_amended' WHEN 'void' THEN 'activity_voided' "
    "ELSE 'activity_recorded' END",
    event_types=("activity_recorded", "activity_amended", "activity_voided"),
    conflict_hint="mark a change as 정정 with 원기록번호",
    correction=Correction(mark="correction", target="corrects_record_id", label="정정/취소"),
    enrich_columns=", ".join(f"r.{flag}" for flag in _NEEDS),
    enrich_joins="LEFT JOIN activity_rules AS r ON r.activity_code = t.activity",
    rules=rules,
    breakdown="center",
    free_text=("note",),
    record="activity",
    about="One event per accepted log row: originals (activity_recorded), amendments (activity_amended) and "
    "voids (activity_voided), each correction an event of its own; which of them an evaluation sees is "
    "int_evaluation_views' business.",
    example=(
        "기록번호,센터,일자,활동,사업,기업번호,기업명,기업단계,수입업체번호,금액,통화,수량,정정구분,원기록번호\n"
        "HAN-2024-000101,하노이,2024-03-05,사업선정,글로벌파트너사업,202-81-00011,전북식품(주),초보,,,,,,\n"
        'HAN-2024-000102,하노이,2024.03.12,수출상담,,2028100011,,,IMP-0042,"12,500",USD,,,\n'
        "HAN-2024-000103,하노이,2024/3/20,수입업체발굴,,202-81-00011,,,,,,12,,\n"
        'HAN-2024-000104,하노이,2024-03-28,수출상담,,202-81-00011,,,IMP-0042,"13,000",USD,,정정,HAN-2024-000102\n'
    ),
)
