"""Claims on the `warehouse` concurrency pool: who holds them, and freeing those of dead runs.

A Dagster run that dies holding a pool slot (killed, or `make ui` stopped mid-run) keeps its
claim in the instance storage, and every later step waits for that slot forever. Each step that
writes the warehouse tags its run with the process running it (`jb/pid`, `jb/host`); a claim
whose run worker (the process of its start event) and last step process are both gone is released
here and its run marked failed, and a wait for a live run is bounded and names it.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import DagsterRunStatus

from pipelines.processes import process_alive
from pipelines.warehouse import BoundedWait

PID_TAG, HOST_TAG = "jb/pid", "jb/host"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def process_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def tag_step(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> None:
    """Record on the run which process runs this step (a UI run's steps run in subprocesses)."""
    context.instance.add_run_tags(context.run.run_id, process_tags())


@dataclass(frozen=True)
class Claim:
    run_id: str
    pid: int | None
    alive: bool

    def describe(self) -> str:
        who = f"process {self.pid}" if self.pid else "a process of unknown id"
        how = f"stop it with `kill {self.pid}`" if self.pid else "stop it in the Dagster UI (Runs)"
        return f"run {self.run_id} ({who}); {how}"


def claims(instance: dg.DagsterInstance, pool: str) -> list[Claim]:
    """Runs holding or waiting for slots of `pool`, with whether their process is alive."""
    storage = instance.event_log_storage
    if pool not in storage.get_concurrency_keys():
        return []
    info = storage.get_concurrency_info(pool)
    run_ids = {s.run_id for s in info.claimed_slots} | {s.run_id for s in info.pending_steps}
    found = []
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is None or run.status in FINISHED:
            found.append(Claim(run_id, None, False))
            continue
        host, step = run.tags.get(HOST_TAG), int(run.tags[PID_TAG]) if run.tags.get(PID_TAG) else None
        worker = run_worker(instance, run_id)
        if worker is not None and process_alive(worker, host):
            found.append(Claim(run_id, worker, True))
        else:  # no worker known, or it is gone: a step it left running may still hold the slot
            found.append(Claim(run_id, step, process_alive(step, host)))
    return found


def run_worker(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that executes the run (its start event's). A UI run's steps run in subprocesses,
    and the last one's (`jb/pid`) has ended while the run waits for the pool to start the next; a
    run of the CLI (in-process) runs every step in this one."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event is not None else None


def release_dead(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """Free the slots of runs whose process is gone and mark those runs failed; their ids."""
    freed = []
    for claim in claims(instance, pool):
        if claim.alive:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(claim.run_id)
        run = instance.get_run_by_id(claim.run_id)
        if run is not None and run.status not in FINISHED:
            instance.report_run_failed(run, f"its process ({claim.pid}) died holding the {pool} pool; slot released")
        freed.append(claim.run_id)
    return freed


def wait_for_pool(instance: dg.DagsterInstance, pool: str, timeout: float) -> None:
    """Release dead claims, then wait (bounded, saying for whom) while live runs hold the pool."""
    wait = BoundedWait(timeout, interval=1)
    while True:
        for run_id in release_dead(instance, pool):
            print(
                f"released the {pool} pool slot of run {run_id}, whose process is gone (run marked failed)",
                file=sys.stderr,
                flush=True,
            )
        live = [c for c in claims(instance, pool) if c.alive]
        if not live:
            return
        holder = live[0].describe()
        wait.blocked(
            f"for the {pool} pool, held by {holder}",
            TimeoutError(f"the {pool} pool is still held by {holder}; gave up after {timeout:.0f} s"),
        )
