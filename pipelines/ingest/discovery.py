"""Which files of a sources folder are offered to the ingest (light: the no-op check of a run
and the sources sensor use it without importing the readers)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Files under the given files and folders, in path order; hidden and Office lock files skipped."""
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            found.update(
                f
                for f in p.rglob("*")
                if f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and not f.name.startswith("~$")
            )
        elif p.is_file():
            found.add(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return sorted(found, key=lambda f: str(f))
