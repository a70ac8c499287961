"""Benchmark: the loops a user waits for, each as a ratio of the bare SQL of the marts.

The baseline is the work itself: every model's compiled SQL (`dbt compile`), executed once in
dependency order in one DuckDB connection, on a copy of the built warehouse under the same file
name. Against it, as a user starts them (`python -m pipelines ...`, a persistent DAGSTER_HOME of
the benchmark's own), on the sources less their newest month:

- `run` of everything, into a fresh warehouse (the rebuild);
- `run` with the newest month added (issue 18: at most 15x the baseline);
- `run` again with nothing new (at most 3x);
- `export` of a year for the first time (freeze, verify, suites, files: no more than the rebuild);
- `export` of that year again, unchanged (at most 8x).

The baseline is timed three times, between the loops, and its median taken, so that a machine's
drift touches both sides alike. Scale 1 is the bundled sources/; larger scales are generated.

    .venv/bin/python benchmarks/loops.py --scales 1,10,40      (what `make bench` runs first)

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

import duckdb  # noqa: E402

from benchmarks.bench import _generated  # noqa: E402
from pipelines.dbt_project import dbt_executable  # noqa: E402

EXPORT_YEAR = 2025
# A centre's monthly log: <centre>_<year>-<month>.csv (corrections carry a suffix and stay put)
MONTH_FILE = re.compile(r"_(\d{4})-(\d{2})\.csv$")
GOALS = {"month": 15, "nothing new": 3, "export again": 8}


def _sources(out: Path, scale: int, seed: int) -> Path:
    return PROJECT_DIR / "sources" if scale == 1 else _generated(out, scale, seed)[1]


def _split_newest_month(sources: Path, work: Path) -> tuple[Path, list[tuple[Path, Path]]]:
    """A copy of `sources` without the centre logs of its newest month, and those files (each
    with its place in the copy)."""
    months = [p for p in sources.rglob("*.csv") if MONTH_FILE.search(p.name) and "center_logs" in p.parts]
    newest = max(MONTH_FILE.search(p.name).groups() for p in months)
    held = [p for p in months if MONTH_FILE.search(p.name).groups() == newest]
    copy = work / "sources"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(sources, copy, ignore=lambda d, names: [n for n in names if Path(d, n) in held])
    return copy, [(p, copy / p.relative_to(sources)) for p in held]


def _home(work: Path) -> Path:
    """A DAGSTER_HOME like the one `make` sets (the project's dagster.yaml), kept per benchmark."""
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = (PROJECT_DIR / "dagster.yaml").read_text(encoding="utf-8")
    (home / "dagster.yaml").write_text(config.replace(".dagster", str(home / ".dagster")), encoding="utf-8")
    return home


def _timed(argv: list[str], home: Path) -> float:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", *argv], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed


def _compiled_models(warehouse: Path, target: Path) -> list[tuple[str, str, str]]:
    """(relation, materialization, compiled SQL) of every model, in dependency order."""
    subprocess.run(
        [
            dbt_executable(),
            "compile",
            "--quiet",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"warehouse": str(warehouse)}),
        ],
        cwd=PROJECT_DIR / "dbt_project",
        check=True,
    )
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    graph = {uid: [d for d in n["depends_on"]["nodes"] if d in models] for uid, n in models.items()}
    return [
        (models[uid]["relation_name"], models[uid]["config"]["materialized"], models[uid]["compiled_code"])
        for uid in graphlib.TopologicalSorter(graph).static_order()
    ]


def _bare_sql(warehouse: Path, scratch: Path, models: list[tuple[str, str, str]]) -> float:
    """The models' SQL once, in one connection, on a copy of `warehouse` under its own file name
    (the compiled SQL names the catalog after it)."""
    copy = scratch / warehouse.name
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copy(warehouse, copy)
    started = time.perf_counter()
    with duckdb.connect(str(copy)) as con:
        for relation, materialized, sql in models:
            kind = "TABLE" if materialized == "table" else "VIEW"
            con.execute(f"CREATE OR REPLACE {kind} {relation} AS {sql}")
    elapsed = time.perf_counter() - started
    copy.unlink()
    return elapsed


def _events(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM events.event_store").fetchone()[0]


def measure(out: Path, scale: int, seed: int) -> dict:
    work = out / f"loops-scale{scale}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sources, newest = _split_newest_month(_sources(out, scale, seed), work)
    home, warehouse, exports = _home(work), work / "warehouse" / "jeonbuk.duckdb", work / "exports"
    run = ["run", "--sources", str(sources), "--warehouse", str(warehouse)]
    export = ["export", "--year", str(EXPORT_YEAR), "--warehouse", str(warehouse), "--out", str(exports)]

    times = {"rebuild": _timed(run, home)}
    models = _compiled_models(warehouse, work / "dbt_target")
    base = [_bare_sql(warehouse, work / "bare", models)]
    for original, place in newest:
        shutil.copy(original, place)
    times["month"] = _timed(run, home)
    base.append(_bare_sql(warehouse, work / "bare", models))
    times["nothing new"] = _timed(run, home)
    times["first export"] = _timed(export, home)
    base.append(_bare_sql(warehouse, work / "bare", models))
    times["export again"] = _timed(export, home)
    return {
        "scale": scale,
        "events": _events(warehouse),
        "month files": len(newest),
        "models": len(models),
        "baseline": statistics.median(base),
        "baselines": base,
        **times,
    }


def report(m: dict) -> str:
    b = m["baseline"]
    lines = [
        f"loops, scale {m['scale']}: {m['events']:,} events, {m['models']} models; "
        f"the newest month is {m['month files']} files",
        f"  bare SQL of every model (median of {len(m['baselines'])}: "
        + ", ".join(f"{t:.2f}" for t in m["baselines"])
        + f" s)   {b:>7.2f} s",
    ]
    for loop in ("rebuild", "month", "nothing new", "first export", "export again"):
        goal = GOALS.get(loop)
        target = f"goal: at most {goal}x" if goal else ("goal: at most the rebuild" if loop == "first export" else "")
        lines.append(f"  {loop:<14} {m[loop]:>8.2f} s   {m[loop] / b:>7.1f}x the bare SQL   {target}")
    lines.append(f"  first export / rebuild  {m['first export'] / m['rebuild']:.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,40", help="comma-separated generator scales; 1 = the bundled sources")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--out", default=str(PROJECT_DIR / "bench_out"))
    args = ap.parse_args()
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        results.append(measure(Path(args.out), scale, args.seed))
        print(report(results[-1]), flush=True)
    if len(results) > 1:
        print("\ngrowth (each loop's seconds against the smallest scale's)")
        first = results[0]
        for loop in ("baseline", "rebuild", "month", "nothing new", "first export", "export again"):
            cells = "   ".join(f"x{m['scale']}: {m[loop] / first[loop]:>6.2f}" for m in results[1:])
            print(f"  {loop:<14} {cells}")


if __name__ == "__main__":
    main()
