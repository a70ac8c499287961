"""The one error a whole file can fail with."""

from __future__ import annotations

from pathlib import Path


class RefusedFile(Exception):
    """A file that cannot be read at all: it is recorded as a refused batch, nothing is stored."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
