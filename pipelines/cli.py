"""Command line: `python -m pipelines run | ingest | status | generate`.

`run` goes through Dagster (the same job `dagster dev` shows), so a run from cron and a run
from the UI do the same thing. Every command exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from pipelines.config import sources_dir, warehouse_path


def _pin_locations(args: argparse.Namespace) -> tuple[Path, Path]:
    """Resolve --sources/--warehouse once and export them, so dbt and Dagster see the same."""
    warehouse = warehouse_path(getattr(args, "warehouse", None))
    os.environ["JB_WAREHOUSE"] = str(warehouse)
    sources = sources_dir(getattr(args, "sources", None))
    os.environ["JB_SOURCES"] = str(sources)
    return sources, warehouse


def cmd_run(args: argparse.Namespace) -> int:
    import dagster as dg

    from pipelines import summary
    from pipelines.dbt_project import ensure_manifest
    from pipelines.eventstore import store

    sources, warehouse = _pin_locations(args)
    if not sources.is_dir():
        print(f"error: sources folder {sources} does not exist", file=sys.stderr)
        return 2
    with store.connect(warehouse) as con:
        marks = summary.store_marks(con)
    ensure_manifest()
    from pipelines.definitions import build_definitions  # loads the dbt manifest

    job = build_definitions(sources, warehouse).resolve_job_def("ingest_and_build")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    print(f"running ingest_and_build: sources {sources} -> warehouse {warehouse}", flush=True)
    result = job.execute_in_process(
        instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
    )
    seconds = time.perf_counter() - started
    failed_checks = [f"{e.asset_key.to_user_string()}: {e.check_name}"
                     for e in result.get_asset_check_evaluations()
                     if not e.passed and e.severity.value == "ERROR"]
    with store.connect(warehouse, read_only=True) as con:
        print(summary.run_summary(con, marks))
    print(f"\nrun {result.run_id} {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s")
    for step in result.get_failed_step_keys() if not result.success else []:
        print(f"failed step: {step}", file=sys.stderr)
    for check in failed_checks:
        print(f"failed check: {check}", file=sys.stderr)
    return 0 if result.success and not failed_checks else 1


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines import summary
    from pipelines.eventstore import store
    from pipelines.ingest.runner import ingest_paths

    _, warehouse = _pin_locations(args)
    with store.connect(warehouse) as con:
        marks = summary.store_marks(con)

    def progress(r):
        print(f"{r.status:9} {r.file}: {r.accepted} accepted, {r.duplicates} duplicate, "
              f"{r.quarantined} quarantined" + (f" -- {r.reason}" if r.reason else ""), flush=True)

    try:
        results = ingest_paths(warehouse, args.paths, progress)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with store.connect(warehouse, read_only=True) as con:
        print("\n" + summary.batches_summary(con, marks[0]))
    return 1 if any(r.status == "refused" for r in results) else 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines import summary
    from pipelines.eventstore import store

    _, warehouse = _pin_locations(args)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse} (run `python -m pipelines run` first)", file=sys.stderr)
        return 2
    with store.connect(warehouse, read_only=True) as con:
        print(summary.status(con))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generate import generate

    started = time.perf_counter()
    try:
        result = generate(Path(args.out), scale=args.scale, seed=args.seed)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"generated scale {args.scale} (seed {args.seed}) into {args.out} in "
          f"{time.perf_counter() - started:.1f} s: {result['files']} files {result['formats']}, "
          f"{result['rows']:,} rows, {result['bytes'] / 2**20:.1f} MiB")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def warehouse_opt(sp):
        sp.add_argument("--warehouse", help="DuckDB file (default $JB_WAREHOUSE or warehouse/jeonbuk.duckdb)")

    run = sub.add_parser("run", help="ingest every source file and build all marts")
    run.add_argument("--sources", help="folder of source files (default $JB_SOURCES or sources/)")
    warehouse_opt(run)
    run.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                     help="Dagster log level on the console (default WARNING)")
    run.set_defaults(func=cmd_run)

    ingest = sub.add_parser("ingest", help="ingest files or folders into the event store only")
    ingest.add_argument("paths", nargs="+", help="files or folders")
    warehouse_opt(ingest)
    ingest.set_defaults(func=cmd_ingest)

    status = sub.add_parser("status", help="events per centre and type, batches, quarantine reasons")
    warehouse_opt(status)
    status.set_defaults(func=cmd_status)

    gen = sub.add_parser("generate", help="write deterministic sample centre logs")
    gen.add_argument("--scale", type=int, default=1, help="N times as many firms and events (default 1)")
    gen.add_argument("--out", required=True, help="output folder")
    gen.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    gen.set_defaults(func=cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger("pipelines").addHandler(handler)
    args = parser().parse_args(argv)
    return args.func(args)
