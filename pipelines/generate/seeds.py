"""The reference tables the generator shares with the ingest and dbt (dbt_project/seeds).

Labels, required fields and exchange rates are read here, never copied into code, so that the
generated logs stay consistent with what the ingest accepts when a seed changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from pipelines.reference import seed_rows


def _aliases(text: str) -> tuple[str, ...]:
    return tuple(a for a in (text or "").split("|") if a.strip())


@dataclass(frozen=True)
class ActivityDef:
    code: str
    label_ko: str
    aliases: tuple[str, ...]
    needs_firm: bool
    needs_importer: bool
    needs_amount: bool
    needs_program: bool
    needs_tier: bool
    needs_mentor: bool


@dataclass(frozen=True)
class ProgramDef:
    code: str
    name_ko: str
    aliases: tuple[str, ...]
    generation: str  # 'current' (before 2023) or 'proposed' (from 2023)


@dataclass(frozen=True)
class CentreDef:
    code: str
    name_ko: str
    local_currency: str
    opened_on: date


@cache
def activities() -> dict[str, ActivityDef]:
    return {
        r["activity_code"]: ActivityDef(
            r["activity_code"],
            r["label_ko"],
            _aliases(r["aliases"]),
            *(r[f"needs_{f}"] == "true" for f in ("firm", "importer", "amount", "program", "tier", "mentor")),
        )
        for r in seed_rows("activities.csv")
    }


@cache
def programs() -> dict[str, ProgramDef]:
    return {
        r["program_code"]: ProgramDef(r["program_code"], r["name_ko"], _aliases(r["aliases"]), r["generation"])
        for r in seed_rows("programs.csv")
    }


@cache
def centres() -> dict[str, CentreDef]:
    return {
        r["center_code"]: CentreDef(
            r["center_code"], r["name_ko"], r["local_currency"], date.fromisoformat(r["opened_on"])
        )
        for r in seed_rows("centers.csv")
    }


@cache
def fx_rates() -> dict[tuple[str, int], float]:
    """(currency, year) -> units per USD, the yearly average the pipeline converts with."""
    return {(r["currency"], int(r["year"])): float(r["units_per_usd"]) for r in seed_rows("fx_rates_usd.csv")}
