package webui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>`

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(indexHTML)},
		"assets/index-abc123.js":  {Data: []byte("console.log('hi')")},
		"assets/index-def456.css": {Data: []byte("body{color:red}")},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
	}
}

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := NewHandler(testFS())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	return h
}

func do(h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSPAHandler(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		ctype       string
		cache       string
		bodyHas     string
		wantCSP     bool
		wantNoBody  bool
		wantAllowed string
	}{
		{"root is index", "GET", "/", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"index.html direct", "GET", "/index.html", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"client route falls back", "GET", "/attackers/6f1c0e9e-1111-4222-8333-444455556666", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"route with query", "GET", "/logs?q=service:ssh", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"hashed js immutable", "GET", "/assets/index-abc123.js", 200, "text/javascript; charset=utf-8", cacheImmutable, "console.log", false, false, ""},
		{"hashed css immutable", "GET", "/assets/index-def456.css", 200, "text/css; charset=utf-8", cacheImmutable, "color:red", false, false, ""},
		{"unhashed public file", "GET", "/favicon.svg", 200, "image/svg+xml", cacheOther, "<svg", false, false, ""},
		{"missing asset is 404", "GET", "/assets/index-gone.js", 404, "", "no-store", "", false, false, ""},
		{"missing file with extension is 404", "GET", "/robots.txt", 404, "", "no-store", "", false, false, ""},
		{"api path never falls back", "GET", "/api/v1/nope", 404, "application/json", "", `{"detail":"Not Found"}`, false, false, ""},
		{"api root", "GET", "/api", 404, "application/json", "", `"detail"`, false, false, ""},
		{"traversal stays inside: route fallback", "GET", "/../../etc/passwd", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"traversal stays inside: asset", "GET", "/../../assets/index-abc123.js", 200, "text/javascript; charset=utf-8", cacheImmutable, "console.log", false, false, ""},
		{"traversal to a host file is 404", "GET", "/../../etc/shadow.db", 404, "", "no-store", "", false, false, ""},
		{"dot-dot route", "GET", "/fleet/../users", 200, "text/html; charset=utf-8", cacheIndex, `<div id="app">`, true, false, ""},
		{"head index", "HEAD", "/", 200, "text/html; charset=utf-8", cacheIndex, "", true, true, ""},
		{"post refused", "POST", "/", 405, "", "", "", false, false, "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, tc.method, tc.path, nil)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if tc.ctype != "" && rec.Header().Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tc.ctype)
			}
			if tc.cache != "" && rec.Header().Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tc.cache)
			}
			if tc.bodyHas != "" && !strings.Contains(rec.Body.String(), tc.bodyHas) {
				t.Errorf("body %q lacks %q", rec.Body.String(), tc.bodyHas)
			}
			if got := rec.Header().Get("Content-Security-Policy") != ""; got != tc.wantCSP {
				t.Errorf("CSP present = %v, want %v", got, tc.wantCSP)
			}
			if tc.wantNoBody && rec.Body.Len() != 0 {
				t.Errorf("HEAD returned a body of %d bytes", rec.Body.Len())
			}
			if tc.wantAllowed != "" && rec.Header().Get("Allow") != tc.wantAllowed {
				t.Errorf("Allow = %q, want %q", rec.Header().Get("Allow"), tc.wantAllowed)
			}
		})
	}
}

func TestETagRevalidation(t *testing.T) {
	h := newTestHandler(t)
	for _, p := range []string{"/", "/assets/index-abc123.js", "/deep/client/route"} {
		first := do(h, "GET", p, nil)
		etag := first.Header().Get("ETag")
		if etag == "" || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("%s: ETag = %q", p, etag)
		}
		second := do(h, "GET", p, map[string]string{"If-None-Match": etag})
		if second.Code != http.StatusNotModified {
			t.Errorf("%s: conditional GET status = %d, want 304", p, second.Code)
		}
		stale := do(h, "GET", p, map[string]string{"If-None-Match": `"other"`})
		if stale.Code != http.StatusOK {
			t.Errorf("%s: stale ETag status = %d, want 200", p, stale.Code)
		}
	}
	// Index and a client route share the index document, hence the ETag.
	if a, b := do(h, "GET", "/", nil).Header().Get("ETag"), do(h, "GET", "/fleet", nil).Header().Get("ETag"); a != b {
		t.Errorf("index ETag differs between / (%s) and /fleet (%s)", a, b)
	}
}

func TestNewHandlerRequiresIndex(t *testing.T) {
	_, err := NewHandler(fstest.MapFS{"assets/a.js": {Data: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "index.html missing") {
		t.Fatalf("err = %v, want index.html missing", err)
	}
}

func TestNotBuiltHandler(t *testing.T) {
	h := notBuilt("")
	rec := do(h, "GET", "/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"not built into this binary", "make build", "-tags webui"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
	if rec := do(h, "GET", "/fleet", nil); !strings.Contains(rec.Body.String(), "make build") {
		t.Errorf("client route does not get the explanation page")
	}
	if rec := do(h, "GET", "/api/v1/x", nil); rec.Code != 404 || !strings.Contains(rec.Body.String(), `"detail"`) {
		t.Errorf("api path: %d %q", rec.Code, rec.Body.String())
	}
	if rec := do(h, "DELETE", "/", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE status = %d", rec.Code)
	}
	if rec := do(h, "HEAD", "/", nil); rec.Body.Len() != 0 {
		t.Errorf("HEAD body %d bytes", rec.Body.Len())
	}
	withReason := do(notBuilt("<bad & reason>"), "GET", "/", nil).Body.String()
	if !strings.Contains(withReason, "&lt;bad &amp; reason&gt;") {
		t.Errorf("reason not escaped: %q", withReason)
	}
}

func TestHandlerMatchesBuildMode(t *testing.T) {
	rec := do(Handler(), "GET", "/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	notBuiltPage := strings.Contains(rec.Body.String(), "not built into this binary")
	if Built() == notBuiltPage {
		t.Errorf("Built() = %v but explanation page shown = %v", Built(), notBuiltPage)
	}
}

func TestLooksLikeAsset(t *testing.T) {
	for p, want := range map[string]bool{
		"assets/x":         true,
		"favicon.ico":      true,
		"fleet":            false,
		"attackers/abc":    false,
		"logs/.hidden":     false,
		"v1.2/route.thing": true,
	} {
		if got := looksLikeAsset(p); got != want {
			t.Errorf("looksLikeAsset(%q) = %v, want %v", p, got, want)
		}
	}
}

// FuzzHandlerPath: arbitrary request paths never panic, never escape the asset set and never answer an API
// path with HTML.
func FuzzHandlerPath(f *testing.F) {
	for _, s := range []string{"/", "/assets/index-abc123.js", "/../x", "/api/v1/logs", "//", "/a/../../b", "/%2e%2e/", "/x.js", "/\x00"} {
		f.Add(s)
	}
	h, err := NewHandler(testFS())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = "/" + strings.TrimPrefix(p, "/")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 404:
		default:
			t.Fatalf("path %q: status %d", p, rec.Code)
		}
		if isAPI(req.URL.Path) && strings.Contains(rec.Body.String(), "<html") {
			t.Fatalf("api path %q answered with HTML", p)
		}
	})
}
