"""Hostile input (issue 17, item 8): property-based, with hypothesis. For each reader — centre-log
CSV and XLSX, survey CSV and XLSX, K-stat CSV, XLS and XLSX, Korea Customs' nitemtrade XML and
the reference seeds — at least 1,000 files generated as mutations of valid files (the bundled
sources the generator wrote, the seeds, a nitemtrade answer as the API gives it):

- the table: duplicated, reordered, empty and missing headers, title rows without a table, rows
  duplicated, reordered, cut short or too long, blank rows, cells holding formulas, quotes, `../`,
  NUL, BOMs, zero-width and control characters, long text, odd numbers and dates;
- the bytes: wrong or mixed encodings (CP949, UTF-16, Latin-1, half and half), line endings, a BOM
  mid-file, truncation, random bytes written over or into the file, an emptied file;
- the name: quotes, `..`, spaces, Korean, a wrong suffix, offered through `sub/../`;
- personal data in every spelling a person types (phone numbers with any prefix, separator and
  full-width digits; e-mail addresses with full-width ＠) in comment cells and extra columns.

Each file is ingested on its own (`ingest_files`, one warehouse per reader) and must give no
traceback, only a refused batch with its reason, or a batch whose `rows_in` balances accepted +
duplicate + quarantined as recorded in events.ingest_batches, with as many events and quarantine
rows as it counts; and no generated phone number or e-mail address in what it stored (checked per
batch over its events, quarantine rows and reason, and at the end in the warehouse's bytes). A
seed goes through `read_seed` / `check_seeds` on a folder of its own: the same rows (the original's
when only encoding, BOM, line endings or blank lines changed), rewritten in canonical form, or a
SeedError naming the file and line of each problem and rewriting nothing.

Generation is hypothesis's, seeded (`@seed`, no example database): the same seed gives the same
files. A failing file is shrunk by hypothesis and kept under `<workdir>/failures/` with how to
replay it. A few giant files (a 10 MB cell in every format, 10^6 rows of each CSV kind) are added
to the readers' totals.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import random
import re
import shutil
import subprocess
import sys
import time
import traceback
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipelines import warehouse as wh
from pipelines.config import SEEDS_DIR
from pipelines.ingest.runner import ingest_files
from pipelines.ingest.sources import SOURCE_KINDS
from pipelines.reference import SeedError, check_seeds, read_seed
from reliability.outcome import Outcome

PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES = PROJECT_DIR / "sources"
FILES, QUICK_FILES = 1000, 50
BIG_CELL = 10 * 1024 * 1024  # characters of the giant cell
BIG_ROWS = 1_000_000

# reader -> (format, base file under sources/, data rows of it kept as the base)
READERS: dict[str, tuple[str, str | None, int]] = {
    "center_log_csv": ("csv", "center_logs/hanoi/2022/hanoi_2022-03.csv", 12),
    "center_log_xlsx": ("xlsx", "center_logs/hanoi/2020/hanoi_2020-03.xlsx", 12),
    "survey_csv": ("csv", "surveys/2024/2024_사업만족도조사.csv", 8),
    "survey_xlsx": ("xlsx", "surveys/2025/2025_사업만족도조사.xlsx", 8),
    "kstat_csv": ("csv", "trade/K-stat 총괄 전국 2021-2022.csv", 30),
    "kstat_xls": ("xls", "trade/K-stat 총괄 전북 2018-2022.xls", 30),
    "kstat_xlsx": ("xlsx", "trade/전북_베트남_수출_2018-2022.xlsx", 30),
    "nitemtrade_xml": ("xml", None, 0),
    "seeds": ("seed", None, 0),
}

# ---------------------------------------------------------------------------------------- bases


@dataclass(frozen=True)
class Base:
    name: str
    rows: tuple[tuple[object, ...], ...]
    header: int  # index of the header row


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise ValueError("base file is neither UTF-8 nor CP949")


def _header_index(reader: str, rows: list[list[object]]) -> int:
    """The header row (of a two-row header, the lower one): the first of the fullest rows."""
    if reader == "kstat_xls":
        return 4  # 년월 | 수출 | | 수입 over | 금액 | 증감률 | ...
    filled = [sum(bool(str(c).strip()) for c in r) for r in rows[:10]]
    return filled.index(max(filled))


NITEMTRADE_TAGS = ("balPayments", "expDlr", "expWgt", "hsCd", "impDlr", "impWgt", "statCd", "statCdCntnKor1",
                   "statKor", "year")  # fmt: skip


def _nitemtrade_rows() -> list[list[object]]:
    items = [
        ("총계", "-", "-", "-", "-", 3_000_000, 1_200_000),
        ("2022.01", "VN", "베트남", "85", "전기기기", 1_500_000, 700_000),
        ("2022.02", "VN", "베트남", "85", "전기기기", 1_000_000, 400_000),
        ("2022.01", "IN", "인도", "3304", "화장품", 500_000, 100_000),
        ("2022.03", "US", "미국", "0101210000", "말", 20_000, 0),  # a ten-digit HS code: no phone number
    ]
    rows: list[list[object]] = [list(NITEMTRADE_TAGS)]
    for year, code, name, hs, item, exp, imp in items:
        rows.append([exp - imp, exp, exp // 10, hs, imp, imp // 10, code, name, item, year])
    return rows


def load_bases() -> dict[str, list[Base]]:
    bases: dict[str, list[Base]] = {}
    for reader, (fmt, rel, keep) in READERS.items():
        if fmt == "seed":
            bases[reader] = [
                Base(p.name, tuple(tuple(r) for r in [read_seed(p)[0], *read_seed(p)[1]]), 0)
                for p in sorted(SEEDS_DIR.glob("*.csv"))
            ]
            continue
        if fmt == "xml":
            bases[reader] = [Base("nitemtrade_전국_20230120.xml", tuple(map(tuple, _nitemtrade_rows())), 0)]
            continue
        path = SOURCES / rel
        if fmt == "csv":
            rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(_decode(path.read_bytes())))]
        else:
            rows = [list(r) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()]
        at = _header_index(reader, rows)
        bases[reader] = [Base(path.name, tuple(tuple(r) for r in rows[: at + 1 + keep]), at)]
    return bases


# ---------------------------------------------------------------------------------------- personal data

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
SEPARATORS = ["", "-", " ", ".", " - ", " . ", "–", "—", "−", "‐", "\u3000", "  ", "\u00a0"]
PREFIXES = ["0", "+82 ", "+82-", "+82", "+82 (0)", "+82-(0)", "0082-", "0082 ", "0082", "+82 0", "＋８２ "]
AREAS = ["10", "11", "16", "17", "19", "2", "31", "32", "33", "41", "42", "43", "51", "52", "53", "54", "55", "61",
         "62", "63", "64", "70"]  # fmt: skip
DIGITS = st.text(alphabet="0123456789", min_size=4, max_size=4)


@st.composite
def phone_numbers(draw) -> str:
    """A Korean phone number as a person types it (as tests/test_personal_data_spellings.py)."""
    area = draw(st.sampled_from(AREAS))
    middle = draw(DIGITS)[: 3 if area == "2" or draw(st.booleans()) else 4]
    number = (draw(st.sampled_from(PREFIXES)) + area + draw(st.sampled_from([*SEPARATORS, ")"])) + middle
              + draw(st.sampled_from(SEPARATORS)) + draw(DIGITS))  # fmt: skip
    return "".join(FULL_WIDTH.get(c, c) for c in number) if draw(st.booleans()) else number


@st.composite
def mail_addresses(draw) -> str:
    label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=8)
    local = draw(label) + draw(st.sampled_from(["", ".", "_", "+", "-"])) + draw(label)
    at = draw(st.sampled_from(["@", "＠", "﹫"]))
    return f"{local}{at}{draw(label)}.{draw(st.sampled_from(['com', 'co.kr', 'or.kr', 'net']))}"


CONTEXT = st.text(alphabet="연락처주세요 담당 문의abcXYZ,.:;!?[]/~ ", max_size=12)
PERSONAL_COLUMNS = ["메모", "연락처", "담당자 연락처", "email", "contact", "비고2", "Remarks"]


def needles(personal: str) -> set[str]:
    """The spellings of a generated phone number or address that must not be stored: as typed,
    and as the ingest normalises text (NFKC, every dash to '-')."""
    nfkc = unicodedata.normalize("NFKC", personal)
    return {personal, nfkc, re.sub(r"[\u2010-\u2015\u2212]", "-", nfkc)}


# ---------------------------------------------------------------------------------------- hostile text

FORMULAS = ["=1+2", '=HYPERLINK("http://example.invalid/?x="&A1,"click")', "=SUM(A1:A9)", "@SUM(1,2)",
            "+1+1", "-2+3", "=cmd|' /C calc'!A0", "=A1", "=1/0", '="a"&"b"']  # fmt: skip
NASTY = ['"', "'", '"quoted"', "it's", "../", "../../etc/passwd", "..\\..\\boot.ini", "\x00", "a\x00b", "\ufeff",
         "\u200b", "\u202e", "\r", "\n", "\r\n", ",", ";", "\t", "NULL", "None", "nan", "inf", "-0", "1e309",
         "１２３", "٣", "9" * 40, "-1", "0", "2022-02-30", "2022.13.01", "45000", "１９９９년 3월", "　", "\x1a",
         "\x7f", "\ud7a3", "𝔘𝔫𝔦", "🙂", "Ａ", "<b>x</b>", "${jndi:ldap://x}", "%s%s%n",
         "'; DROP TABLE t;--"]  # fmt: skip
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@st.composite
def hostile_text(draw) -> str:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.sampled_from(FORMULAS))
    if kind == 1:
        return "".join(draw(st.lists(st.sampled_from(NASTY), min_size=1, max_size=4)))
    if kind == 2:
        return draw(TEXT)
    if kind == 3:
        return draw(st.sampled_from(NASTY)) * draw(st.integers(1, 5000))
    return ""


# ---------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    reader: str
    name: str  # the file's name
    data: bytes
    personal: tuple[str, ...] = ()  # generated phone numbers and addresses written into it
    via_parent: bool = False  # offered as `sub/../name`
    same_rows: tuple | None = None  # seeds: the rows any reading must give (only encoding etc. changed)
    steps: tuple[str, ...] = ()  # what was done to the base, for people

    def __repr__(self) -> str:
        head = self.data[:300]
        return (f"Case({self.reader!r}, name={self.name!r}, {len(self.data)} bytes, steps={self.steps}, "
                f"personal={self.personal}, via_parent={self.via_parent}, head={head!r})")  # fmt: skip


def _width(rows: list[list[object]]) -> int:
    return max((len(r) for r in rows), default=0)


def _free_columns(header: list[object]) -> list[int]:
    """Columns where a person writes freely: a comment field or a column no kind knows (personal
    data in a record number or an amount is the record's, not a comment's)."""
    known = [kind.fields.map_header([str(h) for h in header]) for kind in SOURCE_KINDS]
    free = [
        i
        for i in range(len(header))
        if all(i not in m or m[i] in (*kind.free_text, "comment") for kind, m in zip(SOURCE_KINDS, known))
    ]
    return [i for i in free if str(header[i]).strip()]


@st.composite
def mutated_rows(draw, base: Base, fmt: str, steps: list[str], personal: list[str]) -> list[list[object]]:
    rows = [list(r) for r in base.rows]
    at = base.header
    header, body = rows[at], rows[at + 1 :]
    titles = rows[:at]
    ops = draw(st.lists(st.integers(0, 13), max_size=4))
    for op in ops:
        n = len(header)
        if op == 0 and n >= 2:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            header[j] = header[i]
            steps.append(f"header {j} duplicates {i}")
        elif op == 1 and n >= 2:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            header[i], header[j] = header[j], header[i]
            steps.append(f"headers {i} and {j} swapped")
        elif op == 2 and n:
            order = draw(st.permutations(range(n)))
            header = [header[k] for k in order]
            body = [[(r[k] if k < len(r) else "") for k in order] + list(r[n:]) for r in body]
            steps.append("columns reordered")
        elif op == 3 and n:
            header[draw(st.integers(0, n - 1))] = draw(st.sampled_from(["", " ", "\ufeff", "\u200b"]))
            steps.append("a header emptied")
        elif op == 4:
            header = []
            steps.append("no header: title rows without a table")
        elif op == 5:
            titles = draw(st.lists(st.lists(hostile_text(), max_size=3), min_size=1, max_size=3)) + titles
            steps.append("title rows added")
        elif op == 6 and body:
            i = draw(st.integers(0, len(body) - 1))
            body.insert(draw(st.integers(0, len(body))), list(body[i]))
            steps.append("a row duplicated")
        elif op == 7 and body:
            body = [body[k] for k in draw(st.permutations(range(len(body))))]
            steps.append("rows reordered")
        elif op == 8:
            body = body[: draw(st.integers(0, len(body)))]
            steps.append("rows cut")
        elif op == 9 and body:
            row = body[draw(st.integers(0, len(body) - 1))]
            cut = draw(st.integers(0, len(row)))
            if draw(st.booleans()):
                del row[cut:]
            else:
                row.extend(draw(st.lists(hostile_text(), min_size=1, max_size=3)))
            steps.append("a row ragged")
        elif op in (10, 11) and body and n:
            row = body[draw(st.integers(0, len(body) - 1))]
            col = draw(st.integers(0, n - 1))
            row.extend([""] * (col + 1 - len(row)))
            row[col] = draw(hostile_text())
            steps.append(f"a hostile cell in column {col}")
        elif op == 12:
            body.insert(draw(st.integers(0, len(body))), [""] * draw(st.integers(0, n)))
            steps.append("a blank row")
        elif op == 13 and n:
            header[draw(st.integers(0, n - 1))] = draw(hostile_text())
            steps.append("a hostile header")
    for _ in range(draw(st.integers(0, 3))):  # personal data in a comment cell or an extra column
        value = draw(st.one_of(phone_numbers(), mail_addresses()))
        text = draw(CONTEXT) + value + draw(CONTEXT)
        # trade tables read columns by their figures' names, not by fields: a column of their own
        free = _free_columns(header) if base.name.endswith(".csv") or fmt == "xlsx" else []
        free = free if not any(k in base.name for k in ("K-stat", "전북_", "nitemtrade")) else []
        if body and free and draw(st.booleans()):
            col = draw(st.sampled_from(free))
        else:  # a column of its own, right of every cell (with no header, a column without one)
            col = max(len(header), _width(body))
            if header and fmt == "xls" and titles:  # a two-row header: a label above, not 수지's carried over
                titles[-1] = [*titles[-1], *[""] * (col - len(titles[-1]))][:col] + ["비고"]
            if header:
                header += [""] * (col - len(header))
                header.append(
                    draw(st.sampled_from(PERSONAL_COLUMNS if fmt != "xml" else ["memo", "contact", "remark"]))
                )
        if not body:
            continue
        row = body[draw(st.integers(0, len(body) - 1))]
        row.extend([""] * (col + 1 - len(row)))
        row[col] = text
        personal.append(value)
        steps.append(f"personal data in column {col}")
    return titles + ([header] if header else []) + body


def _csv_text(rows: list[list[object]], newline: str, delimiter: str, quote_all: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline, delimiter=delimiter,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)  # fmt: skip
    writer.writerows([["" if c is None else c for c in r] for r in rows])
    return out.getvalue()


ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "cp949", "utf-16", "latin-1", "mixed"]


def _encode(draw, text: str, steps: list[str]) -> tuple[bytes, bool]:
    """Bytes of the text in a drawn encoding; whether every character survived."""
    encoding = draw(st.sampled_from(ENCODINGS))
    steps.append(f"encoded {encoding}")
    if encoding == "mixed":
        half = draw(st.integers(0, len(text)))
        return text[:half].encode("utf-8", "surrogatepass") + text[half:].encode("cp949", "replace"), False
    try:
        return text.encode(encoding), True
    except UnicodeEncodeError:
        return text.encode(encoding, "replace"), False


def _xlsx_bytes(rows: list[list[object]], sheet: str = "Sheet1", junk: str | None = None) -> bytes:
    """A workbook of the rows (a string starting `=` is a formula cell), after a sheet of junk."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # what a worksheet cannot hold at all
    from openpyxl.writer.excel import ExcelWriter

    from pipelines.generate.write import FIXED_TIME, _fixed_zip_times

    def cell(value: object) -> object:
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:32767] if isinstance(value, str) else value

    wb = Workbook(write_only=True)
    if junk is not None:
        wb.create_sheet("메모 (2)").append(["메모", cell(junk)])
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append([cell(c) for c in row])
    wb.properties.created = wb.properties.modified = FIXED_TIME
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # Workbook.save would stamp the time: the same draw, other bytes
    return _fixed_zip_times(out.getvalue())


def _xls_bytes(rows: list[list[object]]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("K-stat")
    for r, row in enumerate(rows[:65535]):
        for c, value in enumerate(row[:256]):
            if value is None or value == "":
                continue
            if isinstance(value, str) and value.startswith("=") and len(value) > 1:
                try:
                    sheet.write(r, c, xlwt.Formula(value[1:]))
                    continue
                except Exception:  # xlwt's formula parser refuses it: written as text
                    pass
            sheet.write(r, c, value[:32767] if isinstance(value, str) else value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _tag(name: object, raw: bool) -> str:
    text = str(name)
    return text if raw else (re.sub(r"[^A-Za-z0-9_]", "_", text) or "x").lstrip("0123456789.-") or "x"


def _xml_bytes(
    rows: list[list[object]], raw: bool = False, code: str = "00", doctype: str = "", declared: str = "UTF-8"
) -> bytes:
    """A nitemtrade answer: the first row names the elements of each <item>, the others fill them."""
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    clean = (lambda s: s) if raw else (lambda s: escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", s)))
    items = "".join(
        "<item>" + "".join(f"<{_tag(h, raw)}>{clean(str(c))}</{_tag(h, raw)}>" for h, c in zip(header, r)) + "</item>"
        for r in body
    )
    return (
        f'<?xml version="1.0" encoding="{declared}" standalone="yes"?>{doctype}'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>NORMAL SERVICE.</resultMsg></header>"
        f"<body><items>{items}</items><numOfRows>{len(body)}</numOfRows><pageNo>1</pageNo>"
        f"<totalCount>{len(body)}</totalCount></body></response>"
    ).encode("utf-8", "surrogatepass")


DOCTYPES = ["", "", "", '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
            '<!DOCTYPE r SYSTEM "file:///etc/passwd">']  # fmt: skip


@st.composite
def byte_mutations(draw, data: bytes, steps: list[str]) -> bytes:
    if draw(st.integers(0, 2)):  # two files in three keep their bytes
        return data
    for op in draw(st.lists(st.integers(0, 6), min_size=1, max_size=2)):
        at = draw(st.integers(0, len(data)))
        if op == 0:
            data = data[:at]
            steps.append(f"truncated at byte {at}")
        elif op == 1:
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
            steps.append(f"random bytes inserted at {at}")
        elif op == 2:
            junk = draw(st.binary(min_size=1, max_size=16))
            data = data[:at] + junk + data[at + len(junk) :]
            steps.append(f"random bytes written at {at}")
        elif op == 3:
            line = data.rfind(b"\n", 0, at) + 1 if draw(st.booleans()) else at
            data = data[:line] + b"\xef\xbb\xbf" + data[line:]
            steps.append(f"a BOM at byte {line}")
        elif op == 4:
            end = draw(st.integers(at, len(data)))
            data = data[:end] + data[at:end] + data[end:]
            steps.append(f"bytes {at}..{end} repeated")
        elif op == 5:
            data = draw(st.sampled_from([b"", b" ", b"\n\n", b"\xef\xbb\xbf", b"\x00" * 8]))
            steps.append("emptied")
        else:
            data = draw(st.binary(min_size=1, max_size=32)) + data
            steps.append("garbage before the file")
    return data


NAME_DECOR = ["", "", "", "'", '"quoted" ', "it's ", ".. ", "..", " (1)", "사본 - ", "%00", "\u202e", "a b  c ", "＃"]


@st.composite
def file_name(draw, base: str, fmt: str, steps: list[str]) -> str:
    stem, dot, suffix = base.rpartition(".")
    decor = draw(st.sampled_from(NAME_DECOR))
    name = f"{decor}{stem}" if draw(st.booleans()) else f"{stem}{decor}"
    if fmt != "seed" and draw(st.integers(0, 9)) == 0:
        suffix = draw(st.sampled_from(["csv", "xlsx", "xls", "xml", "txt", "CSV"]))
        steps.append(f"named .{suffix}")
    return f"{name.strip() or 'x'}.{suffix}"


@st.composite
def cases(draw, reader: str, bases: list[Base]) -> Case:
    fmt = READERS[reader][0]
    base = draw(st.sampled_from(bases))
    steps: list[str] = [base.name]
    personal: list[str] = []
    rows = (
        draw(mutated_rows(base, fmt, steps, personal))
        if fmt != "seed" or draw(st.booleans())
        else [list(r) for r in base.rows]
    )
    kept = True
    if fmt in ("csv", "seed"):
        newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        delimiter = "," if draw(st.integers(0, 9)) else draw(st.sampled_from([";", "\t", "|"]))
        text = _csv_text(rows, newline, delimiter, draw(st.booleans()))
        if fmt == "seed" and draw(st.booleans()):
            text = re.sub("\n", lambda _: "\n" * draw(st.integers(1, 2)), text)  # blank lines
        data, kept = _encode(draw, text, steps)
        kept = kept and delimiter == ","
    elif fmt == "xlsx":
        junk = draw(hostile_text()) if draw(st.booleans()) else None
        sheet = draw(st.sampled_from(["Sheet1", "2020-03", "K-stat", "설문지 응답 시트1", "it's"]))
        steps.append(f"sheet {sheet!r}" + (" after a junk sheet" if junk is not None else ""))
        data = _xlsx_bytes(rows, sheet, junk)
    elif fmt == "xls":
        data = _xls_bytes(rows)
    else:
        raw, code, doctype = (
            draw(st.integers(0, 9)) == 0,
            draw(st.sampled_from(["00", "00", "00", "30", ""])),
            draw(st.sampled_from(DOCTYPES)),
        )
        declared = draw(st.sampled_from(["UTF-8", "UTF-8", "EUC-KR", "UTF-16"]))
        steps.append(
            f"XML declared {declared}, resultCode {code!r}"
            + (", unescaped" if raw else "")
            + (", a DOCTYPE" if doctype else "")
        )
        data = _xml_bytes(rows, raw, code, doctype, declared)
    mutated = draw(byte_mutations(data, steps))
    same_rows = None
    if fmt == "seed" and kept and mutated == data and len(steps) == 2:  # only encoding, newlines, blank lines
        same_rows = tuple(map(tuple, base.rows))
    return Case(reader, draw(file_name(base.name, fmt, steps)), mutated, tuple(personal), draw(st.booleans()),
                same_rows, tuple(steps))  # fmt: skip


# ---------------------------------------------------------------------------------------- oracles


@dataclass
class Reader:
    """One reader's warehouse, its files, and what it found."""

    name: str
    root: Path
    session: contextlib.ExitStack | None = None  # the open writer's connection, lock held
    con: duckdb.DuckDBPyConnection | None = None
    files: int = 0
    loaded: int = 0
    refused: int = 0
    duplicate: int = 0
    needles: set[str] = field(default_factory=set)

    @property
    def warehouse(self) -> Path:
        return self.root / "w.duckdb"

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self.session is None:
            self.session = contextlib.ExitStack()
            self.con = self.session.enter_context(wh.connect(self.warehouse))
        return self.con

    def close(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            session.close()

    def place(self, case: Case) -> Path:
        """Write the case's file under a folder of its own; the path to offer."""
        self.files += 1
        folder = self.root / "files" / f"{self.files:05d}"
        (folder / "sub").mkdir(parents=True, exist_ok=True)
        (folder / case.name).write_bytes(case.data)
        return folder / "sub" / ".." / case.name if case.via_parent else folder / case.name


def _stored_text(con: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> str:
    """What a batch stored that came from its file: events, quarantine rows, the batch row."""
    ids = ",".join(map(str, batch_ids))
    rows = con.execute(f"""
        SELECT payload::VARCHAR || coalesce(source_column, '') FROM events.event_store WHERE batch_id IN ({ids})
        UNION ALL
        SELECT concat_ws(' ', raw_values::VARCHAR, reason, record_key, source_column) FROM events.quarantine
        WHERE batch_id IN ({ids})
        UNION ALL
        SELECT concat_ws(' ', file_name, file_path, reason, encoding) FROM events.ingest_batches
        WHERE batch_id IN ({ids})
    """).fetchall()
    return "\n".join(r[0] or "" for r in rows)


# A spreadsheet's bytes are parsed by calamine (Rust), which aborts the whole process when an
# allocation fails: such a file is first read in a child process with bounded memory, by the
# ingest itself (its container check comes before calamine).
PROBE = (
    "import resource, sys, tempfile\n"
    "from pathlib import Path\n"
    "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
    "from pipelines.ingest.runner import ingest_paths\n"
    "with tempfile.TemporaryDirectory() as tmp:\n"
    "    try:\n"
    "        ingest_paths(Path(tmp) / 'probe.duckdb', [Path(sys.argv[1])])\n"
    "    except Exception:\n"
    "        pass  # a traceback is reported by the ingest in the campaign's own process\n"
)
BYTE_STEPS = ("truncated", "random bytes", "a BOM at", "repeated", "emptied", "garbage")


def aborts(path: Path) -> str | None:
    """How reading the spreadsheet killed a process of its own, or None."""
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "reading it took over 300 s"
    if done.returncode == 0:
        return None
    last = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith(" ")][:1]
    return f"exit {done.returncode}: {last[0] if last else ''}"


def check_file(reader: Reader, case: Case) -> list[str]:
    """What went wrong when the case's file was ingested on its own."""
    path = reader.place(case)
    if READERS[case.reader][0] in ("xls", "xlsx") and any(k in s for s in case.steps for k in BYTE_STEPS):
        why = aborts(path)
        if why:  # ingesting it here would end the campaign
            return [f"crash: the process dies reading it ({why})"]
    con = reader.connection()
    try:
        results = ingest_files(con, [path])
    except Exception:
        failed = traceback.format_exc(limit=-4)
        try:
            reader.close()  # a fresh connection for the next file
        except Exception:  # noqa: S110 (the connection may be unusable; the next file opens another)
            pass
        return ["traceback: " + failed.strip().replace("\n", " | ")]
    if not results:
        return ["the file was not offered"]
    problems = []
    first = results[0]
    if Path(first.file).name != case.name:
        problems.append(f"first batch is {first.file}, not the file")
    for r in results:
        if r.status not in ("loaded", "duplicate", "refused", "requeued"):
            problems.append(f"batch {r.batch_id}: status {r.status!r}")
        if r.status == "refused":
            if not (r.reason or "").strip() or "Traceback" in r.reason:
                problems.append(f"batch {r.batch_id}: refused without a reason ({r.reason!r})")
            continue
        (rows_in, acc, dup, quar, dup_of) = con.execute(
            "SELECT rows_in, rows_accepted, rows_duplicate, rows_quarantined, duplicate_of FROM events.ingest_batches "
            "WHERE batch_id = ?",
            [r.batch_id],
        ).fetchone()
        if (rows_in, acc, dup, quar) != (r.rows_in, r.accepted, r.duplicates, r.quarantined):
            problems.append(f"batch {r.batch_id}: recorded {rows_in}/{acc}/{dup}/{quar}, reported {r}")
        if rows_in != acc + dup + quar:
            problems.append(
                f"batch {r.batch_id}: rows_in {rows_in} != {acc} accepted + {dup} duplicate + {quar} quarantined"
            )
        if r.status in ("loaded", "requeued"):
            [(events,)] = con.execute(
                "SELECT count(*) FROM events.event_store WHERE batch_id = ?", [r.batch_id]
            ).fetchall()
            if events != acc:
                problems.append(f"batch {r.batch_id}: {events} events stored for {acc} accepted")
        if r.status == "loaded":
            [(q,)] = con.execute("SELECT count(*) FROM events.quarantine WHERE batch_id = ?", [r.batch_id]).fetchall()
            if q != quar:
                problems.append(f"batch {r.batch_id}: {q} quarantine rows for {quar} quarantined")
    reader.loaded += first.status == "loaded"
    reader.refused += first.status == "refused"
    reader.duplicate += first.status == "duplicate"
    ids = [r.batch_id for r in results]
    ids += [d for (d,) in con.execute(
        f"SELECT duplicate_of FROM events.ingest_batches WHERE batch_id IN ({','.join(map(str, ids))}) "
        "AND duplicate_of IS NOT NULL").fetchall()]  # fmt: skip
    stored = _stored_text(con, ids)
    for personal in case.personal:
        spellings = needles(personal)
        reader.needles |= spellings
        leaked = [s for s in spellings if s in stored]
        if leaked:
            problems.append(f"personal data stored: {leaked[0]!r}")
    return problems


def check_seed(reader: Reader, case: Case) -> list[str]:
    """A mutated seed on a folder of its own: the same rows, canonical after check_seeds, or a
    SeedError naming file and line and rewriting nothing."""
    reader.files += 1
    folder = reader.root / "files" / f"{reader.files:05d}"
    folder.mkdir(parents=True)
    path = folder / case.name
    path.write_bytes(case.data)
    label = f"{folder.name}/{path.name}"
    try:
        try:
            before = read_seed(path)
        except SeedError as exc:
            named = re.compile(re.escape(label) + r" line \d+: .")
            problems = [f"not naming file and line: {line!r}" for line in str(exc).split("\n") if not named.match(line)]
            try:
                check_seeds(folder)
                problems.append("check_seeds passed a seed read_seed refused")
            except SeedError:
                pass
            if path.read_bytes() != case.data:
                problems.append("a refused seed was rewritten")
            reader.refused += 1
            return problems
        notes = check_seeds(folder)
        after = read_seed(path)
        problems = []
        if (after[0], after[1]) != (before[0], before[1]):
            problems.append("check_seeds changed the rows")
        if after[2] or check_seeds(folder):
            problems.append(f"not canonical after check_seeds: {after[2]}")
        if bool(notes) != (path.read_bytes() != case.data or bool(before[2])) and not notes:
            problems.append("a seed needing a rewrite was not rewritten")
        if case.same_rows is not None and (tuple(before[0]), *map(tuple, before[1])) != case.same_rows:
            problems.append("the rows differ from the original seed's although only encoding/line ends changed")
        reader.loaded += 1
        return problems
    except Exception:
        return ["traceback: " + traceback.format_exc(limit=-4).strip().replace("\n", " | ")]


# ---------------------------------------------------------------------------------------- giants


def _giants(reader: str, bases: list[Base], quick: bool) -> list[Case]:
    """A few files too large to generate by the thousand: a 10 MB cell in every format, 10^6 rows
    of each CSV kind (quick: the 10 MB cell of the centre-log CSV only)."""
    fmt = READERS[reader][0]
    if quick and reader != "center_log_csv":
        return []
    base = bases[0]
    rows = [list(r) for r in base.rows]
    body = rows[base.header + 1 :] or [["x"] * len(rows[base.header])]
    out = []
    phone = "010-4417-0923"
    big = [list(r) for r in rows]
    big[base.header].append("memo" if fmt == "xml" else "메모")  # a comment column of its own
    for row in big[base.header + 1 :]:
        row.extend([""] * (len(big[base.header]) - len(row)))
    big[-1][-1] = "가" * (BIG_CELL // 3) + f" 연락처 {phone} " + "나" * (BIG_CELL // 3)
    steps = ("a 10 MB cell",)
    if fmt in ("csv", "seed"):
        out.append(
            Case(reader, "big_cell_" + base.name, _csv_text(big, "\n", ",", False).encode(), (phone,), steps=steps)
        )
    elif fmt == "xlsx":
        big_xlsx = [list(r) for r in rows]
        big_xlsx[-1][-1] = "가" * 32767  # a cell holds at most 32,767 characters: many of them, 10 MB in all
        for _ in range(BIG_CELL // (3 * 32767)):
            big_xlsx.append(list(big_xlsx[-1]))
        out.append(Case(reader, "big_cells_" + base.name, _xlsx_bytes(big_xlsx), steps=("10 MB of 32k cells",)))
    elif fmt == "xls":
        big_xls = [list(r) for r in rows] + [["가" * 32767] * 8 for _ in range(BIG_CELL // (3 * 32767 * 8))]
        out.append(Case(reader, "big_cells_" + base.name, _xls_bytes(big_xls), steps=("10 MB of 32k cells",)))
    elif fmt == "xml":
        out.append(Case(reader, "big_cell_" + base.name, _xml_bytes(big), (phone,), steps=steps))
    if quick:
        return out
    if fmt in ("csv", "seed"):
        many = rows[: base.header + 1] + [list(body[i % len(body)]) for i in range(BIG_ROWS)]
        if reader == "center_log_csv":  # every record a record of its own
            for i, row in enumerate(many[base.header + 1 :]):
                row[0] = f"HAN-2022-{i:07d}"
        out.append(
            Case(
                reader, "million_" + base.name, _csv_text(many, "\n", ",", False).encode("utf-8"), steps=("10^6 rows",)
            )
        )
    return out


# ---------------------------------------------------------------------------------------- campaign

HANG_SECONDS = 120  # one generated file; a giant gets ten times more


def _kind_of(problems: list[str]) -> str:
    if any(p.startswith(("traceback", "crash")) for p in problems):
        return "traceback"
    if any("rows_in" in p or "stored for" in p or "quarantine rows for" in p for p in problems):
        return "rows lost"
    return "other"


def _bytes_sweep(reader: Reader, rng: random.Random) -> list[str]:
    """The generated personal data searched for in the warehouse file's bytes (a sample: the
    per-batch checks saw every one of them in what the batch stored)."""
    reader.close()
    if not reader.warehouse.exists():
        return []
    data = reader.warehouse.read_bytes()
    sample = rng.sample(sorted(reader.needles), min(300, len(reader.needles)))
    return [f"{reader.name}: {s!r} in the warehouse file's bytes" for s in sample if s.encode("utf-8") in data]


def _property(reader: Reader, check, failing: list, slow: list[str]) -> Callable[[Case], None]:
    """The property hypothesis tests: the file's checks pass; the last failing case kept."""

    def prop(case: Case) -> None:
        begun = time.perf_counter()
        problems = check(reader, case)
        if time.perf_counter() - begun > HANG_SECONDS:
            slow.append(f"{time.perf_counter() - begun:.0f} s: {case!r}")
        if problems:
            failing[:] = [(case, problems)]
            raise AssertionError("; ".join(problems))

    return prop


def run(seed: int, files: int, workdir: Path, giants: bool = True, quick: bool = False,
        readers: tuple[str, ...] = tuple(READERS), say: Callable[[str], None] = print) -> Outcome:  # fmt: skip
    """`files` generated files per reader (plus the giants), under `workdir`."""
    out = Outcome("hostile")
    workdir = Path(workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    bases = load_bases()
    rng = random.Random(seed)
    quiet = logging.getLogger("pipelines")
    level, quiet.level = quiet.level, logging.CRITICAL  # refusals are logged as errors: the batches say it
    try:
        for number, name in enumerate(readers):
            started = time.perf_counter()
            reader = Reader(name, workdir / name)
            reader.root.mkdir(parents=True)
            check = check_seed if name == "seeds" else check_file
            failing: list = []
            slow: list[str] = []

            prop = given(cases(name, bases[name]))(_property(reader, check, failing, slow))
            test = settings(max_examples=files, database=None, deadline=None, derandomize=False,
                            phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
                            print_blob=False)(hypothesis_seed(seed * 100 + number)(prop))  # fmt: skip
            try:
                test()
            except Exception as exc:
                if not failing:
                    raise  # the campaign's own bug, not the product's
                case, problems = failing[0]
                kept = workdir / "failures" / name / f"{len(out.failures):03d}_{case.name}"
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_bytes(case.data)
                what = _kind_of(problems)
                out.tracebacks += what == "traceback"
                out.rows_lost += what == "rows lost"
                out.failures.append(f"hostile {name}: {'; '.join(problems)[:600]} -- shrunk to {case!r}; kept as "
                                    f"{kept}; replay: python -m reliability --only hostile --seed {seed}")  # fmt: skip
                del exc
            for case in _giants(name, bases[name], quick) if giants else []:
                begun = time.perf_counter()
                problems = check(reader, case)
                if time.perf_counter() - begun > 10 * HANG_SECONDS:
                    slow.append(f"{time.perf_counter() - begun:.0f} s: {case!r}")
                if problems:
                    what = _kind_of(problems)
                    out.tracebacks += what == "traceback"
                    out.rows_lost += what == "rows lost"
                    out.failures.append(f"hostile {name}: {'; '.join(problems)[:600]} -- {case!r}")
            out.hangs += len(slow)
            out.failures += [f"hostile {name}: past its bound, {s}" for s in slow]
            out.failures += _bytes_sweep(reader, rng) if name != "seeds" else []
            reader.close()
            out.inputs += reader.files
            say(f"  hostile {name}: {reader.files} files, {reader.loaded} loaded, {reader.refused} refused, "
                f"{reader.duplicate} duplicate ({time.perf_counter() - started:.0f} s)")  # fmt: skip
            shutil.rmtree(reader.root / "files", ignore_errors=True)
    finally:
        quiet.level = level
    return out


def campaign(seed: int, quick: bool, workdir: Path) -> Outcome:
    return run(seed, QUICK_FILES if quick else FILES, workdir, quick=quick)
