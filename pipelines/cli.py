"""Command line: `python -m pipelines run | ingest | requeue | status | freeze | export | generate`.

`run` goes through Dagster (the same job `dagster dev` shows), so a run from cron and a run
from the UI do the same thing. Every command exits non-zero on any failure: 1 for a failed run
or refused file, 2 for a wrong argument, 3 when the warehouse stayed busy.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from pipelines.config import sources_dir, warehouse_path


def _seeds_ready() -> bool:
    """The seeds checked before anything reads them (reference.check_seeds): one an editor saved
    in another form is rewritten, and said so; a malformed one stops the command."""
    from pipelines.reference import SeedError, check_seeds

    try:
        notes = check_seeds()
    except SeedError as exc:
        print(
            f"error: fix the reference seeds first (nothing was ingested or built):\n{exc}",
            file=sys.stderr,
        )
        return False
    for note in notes:
        print(note, flush=True)
    return True


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines import build_state

    sources, warehouse = sources_dir(args.sources), warehouse_path(args.warehouse)
    if not sources.is_dir():
        print(f"error: sources folder {sources} does not exist", file=sys.stderr)
        return 2
    if not _seeds_ready():
        return 1
    inputs = build_state.inputs(sources)
    last = None if args.full_refresh else build_state.nothing_new(sources, warehouse, inputs)
    if last is not None:
        print(
            f"nothing new since the last build (run {last.run_id}, {last.finished_at}, store position "
            f"{last.store_position}): sources, seeds, code and store unchanged; nothing done "
            f"(--full-refresh builds anyway)"
        )
        return 0

    import dagster as dg

    from pipelines import warehouse as wh
    from pipelines.assets.ingest import WAREHOUSE_POOL
    from pipelines.dbt_project import ensure_manifest
    from pipelines.eventstore import read
    from pipelines.pool import process_tags, wait_for_pool

    ensure_manifest()
    from pipelines.definitions import build_definitions  # loads the dbt manifest

    job = build_definitions(sources, warehouse).resolve_job_def("ingest_and_build")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    with wh.connect(warehouse) as con:
        after_position = read.head_position(con)
    # Each step claims the pool, then the writer lock, as a UI run's steps do. Holding the lock over
    # the whole run while waiting for the pool deadlocked with a UI run's step holding the pool and
    # waiting for the lock, until both gave up (found by reliability/concurrency.py).
    try:
        wait_for_pool(instance, WAREHOUSE_POOL, wh.lock_timeout())
    except TimeoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    started = time.perf_counter()
    print(f"running ingest_and_build: sources {sources} -> warehouse {warehouse}", flush=True)
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={**process_tags(), **({build_state.FULL_REFRESH_TAG: "true"} if args.full_refresh else {})},
        run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
    )
    failed_checks = _report_run(result, warehouse, after_position, time.perf_counter() - started)
    if result.success and not failed_checks:
        build_state.record(sources, warehouse, inputs, result.run_id)
        return 0
    return 1


def _report_run(result, warehouse: Path, after_position: int, seconds: float) -> list[str]:
    """Print what the run did (pipelines/summary.py) and what failed; the checks that failed."""
    from pipelines import summary
    from pipelines import warehouse as wh
    from pipelines.config import analyst_path

    failed_checks = [
        f"{e.asset_key.to_user_string()}: {e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity.value == "ERROR"
    ]
    batch_ids = [
        b
        for m in result.get_asset_materialization_events()
        if "batches" in m.materialization.metadata
        for b in m.materialization.metadata["batches"].value
    ]
    with wh.connect(warehouse, read_only=True) as con:
        print(summary.run_summary(con, batch_ids, after_position))
    print(f"\nrun {result.run_id} {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s")
    if result.success:
        print(f"analysts: the marts are in {analyst_path(warehouse)} (open it read-only; it never blocks a run)")
    for step in result.get_failed_step_keys() if not result.success else []:
        print(f"failed step: {step}", file=sys.stderr)
    for check in failed_checks:
        print(f"failed check: {check}", file=sys.stderr)
    return failed_checks


def _print_result(r) -> None:
    print(
        f"{r.status:9} {r.file}: {r.accepted} accepted, {r.duplicates} duplicate, "
        f"{r.quarantined} quarantined" + (f" -- {r.reason}" if r.reason else ""),
        flush=True,
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines import summary
    from pipelines import warehouse as wh
    from pipelines.ingest.runner import ingest_paths

    warehouse = warehouse_path(args.warehouse)
    if not _seeds_ready():
        return 1
    try:
        results = ingest_paths(warehouse, args.paths, _print_result)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with wh.connect(warehouse, read_only=True) as con:
        print("\n" + summary.batches_summary(con, [r.batch_id for r in results]))
    return 1 if any(r.status == "refused" for r in results) else 0


def cmd_requeue(args: argparse.Namespace) -> int:
    from pipelines import summary
    from pipelines import warehouse as wh
    from pipelines.eventstore import read
    from pipelines.ingest.requeue import requeue

    warehouse = warehouse_path(args.warehouse)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}", file=sys.stderr)
        return 2
    if not _seeds_ready():
        return 1
    with wh.connect(warehouse) as con:
        results = requeue(con, reason=args.reason, file=args.file)
        for r in results:
            _print_result(r)
        if not results and not read.open_quarantine_count(con):
            print("nothing to settle: no quarantined row is open")
        elif not results:
            print("nothing settled: every selected quarantined row still fails (see `status`)")
        print(summary.open_quarantine(con))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines import summary
    from pipelines import warehouse as wh

    warehouse = warehouse_path(args.warehouse)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse} (run `python -m pipelines run` first)", file=sys.stderr)
        return 2
    with wh.connect(warehouse, read_only=True) as con:
        print(summary.status(con))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generate import generate
    from pipelines.generate.trade import write_trade

    started = time.perf_counter()
    try:
        result = generate(Path(args.out), scale=args.scale, seed=args.seed)
        trade = write_trade(Path(args.out), scale=args.scale)  # K-stat samples from the report's figures
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"generated scale {args.scale} (seed {args.seed}) into {args.out} in "
        f"{time.perf_counter() - started:.1f} s: {result['files']} files {result['formats']}, "
        f"{result['rows']:,} rows, {result['bytes'] / 2**20:.1f} MiB; {len(trade)} K-stat files in trade/"
    )
    return 0


def cmd_freeze(args: argparse.Namespace) -> int:
    from pipelines import freeze as fz
    from pipelines import warehouse as wh

    warehouse = warehouse_path(args.warehouse)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse} (run `python -m pipelines run` first)", file=sys.stderr)
        return 2
    if args.verify:
        with wh.connect(warehouse, read_only=True) as con:
            problems, frozen = fz.verify(con), fz.freezes(con)
        for f in frozen:
            print(
                f"freeze {f['freeze_id']}: {f['year']} at position {f['store_position']}, evaluated on "
                f"{f['evaluated_on']}, {f['frozen_at']:%Y-%m-%d %H:%M}"
                + (f", replaces freeze {f['replaces']} ({f['reason']})" if f["replaces"] else "")
            )
        for p in problems:
            print(f"DIFFERS {p}", file=sys.stderr)
        print("every frozen year reproduces" if not problems else f"{len(problems)} frozen mart(s) differ")
        return 1 if problems else 0
    if args.year is None:
        print("error: --year is required (or --verify)", file=sys.stderr)
        return 2
    if args.refreeze and not args.reason:
        print("error: --refreeze needs a --reason (it stays on record)", file=sys.stderr)
        return 2
    try:
        r = fz.freeze(warehouse, args.year, refreeze=args.refreeze, reason=args.reason)
    except fz.FreezeRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"froze {r.year} as freeze {r.freeze_id}: store position {r.store_position}, evaluated on {r.evaluated_on}, "
        f"checksum {r.checksum}" + (f", replacing freeze {r.replaces}" if r.replaces else "")
    )
    if r.built_by:
        print(f"  recorded the marts as run {r.built_by} built them (same store, code, seeds and evaluation date)")
    for mart, c in sorted(r.marts.items()):
        print(f"  marts.{mart}: {c['rows']} rows of {c['year_column']} {r.year}, md5 {c['md5']}")
    print("  pinned reference: " + ", ".join(f"{s} ({p['rows']} rows)" for s, p in sorted(r.pinned.items())))
    for p in r.mismatches:
        print(f"error: rebuilt from its frozen view, {p}", file=sys.stderr)
    return 1 if r.mismatches else 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.config import exports_dir
    from pipelines.export.run import ExportRefused, export_year

    warehouse = warehouse_path(args.warehouse)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse} (run `python -m pipelines run` first)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        r = export_year(
            warehouse, args.year, exports_dir(args.out), force=args.force, progress=lambda m: print(m, flush=True)
        )
    except ExportRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    m = r.meta
    if not r.rewritten:
        print(f"{r.folder} is up to date (freeze {m['freeze_id']}); --force writes it again")
        return 0
    print(
        f"exported {r.year} from freeze {m['freeze_id']} (store position {m['store_position']}, checksum "
        f"{m['mart_checksum']}) into {r.folder} in {time.perf_counter() - started:.1f} s"
        + (" -- frozen by this export" if m["frozen_by_this_export"] else "")
    )
    for path in (r.workbook, r.report, r.meta_json):
        print(f"  {path.name}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def warehouse_opt(sp):
        sp.add_argument("--warehouse", help="DuckDB file (default $JB_WAREHOUSE or warehouse/jeonbuk.duckdb)")

    run = sub.add_parser("run", help="ingest every source file and build all marts")
    run.add_argument("--sources", help="folder of source files (default $JB_SOURCES or sources/)")
    warehouse_opt(run)
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="build everything (seeds, unit tests, every test), even when nothing changed since the last build",
    )
    run.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster log level on the console (default WARNING)",
    )
    run.set_defaults(func=cmd_run)

    ingest = sub.add_parser("ingest", help="ingest files or folders into the event store only")
    ingest.add_argument("paths", nargs="+", help="files or folders")
    warehouse_opt(ingest)
    ingest.set_defaults(func=cmd_ingest)

    req = sub.add_parser("requeue", help="judge quarantined rows again with today's reference data and rules")
    req.add_argument("--reason", help="only rows whose reason contains this text")
    req.add_argument("--file", help="only rows of this file (name or path)")
    warehouse_opt(req)
    req.set_defaults(func=cmd_requeue)

    status = sub.add_parser("status", help="events per source, batches, open quarantine and its reasons")
    warehouse_opt(status)
    status.set_defaults(func=cmd_status)

    frz = sub.add_parser("freeze", help="freeze a year's evaluation at today's store position and reference data")
    frz.add_argument("--year", type=int, help="the evaluation year to freeze")
    frz.add_argument("--refreeze", action="store_true", help="freeze a frozen year again (both stay on record)")
    frz.add_argument("--reason", help="why (required with --refreeze)")
    frz.add_argument("--verify", action="store_true", help="only check that every frozen year still reproduces")
    warehouse_opt(frz)
    frz.set_defaults(func=cmd_freeze)

    exp = sub.add_parser("export", help="write a frozen year's workbook, HTML report and meta.json (freezes it first)")
    exp.add_argument("--year", type=int, required=True, help="the evaluation year to export")
    exp.add_argument("--out", help="folder of exports, one subfolder per year (default $JB_EXPORTS or exports/)")
    exp.add_argument("--force", action="store_true", help="write the export even when the folder holds it already")
    warehouse_opt(exp)
    exp.set_defaults(func=cmd_export)

    gen = sub.add_parser("generate", help="write deterministic sample centre logs")
    gen.add_argument("--scale", type=int, default=1, help="N times as many firms and events (default 1)")
    gen.add_argument("--out", required=True, help="output folder")
    gen.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    gen.set_defaults(func=cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    from pipelines.warehouse import WarehouseBusy

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger("pipelines").addHandler(handler)
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
