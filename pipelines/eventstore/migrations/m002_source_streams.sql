-- Version 2: the store knows no source. Every event names its source kind and its stream by an
-- opaque id with a per-stream version (UNIQUE: two writers cannot both extend one stream); the
-- ledger gains requeue batches, quarantined rows a reason code and a resolution table.
-- Tables are rebuilt (DuckDB cannot add constraints in place); every row is carried over.
-- Positions need no index of their own: every append numbers its events from max(position) and
-- its batch rows from max(batch_id) in one transaction, so of two writers at once the second
-- fails at commit on the batch ledger's primary key (tests/test_eventstore_contract.py), and the
-- pandera check and dbt tests re-assert that positions are unique. The index cost a third of
-- the append.
CREATE TABLE events.event_store_v2 (
    position          BIGINT NOT NULL,           -- global order, gap-free, only increases
    event_id          VARCHAR NOT NULL,          -- md5(source kind | record key [| content]): deterministic
    source_kind       VARCHAR NOT NULL,          -- the plug-in that wrote it (pipelines/ingest/sources)
    stream_id         UUID NOT NULL,             -- opaque: md5(source kind | record key) of the stream's first event
    stream_version    INTEGER NOT NULL,          -- 1, 2, … within the stream, in position order
    event_type        VARCHAR NOT NULL,
    schema_version    INTEGER NOT NULL,
    occurred_on       DATE,
    recorded_at       TIMESTAMPTZ NOT NULL,
    batch_id          BIGINT NOT NULL,
    source_row        BIGINT,
    payload           JSON NOT NULL,
    content_hash      VARCHAR NOT NULL,          -- md5 of the typed fields, whatever the JSON's layout
    corrects_event_id VARCHAR,                   -- for amend/void events: the event they correct
    UNIQUE (stream_id, stream_version)
);

CREATE TABLE events.ingest_batches_v2 (
    batch_id          BIGINT PRIMARY KEY,
    source_kind       VARCHAR,                   -- NULL when the file was refused unrecognised
    file_name         VARCHAR NOT NULL,
    file_path         VARCHAR NOT NULL,
    file_hash         VARCHAR NOT NULL,          -- sha256 of the bytes: the file's identity
    file_bytes        BIGINT NOT NULL,
    encoding          VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('loaded', 'duplicate', 'refused', 'requeued')),
    reason            VARCHAR,
    duplicate_of      BIGINT,                    -- duplicate: the batch that loaded the file; requeued: the batch re-judged
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

CREATE TABLE events.quarantine_v2 (
    batch_id          BIGINT NOT NULL,
    source_row        BIGINT NOT NULL,
    record_key        VARCHAR,                   -- the record's key where one could be read
    raw_values        JSON,                      -- the row as written, header -> cell text
    reason            VARCHAR NOT NULL,
    reason_code       VARCHAR NOT NULL,          -- invalid | conflict | awaiting_target | malformed
    PRIMARY KEY (batch_id, source_row)
);

-- A quarantined row that a later requeue accepted (or found stored already): the quarantine row
-- stays as it was; this says what became of it.
CREATE TABLE events.quarantine_resolutions (
    batch_id          BIGINT NOT NULL,           -- the quarantined row …
    source_row        BIGINT NOT NULL,
    resolved_by_batch BIGINT NOT NULL,           -- … the requeue batch that settled it
    resolution        VARCHAR NOT NULL CHECK (resolution IN ('accepted', 'duplicate')),
    position          BIGINT,                    -- the event it became, when accepted
    resolved_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (batch_id, source_row)
);
