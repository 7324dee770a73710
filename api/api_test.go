package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBackend records calls and answers from fixed data.
type fakeBackend struct {
	deckies  []Decky
	deployed []DeployRequest
	panicOn  string
}

func (f *fakeBackend) Deploy(_ context.Context, req DeployRequest, progress func(Progress)) error {
	if f.panicOn == "deploy" {
		panic("boom")
	}
	if strings.Contains(req.Text(), "clash") {
		return Errorf(http.StatusConflict, "decky 'x' already exists")
	}
	f.deployed = append(f.deployed, req)
	progress(Progress{Step: "plan", Deckies: []string{"a"}})
	progress(Progress{Decky: "a", Step: "sandbox"})
	progress(Progress{Decky: "a", Step: "ready"})
	if strings.Contains(req.Text(), "fail") {
		return errors.New("runtime exploded")
	}
	progress(Progress{Step: "done", Deckies: []string{"a"}})
	return nil
}
func (f *fakeBackend) Deckies(context.Context) ([]Decky, error) { return f.deckies, nil }
func (f *fakeBackend) Teardown(_ context.Context, n string) error {
	if n != "a" {
		return NotFound(n)
	}
	return nil
}
func (f *fakeBackend) TeardownAll(context.Context) ([]string, error) { return []string{"a"}, nil }
func (f *fakeBackend) Mutate(_ context.Context, n, actor string) (MutateResult, error) {
	return MutateResult{Decky: n, OldServices: []string{"ssh"}, NewServices: []string{actor}, Changed: true}, nil
}
func (f *fakeBackend) MutateAll(context.Context, string) ([]MutateResult, error) { return nil, nil }
func (f *fakeBackend) Health(context.Context) Health                             { return Health{Status: "ok", Containerd: true} }

// rootServer serves the control router on a real unix socket (peer uid = this process's uid).
func rootServer(t *testing.T, b Backend) *http.Client {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the control socket admits root only; run as root")
	}
	sock := filepath.Join(t.TempDir(), "c.sock")
	ln, err := ListenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v %v", fi.Mode(), err)
	}
	srv := NewControlServer(NewControlRouter(b, nil))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

func do(t *testing.T, c *http.Client, method, path, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://x"+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		sb.WriteString(sc.Text() + "\n")
	}
	return resp.StatusCode, sb.String()
}

func TestControlRoutes(t *testing.T) {
	fb := &fakeBackend{deckies: []Decky{{Name: "a", State: "running"}}}
	c := rootServer(t, fb)
	const js = "application/json"
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string
	}{
		{"health", "GET", "/api/v1/health", "", "", 200, `"status":"ok"`},
		{"list", "GET", "/api/v1/deckies", "", "", 200, `"name":"a"`},
		{"deploy stream", "POST", "/api/v1/deckies/deploy", js, `{"ini":"[a]\n"}`, 200, `{"decky":"a","step":"ready"}`},
		{"deploy late failure", "POST", "/api/v1/deckies/deploy", js, `{"ini":"fail"}`, 200, `"step":"done","error":"runtime exploded"`},
		{"deploy conflict", "POST", "/api/v1/deckies/deploy", js, `{"ini":"clash"}`, 409, `{"detail":"decky 'x' already exists"}`},
		{"deploy flags", "POST", "/api/v1/deckies/deploy", js, `{"flags":{"deckies":2,"services":["ssh"]},"mode":"replace"}`, 200, `"step":"done"`},
		{"not json", "POST", "/api/v1/deckies/deploy", "text/plain", `{"ini":"x"}`, 415, "Unsupported Media Type"},
		{"malformed", "POST", "/api/v1/deckies/deploy", js, `{"ini":`, 400, "Schema structural violation"},
		{"unknown field", "POST", "/api/v1/deckies/deploy", js, `{"ini":"x","evil":1}`, 400, "Schema structural violation"},
		{"wrong type", "POST", "/api/v1/deckies/deploy", js, `{"ini":5}`, 400, "Schema structural violation"},
		{"two values", "POST", "/api/v1/deckies/deploy", js, `{"ini":"x"}{}`, 400, "Schema structural violation"},
		{"both ini and flags", "POST", "/api/v1/deckies/deploy", js, `{"ini":"x","flags":{"deckies":1}}`, 400, "Schema structural violation"},
		{"empty", "POST", "/api/v1/deckies/deploy", js, `{}`, 409, "INI content is empty"},
		{"bad mode", "POST", "/api/v1/deckies/deploy", js, `{"ini":"x","mode":"nuke"}`, 422, "Invalid request parameters"},
		{"huge", "POST", "/api/v1/deckies/deploy", js, `{"ini":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 422, "Invalid INI config"},
		{"teardown", "DELETE", "/api/v1/deckies/a", "", "", 204, ""},
		{"teardown unknown", "DELETE", "/api/v1/deckies/zz", "", "", 404, "Decky zz not found"},
		{"teardown bad name", "DELETE", "/api/v1/deckies/a%20b", "", "", 422, "Invalid request parameters"},
		{"teardown all", "DELETE", "/api/v1/deckies", "", "", 200, `{"removed":["a"]}`},
		{"mutate", "POST", "/api/v1/deckies/a/mutate", "", "", 200, `"new_services":["control-socket"]`},
		{"mutate all", "POST", "/api/v1/deckies/mutate", "", "", 200, `[]`},
		{"no route", "GET", "/api/v1/nope", "", "", 404, "Not Found"},
		{"wrong method", "PUT", "/api/v1/deckies", js, "", 405, "Method Not Allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := do(t, c, tc.method, tc.path, tc.ctype, tc.body)
			if st != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, st, body, tc.status, tc.want)
			}
		})
	}
	if n := len(fb.deployed); n != 3 || fb.deployed[n-1].Flags == nil || !fb.deployed[n-1].Replace() || fb.deployed[0].Text() != "[a]\n" {
		t.Errorf("deploy requests %+v", fb.deployed)
	}
}

func TestPanicIs500(t *testing.T) {
	c := rootServer(t, &fakeBackend{panicOn: "deploy"})
	st, body := do(t, c, "POST", "/api/v1/deckies/deploy", "application/json", `{"ini":"x"}`)
	var e struct {
		Detail  string `json:"detail"`
		ErrorID string `json:"error_id"`
	}
	if st != 500 || json.Unmarshal([]byte(body), &e) != nil || e.Detail != "Internal Server Error" || len(e.ErrorID) != 32 {
		t.Errorf("panic: %d %q", st, body)
	}
}

// Without unix peer credentials (here: TCP) every request is refused.
func TestNonRootPeerForbidden(t *testing.T) {
	srv := httptest.NewServer(NewControlRouter(&fakeBackend{}, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
}

func TestListenControlRefusesLiveSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "c.sock")
	ln, err := ListenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := ListenControl(sock); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second listener: %v", err)
	}
}

func FuzzDecodeDeploy(f *testing.F) {
	for _, s := range []string{`{"ini":"[a]\n"}`, `{"flags":{"deckies":1}}`, `{"ini":"x","mode":"replace"}`, `{`, `[]`, `null`,
		`{"ini":"x","network":{"subnet":"10.0.0.0/8"},"seed":1,"mutate_interval":-1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeDeploy(b)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 {
				t.Fatalf("error %v is not a 4xx *Error", err)
			}
			return
		}
		if (req.Text() != "") == (req.Flags != nil) {
			t.Fatalf("accepted request with ini=%q flags=%v", req.Text(), req.Flags)
		}
	})
}
