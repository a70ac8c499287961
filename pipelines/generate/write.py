"""File formats: CSV as Excel and other tools save it, and XLSX written byte-for-byte the same
on every run (fixed workbook times, fixed zip entry times)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = dt.datetime(2026, 1, 5, 9, 0, 0)  # what the workbook says about its creation
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# CP949 has the middle dot · but not the half-width ･ of some programme names
_CP949_SAFE = str.maketrans({"･": "·", "・": "·"})


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> int:
    """Write a CSV with CRLF line ends, quoting only where needed (as Excel does); bytes written."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    if encoding == "cp949":
        text = text.translate(_CP949_SAFE)
    data = text.encode(encoding)  # 'utf-8-sig' writes the BOM
    path.write_bytes(data)
    return len(data)


def write_xlsx(path: Path, rows: list[list], sheet: str, creator: str = "센터 활동기록") -> int:
    """Write a one-sheet workbook (write-only mode, no per-cell styles), byte-for-byte the same on
    every run; bytes written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    wb.properties.creator = creator
    wb.properties.created = wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # Workbook.save would stamp the current time
    data = _fixed_zip_times(raw.getvalue())
    path.write_bytes(data)
    return len(data)


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every entry dated 1980-01-01, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
