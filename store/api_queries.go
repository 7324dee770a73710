package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// APILog is a logs row as the REST API returns it (spec/api.md §4).
type APILog struct {
	ID         int64             `json:"id"`
	Timestamp  time.Time         `json:"timestamp"`
	Decky      string            `json:"decky"`
	Service    string            `json:"service"`
	EventType  string            `json:"event_type"`
	AttackerIP *string           `json:"attacker_ip"`
	RawLine    string            `json:"raw_line"`
	Fields     map[string]string `json:"fields"`
	Msg        *string           `json:"msg"`
}

const apiLogCols = `id, timestamp, decky, service, event_type, host(attacker_ip), raw_line, fields, msg`

func scanAPILog(r pgx.CollectableRow) (APILog, error) {
	var l APILog
	err := r.Scan(&l.ID, &l.Timestamp, &l.Decky, &l.Service, &l.EventType, &l.AttackerIP, &l.RawLine, &l.Fields, &l.Msg)
	l.Timestamp = l.Timestamp.UTC()
	if l.Fields == nil {
		l.Fields = map[string]string{}
	}
	return l, err
}

// SearchLogs returns one page of logs matching f ordered by timestamp DESC, id DESC. withTotal=false skips the
// count (total is then -1), letting the caller serve a cached total.
func (s *Store) SearchLogs(ctx context.Context, f LogFilter, limit, offset int, withTotal bool) (total int64, rows []APILog, err error) {
	var b sqlBuilder
	b.addLogFilter(f)
	q := `SELECT ` + apiLogCols + ` FROM logs WHERE ` + b.where() + ` ORDER BY timestamp DESC, id DESC LIMIT ` +
		b.arg(limit) + ` OFFSET ` + b.arg(offset)
	r, err := s.pool.Query(ctx, q, b.args...)
	if err != nil {
		return 0, nil, fmt.Errorf("search logs: %w", err)
	}
	rows, err = pgx.CollectRows(r, scanAPILog)
	if err != nil {
		return 0, nil, fmt.Errorf("search logs: %w", err)
	}
	total = -1
	if withTotal && len(rows) < limit && (len(rows) > 0 || offset == 0) {
		// A short page is the last one: the total needs no count query.
		return int64(offset + len(rows)), rows, nil
	}
	if withTotal {
		if total, err = s.countLogs(ctx, f); err != nil {
			return 0, nil, err
		}
	}
	return total, rows, nil
}

// LogsSince returns up to limit rows with id > afterID matching f, ascending id (stream poll).
func (s *Store) LogsSince(ctx context.Context, f LogFilter, afterID int64, limit int) ([]APILog, error) {
	var b sqlBuilder
	b.addLogFilter(f)
	b.conds = append(b.conds, "id > "+b.arg(afterID))
	r, err := s.pool.Query(ctx, `SELECT `+apiLogCols+` FROM logs WHERE `+b.where()+` ORDER BY id LIMIT `+b.arg(limit), b.args...)
	if err != nil {
		return nil, fmt.Errorf("logs since %d: %w", afterID, err)
	}
	out, err := pgx.CollectRows(r, scanAPILog)
	if err != nil {
		return nil, fmt.Errorf("logs since %d: %w", afterID, err)
	}
	return out, nil
}

// LogsByIDs returns the rows with the given ids that match f, ascending id (stream push after a commit).
func (s *Store) LogsByIDs(ctx context.Context, f LogFilter, ids []int64) ([]APILog, error) {
	var b sqlBuilder
	b.addLogFilter(f)
	b.conds = append(b.conds, "id = ANY("+b.arg(ids)+")")
	r, err := s.pool.Query(ctx, `SELECT `+apiLogCols+` FROM logs WHERE `+b.where()+` ORDER BY id`, b.args...)
	if err != nil {
		return nil, fmt.Errorf("logs by ids: %w", err)
	}
	out, err := pgx.CollectRows(r, scanAPILog)
	if err != nil {
		return nil, fmt.Errorf("logs by ids: %w", err)
	}
	return out, nil
}

// MaxLogID returns the highest logs id (0 when empty).
func (s *Store) MaxLogID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM logs`).Scan(&id); err != nil {
		return 0, fmt.Errorf("max log id: %w", err)
	}
	return id, nil
}

// HistogramBucket is one histogram bucket.
type HistogramBucket struct {
	Time  time.Time `json:"time"`
	Count int64     `json:"count"`
}

// Histogram counts rows matching f per interval-minute bucket (floor(epoch / s) * s), ascending, empty omitted.
func (s *Store) Histogram(ctx context.Context, f LogFilter, intervalMinutes int) ([]HistogramBucket, error) {
	var b sqlBuilder
	b.addLogFilter(f)
	sec := b.arg(int64(intervalMinutes) * 60)
	q := `SELECT to_timestamp(floor(extract(epoch FROM timestamp) / ` + sec + `::bigint) * ` + sec + `::bigint) AS bucket, count(*)
  FROM logs WHERE ` + b.where() + ` GROUP BY 1 ORDER BY 1`
	r, err := s.pool.Query(ctx, q, b.args...)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	out, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (HistogramBucket, error) {
		var h HistogramBucket
		err := r.Scan(&h.Time, &h.Count)
		h.Time = h.Time.UTC()
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return out, nil
}

// LogStats are the log counters of GET /stats.
type LogStats struct {
	TotalLogs       int64 `json:"total_logs"`
	UniqueAttackers int64 `json:"unique_attackers"`
}

// LogStats returns the number of logs rows (from log_counts) and of distinct non-null attacker IPs.
func (s *Store) LogStats(ctx context.Context) (LogStats, error) {
	var st LogStats
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT coalesce(sum(n), 0)::bigint FROM log_counts), (SELECT count(DISTINCT attacker_ip) FROM logs)`).Scan(&st.TotalLogs, &st.UniqueAttackers); err != nil {
		return st, fmt.Errorf("log stats: %w", err)
	}
	return st, nil
}

// DeckyCounts returns the number of decky rows in state running and of all decky rows.
func (s *Store) DeckyCounts(ctx context.Context) (running, all int64, err error) {
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'running'), count(*) FROM deckies`).Scan(&running, &all); err != nil {
		return 0, 0, fmt.Errorf("decky counts: %w", err)
	}
	return running, all, nil
}

// APIBounty is a bounty row as the REST API returns it.
type APIBounty struct {
	ID         int64           `json:"id"`
	Timestamp  time.Time       `json:"timestamp"`
	Decky      string          `json:"decky"`
	Service    string          `json:"service"`
	AttackerIP *string         `json:"attacker_ip"`
	BountyType string          `json:"bounty_type"`
	Payload    json.RawMessage `json:"payload"`
}

// BountyPage returns bounty rows (timestamp DESC) of one type ("" = any) whose decky, service, attacker_ip or
// payload text contains search (case-insensitive), and the total.
func (s *Store) BountyPage(ctx context.Context, typ, search string, limit, offset int) (int64, []APIBounty, error) {
	var b sqlBuilder
	if typ != "" {
		b.conds = append(b.conds, "bounty_type = "+b.arg(typ))
	}
	if search != "" {
		p := b.arg(likeEscape(search))
		b.conds = append(b.conds, "(decky ILIKE "+p+" OR service ILIKE "+p+" OR host(attacker_ip) ILIKE "+p+" OR payload::text ILIKE "+p+")")
	}
	where, args := b.where(), append([]any(nil), b.args...)
	r, err := s.pool.Query(ctx, `SELECT id, timestamp, decky, service, host(attacker_ip), bounty_type, payload FROM bounty
 WHERE `+where+` ORDER BY timestamp DESC, id DESC LIMIT `+b.arg(limit)+` OFFSET `+b.arg(offset), b.args...)
	if err != nil {
		return 0, nil, fmt.Errorf("bounty page: %w", err)
	}
	rows, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (APIBounty, error) {
		var x APIBounty
		err := r.Scan(&x.ID, &x.Timestamp, &x.Decky, &x.Service, &x.AttackerIP, &x.BountyType, &x.Payload)
		x.Timestamp = x.Timestamp.UTC()
		return x, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("bounty page: %w", err)
	}
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM bounty WHERE `+where, args...).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count bounty: %w", err)
	}
	return total, rows, nil
}

// CredentialQuery narrows CredentialsPage; empty strings mean no filter.
type CredentialQuery struct {
	Search     string // substring of principal, secret_printable, decky_name
	Service    string
	AttackerIP string
}

// CredentialsPage returns credentials (last_seen DESC) matching q and the total.
func (s *Store) CredentialsPage(ctx context.Context, q CredentialQuery, limit, offset int) (int64, []Credential, error) {
	var b sqlBuilder
	if q.Search != "" {
		p := b.arg(likeEscape(q.Search))
		b.conds = append(b.conds, "(principal ILIKE "+p+" OR secret_printable ILIKE "+p+" OR decky_name ILIKE "+p+")")
	}
	if q.Service != "" {
		b.conds = append(b.conds, "service = "+b.arg(clean(q.Service)))
	}
	if q.AttackerIP != "" {
		ip, err := netip.ParseAddr(q.AttackerIP)
		if err != nil {
			b.conds = append(b.conds, "FALSE")
		} else {
			b.conds = append(b.conds, "attacker_ip = "+b.arg(ip.Unmap()))
		}
	}
	where, args := b.where(), append([]any(nil), b.args...)
	r, err := s.pool.Query(ctx, `SELECT id, host(attacker_ip), attacker_uuid::text, decky_name, service, principal,
        secret_kind, secret_sha256, secret_b64, secret_printable, outcome, fields, first_seen, last_seen, attempt_count
  FROM credentials WHERE `+where+` ORDER BY last_seen DESC, id DESC LIMIT `+b.arg(limit)+` OFFSET `+b.arg(offset), b.args...)
	if err != nil {
		return 0, nil, fmt.Errorf("credentials page: %w", err)
	}
	rows, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (Credential, error) {
		var c Credential
		err := r.Scan(&c.ID, &c.AttackerIP, &c.AttackerUUID, &c.DeckyName, &c.Service, &c.Principal, &c.SecretKind,
			&c.SecretSHA256, &c.SecretB64, &c.SecretPrintable, &c.Outcome, &c.Fields, &c.FirstSeen, &c.LastSeen, &c.AttemptCount)
		c.FirstSeen, c.LastSeen = c.FirstSeen.UTC(), c.LastSeen.UTC()
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		return c, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("credentials page: %w", err)
	}
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM credentials WHERE `+where, args...).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count credentials: %w", err)
	}
	return total, rows, nil
}

// AttackerQuery narrows AttackersPage.
type AttackerQuery struct {
	Search  string // substring of the IP text
	SortBy  string // recent (default), active, traversals
	Service string // attacker's services contain it
}

// attackerJSON selects an attacker as one JSON object with its behaviour (null when absent).
const attackerJSON = `to_jsonb(a) || jsonb_build_object('ip', host(a.ip), 'behavior',
    (SELECT to_jsonb(b) - 'attacker_uuid' FROM attacker_behavior b WHERE b.attacker_uuid = a.uuid))`

// AttackersPage returns attacker objects (spec/api.md §6) and the total.
func (s *Store) AttackersPage(ctx context.Context, q AttackerQuery, limit, offset int) (int64, []map[string]any, error) {
	var b sqlBuilder
	if q.Search != "" {
		b.conds = append(b.conds, "host(a.ip) ILIKE "+b.arg(likeEscape(q.Search)))
	}
	if q.Service != "" {
		b.conds = append(b.conds, "a.services @> to_jsonb(ARRAY["+b.arg(clean(q.Service))+"::text])")
	}
	order := "a.last_seen DESC, a.ip"
	switch q.SortBy {
	case "active":
		order = "a.event_count DESC, a.last_seen DESC, a.ip"
	case "traversals":
		order = "a.is_traversal DESC, a.last_seen DESC, a.ip"
	}
	where, args := b.where(), append([]any(nil), b.args...)
	out, err := s.attackerObjects(ctx, `SELECT `+attackerJSON+` FROM attackers a WHERE `+where+` ORDER BY `+order+
		` LIMIT `+b.arg(limit)+` OFFSET `+b.arg(offset), b.args...)
	if err != nil {
		return 0, nil, fmt.Errorf("attackers page: %w", err)
	}
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM attackers a WHERE `+where, args...).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count attackers: %w", err)
	}
	return total, out, nil
}

// AllAttackers returns every attacker object ordered by last_seen DESC (export).
func (s *Store) AllAttackers(ctx context.Context) ([]map[string]any, error) {
	out, err := s.attackerObjects(ctx, `SELECT `+attackerJSON+` FROM attackers a ORDER BY a.last_seen DESC, a.ip`)
	if err != nil {
		return nil, fmt.Errorf("export attackers: %w", err)
	}
	return out, nil
}

// AttackerObject returns one attacker object by uuid; found is false for an unknown or malformed uuid.
func (s *Store) AttackerObject(ctx context.Context, id string) (map[string]any, bool, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, false, nil
	}
	out, err := s.attackerObjects(ctx, `SELECT `+attackerJSON+` FROM attackers a WHERE a.uuid = $1`, u)
	if err != nil {
		return nil, false, fmt.Errorf("attacker %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, false, nil
	}
	return out[0], true, nil
}

// enrichmentCols are attackers columns filled by later enrichment: included only when set.
var enrichmentCols = []string{"country_code", "country_source", "asn", "as_name", "bgp_prefix", "asn_source",
	"rpki_status", "rpki_source", "ptr_record", "last_rotation_at", "last_ipv6_leak_at", "last_ipv6_link_local",
	"last_ipv6_iid_kind", "last_ipv6_mac_oui"}

func (s *Store) attackerObjects(ctx context.Context, q string, args ...any) ([]map[string]any, error) {
	r, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (map[string]any, error) {
		var raw []byte
		if err := r.Scan(&raw); err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		for _, k := range enrichmentCols {
			if m[k] == nil {
				delete(m, k)
			}
		}
		normaliseTimes(m)
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out, nil
}

// normaliseTimes rewrites PostgreSQL's JSON timestamps (+00:00) as RFC 3339 UTC with Z, recursively.
func normaliseTimes(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "timestamp" || k == "first_seen" || k == "last_seen" || strings.HasSuffix(k, "_at")) {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					x[k] = t.UTC().Format(time.RFC3339Nano)
				}
				continue
			}
			normaliseTimes(e)
		}
	case []any:
		for _, e := range x {
			normaliseTimes(e)
		}
	}
}

// IPLeaks returns the ≤ limit newest ip_leak bounty rows of ip and their total.
func (s *Store) IPLeaks(ctx context.Context, ip string, limit int) (int64, []APIBounty, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return 0, []APIBounty{}, nil
	}
	r, err := s.pool.Query(ctx, `SELECT id, timestamp, decky, service, host(attacker_ip), bounty_type, payload FROM bounty
 WHERE bounty_type = 'ip_leak' AND attacker_ip = $1 ORDER BY timestamp DESC, id DESC LIMIT $2`, a.Unmap(), limit)
	if err != nil {
		return 0, nil, fmt.Errorf("ip leaks: %w", err)
	}
	rows, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (APIBounty, error) {
		var x APIBounty
		err := r.Scan(&x.ID, &x.Timestamp, &x.Decky, &x.Service, &x.AttackerIP, &x.BountyType, &x.Payload)
		x.Timestamp = x.Timestamp.UTC()
		return x, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("ip leaks: %w", err)
	}
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM bounty WHERE bounty_type = 'ip_leak' AND attacker_ip = $1`, a.Unmap()).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count ip leaks: %w", err)
	}
	if rows == nil {
		rows = []APIBounty{}
	}
	return total, rows, nil
}

// Interaction classes of spec/events.md §7.
var (
	interactionEvents = set("command", "exec", "query", "input", "shell_input", "execute", "run", "sql_query",
		"redis_command", "ldap_search", "mail_from", "rcpt_to", "rcpt_denied", "message_accepted", "file_captured",
		"upload", "download_attempt", "retr", "publish", "subscribe", "session_recorded")
	noiseEvents = set("startup", "shutdown", "config_error", "parse_error", "unknown_packet", "unknown_opcode",
		"unknown_command", "protocol_error")
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// ServiceActivity returns the interacted and scanned service buckets of an attacker IP (spec/events.md §7).
func (s *Store) ServiceActivity(ctx context.Context, ip string) (interacted, scanned []string, err error) {
	interacted, scanned = []string{}, []string{}
	a, perr := netip.ParseAddr(ip)
	if perr != nil {
		return interacted, scanned, nil
	}
	r, err := s.pool.Query(ctx, `SELECT DISTINCT service, event_type FROM logs WHERE attacker_ip = $1`, a.Unmap())
	if err != nil {
		return nil, nil, fmt.Errorf("service activity: %w", err)
	}
	inter, scan := map[string]bool{}, map[string]bool{}
	for r.Next() {
		var svc, ev string
		if err := r.Scan(&svc, &ev); err != nil {
			r.Close()
			return nil, nil, fmt.Errorf("service activity: %w", err)
		}
		switch {
		case interactionEvents[ev]:
			inter[svc] = true
		case noiseEvents[ev]:
		default:
			scan[svc] = true
		}
	}
	r.Close()
	if err := r.Err(); err != nil {
		return nil, nil, fmt.Errorf("service activity: %w", err)
	}
	for svc := range inter {
		interacted = append(interacted, svc)
	}
	for svc := range scan {
		if !inter[svc] {
			scanned = append(scanned, svc)
		}
	}
	sort.Strings(interacted)
	sort.Strings(scanned)
	return interacted, scanned, nil
}

// GetState returns the JSON value of a state key; found is false when absent.
func (s *Store) GetState(ctx context.Context, key string) (json.RawMessage, bool, error) {
	var v json.RawMessage
	err := s.pool.QueryRow(ctx, `SELECT value FROM state WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state %s: %w", key, err)
	}
	return v, true, nil
}

// PutState stores the JSON value of a state key.
func (s *Store) PutState(ctx context.Context, key string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("state %s: %w", key, err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO state (key, value, updated_at) VALUES ($1, $2, now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, key, b); err != nil {
		return fmt.Errorf("state %s: %w", key, err)
	}
	return nil
}

// PurgeCounts reports what Reinit deleted.
type PurgeCounts struct {
	Logs        int64 `json:"logs"`
	Bounties    int64 `json:"bounties"`
	Credentials int64 `json:"credentials"`
	Attackers   int64 `json:"attackers"`
}

// Reinit deletes logs, bounty, credentials, attacker_behavior and attackers in one transaction.
func (s *Store) Reinit(ctx context.Context) (PurgeCounts, error) {
	var c PurgeCounts
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, st := range []struct {
			table string
			n     *int64
		}{{"logs", &c.Logs}, {"bounty", &c.Bounties}, {"credentials", &c.Credentials}, {"attacker_behavior", nil}, {"attackers", &c.Attackers}} {
			tag, err := tx.Exec(ctx, "DELETE FROM "+st.table)
			if err != nil {
				return fmt.Errorf("delete %s: %w", st.table, err)
			}
			if st.n != nil {
				*st.n = tag.RowsAffected()
			}
		}
		return nil
	})
	if err != nil {
		return PurgeCounts{}, fmt.Errorf("reinit: %w", err)
	}
	return c, nil
}

// ServiceCounts returns, per service, the number of connection events (connect/connection/accept) and of
// credential rows (metrics).
func (s *Store) ServiceCounts(ctx context.Context) (conns, creds map[string]int64, err error) {
	read := func(q string) (map[string]int64, error) {
		rows, err := s.pool.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var svc string
			var n int64
			if err := rows.Scan(&svc, &n); err != nil {
				return nil, err
			}
			out[svc] = n
		}
		return out, rows.Err()
	}
	if conns, err = read(`SELECT service, count(*) FROM logs WHERE event_type IN ('connect', 'connection', 'accept') GROUP BY service`); err != nil {
		return nil, nil, fmt.Errorf("connection counts: %w", err)
	}
	if creds, err = read(`SELECT service, count(*) FROM credentials GROUP BY service`); err != nil {
		return nil, nil, fmt.Errorf("credential counts: %w", err)
	}
	return conns, creds, nil
}

// LifecycleRow is one decky_lifecycle row.
type LifecycleRow struct {
	ID          string     `json:"id"`
	DeckyName   string     `json:"decky_name"`
	Operation   string     `json:"operation"`
	Status      string     `json:"status"`
	Error       *string    `json:"error"`
	StartedAt   time.Time  `json:"started_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

// InsertLifecycle records a pending operation on a decky.
func (s *Store) InsertLifecycle(ctx context.Context, id, decky, op string) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO decky_lifecycle (id, decky_name, operation) VALUES ($1::uuid, $2, $3)`,
		id, clean(decky), op); err != nil {
		return fmt.Errorf("insert lifecycle %s: %w", id, err)
	}
	return nil
}

// SetLifecycle updates an operation's status (completed_at is set for succeeded/failed; a completed row is
// left unchanged).
func (s *Store) SetLifecycle(ctx context.Context, id, status, errText string) error {
	var e *string
	if errText != "" {
		e = &errText
	}
	if _, err := s.pool.Exec(ctx, `UPDATE decky_lifecycle SET status = $2, error = coalesce($3, error), updated_at = now(),
       completed_at = CASE WHEN $2 IN ('succeeded', 'failed') THEN now() ELSE NULL END
 WHERE id = $1::uuid AND completed_at IS NULL`, id, status, e); err != nil {
		return fmt.Errorf("update lifecycle %s: %w", id, err)
	}
	return nil
}

// Lifecycles returns the rows with the given ids (malformed or unknown ids are omitted), oldest first.
func (s *Store) Lifecycles(ctx context.Context, ids []string) ([]LifecycleRow, error) {
	var us []uuid.UUID
	for _, id := range ids {
		if u, err := uuid.Parse(id); err == nil {
			us = append(us, u)
		}
	}
	if len(us) == 0 {
		return []LifecycleRow{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text, decky_name, operation, status, error, started_at, updated_at, completed_at
  FROM decky_lifecycle WHERE id = ANY($1) ORDER BY started_at, id`, us)
	if err != nil {
		return nil, fmt.Errorf("lifecycles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LifecycleRow, error) {
		var l LifecycleRow
		err := r.Scan(&l.ID, &l.DeckyName, &l.Operation, &l.Status, &l.Error, &l.StartedAt, &l.UpdatedAt, &l.CompletedAt)
		l.StartedAt, l.UpdatedAt = l.StartedAt.UTC(), l.UpdatedAt.UTC()
		if l.CompletedAt != nil {
			t := l.CompletedAt.UTC()
			l.CompletedAt = &t
		}
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycles: %w", err)
	}
	if out == nil {
		out = []LifecycleRow{}
	}
	return out, nil
}

// FailStaleLifecycles marks operations left pending/running for over an hour as failed (run at API start).
func (s *Store) FailStaleLifecycles(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `UPDATE decky_lifecycle SET status = 'failed', error = 'API restarted during operation',
       completed_at = now(), updated_at = now()
 WHERE status IN ('pending', 'running') AND started_at < now() - interval '1 hour'`); err != nil {
		return fmt.Errorf("fail stale lifecycles: %w", err)
	}
	return nil
}
