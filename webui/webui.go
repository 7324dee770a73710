// Package webui serves the decnet web dashboard: the single-page app built from ui/ and embedded into decnetd,
// with SPA fallback to index.html and caching headers suited to Vite's content-hashed assets.
//
// Builds with the `webui` tag embed webui/dist (produced by `make ui`); builds without it serve a short page
// explaining how to build the dashboard, so `go build ./...` works on a fresh clone without Node.js.
package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Handler returns the dashboard handler for decnetd's API listener (mounted at "/", after the /api routes).
func Handler() http.Handler {
	if fsys, ok := assets(); ok {
		h, err := NewHandler(fsys)
		if err == nil {
			return h
		}
		return notBuilt(err.Error())
	}
	return notBuilt("")
}

// Built reports whether the dashboard assets are embedded in this binary.
func Built() bool {
	_, ok := assets()
	return ok
}

// Cache-Control values.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheIndex     = "no-cache"
	cacheOther     = "public, max-age=3600"
)

// contentSecurityPolicy confines the dashboard to its own origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".json":  "application/json",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".woff2": "font/woff2",
	".map":   "application/json",
	".webp":  "image/webp",
}

type file struct {
	body  []byte
	etag  string
	ctype string
}

// spa serves a built dashboard from memory.
type spa struct {
	files map[string]file // key: slash path without leading "/"
}

// NewHandler builds the SPA handler over fsys, which must hold index.html at its root (the layout of Vite's
// dist directory). Files are read once; ETags are content hashes.
func NewHandler(fsys fs.FS) (http.Handler, error) {
	s := &spa{files: map[string]file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		ct := contentTypes[strings.ToLower(path.Ext(p))]
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		s.files[p] = file{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ct}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load dashboard assets: %w", err)
	}
	if _, ok := s.files["index.html"]; !ok {
		return nil, fmt.Errorf("load dashboard assets: index.html missing")
	}
	return s, nil
}

func (s *spa) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isAPI(r.URL.Path) {
		apiNotFound(w)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f, ok := s.files[p]
	name := p
	switch {
	case ok && p == "index.html":
		// served as the SPA document below
	case ok:
		cache := cacheOther
		if strings.HasPrefix(p, "assets/") {
			cache = cacheImmutable
		}
		s.serve(w, r, name, f, cache)
		return
	case looksLikeAsset(p):
		// A missing script or stylesheet must not turn into index.html (the browser would report a MIME error).
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	name = "index.html"
	f = s.files[name]
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.serve(w, r, name, f, cacheIndex)
}

func (s *spa) serve(w http.ResponseWriter, r *http.Request, name string, f file, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// isAPI reports whether p belongs to the API namespace, which the dashboard never answers.
func isAPI(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

// looksLikeAsset reports whether a path names a static file (under assets/ or with a file extension) rather
// than a client-side route.
func looksLikeAsset(p string) bool {
	if strings.HasPrefix(p, "assets/") {
		return true
	}
	base := path.Base(p)
	return strings.Contains(base, ".") && !strings.HasPrefix(base, ".")
}

func apiNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"detail":"Not Found"}`))
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>decnet — dashboard not built</title>
<style>body{background:#0b0f14;color:#d7dde5;font:15px/1.5 system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0}
main{max-width:560px;padding:28px;border:1px solid #252d38;border-radius:12px;background:#11161d}h1{font-size:20px;color:#3fb950}
code{background:#0b0f14;padding:2px 6px;border-radius:4px}</style></head>
<body><main><h1>decnet dashboard not built</h1>
<p>The web dashboard was not built into this binary. The REST API under <code>/api/v1</code> works as usual.</p>
<p>To include the dashboard, build decnetd with <code>make build</code> (it runs <code>make ui</code>: <code>npm ci</code> and the
Vite build in <code>ui/</code>, then compiles decnetd with <code>-tags webui</code>). Node.js 20.19 or newer is required.</p>
%s</main></body></html>`

// notBuilt serves the explanation page for every non-API GET.
func notBuilt(reason string) http.Handler {
	extra := ""
	if reason != "" {
		extra = "<p>Reason: <code>" + htmlEscape(reason) + "</code></p>"
	}
	page := []byte(fmt.Sprintf(notBuiltPage, extra))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r.URL.Path) {
			apiNotFound(w)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(page)
		}
	})
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	return r.Replace(s)
}
