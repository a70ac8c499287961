"""The meta block of an export: what it was built from. The same dict goes to the 메타 sheet, the
HTML report and `meta.json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

# key -> Korean label (the 메타 sheet and the report show both)
META_LABELS = {
    "year": "평가 연도",
    "frozen_by_this_export": "이번 내보내기에서 확정(freeze)함",
    "freeze_id": "확정 번호",
    "frozen_at": "확정 시각",
    "evaluated_on": "평가 기준일",
    "store_position": "이벤트 저장소 순번",
    "mart_checksum": "마트 체크섬(md5)",
    "freeze_code_version": "확정 시 코드 버전",
    "code_version": "내보내기 코드 버전",
    "generated_at": "생성 시각(UTC)",
    "warehouse": "웨어하우스 파일",
    "quality_rules": "품질 규칙 수",
    "quality_failed": "실패한 품질 규칙 수",
    "data_docs_index": "품질 보고서(Data Docs)",
    "mart_checksums": "마트별 행 수·체크섬",
    "export_inputs": "내보내기 입력 요약(sha256)",
}


def meta_block(
    freeze: dict,
    *,
    frozen_now: bool,
    code_version: str,
    warehouse: Path,
    quality_rules: int,
    quality_failed: int,
    data_docs_index: Path | None,
    export_inputs: str,
    generated_at: datetime | None = None,
) -> dict:
    """`freeze` is the year's latest row of `pipelines.freeze.freezes`."""
    checksums = json.loads(freeze["mart_checksums"])
    return {
        "year": freeze["year"],
        "frozen_by_this_export": frozen_now,
        "freeze_id": freeze["freeze_id"],
        "frozen_at": freeze["frozen_at"].isoformat(),
        "evaluated_on": freeze["evaluated_on"].isoformat(),
        "store_position": freeze["store_position"],
        "mart_checksum": freeze["checksum"],
        "freeze_code_version": freeze["code_version"],
        "code_version": code_version,
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "warehouse": str(warehouse),
        "quality_rules": quality_rules,
        "quality_failed": quality_failed,
        "data_docs_index": str(data_docs_index) if data_docs_index else None,
        "mart_checksums": {m: {"rows": c["rows"], "md5": c["md5"]} for m, c in sorted(checksums.items())},
        "export_inputs": export_inputs,
    }


def meta_rows(meta: dict) -> list[tuple[str, str, str]]:
    """(Korean label, key, value as text) per line; one line per mart for the checksums."""
    rows = []
    for key, value in meta.items():
        if key == "mart_checksums":
            rows += [
                (f"{META_LABELS[key]}: {mart}", f"{key}.{mart}", f"{c['rows']} rows, md5 {c['md5']}")
                for mart, c in value.items()
            ]
        else:
            rows.append((META_LABELS[key], key, "" if value is None else str(value)))
    return rows


def write_meta_json(path: Path, meta: dict) -> Path:
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
