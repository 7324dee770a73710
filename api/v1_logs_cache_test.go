package api

import (
	"net/url"
	"testing"
	"time"

	"github.com/decnet/decnet/store"
)

// A search never comes from the response cache, and unfiltered rows are always fresh: only the unfiltered
// total may be up to 2 s old (api.md §1).
func TestLogsFreshness(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("fresh", "viewer", false)
	now := time.Now().UTC().Truncate(time.Second)
	e.addLogs(
		rec(now.Add(-3*time.Minute), "decky-01", "ssh", "connect", "5.6.7.8"),
		rec(now.Add(-2*time.Minute), "decky-01", "ssh", "connect", "5.6.7.8"),
	)
	type page struct {
		Total int64          `json:"total"`
		Data  []store.APILog `json:"data"`
	}
	get := func(path string) page {
		t.Helper()
		r := e.do("GET", path, tok, nil)
		e.expect(r, 200, "")
		var p page
		r.decode(t, &p)
		return p
	}
	paths := []struct {
		name, path string
		full       int64 // rows matching once the third row is in
	}{
		{"decky and service", "/api/v1/logs?search=" + url.QueryEscape("decky:decky-01 service:ssh"), 3},
		{"attacker", "/api/v1/logs?search=" + url.QueryEscape("attacker:5.6.7.8"), 3},
		{"attacker one per page", "/api/v1/logs?limit=1&search=" + url.QueryEscape("attacker:5.6.7.8"), 3},
		{"unfiltered short page", "/api/v1/logs", 3},
	}
	for _, p := range paths {
		if got := get(p.path); got.Total != p.full-1 {
			t.Fatalf("%s before: total %d, want %d", p.name, got.Total, p.full-1)
		}
	}
	ids := e.addLogs(rec(now, "decky-01", "ssh", "connect", "5.6.7.8"))
	for _, p := range paths {
		got := get(p.path)
		if got.Total != p.full || len(got.Data) == 0 || got.Data[0].ID != ids[0] {
			t.Fatalf("%s after insert: total %d, first %+v; want total %d and the new row first", p.name, got.Total, got.Data, p.full)
		}
	}
	// Unfiltered full page: the rows are fresh, the total is served from the 2 s cache (primed by this call).
	first := get("/api/v1/logs?limit=1")
	if first.Total != 3 || first.Data[0].ID != ids[0] {
		t.Fatalf("unfiltered limit=1: %+v", first)
	}
	more := e.addLogs(rec(now.Add(time.Second), "decky-02", "http", "request", ""))
	second := get("/api/v1/logs?limit=1")
	if second.Data[0].ID != more[0] {
		t.Fatalf("unfiltered rows not fresh: %+v", second)
	}
	if second.Total != 3 && second.Total != 4 {
		t.Fatalf("unfiltered total %d, want the cached 3 or the fresh 4", second.Total)
	}
}
