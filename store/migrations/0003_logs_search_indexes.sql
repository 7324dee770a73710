-- Indexes for /logs searches that miss the response cache (api.md §4, schema.md §6). The equality filters
-- `decky:X service:Y` and `attacker:IP` get an index whose tail is the page order (timestamp DESC, id DESC), so a
-- page is read straight off the index (no sort, only `limit` heap fetches). The exact total is an index-only
-- count: for attacker_ip on ix_logs_attacker_ip; for decky+service on the narrow, deduplicated
-- ix_logs_decky_service (7 MB per million rows, about twice as fast to count as the wide index). The
-- single-column indexes of migration 1 stay (schema.md §3).
CREATE INDEX ix_logs_decky_service_ts ON logs (decky, service, timestamp DESC, id DESC);
CREATE INDEX ix_logs_decky_service    ON logs (decky, service);
CREATE INDEX ix_logs_attacker_ip_ts   ON logs (attacker_ip, timestamp DESC, id DESC);
