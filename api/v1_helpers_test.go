package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const (
	testSecret   = "0123456789abcdef0123456789abcdef-test"
	testPassword = "correct horse battery"
)

var (
	hashOnce sync.Once
	testHash string
)

// pwHash returns the (cached) bcrypt hash of testPassword.
func pwHash(t testing.TB) string {
	hashOnce.Do(func() {
		h, err := HashPassword(testPassword)
		if err != nil {
			t.Fatal(err)
		}
		testHash = h
	})
	return testHash
}

// fakeFleet is an in-memory FleetBackend: deploys are planned from the INI and become running at once.
type fakeFleet struct {
	mu        sync.Mutex
	deckies   []Decky
	intervals map[string]*int
	deployErr error
}

// plan validates req like an engine: loader errors and an explicit IP already used by the kept fleet are
// 409; IPs are explicit or the next free 10.213.9.x. Callers hold f.mu.
func (f *fakeFleet) plan(req DeployRequest) ([]Decky, error) {
	if f.deployErr != nil {
		return nil, f.deployErr
	}
	dep, err := conf.Load(req.Text())
	if err != nil {
		return nil, &Error{Status: http.StatusConflict, Detail: err.Error()}
	}
	used := map[string]bool{}
	if !req.Replace() {
		for _, d := range f.deckies {
			used[d.IP] = true
		}
	}
	var out []Decky
	next := 1
	for _, d := range dep.Deckies {
		ip := ""
		if d.IP.IsValid() {
			ip = d.IP.String()
			if used[ip] {
				return nil, Errorf(http.StatusConflict, "IP %s is already in use by an existing decky", ip)
			}
		} else {
			for ; used[ip] || ip == ""; next++ {
				ip = fmt.Sprintf("10.213.9.%d", next)
			}
		}
		used[ip] = true
		out = append(out, Decky{Name: d.Name, IP: ip, Services: []string{"ssh"}})
	}
	return out, nil
}

func (f *fakeFleet) Deploy(_ context.Context, req DeployRequest, progress func(Progress)) error {
	f.mu.Lock()
	planned, err := f.plan(req)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	var names []string
	for _, d := range planned {
		names = append(names, d.Name)
	}
	progress(Progress{Step: "plan", Deckies: names})
	f.mu.Lock()
	if req.Replace() {
		f.deckies = nil
	}
	for _, d := range planned {
		d.State, d.ServicesState = "running", []ServiceState{{Name: "ssh", State: "running"}}
		f.deckies = append(f.deckies, d)
	}
	f.mu.Unlock()
	for _, n := range names {
		progress(Progress{Decky: n, Step: "ready"})
	}
	progress(Progress{Step: "done", Deckies: names})
	return nil
}

// PlanDeploy is the fake's dry run: the same checks as Deploy, nothing stored.
func (f *fakeFleet) PlanDeploy(_ context.Context, req DeployRequest) ([]Decky, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	planned, err := f.plan(req)
	for i := range planned {
		planned[i].State, planned[i].ServicesState = "planned", []ServiceState{{Name: "ssh", State: "planned"}}
	}
	return planned, err
}

func (f *fakeFleet) Deckies(context.Context) ([]Decky, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Decky(nil), f.deckies...), nil
}

func (f *fakeFleet) Teardown(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.deckies {
		if d.Name == name {
			f.deckies = append(f.deckies[:i], f.deckies[i+1:]...)
			return nil
		}
	}
	return NotFound(name)
}

func (f *fakeFleet) Mutate(_ context.Context, name, _ string) (MutateResult, error) {
	return MutateResult{Decky: name, Changed: true}, nil
}

func (f *fakeFleet) SetMutateInterval(_ context.Context, name string, m *int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.intervals == nil {
		f.intervals = map[string]*int{}
	}
	f.intervals[name] = m
	return nil
}

// testEnv is a real v1 server on a loopback listener over a fresh PostgreSQL database.
type testEnv struct {
	t     *testing.T
	st    *store.Store
	srv   *Server
	ts    *httptest.Server
	fleet *fakeFleet
}

func newEnv(t *testing.T, mod func(*Options)) *testEnv {
	t.Helper()
	url := storetest.DB(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ff := &fakeFleet{}
	o := Options{Users: st, Data: st, Fleet: ff, JWTSecret: testSecret, LimiterEnabled: true,
		CORSOrigins: []string{"http://localhost:8080"}, Version: "test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&o)
	}
	srv, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testEnv{t: t, st: st, srv: srv, ts: ts, fleet: ff}
}

// user creates a user with testPassword directly in the store and returns a token for it.
func (e *testEnv) user(name, role string, mustChange bool) (uuid, token string) {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), name, pwHash(e.t), role, mustChange)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.srv.Tokens().Mint(u.UUID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.UUID, tok
}

type resp struct {
	code int
	hdr  http.Header
	body []byte
}

// detail returns the body's "detail" (or, for success bodies, "message").
func (r resp) detail() string {
	var v struct {
		Detail  string `json:"detail"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(r.body, &v)
	if v.Detail == "" {
		return v.Message
	}
	return v.Detail
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request; body is marshalled unless it is a string or []byte (sent raw as JSON).
func (e *testEnv) do(method, path, token string, body any) resp {
	e.t.Helper()
	return e.doCT(method, path, token, body, "application/json")
}

func (e *testEnv) doCT(method, path, token string, body any, ct string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil && ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{code: res.StatusCode, hdr: res.Header, body: b}
}

func (e *testEnv) expect(r resp, code int, detail string) {
	e.t.Helper()
	if r.code != code || (detail != "" && r.detail() != detail) {
		e.t.Fatalf("got %d %s, want %d %q", r.code, r.body, code, detail)
	}
}

// addLogs writes records through the ingest writer.
func (e *testEnv) addLogs(recs ...event.Record) []int64 {
	e.t.Helper()
	entries := make([]store.Entry, len(recs))
	for i, r := range recs {
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		if r.RawLine == "" {
			r.RawLine = "<134>1 " + r.Timestamp.Format(time.RFC3339) + " " + r.Decky + " " + r.Service + " - " + r.EventType + " - " + r.Msg
		}
		r.TimeValid = true
		entries[i] = store.Entry{Stream: "test", Seq: time.Now().UnixNano() + int64(i), Rec: r}
	}
	res, err := e.st.WriteBatch(context.Background(), entries)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.IDs
}

func rec(ts time.Time, decky, svc, ev, ip string, fields ...string) event.Record {
	r := event.Record{Timestamp: ts.UTC(), Decky: decky, Service: svc, EventType: ev, AttackerIP: ip}
	for i := 0; i+1 < len(fields); i += 2 {
		r.SetField(fields[i], fields[i+1])
	}
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	return r
}

// newLoopback serves s on a new loopback listener and returns its base URL.
func newLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// openStreamResp opens a stream; a 200 body stays open until ctx ends (body empty in the result).
func openStreamResp(t *testing.T, ctx context.Context, url, tok string) resp {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == 200 {
		go func() { <-ctx.Done(); res.Body.Close() }()
		return resp{code: 200, hdr: res.Header}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{code: res.StatusCode, hdr: res.Header, body: b}
}

// openStream opens a stream expecting want; for 200 it returns the open body.
func openStream(t *testing.T, ctx context.Context, url, tok string, want int) io.Reader {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("stream %s: got %d %s, want %d", url, res.StatusCode, b, want)
	}
	if want != 200 {
		res.Body.Close()
		return nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream headers %v", res.Header)
	}
	go func() { <-ctx.Done(); res.Body.Close() }()
	return res.Body
}
