"""Reference data shared by the ingest and dbt: the dbt seeds are the single source.

The ingest maps labels (Korean names, codes, aliases) to codes with the same seed files that
dbt loads, so adding a centre or a programme is one CSV row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import duckdb
import pyarrow as arrow

from pipelines.config import SEEDS_DIR

# Lenient label matching: case, spaces, the middle dots ･·ㆍ・ and punctuation do not count,
# and a trailing 운영 ("operation") is optional (sources.md, domain.md).
NORM_LABEL_MACRO = r"""
CREATE OR REPLACE TEMP MACRO norm_label(x) AS
    regexp_replace(
        regexp_replace(lower(trim(x)), '[\s･·ㆍ・()\[\]_/.,\-]+', '', 'g'),
        '운영$', '')
"""

# Currency words people write instead of the code (the codes come from fx_rates_usd.csv).
CURRENCY_WORDS = {
    "달러": "USD",
    "미국달러": "USD",
    "동": "VND",
    "베트남동": "VND",
    "루피": "INR",
    "인도루피": "INR",
    "원": "KRW",
}

# One row per (catalogue, accepted label) -> code; every code also matches itself.
_LOOKUPS = {
    "center": ("centers.csv", "center_code", ["center_code", "name_ko", "name_en"]),
    "activity": ("activities.csv", "activity_code", ["activity_code", "label_ko"]),
    "program": ("programs.csv", "program_code", ["program_code", "name_ko"]),
    "tier": ("tiers.csv", "tier_code", ["tier_code", "name_ko"]),
    "country": ("countries.csv", "country_code", ["country_code", "name_ko", "name_en"]),  # K-stat (trade)
}


def seed_path(name: str) -> str:
    return str(SEEDS_DIR / name)


def seed_rows(name: str) -> list[dict[str, str]]:
    """A seed's rows as written: column -> text, a blank cell ''."""
    with open(seed_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seed_table(name: str) -> arrow.Table:
    """A seed as text columns, blank cells NULL (as dbt's seed load and DuckDB's read_csv have
    them). Read in Python: the seeds are small, and sniffing each with read_csv cost more than
    the rest of the lookups together."""
    rows = seed_rows(name)
    return arrow.table({c: arrow.array([r[c] or None for r in rows], arrow.string()) for c in rows[0]})


CATALOGUES = (*_LOOKUPS, "currency")


def _catalogue_sql(catalogue: str, view) -> str:
    """(catalogue, normalised label, code) of one catalogue; `view(file)` names a seed's view."""
    if catalogue == "currency":  # the converted currencies' codes, and the words people write
        return f"""
            SELECT DISTINCT 'currency', norm_label(currency), currency FROM {view("fx_rates_usd.csv")}
            UNION ALL
            SELECT 'currency', norm_label(w.label), w.code
            FROM (SELECT unnest($words) AS label, unnest($codes) AS code) AS w
        """
    file, code_col, label_cols = _LOOKUPS[catalogue]
    labels = " || ".join(f"[{c}]" for c in label_cols)
    return f"""
        SELECT DISTINCT '{catalogue}' AS catalogue, norm_label(label) AS label, {code_col} AS code
        FROM {view(file)} AS s, unnest({labels} || coalesce(string_split(s.aliases, '|'), [])) AS t(label)
        WHERE nullif(trim(label), '') IS NOT NULL
    """


def register_lookups(con: duckdb.DuckDBPyConnection, catalogues: Iterable[str] = CATALOGUES) -> None:
    """Temp table `label_lookup(catalogue, label, code)` holding the given catalogues (and, with
    `activity`, temp table `activity_rules`), each built once per connection."""
    # (a variable, not a catalog query: looking a table up costs ten times more)
    built = set(con.execute("SELECT getvariable('reference_catalogues')").fetchall()[0][0] or [])
    missing = [c for c in dict.fromkeys(catalogues) if c not in built]
    if not missing:
        return
    con.execute(NORM_LABEL_MACRO)
    files = {_LOOKUPS[c][0] for c in missing if c in _LOOKUPS} | (
        {"fx_rates_usd.csv"} if "currency" in missing else set()
    )
    if "activity" in missing:
        files.add("activities.csv")

    def view(file: str) -> str:
        return "seed_" + file.removesuffix(".csv")

    for file in files:
        con.register(view(file), seed_table(file))
    try:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS label_lookup (catalogue VARCHAR, label VARCHAR, code VARCHAR)")
        con.execute(
            "INSERT INTO label_lookup " + " UNION ALL ".join(_catalogue_sql(c, view) for c in missing),
            {"words": list(CURRENCY_WORDS), "codes": list(CURRENCY_WORDS.values())} if "currency" in missing else {},
        )
        ambiguous = con.execute(
            "SELECT catalogue, label, list(code) FROM label_lookup WHERE list_contains(?, catalogue) "
            "GROUP BY ALL HAVING count(*) > 1",
            [missing],
        ).fetchall()
        if ambiguous:
            raise ValueError(f"reference seeds map one label to several codes: {ambiguous}")
        if "activity" in missing:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE activity_rules AS
                SELECT activity_code, needs_firm::BOOLEAN AS needs_firm,
                       needs_importer::BOOLEAN AS needs_importer, needs_amount::BOOLEAN AS needs_amount,
                       needs_program::BOOLEAN AS needs_program, needs_tier::BOOLEAN AS needs_tier,
                       needs_mentor::BOOLEAN AS needs_mentor
                FROM {view("activities.csv")}
            """)
    finally:
        for file in files:
            con.unregister(view(file))
    con.execute("SET VARIABLE reference_catalogues = ?", [sorted(built | set(missing))])
