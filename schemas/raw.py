"""Pandera schemas for the typed rows of a source file, derived from the kind's field list.

The framework (pipelines/ingest/prepare.py) turns every cell into a typed value or NULL and keeps
its text beside it (`<field>_raw`). Every field brings its own checks (a required field must
have a value, text given must parse); the source kind adds its row rules. Every check's `error`
is a reason a person understands; `{name}` fields in it are filled from the failing row, so a
quarantine reason quotes what was actually written in the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandera.pandas as pa

if TYPE_CHECKING:  # the ingest imports this module, never the other way round at run time
    from pipelines.ingest.fields import Field
    from pipelines.ingest.source_kind import SourceKind


def row_check(fn, error: str) -> pa.Check:
    """A check over whole rows: `fn(df)` is True where the row is acceptable (NULL counts as
    acceptable: rules handle NULLs themselves, and pandera's NA pass per check costs more)."""
    return pa.Check(lambda df: fn(df).fillna(True).astype(bool), error=error, ignore_na=False)


def field_checks(f: Field) -> list[pa.Check]:
    """What the field's declaration says: required, and text given must parse."""
    raw, name = f"{f.name}_raw", f.name
    if f.required and f.can_fail:
        return [row_check(lambda df: df[name].notna(), f"{f.label} '{{{raw}}}' is empty or not {f.type.expected}")]
    checks = []
    if f.required:
        checks.append(row_check(lambda df: df[name].notna(), f"{f.label} is empty"))
    if f.can_fail:
        checks.append(
            row_check(lambda df: df[raw].isna() | df[name].notna(), f"{f.label} '{{{raw}}}' is not {f.type.expected}")
        )
    return checks


def raw_schema(kind: SourceKind) -> pa.DataFrameSchema:
    checks = [c for f in kind.fields for c in field_checks(f)] + kind.rules()
    columns = {"file_no": pa.Column("int32"), "source_row": pa.Column("int64")}
    # coerced: a whole-number column with blanks arrives from Arrow as float64
    columns |= {
        f.name: pa.Column(f.type.frame_dtype, nullable=True, coerce=True) for f in kind.fields if f.type.frame_dtype
    }
    return pa.DataFrameSchema(
        columns=columns, checks=checks, unique=["file_no", "source_row"], strict=False, name=f"{kind.name}_rows"
    )
