package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func open(t *testing.T) *store.Store {
	t.Helper()
	url := storetest.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, url, 4)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func rec(t *testing.T, line, decky string) event.Record {
	t.Helper()
	r, err := event.Parse(line, time.Now())
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	if decky != "" {
		r.Decky = decky
	}
	return r
}

func TestMigrateIdempotent(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate #%d: %v", i+2, err)
		}
	}
	vs, err := s.SchemaVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := store.Migrations()
	if len(vs) != len(ms) || vs[0] != 1 || vs[len(vs)-1] != len(ms) {
		t.Fatalf("versions %v, want 1..%d", vs, len(ms))
	}
	var tz string
	if err := s.Pool().QueryRow(ctx, "SHOW TIME ZONE").Scan(&tz); err != nil || tz != "UTC" {
		t.Fatalf("time zone %q %v", tz, err)
	}
}

const (
	e5 = `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt [relay@55555 src_ip="5.6.7.8" username="ro\"ot" secret_b64="aHVudGVyMg==" secret_kind="plaintext" outcome="failure"] login failed`
	e7 = `<134>1 2026-04-04T10:00:00.123456Z decky-01 ftp - auth_attempt [relay@55555 src_ip="203.0.113.7" src_port="51514" username="root" principal="root" secret_kind="plaintext" secret_printable="p@ss\"w\]rd" secret_b64="cEBzcyJ3XXJk"]`
	e8 = `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt [relay@55555 src_ip="5.6.7.8" secret_b64="not!base64!!"]`
)

func TestCredentialsEndToEnd(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	entries := []store.Entry{
		{Stream: "s1", Seq: 1, Rec: rec(t, e5, "")},
		{Stream: "s1", Seq: 2, Rec: rec(t, e5, "")},
		{Stream: "s1", Seq: 3, Rec: rec(t, e7, "")},
		{Stream: "s1", Seq: 4, Rec: rec(t, e8, "")},
	}
	res, err := s.WriteBatch(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 4 || res.Credentials != 3 || res.IDs[0] == 0 || res.IDs[3] <= res.IDs[0] {
		t.Fatalf("result %+v", res)
	}
	creds, err := s.ListCredentials(ctx, store.CredentialFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 2 {
		t.Fatalf("%d credentials, want 2 (E8 yields none)", len(creds))
	}
	byService := map[string]store.Credential{}
	for _, c := range creds {
		byService[c.Service] = c
	}
	c5 := byService["ssh"]
	if *c5.AttackerIP != "5.6.7.8" || c5.DeckyName != "decky-01" || *c5.Principal != `ro"ot` || c5.SecretKind != "plaintext" ||
		c5.SecretSHA256 != "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7" ||
		*c5.Outcome != "failure" || c5.AttemptCount != 2 {
		t.Errorf("E5 credential %+v", c5)
	}
	c7 := byService["ftp"]
	if c7.SecretSHA256 != "0e06bbae60fe103896d31b86839595b7c8e5462df39c3515efd7ae0ed454af12" || *c7.SecretPrintable != `p@ss"w]rd` ||
		c7.AttemptCount != 1 || !c7.FirstSeen.Equal(time.Date(2026, 4, 4, 10, 0, 0, 123456000, time.UTC)) {
		t.Errorf("E7 credential %+v", c7)
	}
	// E8: the log row is stored.
	rows, err := s.LogsAfter(ctx, 0, 10)
	if err != nil || len(rows) != 4 || rows[3].Rec.Fields["secret_b64"] != "not!base64!!" || rows[0].Rec.Fields["username"] != `ro"ot` {
		t.Fatalf("logs %v %+v", err, rows)
	}
	// Same line again in a later batch → attempt_count 3.
	if _, err := s.WriteBatch(ctx, []store.Entry{{Stream: "s1", Seq: 5, Rec: rec(t, e5, "")}}); err != nil {
		t.Fatal(err)
	}
	creds, _ = s.ListCredentials(ctx, store.CredentialFilter{Service: "ssh"})
	if len(creds) != 1 || creds[0].AttemptCount != 3 {
		t.Fatalf("after re-send: %+v", creds)
	}
}

func TestWriteBatchExactlyOnce(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	mk := func(stream string, seq int64) store.Entry {
		return store.Entry{Stream: stream, Seq: seq, Rec: rec(t,
			`<134>1 2026-04-04T10:00:00Z x http - request [relay@55555 src_ip="1.2.3.4"]`, "d")}
	}
	b1 := []store.Entry{mk("a", 1), mk("a", 2), mk("b", 1)}
	if _, err := s.WriteBatch(ctx, b1); err != nil {
		t.Fatal(err)
	}
	// Replay of the same batch plus new lines: only the new ones are stored.
	res, err := s.WriteBatch(ctx, append(b1, mk("a", 3), mk("b", 2)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 3 || res.Inserted != 2 || res.IDs[0] != 0 || res.IDs[3] == 0 {
		t.Fatalf("replay result %+v", res)
	}
	n, _ := s.CountLogs(ctx)
	cps, _ := s.Checkpoints(ctx)
	if n != 5 || cps["a"] != 3 || cps["b"] != 2 {
		t.Fatalf("rows %d checkpoints %v", n, cps)
	}
}

func TestWriteBatchHostileText(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := rec(t, "<134>1 2026-04-04T10:00:00Z x http - request [relay@55555 src_ip=\"1.2.3.4\" k=\"a\x00b\xff\"] m\x00sg", "d")
	r.RawLine += "\x00\xfe"
	if _, err := s.WriteBatch(ctx, []store.Entry{{Stream: "z", Seq: 1, Rec: r}}); err != nil {
		t.Fatalf("NUL/invalid UTF-8 must be storable: %v", err)
	}
	rows, err := s.LogsAfter(ctx, 0, 1)
	if err != nil || len(rows) != 1 || !strings.Contains(rows[0].Rec.Fields["k"], `a\x00b`) {
		t.Fatalf("%v %+v", err, rows)
	}
}

func TestBountyDerivation(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	line := `<134>1 2026-04-04T10:00:00Z x http - request [relay@55555 src_ip="1.2.3.4" method="GET" path="/" headers="{\"Host\":\"a\",\"User-Agent\":\"curl/8.0.1\"}"]`
	file := `<134>1 2026-04-04T10:00:01Z x ftp - file_captured [relay@55555 src_ip="1.2.3.4" stored_as="quarantine/ab" sha256="ab" size="3" orig_path="/x"]`
	var es []store.Entry
	for i := 1; i <= 3; i++ {
		es = append(es, store.Entry{Stream: "h", Seq: int64(i), Rec: rec(t, line, "d")})
	}
	es = append(es, store.Entry{Stream: "f", Seq: 1, Rec: rec(t, file, "d")})
	if _, err := s.WriteBatch(ctx, es); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteBatch(ctx, []store.Entry{{Stream: "h", Seq: 4, Rec: rec(t, line, "d")}}); err != nil {
		t.Fatal(err)
	}
	var fp, art int
	var cat, tool string
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE bounty_type='fingerprint'),
 count(*) FILTER (WHERE bounty_type='artifact') FROM bounty`).Scan(&fp, &art); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT payload->>'category', payload->>'tool' FROM bounty
 WHERE payload->>'fingerprint_type' = 'http_useragent'`).Scan(&cat, &tool); err != nil {
		t.Fatal(err)
	}
	if fp != 1 || art != 1 || cat != "cli" || tool != "curl" {
		t.Fatalf("fingerprints %d artifacts %d category %s tool %s", fp, art, cat, tool)
	}
}

func TestClassifyUserAgent(t *testing.T) {
	for _, tc := range []struct{ ua, cat, tool string }{
		{"curl/8.0.1", "cli", "curl"},
		{"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "scanner", "nmap"},
		{"Mozilla/5.0 (compatible; Googlebot/2.1)", "bot", ""},
		{"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "browser", ""},
		{"python-requests/2.31", "library", "python-requests"},
		{"${jndi:ldap://x}", "nonstandard", ""},
		{"", "empty", ""},
	} {
		cat, tool := store.ClassifyUserAgent(tc.ua)
		if cat != tc.cat || tool != tc.tool {
			t.Errorf("%q → (%s, %s), want (%s, %s)", tc.ua, cat, tool, tc.cat, tc.tool)
		}
	}
	if got := store.UserAgentSignals("${jndi:ldap://x}"); len(got) != 1 || got[0] != "injection_like" {
		t.Errorf("jndi signals %v", got)
	}
	if got := store.UserAgentSignals("lol"); len(got) != 1 || got[0] != "suspicious_short" {
		t.Errorf("lol signals %v", got)
	}
}

func TestUpsertAttacker(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.WriteBatch(ctx, []store.Entry{{Stream: "s", Seq: 1, Rec: rec(t, e5, "")}}); err != nil {
		t.Fatal(err)
	}
	path := "decky-01"
	a := store.Attacker{IP: "5.6.7.8", FirstSeen: time.Unix(100, 0), LastSeen: time.Unix(200, 0), EventCount: 1,
		ServiceCount: 1, DeckyCount: 1, Services: []string{"ssh"}, Deckies: []string{path},
		Behavior: &store.Behavior{BehaviorClass: "unknown", TimingStats: []byte(`{"event_count":1}`)}}
	id1, err := s.UpsertAttacker(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	a.EventCount = 7
	id2, err := s.UpsertAttacker(ctx, a)
	if err != nil || id1 != id2 {
		t.Fatalf("uuid changed %s → %s (%v)", id1, id2, err)
	}
	got, found, err := s.GetAttacker(ctx, "5.6.7.8")
	if err != nil || !found || got.EventCount != 7 || got.CredentialCount != 1 || got.Behavior == nil ||
		got.Behavior.BehaviorClass != "unknown" {
		t.Fatalf("%v %v %+v", err, found, got)
	}
	creds, _ := s.ListCredentials(ctx, store.CredentialFilter{})
	if len(creds) != 1 || creds[0].AttackerUUID == nil || *creds[0].AttackerUUID != id1 {
		t.Fatalf("credential uuid back-fill: %+v", creds)
	}
	list, err := s.ListAttackers(ctx, store.AttackerFilter{Service: "ssh"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %+v", err, list)
	}
	if list, _ := s.ListAttackers(ctx, store.AttackerFilter{Service: "http"}); len(list) != 0 {
		t.Fatalf("service filter: %+v", list)
	}
}
