"""Benchmark: generate scale-N sources, then measure ingest, dbt build and a full run.

Each source kind's ingest is measured against DuckDB's own `read_csv` load of the same CSV files
(UTF-8 copies), side by side in this process: the ratio is what to compare across machines and
days. Centre logs, surveys and K-stat tables are generated at the same scale.

    .venv/bin/python benchmarks/bench.py --scale 40      (what `make bench` runs)

Prints numbers; asserts nothing. Each measurement starts from a fresh warehouse file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

import duckdb  # noqa: E402

from pipelines.dbt_project import dbt_executable, ensure_manifest  # noqa: E402
from pipelines.generate import generate  # noqa: E402
from pipelines.generate.trade import write_trade  # noqa: E402
from pipelines.ingest.runner import discover, file_info, ingest_paths, sniff  # noqa: E402

# How DuckDB's baseline reads each kind: K-stat tables have title rows above their header, so
# they are read as plain rows (the same bytes parsed, no header detection to trip on).
BASELINE_OPTIONS = {
    "center_log": "union_by_name = true",
    "survey": "union_by_name = true",
    "trade": "header = false, null_padding = true, union_by_name = true",
}
KIND_TITLES = {"center_log": "centre logs", "survey": "surveys", "trade": "K-stat tables"}


def _mib(kib: int) -> float:
    return kib / 1024  # ru_maxrss is in KiB on Linux


def _fresh(path: Path) -> Path:
    for p in (path, path.with_suffix(path.suffix + ".wal")):
        p.unlink(missing_ok=True)
    return path


def _times(seconds: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in seconds) + " s"


def _children_peak_mib() -> float:
    return _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _generator_version() -> str:
    code = sorted((PROJECT_DIR / "pipelines" / "generate").glob("*.py"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in code)).hexdigest()


def _generated(out: Path, scale: int, seed: int) -> tuple[Path, Path]:
    """The work folder and the sources of one scale, generated once per generator version."""
    work = out / f"scale{scale}-seed{seed}"
    sources = work / "sources"
    done = work / "generated.ok"  # outside sources/: the ingest reads every file there
    if not done.exists() or done.read_text() != _generator_version():
        shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        generate(sources, scale=scale, seed=seed)
        write_trade(sources, scale=scale)
        print(f"generate scale {scale}: {time.perf_counter() - started:.1f} s", flush=True)
        done.write_text(_generator_version())
    return work, sources


def _utf8_copies(work: Path, files: list[Path]) -> dict[str, list[str]]:
    """UTF-8 copies of the CSV files, per source kind (kind -> paths), made once."""
    by_kind: dict[str, list[str]] = {}
    for f in files:
        kind = sniff(file_info(f)) if f.suffix.lower() == ".csv" else None
        if kind is None:
            continue
        copy = work / "csv_utf8" / kind.name / f.relative_to(work / "sources")
        if not copy.exists():
            data = f.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp949")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(text, encoding="utf-8")
        by_kind.setdefault(kind.name, []).append(str(copy))
    return by_kind


def _side_by_side(work: Path, kind: str, csvs: list[str], rounds: int) -> dict:
    """DuckDB's read_csv of the files into a table against the project's ingest of the same
    files, alternated, each into a fresh file."""
    base_times, ingest_times, results, baseline_rows = [], [], [], 0
    for _ in range(rounds):  # alternated, so drift on a shared machine hits both alike
        base = _fresh(work / f"baseline_{kind}.duckdb")
        started = time.perf_counter()
        con = duckdb.connect(str(base))
        con.execute(
            f"CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true, filename = true, "
            f"{BASELINE_OPTIONS[kind]})",
            [csvs],
        )
        baseline_rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        con.close()
        base_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        results = ingest_paths(_fresh(work / f"ingest_{kind}.duckdb"), csvs)
        ingest_times.append(time.perf_counter() - started)
    return {
        "files": len(csvs),
        "rows": sum(r.rows_in for r in results),
        "events": sum(r.accepted for r in results),
        "baseline_rows": baseline_rows,
        "base_times": base_times,
        "ingest_times": ingest_times,
    }


def _excerpts(work: Path, by_kind: dict[str, list[str]], lines: int = 20) -> dict[str, list[str]]:
    """Per kind, the first lines of its first file as a file of its own: what an ingest costs
    whatever the volume (opening, migrating, lookups, statements, commit)."""
    out = {}
    for kind, csvs in by_kind.items():
        head = "".join(Path(csvs[0]).read_text(encoding="utf-8").splitlines(keepends=True)[:lines])
        path = work / "excerpts" / kind / Path(csvs[0]).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head, encoding="utf-8")
        out[kind] = [str(path)]
    return out


def _times_over(work: Path, csvs: list[str], times: int) -> list[str]:
    """The files `times` over under new names, each copy's bytes made distinct (spaces after its
    last cell, which typing trims): as much again to ingest, not duplicates."""
    paths = []
    for i in range(times):
        for src in map(Path, csvs):
            path = work / f"x{times}" / f"{src.stem}_{i}.csv"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(src.read_text(encoding="utf-8").rstrip("\n") + " " * i + "\n", encoding="utf-8")
            paths.append(str(path))
    return paths


def _report(kind: str, m: dict, rounds: int) -> str:
    base_s, ingest_s = min(m["base_times"]), min(m["ingest_times"])
    ratios = sorted(i / b for i, b in zip(m["ingest_times"], m["base_times"]))
    return f"""
  {KIND_TITLES[kind]}, CSV as UTF-8 copies ({m["files"]} files, {m["rows"]:,} rows; {rounds} rounds, alternated)
    DuckDB read_csv into a table   {base_s:>8.2f} s best   ({m["baseline_rows"]:,} lines; {_times(m["base_times"])})
    project ingest (every rule)    {ingest_s:>8.2f} s best   ({_times(m["ingest_times"])})
    rows/s: read_csv {m["baseline_rows"] / base_s:>10,.0f}   ingest {m["rows"] / ingest_s:>10,.0f} rows/s, \
{m["events"] / ingest_s:,.0f} events/s
    ratio ingest / read_csv        {ingest_s / base_s:>8.2f} of the bests (goal: at most 2)
                                   per round, sorted: {", ".join(f"{r:.2f}" for r in ratios)}"""


def _fixed(kind: str, m: dict) -> str:
    base_s, ingest_s = min(m["base_times"]), min(m["ingest_times"])
    return f"    {KIND_TITLES[kind]:<15} read_csv {base_s:.3f} s   ingest {ingest_s:.3f} s   ({m['rows']} rows)\n"


def _dbt_build(warehouse: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            dbt_executable(),
            "build",
            "--quiet",
            "--profiles-dir",
            ".",
            "--vars",
            json.dumps({"warehouse": str(warehouse)}),
        ],
        cwd=PROJECT_DIR / "dbt_project",
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=40)
    ap.add_argument("--small", type=int, default=10, help="the scale dbt's build time is compared with (default 10)")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--out", default=str(PROJECT_DIR / "bench_out"))
    ap.add_argument("--rounds", type=int, default=3, help="alternated baseline/ingest rounds (default 3)")
    ap.add_argument("--survey-times", type=int, default=10, help="the surveys measured again this many times over")
    args = ap.parse_args()

    work, sources = _generated(Path(args.out), args.scale, args.seed)
    files = discover([sources])
    size = sum(f.stat().st_size for f in files)
    print(f"sources: {len(files)} files, {size / 2**20:.1f} MiB under {sources}", flush=True)

    # 0. per source kind: DuckDB's read_csv of its CSV files (UTF-8 copies) into a table of a
    #    fresh file, against the project's ingest of the very same copies; then what either costs
    #    for a 20-line file, and the surveys (the smallest volume) ten times over
    by_kind = _utf8_copies(work, files)
    kinds = {kind: _side_by_side(work, kind, csvs, args.rounds) for kind, csvs in by_kind.items()}
    excerpts = {kind: _side_by_side(work, kind, csvs, args.rounds) for kind, csvs in _excerpts(work, by_kind).items()}
    surveys_x = _side_by_side(work, "survey", _times_over(work, by_kind["survey"], args.survey_times), args.rounds)

    # 1. ingest alone, in this process
    warehouse = _fresh(work / "ingest.duckdb")
    started = time.perf_counter()
    results = ingest_paths(warehouse, [sources])
    ingest_s = time.perf_counter() - started
    rows_in = sum(r.rows_in for r in results)
    accepted = sum(r.accepted for r in results)
    ingest_peak = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    # 2. dbt build on that warehouse, alternated with a build of a scale-`small` warehouse: the
    #    evaluation logic must grow linearly with the data (ratio at most 4.5 for 40 against 10)
    ensure_manifest()
    _, small_sources = _generated(Path(args.out), args.small, args.seed)
    small = _fresh(work.parent / f"scale{args.small}-seed{args.seed}" / "ingest.duckdb")
    ingest_paths(small, [small_sources])
    small_times, dbt_times = [], []
    for _ in range(2):
        small_times.append(_dbt_build(small))
        dbt_times.append(_dbt_build(warehouse))
    small_s, dbt_s = min(small_times), min(dbt_times)

    # 3. the full command on a fresh warehouse, then again (everything is a duplicate)
    full = _fresh(work / "full.duckdb")
    cmd = [sys.executable, "-m", "pipelines", "run", "--sources", str(sources), "--warehouse", str(full)]
    quiet = {"stdout": subprocess.DEVNULL, "env": {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}}
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=PROJECT_DIR, **quiet)
    full_s = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=PROJECT_DIR, **quiet)
    rerun_s = time.perf_counter() - started

    print(
        f"""
benchmark, scale {args.scale} ({os.cpu_count()} cores){"".join(_report(k, m, args.rounds) for k, m in kinds.items())}
  one 20-line file of each kind (the cost of an ingest whatever its volume), best of {args.rounds}
{"".join(_fixed(k, m) for k, m in excerpts.items())}\
  surveys {args.survey_times} times over, as distinct files{_report("survey", surveys_x, args.rounds)}
  all sources (CSV and spreadsheets) in one ingest
  rows in the files           {rows_in:>12,}
  events stored               {accepted:>12,}
  ingest                      {ingest_s:>12.2f} s   {accepted / ingest_s:>10,.0f} events/s
                                                {rows_in / ingest_s:>10,.0f} rows/s
  dbt build (seeds, models, tests), alternated, 2 rounds each
    scale {args.small:<3}                       {small_s:>8.2f} s best   ({_times(small_times)})
    scale {args.scale:<3}                       {dbt_s:>8.2f} s best   ({_times(dbt_times)})
    ratio                          {dbt_s / small_s:>8.2f} for {args.scale // args.small}x the data (goal: <= 4.5)
  full run (python -m pipelines run, fresh warehouse)   {full_s:.2f} s
  second full run (every file known: nothing offered)   {rerun_s:.2f} s
  peak memory: ingest process {ingest_peak:,.0f} MiB; largest child (full run, dbt) {_children_peak_mib():,.0f} MiB
""".rstrip()
    )


if __name__ == "__main__":
    main()
