package api

import (
	"testing"
	"time"
)

func TestParseTimeParam(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-04-04T10:16:02Z", time.Date(2026, 4, 4, 10, 16, 2, 0, time.UTC), true},
		{"2026-04-04T12:16:02+02:00", time.Date(2026, 4, 4, 10, 16, 2, 0, time.UTC), true},
		{"2026-04-04 10:16:02", time.Date(2026, 4, 4, 10, 16, 2, 0, time.UTC), true},
		{"2026-04-04", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, c := range cases {
		got, err := ParseTimeParam(c.in)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) || (c.ok && got.Location() != time.UTC) {
			t.Errorf("ParseTimeParam(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, v := range []string{"", "null", "NULL", "None", "undefined"} {
		if !isAbsent(v) {
			t.Errorf("%q not absent", v)
		}
	}
	if isAbsent("0") {
		t.Error("0 treated as absent")
	}
}

func FuzzParseTimeParam(f *testing.F) {
	for _, s := range []string{"2026-04-04T10:16:02Z", "2026-04-04 10:16:02", "", "9999-99-99 99:99:99", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := ParseTimeParam(s); err == nil && tm.Location() != time.UTC {
			t.Fatalf("%q parsed to non-UTC %v", s, tm)
		}
	})
}
