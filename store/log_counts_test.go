package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/store/storetest"
	"github.com/jackc/pgx/v5"
)

// countSearches are the searches whose totals TestLogCountsExact checks, with the way each is counted.
var countSearches = []struct {
	q    string
	plan countPlan
}{
	{"", countFromCounters},
	{"decky:d1", countFromCounters},
	{"service:ssh", countFromCounters},
	{"decky:d1 service:ssh", countFromCounters},
	{"decky:d2 service:http event:request", countFromCounters},
	{"decky:d1 decky:d2", countFromCounters},
	{"event:auth_attempt", countFromCounters},
	{"decky:nope", countFromCounters},
	{"attacker:10.213.0.1", countDirect},
	{"attacker:10.213.0.1 decky:d1", countDirect},
	{"attacker:not-an-ip", countDirect},
	{"ssh", countRemembered},
	{"user:root", countRemembered},
	{"decky:d1 ssh", countRemembered},
	{"decky:d1 user:root", countRemembered},
	{"attacker:10.213.0.1 user:root", countRemembered},
}

// checkCounts compares every total of countSearches (alone and after 2026-01-01T00:01:00Z), and the /stats
// figures, with a count over logs.
func checkCounts(t *testing.T, st *Store, when string) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	for _, c := range countSearches {
		for _, f := range []LogFilter{{Search: c.q}, {Search: c.q, Start: &start}} {
			want := c.plan
			if f.Start != nil && want == countFromCounters {
				want = countRemembered // log_counts has no time
			}
			if got := planCount(f); got != want {
				t.Errorf("%s: search %q from %v: count plan %d, want %d", when, c.q, f.Start, got, want)
			}
			where, args := CompileLogFilter(f)
			var n int64
			if err := st.pool.QueryRow(ctx, "SELECT count(*) FROM logs WHERE "+where, args...).Scan(&n); err != nil {
				t.Fatalf("%s: count %q: %v", when, c.q, err)
			}
			// limit 1 makes the page full whenever there are two rows or more, so the total is counted.
			total, _, err := st.SearchLogs(ctx, f, 1, 0, true)
			if err != nil {
				t.Fatalf("%s: search %q: %v", when, c.q, err)
			}
			if total != n {
				t.Errorf("%s: search %q from %v: total %d, count over logs %d", when, c.q, f.Start, total, n)
			}
		}
	}
	var wantLogs, wantIPs int64
	if err := st.pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT attacker_ip) FROM logs").Scan(&wantLogs, &wantIPs); err != nil {
		t.Fatal(err)
	}
	got, err := st.LogStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalLogs != wantLogs || got.UniqueAttackers != wantIPs {
		t.Errorf("%s: stats %+v, want total_logs %d unique_attackers %d", when, got, wantLogs, wantIPs)
	}
}

// entries builds n ingest entries of stream spread over two deckies, three services, three event types and
// three attacker addresses (one in five without a source address).
func entries(stream string, n int) []Entry {
	deckies, services, events := []string{"d1", "d2"}, []string{"ssh", "http", "smb"}, []string{"connect", "auth_attempt", "request"}
	out := make([]Entry, n)
	for i := range out {
		r := event.Record{Timestamp: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Decky: deckies[i%2],
			Service: services[i%3], EventType: events[i/2%3]}
		r.SetField("user", "root")
		if i%5 != 0 {
			r.AttackerIP = fmt.Sprintf("10.213.0.%d", 1+i%3)
			r.SetField("src_ip", r.AttackerIP)
		}
		r.RawLine = fmt.Sprintf("<134>1 - %s %s - %s - line %d", r.Decky, r.Service, r.EventType, i)
		out[i] = Entry{Stream: stream, Seq: int64(i + 1), Rec: r}
	}
	return out
}

// The counter tables stay exact through every kind of write to logs: the ingester's COPY, plain INSERTs,
// UPDATEs of the counted columns, DELETEs (reinit) and TRUNCATE.
func TestLogCountsExact(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkCounts(t, st, "empty")

	if _, err := st.WriteBatch(ctx, entries("s1", 200)); err != nil {
		t.Fatal(err)
	}
	// A replayed batch is skipped by the checkpoints and must not count twice.
	if _, err := st.WriteBatch(ctx, entries("s1", 200)); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "after ingest")

	steps := []struct{ name, sql string }{
		{"insert", `INSERT INTO logs (timestamp, decky, service, event_type, attacker_ip, raw_line)
			SELECT now(), 'd3', 'ssh', 'connect', '10.213.0.9', 'x' FROM generate_series(1, 7)`},
		// Committed late below the highest id, as a concurrent writer's row could be: a remembered total
		// must notice it.
		{"late insert", `INSERT INTO logs (id, timestamp, decky, service, event_type, attacker_ip, raw_line, fields)
			SELECT min(id) - 1, now(), 'd1', 'ssh', 'connect', '10.213.0.1', 'late ssh', '{"user":"root"}' FROM logs`},
		{"update decky", `UPDATE logs SET decky = 'd2' WHERE decky = 'd1' AND service = 'smb'`},
		{"update attacker", `UPDATE logs SET attacker_ip = NULL WHERE attacker_ip = '10.213.0.2'`},
		{"delete some", `DELETE FROM logs WHERE service = 'http'`},
		{"delete attacker", `DELETE FROM logs WHERE attacker_ip = '10.213.0.9'`},
	}
	for _, s := range steps {
		if _, err := st.pool.Exec(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		checkCounts(t, st, s.name)
	}
	var rows int
	if _, err := st.pool.Exec(ctx, "DELETE FROM logs"); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "delete all")
	if err := st.pool.QueryRow(ctx, "SELECT count(*) FROM log_counts").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("counter rows left after deleting every log: %d %v", rows, err)
	}
	if _, err := st.WriteBatch(ctx, entries("s2", 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.pool.Exec(ctx, "TRUNCATE logs"); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "truncate")
}

// Migration 4 fills the counter tables from the logs rows an older schema already holds.
func TestLogCountsBackfill(t *testing.T) {
	ctx := context.Background()
	url := storetest.DB(t)
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.Contains(m.SQL, "CREATE TABLE log_counts") {
			break
		}
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", m.Version); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO logs (timestamp, decky, service, event_type, attacker_ip, raw_line)
		SELECT now(), 'd' || (i % 3), 'ssh', 'connect', ('10.213.0.' || (i % 4))::inet, 'x' FROM generate_series(1, 30) i`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	st, err := Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkCounts(t, st, "backfilled")
	var n int64
	if err := st.pool.QueryRow(ctx, "SELECT coalesce(sum(n), 0) FROM log_counts WHERE decky = 'd0'").Scan(&n); err != nil || n != 10 {
		t.Errorf("backfilled count of d0: %d %v, want 10", n, err)
	}
}
