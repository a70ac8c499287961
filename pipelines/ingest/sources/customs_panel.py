"""Customs firm-year extracts: the Korea Customs Service's de-identified table of Jeonbuk exporters
(docs/sources.md §7), supported by the centres or not, one row per firm and year.

The firm is a pseudonym: HMAC-SHA256 of its registration number under the province's linkage key
(pipelines/linkage.py), so the extract holds no registration number and the store holds none of
it either. A later extract of the same years supersedes the earlier one, as a later K-stat
snapshot does; a firm-year missing from an extract is a year the firm did not export.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.fields import NUMBER, WHOLE, YEAR, Field, FieldSet, FieldType, choice
from pipelines.ingest.source_kind import SourceKind
from schemas.raw import row_check

EARLIEST_YEAR = 2000
SIZE_BANDS = {
    "대기업": "large",
    "중견기업": "midsize",
    "중소기업": "sme",
    "large": "large",
    "midsize": "midsize",
    "sme": "sme",
}
KSIC_SECTIONS = "ABCDEFGHIJKLMNOPQRSTU"  # 한국표준산업분류 대분류
PSEUDONYM = FieldType(
    "pseudonym",
    "VARCHAR",
    "CASE WHEN regexp_matches(lower({x}), '^[0-9a-f]{{64}}$') THEN lower({x}) END",
    "a pseudonym of 64 hexadecimal characters (HMAC-SHA256)",
)

FIELDS = FieldSet(
    (
        Field("year", "기준연도", YEAR, "Calendar year of the firm's exports (`2024`)", ("연도",), required=True),
        Field(
            "firm_pseudonym",
            "가명기업번호",
            PSEUDONYM,
            "The firm's pseudonym: HMAC-SHA256 of its registration number under the linkage key, 64 hex characters",
            ("pseudonym",),
            required=True,
        ),
        Field(
            "size_band",
            "기업규모",
            choice(SIZE_BANDS, "대기업, 중견기업 or 중소기업"),
            "Firm size: 대기업 (large), 중견기업 (midsize) or 중소기업 (sme)",
            required=True,
        ),
        Field(
            "industry",
            "업종",
            choice({c.lower(): c for c in KSIC_SECTIONS}, "a KSIC section letter A … U"),
            "Industry: the KSIC section letter (A … U)",
            ("ksic",),
            required=True,
        ),
        Field("exports_usd", "수출액", NUMBER, "The firm's exports in the year, USD", required=True),
        Field("exports_vn_usd", "베트남수출액", NUMBER, "Of which to Vietnam, USD", default="0"),
        Field("exports_in_usd", "인도수출액", NUMBER, "Of which to India, USD", default="0"),
        Field("destinations", "수출국수", WHOLE, "Number of destination countries"),
        Field("products", "수출품목수", WHOLE, "Number of HS 6-digit products exported"),
    )
)


def rules() -> list[pa.Check]:
    this_year = pd.Timestamp.today().year
    return [
        row_check(
            lambda df: df["year"].isna() | df["year"].between(EARLIEST_YEAR, this_year),
            f"기준연도/year '{{year_raw}}' is outside {EARLIEST_YEAR} … this year",
        ),
        *(
            row_check(lambda df, f=f: df[f].isna() | (df[f] >= 0), f"{FIELDS[f].label} '{{{f}_raw}}' is negative")
            for f in ("exports_usd", "exports_vn_usd", "exports_in_usd", "destinations", "products")
        ),
        row_check(
            lambda df: (
                (df["exports_vn_usd"].fillna(0) + df["exports_in_usd"].fillna(0))
                <= df["exports_usd"].fillna(0) * (1 + 1e-9) + 0.01
            ),
            "베트남수출액/exports_vn_usd + 인도수출액/exports_in_usd exceed 수출액/exports_usd '{exports_usd_raw}'",
        ),
    ]


CUSTOMS_PANEL = SourceKind(
    name="customs_panel",
    title="관세청 기업별 수출 / Customs firm-year extract",
    fields=FIELDS,
    recognise_by=("year", "firm_pseudonym", "exports_usd"),
    key=("year", "firm_pseudonym"),
    occurred_on="year",
    event_type="'customs_firm_year_recorded'",
    event_types=("customs_firm_year_recorded",),
    conflict_hint="a later extract of the same years supersedes this one",
    on_conflict="supersede",
    rules=rules,
    breakdown="year",
    record="firm_year",
    about="One event per firm and year of a customs extract (exports of a pseudonymised Jeonbuk exporter, "
    "supported by the centres or not); a later extract of the same firm-year is a new version of its stream.",
    example=(
        "기준연도,가명기업번호,기업규모,업종,수출액,베트남수출액,인도수출액,수출국수,수출품목수\n"
        "2023,3f2c0b6a1d9e84c7f5a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8,중소기업,C,125000,40000,0,3,5\n"
        "2024,3f2c0b6a1d9e84c7f5a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8,중소기업,C,210000,65000,12000,4,6\n"
        "2024,9b8a7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8b,중견기업,G,1800000,,,11,40\n"
    ),
)
