"""The plug-in contract: everything the framework needs to know about one kind of source file.

A source kind is one module under pipelines/ingest/sources/ that builds a `SourceKind`. The
framework (readers, typing, validation, judging, appending, Dagster assets, the dbt staging
model and the docs' field table: pipelines/kind_files.py) is written once against this contract;
adding a kind adds no code anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandera.pandas as pa

from pipelines.eventstore.batch import Wording
from pipelines.ingest.fields import FieldSet
from pipelines.ingest.readers import Grid


@dataclass(frozen=True)
class Correction:
    """Rows that amend or void an earlier record of the same kind: `mark` is a field whose typed
    value is `amend` or `void` (NULL for an ordinary row), `target` the field naming the record
    corrected, within the same `scope` fields of the key."""

    mark: str
    target: str
    label: str  # how a person calls such rows, e.g. 정정/취소


@dataclass(frozen=True)
class SourceKind:
    name: str  # stored as events.event_store.source_kind; a Dagster asset `<name>_events`
    title: str  # Korean / English, for people
    fields: FieldSet
    recognise_by: tuple[str, ...]  # a row holding the headers of all these fields is the header
    key: tuple[str, ...]  # fields that identify a record of this kind (scope first, id last)
    occurred_on: str  # the field dated the event
    event_type: str  # SQL over the typed columns
    event_types: tuple[str, ...]
    conflict_hint: str  # appended to a conflict's reason: what to send instead
    # quarantine: a known record with other content is a conflict (quarantined);
    # supersede: it is a later version of the record, appended to the same stream
    on_conflict: Literal["quarantine", "supersede"] = "quarantine"
    header_rows: int = 1  # 1, or 2 for a header split over two rows (merged group cells above)
    schema_version: int = 1
    correction: Correction | None = None
    # extra typed columns for the rules, e.g. reference flags: SQL select items and joins over `t`,
    # the typed rows (a join may read `t` again, e.g. to group it)
    enrich_columns: str = ""
    enrich_joins: str = ""
    # row rules beyond each field's own type and required checks (pandera, on the typed rows)
    rules: Callable[[], list[pa.Check]] = field(default=list)
    # files that are not one record per row (a survey's column per question, a statistics table
    # with periods side by side): turn the recognised grid, with the title rows above its header,
    # into one whose header names the kind's fields and whose rows are records, each keeping the
    # file row it came from; raise RefusedFile when the file cannot be understood
    reshape: Callable[[Grid], Grid] | None = None
    breakdown: str | None = None  # payload field that `status` counts events by (e.g. the centre)
    # fields people write anything into (a comment): phone numbers and e-mail addresses in them are
    # masked, as in every column the kind does not know (pipelines/ingest/personal.py)
    free_text: tuple[str, ...] = ()
    example: str = ""  # a small example file, for docs/sources.md
    # what one event records: names the staging model, stg_<name>__<record>_events
    record: str = "record"
    about: str = ""  # what one event is, for the staging model's and the source slice's docs

    def __post_init__(self) -> None:
        names = set(self.fields.names)
        for group in (self.recognise_by, self.key, (self.occurred_on,), self.free_text):
            missing = set(group) - names
            if missing:
                raise ValueError(f"source kind {self.name}: unknown fields {sorted(missing)}")

    @property
    def source_table(self) -> str:
        """The kind's slice of events.event_store as a dbt source table; also its ingest asset's key."""
        return f"{self.name}_events"

    @property
    def staging_model(self) -> str:
        return f"stg_{self.name}__{self.record}_events"

    @property
    def wording(self) -> Wording:
        return Wording(self.conflict_hint, self.correction.label if self.correction else "correction")

    def recognises(self, mapped: set[str]) -> bool:
        return set(self.recognise_by) <= mapped
