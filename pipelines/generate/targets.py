"""What the generated logs must add up to: yearly result indicators, both centres summed.

2019–2022 are the report's Table 2-9 (Policy Research 2023-17; consultation amount in USD,
not the text's "74.9만 달러" slip) and its "actual exports about USD 12 million" over the same
years. 2023–2025 are not in the report: they continue 2022 at roughly the Jeonbuk SME growth
rate (6–8 % a year), so that the later years look like an ordinary continuation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

FIRST_YEAR, LAST_YEAR = 2019, 2025
REPORT_YEARS = (2019, 2020, 2021, 2022)


@dataclass(frozen=True)
class YearTargets:
    supported_firms: int
    importers_discovered: int
    difficulties_resolved: int
    consultations: int
    consultation_usd: int  # whole dollars; Table 2-9 prints USD million to one decimal
    export_usd: int

    def scaled(self, scale: int) -> YearTargets:
        return YearTargets(*(getattr(self, f.name) * scale for f in fields(self)))


TARGETS: dict[int, YearTargets] = {
    2019: YearTargets(166, 386, 201, 38, 8_900_000, 350_000),
    2020: YearTargets(285, 2824, 1513, 825, 26_200_000, 2_450_000),
    2021: YearTargets(258, 1818, 1462, 338, 23_400_000, 4_100_000),
    2022: YearTargets(182, 1589, 1305, 310, 16_400_000, 5_100_000),
    2023: YearTargets(196, 1680, 1370, 335, 17_500_000, 5_500_000),
    2024: YearTargets(212, 1790, 1440, 362, 18_900_000, 5_900_000),
    2025: YearTargets(229, 1905, 1510, 390, 20_300_000, 6_300_000),
}

# Share of each year's activity that falls to Hanoi; New Delhi takes the rest. Hanoi is the
# only centre open in 2019 and New Delhi opens in April 2020, so its share grows from there.
HANOI_SHARE: dict[int, float] = {
    2019: 1.0,
    2020: 0.60,
    2021: 0.55,
    2022: 0.54,
    2023: 0.53,
    2024: 0.52,
    2025: 0.52,
}


def centre_split(total: int, year: int) -> dict[str, int]:
    """An integer yearly total split between the centres, summing exactly to `total`."""
    hanoi = round(total * HANOI_SHARE[year])
    return {"hanoi": hanoi, "new_delhi": total - hanoi}
