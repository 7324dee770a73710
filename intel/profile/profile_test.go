package profile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/ingest"
	"github.com/decnet/decnet/intel/profile"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func f(x float64) *float64 { return &x }

func TestTimingStatsE23(t *testing.T) {
	base := time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)
	got, _ := json.Marshal(profile.TimingStats([]time.Time{base.Add(30 * time.Second), base, base.Add(10 * time.Second)}))
	want := `{"event_count":3,"duration_s":30,"mean_iat_s":15,"median_iat_s":15,"stdev_iat_s":5,"min_iat_s":10,"max_iat_s":20,"cv":0.3333}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	one, _ := json.Marshal(profile.TimingStats([]time.Time{base}))
	if string(one) != `{"event_count":1,"duration_s":0,"mean_iat_s":null,"median_iat_s":null,"stdev_iat_s":null,"min_iat_s":null,"max_iat_s":null,"cv":null}` {
		t.Fatalf("single event: %s", one)
	}
}

func TestClassifyE24(t *testing.T) {
	for _, tc := range []struct {
		n        int
		mean, cv float64
		s        int
		want     string
	}{
		{10, 1.0, 0.2, 1, "brute_force"},
		{5, 60, 0.2, 1, "beaconing"},
		{5, 20, 0.9, 3, "slow_scan"},
		{4, 1.0, 0.1, 2, "scanning"},
		{2, 1.0, 0.1, 1, "unknown"},
		{7, 3.0, 0.8, 1, "interactive"},
		{3, 300, 0, 3, "mixed"},
	} {
		if got := profile.Classify(tc.n, f(tc.mean), f(tc.cv), tc.s); got != tc.want {
			t.Errorf("%+v → %s", tc, got)
		}
	}
	if got := profile.CadenceTools(f(60), f(0.2)); strings.Join(got, ",") != "cobalt_strike" {
		t.Errorf("(60, 0.2) → %v", got)
	}
	if got := profile.CadenceTools(f(45), f(0.1)); strings.Join(got, ",") != "havoc" {
		t.Errorf("(45, 0.1) → %v", got)
	}
}

func obs(t *testing.T, line string) profile.Obs {
	t.Helper()
	r, err := event.Parse(line, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return profile.Observe(&r)
}

func TestPhaseSequenceE25(t *testing.T) {
	os := []profile.Obs{
		obs(t, `<134>1 2026-04-04T10:00:00Z d ssh - login_attempt [relay@55555 src_ip="9.9.9.9"]`),
		obs(t, `<134>1 2026-04-04T10:02:00Z d ssh - command [relay@55555 src_ip="9.9.9.9" command="id"]`),
		obs(t, `<134>1 2026-04-04T10:03:00Z d ssh - download [relay@55555 src_ip="9.9.9.9" bytes="2097152"]`),
	}
	got, _ := json.Marshal(profile.PhaseSequence(os))
	want := `{"recon_end_ts":"2026-04-04T10:00:00Z","exfil_start_ts":"2026-04-04T10:02:00Z","exfil_latency_s":120,"large_payload_count":1}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	a := profile.Build("9.9.9.9", os)
	if len(a.Commands) != 1 || a.Commands[0].Command != "id" {
		t.Fatalf("commands %+v", a.Commands)
	}
}

var e20 = []string{
	`<134>1 2026-04-04T10:00:00.000000Z decky-01 ssh - login_attempt [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:05:00.000000Z decky-02 http - request [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:06:00.000000Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="http" new_services="http,ftp" trigger="scheduled"]`,
	`<134>1 2026-04-04T10:10:00.000000Z decky-03 ftp - login_attempt [relay@55555 src_ip="9.9.9.9"]`,
	`<134>1 2026-04-04T10:01:00.000000Z decky-01 ssh - connection [relay@55555 src_ip="8.8.4.4"]`,
	`<134>1 2026-04-04T10:02:00.000000Z decnet-prober prober - jarm_fingerprint [relay@55555 target_ip="8.8.4.4" target_port="443"]`,
	`garbage line`,
}

// TestProfileE22 ingests E20 (host-emitter style lines: HOSTNAME is the decky) through the pipeline with the
// profiler hooked to commits and checks the stored profile and the stored-events correlation.
func TestProfileE22(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	prof := profile.NewProfiler(st, nil)
	go prof.Run(ctx)
	p, err := ingest.New(ctx, st, t.TempDir(), ingest.Options{OnCommit: prof.Notify})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, l := range e20 {
		p.Submit(ingest.Line{Stream: "e20", Text: l})
	}
	var a store.Attacker
	for {
		var found bool
		a, found, err = st.GetAttacker(ctx, "9.9.9.9")
		if err != nil {
			t.Fatal(err)
		}
		if found && a.EventCount == 3 {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("profile not visible within 2 s: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("profile visible after %s", time.Since(start))
	if a.ServiceCount != 3 || a.DeckyCount != 3 || strings.Join(a.Services, ",") != "ftp,http,ssh" ||
		strings.Join(a.Deckies, ",") != "decky-01,decky-02,decky-03" || !a.IsTraversal ||
		*a.TraversalPath != "decky-01 → decky-02 → decky-03" || a.BountyCount != 0 || a.CredentialCount != 0 ||
		len(a.Commands) != 0 || !a.FirstSeen.Equal(time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)) ||
		!a.LastSeen.Equal(time.Date(2026, 4, 4, 10, 10, 0, 0, time.UTC)) {
		t.Fatalf("E22 profile %+v", a)
	}
	var timing map[string]any
	_ = json.Unmarshal(a.Behavior.TimingStats, &timing)
	if a.Behavior.BehaviorClass != "mixed" || timing["mean_iat_s"] != 300.0 || timing["cv"] != 0.0 || timing["duration_s"] != 600.0 {
		t.Fatalf("E22 behaviour %s %s", a.Behavior.BehaviorClass, a.Behavior.TimingStats)
	}
	// 8.8.4.4: the prober record is not counted.
	// Profiles of different IPs are rebuilt independently: wait for this one too.
	var (
		b     store.Attacker
		found bool
	)
	for {
		b, found, err = st.GetAttacker(ctx, "8.8.4.4")
		if err != nil {
			t.Fatal(err)
		}
		if (found && b.EventCount > 0) || time.Since(start) > 2*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !found || b.EventCount != 1 || b.IsTraversal {
		t.Fatalf("8.8.4.4 %+v", b)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := profile.Correlate(ctx, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Traversals) != 1 || rep.Traversals[0].AttackerIP != "9.9.9.9" || len(rep.Traversals[0].MutationsDuring) != 1 {
		t.Fatalf("stored correlation %+v", rep)
	}
}

// The profiler holds at most MaxIPs summaries, reads an IP's rows in pages, and rebuilds a dropped IP from the
// database with the same result.
func TestProfilerBoundedMemory(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.DB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func(stream, ip string, n int, decky string) {
		t.Helper()
		entries := make([]store.Entry, n)
		for i := range entries {
			line := fmt.Sprintf(`<134>1 2026-04-04T10:%02d:%02d.%06dZ %s ssh - auth_attempt [relay@55555 src_ip="%s" username="root"]`,
				i/60%60, i%60, i, decky, ip)
			r, err := event.Parse(line, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			entries[i] = store.Entry{Stream: stream, Seq: int64(i + 1), Rec: r}
		}
		if _, err := st.WriteBatch(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	prof := profile.NewProfiler(st, nil)
	prof.MaxIPs = 2
	check := func(ip string, want int, deckies string) {
		t.Helper()
		if err := prof.Update(ctx, ip); err != nil {
			t.Fatal(err)
		}
		a, found, err := st.GetAttacker(ctx, ip)
		if err != nil || !found || a.EventCount != want || strings.Join(a.Deckies, ",") != deckies {
			t.Fatalf("%s: found %v event_count %d deckies %v (%v), want %d %s", ip, found, a.EventCount, a.Deckies, err, want, deckies)
		}
		if n := prof.Held(); n > 2 {
			t.Fatalf("%d summaries held, MaxIPs 2", n)
		}
	}
	write("a", "10.213.7.1", 12000, "decky-01") // more than one page of rows
	check("10.213.7.1", 12000, "decky-01")
	write("b", "10.213.7.2", 5, "decky-01")
	check("10.213.7.2", 5, "decky-01")
	write("c", "10.213.7.3", 5, "decky-02")
	check("10.213.7.3", 5, "decky-02") // drops 10.213.7.1, the least recently updated
	write("d", "10.213.7.1", 10, "decky-02")
	check("10.213.7.1", 12010, "decky-01,decky-02") // rebuilt from the database
}
