"""The folders show the flow, and the flow goes one way: the modules that hold the definitions do
not import what uses them, and nothing in the repository points at files outside it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import PROJECT_DIR


def imported_by(module: str) -> set[str]:
    """The project's modules that importing `module` loads, in a fresh interpreter."""
    code = (
        f"import sys, {module}; print(' '.join(m for m in sys.modules if m.split('.')[0] in ('pipelines', 'schemas')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "module, must_not_load",
    [
        ("schemas.raw", "pipelines.ingest"),  # the ingest derives its raw schemas from here, not back
        ("pipelines.ingest.requeue", "pipelines.ingest.runner"),  # both hand chunks to append.py
        ("pipelines.ingest.append", "pipelines.ingest.runner"),
        ("pipelines.eventstore.read", "pipelines.ingest"),  # the store knows no source
        ("pipelines.eventstore.store", "pipelines.ingest"),
        ("pipelines.cli", "pipelines.generate"),  # the generator is loaded only by `generate`
        ("pipelines.definitions", "pipelines.generate"),
    ],
)
def test_imports_go_one_way(module, must_not_load):
    loaded = {m for m in imported_by(module) if m == must_not_load or m.startswith(must_not_load + ".")}
    assert not loaded, f"importing {module} loads {sorted(loaded)}"


OUTSIDE = ["../" + "shared", "shared/" + "spec", "shared/" + "reference"]  # split: this file names them


def test_nothing_points_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    outside = []
    for name in tracked.stdout.splitlines():
        path = PROJECT_DIR / name
        if path.suffix not in (".py", ".sql", ".yml", ".md", ".toml", ".cfg") and path.name != "Makefile":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        outside += [f"{name}: {m}" for m in OUTSIDE if m in text]
    assert not outside, outside
