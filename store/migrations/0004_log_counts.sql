-- Exact row counts of logs, kept in step by statement-level triggers in the writing transaction, so that the
-- `total` of /logs for decky/service/event searches and the /stats total are lookups in a few hundred rows
-- instead of counts over millions (api.md §4 requires `total` to be exact; an index-only count also degrades to
-- heap reads on pages VACUUM has not yet marked all-visible).
--   log_counts    one row per (decky, service, event_type) present in logs; rows reaching zero are removed
--   log_rewrites  one row: a generation raised by every UPDATE, DELETE or TRUNCATE of logs
-- log_rewrites lets a reader that counted another filter once add only the rows appended since
-- (store/log_total.go): its count stays exact as long as no row was rewritten or removed.
-- (Per-attacker counters were tried and dropped: with one new source address per event they cost ingest 12 %.)
-- The counters are upserted in key order, so concurrent writers lock them in the same order (no deadlock).
-- The narrow index migration 3 added only to count decky+service searches is no longer read.
DROP INDEX ix_logs_decky_service;

CREATE TABLE log_counts (
    decky      text   NOT NULL,
    service    text   NOT NULL,
    event_type text   NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (decky, service, event_type)
);

CREATE TABLE log_rewrites (
    gen bigint NOT NULL
);
INSERT INTO log_rewrites VALUES (0);

INSERT INTO log_counts SELECT decky, service, event_type, count(*) FROM logs GROUP BY 1, 2, 3;

-- log_counts_apply adds the rows of new_rows (INSERT, UPDATE), subtracts those of old_rows (DELETE, UPDATE) and
-- raises the rewrite generation on anything but INSERT.
CREATE FUNCTION log_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE log_rewrites SET gen = gen + 1;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM log_counts;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO log_counts AS c
            SELECT decky, service, event_type, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (decky, service, event_type) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO log_counts AS c
            SELECT decky, service, event_type, -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (decky, service, event_type) DO UPDATE SET n = c.n + EXCLUDED.n;
        DELETE FROM log_counts WHERE n <= 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_logs_counts_insert AFTER INSERT ON logs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_counts_apply();
CREATE TRIGGER tr_logs_counts_update AFTER UPDATE ON logs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_counts_apply();
CREATE TRIGGER tr_logs_counts_delete AFTER DELETE ON logs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION log_counts_apply();
CREATE TRIGGER tr_logs_counts_truncate AFTER TRUNCATE ON logs
    FOR EACH STATEMENT EXECUTE FUNCTION log_counts_apply();
