"""Reference data shared by the ingest and dbt: the dbt seeds are the single source.

The ingest maps labels (Korean names, codes, aliases) to codes with the same seed files that
dbt loads, so adding a centre or a programme is one CSV row. Officials edit the seeds in Notepad
or Excel: `check_seeds` runs before any ingest or dbt build and either rewrites each seed in the
one form every reader reads alike (UTF-8, LF line endings, no blank lines) or stops naming the
file, the line and what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as arrow

from pipelines.config import SEEDS_DIR

# Lenient label matching: case, spaces, the middle dots ･·ㆍ・ and punctuation do not count,
# and a trailing 운영 ("operation") is optional (docs/sources.md §2).
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


class SeedError(ValueError):
    """Seeds that the readers would not read alike: one line per problem, `seeds/<file> line N: what`."""


def seed_path(name: str) -> str:
    return str(SEEDS_DIR / name)


def _decode(raw: bytes, label: str) -> tuple[str, list[str]]:
    """The text of a seed: UTF-8 with or without BOM, else CP949 (Excel's "CSV" save on Korean
    Windows); with what the canonical form changes."""
    changes = []
    while raw.startswith(codecs.BOM_UTF8):  # every one: a BOM left would start the first column's name
        raw, changes = raw[len(codecs.BOM_UTF8) :], ["a UTF-8 BOM"]
    try:
        return raw.decode("utf-8"), changes
    except UnicodeDecodeError as not_utf8:
        try:
            return raw.decode("cp949"), [*changes, "CP949 encoding"]
        except UnicodeDecodeError:
            line = raw[: not_utf8.start].count(b"\n") + 1
            raise SeedError(f"{label} line {line}: neither UTF-8 nor CP949 text") from None


def read_seed(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """The one reader of a seed file: (header, rows, what the canonical form changes). Any line
    ending, blank lines (also a row of empty cells, as Excel leaves one) skipped; a row whose
    field count is not the header's is an error, as is text that is neither UTF-8 nor CP949."""
    label = f"{path.parent.name}/{path.name}"
    raw = path.read_bytes()
    text, changes = _decode(raw, label)
    if "\r" in text:
        changes.append("Windows line endings")
    if not text.endswith(("\n", "\r")):
        changes.append("no line end after the last row")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    errors: list[str] = []
    blank = False
    line = 1  # where the next record starts (a quoted cell may span lines)
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                blank = True
            elif header is None:
                header = row
                named = [c.strip() for c in header]
                if "" in named or len(set(named)) < len(named):
                    errors.append(f"{label} line {start}: a column without a name or named twice: {header}")
            elif len(row) != len(header):
                errors.append(f"{label} line {start}: {len(row)} fields, expected {len(header)}")
            else:
                rows.append(row)
    except csv.Error as exc:
        errors.append(f"{label} line {reader.line_num}: {exc}")
    if header is None and not errors:
        errors.append(f"{label} line 1: no header")
    if errors:
        raise SeedError("\n".join(errors))
    if blank:
        changes.append("blank lines")
    return header, rows, changes


def canonical_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """The form every reader reads alike (DuckDB's, behind dbt's seed load, sniffs the file and
    fails on mixed line endings or CP949): as Python's csv writes it, UTF-8, LF line endings."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def check_seeds(folder: Path | None = None) -> list[str]:
    """Before any ingest or dbt build: every seed read by `read_seed`, and one not in canonical
    form rewritten in it (the same rows); returns what was rewritten. Raises SeedError naming
    every bad line of every seed, and then rewrites nothing."""
    read = {}
    errors = []
    for path in sorted((folder or SEEDS_DIR).glob("*.csv")):
        try:
            read[path] = read_seed(path)
        except SeedError as exc:
            errors.append(str(exc))
    if errors:
        raise SeedError("\n".join(errors))
    notes = []
    for path, (header, rows, changes) in read.items():
        canonical = canonical_csv(header, rows)
        if path.read_bytes() == canonical:
            continue
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            temporary.write_bytes(canonical)
            os.replace(temporary, path)
        except OSError as exc:  # e.g. the file is open in Excel, which locks it
            temporary.unlink(missing_ok=True)
            raise SeedError(f"{path.parent.name}/{path.name}: cannot rewrite it in canonical form ({exc})") from exc
        notes.append(
            f"{path.parent.name}/{path.name}: rewritten as UTF-8 with LF line endings "
            f"(it had {', '.join(changes) or 'other quoting'}; the rows are unchanged)"
        )
    return notes


def seed_rows(name: str) -> list[dict[str, str]]:
    """A seed's rows as written: column -> text, a blank cell ''."""
    header, rows, _ = read_seed(Path(seed_path(name)))
    return [dict(zip(header, row)) for row in rows]


def seed_table(name: str) -> arrow.Table:
    """A seed as text columns, blank cells NULL (as dbt's seed load and DuckDB's read_csv have
    them). Read in Python: the seeds are small, and sniffing each with read_csv cost more than
    the rest of the lookups together."""
    header, rows, _ = read_seed(Path(seed_path(name)))
    return arrow.table({c: arrow.array([r[i] or None for r in rows], arrow.string()) for i, c in enumerate(header)})


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
