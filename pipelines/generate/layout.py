"""How each monthly file looks: format, encoding, header language, column order, label habits.

The habits follow who kept the log when: Hanoi kept it in Excel for its first year, New Delhi's
first PC saved CSV as CP949, most months are CSV saved from Excel (UTF-8 with BOM), a temp once
exported the English template, and from 2024 Hanoi adds a 담당자 (staff) column.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipelines.generate.firms import CENTRES
from pipelines.generate.seeds import centres
from pipelines.generate.targets import LAST_YEAR
from pipelines.ingest.sources.center_log import CENTER_LOG

# the centre log's columns and Korean headers, as the source kind declares them
FIELDS = tuple(CENTER_LOG.fields.names)
KO_HEADER = {f.name: f.ko for f in CENTER_LOG.fields}
# column orders of files re-arranged by hand: firm before activity, or money first
REORDERED = (
    (
        "record_id",
        "date",
        "center",
        "firm_id",
        "firm_name",
        "firm_tier",
        "product",
        "activity",
        "program",
        "importer_id",
        "importer_name",
        "channel",
        "amount",
        "currency",
        "quantity",
        "note",
        "correction",
        "corrects_record_id",
        "mentor_firm_id",
    ),
    (
        "record_id",
        "center",
        "date",
        "activity",
        "amount",
        "currency",
        "quantity",
        "program",
        "firm_id",
        "firm_name",
        "firm_tier",
        "product",
        "importer_id",
        "importer_name",
        "channel",
        "correction",
        "corrects_record_id",
        "mentor_firm_id",
        "note",
    ),
)
ENGLISH_FILES = {("new_delhi", 2023, 7), ("hanoi", 2024, 2)}
STAFF_HEADER = {False: "담당자", True: "staff"}


@dataclass(frozen=True)
class FileStyle:
    center: str
    year: int
    month: int
    fmt: str  # 'csv' | 'xlsx'
    encoding: str | None  # CSV only: 'utf-8-sig', 'utf-8' or 'cp949'
    english: bool  # English header aliases, codes as labels
    fields: tuple[str, ...]  # column order
    extras: tuple[str, ...]  # headers of extra columns after the template ones
    centre_as_code: bool
    date_style: str  # 'iso' 2022-03-05 | 'dot' 2022.03.05 | 'slash' 2022/3/5
    thousands: bool  # amounts written 12,500.50
    usd_written: bool  # 'USD' written out rather than left blank

    @property
    def index(self) -> int:
        """Months since year 0: consecutive files of a centre differ by one."""
        return self.year * 12 + self.month - 1

    @property
    def path(self) -> PurePosixPath:
        return PurePosixPath(
            "center_logs", self.center, str(self.year), f"{self.center}_{self.year}-{self.month:02d}.{self.fmt}"
        )

    @property
    def header(self) -> list[str]:
        names = list(self.fields) if self.english else [KO_HEADER[f] for f in self.fields]
        return names + list(self.extras)


def file_styles(seed: int) -> list[FileStyle]:
    """Every monthly file of every centre, in the order the ingest reads them (path order)."""
    styles = []
    for center in CENTRES:
        opened = centres()[center].opened_on
        for year in range(opened.year, LAST_YEAR + 1):
            for month in range(opened.month if year == opened.year else 1, 13):
                styles.append(_style(random.Random(f"{seed}/layout/{center}/{year}-{month}"), center, year, month))
    return sorted(styles, key=lambda s: str(s.path))


def _style(rng: random.Random, center: str, year: int, month: int) -> FileStyle:
    english = (center, year, month) in ENGLISH_FILES
    xlsx = center == "hanoi" and year <= 2020  # benchmark runs read these: keep them few
    if center == "new_delhi" and year <= 2021:
        encoding = "cp949"
    else:
        encoding = "utf-8-sig" if rng.random() < 0.8 else "utf-8"
    fields = FIELDS if english or rng.random() > 0.05 else rng.choice(REORDERED)
    staff = (center == "hanoi" and year >= 2024) or (center == "new_delhi" and year == LAST_YEAR)
    return FileStyle(
        center=center,
        year=year,
        month=month,
        fmt="xlsx" if xlsx else "csv",
        encoding=None if xlsx else encoding,
        english=english,
        fields=fields,
        extras=(STAFF_HEADER[english],) if staff else (),
        centre_as_code=english or rng.random() < 0.25,
        date_style=rng.choices(("iso", "dot", "slash"), weights=(50, 30, 20))[0],
        thousands=rng.random() < 0.5,
        usd_written=rng.random() < 0.3,
    )
