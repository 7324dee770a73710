package servicetest

import (
	"testing"
	"time"

	"github.com/decnet/decnet/event"
)

// Parse parses an emitted line, failing the test when it is not a valid RFC 5424 event.
func Parse(t testing.TB, line string) event.Record {
	t.Helper()
	r, err := event.Parse(line, time.Now())
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	return r
}

// WantFields checks that r carries exactly the wanted fields: every key with its value, and nothing else.
func WantFields(t testing.TB, r event.Record, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := r.Fields[k]; !ok || got != v {
			t.Errorf("%s: field %s = %q (present %v), want %q", r.EventType, k, got, ok, v)
		}
	}
	for k := range r.Fields {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected field %s=%q", r.EventType, k, r.Fields[k])
		}
	}
}
