"""Pandera schema for the rows of a centre activity log, after text has been typed.

The parser (pipelines/ingest/center_log.py) turns every cell into a typed value or NULL and
keeps the cell's text beside it (`*_raw`). This schema decides which rows are acceptable. Every
check's `error` is a reason a person understands; `{name}` fields in it are filled from the
failing row, so a quarantine reason quotes what was actually written in the file.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

EARLIEST_DATE = pd.Timestamp("2000-01-01")
MAX_AMOUNT = 1e15  # larger amounts are typing errors (and would overflow the USD decimals)


# The parser turns blank cells into NULL, so "given" is simply "not null".
def _blank(s: pd.Series) -> pd.Series:
    return s.isna()


def _given(s: pd.Series) -> pd.Series:
    return s.notna()


def _is_void(df: pd.DataFrame) -> pd.Series:
    return df["correction"].eq("void").fillna(False).astype(bool)


def _row_check(fn, error: str) -> pa.Check:
    """A check over whole rows: `fn(df)` is True where the row is acceptable."""
    # ignore_na=False: the checks handle NULLs themselves, and pandera's NA pass over the
    # whole frame per check would cost more than the checks.
    return pa.Check(lambda df: fn(df).fillna(True).astype(bool), error=error, ignore_na=False)


def _needs(flag: str, field: str):
    """Rows of an activity whose catalogue entry sets `flag` must have `field` (voids excepted)."""
    return lambda df: ~(df[flag].fillna(False).astype(bool) & ~_is_void(df) & _blank(df[field]))


def _unparsed(field: str):
    """Where the cell has text, the typed value must exist: text that did not parse fails."""
    return lambda df: ~(_given(df[f"{field}_raw"]) & _blank(df[field]))


def center_log_rows(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    latest = (today or pd.Timestamp.today().normalize()) + pd.Timedelta(days=1)
    not_void = lambda df: ~_is_void(df)  # noqa: E731 - a small predicate reads best inline
    checks = [
        _row_check(lambda df: _given(df["record_id"]), "기록번호/record_id is empty"),
        _row_check(lambda df: df["center"].notna(),
                   "센터/center '{center_raw}' is empty or not a known centre"),
        _row_check(lambda df: df["occurred_on"].notna(),
                   "일자/date '{date_raw}' is empty or not a date "
                   "(write 2022-03-05, 2022.03.05, 2022/3/5 or an Excel date)"),
        _row_check(lambda df: df["occurred_on"].isna()
                   | df["occurred_on"].between(EARLIEST_DATE, latest),
                   "일자/date '{date_raw}' is outside 2000-01-01 … today"),
        _row_check(lambda df: ~not_void(df) | df["activity"].notna(),
                   "활동/activity '{activity_raw}' is empty or not in the activity catalogue"),
        _row_check(_unparsed("program"), "사업/program '{program_raw}' matches no programme name"),
        _row_check(_unparsed("firm_tier"),
                   "기업단계/firm_tier '{firm_tier_raw}' is not 초보/성장/스타 (beginner/growth/star)"),
        _row_check(_unparsed("firm_id"),
                   "기업번호/firm_id '{firm_id_raw}' is not a 10-digit business registration number"),
        _row_check(_unparsed("mentor_firm_id"),
                   "멘토기업번호/mentor_firm_id '{mentor_firm_id_raw}' is not a 10-digit business "
                   "registration number"),
        _row_check(_unparsed("channel"), "방식/channel '{channel_raw}' is not 대면 or 비대면"),
        _row_check(_unparsed("amount"), "금액/amount '{amount_raw}' is not a number"),
        _row_check(lambda df: df["amount"].isna() | (df["amount"] >= 0),
                   "금액/amount '{amount_raw}' is negative"),
        _row_check(lambda df: df["amount"].isna() | (df["amount"] < MAX_AMOUNT),
                   "금액/amount '{amount_raw}' is implausibly large (10^15 or more)"),
        _row_check(lambda df: df["currency"].notna(),
                   "통화/currency '{currency_raw}' is not one the project converts (USD, VND, INR, KRW)"),
        _row_check(lambda df: df["quantity"].notna() & (df["quantity"] >= 1),
                   "수량/quantity '{quantity_raw}' is not a whole number of at least 1"),
        _row_check(_unparsed("correction"), "정정구분/correction '{correction_raw}' is not 정정 or 취소"),
        _row_check(_needs("needs_firm", "firm_id"), "기업번호/firm_id is required for activity {activity}"),
        _row_check(_needs("needs_importer", "importer_id"),
                   "수입업체번호/importer_id is required for activity {activity}"),
        _row_check(_needs("needs_amount", "amount"), "금액/amount is required for activity {activity}"),
        _row_check(_needs("needs_program", "program"), "사업/program is required for activity {activity}"),
        _row_check(_needs("needs_tier", "firm_tier"), "기업단계/firm_tier is required for activity {activity}"),
        _row_check(_needs("needs_mentor", "mentor_firm_id"),
                   "멘토기업번호/mentor_firm_id is required for activity {activity}"),
        _row_check(lambda df: df["correction"].isna() | _given(df["corrects_record_id"]),
                   "정정구분/correction '{correction_raw}' needs 원기록번호/corrects_record_id"),
        _row_check(lambda df: df["correction"].notna() | _blank(df["corrects_record_id"]),
                   "원기록번호/corrects_record_id '{corrects_record_id}' is given but "
                   "정정구분/correction is blank"),
        _row_check(lambda df: df["corrects_record_id"].isna()
                   | (df["corrects_record_id"] != df["record_id"]),
                   "원기록번호/corrects_record_id names the row itself"),
    ]
    return pa.DataFrameSchema(
        columns={
            "file_no": pa.Column("int32"),
            "source_row": pa.Column("int64"),
            "record_id": pa.Column(nullable=True),
            "occurred_on": pa.Column("datetime64[us]", nullable=True),
            "amount": pa.Column("float64", nullable=True),
            "quantity": pa.Column("Int64", nullable=True),
        },
        checks=checks,
        unique=["file_no", "source_row"],
        strict=False,
        name="center_log_rows",
    )
