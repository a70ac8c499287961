"""Run the suites with Great Expectations: each suite's frame is read from DuckDB into pandas
(GX's SQL datasource does not work on DuckDB 2.0; the marts are small) and validated by a
checkpoint of its own, since a checkpoint passes one dataframe to all its validations. Data Docs
are built once at the end, from every suite's results, into `docs_dir`.

The GX file context lives in a temporary directory and is removed afterwards: only the Data Docs
HTML is kept, so no `gx/` folder is left anywhere. GX is imported here, lazily, because its import
takes seconds.
"""

from __future__ import annotations

import importlib
import tempfile
import threading
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.quality.outcome import QualityReport, RuleOutcome
from pipelines.quality.rules import Rule, Suite

DOCS_SITE = "marts_quality"
SHOWN_ROWS = 5  # failing rows named in an outcome; the Data Docs list them all


def import_in_background() -> threading.Thread:
    """Start importing GX in a thread of its own (the suites' first import then waits for it). A run
    that executes every step in one process calls it as dbt starts: dbt builds in a subprocess while
    this process mostly waits on its output, so GX's seconds of import overlap the build instead of
    following it."""
    thread = threading.Thread(
        target=importlib.import_module, args=("great_expectations.expectations",), name="import-great-expectations"
    )
    thread.start()
    return thread


def _context(work: Path, docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=work)
    context.enable_analytics(False)  # in the context's config: nothing is sent anywhere
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.data_docs_sites = {}
    if docs_dir is not None:
        context.variables.data_docs_sites = {
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    context.variables.save()
    return context


def _value(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _observed(result: dict, frame: pd.DataFrame, suite: Suite, rule: Rule) -> str:
    """The failing rows, named by the suite's key with the rule's columns beside, e.g.
    `1 of 20 rows: hanoi 2024 (contracts=189, consultations=188)`."""
    indexes = result.get("unexpected_index_list") or []
    rows = []
    for i in indexes[:SHOWN_ROWS]:
        where = " ".join(_value(frame.at[i, k]) for k in suite.key) or f"row {i}"
        values = ", ".join(f"{c}={_value(frame.at[i, c])}" for c in rule.shows)
        rows.append(f"{where} ({values})")
    more = " …" if len(indexes) > SHOWN_ROWS else ""
    return f"{result.get('unexpected_count', len(indexes))} of {result.get('element_count', len(frame))} rows: " + (
        "; ".join(rows) + more
    )


def _validate(context, suite: Suite, frame: pd.DataFrame) -> list[RuleOutcome]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    batch = (
        context.data_sources.add_pandas(suite.name)
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole frame")
    )
    expectations = context.suites.add(gx.ExpectationSuite(name=suite.name))
    for rule in suite.rules:
        expectations.add_expectation(
            getattr(gxe, rule.expectation)(
                **rule.kwargs, description=rule.rule, meta={"rule": rule.rule, "kind": rule.kind}
            )
        )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=expectations)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=suite.name, validation_definitions=[validation], result_format={"result_format": "COMPLETE"})
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame})
    by_rule = {r.rule: r for r in suite.rules}
    outcomes = []
    for validation_result in run.run_results.values():
        for result in validation_result.results:
            rule = by_rule[result.expectation_config.meta["rule"]]
            raised = result.exception_info.get("raised_exception")
            if result.success:
                observed = ""
            elif raised:
                observed = f"could not be evaluated: {result.exception_info.get('exception_message')}"
            else:
                observed = _observed(result.result, frame, suite, rule)
            outcomes.append(RuleOutcome(suite.name, rule.rule, bool(result.success), observed, rule.kind))
    return outcomes


def run_suites(con: duckdb.DuckDBPyConnection, suites: list[Suite], docs_dir: Path | None = None) -> QualityReport:
    frames = {s.name: con.execute(s.sql).df() for s in suites}
    if docs_dir is not None:
        docs_dir = Path(docs_dir).resolve()
        docs_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jeonbuk-gx-") as work:
        context = _context(Path(work), docs_dir)
        outcomes = [o for s in suites for o in _validate(context, s, frames[s.name])]
        if docs_dir is not None:
            context.build_data_docs(site_names=[DOCS_SITE])
    return QualityReport(outcomes, docs_dir / "index.html" if docs_dir is not None else None)
