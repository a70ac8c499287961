"""A sensor that starts the pipeline when files appear or change in the sources folder."""

import hashlib
import json

import dagster as dg

from pipelines.ingest.discovery import discover
from pipelines.resources import SourcesFolder


def folder_fingerprint(folder) -> dict[str, str]:
    """path -> size and modification time: cheap to take, changes when a file does."""
    return {str(p): f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in discover([folder])}


def new_files(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    return sorted(p for p, stamp in current.items() if previous.get(p) != stamp)


def build_sources_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="새 원천 파일 감지 / Runs the pipeline when files are added to or changed in the sources folder.",
    )
    def sources_sensor(context: dg.SensorEvaluationContext, sources: SourcesFolder):
        previous = json.loads(context.cursor) if context.cursor else {}
        if not sources.folder.is_dir():
            return dg.SkipReason(f"{sources.folder} does not exist")
        current = folder_fingerprint(sources.folder)
        changed = new_files(previous, current)
        context.update_cursor(json.dumps(current))
        if not changed:
            return dg.SkipReason("no new or changed files")
        run_key = hashlib.sha256("\n".join(f"{p}={current[p]}" for p in changed).encode()).hexdigest()
        return dg.RunRequest(run_key=run_key, tags={"new_files": str(len(changed))})

    return sources_sensor
