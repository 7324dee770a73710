package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// apiEnv is a real v1 API over a fresh PostgreSQL database.
type apiEnv struct {
	t   *testing.T
	st  *store.Store
	srv *api.Server
	url string
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	st, err := store.Open(context.Background(), storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	srv, err := api.NewServer(api.Options{Users: st, Data: st, JWTSecret: "decnetctl-test-secret-0123456789abcdef",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("DECNET_API_URL", "")
	t.Setenv("DECNET_API_TOKEN", "")
	t.Setenv("DECNET_CONTROL_SOCKET", filepath.Join(t.TempDir(), "none.sock"))
	return &apiEnv{t: t, st: st, srv: srv, url: ts.URL}
}

func (o *apiEnv) ctl(stdin string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, dial: dialDaemon}
	code := a.execute(args)
	return out.String(), errb.String(), code
}

// get fetches a route with a token and returns the raw body.
func (o *apiEnv) get(path, tok string) []byte {
	req, _ := http.NewRequest("GET", o.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

func TestAPIVerbs(t *testing.T) {
	o := newAPIEnv(t)
	ctx := context.Background()
	h, _ := api.HashPassword("operator-password-1")
	if _, err := o.st.CreateUser(ctx, "op", h, "admin", false); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	recs := []event.Record{
		{Timestamp: now, Decky: "decky-01", Service: "ssh", EventType: "command", AttackerIP: "5.6.7.8", RawLine: "line 1", TimeValid: true, Fields: map[string]string{}},
		{Timestamp: now.Add(time.Second), Decky: "decky-02", Service: "http", EventType: "request", AttackerIP: "9.9.9.9", RawLine: "line 2", TimeValid: true, Fields: map[string]string{}},
	}
	recs[0].SetField("cmd", "whoami")
	if _, err := o.st.WriteBatch(ctx, []store.Entry{{Stream: "s", Seq: 1, Rec: recs[0]}, {Stream: "s", Seq: 2, Rec: recs[1]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.st.UpsertAttacker(ctx, store.Attacker{IP: "5.6.7.8", FirstSeen: now, LastSeen: now, EventCount: 1, Services: []string{"ssh"}}); err != nil {
		t.Fatal(err)
	}

	// Unauthenticated: 401 with a hint.
	if _, errOut, code := o.ctl("", "logs", "--api", o.url); code != 1 || !strings.Contains(errOut, "Could not validate credentials") {
		t.Fatalf("logs without login: %d %q", code, errOut)
	}
	if _, errOut, code := o.ctl("wrong\n", "login", "--api", o.url, "-u", "op"); code != 1 || !strings.Contains(errOut, "Incorrect username or password") {
		t.Fatalf("bad login: %d %q", code, errOut)
	}
	out, errOut, code := o.ctl("operator-password-1\n", "login", "--api", o.url, "-u", "op")
	if code != 0 || !strings.Contains(out, "Logged in") {
		t.Fatalf("login: %d %s %s", code, out, errOut)
	}
	p, _ := loginPath()
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v %v", p, fi, err)
	}
	saved, _ := loadLogin()
	tok := saved.AccessToken

	// -o json prints the API's object unchanged.
	out, _, code = o.ctl("", "logs", "--api", o.url, "-o", "json", "--limit", "1", "--search", "decky:decky-01")
	want := o.get("/api/v1/logs?limit=1&offset=0&search=decky%3Adecky-01", tok)
	if code != 0 || strings.TrimSpace(out) != strings.TrimSpace(string(want)) {
		t.Fatalf("logs json:\n%s\nwant\n%s", out, want)
	}
	// Tables are plain when piped.
	out, _, code = o.ctl("", "logs", "--api", o.url)
	if code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, "decky-02") || strings.Contains(out, "\x1b[") ||
		!strings.Contains(out, "2 of 2 events") {
		t.Fatalf("logs table:\n%s", out)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--limit", "1001"}, {"--offset", "-1"}} {
		if _, _, code := o.ctl("", append([]string{"logs", "--api", o.url}, bad...)...); code != 2 {
			t.Errorf("logs %v: exit %d", bad, code)
		}
	}
	out, _, code = o.ctl("", "attackers", "--api", o.url, "-o", "json")
	if code != 0 || strings.TrimSpace(out) != strings.TrimSpace(string(o.get("/api/v1/attackers?limit=50&offset=0&sort_by=recent", tok))) {
		t.Fatalf("attackers json: %s", out)
	}
	out, _, code = o.ctl("", "attackers", "--api", o.url, "5.6.7.8")
	if code != 0 || !strings.Contains(out, "5.6.7.8") || !strings.Contains(out, "ssh") {
		t.Fatalf("attacker detail: %d %s", code, out)
	}
	if _, _, code := o.ctl("", "attackers", "--api", o.url, "1.1.1.1"); code != 2 {
		t.Errorf("unknown attacker: exit %d", code)
	}
	out, _, code = o.ctl("", "credentials", "--api", o.url, "-o", "json")
	var cp map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &cp) != nil || cp["limit"] != float64(50) {
		t.Fatalf("credentials: %s", out)
	}
	// users add|role|passwd|rm.
	out, errOut, code = o.ctl("viewer-password-1\n", "users", "add", "vee", "--api", o.url, "-o", "json")
	var u map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u["must_change_password"] != true || u["role"] != "viewer" {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}
	if out, _, code := o.ctl("", "users", "role", "vee", "admin", "--api", o.url); code != 0 || strings.TrimSpace(out) != "Role updated" {
		t.Fatalf("users role: %s", out)
	}
	if out, _, code := o.ctl("another-password-2\n", "users", "passwd", "vee", "--api", o.url); code != 0 || strings.TrimSpace(out) != "Password reset" {
		t.Fatalf("users passwd: %s", out)
	}
	out, _, code = o.ctl("", "users", "--api", o.url)
	if code != 0 || !strings.Contains(out, "vee") || !strings.Contains(out, "op") {
		t.Fatalf("users list: %s", out)
	}
	if out, _, code := o.ctl("", "users", "rm", "vee", "--api", o.url); code != 0 || strings.TrimSpace(out) != "User deleted" {
		t.Fatalf("users rm: %s", out)
	}
	if _, errOut, code := o.ctl("", "users", "rm", "vee", "--api", o.url); code != 2 || !strings.Contains(errOut, "User not found") {
		t.Fatalf("users rm again: %d %s", code, errOut)
	}
	// Own password change revokes the stored token. Revocation compares the token's iat (whole seconds) with
	// floor(tokens_valid_from) and keeps a token minted in the same second (api.md §2), so move past the
	// login's second first.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	if out, errOut, code := o.ctl("operator-password-1\noperator-password-2\n", "users", "passwd", "--api", o.url); code != 0 || !strings.Contains(out, "Password updated successfully") {
		t.Fatalf("own passwd: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := o.ctl("", "logs", "--api", o.url); code != 1 || !strings.Contains(errOut, "decnetctl login") {
		t.Fatalf("after passwd: %d %s", code, errOut)
	}
}

// Root on the control socket: the default transport when reachable, no token needed.
func TestAPIVerbsOverSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a uid-0 socket peer")
	}
	o := newAPIEnv(t)
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := api.ListenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	r := api.NewControlRouter(nil, nil)
	o.srv.MountControl(r)
	srv := api.NewControlServer(r)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	t.Setenv("DECNET_CONTROL_SOCKET", sock)
	out, errOut, code := o.ctl("", "logs", "-o", "json")
	if code != 0 || !strings.HasPrefix(out, `{"total":0,"limit":50,"offset":0,"data":[]}`) {
		t.Fatalf("logs over the socket: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := o.ctl("long-enough-pass\n", "users", "add", "sockuser"); code != 0 || !strings.Contains(out, "sockuser") {
		t.Fatalf("users add over the socket: %d %s %s", code, out, errOut)
	}
}

// memFleet is an in-memory fleet behind the v1 API.
type memFleet struct {
	mu      sync.Mutex
	deckies []api.Decky
}

func (f *memFleet) Deploy(_ context.Context, req api.DeployRequest, progress func(api.Progress)) error {
	dep, err := conf.Load(req.Text())
	if err != nil {
		return &api.Error{Status: 409, Detail: err.Error()}
	}
	var names []string
	for _, d := range dep.Deckies {
		names = append(names, d.Name)
	}
	progress(api.Progress{Step: "plan", Deckies: names})
	f.mu.Lock()
	for _, n := range names {
		f.deckies = append(f.deckies, api.Decky{Name: n, IP: "10.213.1.5", State: "running", Services: []string{"ssh"}})
	}
	f.mu.Unlock()
	for _, n := range names {
		progress(api.Progress{Decky: n, Step: "ready"})
	}
	progress(api.Progress{Step: "done", Deckies: names})
	return nil
}

func (f *memFleet) Deckies(context.Context) ([]api.Decky, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.Decky(nil), f.deckies...), nil
}

func (f *memFleet) Teardown(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.deckies {
		if d.Name == name {
			f.deckies = append(f.deckies[:i], f.deckies[i+1:]...)
			return nil
		}
	}
	return api.NotFound(name)
}

func (f *memFleet) Mutate(_ context.Context, name, _ string) (api.MutateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.deckies {
		if f.deckies[i].Name == name {
			f.deckies[i].Services = []string{"http", "ftp"}
		}
	}
	return api.MutateResult{Decky: name, Changed: true}, nil
}

// The daemon verbs over TCP with a token (DECNET_API_URL).
func TestDaemonVerbsOverTCP(t *testing.T) {
	st, err := store.Open(context.Background(), storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := api.NewServer(api.Options{Users: st, Data: st, Fleet: &memFleet{}, JWTSecret: "decnetctl-test-secret-0123456789abcdef",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	u, err := st.CreateUser(context.Background(), "ops", "x", "admin", false)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := srv.Tokens().Mint(u.UUID)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("DECNET_API_URL", ts.URL)
	t.Setenv("DECNET_API_TOKEN", tok)
	o := &apiEnv{t: t}
	ini := filepath.Join(t.TempDir(), "f.ini")
	os.WriteFile(ini, []byte("[general]\nnet=10.213.1.0/24\ngw=10.213.1.1\ninterface=x0\n\n[web-a]\nservices=ssh\n"), 0o600)
	out, errOut, code := o.ctl("", "deploy", "--config", ini)
	if code != 0 || !strings.Contains(out, "web-a") || !strings.Contains(out, "deployed 1 deckies") {
		t.Fatalf("deploy over TCP: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := o.ctl("", "deploy", "--config", ini); code != 2 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second deploy: %d %s", code, errOut)
	}
	// Flags the REST deploy body cannot carry are refused, not silently dropped.
	_, errOut, code = o.ctl("", "deploy", "--config", ini, "--subnet", "10.213.9.0/24", "--seed", "7")
	if code != 2 || !strings.Contains(errOut, "--subnet, --seed need the control socket") {
		t.Fatalf("deploy --subnet --seed over TCP: %d %s", code, errOut)
	}
	out, _, code = o.ctl("", "status", "-o", "json")
	if code != 0 || !strings.Contains(out, `"name": "web-a"`) {
		t.Fatalf("status: %s", out)
	}
	out, errOut, code = o.ctl("", "mutate", "--decky", "web-a", "-o", "json")
	if code != 0 || !strings.Contains(out, "http") {
		t.Fatalf("mutate: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := o.ctl("", "teardown", "--decky", "web-a", "--yes"); code != 0 {
		t.Fatalf("teardown: %d %s", code, errOut)
	}
	out, _, _ = o.ctl("", "status", "-o", "json")
	if strings.Contains(out, "web-a") {
		t.Fatalf("still there: %s", out)
	}
}
