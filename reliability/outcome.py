"""What a campaign reports: how many inputs and kills it tried and everything that broke."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    campaign: str
    inputs: int = 0  # generated files (or queries) offered to the product
    kills: int = 0  # SIGKILLs sent
    tracebacks: int = 0  # an unhandled exception printed where a reason was owed
    rows_lost: int = 0  # rows neither accepted, duplicate nor quarantined; or results that differ
    hangs: int = 0  # a command past its bound
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # one line each: what, where, how to replay

    @property
    def clean(self) -> bool:
        return not (self.tracebacks or self.rows_lost or self.hangs or self.failures)

    def line(self) -> str:
        return (
            f"{self.campaign}: {self.inputs} inputs, {self.kills} kills, {self.tracebacks} tracebacks, "
            f"{self.rows_lost} rows lost, {self.hangs} hangs ({self.seconds:.0f} s)"
        )
