"""Sample K-stat downloads (docs/sources.md §6) built from the report's published figures
(Tables 2-2 … 2-8, transcribed below), in the layouts real downloads have: title rows,
one- and two-row headers, periods side by side, `2022년` year rows with month rows under them,
총계 rows, △/▲ negatives, MTI codes as text; `.xls`, `.xlsx` and CSV (UTF-8 and CP949); and one
revised snapshot (a preliminary 2022 total retrieved on 2023-01-20, superseded later).

Amounts are thousand USD. Where the report prints only rounded levels (Table 2-8, USD 100
million) the yearly values are chosen to round to them, with 2021–2022 equal to Tables 2-2, 2-4
and 2-7; 2018 is chosen so that the all-firm compound growth 2018–2022 is (82/78)^(1/4) − 1 =
1.26 % and the other three series give the report's printed averages (6.0 %, 6.6 %, −2.3 %).
Deterministic: the same bytes on every run. At a scale above 1 (benchmarks), `scale` monthly
re-downloads of a detailed MTI-6 item table are added under `trade/snapshots/`: made-up items
without a 총계 row, so the marts' province figures stay those of the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from pipelines.generate.write import write_xlsx

YEARS = (2018, 2019, 2020, 2021, 2022)
# (export, import) thousand USD, Jeonbuk all firms (Table 2-2 for 2021–2022; 2-8 levels)
JEONBUK = {
    2018: (7_821_010, 5_200_000),
    2019: (6_512_340, 4_900_000),
    2020: (5_843_797, 4_770_915),
    2021: (7_819_204, 6_102_000),
    2022: (8_222_087, 6_498_011),
}
PRELIMINARY_2022 = (8_219_540, 6_497_120)  # the first snapshot, revised by the later ones
NATIONAL = {2021: (644_439_000, 615_037_000), 2022: (683_750_000, 731_217_000)}
SME = {2018: 1_349_000, 2019: 1_500_000, 2020: 1_200_000, 2021: 1_463_727, 2022: 1_703_778}
BY_COUNTRY = {  # exports, thousand USD, by year
    ("all", "베트남"): {2018: 520_000, 2019: 440_000, 2020: 370_000, 2021: 448_872, 2022: 488_822},
    ("all", "인도"): {2018: 210_848, 2019: 180_000, 2020: 150_000, 2021: 210_829, 2022: 177_096},
    ("sme", "베트남"): {2018: 75_000, 2019: 80_000, 2020: 72_000, 2021: 95_118, 2022: 93_120},
    ("sme", "인도"): {2018: 25_675, 2019: 30_000, 2020: 28_000, 2021: 24_882, 2022: 36_880},
}
# Table 2-4, exports and imports 2022 (import or export outside a top-10 list made up below it)
COUNTRIES_2022 = [  # name, export, export growth %, import, import growth %
    ("미국", 1_703_103, 26.4, 603_659, -3.9),
    ("중국", 1_422_158, -14.1, 1_389_924, -5.8),
    ("베트남", 488_822, 8.9, 430_334, 44.1),
    ("일본", 480_163, -1.3, 848_605, -5.8),
    ("폴란드", 307_635, 11.6, 12_410, 3.0),
    ("인도네시아", 196_452, 11.3, 194_244, 12.0),
    ("브라질", 187_061, -15.3, 321_029, 29.0),
    ("멕시코", 186_946, 25.9, 40_112, 2.2),
    ("태국", 184_453, -15.6, 98_760, -4.1),
    ("인도", 177_096, -16.0, 249_946, -13.1),
    ("아르헨티나", 21_330, 5.5, 361_510, 68.8),
    ("독일", 150_207, 4.0, 283_969, -6.2),
    ("말레이시아", 120_554, 9.1, 157_187, 26.8),
]
# Table 2-3 (MTI codes illustrative, as text: leading zeros are part of the code)
ITEMS_2022 = [  # code, name, export, growth, import, growth
    ("613", "동제품", 724_479, 7.5, 268_990, 4.4),
    ("223", "정밀화학원료", 646_074, 11.0, 388_034, 40.9),
    ("214", "합성수지", 602_630, -9.0, 88_120, -2.0),
    ("717", "농기계", 581_140, 30.1, 280_926, 1.1),
    ("712", "건설광산기계", 572_959, 19.9, 61_003, 5.0),
    ("741", "자동차", 530_021, 6.2, 40_550, -7.5),
    ("225", "농약 및 의약품", 516_254, -3.5, 590_815, -17.3),
    ("612", "선재봉강 및 철근", 331_111, -1.3, 20_045, 1.9),
    ("252", "종이제품", 312_912, 7.0, 30_220, 2.4),
    ("742", "자동차부품", 277_007, 0.9, 296_183, 51.6),
    ("014", "식물성물질", 15_880, 3.2, 1_002_393, 38.1),
    ("042", "목재류", 8_420, -4.4, 417_972, 3.4),
    ("614", "알루미늄", 60_310, 2.1, 184_148, -9.3),
    ("611", "철강판", 90_450, -6.0, 169_412, 42.2),
    ("251", "제지원료", 4_230, 1.0, 175_592, 6.2),
]
SIGUN_2022 = [  # Table 2-5
    ("고창군", 3_792, -17.2),
    ("군산시", 2_685_073, 9.4),
    ("김제시", 327_100, 32.2),
    ("남원시", 42_072, -2.7),
    ("무주군", 8_073, 25.4),
    ("부안군", 30_963, -25.3),
    ("순창군", 3_270, 13.8),
    ("완주군", 1_573_041, 4.5),
    ("익산시", 1_802_229, -0.3),
    ("임실군", 146_288, 48.6),
    ("장수군", 6_945, -1.9),
    ("전주시", 788_457, -15.8),
    ("정읍시", 801_360, 21.8),
    ("진안군", 3_425, -54.9),
]
SME_ITEMS_2022 = [  # Table 2-6
    ("0413", "사료", 120_112, 63.4),
    ("229", "기타 화학품", 107_426, 1214.4),
    ("7135", "열교환기 등 기계", 66_795, 66.1),
    ("2152", "플라스틱 관, 파이프", 66_556, 125.3),
    ("631", "귀금속 보석", 61_657, 0.7),
    ("8361", "반도체 장치", 59_733, -45.4),
    ("7491", "무기류 부분품", 59_364, 5.9),
    ("6195", "은", 57_699, 172.5),
    ("742", "자동차 부분품", 50_987, -8.9),
    ("2153", "플라스틱 시트, 필름", 44_558, -14.7),
]
SME_COUNTRIES_2022 = [  # Table 2-7, and India below its top 10
    ("중국", 300_316, -9.2),
    ("미국", 277_716, 24.9),
    ("일본", 171_208, -6.1),
    ("베트남", 93_120, -2.1),
    ("스위스", 92_780, 193.6),
    ("태국", 65_328, -0.9),
    ("멕시코", 56_997, 21.3),
    ("말레이시아", 54_180, 26.5),
    ("러시아", 44_067, 16.9),
    ("아랍에미리트", 43_352, 115.1),
    ("인도", 36_880, 48.2),
]


def growth(value: float, sign: str = "△") -> str:
    """A growth rate as K-stat prints it: negatives with △ (or ▲)."""
    return f"{sign}{-value:.1f}" if value < 0 else f"{value:.1f}"


def pct(now: float, before: float | None) -> float | None:
    return None if not before else round((now / before - 1) * 100, 1)


def sep(value: float) -> str:
    return f"{value:,.0f}"


def _csv(path: Path, rows: list[list], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["" if c is None else c for c in r] for r in rows])
    path.write_bytes(buf.getvalue().encode(encoding))


def _xlsx(path: Path, rows: list[list]) -> None:
    write_xlsx(path, rows, "K-stat", creator="K-stat")


def _xls(path: Path, rows: list[list]) -> None:
    import xlwt  # only the generator writes binary Excel (pyproject `dev` extras)

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("K-stat")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(buf.getvalue())


def _monthly(total: int) -> list[int]:
    """A year's total over twelve months (deterministic shares), summing exactly."""
    shares = [7, 8, 9, 8, 8, 9, 8, 8, 8, 9, 9, 9]
    months = [total * s // 100 for s in shares]
    months[-1] += total - sum(months)
    return months


def _regional_xls() -> list[list]:
    """지역별 수출입 총괄: a two-row header, year rows, and 2022's month rows under its year row."""
    rows: list[list] = [
        ["지역별 수출입 총괄"],
        ["지역 : 전라북도", None, None, "단위 : 천달러, kg", None, "조회일 : 2023-03-15"],
        [],
        ["년월", "수출", None, None, None, "수입", None, None, None, "수지"],
        [None, "금액", "증감률", "중량", "증감률", "금액", "증감률", "중량", "증감률", "금액"],
    ]
    for y in YEARS:
        exp, imp = JEONBUK[y]
        before = JEONBUK.get(y - 1)
        g_exp = pct(exp, before[0]) if before else None
        g_imp = pct(imp, before[1]) if before else None
        rows.append(
            [
                f"{y}년",
                exp,
                "-" if g_exp is None else growth(g_exp),
                exp * 3,
                "-",
                imp,
                "-" if g_imp is None else growth(g_imp, "▲"),
                imp * 5,
                "-",
                exp - imp,
            ]
        )
        if y == 2022:
            for m, (e, i) in enumerate(zip(_monthly(exp), _monthly(imp)), start=1):
                rows.append([f"{m}월", e, "-", e * 3, "-", i, "-", i * 5, "-", e - i])
    return rows


def _preliminary_csv() -> list[list]:
    """The first snapshot of 2021–2022, before 2022 was revised: dated by its file name."""
    (e21, i21), (e22, i22) = JEONBUK[2021], PRELIMINARY_2022
    return [
        ["전라북도 수출입 총괄 (잠정)"],
        ["단위 : 천달러"],
        ["년도", "수출금액", "수출증감률", "수입금액", "수입증감률", "수지"],
        [
            "2021",
            sep(e21),
            growth(pct(e21, JEONBUK[2020][0])),
            sep(i21),
            growth(pct(i21, JEONBUK[2020][1])),
            sep(e21 - i21),
        ],
        ["2022", sep(e22), growth(pct(e22, e21)), sep(i22), growth(pct(i22, i21)), sep(e22 - i22)],
    ]


def _national_csv() -> list[list]:
    rows = [
        ["K-stat 지역별 수출입 총괄"],
        ["지역 : 전국", "단위 : 백만달러", "조회일 : 2023.03.15"],
        [],
        ["년도", "수출금액", "수출증감률", "수입금액", "수입증감률", "수지"],
    ]
    growths = {2021: (25.7, 31.5), 2022: (6.1, 18.9)}
    for y, (e, i) in NATIONAL.items():
        ge, gi = growths[y]
        rows.append([str(y), sep(e / 1000), growth(ge), sep(i / 1000), growth(gi), sep((e - i) / 1000)])
    return rows


def _countries_xlsx() -> list[list]:
    exp, imp = JEONBUK[2022]
    rows: list[list] = [
        ["전북특별자치도 국가별 수출입"],
        ["기간 : 2022.01 ~ 2022.12"],
        ["단위 : 천달러"],
        ["조회일 : 2024-02-01"],
        [],
        ["순번", "국가명", "수출금액", "수출증감률", "수입금액", "수입증감률", "수지"],
        [None, "총계", exp, growth(pct(exp, JEONBUK[2021][0])), imp, growth(pct(imp, JEONBUK[2021][1])), exp - imp],
    ]
    for n, (name, e, ge, i, gi) in enumerate(COUNTRIES_2022, start=1):
        rows.append([n, name, e, growth(ge), i, growth(gi, "▲"), e - i])
    return rows


def _items_xlsx() -> list[list]:
    """품목별 수출입, 2021 and 2022 side by side (2021 from the 2022 growth rates)."""
    head = ["순번", "코드", "품목명"]
    for y in (2021, 2022):
        head += [f"{y}수출금액", f"{y}수출증감률", f"{y}수입금액", f"{y}수입증감률", f"{y}수지"]
    rows: list[list] = [
        ["품목별 수출입 (MTI 3단위)"],
        ["지역 : 전북 | 단위 : 천달러 | 조회일 : 2023-03-15"],
        [],
        head,
    ]
    (e21, i21), (e22, i22) = JEONBUK[2021], JEONBUK[2022]
    rows.append(
        [
            None,
            None,
            "총계",
            e21,
            "-",
            i21,
            "-",
            e21 - i21,
            e22,
            growth(pct(e22, e21)),
            i22,
            growth(pct(i22, i21)),
            e22 - i22,
        ]
    )
    for n, (code, name, e, ge, i, gi) in enumerate(ITEMS_2022, start=1):
        e0, i0 = round(e / (1 + ge / 100)), round(i / (1 + gi / 100))
        rows.append([n, code, name, e0, "-", i0, "-", e0 - i0, e, growth(ge), i, growth(gi), e - i])
    return rows


def _sigun_csv() -> list[list]:
    rows = [
        ["전라북도 시군별 수출실적"],
        ["기간 : 2022.01 ~ 2022.12", "단위 : 천달러", "작성일 : 2023-03-20"],
        ["순번", "시군명", "수출금액", "수출증감률"],
    ]
    for n, (name, e, g) in enumerate(SIGUN_2022, start=1):
        rows.append([str(n), name, sep(e), growth(g)])
    rows.append(["", "전라북도 전체", sep(JEONBUK[2022][0]), growth(5.2)])
    return rows


def _sme_items_xlsx() -> list[list]:
    rows: list[list] = [
        ["전라북도 중소기업 품목별 수출"],
        ["기업규모 : 중소기업", "기간 : 2022.01 ~ 2022.12", "단위 : 천달러", "조회일 : 2023-03-20"],
        ["순번", "코드", "품목명", "수출금액", "수출증감률"],
        [None, None, "전라북도 중소기업 전체", SME[2022], growth(pct(SME[2022], SME[2021]))],
    ]
    rows += [[n, code, name, e, growth(g)] for n, (code, name, e, g) in enumerate(SME_ITEMS_2022, start=1)]
    return rows


def _sme_countries_xlsx() -> list[list]:
    rows: list[list] = [
        ["전라북도 중소기업 국가별 수출"],
        ["기업규모 : 중소기업"],
        ["기간 : 2022.01 ~ 2022.12", "조회일 : 2023-03-20"],
        ["순번", "국가명", "수출금액", "수출증감률"],
        [None, "총계", SME[2022], growth(pct(SME[2022], SME[2021]))],
    ]
    rows += [[n, name, e, growth(g)] for n, (name, e, g) in enumerate(SME_COUNTRIES_2022, start=1)]
    return rows


def _yearly(series: dict[int, int], title: list[list]) -> list[list]:
    """Year rows 2018–2022 under a one-row header (`년도`)."""
    rows = [*title, ["년도", "수출금액", "수출증감률"]]
    for y in YEARS:
        g = pct(series[y], series.get(y - 1))
        rows.append([str(y), sep(series[y]), "-" if g is None else growth(g)])
    return rows


DETAIL_ITEMS = 1_000  # rows of a detailed item table (MTI 6 has about 1,300 items)


def _detail_snapshot(retrieved: dt.date, revision: int) -> list[list]:
    """품목별 수출입 (MTI 6단위), 2021 and 2022 side by side, as retrieved on `retrieved`."""
    head = ["순번", "코드", "품목명"]
    for y in (2021, 2022):
        head += [f"{y}수출금액", f"{y}수출증감률", f"{y}수입금액", f"{y}수입증감률", f"{y}수지"]
    rows: list[list] = [
        ["품목별 수출입 (MTI 6단위)"],
        ["지역 : 전북", "단위 : 천달러", f"조회일 : {retrieved.isoformat()}"],
        [],
        head,
    ]
    for n in range(1, DETAIL_ITEMS + 1):
        e21, i21 = n * 37 % 9_973 + 10, n * 53 % 7_919 + 5
        e22, i22 = e21 + (n + revision) % 97, i21 + (n * 3 + revision) % 89
        rows.append(
            [str(n), f"{100_000 + n * 7:06d}", f"품목 {n}", sep(e21), "-", sep(i21), "-", sep(e21 - i21),
             sep(e22), growth(pct(e22, e21)), sep(i22), growth(pct(i22, i21)), sep(e22 - i22)]
        )  # fmt: skip
    return rows


def write_trade(out_dir: Path, scale: int = 1) -> dict:
    """Write `out_dir/trade/` and return the files written (name -> format)."""
    target = Path(out_dir) / "trade"
    if target.exists() and any(p.is_file() for p in target.rglob("*")):
        raise FileExistsError(f"{target} already holds files; remove it or choose another folder")
    target.mkdir(parents=True, exist_ok=True)
    dated = [["조회일 : 2023-03-15"], ["단위 : 천달러"], []]
    files = {
        "K-stat 총괄 전북 2018-2022.xls": (_xls, _regional_xls()),
        "전북_수출입총괄_20230120.csv": (lambda p, r: _csv(p, r, "cp949"), _preliminary_csv()),
        "K-stat 총괄 전국 2021-2022.csv": (lambda p, r: _csv(p, r, "utf-8-sig"), _national_csv()),
        "전북특별자치도_국가별_수출입_2022.xlsx": (_xlsx, _countries_xlsx()),
        "전북_품목별_수출입_2021-2022.xlsx": (_xlsx, _items_xlsx()),
        "전북_시군별_수출_2022.csv": (lambda p, r: _csv(p, r, "utf-8"), _sigun_csv()),
        "전북_중소기업_품목별_수출_2022.xlsx": (_xlsx, _sme_items_xlsx()),
        "전북_중소기업_국가별_수출_2022.xlsx": (_xlsx, _sme_countries_xlsx()),
        "전북_중소기업_수출총괄_2018-2022.xlsx": (
            _xlsx,
            _yearly(SME, [["중소기업 수출 추이"], ["지역 : 전라북도", "기업규모 : 중소기업"], *dated]),
        ),
    }
    for (size, country), series in BY_COUNTRY.items():
        sme = "_중소기업" if size == "sme" else ""
        title = [["국가별 수출 추이"], *dated]  # the country (and firm size) only in the file name
        files[f"전북{sme}_{country}_수출_2018-2022.xlsx"] = (_xlsx, _yearly(series, title))
    for k in range(scale if scale > 1 else 0):
        retrieved = dt.date(2023 + k // 12, k % 12 + 1, 5)
        files[f"snapshots/전북_품목별_수출입_MTI6_{retrieved:%Y%m%d}.csv"] = (
            lambda p, r: _csv(p, r, "utf-8-sig"),
            _detail_snapshot(retrieved, k),
        )
    if scale > 1:
        (target / "snapshots").mkdir()
    for name, (write, rows) in files.items():
        write(target / name, rows)
    return {name: Path(name).suffix.lstrip(".") for name in files}
