"""KITA trade statistics: K-stat (stat.kita.net) downloads as they really come (docs/sources.md §5).

A K-stat file is a statistics table, not one record per row: title rows above a one- or two-row
header say the region, the counterpart country, the firm size, the period, the retrieval date and
the unit; the rows are countries, MTI items, si-gun or periods (`2024년` year rows with month rows
under them); several periods may stand side by side (`2021수출금액 … 2022수지`). `reshape` turns
such a grid into one record per (row, period). The Korea Customs open API's `nitemtrade` answer
(XML: one `<item>` per month, country and HS code, amounts in dollars) is read the same way, its
element names standing for the K-stat headings. Each file is a snapshot: a later retrieval of the
same region, firm size, country, item, si-gun and period supersedes the earlier one in the marts
(`on_conflict='supersede'`); both stay in the store.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc

from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.fields import DATE, NUMBER, TEXT, WHOLE, Field, FieldSet, choice, header_key, label
from pipelines.ingest.readers import Grid, HeaderAt, combine_header
from pipelines.ingest.source_kind import SourceKind
from pipelines.reference import seed_rows
from schemas.raw import row_check

TOTAL = "ALL"  # country / item / si-gun of a total row (총계) or of a file about all of them
REGIONS = {  # longest first: 전북 is inside 전북특별자치도
    "전북특별자치도": "jeonbuk",
    "전라북도청": "jeonbuk",
    "전북자치도": "jeonbuk",
    "전라북도": "jeonbuk",
    "전북": "jeonbuk",
    "전국": "national",
}
FIRM_SIZES = {"중소기업": "sme", "중견기업": "midsize", "대기업": "large", "전체": "all"}
UNITS = {"천달러": 1_000.0, "백만달러": 1_000_000.0, "억달러": 100_000_000.0, "달러": 1.0, "천불": 1_000.0}
WEIGHT_UNITS = {"kg": 1.0, "톤": 1_000.0, "ton": 1_000.0}
TOTAL_LABELS = {"총계", "합계", "계", "전체", "총합계"}
NEGATIVE_SIGNS = ("△", "▲", "▽", "−")  # written for a minus
TITLE_KEYS = ("지역", "국가명", "국가", "기업규모", "기간", "조회일", "기준일", "작성일", "단위", "중량단위")
_KEY_RE = re.compile(rf"({'|'.join(TITLE_KEYS)})\s*[:：]\s*")
_MEASURE_RE = re.compile(r"^(\d{4})?(?:년)?(수출|수입|수지)(금액|증감률|중량|중량증감률)?(?:\(.*\))?$")
_DATE_RE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})")
_YEAR_RE = re.compile(r"^(\d{4})\s*년?$")
_MONTH_RE = re.compile(r"^(?:(\d{4})\s*[-./년]\s*)?(\d{1,2})\s*월?$")
DIMENSIONS = {  # the row-label column's header -> what its rows are
    "국가명": "country",
    "국가": "country",
    "품목명": "item",
    "품목": "item",
    "시군명": "sigun",
    "시군": "sigun",
    "시군구": "sigun",
    "년월": "period",
    "년도": "period",
    "연도": "period",
    "구분": None,  # told from the rows: periods, else countries
    "year": "period",  # nitemtrade: `2022.01`, or 총계
}
# nitemtrade's amount elements, as the K-stat heading each stands for; its amounts are in dollars
API_MEASURES = {
    "expdlr": "수출금액",
    "expwgt": "수출중량",
    "impdlr": "수입금액",
    "impwgt": "수입중량",
    "balpayments": "수지",
}
API_UNIT = "달러"
ROW_NUMBER_HEADERS = {"순번", "번호", "no", "순위"}
CODE_HEADERS = {"코드", "mti코드", "mti", "품목코드", "mticode"}
ROW_STRIDE = 100  # a row holding several periods: record n of file row r is numbered r×100+n

FIELDS = FieldSet(
    (
        Field(
            "region",
            "지역",
            choice(
                {**REGIONS, "jeonbuk": "jeonbuk", "national": "national"}, "전북 (전라북도, 전북특별자치도) or 전국"
            ),
            "Region, from the title rows (`지역 : 전북`) or the file name",
            required=True,
        ),
        Field(
            "firm_size",
            "기업규모",
            choice({**FIRM_SIZES, "sme": "sme", "all": "all", "midsize": "midsize", "large": "large"}, "중소기업 etc."),
            "Firm size, from the title rows (`기업규모 : 중소기업`) or the file name",
            default="'all'",
        ),
        Field(
            "label",
            "구분",
            TEXT,
            "The row as the table names it: a country, an MTI item, a si-gun, a year or month, or 총계",
            ("국가명", "품목명", "시군명", "시군구", "년월", "년도", "연도", "year"),
            required=True,
        ),
        Field(
            "country",
            "국가코드",
            label("country", "a country in the country seed (Korean name or ISO code)"),
            "Counterpart country (ISO 3166 alpha-2) from the row or the title (`국가 : 베트남`); ALL = all",
            ("statCd",),
            default=f"'{TOTAL}'",
        ),
        Field(
            "item_code",
            "품목코드",
            TEXT,
            "MTI item code as text (1–6 digits, leading zeros kept); ALL = all items",
            ("코드", "MTI코드"),
            default=f"'{TOTAL}'",
        ),
        Field(
            "sigun", "대상시군", TEXT, "Si-gun (시·군) of the province; ALL = the whole region", default=f"'{TOTAL}'"
        ),
        Field(
            "hs_code",
            "HS부호",
            TEXT,
            "HS code as text (2–10 digits) of a Korea Customs figure; ALL = all goods; empty for K-stat (MTI)",
            ("hsCd",),
        ),
        Field("period", "통계기간", TEXT, "Period: a year (2022) or a month (2022-03)", required=True),
        Field(
            "status",
            "확정구분",
            choice({"잠정": "partial", "확정": "final", "partial": "partial", "final": "final"}, "잠정 or 확정"),
            "partial when the period had not ended at retrieval or the title's range is not the whole year",
            default="'final'",
        ),
        Field("export_usd", "수출금액(USD)", NUMBER, "Exports in USD (the file's unit converted)"),
        Field("export_growth_pct", "수출증감률", NUMBER, "Export growth on a year earlier, % (△/▲ = negative)"),
        Field("import_usd", "수입금액(USD)", NUMBER, "Imports in USD"),
        Field("import_growth_pct", "수입증감률", NUMBER, "Import growth on a year earlier, %"),
        Field("balance_usd", "수지(USD)", NUMBER, "Trade balance in USD (negative: deficit)"),
        Field("export_kg", "수출중량(kg)", NUMBER, "Export weight in kg"),
        Field("import_kg", "수입중량(kg)", NUMBER, "Import weight in kg"),
        Field("unit", "단위", TEXT, "Amount unit as the title wrote it (천달러 by default)", default="'천달러'"),
        Field("retrieved_on", "조회일", DATE, "Retrieval date of the snapshot", ("기준일", "작성일"), required=True),
        Field(
            "retrieved_from",
            "조회일근거",
            choice({"title": "title", "file_name": "file_name", "file_modified": "file_modified"}, "title etc."),
            "Where the retrieval date came from: title, file_name or file_modified",
            required=True,
        ),
        Field("file_row", "원본행", WHOLE, "The sheet or CSV row the record was read from", required=True),
    )
)
NAMES = FIELDS.names


@cache
def country_names() -> dict[str, str]:
    """Korean name or alias -> ISO alpha-2, from the country seed (file names and titles)."""
    rows = seed_rows("countries.csv")
    names = {r["name_ko"]: r["country_code"] for r in rows}
    for r in rows:
        names.update({a: r["country_code"] for a in (r["aliases"] or "").split("|") if a and not a.isascii()})
    return names


def _title_values(preamble: list[list[str]]) -> tuple[dict[str, str], list[str]]:
    """`key : value` pairs of the title rows, and every non-blank title cell."""
    values: dict[str, str] = {}
    cells = [c.strip() for row in preamble for c in row if c and c.strip()]
    for cell in cells:
        hits = list(_KEY_RE.finditer(cell))
        for i, m in enumerate(hits):
            end = hits[i + 1].start() if i + 1 < len(hits) else len(cell)
            values.setdefault(m.group(1), cell[m.end() : end].strip(" ,;|/\t"))
    return values, cells


def _region(values: dict[str, str], cells: list[str], stem: str) -> str | None:
    for text in ([values["지역"]] if "지역" in values else []) + cells + [stem]:
        for word, code in REGIONS.items():
            if word in text:
                return code
    return None


def _tokens(stem: str) -> list[str]:
    return [t for t in re.split(r"[\s_\-.()\[\]]+", stem) if t]


def _country(values: dict[str, str], stem: str) -> str | None:
    """The country the whole file is about (title `국가 : 베트남`, else a file-name token)."""
    given = values.get("국가") or values.get("국가명")
    if given:
        return given
    names = country_names()
    return next((t for t in _tokens(stem) if t in names), None)


def _firm_size(values: dict[str, str], cells: list[str], stem: str) -> str:
    for text in ([values["기업규모"]] if "기업규모" in values else []) + cells + [stem]:
        for word, code in FIRM_SIZES.items():
            if word in text and code != "all":
                return code
    return "all"


def _date(text: str) -> dt.date | None:
    m = _DATE_RE.search(text) or re.search(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)", text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _retrieved(values: dict[str, str], path: Path) -> tuple[dt.date, str]:
    for key in ("조회일", "기준일", "작성일"):
        found = _date(values.get(key, ""))
        if found:
            return found, "title"
    m = re.search(r"(?<!\d)(20\d{6})(?!\d)", path.stem)
    found = _date(m.group(1)) if m else None
    if found:
        return found, "file_name"
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).date(), "file_modified"
    except OSError as exc:
        raise RefusedFile(path, "has no retrieval date (조회일) and cannot be dated by its file") from exc


def _title_period(values: dict[str, str], cells: list[str], stem: str) -> tuple[str, bool] | None:
    """(year, whole year?) from `기간 : 2022.01 ~ 2022.12`, a `2022년` title, or a lone year in
    the file name."""
    span = values.get("기간")
    if span:
        months = re.findall(r"(\d{4})\s*[-./년]?\s*(\d{1,2})?", span)
        months = [(int(y), int(m) if m else None) for y, m in months if len(y) == 4]
        if months:
            (y0, m0), (y1, m1) = months[0], months[-1]
            if y0 == y1:
                return str(y0), (m0 in (None, 1)) and (m1 in (None, 12))
    for cell in cells:
        if _KEY_RE.search(cell):
            continue
        m = re.search(r"(?<!\d)(\d{4})\s*년(?!\s*\d{1,2}\s*월)", cell)
        if m:
            return m.group(1), True
    years = [t for t in _tokens(stem) if re.fullmatch(r"(19|20)\d{2}", t)]
    return (years[0], True) if len(years) == 1 else None


def _signed_cells(cells: arrow.Array) -> arrow.Array:
    """Cells trimmed, Korean negatives written `-`, a lone `-` (nothing) blank."""
    t = pc.utf8_trim_whitespace(pc.fill_null(cells, ""))
    for sign in NEGATIVE_SIGNS:  # literal searches: several times faster than one RE2 class
        t = _where(t, pc.match_substring(t, sign), lambda s, sign=sign: pc.replace_substring(s, sign, "-"))
    return pc.if_else(pc.is_in(t, arrow.array(["-", "--"])), "", t)


_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _scaled_cells(cells: arrow.Array, factor: float) -> arrow.Array:
    """Amounts in USD as text (signed cells times `factor`); text that is no number as written."""
    t = _signed_cells(cells)
    compact = t
    for gap in (" ", "%"):
        compact = _where(compact, pc.match_substring(compact, gap), lambda s, gap=gap: pc.replace_substring(s, gap, ""))
    grouped = pc.and_(pc.match_substring(compact, ","), pc.match_substring_regex(compact, _GROUPED))
    plain = _where(compact, grouped, lambda s: pc.replace_substring(s, ",", ""))
    numeric = pc.match_substring_regex(plain, _DECIMAL)
    scaled = pc.multiply(pc.cast(pc.if_else(numeric, plain, "0"), arrow.float64()), factor)
    return pc.if_else(numeric, pc.cast(scaled, arrow.string()), t)


def _where(cells: arrow.Array, found: arrow.Array, change) -> arrow.Array:
    """`change` applied to the cells where `found`, the others as they are (most cells need nothing)."""
    if not pc.any(found).as_py():
        return cells
    return pc.replace_with_mask(cells, found, change(pc.filter(cells, found)))


def _measures(header: list[str]) -> list[tuple[int, str | None, str]]:
    """(column, period prefix or None, field) of the amount/growth/weight columns."""
    found, last = [], {}
    for i, h in enumerate(header):
        m = _MEASURE_RE.match(API_MEASURES.get(header_key(h), re.sub(r"\s+", "", h)))
        if not m:
            continue
        year, flow, measure = m.group(1), m.group(2), m.group(3) or "금액"
        prefix = {"수출": "export", "수입": "import", "수지": "balance"}[flow]
        if measure == "증감률" and last.get((year, flow)) == "중량":
            measure = "중량증감률"  # `수출 | 금액 | 증감률 | 중량 | 증감률`: the second is the weight's
        last[(year, flow)] = measure
        field = {
            "금액": f"{prefix}_usd",
            "증감률": f"{prefix}_growth_pct",
            "중량": f"{prefix}_kg",
            "중량증감률": None,
        }[measure]
        if field and field in NAMES:
            found.append((i, year, field))
    return found


def _totals(labels: arrow.Array) -> arrow.Array:
    """Which row labels are totals (총계, 합계, … 전체), spaces aside."""
    t = pc.replace_substring_regex(labels, r"[\s\p{Z}]+", "")
    found = pc.or_(
        pc.is_in(t, arrow.array(sorted(TOTAL_LABELS))), pc.or_(pc.ends_with(t, "전체"), pc.starts_with(t, "총계"))
    )
    return pc.fill_null(found, False)


def _row_period(text: str, year: str | None) -> tuple[str | None, str | None]:
    """(period, year in force) of a period row: `2024년` / `2024` a year, `1월` / `2024년 1월` /
    `2024.01` a month (of the last year row above it when it names none)."""
    t = text.strip()
    m = _YEAR_RE.match(t)
    if m:
        return m.group(1), m.group(1)
    m = _MONTH_RE.match(t)
    if m and (m.group(1) or year) and 1 <= int(m.group(2)) <= 12:
        y = m.group(1) or year
        return f"{y}-{int(m.group(2)):02d}", y
    return None, year


def _period_end(period: str) -> dt.date:
    if len(period) == 4:
        return dt.date(int(period), 12, 31)
    y, m = int(period[:4]), int(period[5:7])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class _Title:
    """What the title rows and the file name say of every record of the file."""

    region: str
    firm_size: str
    country: str | None
    retrieved: dt.date
    retrieved_from: str
    unit: str
    factor: float  # the amounts' unit in dollars
    weight: float  # the weights' unit in kg
    period: tuple[str, bool] | None  # the title's period and whether it is a whole year


def _title(grid: Grid, api: bool) -> _Title:
    path, stem = grid.path, grid.path.stem
    values, cells = _title_values(grid.preamble)
    region = _region(values, cells, stem)
    if region is None:
        raise RefusedFile(path, "ambiguous: neither the title rows nor the file name name a region (전북, 전국)")
    retrieved, retrieved_from = _retrieved(values, path)
    if api:
        _refuse_api_error(path, cells)
    default_unit = API_UNIT if api else "천달러"
    unit = values.get("단위", default_unit).replace(" ", "").split(",")[0] or default_unit
    factor = next((f for u, f in UNITS.items() if u in unit), None)
    if factor is None:
        raise RefusedFile(path, f"unknown amount unit 단위 '{unit}' (천달러, 달러, 백만달러 or 억달러)")
    return _Title(
        region,
        _firm_size(values, cells, stem),
        _country(values, stem),
        retrieved,
        retrieved_from,
        unit,
        factor,
        WEIGHT_UNITS.get(values.get("중량단위", "kg").strip().lower(), 1.0),
        _title_period(values, cells, stem),
    )


@dataclass(frozen=True)
class _Layout:
    """Which column holds what, once the header is understood."""

    header: list[str]
    start: int  # the first data row (1 when the row below the header was its second row)
    label_col: int
    dimension: str | None  # what the rows are (DIMENSIONS); None for `구분`, decided from the rows
    code_col: int | None
    country_col: int | None  # a row's own country or HS code, whatever its label (nitemtrade)
    hs_col: int | None
    measures: list[tuple[int, str | None, str]]  # (column, period prefix, field)
    kept: list[int]  # other columns, kept as written in the event's `extra`
    prefixes: list[str | None]  # the periods side by side, or [None]


def _layout(path: Path, header: list[str], columns: list[arrow.Array]) -> _Layout:
    start = 0
    # a two-row header the reader took as one: the row below holds 금액/증감률 under blank labels
    below = [col[0].as_py() or "" for col in columns] if len(columns[0]) else []
    if {header_key(c) for c in below} & {"금액", "증감률", "중량"}:
        header = combine_header([header, below], HeaderAt(0, 2))
        start = 1
    mapped = FIELDS.map_header(header)
    label_col = next((i for i, f in mapped.items() if f == "label"), None)
    if label_col is None:  # e.g. the row below the header, taken as its second row, covered its label
        raise RefusedFile(path, f"no column of row labels (년도, 년월, 국가, 품목 …) in the header {header}")
    measures = _measures(header)
    if not measures:
        raise RefusedFile(path, "no amount columns (수출금액, 수입금액, 수지, …) beside the row labels")
    # row numbers and the amounts' own columns are layout, not content
    kept = [
        i
        for i, h in enumerate(header)
        if h and i not in mapped and header_key(h) not in ROW_NUMBER_HEADERS
        and not _MEASURE_RE.match(API_MEASURES.get(header_key(h), re.sub(r"\s+", "", h)))
    ]  # fmt: skip
    return _Layout(
        header,
        start,
        label_col,
        DIMENSIONS.get(re.sub(r"\s+", "", header[label_col])),
        next((i for i, h in enumerate(header) if header_key(h) in CODE_HEADERS), None),
        next((i for i, f in mapped.items() if f == "country"), None),
        next((i for i, f in mapped.items() if f == "hs_code"), None),
        measures,
        kept,
        sorted({p for _, p, _ in measures if p}) or [None],
    )


def _rows_taken(
    layout: _Layout, columns: list[arrow.Array], text: arrow.Array, labels: list[str], totals: list[bool]
) -> tuple[list[int], list[str]]:
    """The rows that hold something (below a header row read as data), and for period rows their
    periods: a year row's year carries down to the month rows under it, and a total over periods
    is no period's figure."""
    filled = functools.reduce(pc.or_, (_filled(columns[i]) for i, _, _ in layout.measures), pc.not_equal(text, ""))
    rows_held = [r for r in pc.indices_nonzero(filled).to_pylist() if r >= layout.start]
    if layout.dimension != "period":
        return rows_held, []
    taken, periods, year = [], [], None
    for r in rows_held:
        period, year = _row_period(labels[r], year)
        if not totals[r]:
            taken.append(r)
            periods.append(period or labels[r])  # no period: quarantined by the period rule, with its text
    return taken, periods


def _amounts(layout: _Layout, columns: list[arrow.Array], title: _Title) -> dict[int, arrow.Array]:
    """Every amount column in dollars or kg, those of a scale converted at once (each RE2 pattern
    compiled once per file)."""
    n = len(columns[0])
    scales = {
        i: title.factor if f.endswith("_usd") else title.weight if f.endswith("_kg") else None
        for i, _, f in layout.measures
    }
    converted = {}
    for scale in set(scales.values()):
        same = [i for i in scales if scales[i] == scale]
        whole = arrow.concat_arrays([columns[i] for i in same])
        whole = _signed_cells(whole) if scale is None else _scaled_cells(whole, scale)
        converted |= {i: whole.slice(k * n, n) for k, i in enumerate(same)}
    return converted


def _dimensions(
    layout: _Layout, columns: list[arrow.Array], take: arrow.Array, label: arrow.Array, own: arrow.Array, title: _Title
) -> dict[str, arrow.Array]:
    """Each record's label, country, si-gun, MTI item and HS code (`own`: not a total row)."""
    m = len(take)
    none = arrow.array([""] * m, arrow.string())

    def cells(column: int | None) -> arrow.Array:
        return _signed_cells(pc.take(columns[column], take)) if column is not None else none

    row_country = cells(layout.country_col)  # nitemtrade: the row's own country, whatever its label
    country = pc.if_else(pc.not_equal(row_country, ""), row_country, title.country or "")
    code = (
        pc.utf8_trim_whitespace(pc.fill_null(pc.take(columns[layout.code_col], take), ""))
        if layout.code_col is not None
        else None
    )
    dimension = layout.dimension
    return {
        "label": label,
        "country": pc.if_else(own, label, country) if dimension == "country" else country,
        "sigun": pc.if_else(own, label, "") if dimension == "sigun" else none,
        # no code: the label, quarantined by the MTI rule
        "item_code": pc.if_else(own, pc.if_else(pc.not_equal(code, ""), code, label) if code else label, "")
        if dimension == "item"
        else none,
        "hs_code": pc.if_else(pc.not_equal(hs := cells(layout.hs_col), ""), hs, TOTAL)
        if layout.hs_col is not None
        else none,
    }


def reshape(grid: Grid) -> Grid:
    """One record per (table row, period), with what the title rows and file name say."""
    path = grid.path
    title = _title(grid, api=any(header_key(h) in API_MEASURES for h in grid.header))
    columns = [grid.table.column(f"c{i}").combine_chunks() for i in range(len(grid.header))]
    rows = grid.table.column("source_row").combine_chunks()
    layout = _layout(path, list(grid.header), columns)
    header, measures, prefixes = layout.header, layout.measures, layout.prefixes
    text = pc.utf8_trim_whitespace(pc.fill_null(columns[layout.label_col], ""))
    labels, totals = text.to_pylist(), _totals(columns[layout.label_col])
    if layout.dimension is None:  # `구분`: periods when the first row that is not a total is one
        first = next(
            (t for t, total in zip(labels[layout.start :], totals.to_pylist()[layout.start :]) if t and not total), ""
        )
        layout = replace(layout, dimension="period" if _row_period(first, None)[0] else "country")
    if layout.dimension != "period" and prefixes == [None] and title.period is None:
        raise RefusedFile(
            path, "ambiguous: no period in the title rows (기간 : 2022.01 ~ 2022.12), columns or file name"
        )
    taken, periods = _rows_taken(layout, columns, text, labels, totals.to_pylist())
    m = len(taken)
    take = arrow.array(taken, arrow.int64())
    label, own = pc.take(text, take), pc.invert(pc.take(totals, take))
    dims = _dimensions(layout, columns, take, label, own, title)
    constant = {
        "region": title.region,
        "firm_size": title.firm_size,
        "unit": title.unit,
        "retrieved_on": title.retrieved.isoformat(),
        "retrieved_from": title.retrieved_from,
    }
    converted = _amounts(layout, columns, title)
    parts = []
    for k, prefix in enumerate(prefixes, start=1):
        if layout.dimension == "period":
            record_periods, whole = periods, True
        else:
            (period, whole) = (prefix, True) if prefix else title.period
            record_periods = [period] * m
        ended = {p: _has_ended(p, title.retrieved) for p in set(record_periods)}
        record = {name: arrow.array([value] * m, arrow.string()) for name, value in constant.items()}
        record |= dims
        record["period"] = arrow.array(record_periods, arrow.string())
        record["status"] = arrow.array(
            ["final" if whole and ended[p] else "partial" for p in record_periods], arrow.string()
        )
        record["file_row"] = pc.cast(pc.take(rows, take), arrow.string())
        for i, p, field in measures:
            if p == prefix:
                record[field] = pc.take(converted[i], take)
        source_row = pc.take(rows, take)
        if len(prefixes) > 1:
            source_row = pc.add(pc.multiply(source_row, ROW_STRIDE), k)
        blank = arrow.nulls(m, arrow.string())
        parts.append(
            arrow.table(
                {f"c{j}": record.get(name, blank) for j, name in enumerate(NAMES)}
                | {f"c{len(NAMES) + j}": pc.take(columns[i], take) for j, i in enumerate(layout.kept)}
                | {"source_row": source_row}
            )
        )
    table = arrow.concat_tables(parts).sort_by("source_row")
    names = [*NAMES, *(header[i] for i in layout.kept)]
    if len(prefixes) == 1:
        return Grid(path, grid.encoding, names, table, grid.bad_rows, grid.preamble)
    # several periods: each record names the column its period's figures start in; a bad row is the whole row
    starts = [header[min(i for i, p, _ in measures if p == prefix)] for prefix in prefixes]
    bad = [(r * ROW_STRIDE, why, text) for r, why, text in grid.bad_rows]
    return Grid(path, grid.encoding, names, table, bad, grid.preamble, ROW_STRIDE, starts)


def _filled(column: arrow.Array) -> arrow.Array:
    return pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(column), ""), False)


def _has_ended(period: str | None, retrieved: dt.date) -> bool:
    return bool(period and re.fullmatch(r"\d{4}(-\d{2})?", period)) and _period_end(period) < retrieved


def _refuse_api_error(path: Path, cells: list[str]) -> None:
    """An open-API answer that is an error message (resultCode other than 00) holds no figures."""
    said = dict(c.split(" : ", 1) for c in cells if " : " in c)
    if said.get("resultCode", "00").strip() not in ("00", "0"):
        raise RefusedFile(path, f"the API answered an error: {said['resultCode']} {said.get('resultMsg', '')}".strip())


def rules() -> list[pa.Check]:
    latest = pd.Timestamp.today().normalize() + pd.Timedelta(days=1)
    return [
        row_check(
            lambda df: (
                df["period"].isna() | df["period"].str.fullmatch(r"(19|20)\d{2}(-(0[1-9]|1[0-2]))?").fillna(False)
            ),
            "통계기간/period '{period}' is not a year (2022) or a month (2022-03)",
        ),
        row_check(
            lambda df: (
                df["item_code"].isna()
                | df["item_code"].eq(TOTAL)
                | df["item_code"].str.fullmatch(r"\d{1,6}").fillna(False)
            ),
            "품목코드/item_code '{item_code}' is not an MTI code (1–6 digits)",
        ),
        row_check(
            lambda df: (
                df["hs_code"].isna() | df["hs_code"].eq(TOTAL) | df["hs_code"].str.fullmatch(r"\d{2,10}").fillna(False)
            ),
            "HS부호/hs_code '{hs_code}' is not an HS code (2–10 digits)",
        ),
        row_check(
            lambda df: df["retrieved_on"].isna() | df["retrieved_on"].between(pd.Timestamp("2000-01-01"), latest),
            "조회일/retrieved_on '{retrieved_on_raw}' is outside 2000-01-01 … today",
        ),
        row_check(
            lambda df: df[["export_usd", "import_usd", "balance_usd"]].notna().any(axis=1),
            "the row has no amount (수출금액, 수입금액 or 수지)",
        ),
        *(
            row_check(lambda df, c=c: df[c].isna() | (df[c] >= 0), f"{FIELDS[c].label} '{{{c}_raw}}' is negative")
            for c in ("export_usd", "import_usd", "export_kg", "import_kg")
        ),
    ]


TRADE = SourceKind(
    name="trade",
    title="무역통계 (K-stat) / KITA trade statistics",
    fields=FIELDS,
    recognise_by=("label",),
    # hs_code last: empty for K-stat figures, whose ids stay what they were before it existed
    key=("region", "firm_size", "country", "item_code", "sigun", "period", "hs_code"),
    occurred_on="retrieved_on",
    event_type="'trade_statistic_recorded'",
    event_types=("trade_statistic_recorded",),
    conflict_hint="a later retrieval (조회일) of the same figures supersedes this one",
    on_conflict="supersede",
    rules=rules,
    reshape=reshape,
    breakdown="region",
    record="statistic",
    about="One event per figure (exports, imports, balance, growth, weight) of a region, firm size, country, "
    "MTI item, si-gun and period, as one K-stat or Korea Customs snapshot (retrieval date) gave it; a later "
    "snapshot of the same figure is a new version of its stream, and the intermediate models take the latest.",
    example=(
        "전북특별자치도 국가별 수출입\n"
        "지역 : 전북,기간 : 2022.01 ~ 2022.12,단위 : 천달러,조회일 : 2023-03-15\n"
        "\n"
        "순번,국가명,수출금액,수출증감률,수입금액,수입증감률,수지\n"
        ',총계,"8,222,087",5.2,"6,498,011",6.5,"1,724,076"\n'
        '1,미국,"1,703,103",26.4,"603,659",△3.9,"1,099,444"\n'
        '3,베트남,"488,822",8.9,"430,334",44.1,"58,488"\n'
        '10,인도,"177,096",▲16.0,"249,946",-13.1,"-72,850"\n'
    ),
)
