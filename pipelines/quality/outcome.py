"""What a quality run tells its caller: one outcome per rule, the Data Docs page, and the error
the export raises when a rule failed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RuleOutcome:
    suite: str  # the mart (or comparison) validated
    rule: str  # readable, Korean / English: "센터 합계 = 전체 행 / centres sum to the all row: contracts"
    success: bool
    observed: str  # what failed, e.g. "2 of 14 rows: hanoi 2024 …"; "" when it passed

    def __str__(self) -> str:
        return f"[{self.suite}] {self.rule}" + (f" — {self.observed}" if self.observed else "")


@dataclass
class QualityReport:
    outcomes: list[RuleOutcome]
    docs_index: Path | None  # Data Docs index.html, when docs_dir was given

    @property
    def failed(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.success]

    def raise_if_failed(self) -> None:
        if self.failed:
            raise QualityFailed(self.failed, self.docs_index)


class QualityFailed(RuntimeError):
    """A mart broke a business rule; the message names every failing rule and what it saw."""

    def __init__(self, failed: list[RuleOutcome], docs_index: Path | None = None):
        self.failed = failed
        lines = [f"{len(failed)} quality rule(s) failed / 품질 규칙 위반:", *(f"  - {o}" for o in failed)]
        if docs_index is not None:
            lines.append(f"Data Docs: {docs_index}")
        super().__init__("\n".join(lines))
