"""Killed anywhere (issue 17, item 9): seeded SIGKILL trials of `run`, `ingest`, `requeue`,
`freeze`, `export` and the analysts' publish, each started as a user starts it
(`python -m pipelines ...` in a subprocess, under one persistent DAGSTER_HOME for the campaign).

A small source set (a year and three quarters of one centre's logs, a correction waiting for its
record, one survey, two K-stat files) is run once, uninterrupted, to time every command and
record what it leaves (the references). Each trial then copies the command's starting state,
starts the command, kills it at a seeded moment (uniform over its measured duration, or in a
targeted late window: the analysts' copy being written, the second dbt build that follows a
recorded freeze, the staged export folder), sometimes only the process and sometimes its whole
process group (an orphaned dbt keeps writing), and checks:

- nothing half-stored: every batch balances (rows_in) and holds as many events as it accepted,
  positions are gap-free; no export folder half-written; the analysts' file is the old one whole;
- the same command, started again without a hand step, succeeds (a killed freeze that was
  recorded is refused as frozen already, and `freeze --verify` passes);
- the event store, the marts, the frozen checksums, the analysts' file and the export files then
  equal the reference's (timestamps and code versions aside), row for row and value for value.
"""

from __future__ import annotations

import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from reliability.outcome import Outcome

PROJECT_DIR = Path(__file__).resolve().parents[1]
COMMANDS = ("run", "ingest", "requeue", "freeze", "export", "publish")
TRIALS, QUICK_TRIALS = 50, 2
YEAR = 2025
LATE_SHARE = 0.3  # trials killed in a command's targeted late window rather than uniformly
HANG_FACTOR, HANG_FLOOR = 6, 120  # a command past max(HANG_FLOOR, HANG_FACTOR × its duration) hangs
SETTINGS = ("DAGSTER_HOME", "JB_WAREHOUSE", "JB_SOURCES", "JB_ANALYST", "JB_EXPORTS", "JB_LOCK_TIMEOUT")

# The correction waits for its record (hanoi_2025-12, offered by `ingest`); a row of an unknown
# activity (현지출장 in hanoi_2025-12) is settled by `requeue` once the seed names it.
CORRECTIONS = (
    "기록번호,센터,일자,활동,사업,기업번호,기업명,기업단계,품목,수입업체번호,수입업체명,방식,금액,통화,수량,"
    "정정구분,원기록번호,멘토기업번호,비고,담당자\n"
    "HAN-2025-009001,하노이,2025-12-20,수출계약,수출파트너사후관리(종합컨설팅특화형),415-87-09903,참기계,,감속기,"
    "HAN-B-01244,Bao Viet Distribution JSC,,35000,,,정정,HAN-2025-001601,,금액 정정,Nguyen Thu Ha\n"
    "HAN-2025-009002,하노이,2025-12-20,,,,,,,,,,,,,취소,HAN-2025-001600,,중복 입력,Nguyen Thu Ha\n"
)
ALIAS = ("urgent_task,", "긴급해외업무대행", "긴급해외업무대행|현지출장")

PUBLISH = (
    "import sys\nfrom pathlib import Path\nfrom pipelines import warehouse as wh\n"
    "from pipelines.config import analyst_path\nfrom pipelines.publish import publish\n"
    "w = Path(sys.argv[1])\nwith wh.connect(w) as con:\n    publish(con, analyst_path(w))\n"
)
VOLATILE = {"recorded_at", "started_at", "finished_at", "resolved_at", "frozen_at", "code_version", "published_at"}
RUN_FOLDER = re.compile(r"/\d{8}T\d{6}\.\d+Z/")
VOLATILE_META = {"generated_at", "code_version", "freeze_code_version", "frozen_by_this_export"}


@dataclass
class Plan:
    command: str
    start: str  # the state a trial starts from
    cwd: Path
    argv: list[str]
    late: Callable[[Path, set[int]], bool] | None = None  # (trial folder, dbt processes seen): window open


def campaign(
    seed: int, quick: bool, workdir: Path, commands: tuple[str, ...] = COMMANDS, trials: int | None = None
) -> Outcome:
    """Trials of each of `commands` until `trials` of them killed it (default: TRIALS, QUICK_TRIALS
    with `quick`; a command that ends before its kill moment takes another trial, at most twice as
    many in all); a command's kill moments depend on the seed and the command only, so a failure
    replays with `commands`."""
    out = Outcome("kills")
    workdir = Path(workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    kills = Kills(workdir, out)
    kills.prepare(commands)
    n = trials or (QUICK_TRIALS if quick else TRIALS)
    for command in commands:
        rng = random.Random(f"{seed}:{command}")
        started, before, failed = time.perf_counter(), out.kills, len(out.failures)
        trial = 0
        while out.kills - before < n and trial < 2 * n:
            kills.trial(command, trial, random.Random(rng.random()), seed)
            trial += 1
        cost = (time.perf_counter() - started) / trial
        print(
            f"  kills {command}: {trial} trials, {out.kills - before} killed, {len(out.failures) - failed} failed; "
            f"{cost:.1f} s a trial (the command alone {kills.duration[command]:.1f} s)",
            flush=True,
        )
    return out


class Kills:
    def __init__(self, workdir: Path, out: Outcome):
        self.root, self.out = workdir, out
        self.t = workdir / "t"  # every command runs here: paths stored in the warehouse stay the same
        self.states, self.home = workdir / "states", workdir / "dagster_home"
        self.duration: dict[str, float] = {}
        self.reference: dict[str, dict] = {}

    # ------------------------------------------------------------------ set-up and references

    def prepare(self, commands: tuple[str, ...] = COMMANDS) -> None:
        """The source set, the instance, the requeue's checkout; each command's starting state and
        reference, made by running the commands in order, uninterrupted (those `commands` need)."""
        sources, src = PROJECT_DIR / "sources", self.root / "src"
        for pattern in ("center_logs/hanoi/2024/*.csv", "center_logs/hanoi/2025/hanoi_2025-0*.csv", "surveys/2025/*"):
            for f in sources.glob(pattern):
                _copy(f, src / f.relative_to(sources))
        for name in ("K-stat 총괄 전국 2021-2022.csv", "전북_베트남_수출_2018-2022.xlsx"):
            _copy(sources / "trade" / name, src / "trade" / name)
        (src / "center_logs/hanoi/2025/hanoi_2025-12_정정.csv").write_text(CORRECTIONS, encoding="utf-8")
        for month in ("10", "11", "12"):
            _copy(sources / f"center_logs/hanoi/2025/hanoi_2025-{month}.csv", self.root / "extra" / f"{month}.csv")
        self.home.mkdir(parents=True)
        config = (PROJECT_DIR / "dagster.yaml").read_text(encoding="utf-8")
        (self.home / "dagster.yaml").write_text(config.replace(".dagster", str(self.home / ".dagster")), "utf-8")
        self.checkout = _checkout(self.root / "checkout")  # the same code, a seed that names 현지출장
        seed = self.checkout / "dbt_project/seeds/activities.csv"
        seed.write_text(
            "".join(
                line.replace(ALIAS[1], ALIAS[2]) if line.startswith(ALIAS[0]) else line
                for line in seed.read_text(encoding="utf-8").splitlines(keepends=True)
            ),
            encoding="utf-8",
        )
        (self.states / "empty").mkdir(parents=True)
        marts = bool({"run", "freeze", "export", "publish"} & set(commands))
        for command, after, needed in (
            ("run" if marts else "stored", "run", True),  # without marts, the store is enough
            ("ingest", "ingest", {"ingest", "requeue"} & set(commands)),
            ("requeue", None, "requeue" in commands),
            ("freeze", "frozen", {"freeze", "export"} & set(commands)),
            ("export", "exported", "export" in commands),
            ("publish", None, "publish" in commands),
        ):
            if not needed:
                continue
            plan = self.plan(command)
            self._start(plan.start)
            started = time.perf_counter()
            done = self._run(plan, timeout=1800)
            self.duration[plan.command] = time.perf_counter() - started
            if not self._succeeded(plan, done) or _ledger_problems(self.t / "w.duckdb"):
                raise RuntimeError(
                    f"the uninterrupted {plan.command} failed: {done.stdout[-1500:]}\n{done.stderr[-1500:]}"
                )
            self.reference[plan.command] = self.fingerprint(plan.command)
            if after:
                shutil.copytree(self.t, self.states / after)

    def plan(self, command: str, trial: int = 0) -> Plan:
        w = str(self.t / "w.duckdb")
        py = [sys.executable, "-m", "pipelines"]
        if command == "run":
            return Plan(
                command,
                "empty",
                PROJECT_DIR,
                [*py, "run", "--sources", str(self.root / "src"), "--warehouse", w],
                _publishing,
            )
        if command == "stored":
            return Plan(command, "empty", PROJECT_DIR, [*py, "ingest", str(self.root / "src"), "--warehouse", w])
        if command == "ingest":
            return Plan(
                command, "run", PROJECT_DIR, [*py, "ingest", str(self.root / "extra"), "--warehouse", w], _committed
            )
        if command == "requeue":
            return Plan(command, "ingest", self.checkout, [*py, "requeue", "--warehouse", w])
        if command == "freeze":
            return Plan(
                command, "run", PROJECT_DIR, [*py, "freeze", "--year", str(YEAR), "--warehouse", w], _second_dbt
            )
        if command == "export":
            # half the trials export for the first time, half over a complete earlier export (forced:
            # the same export is up to date, and would return before any kill)
            return Plan(
                command,
                "exported" if trial % 2 else "frozen",
                PROJECT_DIR,
                [*py, "export", "--year", str(YEAR), "--warehouse", w, "--out", str(self.t / "exports")]
                + (["--force"] if trial % 2 else []),
                _staged_export,
            )
        return Plan(command, "run", PROJECT_DIR, [sys.executable, "-c", PUBLISH, w], _publishing)

    def _start(self, state: str) -> None:
        shutil.rmtree(self.t, ignore_errors=True)
        shutil.copytree(self.states / state, self.t)

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env["DAGSTER_HOME"] = str(self.home)
        return env

    def _run(self, plan: Plan, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(plan.argv, cwd=plan.cwd, env=self._env(), capture_output=True, text=True, timeout=timeout)

    def _succeeded(self, plan: Plan, done: subprocess.CompletedProcess) -> bool:
        if done.returncode == 0:
            return True
        # a killed freeze that had recorded its row: the year is frozen, as asked; said so, not redone
        return plan.command == "freeze" and "is frozen already" in done.stderr and self._frozen()

    def _frozen(self) -> bool:
        with duckdb.connect(str(self.t / "w.duckdb"), read_only=True) as con:
            frozen = con.execute("SELECT count(*) FROM events.evaluation_freezes WHERE year = ?", [YEAR]).fetchone()
        return frozen[0] > 0

    # ------------------------------------------------------------------ one trial

    def trial(self, command: str, n: int, rng: random.Random, seed: int) -> None:
        plan = self.plan(command, n)
        self._start(plan.start)
        before = self._analyst_bytes()
        late = plan.late is not None and rng.random() < LATE_SHARE
        delay = rng.uniform(0, 0.4) if late else rng.uniform(0.02, 1.0) * self.duration[command]
        group = rng.random() < 0.5  # the whole process group (a crash) or the process alone (kill -9 PID)
        how = f"{'late window + ' if late else ''}{delay:.2f} s, {'group' if group else 'process'}"
        where = f"{command} trial {n} (seed {seed}; {how})"
        proc = subprocess.Popen(
            plan.argv,
            cwd=plan.cwd,
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        bound = max(HANG_FLOOR, HANG_FACTOR * self.duration[command])
        started, opened, dbts = time.monotonic(), None, set()
        while proc.poll() is None and time.monotonic() - started < bound:
            if late and plan.late is _second_dbt:
                dbts.update(p for p in _descendants(proc.pid) if _is_dbt(p))
            if late and opened is None and plan.late(self.t, dbts):
                opened = time.monotonic()
            if (opened if late else started) is not None and time.monotonic() - (opened if late else started) >= delay:
                break
            time.sleep(0.01)
        if proc.poll() is None:
            (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)
            self.out.kills += 1
        proc.wait()
        # right after the kill: nothing half-written where a reader looks
        self._check_whole(where, before, after_next=False)
        try:
            again = self._run(plan, timeout=bound)
        except subprocess.TimeoutExpired:
            self.out.hangs += 1
            self.out.failures.append(f"{where}: the next {command} did not finish in {bound:.0f} s")
            _killpg(proc.pid)
            return
        _killpg(proc.pid)  # an orphan that outlived the next command (there should be none)
        text = again.stdout + again.stderr
        self.out.tracebacks += text.count("Traceback (most recent call last)")
        if not self._succeeded(plan, again):
            self.out.failures.append(f"{where}: the next {command} exited {again.returncode}: {text.strip()[-300:]}")
            return
        if command == "freeze":
            verify = self._run(
                Plan(
                    "freeze",
                    "",
                    PROJECT_DIR,
                    [*plan.argv[:3], "freeze", "--verify", "--warehouse", str(self.t / "w.duckdb")],
                ),
                timeout=bound,
            )
            if verify.returncode:
                self.out.failures.append(f"{where}: freeze --verify after the kill: {verify.stderr.strip()[-300:]}")
        self._check_whole(where, None, after_next=True)
        self._compare(where, command)

    def _analyst_bytes(self) -> bytes | None:
        path = self.t / "analyst.duckdb"
        return path.read_bytes() if path.exists() else None

    def _check_whole(self, where: str, analyst: bytes | None, after_next: bool) -> None:
        lost = _ledger_problems(self.t / "w.duckdb")
        if lost:
            self.out.rows_lost += 1
            self.out.failures.append(f"{where}: half-stored: {lost}")
        folder = self.t / "exports" / str(YEAR)
        names = {p.name for p in folder.iterdir()} if folder.exists() else set()
        complete = {f"jeonbuk_export_centres_{YEAR}.xlsx", f"jeonbuk_export_centres_{YEAR}.html", "meta.json"}
        if folder.exists() and not complete <= names:
            self.out.failures.append(f"{where}: half-written export folder {sorted(names)}")
        if analyst is not None:  # the analysts' file: the old one whole, or a new one that opens
            now = self._analyst_bytes()
            if now != analyst:
                try:
                    with duckdb.connect(str(self.t / "analyst.duckdb"), read_only=True) as con:
                        con.execute("SELECT * FROM main.publication").fetchall()
                except duckdb.Error as exc:
                    self.out.failures.append(f"{where}: analysts' file unreadable after the kill: {exc}")
        if after_next:  # nothing a killed command left behind outlives the next one
            left = [p.name for p in self.t.glob(".analyst.duckdb.*.tmp")]
            left += [p.name for p in (self.t / "exports").glob(f".{YEAR}.*")] if (self.t / "exports").exists() else []
            if left:
                self.out.failures.append(f"{where}: left behind {left}")

    # ------------------------------------------------------------------ what a command leaves

    def fingerprint(self, command: str) -> dict:
        found: dict = {}
        with duckdb.connect(str(self.t / "w.duckdb"), read_only=True) as con:
            for table in ("event_store", "ingest_batches", "quarantine", "quarantine_resolutions"):
                found[f"events.{table}"] = _rows(con, "events", table)
            if command in ("run", "freeze", "export", "publish"):
                for (mart,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
                ).fetchall():
                    found[f"marts.{mart}"] = _rows(con, "marts", mart)
            if command in ("freeze", "export"):
                found["events.evaluation_freezes"] = _rows(con, "events", "evaluation_freezes")
                found["events.freeze_reference_rows"] = _rows(con, "events", "freeze_reference_rows")
        if command in ("run", "publish"):
            with duckdb.connect(str(self.t / "analyst.duckdb"), read_only=True) as con:
                for schema, table in con.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                ).fetchall():
                    found[f"analyst {schema}.{table}"] = _rows(con, schema, table)
        if command == "export":
            found.update(_export_values(self.t / "exports" / str(YEAR)))
        return found

    def _compare(self, where: str, command: str) -> None:
        got, want = self.fingerprint(command), self.reference[command]
        for key in sorted(set(got) | set(want)):
            a, b = got.get(key), want.get(key)
            if a == b:
                continue
            if isinstance(a, collections.Counter) and isinstance(b, collections.Counter):
                differ = sum(((a - b) + (b - a)).values())
            else:
                differ = 1
            self.out.rows_lost += differ
            self.out.failures.append(f"{where}: {key} differs from the uninterrupted run ({differ} rows/values)")


# ---------------------------------------------------------------------- helpers


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _checkout(root: Path) -> Path:
    """The project's files as a clone has them, without sources/ and tests/ (cf. tests/helpers.py)."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in names:
        if not name.startswith(("sources/", "tests/")) and (PROJECT_DIR / name).is_file():
            _copy(PROJECT_DIR / name, root / name)
    return root


def _rows(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> collections.Counter:
    """The table's rows as JSON text (volatile columns left out), as a multiset."""
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        if c not in VOLATILE
    ]
    if not columns:
        return collections.Counter()
    fields = ", ".join(f'"{c}" := "{c}"' for c in columns)
    return collections.Counter(
        r for (r,) in con.execute(f'SELECT to_json(struct_pack({fields}))::VARCHAR FROM {schema}."{table}"').fetchall()
    )


def _ledger_problems(warehouse: Path) -> list[str]:
    """Batches that do not balance or do not hold the events they accepted; gaps in positions."""
    if not warehouse.exists():
        return []
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:  # an orphaned dbt still has it open: checked after the next command
        return [] if "lock" in str(exc).lower() else [f"cannot open: {exc}"]
    with con:
        tables = {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'events'"
            ).fetchall()
        }
        if "ingest_batches" not in tables:
            return []
        problems = [
            f"batch {b}: {rows_in} rows in, {total} counted; {accepted} accepted, {stored} events stored"
            for b, rows_in, total, accepted, stored in con.execute(
                "SELECT batch_id, rows_in, rows_accepted + rows_duplicate + rows_quarantined, rows_accepted, "
                "(SELECT count(*) FROM events.event_store AS e WHERE e.batch_id = b.batch_id) "
                "FROM events.ingest_batches AS b ORDER BY batch_id"
            ).fetchall()
            if rows_in != total or accepted != stored
        ]
        n, top = con.execute("SELECT count(*), coalesce(max(position), 0) FROM events.event_store").fetchone()
        if n != top:
            problems.append(f"{n} events up to position {top}")
        orphans = con.execute(
            "SELECT count(*) FROM events.event_store ANTI JOIN events.ingest_batches USING (batch_id)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} events of no batch")
    return problems


def _export_values(folder: Path) -> dict:
    """What an export says, without when and by which code version it was made: the workbook's
    cell values, meta.json, the report's text and the Data Docs' file names."""
    import openpyxl

    if not folder.exists():
        return {"export": None}
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(folder / f"jeonbuk_export_centres_{YEAR}.xlsx")
    cells = {
        f"workbook {s.title}": [
            tuple(r) for r in s.iter_rows(values_only=True) if not (s.title == "메타" and r[1] in VOLATILE_META)
        ]
        for s in book.worksheets
    }
    html = (folder / f"jeonbuk_export_centres_{YEAR}.html").read_text(encoding="utf-8")
    # one mark for every volatile value, the longest first: `abc-dirty` and `abc` (code versions
    # of the export and of the freeze) may be equal in one export and differ in another
    volatile = {v for k, v in meta.items() if k in VOLATILE_META and isinstance(v, str) and v}
    for value in sorted(volatile, key=len, reverse=True):
        html = html.replace(value, "<volatile>")
    return {
        **cells,
        "meta.json": {k: v for k, v in meta.items() if k not in VOLATILE_META},
        "report": html,
        # the Data Docs name each validation's folder after its time
        "files": sorted(
            RUN_FOLDER.sub("/<run>/", p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file()
        ),
    }


def _descendants(pid: int) -> set[int]:
    """Processes below `pid` (from /proc)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _is_dbt(pid: int) -> bool:
    """A `dbt build` (not the `dbt parse` that comes first when the manifest is stale)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(a.rsplit(b"/", 1)[-1] == b"dbt" for a in args[:2]) and b"build" in args


def _second_dbt(t: Path, dbts: set[int]) -> bool:
    """Freeze: the dbt build that follows the recorded freeze has started (the row is committed)."""
    return len(dbts) >= 2


def _committed(t: Path, dbts: set[int]) -> bool:
    """Ingest: its append is committed (to the write-ahead log), the waiting corrections come next."""
    wal = t / "w.duckdb.wal"
    return wal.exists() and wal.stat().st_size > 0


def _publishing(t: Path, dbts: set[int]) -> bool:
    """The analysts' copy is being written (its scratch file exists)."""
    return any(t.glob(".analyst.duckdb.*.tmp"))


def _staged_export(t: Path, dbts: set[int]) -> bool:
    """The export's staged folder holds its workbook (the last files are being written)."""
    return any((p / f"jeonbuk_export_centres_{YEAR}.xlsx").exists() for p in (t / "exports").glob(f".{YEAR}.partial-*"))


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
