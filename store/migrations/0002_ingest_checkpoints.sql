-- Ingest checkpoints (exactly-once, events.md §6): highest committed line sequence per stream, written in the
-- same transaction as each batch.
CREATE TABLE ingest_checkpoints (
    stream      text        PRIMARY KEY,
    seq         bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
