"""Files written from the source kinds' definitions, so that a kind's fields live in its module only.

For every kind (pipelines/ingest/sources/) this writes its dbt staging model (the payload parsed
once into a struct of the kind's typed fields), the model's yml (every column described, the
envelope's keys tested, and in one test the kind's required and closed-vocabulary fields) and its slice of the
`events` source, and the kind's field table in docs/sources.md. `write()` brings them up to date
and runs before every dbt parse (`ensure_manifest`); the files are checked in, so that dbt alone
and a reviewer see them, and a test fails when one is stale.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

import yaml

from pipelines.config import DBT_PROJECT_DIR, PROJECT_DIR
from pipelines.ingest.fields import Field
from pipelines.ingest.source_kind import SourceKind

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
SOURCES_FILE = STAGING_DIR / "events" / "_kinds__sources.yml"
DOCS_FILE = PROJECT_DIR / "docs" / "sources.md"
# docs/sources.md: the lines between these two are the kind's field table
DOCS_START = "<!-- fields of {name}: written by pipelines/kind_files.py from the kind's definition -->"
DOCS_END = "<!-- end of fields -->"

# The columns every stored event has (events.event_store); staging passes on those before `source_row`.
EVENT_COLUMNS = {
    "position": "위치 / Global order of the event in the store, gap-free",
    "event_id": "이벤트 ID / md5(source kind | record key [| content]): deterministic",
    "source_kind": "원천 종류 / Source kind (plug-in) that wrote the event",
    "stream_id": "스트림 ID / The record the event belongs to (its first event), later versions included",
    "stream_version": "스트림 버전 / 1, 2, … within the stream, in position order",
    "event_type": "이벤트 유형 / What happened, e.g. activity_recorded, activity_amended",
    "schema_version": "스키마 버전 / Version of the payload's layout",
    "occurred_on": "발생일 / Date the event is about",
    "recorded_at": "기록 시각 / When the event was appended",
    "batch_id": "배치 ID / The ingest batch (file) that appended it (events.ingest_batches)",
    "source_row": (
        "원본 행 / Row of the file the event was read from, as a person counts it (the CSV line or sheet row, "
        "title and header rows counted); before store version 4, a survey answer's was row × 1000 + column "
        "number and a K-stat period's row × 100 + n"
    ),
    "source_column": (
        "원본 열 / Header of the column the event was read from, when its row gives several records (a survey "
        "answer, a K-stat row's period); NULL for a whole row and for events stored before store version 4"
    ),
    "payload": "내용 / The event's typed fields as JSON",
    "content_hash": "내용 해시 / md5 of the typed payload: the same record id with the same hash is a duplicate",
    "corrects_event_id": "정정 대상 / For amend/void events: the event they correct",
}
# The envelope a staging model passes on (macros/event_envelope.sql), in its order.
ENVELOPE = (
    "position",
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "recorded_at",
    "batch_id",
    "source_row",
)
KEYS = {
    "position": ["unique", "not_null"],
    "event_id": ["unique", "not_null"],
    "stream_id": ["not_null"],
    "stream_version": ["not_null"],
}
EVENTS_SOURCE = "이벤트 저장소 / The append-only event store written by the ingest (pipelines/eventstore)."
EXTRA = "추가 열 / Columns of the file the kind does not name, kept as JSON (phone numbers and e-mail addresses masked)"
SECTION_REF = re.compile(r"\s*\(§[\d.]+\)")


def _generated_by(kind: SourceKind) -> str:
    return (
        f"Generated from the source kind `{kind.name}` (pipelines/ingest/sources/) by pipelines/kind_files.py: "
        "change the kind, not this file"
    )


def _column(f: Field) -> str:
    return f.column or f.name


def _describe(f: Field) -> str:
    """A field's column description: its Korean header and what it holds (docs' § references dropped)."""
    return f"{f.ko} / {SECTION_REF.sub('', f.description)}"


def staging_sql(kind: SourceKind) -> str:
    payload = [f for f in kind.fields if f.payload]
    struct = [f'"{f.name}": "{f.type.duck_type}"' for f in payload] + ['"extra": "JSON"']
    lines, line = [], ""
    for item in struct:  # the struct wrapped at about 100 characters, as a person would
        if line and len(line) + len(item) > 96:
            lines.append(line.rstrip())
            line = ""
        line += item + ", "
    lines.append(line.rstrip(", "))
    body = "\n              ".join(lines)
    columns = ["corrects_event_id"] if kind.correction else []
    columns += [f"p.{f.name}" + (f" as {f.column}" if f.column else "") for f in payload]
    selected = "".join(f",\n    {c}" for c in [*columns, "p.extra"])
    header = "".join(f"-- {line}\n" for line in textwrap.wrap(_generated_by(kind) + ".", 98))
    return f"""{header}-- One row per event of the kind, its payload parsed once into a struct of the kind's typed
-- fields. Schema version 1 is the only one so far: a later version is upcast here, when read,
-- never by rewriting stored events.
with events as (
    select
        *,
        from_json(
            payload,
            '{{{body}}}'
        ) as p
    from {{{{ source('events', '{kind.source_table}') }}}}
    where source_kind = '{kind.name}'
)

select
    {{{{ event_envelope() }}}}{selected}
from events
"""


def _accepted(values: Iterable[str]) -> dict:
    return {"accepted_values": {"arguments": {"values": list(values)}}}


def _declared(kind: SourceKind) -> dict:
    """The model's one test of its fields (tests/generic/typed_as_declared.sql): required ones not
    null, closed vocabularies within their codes. A payload key read as the wrong type is null."""
    fields = [f for f in kind.fields if f.payload]
    required = [_column(f) for f in fields if f.required]
    vocabularies = {_column(f): list(f.type.values) for f in fields if f.type.values}
    return {"typed_as_declared": {"arguments": {"required": required, "vocabularies": vocabularies}}}


def _entry(name: str, description: str, tests: list | None = None) -> dict:
    return {"name": name, "description": description, **({"data_tests": tests} if tests else {})}


class _Dumper(yaml.SafeDumper):
    """Block style with lists indented under their key, as the project's hand-written yml is."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _dump(comment: str, document: dict) -> str:
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in textwrap.wrap(comment + ".", 98)) + text


def staging_yml(kind: SourceKind) -> str:
    tests = {**KEYS, "event_type": [_accepted(kind.event_types)]}
    described = {**EVENT_COLUMNS, "event_type": f"이벤트 유형 / {', '.join(kind.event_types)}"}
    columns = [_entry(c, described[c], tests.get(c)) for c in ENVELOPE]
    if kind.correction:
        columns.append(_entry("corrects_event_id", EVENT_COLUMNS["corrects_event_id"]))
    columns += [_entry(_column(f), _describe(f)) for f in kind.fields if f.payload]
    columns.append(_entry("extra", EXTRA))
    model = {
        "name": kind.staging_model,
        "description": f"{kind.title}: every event of the kind, its payload typed. {kind.about}",
        "data_tests": [_declared(kind)],
        "columns": columns,
    }
    return _dump(_generated_by(kind), {"version": 2, "models": [model]})


def sources_yml(kinds: Iterable[SourceKind]) -> str:
    """Each kind's slice of events.event_store as a table of the `events` source (its Dagster asset
    is the kind's ingest asset), and the store as a whole."""

    def columns() -> list[dict]:  # a copy per table: yaml would write one list as an anchor and aliases
        return [_entry(c, d) for c, d in EVENT_COLUMNS.items()]

    tables = [
        {
            "name": kind.source_table,
            "identifier": "event_store",
            "description": f"{kind.title}: the `source_kind = '{kind.name}'` slice of events.event_store. {kind.about}",
            "columns": columns(),
            "meta": {"dagster": {"asset_key": [kind.source_table]}},
        }
        for kind in kinds
    ]
    tables.append(
        {
            "name": "event_store",
            "description": "이벤트 저장소 전체 / events.event_store as a whole, every kind's events: its head (last "
            "position) is what the live evaluation view sees and what a freeze records.",
            "columns": columns(),
        }
    )
    source = {"name": "events", "description": EVENTS_SOURCE, "schema": "events", "tables": tables}
    comment = (
        "Generated from the source kinds (pipelines/ingest/sources/) by pipelines/kind_files.py: change a kind, "
        "not this file. The store's other tables are in _events__sources.yml"
    )
    return _dump(comment, {"version": 2, "sources": [source]})


def _need(f: Field) -> str:
    if f.required:
        return "required"
    if f.default is not None:
        return f"default `{f.default.strip(chr(39))}`"
    return f.when


def docs_table(kind: SourceKind) -> str:
    rows = [
        "| Korean header | English header | also accepted | what to write | required / default |",
        "|---|---|---|---|---|",
    ]
    for f in kind.fields:
        accepted = ", ".join(f"`{a}`" for a in f.aliases)
        rows.append(f"| {f.ko} | `{f.name}` | {accepted} | {f.description} | {_need(f)} |".replace("|  |", "| |"))
    return "\n".join(rows)


def _docs(text: str, kinds: Iterable[SourceKind]) -> str:
    for kind in kinds:
        start = DOCS_START.format(name=kind.name)
        if start not in text:  # a new kind: a section of its own, its prose left to its author
            example = f"\n\nExample:\n\n```csv\n{kind.example}```" if kind.example else ""
            text = text.rstrip("\n") + f"\n\n## {kind.title}\n\n{start}\n{DOCS_END}{example}\n"
        before, rest = text.split(start, 1)
        _, after = rest.split(DOCS_END, 1)
        text = f"{before}{start}\n{docs_table(kind)}\n{DOCS_END}{after}"
    return text


def files(
    kinds: Iterable[SourceKind], staging_dir: Path = STAGING_DIR, docs: Path | None = DOCS_FILE
) -> dict[Path, str]:
    """Every file derived from `kinds`, with the text it should hold."""
    kinds = tuple(kinds)
    out = {staging_dir / "events" / SOURCES_FILE.name: sources_yml(kinds)}
    for kind in kinds:
        folder = staging_dir / kind.name
        out[folder / f"{kind.staging_model}.sql"] = staging_sql(kind)
        out[folder / f"_{kind.name}__models.yml"] = staging_yml(kind)
    if docs is not None:
        out[docs] = _docs(docs.read_text(encoding="utf-8"), kinds)
    return out


def stale(kinds: Iterable[SourceKind] | None = None, **where) -> list[Path]:
    """The derived files that do not hold what their kinds say (missing ones included)."""
    wanted = files(_registered() if kinds is None else kinds, **where)
    return [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def write(kinds: Iterable[SourceKind] | None = None, **where) -> list[Path]:
    """Bring the derived files up to date; returns those written. An unchanged file is not touched,
    so dbt's partial parse and the build state stay valid."""
    wanted = files(_registered() if kinds is None else kinds, **where)
    written = []
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
    return written


def _registered() -> tuple[SourceKind, ...]:
    from pipelines.ingest.sources import SOURCE_KINDS

    return SOURCE_KINDS
