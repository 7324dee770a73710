package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/ingest"
	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
)

// H10, H11 and the search grammar over real PostgreSQL.
func TestLogsSearchHistogram(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("viv", "viewer", false)
	now := time.Now().UTC().Truncate(time.Second)
	e.addLogs(
		rec(now.Add(-2*time.Hour), "decky-01", "ssh", "command", "5.6.7.8", "cmd", "whoami", "user", "root"),
		rec(now.Add(-time.Minute), "decky-01", "ssh", "command", "5.6.7.8", "cmd", "ls", "user", "root"),
		rec(now.Add(-time.Minute), "decky-02", "ssh", "auth_attempt", "9.9.9.9", "user", "admin", "password", "100%_sure"),
		rec(now, "decky-02", "http", "request", "", "path", "/admin"),
	)
	var page struct {
		Total  int64          `json:"total"`
		Limit  int            `json:"limit"`
		Offset int            `json:"offset"`
		Data   []store.APILog `json:"data"`
	}
	r := e.do("GET", "/api/v1/logs", tok, nil)
	e.expect(r, 200, "")
	r.decode(t, &page)
	if page.Total != 4 || page.Limit != 50 || page.Offset != 0 || len(page.Data) != 4 || page.Data[0].Service != "http" || page.Data[0].AttackerIP != nil {
		t.Fatalf("page %s", r.body)
	}
	if !strings.HasSuffix(string(mustJSON(page.Data[0].Timestamp)), `Z"`) {
		t.Fatalf("timestamp not UTC Z: %s", r.body)
	}
	e.expect(e.do("GET", "/api/v1/logs?limit=0", tok, nil), 422, detailInvalidParams)
	e.expect(e.do("GET", "/api/v1/logs?limit=1001", tok, nil), 422, detailInvalidParams)
	e.expect(e.do("GET", "/api/v1/logs?offset=-1", tok, nil), 422, detailInvalidParams)
	e.expect(e.do("GET", "/api/v1/logs?start_time=yesterday", tok, nil), 422, detailInvalidParams)
	e.expect(e.do("GET", "/api/v1/logs?limit=null&search=undefined", tok, nil), 200, "")
	cases := []struct {
		q    string
		want int64
	}{
		{"decky:decky-01 cmd:whoami", 1},
		{"cmd:ls user:root", 1},
		{"service:ssh", 3},
		{"event:auth_attempt", 1},
		{"attacker:5.6.7.8", 2},
		{"attacker-ip:9.9.9.9", 1},
		{"attacker_ip:not-an-ip", 0},
		{"DECKY-02", 2},       // bare token, case-insensitive
		{"9.9.9", 1},          // substring of the textual attacker_ip
		{`"decky-01 ssh"`, 2}, // phrase in raw_line
		{`"ssh decky-01"`, 0}, // phrase not in any column
		{"password:100%_sure", 1},
		{"100%", 0},         // % is literal in substring search: no raw line contains it
		{"u$s-e%r:root", 2}, // key reduced to [A-Za-z0-9_] → user
		{`'unbalanced decky-01`, 0},
		{"decky:'decky-01'", 2},
		{":x", 0},
		{"service:", 0},
	}
	for _, c := range cases {
		r := e.do("GET", "/api/v1/logs?search="+url.QueryEscape(c.q), tok, nil)
		e.expect(r, 200, "")
		r.decode(t, &page)
		if page.Total != c.want || int64(len(page.Data)) != c.want {
			t.Errorf("search %q: total %d rows %d, want %d", c.q, page.Total, len(page.Data), c.want)
		}
	}
	// H11: the window counts the recent rows, not the one 2 h old.
	q := url.Values{"start_time": {now.Add(-30 * time.Minute).Format(time.RFC3339)}, "end_time": {now.Add(30 * time.Minute).Format("2006-01-02 15:04:05")}, "interval_minutes": {"60"}}
	r = e.do("GET", "/api/v1/logs/histogram?"+q.Encode(), tok, nil)
	e.expect(r, 200, "")
	var hist []store.HistogramBucket
	r.decode(t, &hist)
	var sum int64
	for i, b := range hist {
		sum += b.Count
		if b.Time.Unix()%3600 != 0 || (i > 0 && !b.Time.After(hist[i-1].Time)) {
			t.Fatalf("bucket %v", hist)
		}
	}
	if sum != 3 {
		t.Fatalf("histogram %s", r.body)
	}
	e.expect(e.do("GET", "/api/v1/logs/histogram?interval_minutes=0", tok, nil), 422, detailInvalidParams)
	var st Stats
	r = e.do("GET", "/api/v1/stats", tok, nil)
	r.decode(t, &st)
	if st.TotalLogs != 4 || st.UniqueAttackers != 2 {
		t.Fatalf("stats %s", r.body)
	}
	// Credentials and bounty routes answer pages (the ssh auth_attempt derives a credential).
	var cp struct {
		Total int64              `json:"total"`
		Data  []store.Credential `json:"data"`
	}
	r = e.do("GET", "/api/v1/credentials?service=ssh", tok, nil)
	e.expect(r, 200, "")
	r.decode(t, &cp)
	r = e.do("GET", "/api/v1/bounty?bounty_type=bogus", tok, nil)
	e.expect(r, 422, detailInvalidParams)
	e.expect(e.do("GET", "/api/v1/bounty", tok, nil), 200, "")
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// Attackers: list, detail (404 for unknown or malformed ids), commands and export.
func TestAttackers(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("ann", "viewer", false)
	now := time.Now().UTC().Truncate(time.Second)
	e.addLogs(rec(now, "decky-01", "ssh", "command", "5.6.7.8", "cmd", "id"), rec(now, "decky-01", "http", "request", "5.6.7.8"))
	id, err := e.st.UpsertAttacker(context.Background(), store.Attacker{IP: "5.6.7.8", FirstSeen: now.Add(-time.Hour), LastSeen: now,
		EventCount: 2, Services: []string{"ssh", "http"}, Deckies: []string{"decky-01"},
		Commands: []store.Command{{Service: "ssh", Decky: "decky-01", Command: "id", Timestamp: now}, {Service: "ssh", Decky: "decky-01", Command: "uname", Timestamp: now.Add(time.Second)}}})
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Total int64            `json:"total"`
		Data  []map[string]any `json:"data"`
	}
	r := e.do("GET", "/api/v1/attackers?service=ssh&sort_by=active", tok, nil)
	e.expect(r, 200, "")
	r.decode(t, &page)
	if page.Total != 1 || page.Data[0]["ip"] != "5.6.7.8" || page.Data[0]["behavior"] != nil {
		t.Fatalf("attackers %s", r.body)
	}
	e.expect(e.do("GET", "/api/v1/attackers?sort_by=worst", tok, nil), 422, detailInvalidParams)
	r = e.do("GET", "/api/v1/attackers/"+id, tok, nil)
	e.expect(r, 200, "")
	var a map[string]any
	r.decode(t, &a)
	sa := a["service_activity"].(map[string]any)
	if fmt.Sprint(sa["interacted"]) != "[ssh]" || fmt.Sprint(sa["scanned"]) != "[http]" || a["ip_leaks_total"] != float64(0) {
		t.Fatalf("detail %s", r.body)
	}
	if ls, _ := a["last_seen"].(string); !strings.HasSuffix(ls, "Z") {
		t.Fatalf("last_seen %v", a["last_seen"])
	}
	e.expect(e.do("GET", "/api/v1/attackers/not-a-uuid", tok, nil), 404, "Attacker not found")
	e.expect(e.do("GET", "/api/v1/attackers/7d7b3c4e-0000-4000-8000-000000000000/commands", tok, nil), 404, "Attacker not found")
	r = e.do("GET", "/api/v1/attackers/"+id+"/commands?limit=1", tok, nil)
	var cmds Page[AttackerCommand]
	r.decode(t, &cmds)
	if cmds.Total != 2 || len(cmds.Data) != 1 || cmds.Data[0].Command != "uname" {
		t.Fatalf("commands %s", r.body)
	}
	e.expect(e.do("GET", "/api/v1/attackers/"+id+"/commands?limit=201", tok, nil), 422, "")
	r = e.do("GET", "/api/v1/attackers/export", tok, nil)
	e.expect(r, 200, "")
	if cd := r.hdr.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="decnet-export-`) || !strings.HasSuffix(cd, `Z.json"`) {
		t.Fatalf("disposition %q", cd)
	}
	var ex struct {
		Meta      map[string]any   `json:"export_metadata"`
		Attackers []map[string]any `json:"attackers"`
	}
	r.decode(t, &ex)
	if ex.Meta["total_records"] != float64(1) || ex.Meta["source"] != "decnet" || ex.Meta["schema_version"] != float64(1) || len(ex.Attackers) != 1 {
		t.Fatalf("export %s", r.body)
	}
}

// H8 (415), H9, H14, H15 and the other deploy/decky routes.
func TestDeckiesRoutes(t *testing.T) {
	e := newEnv(t, nil)
	_, admin := e.user("adm", "admin", false)
	r := e.doCT("POST", "/api/v1/config/users", admin, `{"username":"x","password":"long-enough-pass"}`, "text/plain")
	if r.code != 415 || string(r.body) != "Unsupported Media Type — Content-Type must be application/json" {
		t.Fatalf("415: %d %s", r.code, r.body)
	}
	e.expect(e.doCT("POST", "/api/v1/config/users", admin, `{"username":"x","password":"long-enough-pass"}`, "application/json; charset=utf-8"), 200, "")
	_, other := e.user("other", "viewer", false)
	e.expect(e.doCT("POST", "/api/v1/auth/logout", other, "", "text/plain"), 200, "") // empty body: not checked
	dep := func(body string) resp { return e.do("POST", "/api/v1/deckies/deploy", admin, body) }
	e.expect(dep(`{"ini_content":""}`), 409, "Configuration conflict: INI content is empty.")
	e.expect(dep(`{"ini_content":"no sections"}`), 409, "Configuration conflict: INI syntax or characters are invalid.")
	e.expect(dep(`{"ini_content":"[decky-01]","extra":1}`), 400, badRequestDetail)
	e.expect(dep(`{"ini_content":5}`), 400, badRequestDetail)
	e.expect(dep(`{}`), 400, badRequestDetail)
	e.expect(dep(`{"ini_content":"[general]\nnet=10.213.9.0/24\n"}`), 409, "Invalid INI config structure: No decky sections found.")
	r = dep(`{"ini_content":"[decky-01]\nservices=ssh\n"}`)
	e.expect(r, 202, "Deployment accepted")
	var acc struct {
		Mode string   `json:"mode"`
		IDs  []string `json:"lifecycle_ids"`
	}
	r.decode(t, &acc)
	if acc.Mode != "additive" || len(acc.IDs) != 1 {
		t.Fatalf("accepted %s", r.body)
	}
	var lc struct {
		Rows []LifecycleRow `json:"rows"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.do("GET", "/api/v1/deckies/lifecycle?ids="+acc.IDs[0]+"&ids=unknown", admin, nil).decode(t, &lc)
		if len(lc.Rows) == 1 && lc.Rows[0].Status == "succeeded" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(lc.Rows) != 1 || lc.Rows[0].Status != "succeeded" || lc.Rows[0].Operation != "deploy" || lc.Rows[0].DeckyName != "decky-01" {
		t.Fatalf("lifecycle %+v", lc.Rows)
	}
	e.expect(dep(`{"ini_content":"[decky-01]\nservices=ssh\n"}`), 409, "decky 'decky-01' already exists; submit with replace_fleet=true to overwrite the fleet")
	// H15: fleet of 9, limit 10, additive amount=2.
	e.expect(dep(`{"ini_content":"[fill]\namount=8\nservices=ssh\n"}`), 202, "")
	e.expect(e.do("PUT", "/api/v1/config/deployment-limit", admin, map[string]int{"deployment_limit": 10}), 200, "")
	e.expect(dep(`{"ini_content":"[more]\namount=2\nservices=ssh\n"}`), 409, "Deployment would result in 11 deckies, exceeding the configured limit of 10")
	r = dep(`{"ini_content":"[solo]\nservices=ssh\n","replace_fleet":true}`)
	e.expect(r, 202, "")
	r.decode(t, &acc)
	if acc.Mode != "replace" {
		t.Fatalf("mode %s", r.body)
	}
	e.fleet.deployErr = &Error{Status: 409, Detail: "Another deployment is in progress"}
	e.expect(dep(`{"ini_content":"[x]\nservices=ssh\n"}`), 409, "Another deployment is in progress")
	e.fleet.deployErr = nil
	var ds []V1Decky
	e.do("GET", "/api/v1/deckies", admin, nil).decode(t, &ds)
	if len(ds) != 1 || ds[0].Name != "solo" {
		t.Fatalf("deckies %+v", ds)
	}
	e.expect(e.do("POST", "/api/v1/deckies/solo/mutate", admin, nil), 202, "")
	e.expect(e.do("POST", "/api/v1/deckies/ghost/mutate", admin, nil), 404, "Decky ghost not found")
	e.expect(e.do("POST", "/api/v1/deckies/bad%20name/mutate", admin, nil), 422, detailInvalidParams)
	e.expect(e.do("PUT", "/api/v1/deckies/solo/mutate-interval", admin, `{"mutate_interval":"2h"}`), 422, detailInvalidParams)
	e.expect(e.do("PUT", "/api/v1/deckies/solo/mutate-interval", admin, `{"mutate_interval":"3d"}`), 200, "Mutation interval updated")
	if m := e.fleet.intervals["solo"]; m == nil || *m != 3*24*60 {
		t.Fatalf("interval %v", m)
	}
	e.expect(e.do("PUT", "/api/v1/deckies/solo/mutate-interval", admin, `{"mutate_interval":null}`), 200, "")
	if e.fleet.intervals["solo"] != nil {
		t.Fatal("null did not clear")
	}
	e.expect(e.do("DELETE", "/api/v1/deckies/solo", admin, nil), 204, "")
	e.expect(e.do("DELETE", "/api/v1/deckies/solo", admin, nil), 404, "Decky solo not found")
	e.expect(e.do("POST", "/api/v1/deckies/solo/mutate", admin, nil), 404, "No active deployment")
}

// The OpenAPI document lists exactly the router's routes.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	e.expect(r, 200, "")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	r.decode(t, &doc)
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, ri := range e.srv.Handler().(*gin.Engine).Routes() {
		if strings.HasPrefix(ri.Path, "/api/v1/") {
			served[ri.Method+" "+OpenAPIPath(ri.Path)] = true
		}
	}
	if len(served) != len(e.srv.Routes()) {
		t.Fatalf("router has %d v1 routes, table %d", len(served), len(e.srv.Routes()))
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("%s served but not documented", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("%s documented but not served", k)
		}
	}
}

// /metrics: loopback peers read it, every metric name starts with decnet_.
func TestMetrics(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Metrics = NewMetrics()
		o.Metrics.Sources = append(o.Metrics.Sources, func(context.Context) []Sample {
			return []Sample{{Name: "decnet_events_ingested_total", Help: "Events stored.", Type: "counter", Value: 42}}
		})
	})
	_, tok := e.user("m", "viewer", false)
	e.addLogs(rec(time.Now(), "d1", "ssh", "connect", "1.2.3.4"), rec(time.Now(), "d1", "ssh", "connect", "1.2.3.5"))
	e.do("GET", "/api/v1/stats", tok, nil)
	r := e.do("GET", "/metrics", "", nil)
	e.expect(r, 200, "")
	body := string(r.body)
	if !strings.Contains(body, `decnet_connections_total{service="ssh"} 2`) {
		t.Fatalf("no connection counter:\n%s", body)
	}
	if !strings.Contains(body, "decnet_events_ingested_total 42") || !strings.Contains(body, `decnet_api_request_duration_seconds_count{code="2xx",method="GET",route="/api/v1/stats"} 1`) {
		t.Fatalf("metrics:\n%s", body)
	}
	// A non-loopback peer needs an admin token.
	_, adminTok := e.user("madmin", "admin", false)
	h := e.srv.Handler()
	for _, c := range []struct {
		tok  string
		want int
	}{{"", 401}, {tok, 403}, {adminTok, 200}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = "10.213.0.5:40000"
		if c.tok != "" {
			req.Header.Set("Authorization", "Bearer "+c.tok)
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != c.want {
			t.Fatalf("remote /metrics with %q: %d", c.tok, rr.Code)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		name := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "))[0]
		if !strings.HasPrefix(name, "decnet_") {
			t.Fatalf("metric %q", line)
		}
	}
}

// Hostile bodies: random JSON values and random bytes on every route never produce a 500.
func TestHostileBodies(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.LimiterEnabled = false })
	_, admin := e.user("hostile-admin", "admin", false)
	rng := rand.New(rand.NewSource(1))
	var randJSON func(depth int) any
	randJSON = func(depth int) any {
		switch k := rng.Intn(8); {
		case k == 0 || depth > 3:
			return nil
		case k == 1:
			return rng.Intn(3) == 0
		case k == 2:
			return rng.NormFloat64() * 1e6
		case k == 3:
			b := make([]byte, rng.Intn(100))
			rng.Read(b)
			return string(b)
		case k == 4:
			a := make([]any, rng.Intn(4))
			for i := range a {
				a[i] = randJSON(depth + 1)
			}
			return a
		default:
			keys := []string{"username", "password", "old_password", "new_password", "ini_content", "replace_fleet", "role",
				"deployment_limit", "global_mutation_interval", "mutate_interval", "x"}
			m := map[string]any{}
			for i := rng.Intn(4); i >= 0; i-- {
				m[keys[rng.Intn(len(keys))]] = randJSON(depth + 1)
			}
			return m
		}
	}
	paths := func(p string) string {
		return "/api/v1" + strings.NewReplacer(":uuid", "7d7b3c4e-0000-4000-8000-000000000000", ":decky_name", "d").Replace(p)
	}
	for _, rt := range e.srv.Routes() {
		if rt.Path == "/stream" {
			continue
		}
		for i := 0; i < 25; i++ {
			var body []byte
			if i%2 == 0 {
				body, _ = json.Marshal(randJSON(0))
			} else {
				body = make([]byte, rng.Intn(300))
				rng.Read(body)
			}
			q := "?limit=" + url.QueryEscape(string(body[:min(len(body), 8)])) + "&search=" + url.QueryEscape(string(body[:min(len(body), 40)]))
			r := e.do(rt.Method, paths(rt.Path)+q, admin, body)
			if r.code >= 500 && !(rt.Path == "/health" && r.code == 503) {
				t.Fatalf("%s %s with %q: %d %s", rt.Method, rt.Path, body, r.code, r.body)
			}
		}
	}
}

// Root on the unix socket acts as admin without a token (api.md §2).
func TestUnixSocketIsAdmin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a uid-0 peer")
	}
	e := newEnv(t, nil)
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := ListenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	r := NewControlRouter(nil, nil)
	e.srv.MountControl(r)
	srv := NewControlServer(r)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/logs", "", 200},
		{"GET", "/api/v1/config", "", 200},
		{"PUT", "/api/v1/config/deployment-limit", `{"deployment_limit":7}`, 200},
		{"POST", "/api/v1/config/users", `{"username":"made-by-root","password":"long-enough-pass"}`, 200},
	} {
		req, _ := http.NewRequest(c.method, "http://unix"+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Fatalf("%s %s: %d", c.method, c.path, res.StatusCode)
		}
	}
}

// A committed batch announced on the bus reaches an SSE client within 1 s.
func TestStreamPushWithinOneSecond(t *testing.T) {
	bus := ingest.NewBus()
	e := newEnv(t, func(o *Options) { o.Notifier = BusNotifier{Bus: bus} })
	_, tok := e.user("streamer", "viewer", false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := openStream(t, ctx, e.ts.URL+"/api/v1/stream?search="+url.QueryEscape("service:ssh"), tok, 200)
	frames := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				frames <- l[len("data: "):]
			}
		}
		close(frames)
	}()
	// stats + histogram first.
	for i := 0; i < 2; i++ {
		select {
		case <-frames:
		case <-time.After(5 * time.Second):
			t.Fatal("no initial frames")
		}
	}
	ids := e.addLogs(rec(time.Now(), "decky-01", "http", "request", "1.2.3.4"), rec(time.Now(), "decky-01", "ssh", "command", "1.2.3.4", "cmd", "id"))
	start := time.Now()
	bus.Publish([]ingest.Event{{ID: ids[0]}, {ID: ids[1]}})
	for {
		select {
		case f := <-frames:
			var m struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			json.Unmarshal([]byte(f), &m)
			if m.Type != "logs" {
				continue
			}
			if !strings.HasPrefix(f, `{"type":"logs","data":[`) {
				t.Fatalf("frame shape %s", f)
			}
			var rows []store.APILog
			json.Unmarshal(m.Data, &rows)
			if len(rows) != 1 || rows[0].ID != ids[1] || rows[0].Fields["cmd"] != "id" {
				t.Fatalf("pushed %s", f)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("pushed after %v", d)
			}
			return
		case <-time.After(2 * time.Second):
			t.Fatal("no logs frame")
		}
	}
}

// Without a bus push, the 1 s poll delivers rows after lastEventId in id order.
func TestStreamPollFromLastEventID(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("poller", "viewer", false)
	first := e.addLogs(rec(time.Now(), "d", "ssh", "connect", "1.2.3.3"))
	ids := e.addLogs(rec(time.Now(), "d", "ssh", "connect", "1.2.3.4"), rec(time.Now(), "d", "ssh", "command", "1.2.3.4"),
		rec(time.Now(), "d", "http", "request", "1.2.3.4"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := openStream(t, ctx, fmt.Sprintf("%s/api/v1/stream?lastEventId=%d&search=service:ssh", e.ts.URL, first[0]), tok, 200)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	deadline := time.AfterFunc(5*time.Second, cancel)
	defer deadline.Stop()
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, `data: {"type":"logs"`) {
			continue
		}
		var m struct {
			Data []store.APILog `json:"data"`
		}
		json.Unmarshal([]byte(l[len("data: "):]), &m)
		if len(m.Data) != 2 || m.Data[0].ID != ids[0] || m.Data[1].ID != ids[1] {
			t.Fatalf("polled %s", l)
		}
		return
	}
	t.Fatal("no logs frame from the poll")
}

// dry_run: the same checks and answers as a real deploy, 200 with the planned deckies, nothing created.
func TestDeployDryRun(t *testing.T) {
	e := newEnv(t, nil)
	_, admin := e.user("adm", "admin", false)
	_, viewer := e.user("view", "viewer", false)
	dry := func(body string) resp { return e.do("POST", "/api/v1/deckies/deploy", admin, body) }
	deckies := func() []V1Decky {
		var ds []V1Decky
		e.do("GET", "/api/v1/deckies", admin, nil).decode(t, &ds)
		return ds
	}
	ini := `"[web]\nip=10.213.9.50\nservices=ssh\n[db]\namount=2\nservices=ssh\n"`
	r := dry(`{"ini_content":` + ini + `,"dry_run":true}`)
	e.expect(r, 200, "")
	var out struct {
		DryRun  *bool     `json:"dry_run"`
		Deckies []V1Decky `json:"deckies"`
	}
	r.decode(t, &out)
	var got []string
	for _, d := range out.Deckies {
		got = append(got, d.Name+"="+d.IP+"/"+d.State)
	}
	want := []string{"web=10.213.9.50/planned", "db-01=10.213.9.1/planned", "db-02=10.213.9.2/planned"}
	if out.DryRun == nil || !*out.DryRun || !slices.Equal(got, want) {
		t.Fatalf("dry run %s: got %v, want %v", r.body, got, want)
	}
	if ds := deckies(); len(ds) != 0 {
		t.Fatalf("dry run created %+v", ds)
	}
	// The dry-run field obeys the structural rules; other unknown fields stay 400; viewers are refused.
	e.expect(dry(`{"ini_content":`+ini+`,"dry_run":"yes"}`), 400, badRequestDetail)
	e.expect(dry(`{"ini_content":`+ini+`,"dry_run":true,"extra":1}`), 400, badRequestDetail)
	e.expect(dry(`{"dry_run":true}`), 400, badRequestDetail)
	e.expect(e.do("POST", "/api/v1/deckies/deploy", viewer, `{"ini_content":`+ini+`,"dry_run":true}`), 403, "Insufficient permissions")

	// Errors: each body answers the dry run exactly like the real deploy (nothing is deployed by either).
	e.expect(dry(`{"ini_content":"[web]\nservices=ssh\n"}`), 202, "Deployment accepted")
	e.expect(e.do("PUT", "/api/v1/config/deployment-limit", admin, map[string]int{"deployment_limit": 3}), 200, "")
	for _, c := range []struct {
		body   string
		code   int
		detail string
	}{
		{`{"ini_content":""`, 409, "Configuration conflict: INI content is empty."},
		{`{"ini_content":"no sections"`, 409, "Configuration conflict: INI syntax or characters are invalid."},
		{`{"ini_content":"[general]\nnet=10.213.9.0/24\n"`, 409, "Invalid INI config structure: No decky sections found."},
		{`{"ini_content":"` + strings.Repeat("a", 600000) + `"`, 422, "Invalid INI config"},
		{`{"ini_content":"[web]\nservices=ssh\n"`, 409, "decky 'web' already exists; submit with replace_fleet=true to overwrite the fleet"},
		{`{"ini_content":"[x]\nip=10.213.9.1\nservices=ssh\n"`, 409, "IP 10.213.9.1 is already in use by an existing decky"},
		{`{"ini_content":"[many]\namount=3\nservices=ssh\n"`, 409, "Deployment would result in 4 deckies, exceeding the configured limit of 3"},
	} {
		real := dry(c.body + `}`)
		dr := dry(c.body + `,"dry_run":true}`)
		e.expect(real, c.code, c.detail)
		e.expect(dr, c.code, c.detail)
		if string(real.body) != string(dr.body) {
			t.Errorf("dry run %s, real %s", dr.body, real.body)
		}
	}
	// Replace mode plans against an empty fleet; dry_run false is a real deploy.
	r = dry(`{"ini_content":"[x]\nip=10.213.9.1\nservices=ssh\n","replace_fleet":true,"dry_run":true}`)
	e.expect(r, 200, "")
	r.decode(t, &out)
	if len(out.Deckies) != 1 || out.Deckies[0].Name != "x" || out.Deckies[0].IP != "10.213.9.1" {
		t.Fatalf("replace dry run %s", r.body)
	}
	e.fleet.deployErr = &Error{Status: 409, Detail: "Another deployment is in progress"}
	e.expect(dry(`{"ini_content":"[y]\nservices=ssh\n","dry_run":true}`), 409, "Another deployment is in progress")
	e.fleet.deployErr = nil
	if ds := deckies(); len(ds) != 1 || ds[0].Name != "web" {
		t.Fatalf("dry runs changed the fleet: %+v", ds)
	}
	e.expect(dry(`{"ini_content":"[y]\nservices=ssh\n","dry_run":false}`), 202, "Deployment accepted")
	deadline := time.Now().Add(5 * time.Second)
	for len(deckies()) != 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if ds := deckies(); len(ds) != 2 {
		t.Fatalf("dry_run false did not deploy: %+v", ds)
	}
}
