"""Charts of the HTML report (matplotlib), as self-contained SVG data URIs.

Korean text needs a Korean font: the Nanum fonts that koreanize-matplotlib carries in its wheel
are registered with matplotlib's font manager from the installed package (nothing is
downloaded). Text is drawn as paths, so the report needs no font either.
"""

from __future__ import annotations

import base64
import importlib.util
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib import font_manager, ft2font, ticker
from matplotlib.figure import Figure  # a Figure of its own, not pyplot: no display, no global state

from pipelines.export.frames import ALL, OBSERVED, YearFrames

FONT_FAMILY = "NanumGothic"
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6")


@dataclass(frozen=True)
class Chart:
    key: str  # code name
    title: str  # Korean title
    uri: str  # data:image/svg+xml;base64,…


@cache
def register_korean_font() -> str:
    """Add the Nanum fonts shipped inside koreanize-matplotlib to matplotlib's font manager, in
    place of any other copy of those families."""
    spec = importlib.util.find_spec("koreanize_matplotlib")  # located, not imported: no global rc changes
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("koreanize-matplotlib is not installed: it carries the Korean fonts of the charts")
    fonts = sorted(Path(next(iter(spec.submodule_search_locations)), "fonts").glob("*.ttf"))
    if not fonts:
        raise RuntimeError("koreanize-matplotlib ships no .ttf fonts in this version")
    # A system copy of the same family (Debian's fonts-nanum, which the report's browser test
    # installs) would otherwise win or lose by the font cache's order, and the charts' outlines
    # would depend on the machine: the package's files are the only ones of their names.
    names = {font_manager.ttfFontProperty(ft2font.FT2Font(str(path))).name for path in fonts}
    manager = font_manager.fontManager
    manager.ttflist = [f for f in manager.ttflist if f.name not in names]
    for path in fonts:
        manager.addfont(str(path))  # clears the manager's lookup cache
    return FONT_FAMILY


def _style() -> dict:
    return {
        "font.family": register_korean_font(),
        "axes.unicode_minus": False,  # Nanum has no U+2212 minus
        "text.parse_math": False,  # "$6.4M" and names from input files are text, never mathtext
        "svg.fonttype": "path",  # text as outlines: the report needs no font
        "svg.hashsalt": "jeonbuk-export",  # stable element ids: the same data gives the same file
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _figure(width: float, height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _uri(fig: Figure) -> str:
    buf = io.BytesIO()
    with matplotlib.rc_context(_style()):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _draw(key: str, title: str, width: float, height: float, draw) -> Chart:
    with matplotlib.rc_context(_style()):
        fig, ax = _figure(width, height)
        draw(ax)
        ax.set_title(title, loc="left", fontsize=12)
        return Chart(key, title, _uri(fig))


def _rows(frames: YearFrames, table: str, keep) -> pd.DataFrame | None:
    """The rows of `table` a chart draws (`keep`: a row filter), or None when there are none."""
    if table not in frames.tables:
        return None
    rows = frames[table]
    rows = rows[keep(rows)]
    return None if rows.empty else rows


def _usd(value: float) -> str:
    return f"${value / 1e6:,.2f}M" if abs(value) >= 1e6 else f"${value:,.0f}"


def attainment(frames: YearFrames) -> Chart | None:
    values = _rows(frames, "indicator_values", lambda v: v["target"].notna() & (v["evaluation_year"] == frames.year))
    if values is None:
        return None
    names = list(dict.fromkeys(values["name_ko"]))
    centres = [c for c in frames.centres if c in set(values["center"])]
    bar = 0.8 / max(1, len(centres))

    def draw(ax):
        for k, centre in enumerate(centres):
            part = values[values["center"] == centre].set_index("name_ko")["attainment_rate"]
            ys = [i + k * bar for i in range(len(names))]
            ax.barh(
                ys, [part.get(n, float("nan")) for n in names], bar, color=COLOURS[k % len(COLOURS)],
                label=f"{frames.centres[centre]} ({centre})",
            )  # fmt: skip
        ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
        ax.set_yticks([i + bar * (len(centres) - 1) / 2 for i in range(len(names))], names)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        ax.set_xlabel("목표 대비 달성률 (attainment_rate); 점선 = 100 %")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))

    return _draw("attainment", f"{frames.year}년 센터별 목표 대비 실적", 9, 1.2 + 0.3 * len(names), draw)


def goal_path(frames: YearFrames) -> Chart | None:
    goal = _rows(frames, "goal_path", lambda g: g["year"].notna())
    if goal is None:
        return None

    def draw(ax):
        for k, (code, rows) in enumerate(goal.groupby("goal_code", sort=True)):
            colour = COLOURS[k % len(COLOURS)]
            ax.plot(rows["year"], rows["path_value_usd"], "--o", color=colour, label=f"목표 경로 ({code})")
            ax.plot(rows["year"], rows["actual_value_usd"], "-s", color=colour, label="실적 (actual_value_usd)")
            last = rows.iloc[-1]
            ax.text(
                0.02, 0.97 - 0.12 * k,
                f"{int(last['year'])} 목표 {_usd(last['path_value_usd'])}"
                + (f" (보고서 목표 {_usd(last['report_target_usd'])})" if pd.notna(last["report_target_usd"]) else ""),
                transform=ax.transAxes, va="top", fontsize=9,
            )  # fmt: skip
        ax.axvline(frames.year, color="grey", linewidth=0.8, linestyle=":")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _usd(v)))
        ax.set_xticks(sorted(goal["year"].unique()))
        ax.set_xlabel("연도 (year)")
        ax.legend(loc="lower right")

    return _draw("goal_path", "센터 이용기업 수출: 2026 목표 경로 (USD)", 8, 4, draw)


def funnel(frames: YearFrames) -> Chart | None:
    rows = _rows(frames, "process_evaluation", lambda r: r["center"] == ALL)
    if rows is None:
        return None

    def draw(ax):
        ax.barh(rows["stage_name_ko"], rows["opportunities"], color=COLOURS[0])
        for y, (n, p, w) in enumerate(
            zip(rows["opportunities"], rows["expected_contract_probability"], rows["weighted_pipeline_usd"])
        ):
            ax.annotate(
                f" {n:,}건 · p {p:.0%} · 가중 {_usd(w or 0)}", (n, y), va="center", fontsize=9, annotation_clip=False
            )
        ax.invert_yaxis()
        ax.set_xlabel("최종 단계별 기회 수 (opportunities); 가중 파이프라인 = Σ p × 금액 (weighted_pipeline_usd)")
        ax.margins(x=0.45)

    total = rows["weighted_pipeline_usd"].sum()
    return _draw("funnel", f"{frames.year}년 과정 단계 (전체), 가중 파이프라인 {_usd(total)}", 9, 4, draw)


def observed_rates(frames: YearFrames) -> Chart | None:
    observed = lambda r: (r["center"] == ALL) & r["observed_contract_rate"].notna()
    rows = _rows(frames, "process_evaluation" + OBSERVED, observed)
    if rows is None:
        return None

    def draw(ax):
        xs = range(len(rows))
        low = rows["observed_contract_rate"] - rows["observed_rate_ci_low"]
        high = rows["observed_rate_ci_high"] - rows["observed_contract_rate"]
        ax.errorbar(
            xs, rows["observed_contract_rate"], yerr=[low, high], fmt="o", capsize=4, color=COLOURS[0],
            label="관측 계약률, Wilson 95% 구간 (observed_contract_rate)",
        )  # fmt: skip
        ax.scatter(xs, rows["expected_contract_probability"], marker="D", color=COLOURS[1], zorder=3)
        ax.scatter([], [], marker="D", color=COLOURS[1], label="가정 확률 (expected_contract_probability)")
        for x, n in zip(xs, rows["observed_cohort_opportunities"]):
            ax.annotate(f"n={n:,}", (x, 0), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
        ax.set_xticks(list(xs), rows["stage_name_ko"], rotation=15, ha="right")
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        ax.set_ylim(0, 1.05)
        ax.legend(loc="upper left")

    return _draw(
        "observed_rates", f"{frames.year - 1}년 단계 진입 기회의 12개월 내 계약률: 관측 대비 가정 (전체)", 9, 4.2, draw
    )


def tier_flows(frames: YearFrames) -> Chart | None:
    rows = _rows(frames, "tier_transitions", lambda r: r["center"] == ALL)
    if rows is None:
        return None
    table = rows.pivot_table(index="from_tier", columns="to_tier", values="firms", aggfunc="sum", fill_value=0)

    def draw(ax):
        left = pd.Series(0, index=table.index)
        for k, to_tier in enumerate(table.columns):
            ax.barh(table.index, table[to_tier], left=left, color=COLOURS[k % len(COLOURS)], label=f"→ {to_tier}")
            left = left + table[to_tier]
        ax.set_xlabel(f"기업 수 (firms): {frames.year - 1}년 단계 → {frames.year}년")
        ax.set_ylabel("기준 단계 (from_tier)")
        ax.legend(loc="lower right", fontsize=8)

    return _draw("tier_flows", f"단계 이동 {frames.year - 1} → {frames.year} (전체)", 8, 3.5, draw)


def cohort_retention(frames: YearFrames) -> Chart | None:
    rows = _rows(frames, "cohort_retention", lambda r: r["center"] == ALL)
    if rows is None:
        return None

    def draw(ax):
        labels = [f"{int(c)}년 코호트, {int(y)}년차" for c, y in zip(rows["cohort_year"], rows["years_since_entry"])]
        ax.bar(labels, rows["retention_rate"], color=COLOURS[2])
        for x, (r, n) in enumerate(zip(rows["retention_rate"], rows["cohort_firms"])):
            ax.annotate(f"{r:.0%} (n={n:,})", (x, r), textcoords="offset points", xytext=(0, 3), ha="center")
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("유지율 (retention_rate)")

    return _draw("cohort_retention", f"{frames.year}년에 관측한 코호트 유지율 (전체)", 8, 3.5, draw)


def satisfaction(frames: YearFrames) -> Chart | None:
    rows = _rows(frames, "satisfaction_evaluation", lambda r: r["tier"] == ALL)
    if rows is None:
        return None
    rows = rows.sort_values(["survey", "program_code", "question"])
    programmes = list(dict.fromkeys(zip(rows["survey"], rows["program_code"], rows["program_name_ko"])))

    def draw(ax):
        for k, (question, label) in enumerate((("agreement", "동의"), ("importance", "중요도"))):
            part = rows[rows["question"] == question].set_index(["survey", "program_code"])
            ys, xs, lo, hi, ns = [], [], [], [], []
            for i, (survey, code, _) in enumerate(programmes):
                if (survey, code) not in part.index:
                    continue
                r = part.loc[(survey, code)]
                ys.append(i + 0.2 * k)
                xs.append(r["score_100"])
                lo.append(r["score_100"] - r["ci_low_100"] if pd.notna(r["ci_low_100"]) else 0)
                hi.append(r["ci_high_100"] - r["score_100"] if pd.notna(r["ci_high_100"]) else 0)
                ns.append(r["n"])
            ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", capsize=3, color=COLOURS[k], label=f"{label} ({question})")
            for x, y, n in zip(xs, ys, ns):
                ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(6, -3), fontsize=7)
        ax.set_yticks([i + 0.1 for i in range(len(programmes))], [f"{name} ({code})" for _, code, name in programmes])
        ax.invert_yaxis()
        ax.set_xlim(25, 100)
        ax.set_xlabel("100점 환산 점수와 95% 구간 (score_100, ci_low_100–ci_high_100)")
        ax.legend(loc="lower left")

    return _draw("satisfaction", f"{frames.year}년 사업별 만족도 (응답 전체)", 9, 1.4 + 0.5 * len(programmes), draw)


def trade(frames: YearFrames) -> Chart | None:
    rows = _rows(frames, "trade_context", lambda r: r["value_usd"].notna())
    if rows is None:
        return None

    def draw(ax):
        ax.barh(rows["series"], rows["value_usd"], color=COLOURS[3])
        for y, (v, g) in enumerate(zip(rows["value_usd"], rows["yoy_growth_rate"])):
            growth = f", 전년 대비 {g:+.1%}" if pd.notna(g) else ""
            ax.annotate(f" {_usd(v)}{growth}", (v, y), va="center", fontsize=8, annotation_clip=False)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("수출액 USD, 로그 눈금 (value_usd)")
        ax.margins(x=0.6)

    return _draw("trade", f"{frames.year}년 무역 맥락 (KITA, 계열별 수출액)", 9, 1.2 + 0.4 * len(rows), draw)


CHARTS = (attainment, goal_path, funnel, observed_rates, tier_flows, cohort_retention, satisfaction, trade)


def draw_all(frames: YearFrames) -> dict[str, Chart]:
    """Every chart that has data for the year, by key."""
    return {chart.key: chart for chart in (make(frames) for make in CHARTS) if chart is not None}
