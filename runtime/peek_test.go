package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/fifo"
)

// spoolSink persists lines in memory and, like the ingest spool, knows the last line it stored. With crashAt
// set, the Submit that stores that line ends its reader goroutine right after storing, before the reader
// consumes the read from the FIFO: what a kill -9 of decnetd at that instant leaves behind.
type spoolSink struct {
	mu      sync.Mutex
	stored  []string
	crashAt string
}

func (s *spoolSink) Submit(ls []Line) {
	s.mu.Lock()
	crash := false
	for _, l := range ls {
		s.stored = append(s.stored, l.Text)
		crash = crash || (s.crashAt != "" && l.Text == s.crashAt)
	}
	s.mu.Unlock()
	if crash {
		goruntime.Goexit()
	}
}

func (s *spoolSink) Respooled(ls []Line) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stored) == 0 {
		return 0
	}
	last := s.stored[len(s.stored)-1]
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Text == last {
			return i + 1
		}
	}
	return 0
}

// readFIFO runs a peekReader on path until it returns (or its goroutine "crashes").
func readFIFO(t *testing.T, path string, sink *spoolSink) (done chan error, f interface{ Close() error }) {
	t.Helper()
	rf, err := fifo.OpenFifo(context.Background(), path, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_NONBLOCK, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{ctx: context.Background(), log: slog.Default(), o: options{sink: sink}}
	w := &lineWriter{r: r, p: &proc{id: "d1-http", decky: "d1", service: "http"}, stream: "stdout"}
	done = make(chan error, 1)
	go func() {
		defer close(done)
		done <- r.peekReader(w, rf)
	}()
	return done, rf
}

// A reader that dies after its sink stored a read but before consuming it leaves that read in the FIFO; the
// next reader skips exactly the stored lines: every line is stored once, in order.
func TestPeekReaderCrashBetweenSubmitAndConsume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d1-http-stdout")
	sink := &spoolSink{crashAt: "line 6"}
	done, rf := readFIFO(t, path, sink)
	// Like containerd's shim: a read end that is never read keeps writes from failing while no reader runs.
	hold, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	wf, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer wf.Close()
	write := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := fmt.Fprintf(wf, "line %d\n", i); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	write(1, 6)
	select {
	case <-done: // the reader goroutine ended inside Submit("line 6")
	case <-time.After(10 * time.Second):
		t.Fatal("first reader did not reach line 6")
	}
	rf.Close()
	write(7, 9) // written while no reader runs: stays in the FIFO behind the unconsumed read

	sink.crashAt = ""
	done, rf = readFIFO(t, path, sink)
	defer rf.Close()
	write(10, 12)
	wf.Close() // no writer left: the reader returns at the end
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second reader: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second reader did not finish")
	}
	var want []string
	for i := 1; i <= 12; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if fmt.Sprint(sink.stored) != fmt.Sprint(want) {
		t.Fatalf("stored %q\nwant   %q", sink.stored, want)
	}
}

// BenchmarkFIFORead: lines/s from a FIFO to a sink, through the peek reader (tee, submit, consume) against a
// plain read loop (io.Copy into the same line writer) as the baseline.
func BenchmarkFIFORead(b *testing.B) {
	const n = 100_000
	payload := []byte{}
	for i := 0; i < n; i++ {
		payload = fmt.Appendf(payload, `<134>1 2026-04-04T10:00:00.%06dZ d1 http - request [relay@55555 src_ip="10.213.0.9" path="/%d"] GET /`+"\n", i%1000000, i)
	}
	for _, mode := range []string{"peek", "copy"} {
		b.Run(mode, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				path := filepath.Join(b.TempDir(), "stdout")
				rf, err := fifo.OpenFifo(context.Background(), path, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_NONBLOCK, 0o700)
				if err != nil {
					b.Fatal(err)
				}
				var lines int
				r := &Runtime{ctx: context.Background(), log: slog.Default(), o: options{sink: sinkFunc(func(ls []Line) { lines += len(ls) })}}
				w := &lineWriter{r: r, p: &proc{id: "d1-http", decky: "d1", service: "http"}, stream: "stdout"}
				wf, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				go func() { _, _ = wf.Write(payload); wf.Close() }()
				start := time.Now()
				if mode == "peek" {
					err = r.peekReader(w, rf)
				} else {
					_, err = io.Copy(w, rf)
				}
				if err != nil || lines != n {
					b.Fatalf("%v, %d lines", err, lines)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "lines/s")
				rf.Close()
			}
		})
	}
}
