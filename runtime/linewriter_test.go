package runtime

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// sinkFunc is a Sink that never reports re-read lines.
type sinkFunc func([]Line)

func (f sinkFunc) Submit(ls []Line)      { f(ls) }
func (sinkFunc) Respooled(ls []Line) int { return 0 }

// With a sink, each Write hands over the complete lines it holds in one call, carries a partial line to the
// next Write and splits over-long lines; once the runtime is closed nothing more reaches the sink.
func TestLineWriterSink(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls [][]string
	r := &Runtime{ctx: ctx, stop: cancel, log: slog.Default(), o: options{sink: sinkFunc(func(ls []Line) {
		var texts []string
		for _, l := range ls {
			if l.Decky != "d1" || l.Service != "ssh" || l.Container != "d1-ssh" || l.Stream != "stdout" {
				t.Errorf("line attribution %+v", l)
			}
			texts = append(texts, l.Text)
		}
		calls = append(calls, texts)
	})}}
	w := &lineWriter{r: r, p: &proc{id: "d1-ssh", decky: "d1", service: "ssh"}, stream: "stdout"}
	long := strings.Repeat("x", maxLineLen+10)
	writes := []string{"a\nb\r\npart", "ial\n", "no newline yet", "\n" + long + "\n"}
	for _, s := range writes {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	w.flush()
	cancel()
	if _, err := w.Write([]byte("after close\n")); err == nil {
		t.Fatal("Write after the runtime closed handed lines to the sink")
	}
	want := [][]string{{"a", "b"}, {"partial"}, {"no newline yet", long[:maxLineLen], long[maxLineLen:]}}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("sink calls %q, want %q", calls, want)
	}
}
