"""Fields of a source file: names, accepted headers, types and how text becomes a typed value.

A source kind declares its fields once (pipelines/ingest/sources/<kind>.py). From that one list
the framework derives the header matching, the typing SQL, the raw pandera schema's generic
checks, the canonical content hash, and (pipelines/kind_files.py) the dbt staging model, its
column docs and tests, and the field table of docs/sources.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Characters that are invisible in a spreadsheet but make two texts differ (BOM, zero-width
# space/joiners, word joiner, soft hyphen): removed from every header and cell before matching.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
_INVISIBLE_TABLE = str.maketrans("", "", INVISIBLE)


def normalise_text(text: str) -> str:
    """Header or cell text as compared: invisibles removed, NFC, surrounding spaces trimmed."""
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE_TABLE)).strip()


def normalise_document(text: str) -> str:
    """A whole file's (or column's) text with invisibles removed and in NFC, done once in C
    rather than per cell; the same object comes back when nothing changes."""
    for ch in INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def normalise_cells(values: list[str]) -> list[str]:
    """`normalise_document` over a column of cells (joined by NUL, which no composition crosses)."""
    joined = "\x00".join(values)
    if joined.count("\x00") != len(values) - 1:  # a cell holds NUL itself: cell by cell
        return [normalise_document(v) for v in values]
    clean = normalise_document(joined)
    return values if clean is joined else clean.split("\x00")


def show_invisibles(text: str) -> str:
    """Text for a message: characters a person cannot see are written as \\uXXXX."""
    return "".join(c if c == " " or unicodedata.category(c)[0] not in "CZ" else f"\\u{ord(c):04x}" for c in str(text))


@dataclass(frozen=True)
class FieldType:
    """How a cell's text becomes a typed value. `sql` is a DuckDB expression of `{x}` (the
    normalised text, never NULL where it is evaluated); NULL means the text does not parse."""

    name: str
    duck_type: str
    sql: str = "{x}"
    expected: str = ""  # what a valid value looks like, for the quarantine reason
    per_distinct: bool = False  # costly parsing: done once per distinct text, then joined
    catalogue: str | None = None  # a label looked up in the reference seeds (pipelines/reference.py)
    frame_dtype: str | None = None  # the pandas dtype the raw schema coerces the column to (schemas/raw.py)
    values: tuple[str, ...] = ()  # a closed vocabulary's codes: the staging model tests the column for them
    as_date: str = "{x}::DATE"  # the value as the date of an event (SourceKind.occurred_on)


TEXT = FieldType("text", "VARCHAR")
DATE = FieldType(
    "date",
    "DATE",
    "parse_date({x})",
    "a date (write 2022-03-05, 2022.03.05, 2022/3/5 or an Excel date)",
    True,
    frame_dtype="datetime64[us]",
)
NUMBER = FieldType("number", "DOUBLE", "parse_number({x})", "a number", frame_dtype="float64")
WHOLE = FieldType("whole", "BIGINT", "parse_whole({x})", "a whole number", frame_dtype="Int64")
YEAR = FieldType(
    "year",
    "INTEGER",
    "CASE WHEN regexp_matches({x}, '^\\d{{4}}\\s*(년|년도)?$') THEN CAST(left({x}, 4) AS INTEGER) END",
    "a year (2025 or 2025년)",
    per_distinct=True,
    as_date="make_date({x}, 1, 1)",  # an event about a year is dated its first day
)
BRN = FieldType("brn", "VARCHAR", "parse_brn({x})", "a 10-digit business registration number", True)


def label(catalogue: str, expected: str) -> FieldType:
    """A code found by its code, name or alias in the reference seeds' `catalogue`."""
    return FieldType(f"label:{catalogue}", "VARCHAR", expected=expected, per_distinct=True, catalogue=catalogue)


def choice(mapping: dict[str, str], expected: str) -> FieldType:
    """A small closed vocabulary: accepted spellings (case and spaces ignored) -> code."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    codes = tuple(dict.fromkeys(mapping.values()))
    return FieldType(
        f"choice:{'/'.join(sorted(codes))}",
        "VARCHAR",
        f"CASE lower(replace({{x}}, ' ', '')) {cases} END",
        expected,
        values=codes,
    )


@dataclass(frozen=True)
class Field:
    """One column of a source file."""

    name: str  # canonical name: payload key, typed column, English header
    ko: str  # the Korean header
    type: FieldType = TEXT
    description: str = ""  # what to write, for docs/sources.md (markdown) and the staging column's docs
    aliases: tuple[str, ...] = ()  # other accepted headers
    default: str | None = None  # SQL literal used when the cell is blank
    required: bool = False  # a blank cell makes the row fail
    payload: bool = True  # stored in the event's payload
    column: str | None = None  # the staging model's column, when the payload key reads badly in SQL
    when: str = ""  # docs/sources.md: when the field is needed, if neither required nor defaulted

    @property
    def label(self) -> str:
        """How messages name the field: Korean/English."""
        return f"{self.ko}/{self.name}"

    @property
    def can_fail(self) -> bool:
        """Whether text can fail to become this field's value (then its text is kept beside it)."""
        return bool(self.type.expected)

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.ko, self.name, *self.aliases)


def header_key(text: str) -> str:
    """Headers match whatever their spaces, underscores, hyphens, case and invisibles."""
    return re.sub(r"[\s_\-]+", "", normalise_text(str(text))).lower()


@dataclass(frozen=True)
class FieldSet:
    fields: tuple[Field, ...]
    _by_header: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_header: dict[str, str] = {}
        for f in self.fields:
            for h in f.headers:
                key = header_key(h)
                if by_header.setdefault(key, f.name) != f.name:
                    raise ValueError(f"header {h!r} is accepted for both {by_header[key]} and {f.name}")
        object.__setattr__(self, "_by_header", by_header)

    def __iter__(self):
        return iter(self.fields)

    def __getitem__(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def map_header(self, header: list[str]) -> dict[int, str]:
        """Column index -> field name, for the columns whose header is known."""
        return {i: self._by_header[header_key(h)] for i, h in enumerate(header) if header_key(h) in self._by_header}


def unique_names(header: list[str]) -> list[str]:
    """Header names made unique (a repeated `담당자` becomes `담당자 (2)`, and so on past any
    name already taken), blank ones named by position: they become JSON keys."""
    taken = {h for h in header if h}
    names: list[str] = []
    used: set[str] = set()
    for i, h in enumerate(header):
        name = h or f"column_{i + 1}"
        n = 1
        candidate = name
        while candidate in used or (candidate != h and candidate in taken):
            n += 1
            candidate = f"{name} ({n})"
        used.add(candidate)
        names.append(candidate)
    return names
