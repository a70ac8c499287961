"""What a quality run tells its caller: one outcome per rule, the Data Docs page, and the error
the export raises when an invariant failed.

A rule is one of two kinds. An *invariant* states a logical impossibility (a share above 1, a sum
that does not add up): its failure blocks the export and what is downstream of the mart. A
*plausibility* rule flags a pattern worth a look that real data may show (more contracts than
consultations in a month whose contracts came of the month before): its failure is a warning that
names the rows, and nothing stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INVARIANT, PLAUSIBILITY = "invariant", "plausibility"


@dataclass(frozen=True)
class RuleOutcome:
    suite: str  # the mart (or comparison) validated
    rule: str  # readable, Korean / English: "센터 합계 = 전체 행 / centres sum to the all row: contracts"
    success: bool
    observed: str  # what failed, e.g. "2 of 14 rows: hanoi 2024 …"; "" when it passed
    kind: str = INVARIANT  # or PLAUSIBILITY: a failure only warns

    def __str__(self) -> str:
        return f"[{self.suite}] {self.rule}" + (f" — {self.observed}" if self.observed else "")


@dataclass
class QualityReport:
    outcomes: list[RuleOutcome]
    docs_index: Path | None  # Data Docs index.html, when docs_dir was given

    @property
    def failed(self) -> list[RuleOutcome]:
        """The invariants that failed: these block."""
        return [o for o in self.outcomes if not o.success and o.kind == INVARIANT]

    @property
    def warnings(self) -> list[RuleOutcome]:
        """The plausibility rules that failed: rows worth a look, nothing blocked."""
        return [o for o in self.outcomes if not o.success and o.kind == PLAUSIBILITY]

    def raise_if_failed(self) -> None:
        if self.failed:
            raise QualityFailed(self.failed, self.docs_index)


class QualityFailed(RuntimeError):
    """A mart broke an invariant; the message names every failing invariant and what it saw."""

    def __init__(self, failed: list[RuleOutcome], docs_index: Path | None = None):
        self.failed = failed
        lines = [f"{len(failed)} quality rule(s) failed / 품질 규칙 위반:", *(f"  - {o}" for o in failed)]
        if docs_index is not None:
            lines.append(f"Data Docs: {docs_index}")
        super().__init__("\n".join(lines))
