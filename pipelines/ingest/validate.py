"""Run a raw pandera schema lazily and turn its failure cases into one reason per failing row."""

from __future__ import annotations

from string import Formatter

import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.fields import show_invisibles


def failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """(file_no, source_row) -> reasons, one row per failing row, reasons joined with '; '."""
    empty = pd.DataFrame(
        {
            "file_no": pd.Series([], dtype="int32"),
            "source_row": pd.Series([], dtype="int64"),
            "reason": pd.Series([], dtype="str"),
        }
    )
    try:
        schema.validate(frame, lazy=True, inplace=True)  # the frame is ours: no copy
        return empty
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    unplaced = cases[cases["index"].isna()]
    if len(unplaced):  # a failure of the frame itself (a column's type): a bug, not bad input
        raise RuntimeError(f"schema {schema.name} failed on the frame itself:\n{unplaced.to_string()}")
    cases = cases.drop_duplicates(["index", "check"])
    failing = sorted(set(cases["index"].astype(int)))
    if not failing:
        return empty
    # one lookup for all failing rows; their values fill the reason templates
    rows = frame.loc[failing]
    rows = dict(zip(failing, rows.astype(object).where(rows.notna(), "").to_dict("records")))
    reasons: dict[int, list[str]] = {}
    for idx, template in zip(cases["index"].astype(int), cases["check"].astype(str)):
        reasons.setdefault(idx, []).append(_fill(template, rows[idx]))
    return pd.DataFrame(
        {
            "file_no": pd.Series([int(rows[i]["file_no"]) for i in reasons], dtype="int32"),
            "source_row": pd.Series([int(rows[i]["source_row"]) for i in reasons], dtype="int64"),
            "reason": ["; ".join(r) for r in reasons.values()],
        }
    )


def _fill(template: str, values: dict) -> str:
    """The reason with the row's values in place; invisible characters shown as \\uXXXX."""
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    try:
        return template.format(**{k: _shown(values[k]) for k in names})
    except (KeyError, IndexError, ValueError):
        return template


def _shown(value):
    return show_invisibles(value) if isinstance(value, str) else value
