"""Reference data shared by the ingest and dbt: the dbt seeds are the single source.

The ingest maps labels (Korean names, codes, aliases) to codes with the same seed files that
dbt loads, so adding a centre or a programme is one CSV row.
"""

from __future__ import annotations

import duckdb

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


def register_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Create temp tables `label_lookup(catalogue, label, code)` and `activity_rules`, once per
    connection."""
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'activity_rules'").fetchone()[
        0
    ]:
        return
    con.execute(NORM_LABEL_MACRO)
    selects, paths = [], []
    for catalogue, (file, code_col, label_cols) in _LOOKUPS.items():
        labels = " || ".join(f"[{c}]" for c in label_cols)
        selects.append(
            f"""
            SELECT DISTINCT '{catalogue}' AS catalogue, norm_label(label) AS label, {code_col} AS code
            FROM read_csv(?, all_varchar=true) AS s,
                 unnest({labels} || coalesce(string_split(s.aliases, '|'), [])) AS t(label)
            WHERE nullif(trim(label), '') IS NOT NULL
            """
        )
        paths.append(seed_path(file))
    selects.append("""
        SELECT DISTINCT 'currency', norm_label(currency), currency FROM read_csv(?, all_varchar=true)
        UNION ALL
        SELECT 'currency', norm_label(w.label), w.code FROM (SELECT unnest(?) AS label, unnest(?) AS code) AS w
    """)
    paths += [seed_path("fx_rates_usd.csv"), list(CURRENCY_WORDS), list(CURRENCY_WORDS.values())]
    con.execute("CREATE OR REPLACE TEMP TABLE label_lookup AS " + " UNION ALL ".join(selects), paths)
    ambiguous = con.execute(
        "SELECT catalogue, label, list(code) FROM label_lookup GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    if ambiguous:
        raise ValueError(f"reference seeds map one label to several codes: {ambiguous}")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE activity_rules AS
        SELECT activity_code, needs_firm::BOOLEAN AS needs_firm,
               needs_importer::BOOLEAN AS needs_importer, needs_amount::BOOLEAN AS needs_amount,
               needs_program::BOOLEAN AS needs_program, needs_tier::BOOLEAN AS needs_tier,
               needs_mentor::BOOLEAN AS needs_mentor
        FROM read_csv(?, all_varchar=true)
        """,
        [seed_path("activities.csv")],
    )
