package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/store/storetest"
)

func TestSplitSearch(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  a  b ", []string{"a", "b"}},
		{`"failed password" service:ssh`, []string{"failed password", "service:ssh"}},
		{`decky:'decky 01' x`, []string{"decky:decky 01", "x"}},
		{`a\ b c`, []string{"a b", "c"}},
		{`"unbalanced quote here`, []string{`"unbalanced`, "quote", "here"}},
		{`it's`, []string{"it's"}},
		{`""`, []string{""}},
	}
	for _, c := range cases {
		if got := SplitSearch(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitSearch(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The compiled filter never contains a search value: every value is a parameter.
func TestCompileLogFilterParameterised(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		q     string
		where string
		args  int
	}{
		{"decky:decky-01 cmd:whoami", "decky = $1 AND fields @> jsonb_build_object($2::text, $3::text)", 3},
		{"event:x service:y", "event_type = $1 AND service = $2", 2},
		{"attacker:1.2.3.4", "attacker_ip = $1", 1},
		{"attacker_ip:nope", "FALSE", 0},
		{"it's'; DROP TABLE logs; --", "", 5},
	}
	for _, c := range cases {
		w, a := CompileLogFilter(LogFilter{Search: c.q})
		if c.where != "" && w != c.where || len(a) != c.args {
			t.Errorf("%q → %q %v", c.q, w, a)
		}
		if strings.Contains(w, "DROP") || strings.Contains(w, "whoami") {
			t.Errorf("value spliced into SQL: %q", w)
		}
	}
	w, a := CompileLogFilter(LogFilter{Start: &start, End: &start})
	if w != "timestamp >= $1 AND timestamp <= $2" || len(a) != 2 {
		t.Errorf("time bounds → %q %v", w, a)
	}
}

func FuzzSplitSearch(f *testing.F) {
	for _, s := range []string{"", `"a b" c:d`, `'x`, `a\`, `"\"" '\''`, "k:v\x00", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := SplitSearch(s)
		for _, tok := range toks {
			if len(tok) > len(s) {
				t.Fatalf("token %q longer than input %q", tok, s)
			}
		}
		w, args := CompileLogFilter(LogFilter{Search: s})
		if strings.Count(w, "$") < len(args) {
			t.Fatalf("parameters %d but placeholders in %q", len(args), w)
		}
		if p := planCount(LogFilter{Search: s}); p < countFromCounters || p > countRemembered {
			t.Fatalf("count plan %d", p)
		}
	})
}

// Every search runs on PostgreSQL without error, including hostile tokens.
func TestSearchLogsHostileTokens(t *testing.T) {
	st, err := Open(context.Background(), storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range []string{`'; DROP TABLE logs; --`, `%_\`, "k\x00:v", "\xff:\xfe", `a:"b c"`, `attacker:::1`, `x-y.z:1`, `:`, `"`} {
		if _, _, err := st.SearchLogs(context.Background(), LogFilter{Search: q}, 10, 0, true); err != nil {
			t.Errorf("search %q: %v", q, err)
		}
	}
	if n, err := st.CountLogs(context.Background()); err != nil || n != 0 {
		t.Fatalf("logs table: %d %v", n, err)
	}
}
