-- The event store. Append-only: the project only ever INSERTs into these tables.
-- Writers are serialised by the primary key on position (each writer numbers its events from
-- max(position) inside its transaction, so a concurrent writer fails at commit); given that
-- order, the append checks event ids against the store itself, set-wise, which is several times
-- faster than a UNIQUE index on event_id. dbt and pandera re-check the uniqueness after ingest.
CREATE SCHEMA IF NOT EXISTS events;

CREATE TABLE IF NOT EXISTS events.event_store (
    position          BIGINT PRIMARY KEY,        -- global order, gap-free, only increases
    event_id          VARCHAR NOT NULL,          -- md5(source kind | scope | source record id)
    stream            VARCHAR NOT NULL,          -- the record an event belongs to, corrections included
    event_type        VARCHAR NOT NULL,
    schema_version    INTEGER NOT NULL,
    occurred_on       DATE,
    recorded_at       TIMESTAMPTZ NOT NULL,
    batch_id          BIGINT NOT NULL,
    source_row        BIGINT,
    payload           JSON NOT NULL,
    content_hash      VARCHAR NOT NULL,          -- md5 of payload: same id + same hash = duplicate
    corrects_event_id VARCHAR                    -- for amend/void events: the event they correct
);

CREATE TABLE IF NOT EXISTS events.ingest_batches (
    batch_id          BIGINT PRIMARY KEY,
    source_kind       VARCHAR,                   -- NULL when the file was refused unrecognised
    file_name         VARCHAR NOT NULL,
    file_path         VARCHAR NOT NULL,
    file_hash         VARCHAR NOT NULL,          -- sha256 of the bytes: the file's identity
    file_bytes        BIGINT NOT NULL,
    encoding          VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('loaded', 'duplicate', 'refused')),
    reason            VARCHAR,
    duplicate_of      BIGINT,                    -- for a duplicate batch: the batch that loaded the file
    rows_in           BIGINT NOT NULL,
    rows_accepted     BIGINT NOT NULL,
    rows_duplicate    BIGINT NOT NULL,
    rows_quarantined  BIGINT NOT NULL,
    first_position    BIGINT,
    last_position     BIGINT,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    CHECK (rows_in = rows_accepted + rows_duplicate + rows_quarantined)
);

CREATE TABLE IF NOT EXISTS events.quarantine (
    batch_id          BIGINT NOT NULL,
    source_row        BIGINT,
    record_key        VARCHAR,                   -- centre:record id where one could be read
    raw_values        JSON,                      -- the row as written, header -> cell text
    reason            VARCHAR NOT NULL
);
