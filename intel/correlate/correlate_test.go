package correlate

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
)

var e20 = []string{
	`<134>1 2026-04-04T10:00:00.000000Z decky-01 ssh - login_attempt [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:05:00.000000Z decky-02 http - request [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:06:00.000000Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="http" new_services="http,ftp" trigger="scheduled"]`,
	`<134>1 2026-04-04T10:10:00.000000Z decky-03 ftp - login_attempt [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:01:00.000000Z decky-01 ssh - connection [relay@55555 src_ip="8.8.4.4"]`,
	`<134>1 2026-04-04T10:02:00.000000Z decnet-prober prober - jarm_fingerprint [relay@55555 target_ip="8.8.4.4" target_port="443"]`,
	`garbage line`,
}

func feed(lines []string) *Engine {
	e := New()
	for _, l := range lines {
		e.Feed(l)
	}
	return e
}

func TestE20JSON(t *testing.T) {
	rep := feed(e20).Report(2)
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"stats":{"lines_parsed":7,"events_indexed":5,"unique_ips":2,"traversals":1},"traversals":[` +
		`{"attacker_ip":"9.9.9.9","decky_count":3,"deckies":["decky-01","decky-02","decky-03"],"path":"decky-01 → decky-02 → decky-03","first_seen":"2026-04-04T10:00:00Z","last_seen":"2026-04-04T10:10:00Z","duration_seconds":600,"hop_count":3,` +
		`"hops":[{"timestamp":"2026-04-04T10:00:00Z","decky":"decky-01","service":"ssh","event_type":"login_attempt"},{"timestamp":"2026-04-04T10:05:00Z","decky":"decky-02","service":"http","event_type":"request"},{"timestamp":"2026-04-04T10:10:00Z","decky":"decky-03","service":"ftp","event_type":"login_attempt"}],` +
		`"mutations_during":[{"timestamp":"2026-04-04T10:06:00Z","decky":"decky-02","old_services":["http"],"new_services":["http","ftp"],"trigger":"scheduled"}],` +
		`"timeline":[{"kind":"hop","timestamp":"2026-04-04T10:00:00Z","decky":"decky-01","service":"ssh","event_type":"login_attempt"},` +
		`{"kind":"hop","timestamp":"2026-04-04T10:05:00Z","decky":"decky-02","service":"http","event_type":"request"},` +
		`{"kind":"mutation","timestamp":"2026-04-04T10:06:00Z","decky":"decky-02","old_services":["http"],"new_services":["http","ftp"],"trigger":"scheduled"},` +
		`{"kind":"hop","timestamp":"2026-04-04T10:10:00Z","decky":"decky-03","service":"ftp","event_type":"login_attempt"}]}]}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
	var kinds []string
	for _, e := range rep.Traversals[0].Timeline {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "hop,hop,mutation,hop" {
		t.Fatalf("timeline kinds %v", kinds)
	}
}

func TestE20MinDeckies(t *testing.T) {
	e := feed(e20)
	for _, tc := range []struct{ min, want int }{{3, 1}, {4, 0}, {0, 1}, {1, 2}} {
		rep := e.Report(tc.min)
		if len(rep.Traversals) != tc.want || rep.Stats.Traversals != tc.want {
			t.Errorf("min %d: %d traversals, want %d", tc.min, len(rep.Traversals), tc.want)
		}
	}
	// min 1: 8.8.4.4 counts only decky-01 (decnet-prober is ignored).
	for _, tr := range e.Report(1).Traversals {
		if tr.AttackerIP == "8.8.4.4" && (tr.DeckyCount != 1 || tr.Deckies[0] != "decky-01") {
			t.Errorf("8.8.4.4 traversal %+v", tr)
		}
	}
	b, _ := e.Report(4).JSON()
	if !strings.HasSuffix(string(b), `"traversals":0},"traversals":[]}`) {
		t.Errorf("empty report JSON %s", b)
	}
}

func TestE20TableAndSyslog(t *testing.T) {
	rep := feed(e20).Report(2)
	var sb strings.Builder
	if err := rep.Table(&sb); err != nil {
		t.Fatal(err)
	}
	want := TableHeader + "\n" + "9.9.9.9 | 3 | decky-01 → decky-02 → decky-03 | 2026-04-04 10:00:00 UTC | 10.0m | 3\n"
	if sb.String() != want {
		t.Fatalf("table\n%s\nwant\n%s", sb.String(), want)
	}
	now := time.Date(2026, 4, 4, 11, 0, 0, 0, time.UTC)
	evs := rep.Syslog(now)
	if len(evs) != 1 {
		t.Fatalf("%d syslog events", len(evs))
	}
	got := string(evs[0].Encode())
	wantLine := `<132>1 2026-04-04T11:00:00.000000Z decnet-correlator correlator - traversal_detected [relay@55555 attacker_ip="9.9.9.9" decky_count="3" deckies="decky-01,decky-02,decky-03" first_seen="2026-04-04T10:00:00Z" last_seen="2026-04-04T10:10:00Z" hop_count="3" duration_s="600"]`
	if got != wantLine {
		t.Fatalf("syslog\n got %s\nwant %s", got, wantLine)
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want string
	}{{45, "45s"}, {0, "0s"}, {59.4, "59s"}, {60, "1.0m"}, {600, "10.0m"}, {3599, "60.0m"}, {3600, "1.0h"}, {7200, "2.0h"}} {
		if got := FormatDuration(tc.s); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestOutOfOrderAndRevisits(t *testing.T) {
	lines := []string{
		`<134>1 2026-04-04T10:09:00Z decky-01 ssh - c [relay@55555 src_ip="1.1.1.1"]`,
		`<134>1 2026-04-04T10:00:00Z decky-01 ssh - a [relay@55555 src_ip="1.1.1.1"]`,
		`<134>1 2026-04-04T10:05:00Z decky-02 ssh - b [relay@55555 src_ip="1.1.1.1"]`,
		`<134>1 2026-04-04T10:05:00Z decky-02 ssh - b2 [relay@55555 src_ip="1.1.1.1"]`,
	}
	tr := feed(lines).Report(2).Traversals
	if len(tr) != 1 {
		t.Fatalf("%d traversals", len(tr))
	}
	var evs []string
	for _, h := range tr[0].Hops {
		evs = append(evs, h.EventType)
	}
	if !reflect.DeepEqual(tr[0].Deckies, []string{"decky-01", "decky-02"}) || tr[0].DeckyCount != 2 ||
		strings.Join(evs, ",") != "a,b,b2,c" || tr[0].DurationSeconds != 540 || tr[0].HopCount != 4 {
		t.Fatalf("traversal %+v", tr[0])
	}
}

func TestFileModeSkipsAndMutationWindow(t *testing.T) {
	lines := []string{
		`<134>1 2026-04-04T10:00:00Z decky-01 ssh - a [relay@55555 src_ip="2.2.2.2"]`,
		`<134>1 2026-04-04T10:01:00Z - ssh - a [relay@55555 src_ip="2.2.2.2"]`,      // decky "-"
		`<134>1 2026-04-04T10:01:00Z decky-09 - - a [relay@55555 src_ip="2.2.2.2"]`, // service "-"
		`<134>1 not-a-date decky-08 ssh - a [relay@55555 src_ip="2.2.2.2"]`,         // E13: invalid time
		`<134>1 2026-04-04T10:00:00Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="" new_services=" a , ,b" trigger="operator"]`,
		`<134>1 2026-04-04T10:02:00Z decky-02 http - b [relay@55555 src_ip="2.2.2.2"]`,
		`<134>1 2026-04-04T10:02:00Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="x" new_services="y"]`,
		`<134>1 2026-04-04T10:02:01Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="late" new_services="y"]`,
		`<134>1 2026-04-04T10:01:00Z decky-07 mutator - decky_mutated [relay@55555 decky="decky-07" old_services="o" new_services="n"]`,
	}
	e := feed(lines)
	rep := e.Report(2)
	if rep.Stats.LinesParsed != 9 || rep.Stats.EventsIndexed != 2 || rep.Stats.UniqueIPs != 1 || len(rep.Traversals) != 1 {
		t.Fatalf("stats %+v", rep.Stats)
	}
	tr := rep.Traversals[0]
	if !reflect.DeepEqual(tr.Deckies, []string{"decky-01", "decky-02"}) {
		t.Fatalf("deckies %v", tr.Deckies)
	}
	if len(tr.MutationsDuring) != 2 || !reflect.DeepEqual(tr.MutationsDuring[0].NewServices, []string{"a", "b"}) ||
		len(tr.MutationsDuring[0].OldServices) != 0 || tr.MutationsDuring[1].Trigger != "" {
		t.Fatalf("mutations %+v", tr.MutationsDuring)
	}
	// Ties: the hop comes before the mutation at the same instant.
	var kinds []string
	for _, x := range tr.Timeline {
		kinds = append(kinds, x.Kind)
	}
	if strings.Join(kinds, ",") != "hop,mutation,hop,mutation" {
		t.Fatalf("timeline %v", kinds)
	}
	b, _ := rep.JSON()
	if !strings.Contains(string(b), `"old_services":[],"new_services":["a","b"],"trigger":"operator"`) {
		t.Fatalf("JSON %s", b)
	}
}

func TestAddLiveModeAndObservedHook(t *testing.T) {
	e := &Engine{} // the zero value works
	var mu sync.Mutex
	var seen []string
	e.OnObserved = func(ip string) { mu.Lock(); seen = append(seen, ip); mu.Unlock() }
	base := time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				e.Add(event.Record{Timestamp: base.Add(time.Duration(j) * time.Second), Decky: []string{"a", "b"}[j%2],
					Service: "ssh", EventType: "connect", AttackerIP: []string{"10.0.0.1", "10.0.0.2"}[i%2],
					Fields: map[string]string{}})
			}
		}(i)
	}
	wg.Wait()
	e.Add(event.Record{Timestamp: base, Decky: "a", Service: "ssh", EventType: "connect"}) // no IP: counted, not indexed
	rep := e.Report(2)
	if rep.Stats.LinesParsed != 401 || rep.Stats.EventsIndexed != 400 || rep.Stats.UniqueIPs != 2 || len(rep.Traversals) != 2 {
		t.Fatalf("stats %+v", rep.Stats)
	}
	if len(seen) != 2 {
		t.Fatalf("observed %v", seen)
	}
}

func TestE21ServiceBuckets(t *testing.T) {
	got := ServiceBuckets([]ServiceEvent{{"ssh", "connect"}, {"ssh", "command"}, {"http", "request"},
		{"http", "startup"}, {"ftp", "startup"}, {"smtp", "rcpt_to"}})
	b, _ := json.Marshal(got)
	if string(b) != `{"interacted":["smtp","ssh"],"scanned":["http"]}` {
		t.Fatalf("buckets %s", b)
	}
	empty, _ := json.Marshal(ServiceBuckets(nil))
	if string(empty) != `{"interacted":[],"scanned":[]}` {
		t.Fatalf("empty buckets %s", empty)
	}
	for _, tc := range []struct {
		ev   string
		want Class
	}{{"auth_attempt", Scan}, {"connect", Scan}, {"session_recorded", Interaction}, {"protocol_error", Noise}, {"", Scan}} {
		if got := Classify(tc.ev); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.ev, got, tc.want)
		}
	}
}
