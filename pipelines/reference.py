"""Reference data shared by the ingest and dbt: the dbt seeds are the single source.

The ingest maps labels (Korean names, codes, aliases) to codes with the same seed files that
dbt loads, so adding a centre or a programme is one CSV row.
"""

from __future__ import annotations

import csv

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


def seed_table(name: str) -> arrow.Table:
    """A seed as text columns, blank cells NULL (as dbt's seed load and DuckDB's read_csv have
    them). Read in Python: the seeds are small, and sniffing each with read_csv cost more than
    the rest of the lookups together."""
    with open(seed_path(name), newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    return arrow.table({c: arrow.array([r[i] or None for r in rows], arrow.string()) for i, c in enumerate(header)})


def register_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Create temp tables `label_lookup(catalogue, label, code)` and `activity_rules`, once per
    connection."""
    if con.execute("SELECT getvariable('reference_lookups')").fetchone()[0]:
        return  # (a variable, not a catalog query: looking a table up costs ten times more)
    con.execute(NORM_LABEL_MACRO)
    seeds = {file for file, _, _ in _LOOKUPS.values()} | {"fx_rates_usd.csv"}
    views = {file: "seed_" + file.removesuffix(".csv") for file in seeds}
    for file, view in views.items():
        con.register(view, seed_table(file))
    selects = []
    for catalogue, (file, code_col, label_cols) in _LOOKUPS.items():
        labels = " || ".join(f"[{c}]" for c in label_cols)
        selects.append(f"""
            SELECT DISTINCT '{catalogue}' AS catalogue, norm_label(label) AS label, {code_col} AS code
            FROM {views[file]} AS s, unnest({labels} || coalesce(string_split(s.aliases, '|'), [])) AS t(label)
            WHERE nullif(trim(label), '') IS NOT NULL
        """)
    selects.append(f"""
        SELECT DISTINCT 'currency', norm_label(currency), currency FROM {views["fx_rates_usd.csv"]}
        UNION ALL
        SELECT 'currency', norm_label(w.label), w.code FROM (SELECT unnest(?) AS label, unnest(?) AS code) AS w
    """)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE label_lookup AS " + " UNION ALL ".join(selects),
            [list(CURRENCY_WORDS), list(CURRENCY_WORDS.values())],
        )
        ambiguous = con.execute(
            "SELECT catalogue, label, list(code) FROM label_lookup GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        if ambiguous:
            raise ValueError(f"reference seeds map one label to several codes: {ambiguous}")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE activity_rules AS
            SELECT activity_code, needs_firm::BOOLEAN AS needs_firm,
                   needs_importer::BOOLEAN AS needs_importer, needs_amount::BOOLEAN AS needs_amount,
                   needs_program::BOOLEAN AS needs_program, needs_tier::BOOLEAN AS needs_tier,
                   needs_mentor::BOOLEAN AS needs_mentor
            FROM {views["activities.csv"]}
        """)
    finally:
        for view in views.values():
            con.unregister(view)
    con.execute("SET VARIABLE reference_lookups = true")
