package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/devstack"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/runtime"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestStreamID(t *testing.T) {
	enc := func(host, app, typ string) string {
		return string(event.Event{Time: time.Unix(1700000000, 0), Severity: event.Info, Hostname: host, App: app, Type: typ}.Encode())
	}
	for _, tc := range []struct {
		name string
		l    runtime.Line
		want string
	}{
		{"service output", runtime.Line{Decky: "a", Service: "ssh", Container: "dn-a-ssh", Text: enc("a", "ssh", "connect")}, "ctr:dn-a-ssh"},
		{"unparseable output", runtime.Line{Decky: "a", Service: "ssh", Container: "dn-a-ssh", Text: "garbage"}, "ctr:dn-a-ssh"},
		{"runtime restart event", runtime.Line{Decky: "a", Service: "ssh", Container: "dn-a-ssh", Text: enc("a", "runtime", "service_restarted")}, "host:runtime"},
		{"mutator", runtime.Line{Decky: "a", Text: enc("a", "mutator", "decky_mutated")}, "host:mutator"},
		{"host line without header", runtime.Line{Decky: "a", Text: "x"}, "host:daemon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StreamID(tc.l); got != tc.want {
				t.Errorf("StreamID = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzHeaderAppMsgID(f *testing.F) {
	f.Add("<14>1 2026-01-01T00:00:00Z a ssh - connect [relay@55555 src_ip=\"1.2.3.4\"] hi")
	f.Add("<14>1 - - - - -")
	f.Add("   ")
	f.Fuzz(func(t *testing.T, s string) {
		app, msgid := headerAppMsgID(s)
		if strings.Contains(app, " ") || strings.Contains(msgid, " ") {
			t.Errorf("fields with spaces: %q %q", app, msgid)
		}
	})
}

// testDB returns a fresh database on a throwaway cluster (skipping without PostgreSQL or root).
func testDB(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 || !devstack.PGAvailable("") {
		t.Skip("needs root and the PostgreSQL server binaries")
	}
	c, err := storetest.Start(context.Background())
	if err != nil {
		t.Fatalf("test cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c.NewDatabase(t)
}

func authLine(decky, ip, pw string) string {
	ev := event.Event{Time: time.Now().UTC(), Severity: event.Info, Hostname: "printed-hostname", App: "ssh", Type: "auth_attempt",
		Fields: append([]event.Field{event.F("src_ip", ip), event.F("username", "root")},
			event.CredFields("root", event.KindPlaintext, []byte(pw), "failure")...)}
	_ = decky
	return string(ev.Encode())
}

func httpLine(ip, path string) string {
	return string(event.Event{Time: time.Now().UTC(), Severity: event.Info, Hostname: "b", App: "http", Type: "request",
		Fields: []event.Field{event.F("src_ip", ip), event.F("method", "GET"), event.F("path", path)}}.Encode())
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStorageEndToEnd feeds runtime lines through Consume into a real PostgreSQL: stdout lines become logs,
// credentials and an attacker with a traversal, stderr stays out, the forensic log holds exactly the stdout lines,
// the correlate route reports the traversal, and a restart continues every stream's sequence without duplicates.
func TestStorageEndToEnd(t *testing.T) {
	url := testDB(t)
	state, logDir := t.TempDir(), t.TempDir()
	env := map[string]string{"DECNET_DB_URL": url, "DECNET_BATCH_MAX_WAIT_MS": "10", "DECNET_CONFIG": "/nonexistent"}
	s, err := conf.LoadSettings(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func() (*Storage, chan runtime.Line, chan struct{}, chan struct{}) {
		sg, err := OpenStorage(ctx, StorageConfig{StateDir: state, LogDir: logDir, Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		lines, stop, done := make(chan runtime.Line), make(chan struct{}), make(chan struct{})
		go func() { defer close(done); sg.Consume(lines, stop) }()
		return sg, lines, stop, done
	}
	sg, lines, stop, done := open()
	const ip = "10.213.9.9"
	var sent []string
	for i := 0; i < 20; i++ {
		l := authLine("a", ip, fmt.Sprintf("pw-%d", i%10)) // every password twice
		sent = append(sent, l)
		lines <- runtime.Line{Decky: "alpha", Service: "ssh", Container: "c-alpha-ssh", Stream: "stdout", Text: l}
	}
	lines <- runtime.Line{Decky: "alpha", Service: "ssh", Container: "c-alpha-ssh", Stream: "stderr", Text: "panic: diagnostics only"}
	hl := httpLine(ip, "/")
	sent = append(sent, hl)
	lines <- runtime.Line{Decky: "beta", Service: "http", Container: "c-beta-http", Stream: "stdout", Text: hl}

	st := sg.Store()
	waitFor(t, "21 log rows", 5*time.Second, func() bool { n, _ := st.CountLogs(ctx); return n == 21 })
	creds, err := st.ListCredentials(ctx, store.CredentialFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 10 {
		t.Fatalf("credentials: %d rows, want 10", len(creds))
	}
	for _, c := range creds {
		if c.AttemptCount != 2 || c.DeckyName != "alpha" || c.Service != "ssh" {
			t.Errorf("credential %+v: want attempt_count 2 on alpha/ssh (decky from the runtime, not HOSTNAME)", c)
		}
	}
	waitFor(t, "attacker traversal", 5*time.Second, func() bool {
		a, ok, _ := st.GetAttacker(ctx, ip)
		return ok && a.IsTraversal && a.TraversalPath != nil && *a.TraversalPath == "alpha → beta"
	})
	raw, _ := os.ReadFile(filepath.Join(logDir, "decnet.log"))
	if got, want := string(raw), strings.Join(sent, "\n")+"\n"; got != want {
		t.Errorf("forensic log:\n%s\nwant:\n%s", got, want)
	}

	// The control routes.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	d := &Daemon{storage: sg}
	d.registerControl(r)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/correlate?format=table", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), ip+" | 2 | alpha → beta |") {
		t.Errorf("correlate table: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/correlate?min_deckies=3", nil))
	var rep struct {
		Stats struct {
			Traversals int `json:"traversals"`
		} `json:"stats"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &rep) != nil || rep.Stats.Traversals != 0 {
		t.Errorf("correlate json min 3: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/correlate?min_deckies=0", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("min_deckies=0: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/ingest", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ctr:c-alpha-ssh":{"next_seq":21,"committed":20,"dropped":0}`) {
		t.Errorf("ingest stats: %d %s", rec.Code, rec.Body.String())
	}

	// Restart: the stream's sequence continues and nothing is stored twice.
	close(stop)
	<-done
	if err := sg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sg, lines, stop, done = open()
	for i := 0; i < 5; i++ {
		lines <- runtime.Line{Decky: "alpha", Service: "ssh", Container: "c-alpha-ssh", Stream: "stdout", Text: authLine("a", ip, "new")}
	}
	close(stop)
	<-done
	stats := sg.Pipeline().Stats().Streams["ctr:c-alpha-ssh"]
	if err := sg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if stats.NextSeq != 26 {
		t.Errorf("after restart next_seq = %d, want 26", stats.NextSeq)
	}
	st2, err := store.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, _ := st2.CountLogs(ctx); n != 26 {
		t.Errorf("logs after restart: %d, want 26", n)
	}
}
