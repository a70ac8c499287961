-- Version 3: frozen annual evaluations. A freeze records the store position a year's marts were
-- built at, the checksums of that year's mart rows, and a copy of every reference seed it was
-- evaluated with; from then on that year's marts are rebuilt from exactly these. Both tables are
-- append-only like the event store: a deliberate re-freeze adds a row naming the one it replaces.
CREATE TABLE events.evaluation_freezes (
    freeze_id           BIGINT PRIMARY KEY,
    year                INTEGER NOT NULL,
    store_position      BIGINT NOT NULL,         -- the year's marts see events at or below it
    evaluated_on        DATE NOT NULL,           -- the evaluation date its marts use (which years have ended)
    frozen_at           TIMESTAMPTZ NOT NULL,
    mart_checksums      JSON NOT NULL,           -- {mart: {year_column, columns, rows, md5}}
    checksum            VARCHAR NOT NULL,        -- md5 over the marts' checksums
    pinned_reference    JSON NOT NULL,           -- {seed: {rows, md5}}: what the year was evaluated with
    code_version        VARCHAR,
    replaces_freeze_id  BIGINT,                  -- a re-freeze of the same year names the freeze it replaces
    reason              VARCHAR,
    UNIQUE (year, replaces_freeze_id)
);

CREATE TABLE events.freeze_reference_rows (
    freeze_id   BIGINT NOT NULL,
    seed        VARCHAR NOT NULL,                -- a table of the `reference` schema (a dbt seed)
    row_number  INTEGER NOT NULL,
    row_values  JSON NOT NULL,                   -- the seed's row as it was, column -> value
    PRIMARY KEY (freeze_id, seed, row_number)
);
