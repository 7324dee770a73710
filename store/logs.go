package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/event"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Entry is one admitted record with its line identity (stream, seq) (spec/events.md §5–6).
type Entry struct {
	Stream string
	Seq    int64
	Rec    event.Record
}

// BatchResult reports what WriteBatch stored.
type BatchResult struct {
	IDs         []int64  // logs.id per entry, 0 for an entry skipped because its seq was already committed
	Inserted    int      // logs rows written
	Skipped     int      // entries at or below their stream's checkpoint
	Credentials int      // credential upserts
	Bounties    int      // bounty insert attempts (deduplicated by the database)
	IPs         []string // distinct attacker IPs of the written rows, first-seen order
}

// logColumns are the COPY columns of logs.
var logColumns = []string{"id", "timestamp", "decky", "service", "event_type", "attacker_ip", "raw_line", "fields", "msg"}

const credentialUpsert = `INSERT INTO credentials (attacker_ip, decky_name, service, principal, principal_key, secret_kind,
    secret_sha256, secret_b64, secret_printable, outcome, fields, first_seen, last_seen)
VALUES ($1, $2, $3, $4::varchar, coalesce($4::varchar, ''), $5, $6, $7, $8, $9, $10, $11, $11)
ON CONFLICT ON CONSTRAINT uq_credentials_dedup DO UPDATE SET
    attempt_count = credentials.attempt_count + 1,
    last_seen     = greatest(credentials.last_seen, EXCLUDED.last_seen),
    first_seen    = least(credentials.first_seen, EXCLUDED.first_seen),
    outcome       = coalesce(EXCLUDED.outcome, credentials.outcome)`

const bountyInsert = `INSERT INTO bounty (timestamp, decky, service, attacker_ip, bounty_type, payload)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT uq_bounty_dedup DO NOTHING`

const checkpointUpsert = `INSERT INTO ingest_checkpoints (stream, seq)
SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (stream) DO UPDATE SET seq = greatest(ingest_checkpoints.seq, EXCLUDED.seq), updated_at = now()`

// WriteBatch stores entries in one transaction: the checkpoints of their streams are locked and entries at or
// below them skipped (exactly-once replay), the logs rows are COPYed, the derived credentials are upserted and
// bounty rows inserted-or-ignored, and each stream's checkpoint is raised to its highest seq in the batch.
func (s *Store) WriteBatch(ctx context.Context, entries []Entry) (BatchResult, error) {
	res := BatchResult{IDs: make([]int64, len(entries))}
	if len(entries) == 0 {
		return res, nil
	}
	maxSeq := make(map[string]int64)
	var streams []string
	for _, e := range entries {
		if m, ok := maxSeq[e.Stream]; !ok {
			streams = append(streams, e.Stream)
			maxSeq[e.Stream] = e.Seq
		} else if e.Seq > m {
			maxSeq[e.Stream] = e.Seq
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res.IDs = make([]int64, len(entries))
		res.Inserted, res.Skipped, res.Credentials, res.Bounties, res.IPs = 0, 0, 0, 0, nil
		committed := make(map[string]int64, len(streams))
		// One round trip: lock the streams' checkpoints and reserve ids for every entry (ids of skipped entries
		// are left as gaps). The reservation assumes the ingester is the only writer of logs; an interleaved
		// nextval elsewhere would surface as a primary-key error, which the pipeline retries record by record.
		pre := &pgx.Batch{}
		pre.Queue("SELECT stream, seq FROM ingest_checkpoints WHERE stream = ANY($1) FOR UPDATE", streams).Query(
			func(rows pgx.Rows) error {
				for rows.Next() {
					var st string
					var seq int64
					if err := rows.Scan(&st, &seq); err != nil {
						return err
					}
					committed[st] = seq
				}
				return rows.Err()
			})
		var lastID int64
		pre.Queue("SELECT setval('logs_id_seq', nextval('logs_id_seq') + $1 - 1)", int64(len(entries))).QueryRow(
			func(row pgx.Row) error { return row.Scan(&lastID) })
		if err := tx.SendBatch(ctx, pre).Close(); err != nil {
			return fmt.Errorf("lock checkpoints, reserve ids: %w", err)
		}
		keep := make([]int, 0, len(entries))
		for i, e := range entries {
			if cp, ok := committed[e.Stream]; ok && e.Seq <= cp {
				res.Skipped++
				continue
			}
			keep = append(keep, i)
		}
		if len(keep) > 0 {
			firstID := lastID - int64(len(entries)) + 1
			ids := make([]int64, len(keep))
			for k, i := range keep {
				ids[k] = firstID + int64(i)
				res.IDs[i] = ids[k]
			}
			src := &logSource{entries: entries, keep: keep, ids: ids, pos: -1, vals: make([]any, len(logColumns))}
			n, err := tx.CopyFrom(ctx, pgx.Identifier{"logs"}, logColumns, src)
			if err != nil {
				return fmt.Errorf("copy logs: %w", err)
			}
			res.Inserted = int(n)
		}
		b := &pgx.Batch{}
		seenIP := map[string]bool{}
		seenBounty := map[string]bool{}
		for _, i := range keep {
			r := &entries[i].Rec
			if r.AttackerIP != "" && !seenIP[r.AttackerIP] {
				seenIP[r.AttackerIP] = true
				res.IPs = append(res.IPs, r.AttackerIP)
			}
			if c, ok := event.DeriveCredential(*r); ok {
				res.Credentials++
				b.Queue(credentialUpsert, inet(c.AttackerIP), clean(c.DeckyName), clean(c.Service), nullStr(clean(c.Principal)),
					clean(c.SecretKind), c.SecretSHA256, nullStr(clean(c.SecretB64)), nullStr(clean(c.SecretPrintable)),
					nullStr(c.Outcome), fieldsJSON(r), c.Time.UTC())
			}
			for _, bt := range DeriveBounties(*r) {
				key := bt.Type + "\x00" + r.AttackerIP + "\x00" + string(bt.Payload)
				if seenBounty[key] {
					continue
				}
				seenBounty[key] = true
				res.Bounties++
				b.Queue(bountyInsert, r.Timestamp.UTC(), clean(r.Decky), clean(r.Service), inet(bt.AttackerIP), bt.Type, bt.Payload)
			}
		}
		cpStreams := make([]string, 0, len(streams))
		cpSeqs := make([]int64, 0, len(streams))
		for _, st := range streams {
			if maxSeq[st] > committed[st] || !hasKey(committed, st) {
				cpStreams = append(cpStreams, st)
				cpSeqs = append(cpSeqs, maxSeq[st])
			}
		}
		if len(cpStreams) > 0 {
			b.Queue(checkpointUpsert, cpStreams, cpSeqs)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("derived rows: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return BatchResult{}, fmt.Errorf("write batch of %d: %w", len(entries), err)
	}
	return res, nil
}

func hasKey(m map[string]int64, k string) bool { _, ok := m[k]; return ok }

// AdvanceCheckpoint raises a stream's checkpoint to seq without storing anything (used to step over a record
// the database rejects, which is then counted as dropped by the caller).
func (s *Store) AdvanceCheckpoint(ctx context.Context, stream string, seq int64) error {
	if _, err := s.pool.Exec(ctx, checkpointUpsert, []string{stream}, []int64{seq}); err != nil {
		return fmt.Errorf("advance checkpoint %s to %d: %w", stream, seq, err)
	}
	return nil
}

// Checkpoints returns the committed seq of every stream.
func (s *Store) Checkpoints(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, "SELECT stream, seq FROM ingest_checkpoints")
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var seq int64
		if err := rows.Scan(&st, &seq); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		out[st] = seq
	}
	return out, rows.Err()
}

// IsDataError reports whether err is PostgreSQL rejecting the data itself (a constraint or an invalid value)
// rather than an unreachable or failing server; retrying the same batch would fail again.
func IsDataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "42": // data exception, integrity constraint violation, syntax/access
		return true
	}
	return false
}

// logSource feeds the kept entries to COPY, reusing one value slice.
type logSource struct {
	entries []Entry
	keep    []int
	ids     []int64
	pos     int
	vals    []any
	buf     []byte
}

func (s *logSource) Next() bool { s.pos++; return s.pos < len(s.keep) }

func (s *logSource) Values() ([]any, error) {
	r := &s.entries[s.keep[s.pos]].Rec
	s.buf = appendFieldsJSON(s.buf[:0], r)
	s.vals[0] = s.ids[s.pos]
	s.vals[1] = r.Timestamp.UTC()
	s.vals[2] = clean(r.Decky)
	s.vals[3] = clean(r.Service)
	s.vals[4] = clean(r.EventType)
	s.vals[5] = inet(r.AttackerIP)
	s.vals[6] = clean(r.RawLine)
	s.vals[7] = s.buf
	s.vals[8] = clean(r.Msg)
	return s.vals, nil
}

func (s *logSource) Err() error { return nil }

// inet returns ip as a netip.Addr for an inet column, or nil (NULL) when empty or invalid.
func inet(ip string) any {
	if ip == "" {
		return nil
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	return a.Unmap()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// clean makes s storable in a PostgreSQL text/jsonb value: NUL bytes become the text \x00 and invalid UTF-8
// becomes U+FFFD. Strings that need neither are returned as is.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\x00`)
}

func fieldsJSON(r *event.Record) []byte { return appendFieldsJSON(nil, r) }

// appendFieldsJSON appends the record's fields as a JSON object in SD order.
func appendFieldsJSON(b []byte, r *event.Record) []byte {
	b = append(b, '{')
	for i, k := range r.FieldKeys() {
		if i > 0 {
			b = append(b, ',')
		}
		b = event.AppendJSONString(b, clean(k))
		b = append(b, ':')
		b = event.AppendJSONString(b, clean(r.Fields[k]))
	}
	return append(b, '}')
}

// LogRow is one stored logs row.
type LogRow struct {
	ID         int64
	IngestedAt time.Time
	Rec        event.Record
}
