"""Turn a CSV, spreadsheet or XML file into a grid of text cells, with the row numbers a person sees.

Everything is read as text; typing happens later, in SQL, so that a bad value becomes a clear
quarantine reason instead of a crash. CSV goes through pyarrow (fast, C++), spreadsheets through
calamine (fast, Rust): both keep ingest set-wise. An XML file (an open-API answer such as Korea
Customs' `nitemtrade`) is a list of record elements: its rows are the records, numbered from 1 in
file order, its header their child element names, and the leaf elements outside the records
(`resultCode`, `totalCount`) its title rows, written `name : value`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import olefile
import pyarrow as pa
import pyarrow.csv as pacsv
from defusedxml import ElementTree
from python_calamine import CalamineWorkbook

from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.fields import normalise_cells, normalise_document, normalise_text

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
HEADER_SCAN_ROWS = 30  # a header may sit below a title block (K-stat downloads)
SNIFF_BYTES = 64 * 1024  # enough for HEADER_SCAN_ROWS lines of any CSV file seen
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_XML_MAGIC = (b"<?xml", b"\xef\xbb\xbf<?xml")


def _is_spreadsheet(path: Path, data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC) or path.suffix.lower() in SPREADSHEET_SUFFIXES


def _is_xml(path: Path, data: bytes) -> bool:
    return data.lstrip().startswith(_XML_MAGIC) or path.suffix.lower() == ".xml"


@dataclass
class Grid:
    """The cells of a file below its header, as text, plus where each row came from."""

    path: Path
    encoding: str  # 'utf-8', 'utf-8-sig', 'cp949', 'spreadsheet' or 'xml'
    header: list[str]
    table: pa.Table  # columns c0..cN (strings) and source_row (int64)
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, text) unparseable
    preamble: list[list[str]] = field(default_factory=list)  # the rows above the header (titles)
    # A row giving several records (a survey's answers, a K-stat row's periods): record k of file
    # row r is numbered r × stride + k and was read from column parts[k - 1]; k = 0 is the whole
    # row. The store writes the row and that column, as a person finds them.
    stride: int = 1
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HeaderAt:
    """Where `find_header` found a header: its first row and how many rows it spans."""

    index: int
    rows: int = 1


def combine_header(rows: list[list[str]], at: HeaderAt) -> list[str]:
    """One header from one or two rows. A label over several columns (a merged cell, or written
    once above its columns) is carried right over the blanks, then joined with the row below:
    `수출 | | 수입` over `금액 | 증감률 | 금액` gives `수출 금액 | 수출 증감률 | 수입 금액`."""
    lines = [[normalise_text(c) for c in rows[at.index + k]] for k in range(at.rows)]
    width = max(len(line) for line in lines)
    lines = [line + [""] * (width - len(line)) for line in lines]
    if at.rows == 1:
        header = lines[0]
    else:
        top, bottom = lines
        carried, last = [], ""
        for i, cell in enumerate(top):
            last = cell or (last if bottom[i] else "")
            carried.append(last)
        header = [" ".join(p for p in (t, b) if p) for t, b in zip(carried, bottom)]
    return header


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or CP949; refuse anything else."""
    if b"\x00" in data[:8192]:
        raise RefusedFile(path, "not a spreadsheet or CSV text file (binary content)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise RefusedFile(
                path, f"starts with a UTF-8 BOM but is not valid UTF-8 ({exc.reason} at byte {exc.start})"
            ) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError as exc:
        raise RefusedFile(path, f"text is neither UTF-8 nor CP949/EUC-KR (byte {exc.start})") from exc


def _header_candidates_csv(text: str) -> list[list[str]]:
    head = text.splitlines()[:HEADER_SCAN_ROWS]
    # a long comment cell is no reason to fail: the csv module refuses fields over 128 KiB by default
    csv.field_size_limit(max(csv.field_size_limit(), sum(map(len, head))))
    return [list(r) for r in csv.reader(head)]


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person would type: dates ISO, whole floats without .0."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def head_rows(path: Path) -> list[list[list[str]]]:
    """The first rows of each sheet (one block for a CSV file), read as cheaply as possible: to
    tell a file's kind without reading it. An unreadable file has no blocks."""
    try:
        with open(path, "rb") as f:
            data = f.read(SNIFF_BYTES + 1)
    except OSError:
        return []
    if _is_spreadsheet(path, data):
        return _spreadsheet_heads(path)
    if _is_xml(path, data):
        try:
            preamble, rows, _ = _xml_rows(path, path.read_bytes())
        except (OSError, RefusedFile):
            return []
        return [(preamble + rows)[:HEADER_SCAN_ROWS]]
    if len(data) > SNIFF_BYTES:  # whole lines only: a newline byte is never inside a UTF-8 or CP949 character
        data = data[: data.rfind(b"\n") + 1]
    try:
        return [_header_candidates_csv(decode_text(path, data)[0])]
    except RefusedFile:
        return []


def _open_workbook(path: Path, data: bytes) -> CalamineWorkbook:
    """The workbook in `data`, or RefusedFile. An .xls is an OLE container whose sector chains
    calamine follows without bounds: a damaged one (a header repeated over the directory) makes it
    allocate gigabytes and abort the process. olefile checks the container first, in Python."""
    if data.startswith(_OLE_MAGIC):
        try:
            olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT).close()
        except Exception as exc:  # olefile raises OSError subclasses and plain errors on a broken container
            raise RefusedFile(path, f"not a readable spreadsheet (a damaged .xls container: {exc})") from exc
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every broken file
        raise RefusedFile(path, f"not a readable spreadsheet ({type(exc).__name__}: {exc})") from exc


def _spreadsheet_heads(path: Path) -> list[list[list[str]]]:
    try:
        workbook = _open_workbook(path, path.read_bytes())
        return [
            [
                [_cell_text(c) for c in row]
                for row in islice(workbook.get_sheet_by_index(n).iter_rows(), HEADER_SCAN_ROWS)
            ]
            for n in range(len(workbook.sheet_names))
        ]
    except Exception:  # RefusedFile, OSError or calamine's own errors: the ingest says why when it reads the file
        return []


def read_grid(path: Path, find_header) -> Grid:
    """Read `path` and locate its header with `find_header(list_of_rows) -> HeaderAt | None`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RefusedFile(path, f"cannot be opened ({exc.strerror})") from exc
    if not data.strip():
        raise RefusedFile(path, "is empty")
    if _is_spreadsheet(path, data):
        return _read_spreadsheet(path, data, find_header)
    if _is_xml(path, data):
        return _read_xml(path, data, find_header)
    return _read_csv(path, data, find_header)


def _xml_rows(path: Path, data: bytes) -> tuple[list[list[str]], list[list[str]], list[int]]:
    """(title rows, header + one row per record, record numbers) of an XML file. The records are
    the most frequent element whose children are all leaves; entities and DTDs are refused
    (defusedxml), so a hostile file cannot expand or reach out."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's refusals alike
        raise RefusedFile(path, f"not a readable XML file ({type(exc).__name__}: {exc})") from exc
    counts: dict[str, tuple[int, int]] = {}  # tag -> (occurrences, most children): a lone record beats <header>
    for el in root.iter():
        if len(el) and all(len(child) == 0 for child in el):
            seen, width = counts.get(el.tag, (0, 0))
            counts[el.tag] = (seen + 1, max(width, len(el)))
    if not counts:
        raise RefusedFile(path, "an XML file with no records (elements holding only leaf elements)")
    tag = max(counts, key=counts.__getitem__)
    records = [el for el in root.iter(tag)]
    inside = {id(child) for rec in records for child in rec}
    preamble = [
        [f"{el.tag} : {normalise_text(el.text or '')}"]
        for el in root.iter()
        if len(el) == 0 and el.tag != tag and id(el) not in inside
    ]
    header: list[str] = []
    for rec in records:
        header += [child.tag for child in rec if child.tag not in header]
    rows = [[normalise_text((rec.find(name).text if rec.find(name) is not None else "") or "") for name in header]
            for rec in records]  # fmt: skip
    return preamble, [header, *rows], list(range(1, len(records) + 1))


def _read_xml(path: Path, data: bytes, find_header) -> Grid:
    preamble, rows, numbers = _xml_rows(path, data)
    at = find_header(preamble + rows[:1])
    if at is None or at.index != len(preamble):  # the header is the records' element names
        return Grid(path, "xml", [], pa.table({}))
    header, body = rows[0], rows[1:]
    table = pa.table({f"c{i}": pa.array([r[i] for r in body], pa.string()) for i in range(len(header))})
    return Grid(path, "xml", header, table.append_column("source_row", pa.array(numbers, pa.int64())), [], preamble)


def _read_spreadsheet(path: Path, data: bytes, find_header) -> Grid:
    """The first sheet, in workbook order, whose first rows hold a known header."""
    at, name, rows, text_rows = None, None, [], []
    workbook = _open_workbook(path, data)
    sheets = workbook.sheet_names
    for n, name in enumerate(sheets):
        try:
            rows = workbook.get_sheet_by_index(n).to_python(skip_empty_area=False)
        except Exception as exc:
            raise RefusedFile(path, f"sheet {name!r} is not readable ({type(exc).__name__}: {exc})") from exc
        text_rows = [[_cell_text(c) for c in r] for r in rows[:HEADER_SCAN_ROWS]]
        at = find_header(text_rows)
        if at is not None:
            break
    if at is None:
        return Grid(path, "spreadsheet", [], pa.table({}))
    header = combine_header(text_rows, at)
    while header and not header[-1]:  # the sheet's used area may reach further than the header
        header.pop()
    width = len(header)
    body, numbers, bad = [], [], []
    first = at.index + at.rows
    for number, row in enumerate(rows[first:], start=first + 1):
        beyond = [_cell_text(c) for c in row[width:] if _cell_text(c).strip()]
        if beyond:  # as a CSV row with too many fields: quarantined, not cut short
            bad.append(
                (
                    number,
                    f"has {len(beyond)} filled cells right of the last header column",
                    "\t".join(_cell_text(c) for c in row),
                )
            )
            continue
        body.append(row[:width] + [""] * (width - len(row)))
        numbers.append(number)
    # Column by column, so a column of plain text (most of them) is taken as it is. Blank rows
    # stay: the parser drops them, and the row numbers stay those of the sheet.
    columns = list(zip(*body)) if body else [() for _ in range(width)]
    arrays = {
        f"c{i}": pa.array(
            normalise_cells(list(col) if all(type(v) is str for v in col) else [_cell_text(v) for v in col]),
            pa.string(),
        )
        for i, col in enumerate(columns)
    }
    table = pa.table(arrays).append_column("source_row", pa.array(numbers, pa.int64()))
    return Grid(path, "spreadsheet", header, table, bad, text_rows[: at.index])


def _read_csv(path: Path, data: bytes, find_header) -> Grid:
    text, encoding = decode_text(path, data)
    candidates = _header_candidates_csv(text)
    at = find_header(candidates)
    if at is None:
        return Grid(path, encoding, [], pa.table({}))
    header = combine_header(candidates, at)
    idx = at.index + at.rows - 1  # the last header line
    names = [f"c{i}" for i in range(len(header))]
    bad: list[tuple[int, str, str]] = []

    def on_invalid(row) -> str:
        bad.append(
            (row.number, f"has {row.actual_columns} fields where the header has {row.expected_columns}", row.text)
        )
        return "skip"

    # invisibles and NFC once over the whole text, before any cell is cut out of it
    clean = normalise_document(text)
    utf8 = data if encoding == "utf-8" and clean is text else clean.encode("utf-8")
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            # single-threaded so that pyarrow reports the line number of every rejected row
            read_options=pacsv.ReadOptions(use_threads=False, skip_rows=idx + 1, column_names=names),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise RefusedFile(path, f"not a readable CSV file ({exc})") from exc
    # Rows keep their line numbers: every line after the header is a row, rejected ones excepted.
    first = idx + 2
    lines = pa.array(range(first, first + table.num_rows + len(bad)), pa.int64())
    if bad:
        rejected = {n for n, _, _ in bad}
        lines = pa.array([n for n in lines.to_pylist() if n not in rejected], pa.int64())
    table = table.append_column("source_row", lines)
    return Grid(path, encoding, header, table, bad, candidates[: at.index])
