"""Every command, path and link the README and docs/ name is real: a renamed file, a removed
target or a dropped option fails here instead of misleading the next reader."""

from __future__ import annotations

import argparse
import glob
import re
import shlex

import pytest
from helpers import PROJECT_DIR

from pipelines.cli import parser

PAGES = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
each_page = pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)

# folders whose paths the docs name relative to the project (seeds/ and models/ to the dbt project)
ROOTS = ("pipelines", "schemas", "dbt_project", "tests", "benchmarks", "docs", "reliability", "sources")
DBT_ROOTS = ("seeds", "models", "macros")
TOP_FILES = ("Makefile", "dagster.yaml", "pyproject.toml", "uv.lock")
PLACEHOLDER = re.compile(r"<[^>]+>|…|\bY\b|\bN\b")


def text(page) -> str:
    return page.read_text(encoding="utf-8")


def quoted(page) -> list[str]:
    """The `inline code` of a page and the lines of its code blocks."""
    body = text(page)
    blocks = re.findall(r"```[a-z]*\n(.*?)```", body, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", body, flags=re.S))
    return inline + [line for block in blocks for line in block.splitlines()]


def named_paths(page) -> set[str]:
    found = set()
    for snippet in quoted(page):
        for token in re.split(r"[\s(),]+", snippet):
            token = token.strip("'\":;.")
            top = token.split("/")[0]
            if (top in ROOTS + DBT_ROOTS and "/" in token) or token in TOP_FILES:
                if not PLACEHOLDER.search(token) and "$" not in token and "=" not in token:
                    found.add(token)
    return found


def exists(token: str) -> bool:
    token = token.split("::")[0]  # a pytest node id names its file
    bases = [PROJECT_DIR] + ([PROJECT_DIR / "dbt_project"] if token.split("/")[0] in DBT_ROOTS else [])
    return any(glob.glob(str(base / token), recursive=True) for base in bases)


@each_page
def test_named_paths_exist(page):
    missing = sorted(t for t in named_paths(page) if not exists(t))
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


@each_page
def test_links_resolve(page):
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text(page))
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    missing = sorted(t for t in local if not (page.parent / t).exists())
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


def make_targets() -> set[str]:
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))


def subcommands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def commands(page, program: str) -> list[list[str]]:
    """Every `program …` a page names, as words (what follows a `#` comment left out)."""
    found = []
    for snippet in quoted(page):
        for part in re.split(r"[;|]|&&", snippet.split(" # ")[0]):
            words = shlex.split(part.replace("…", ""), posix=True) if part.count("'") % 2 == 0 else part.split()
            for i in range(len(words)):
                if words[i : i + len(program.split())] == program.split():
                    found.append(words[i + len(program.split()) :])
    return found


@each_page
def test_make_targets_exist(page):
    targets = make_targets()
    named = {words[0] for words in commands(page, "make") if words and re.fullmatch(r"[a-z][a-z-]*", words[0])}
    assert named <= targets, f"{page.name} names make targets the Makefile lacks: {sorted(named - targets)}"


@each_page
def test_cli_commands_and_options_exist(page):
    parsers = subcommands()
    for words in commands(page, "-m pipelines"):
        if not words or not re.fullmatch(r"[a-z-]+", words[0]):
            continue
        assert words[0] in parsers, f"{page.name}: `python -m pipelines {words[0]}` is not a command"
        options = {s for a in parsers[words[0]]._actions for s in a.option_strings}
        unknown = {w.split("=")[0] for w in words[1:] if w.startswith("--")} - options
        assert not unknown, f"{page.name}: `{words[0]}` has no option {sorted(unknown)}"


def test_the_commands_are_documented():
    """The operations page's command block lists every command and every option."""
    page = PROJECT_DIR / "docs" / "operations.md"
    documented: dict[str, set[str]] = {}
    for words in commands(page, "python -m pipelines"):
        if words:
            documented.setdefault(words[0], set()).update(words[1:])
    for name, sub in subcommands().items():
        assert name in documented, f"docs/operations.md does not list `{name}`"
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert any(option in w for w in documented[name]), f"`{name} {option}` is not documented"


def test_readme_is_short():
    lines = text(PROJECT_DIR / "README.md").count("\n")
    assert lines <= 200, f"README.md has {lines} lines: move detail into docs/"
