package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/ingest"
	"github.com/jackc/pgx/v5"
)

func benchLine(i int, n string) string {
	return fmt.Sprintf(`<134>1 2026-04-04T10:00:%02d.%06dZ decky-01 http - request [relay@55555 src_ip="10.%d.%d.%d" src_port="%d" method="GET" path="/index.html" n="%s"] GET /index.html`,
		i/1000000%60, i%1000000, (i>>16)&255, (i>>8)&255, i&255, 1024+i%60000, n)
}

// pump reads a pipe like the collector reads a task FIFO: one Submit per read.
func pump(r io.Reader, p *ingest.Pipeline, stream string) {
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := append(carry, buf[:n]...)
			last := bytes.LastIndexByte(data, '\n')
			if last >= 0 {
				var ls []ingest.Line
				for _, l := range bytes.Split(data[:last], []byte{'\n'}) {
					ls = append(ls, ingest.Line{Stream: stream, Decky: "decky-01", Service: "http", Text: string(l)})
				}
				p.Submit(ls...)
				carry = append(carry[:0:0], data[last+1:]...)
			} else {
				carry = data
			}
		}
		if err != nil {
			return
		}
	}
}

// BenchmarkIngestThroughput: sustained events/s from a pipe to committed rows, against the floor of raw pgx
// COPY of the same rows (1000-row COPY transactions) in the same run.
func BenchmarkIngestThroughput(b *testing.B) {
	const n = 200000
	lines := make([]string, n)
	var payload bytes.Buffer
	for i := range lines {
		lines[i] = benchLine(i, strconv.Itoa(i))
		payload.WriteString(lines[i])
		payload.WriteByte('\n')
	}
	ctx := context.Background()
	for it := 0; it < b.N; it++ {
		// Floor: raw COPY of the parsed rows.
		floorStore := openStore(b)
		rows := make([][]any, n)
		for i, l := range lines {
			r, _ := event.Parse(l, time.Now())
			fj, _ := json.Marshal(r.Fields)
			rows[i] = []any{r.Timestamp, r.Decky, r.Service, r.EventType, netip.MustParseAddr(r.AttackerIP), r.RawLine, fj, r.Msg}
		}
		conn, err := floorStore.Pool().Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for off := 0; off < n; off += 1000 {
			_, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{"logs"},
				[]string{"timestamp", "decky", "service", "event_type", "attacker_ip", "raw_line", "fields", "msg"},
				pgx.CopyFromRows(rows[off:off+1000]))
			if err != nil {
				b.Fatal(err)
			}
		}
		floor := float64(n) / time.Since(t0).Seconds()
		conn.Release()

		// Pipeline: pipe → Submit → spool → batcher → COPY transaction.
		s := openStore(b)
		p, err := ingest.New(ctx, s, b.TempDir(), ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		go func() { _, _ = w.Write(payload.Bytes()); w.Close() }()
		go pump(r, p, "bench")
		for p.Stats().Committed < n {
			time.Sleep(5 * time.Millisecond)
		}
		rate := float64(n) / time.Since(t1).Seconds()
		r.Close()
		if err := p.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if got := count(b, s, "SELECT count(*) FROM logs"); got != n {
			b.Fatalf("rows %d, want %d", got, n)
		}
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(floor, "floor_events/s")
		b.ReportMetric(rate/floor, "ratio")
	}
}

// BenchmarkIngestLatency: p99 from line written to the pipe to row committed (bus event), at 5,000 events/s.
func BenchmarkIngestLatency(b *testing.B) {
	const rate, dur = 5000, 5 * time.Second
	ctx := context.Background()
	for it := 0; it < b.N; it++ {
		s := openStore(b)
		bus := ingest.NewBus()
		sub := bus.Subscribe(1 << 20)
		p, err := ingest.New(ctx, s, b.TempDir(), ingest.Options{Bus: bus})
		if err != nil {
			b.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		go pump(r, p, "lat")
		total := int(rate * dur / time.Second)
		go func() {
			start := time.Now()
			for i := 0; i < total; i += 50 { // 50 lines every 10 ms
				if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
					time.Sleep(d)
				}
				var chunk bytes.Buffer
				for k := i; k < i+50 && k < total; k++ {
					chunk.WriteString(benchLine(k, strconv.FormatInt(time.Now().UnixNano(), 10)))
					chunk.WriteByte('\n')
				}
				_, _ = w.Write(chunk.Bytes())
			}
			w.Close()
		}()
		lat := make([]time.Duration, 0, total)
		for len(lat) < total {
			select {
			case e := <-sub.C:
				sent, _ := strconv.ParseInt(e.Record.Fields["n"], 10, 64)
				lat = append(lat, time.Since(time.Unix(0, sent)))
			case <-time.After(10 * time.Second):
				b.Fatalf("only %d of %d events committed", len(lat), total)
			}
		}
		r.Close()
		_ = p.Close(ctx)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
	}
}
