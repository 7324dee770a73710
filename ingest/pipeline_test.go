package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/decnet/decnet/ingest"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func openStore(t testing.TB) *store.Store {
	t.Helper()
	url := storetest.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, url, 8)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func line(stream string, n int) ingest.Line {
	return ingest.Line{Stream: stream, Decky: "decky-" + stream, Service: "http",
		Text: fmt.Sprintf(`<134>1 2026-04-04T10:00:00.000000Z printed-host - - request [relay@55555 src_ip="10.1.%d.%d" n="%s-%d"] GET /`,
			(n>>8)&255, n&255, stream, n)}
}

func count(t testing.TB, s *store.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func waitRows(t testing.TB, s *store.Store, want int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := count(t, s, "SELECT count(*) FROM logs")
		if n == want {
			return
		}
		if n > want || time.Now().After(deadline) {
			t.Fatalf("logs rows %d, want %d", n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPipelineAttributionAndAdmission(t *testing.T) {
	s := openStore(t)
	logDir := t.TempDir()
	bus := ingest.NewBus()
	sub := bus.Subscribe(100)
	p, err := ingest.New(context.Background(), s, t.TempDir(), ingest.Options{LogDir: logDir, Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	in := []ingest.Line{
		{Stream: "c1", Decky: "decky-a", Service: "ssh", Text: `<134>1 2026-04-04T10:00:00Z liar - - connect [relay@55555 src_ip="1.2.3.4"]` + "\n"},
		{Stream: "c1", Decky: "decky-a", Service: "ssh", Text: `<134>1 2026-04-04T10:00:00Z liar - - connect [relay@55555 src_ip="1.2.3.4"]`},
		{Stream: "c1", Decky: "decky-a", Service: "ssh", Text: `<134>1 2026-04-04T10:00:00Z liar ssh - auth_attempt [relay@55555 src_ip="1.2.3.4"]`},
		{Stream: "c1", Decky: "decky-a", Service: "ssh", Text: "not a syslog line"},
		{Stream: "c1", Decky: "decky-a", Service: "ssh", Text: "   "},
		{Stream: "c2", Decky: "dmz", Service: "custom", Text: `<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - Connection from 157.66.144.16 port 42772`},
		{Stream: "c2", Decky: "dmz", Service: "custom", Text: `<14>1 2026-04-28T22:35:58.021674+00:00 dmz-gateway bash - - -  CMD uid=0 user=root src=31.56.209.39 pwd=/root cmd=ls`},
	}
	p.Submit(in...)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := s.LogsAfter(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (connect rate-limited, sshd dropped, garbage unparsed): %+v", len(rows), rows)
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, r.Rec.Decky+"/"+r.Rec.Service+"/"+r.Rec.EventType+"/"+r.Rec.AttackerIP)
	}
	want := "decky-a/ssh/connect/1.2.3.4 decky-a/ssh/auth_attempt/1.2.3.4 dmz/bash/command/31.56.209.39"
	if strings.Join(got, " ") != want {
		t.Fatalf("rows %v, want %s", got, want)
	}
	st := p.Stats()
	if st.Received != 6 || st.Unparseable != 1 || st.AdmissionDropped != 2 || st.Committed != 3 ||
		st.Streams["c1"].Committed != 2 || st.Streams["c2"].Committed != 1 {
		t.Fatalf("stats %+v", st)
	}
	raw, err := os.ReadFile(filepath.Join(logDir, ingest.RawLogName))
	if err != nil || strings.Count(string(raw), "\n") != 6 || !strings.Contains(string(raw), "not a syslog line\n") {
		t.Fatalf("forensic log %v:\n%s", err, raw)
	}
	var ids []int64
	for len(ids) < 3 {
		select {
		case e := <-sub.C:
			ids = append(ids, e.ID)
		case <-time.After(time.Second):
			t.Fatalf("bus delivered %d events", len(ids))
		}
	}
	if ids[0] != rows[0].ID || ids[2] != rows[2].ID {
		t.Fatalf("bus ids %v, rows %d..%d", ids, rows[0].ID, rows[2].ID)
	}
}

// TestExactlyOnceAcrossAbort kills the pipeline (no flush) half-way and restarts it on the same spool.
func TestExactlyOnceAcrossAbort(t *testing.T) {
	s := openStore(t)
	spool := t.TempDir()
	const n, chunk = 20000, 100
	opts := ingest.Options{BatchSize: 500, MaxWait: 20 * time.Millisecond}
	p, err := ingest.New(context.Background(), s, spool, opts)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	submit := func(p *ingest.Pipeline, upto int) {
		for sent < upto {
			var ls []ingest.Line
			for k := 0; k < chunk; k++ {
				ls = append(ls, line([]string{"a", "b"}[sent%2], sent))
				sent++
			}
			// One read batch per stream.
			var a, b []ingest.Line
			for _, l := range ls {
				if l.Stream == "a" {
					a = append(a, l)
				} else {
					b = append(b, l)
				}
			}
			p.Submit(a...)
			p.Submit(b...)
		}
	}
	submit(p, n/2)
	time.Sleep(30 * time.Millisecond) // let some batches commit, others be in flight
	p.Abort()
	mid := count(t, s, "SELECT count(*) FROM logs")
	t.Logf("rows committed before the kill: %d of %d", mid, n/2)

	p, err = ingest.New(context.Background(), s, spool, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The restarted pipeline knows each stream's last spooled line, so a re-read FIFO head is recognised.
	lastA, next := line("a", n/2-2).Text, line("a", n/2).Text
	for _, c := range []struct {
		stream string
		texts  []string
		want   int
	}{
		{"a", []string{line("a", n/2-4).Text, lastA + "\r", next}, 2},
		{"a", []string{next}, 0},
		{"b", []string{lastA}, 0},
		{"nope", []string{lastA}, 0},
	} {
		if got := p.Respooled(c.stream, c.texts); got != c.want {
			t.Errorf("Respooled(%s, %d lines) = %d, want %d", c.stream, len(c.texts), got, c.want)
		}
	}
	submit(p, n)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM logs"); got != n {
		t.Fatalf("rows %d, want %d", got, n)
	}
	if got := count(t, s, "SELECT count(DISTINCT fields->>'n') FROM logs"); got != n {
		t.Fatalf("distinct lines %d, want %d (duplicates)", got, n)
	}
	cps, _ := s.Checkpoints(context.Background())
	if cps["a"] != n/2 || cps["b"] != n/2 {
		t.Fatalf("checkpoints %v: sequences did not continue across the restart", cps)
	}
}

// TestDatabaseOutage stops PostgreSQL under a steady stream (DECNET_TEST_OUTAGE, default 30 s; 3 s with -short).
func TestDatabaseOutage(t *testing.T) {
	c := storetest.Shared(t)
	s := openStore(t)
	outage := 30 * time.Second
	if testing.Short() {
		outage = 3 * time.Second
	}
	if v := os.Getenv("DECNET_TEST_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("DECNET_TEST_OUTAGE: %v", err)
		}
		outage = d
	}
	p, err := ingest.New(context.Background(), s, t.TempDir(), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			p.Submit(line("steady", i))
			sent.Add(1)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	ctx := context.Background()
	if err := c.StopPG(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(outage)
	if st := p.Stats(); st.DBUp || st.Backlog == 0 {
		t.Errorf("during the outage: DBUp %v backlog %d", st.DBUp, st.Backlog)
	}
	if err := c.StartPG(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	waitRows(t, s, sent.Load(), 30*time.Second)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(DISTINCT fields->>'n') FROM logs"); got != sent.Load() {
		t.Fatalf("distinct %d, sent %d", got, sent.Load())
	}
	if st := p.Stats(); st.SpoolDropped != 0 || st.CommitErrors == 0 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("outage %s, lines %d, all stored once", outage, sent.Load())
}

// TestFairness floods one stream while another sends a line every 50 ms: none of the latter waits > 1 s.
func TestFairness(t *testing.T) {
	s := openStore(t)
	var mu sync.Mutex
	submitted := map[string]time.Time{}
	var worst time.Duration
	var seen atomic.Int64
	opts := ingest.Options{MaxSpoolBytes: 64 << 20, OnCommit: func(ips []string) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, ip := range ips {
			if t0, ok := submitted[ip]; ok {
				if d := now.Sub(t0); d > worst {
					worst = d
				}
				delete(submitted, ip)
				seen.Add(1)
			}
		}
	}}
	p, err := ingest.New(context.Background(), s, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var flooded int
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ls := make([]ingest.Line, 256)
			for k := range ls {
				ls[k] = ingest.Line{Stream: "flood", Decky: "d1", Service: "http",
					Text: fmt.Sprintf(`<134>1 2026-04-04T10:00:00Z x http - request [relay@55555 src_ip="10.2.0.1" n="f%d"]`, flooded)}
				flooded++
			}
			p.Submit(ls...)
		}
	}()
	const quiet = 40
	for i := 0; i < quiet; i++ {
		ip := fmt.Sprintf("10.3.0.%d", i+1)
		mu.Lock()
		submitted[ip] = time.Now()
		mu.Unlock()
		p.Submit(ingest.Line{Stream: "quiet", Decky: "d2", Service: "ssh",
			Text: fmt.Sprintf(`<134>1 2026-04-04T10:00:00Z x ssh - auth_attempt [relay@55555 src_ip="%s"]`, ip)})
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1100 * time.Millisecond)
	close(stop)
	wg.Wait()
	mu.Lock()
	w, left := worst, len(submitted)
	mu.Unlock()
	st := p.Stats()
	p.Abort()
	t.Logf("flooded %d lines, committed %d, spool drops %d; quiet stream worst latency %s", flooded, st.Committed,
		st.Streams["flood"].Dropped, w)
	if left != 0 || seen.Load() != quiet {
		t.Fatalf("%d quiet lines not committed within 1.1 s", left)
	}
	if w > time.Second {
		t.Fatalf("quiet stream delayed %s by the flood", w)
	}
	if st.Streams["flood"].Dropped != st.SpoolDropped || st.Streams["quiet"].Dropped != 0 {
		t.Fatalf("drops not attributed per stream: %+v", st)
	}
}
