package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Credential is one credentials row.
type Credential struct {
	ID              int64             `json:"id"`
	AttackerIP      *string           `json:"attacker_ip"`
	AttackerUUID    *string           `json:"attacker_uuid"`
	DeckyName       string            `json:"decky_name"`
	Service         string            `json:"service"`
	Principal       *string           `json:"principal"`
	SecretKind      string            `json:"secret_kind"`
	SecretSHA256    string            `json:"secret_sha256"`
	SecretB64       *string           `json:"secret_b64"`
	SecretPrintable *string           `json:"secret_printable"`
	Outcome         *string           `json:"outcome"`
	Fields          map[string]string `json:"fields"`
	FirstSeen       time.Time         `json:"first_seen"`
	LastSeen        time.Time         `json:"last_seen"`
	AttemptCount    int               `json:"attempt_count"`
}

// CredentialFilter narrows ListCredentials; zero values mean no filter. Limit ≤ 0 means 100.
type CredentialFilter struct {
	AttackerIP string
	Service    string
	DeckyName  string
	Limit      int
	Offset     int
}

// ListCredentials returns credentials ordered by last_seen DESC, id DESC.
func (s *Store) ListCredentials(ctx context.Context, f CredentialFilter) ([]Credential, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT id, host(attacker_ip), attacker_uuid::text, decky_name, service, principal,
        secret_kind, secret_sha256, secret_b64, secret_printable, outcome, fields, first_seen, last_seen, attempt_count
  FROM credentials
 WHERE ($1 = '' OR attacker_ip = $1::inet) AND ($2 = '' OR service = $2) AND ($3 = '' OR decky_name = $3)
 ORDER BY last_seen DESC, id DESC LIMIT $4 OFFSET $5`, f.AttackerIP, f.Service, f.DeckyName, f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Credential, error) {
		var c Credential
		err := r.Scan(&c.ID, &c.AttackerIP, &c.AttackerUUID, &c.DeckyName, &c.Service, &c.Principal, &c.SecretKind,
			&c.SecretSHA256, &c.SecretB64, &c.SecretPrintable, &c.Outcome, &c.Fields, &c.FirstSeen, &c.LastSeen, &c.AttemptCount)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return out, nil
}

// Command is one command an attacker ran (attackers.commands).
type Command struct {
	Service   string    `json:"service"`
	Decky     string    `json:"decky"`
	Command   string    `json:"command"`
	Timestamp time.Time `json:"timestamp"`
}

// Behavior is the attacker_behavior row of an attacker (the core columns the profiler fills).
type Behavior struct {
	BehaviorClass   string          `json:"behavior_class"`
	BeaconIntervalS *float64        `json:"beacon_interval_s"`
	BeaconJitterPct *float64        `json:"beacon_jitter_pct"`
	ToolGuesses     []string        `json:"tool_guesses"`
	TimingStats     json.RawMessage `json:"timing_stats"`
	PhaseSequence   json.RawMessage `json:"phase_sequence"`
}

// Attacker is one attackers row (plus its behaviour when loaded by GetAttacker).
type Attacker struct {
	UUID            string            `json:"uuid"`
	IP              string            `json:"ip"`
	FirstSeen       time.Time         `json:"first_seen"`
	LastSeen        time.Time         `json:"last_seen"`
	EventCount      int               `json:"event_count"`
	ServiceCount    int               `json:"service_count"`
	DeckyCount      int               `json:"decky_count"`
	Services        []string          `json:"services"`
	Deckies         []string          `json:"deckies"`
	TraversalPath   *string           `json:"traversal_path"`
	IsTraversal     bool              `json:"is_traversal"`
	BountyCount     int               `json:"bounty_count"`
	CredentialCount int               `json:"credential_count"`
	Fingerprints    []json.RawMessage `json:"fingerprints"`
	Commands        []Command         `json:"commands"`
	UpdatedAt       time.Time         `json:"updated_at"`
	Behavior        *Behavior         `json:"behavior,omitempty"`
}

// UpsertAttacker writes a profile (spec/events.md §8) in one transaction: the attackers row keyed on ip (uuid
// kept, a new v4 on first insert; bounty_count, credential_count and fingerprints computed from the stored
// rows), the credentials.attacker_uuid back-fill, and the attacker_behavior row when a.Behavior is set. It
// returns the attacker's uuid.
func (s *Store) UpsertAttacker(ctx context.Context, a Attacker) (string, error) {
	ip, err := netip.ParseAddr(a.IP)
	if err != nil {
		return "", fmt.Errorf("upsert attacker %q: %w", a.IP, err)
	}
	ip = ip.Unmap()
	if a.Services == nil {
		a.Services = []string{}
	}
	if a.Deckies == nil {
		a.Deckies = []string{}
	}
	if a.Commands == nil {
		a.Commands = []Command{}
	}
	services, _ := json.Marshal(a.Services)
	deckies, _ := json.Marshal(a.Deckies)
	commands, _ := json.Marshal(a.Commands)
	var id string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO attackers (uuid, ip, first_seen, last_seen, event_count, service_count,
        decky_count, services, deckies, traversal_path, is_traversal, bounty_count, credential_count, fingerprints,
        commands, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
        (SELECT count(*) FROM bounty WHERE attacker_ip = $2),
        (SELECT count(*) FROM credentials WHERE attacker_ip = $2),
        (SELECT coalesce(jsonb_agg(payload ORDER BY id), '[]'::jsonb) FROM bounty
          WHERE attacker_ip = $2 AND bounty_type = 'fingerprint'),
        $12, now())
ON CONFLICT ON CONSTRAINT uq_attackers_ip DO UPDATE SET
    first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, event_count = EXCLUDED.event_count,
    service_count = EXCLUDED.service_count, decky_count = EXCLUDED.decky_count, services = EXCLUDED.services,
    deckies = EXCLUDED.deckies, traversal_path = EXCLUDED.traversal_path, is_traversal = EXCLUDED.is_traversal,
    bounty_count = EXCLUDED.bounty_count, credential_count = EXCLUDED.credential_count,
    fingerprints = EXCLUDED.fingerprints, commands = EXCLUDED.commands, updated_at = now()
RETURNING uuid::text`, uuid.New(), ip, a.FirstSeen.UTC(), a.LastSeen.UTC(), a.EventCount, a.ServiceCount,
			a.DeckyCount, services, deckies, a.TraversalPath, a.IsTraversal, commands).Scan(&id)
		if err != nil {
			return fmt.Errorf("upsert attackers: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE credentials SET attacker_uuid = $1
 WHERE attacker_ip = $2 AND attacker_uuid IS DISTINCT FROM $1`, id, ip); err != nil {
			return fmt.Errorf("back-fill credentials: %w", err)
		}
		if b := a.Behavior; b != nil {
			tools := b.ToolGuesses
			if tools == nil {
				tools = []string{}
			}
			tj, _ := json.Marshal(tools)
			ts, ps := []byte(b.TimingStats), []byte(b.PhaseSequence)
			if len(ts) == 0 {
				ts = []byte("{}")
			}
			if len(ps) == 0 {
				ps = []byte("{}")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO attacker_behavior (attacker_uuid, behavior_class, beacon_interval_s,
        beacon_jitter_pct, tool_guesses, timing_stats, phase_sequence, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (attacker_uuid) DO UPDATE SET behavior_class = EXCLUDED.behavior_class,
    beacon_interval_s = EXCLUDED.beacon_interval_s, beacon_jitter_pct = EXCLUDED.beacon_jitter_pct,
    tool_guesses = EXCLUDED.tool_guesses, timing_stats = EXCLUDED.timing_stats,
    phase_sequence = EXCLUDED.phase_sequence, updated_at = now()`,
				id, b.BehaviorClass, b.BeaconIntervalS, b.BeaconJitterPct, tj, ts, ps); err != nil {
				return fmt.Errorf("upsert attacker_behavior: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("upsert attacker %s: %w", a.IP, err)
	}
	return id, nil
}

// AttackerFilter narrows ListAttackers; zero values mean no filter. Limit ≤ 0 means 100.
type AttackerFilter struct {
	Service   string
	Traversal bool // only is_traversal rows
	Limit     int
	Offset    int
}

const attackerCols = `uuid::text, host(ip), first_seen, last_seen, event_count, service_count, decky_count, services,
       deckies, traversal_path, is_traversal, bounty_count, credential_count, fingerprints, commands, updated_at`

func scanAttacker(r pgx.Row) (Attacker, error) {
	var a Attacker
	err := r.Scan(&a.UUID, &a.IP, &a.FirstSeen, &a.LastSeen, &a.EventCount, &a.ServiceCount, &a.DeckyCount,
		&a.Services, &a.Deckies, &a.TraversalPath, &a.IsTraversal, &a.BountyCount, &a.CredentialCount,
		&a.Fingerprints, &a.Commands, &a.UpdatedAt)
	return a, err
}

// ListAttackers returns attackers ordered by last_seen DESC.
func (s *Store) ListAttackers(ctx context.Context, f AttackerFilter) ([]Attacker, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+attackerCols+` FROM attackers
 WHERE ($1 = '' OR services @> to_jsonb(ARRAY[$1::text])) AND (NOT $2 OR is_traversal)
 ORDER BY last_seen DESC, ip LIMIT $3 OFFSET $4`, f.Service, f.Traversal, f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("list attackers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attacker, error) { return scanAttacker(r) })
	if err != nil {
		return nil, fmt.Errorf("list attackers: %w", err)
	}
	return out, nil
}

// GetAttacker returns the attacker with the given uuid or IP, with its behaviour; found is false when none.
func (s *Store) GetAttacker(ctx context.Context, uuidOrIP string) (a Attacker, found bool, err error) {
	var row pgx.Row
	if ip, perr := netip.ParseAddr(uuidOrIP); perr == nil {
		row = s.pool.QueryRow(ctx, `SELECT `+attackerCols+` FROM attackers WHERE ip = $1`, ip.Unmap())
	} else if u, uerr := uuid.Parse(uuidOrIP); uerr == nil {
		row = s.pool.QueryRow(ctx, `SELECT `+attackerCols+` FROM attackers WHERE uuid = $1`, u)
	} else {
		return Attacker{}, false, nil
	}
	a, err = scanAttacker(row)
	if err == pgx.ErrNoRows {
		return Attacker{}, false, nil
	}
	if err != nil {
		return Attacker{}, false, fmt.Errorf("get attacker %s: %w", uuidOrIP, err)
	}
	var b Behavior
	var class *string
	err = s.pool.QueryRow(ctx, `SELECT behavior_class, beacon_interval_s, beacon_jitter_pct,
       coalesce(tool_guesses, '[]'::jsonb), timing_stats, phase_sequence
  FROM attacker_behavior WHERE attacker_uuid = $1::uuid`, a.UUID).Scan(&class, &b.BeaconIntervalS,
		&b.BeaconJitterPct, &b.ToolGuesses, &b.TimingStats, &b.PhaseSequence)
	switch {
	case err == pgx.ErrNoRows:
	case err != nil:
		return Attacker{}, false, fmt.Errorf("get attacker behaviour %s: %w", uuidOrIP, err)
	default:
		if class != nil {
			b.BehaviorClass = *class
		}
		a.Behavior = &b
	}
	return a, true, nil
}

const logCols = `id, timestamp, decky, service, event_type, coalesce(host(attacker_ip), ''), raw_line, fields,
       coalesce(msg, ''), ingested_at`

func scanLog(r pgx.CollectableRow) (LogRow, error) {
	var l LogRow
	var fields map[string]string
	err := r.Scan(&l.ID, &l.Rec.Timestamp, &l.Rec.Decky, &l.Rec.Service, &l.Rec.EventType, &l.Rec.AttackerIP,
		&l.Rec.RawLine, &fields, &l.Rec.Msg, &l.IngestedAt)
	if err != nil {
		return l, err
	}
	l.Rec.Timestamp = l.Rec.Timestamp.UTC()
	l.Rec.TimeValid = true
	l.Rec.Fields = make(map[string]string, len(fields))
	for _, k := range sortedKeys(fields) {
		l.Rec.SetField(k, fields[k])
	}
	return l, nil
}

// LogsAfter returns up to limit logs rows with id > afterID in id order (stream poll / profiler cursor).
func (s *Store) LogsAfter(ctx context.Context, afterID int64, limit int) ([]LogRow, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.pool.Query(ctx, `SELECT `+logCols+` FROM logs WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("logs after %d: %w", afterID, err)
	}
	out, err := pgx.CollectRows(rows, scanLog)
	if err != nil {
		return nil, fmt.Errorf("logs after %d: %w", afterID, err)
	}
	return out, nil
}

// LogsForIP returns up to limit logs rows of one attacker IP with id > afterID, in id order.
func (s *Store) LogsForIP(ctx context.Context, ip string, afterID int64, limit int) ([]LogRow, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, fmt.Errorf("logs for ip %q: %w", ip, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+logCols+` FROM logs WHERE attacker_ip = $1 AND id > $2 ORDER BY id LIMIT $3`,
		a.Unmap(), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("logs for ip %s: %w", ip, err)
	}
	out, err := pgx.CollectRows(rows, scanLog)
	if err != nil {
		return nil, fmt.Errorf("logs for ip %s: %w", ip, err)
	}
	return out, nil
}

// ScanLogs calls fn for every logs row with id > afterID in id order, reading pageSize rows per query.
func (s *Store) ScanLogs(ctx context.Context, afterID int64, pageSize int, fn func(LogRow) error) error {
	for {
		page, err := s.LogsAfter(ctx, afterID, pageSize)
		if err != nil {
			return err
		}
		for _, l := range page {
			if err := fn(l); err != nil {
				return err
			}
			afterID = l.ID
		}
		if len(page) == 0 || (pageSize > 0 && len(page) < pageSize) {
			return nil
		}
	}
}

// CountLogs returns the number of logs rows.
func (s *Store) CountLogs(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM logs").Scan(&n); err != nil {
		return 0, fmt.Errorf("count logs: %w", err)
	}
	return n, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
