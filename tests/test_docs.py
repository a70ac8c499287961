"""docs/sources.md, the guide for the people who prepare the input files, stays in step with the code.

Every source kind's fields (Korean header, English header, other accepted headers) and its example
file must be in the guide, and the example must load without a quarantined row. For the centre log,
the activity catalogue, programmes and accepted spellings must match the reference seeds.
"""

from __future__ import annotations

import csv
import re

import pytest
from helpers import PROJECT_DIR, events, ingest, quarantine

from pipelines.config import SEEDS_DIR
from pipelines.ingest.sources import SOURCE_KINDS
from pipelines.ingest.sources.center_log import _NEEDS, CENTER_LOG
from pipelines.reference import CURRENCY_WORDS

DOC = PROJECT_DIR / "docs" / "sources.md"
each_kind = pytest.mark.parametrize("kind", SOURCE_KINDS, ids=lambda k: k.name)


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def aliases(row: dict[str, str]) -> set[str]:
    return {a for a in (row.get("aliases") or "").split("|") if a}


def table_row(doc: str, *first_cells: str) -> list[str]:
    """The cells of the one table row of the guide whose first cells are `first_cells`
    (compared without backticks)."""
    rows = []
    for line in doc.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if [c.strip("`") for c in cells[: len(first_cells)]] == list(first_cells):
                rows.append(cells)
    assert len(rows) == 1, f"expected one table row starting {' | '.join(first_cells)}, found {len(rows)}"
    return rows[0]


def listed(cell: str) -> set[str]:
    """The comma-separated names of a table cell, backticks removed (`—` and blank: none)."""
    return {n.strip().strip("`") for n in cell.split(",") if n.strip() not in ("", "—")}


def quoted(cell: str) -> set[str]:
    """The `backticked` names of a table cell."""
    return set(re.findall(r"`([^`]+)`", cell))


@each_kind
def test_every_field_has_its_row(doc, kind):
    assert kind.title.split(" / ")[0] in doc, f"{kind.title} has no section"
    for f in kind.fields:
        assert f.ko in doc and f.name in doc
        cells = table_row(doc, f.ko, f.name)
        assert listed(cells[2]) == set(f.aliases), f"other headers of {f.label}"
        if f.required:
            assert "required" in cells[4], f"{f.label} is required"
        if f.default is not None:
            assert f"default `{f.default.strip(chr(39))}`" in cells[4], f"default of {f.label}"


@each_kind
def test_example_is_in_the_doc_verbatim(doc, kind):
    assert kind.example, f"{kind.name} has no example for the guide"
    assert f"```csv\n{kind.example}```" in doc


@each_kind
def test_documented_example_loads_without_quarantine(warehouse, src, kind):
    path = src / f"{kind.name}_example.csv"
    path.write_text(kind.example, encoding="utf-8")
    [result] = ingest(warehouse, path)
    assert (result.status, result.source_kind, result.reason) == ("loaded", kind.name, None)
    assert result.rows_in > 0
    assert (result.accepted, result.duplicates, result.quarantined) == (result.rows_in, 0, 0)
    assert quarantine(warehouse) == []
    assert len(events(warehouse)) == result.rows_in


def test_activity_catalogue(doc):
    ko = {f.name: f.ko for f in CENTER_LOG.fields}
    for a in seed("activities.csv"):
        assert a["activity_code"] in doc
        cells = table_row(doc, a["activity_code"], a["label_ko"])
        needs = {ko[field] for flag, field in _NEEDS.items() if a[flag].lower() == "true"}
        assert listed(cells[2]) == needs, f"fields {a['activity_code']} needs"
        assert listed(cells[3]) == aliases(a), f"other names of {a['activity_code']}"


def test_programmes(doc):
    for p in seed("programs.csv"):
        cells = table_row(doc, p["program_code"], p["name_ko"])
        assert listed(cells[2]) == aliases(p), f"other names of {p['program_code']}"


def _choices(field: str) -> dict[str, set[str]]:
    """code -> accepted spellings of a `choice` field, read from its typing SQL."""
    found: dict[str, set[str]] = {}
    for spelling, code in re.findall(r"WHEN '([^']*)' THEN '([^']*)'", CENTER_LOG.fields[field].type.sql):
        found.setdefault(code, set()).add(spelling)
    assert found, f"{field} is not a choice field"
    return found


def test_accepted_spellings(doc):
    fields = CENTER_LOG.fields
    expected: list[tuple[str, str, set[str]]] = []
    for c in seed("centers.csv"):
        expected.append((fields["center"].ko, c["center_code"], {c["name_ko"], c["name_en"], *aliases(c)}))
    for t in seed("tiers.csv"):
        expected.append((fields["firm_tier"].ko, t["tier_code"], {t["name_ko"], *aliases(t)}))
    for code in sorted({r["currency"] for r in seed("fx_rates_usd.csv")}):
        words = {w for w, c in CURRENCY_WORDS.items() if c == code}
        expected.append((fields["currency"].ko, code, words))
    for name in ("channel", "correction"):
        for code, spellings in _choices(name).items():
            expected.append((fields[name].ko, code, spellings))
    for column, code, spellings in expected:
        assert quoted(table_row(doc, column, code)[2]) == spellings, f"spellings of {column} {code}"
