"""Personal data written where people write freely, masked for every kind of source file.

A phone number or an e-mail address typed into a comment (비고) or into a column the kind does not
know (kept in the payload as an extra) would otherwise be stored as written: in the events, in
the quarantine's row as written and in an unreadable line's text. Those cells are masked as the
survey masks its comments (pipelines/ingest/sources/survey.py: every spelling, one RE2 pass over
the distinct texts) as soon as a file is read, before anything is typed, stored or logged. A cell
without personal data is kept exactly as written (its event's content, hence its identity, is
the one earlier releases stored).
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest.readers import Grid
from pipelines.ingest.source_kind import SourceKind
from pipelines.ingest.sources.survey import MASK, _masked


def _only_masked(cells: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The cells, those holding a phone number or an e-mail address masked, the others as they were."""
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    masked = _masked(cells)
    hit = pc.fill_null(pc.match_substring(masked, MASK), False)
    return pc.if_else(hit, masked, cells) if pc.any(hit).as_py() else cells


def mask_free_text(kind: SourceKind, grid: Grid) -> Grid:
    """The grid with phone numbers and e-mail addresses masked in the kind's free-text fields, in
    every column it does not know, and in the text of unreadable lines."""
    mapped = kind.fields.map_header(grid.header)
    table = grid.table
    for i in range(len(grid.header)):
        name = f"c{i}"
        if (i not in mapped or mapped[i] in kind.free_text) and name in table.column_names and table.num_rows:
            table = table.set_column(table.schema.get_field_index(name), name, _only_masked(table.column(name)))
    bad_rows = grid.bad_rows
    if bad_rows:
        texts = _only_masked(pa.array([text for _, _, text in bad_rows], pa.string())).to_pylist()
        bad_rows = [(row, why, text) for (row, why, _), text in zip(bad_rows, texts)]
    return replace(grid, table=table, bad_rows=bad_rows)
