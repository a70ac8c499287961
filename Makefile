# `make run` and `make test` work on a fresh machine: they create .venv, install the locked
# packages (uv.lock, resolved from pyproject.toml by `make lock`), parse the dbt project, then run.
# Each step is skipped when done.
SHELL := /bin/bash
# The newest installed Python that the pinned packages support (3.11-3.13); a pyenv shim of a
# version that is not installed fails the check and is skipped.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs the lock; its own version is pinned once, among the dev packages of pyproject.toml
UV_VERSION := $(shell sed -n 's/^ *"uv==\([^"]*\)".*/\1/p' pyproject.toml)
MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

# Dagster reads dagster.yaml from the project; dbt and dagster-dbt find `dbt` on PATH.
export DAGSTER_HOME := $(CURDIR)
export PATH := $(CURDIR)/$(BIN):$(PATH)

EXPORT_YEAR ?= 2025
CHROMIUM := /usr/bin/chromium

.PHONY: setup lock run test test-fast coverage lint validate evaluate browser ui bench reliability clean

setup: $(STAMP) $(MANIFEST)

# --locked: a pyproject.toml changed without `make lock` stops here instead of installing stale pins
$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --quiet --locked --compile-bytecode --extra dev
	@touch $@

$(BIN)/uv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

lock: | $(BIN)/uv  ## resolve pyproject.toml's packages again into uv.lock (after changing a pin)
	$(BIN)/uv lock

$(MANIFEST): $(STAMP) $(DBT_FILES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .
	@touch $@

run: setup  ## ingest the bundled sources/, build every mart, export $(EXPORT_YEAR) into exports/
	$(BIN)/python -m pipelines run
	$(BIN)/python -m pipelines export --year $(EXPORT_YEAR)

# The suite on every core, one module per worker at a time (a module's shared fixtures are built
# once); the bundled run that many modules read is built once for all workers (tests/conftest.py).
PYTEST_PARALLEL := -n auto --dist loadscope

test: setup lint validate browser  ## lint, load the code location as the UI does, then the whole test suite
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

test-fast: setup  ## the tests that do not run the whole pipeline (not marked slow): the loop while you edit
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow" -q

coverage: setup  ## the whole suite with line and branch coverage (the CLI's child processes too)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) --cov --cov-report=term:skip-covered

lint: setup  ## ruff (Python) and sqlfluff (dbt models)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --nocolor dbt_project/models dbt_project/tests

validate: setup  ## the Dagster code location loads as `make ui` and the daemon load it
	$(BIN)/dagster definitions validate -m pipelines.definitions

evaluate: setup  ## dbt-project-evaluator on a scratch copy of the dbt project (DBT_PROJECT_EVALUATOR, DBT_UTILS: local checkouts)
	dbt_project/evaluate.sh

# The report's browser test needs headless Chromium (and Korean fonts for its page text): Debian's
# packages, installed when missing and apt-get is usable; otherwise that one test is skipped.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-nanum; } \
		|| echo "browser: could not install chromium; the HTML report's browser test will be skipped"; \
	else \
		echo "browser: $(CHROMIUM) is missing and apt-get is not usable (needs root); the HTML report's browser test will be skipped"; \
	fi

ui: setup  ## the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

bench: setup  ## every loop against the bare SQL of the marts (scales 1, 10, 40), then the scale-40 ingest benchmark
	$(BIN)/python benchmarks/loops.py --scales 1,10,40
	$(BIN)/python benchmarks/bench.py --scale 40

reliability: setup  ## hostile inputs, killed commands and concurrent users, seeded; the last line sums them up
	$(BIN)/python -m reliability --seed 2026

clean:  ## remove generated files (not .venv)
	rm -rf dbt_project/target dbt_project/logs .dagster bench_out exports warehouse/*.duckdb warehouse/*.wal
