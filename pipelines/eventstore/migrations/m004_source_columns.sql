-- Version 4: where a record was read, as a person finds it. A row of a survey export gives one
-- record per answered column (a K-stat row one per period): such records are written as the file
-- row (header = row 1, title rows counted) and the header of their column, where release 3 wrote
-- row × 1000 + column number (× 100 + period). Rows stored before keep what they were written
-- with (source_column NULL).
-- Events: a nullable column, nothing stored is touched.
ALTER TABLE events.event_store ADD COLUMN source_column VARCHAR;  -- the column's header; NULL: the whole row

-- The quarantine and its resolutions are rebuilt (DuckDB cannot drop a primary key in place): the
-- records of one row are told apart by their column, so (batch, row) is no longer unique; a unique
-- index over (batch, row, column) keeps a record from being quarantined or settled twice (NULL,
-- the whole row, counting as a value). Every row is carried over as it was.
CREATE TABLE events.quarantine_v4 (
    batch_id          BIGINT NOT NULL,
    source_row        BIGINT NOT NULL,           -- the file row as a person counts it
    source_column     VARCHAR,                   -- the column's header when the row gives several records
    record_key        VARCHAR,                   -- the record's key where one could be read
    raw_values        JSON,                      -- the row as written, header -> cell text
    reason            VARCHAR NOT NULL,
    reason_code       VARCHAR NOT NULL           -- invalid | conflict | awaiting_target | malformed
);
INSERT INTO events.quarantine_v4 BY NAME SELECT * FROM events.quarantine;

CREATE TABLE events.quarantine_resolutions_v4 (
    batch_id          BIGINT NOT NULL,           -- the quarantined row …
    source_row        BIGINT NOT NULL,
    source_column     VARCHAR,
    resolved_by_batch BIGINT NOT NULL,           -- … the requeue batch that settled it
    resolution        VARCHAR NOT NULL CHECK (resolution IN ('accepted', 'duplicate')),
    position          BIGINT,                    -- the event it became, when accepted
    resolved_at       TIMESTAMPTZ NOT NULL
);
INSERT INTO events.quarantine_resolutions_v4 BY NAME SELECT * FROM events.quarantine_resolutions;

DROP TABLE events.quarantine;
ALTER TABLE events.quarantine_v4 RENAME TO quarantine;
DROP TABLE events.quarantine_resolutions;
ALTER TABLE events.quarantine_resolutions_v4 RENAME TO quarantine_resolutions;
CREATE UNIQUE INDEX quarantine_record ON events.quarantine (batch_id, source_row, coalesce(source_column, ''));
CREATE UNIQUE INDEX quarantine_resolution_record
    ON events.quarantine_resolutions (batch_id, source_row, coalesce(source_column, ''));
