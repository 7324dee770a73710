package runtime

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/decnet/decnet/event"
)

// maxLineLen caps one delivered line; longer output is split.
const maxLineLen = 64 << 10

// proc is one supervised container (sandbox or service) and its current task.
type proc struct {
	id, decky, service, role, hash string
	ctr                            client.Container

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the supervisor (or a failed launch) is finished

	// Owned by the supervisor goroutine until done is closed.
	task     client.Task
	exitCh   <-chan client.ExitStatus
	started  time.Time
	restarts int
	stdout   *lineWriter
	stderr   *lineWriter
}

func (r *Runtime) newProc(decky, service, role string, c client.Container) *proc {
	ctx, cancel := context.WithCancel(r.ctx)
	return &proc{id: c.ID(), decky: decky, service: service, role: role, ctr: c, ctx: ctx, cancel: cancel,
		done: make(chan struct{})}
}

// stopSupervisor ends supervision (the task keeps running) and waits for the supervisor to finish.
func (p *proc) stopSupervisor() {
	p.cancel()
	<-p.done
}

// launch starts a new task for p, or supervises the already attached task, then hands p to a
// supervisor goroutine. On error p.done is closed and nothing runs.
func (r *Runtime) launch(_ context.Context, p *proc, attached client.Task) error {
	if attached == nil {
		if err := r.startTask(p); err != nil {
			close(p.done)
			return err
		}
	} else {
		exitCh, err := attached.Wait(p.ctx)
		if err != nil {
			close(p.done)
			return fmt.Errorf("%s: wait: %w", p.id, err)
		}
		p.task, p.exitCh, p.started = attached, exitCh, time.Now()
	}
	go r.supervise(p)
	return nil
}

// streams returns fresh line writers for a task of p.
func (r *Runtime) streams(p *proc) (*lineWriter, *lineWriter) {
	p.stdout = &lineWriter{r: r, p: p, stream: "stdout"}
	p.stderr = &lineWriter{r: r, p: p, stream: "stderr"}
	return p.stdout, p.stderr
}

// startTask creates and starts a task for p with FIFO stdio under the decky's FIFO dir.
func (r *Runtime) startTask(p *proc) error {
	creator := r.taskCreator(p)
	t, err := p.ctr.NewTask(p.ctx, creator)
	if errdefs.IsAlreadyExists(err) {
		// A stale task (e.g. left stopped by a dead daemon): remove it and try once more.
		if old, lerr := p.ctr.Task(p.ctx, nil); lerr == nil {
			r.killTask(p.ctx, old)
		}
		t, err = p.ctr.NewTask(p.ctx, creator)
	}
	if err != nil {
		return fmt.Errorf("%s: new task: %w", p.id, err)
	}
	exitCh, err := t.Wait(p.ctx)
	if err != nil {
		t.Delete(context.WithoutCancel(p.ctx))
		return fmt.Errorf("%s: wait: %w", p.id, err)
	}
	if err := t.Start(p.ctx); err != nil {
		t.Delete(context.WithoutCancel(p.ctx), client.WithProcessKill)
		return fmt.Errorf("%s: start: %w", p.id, err)
	}
	p.task, p.exitCh, p.started = t, exitCh, time.Now()
	return nil
}

// supervise restarts p's task whenever it exits, with exponential backoff (reset after a stable run),
// and reports each restart of a service as a service_restarted event line.
func (r *Runtime) supervise(p *proc) {
	defer close(p.done)
	var backoff time.Duration
	for {
		var st client.ExitStatus
		select {
		case st = <-p.exitCh:
		case <-p.ctx.Done():
			return
		}
		if p.ctx.Err() != nil {
			return
		}
		code := st.ExitCode()
		ran := time.Since(p.started)
		if _, err := p.task.Delete(p.ctx); err != nil && !errdefs.IsNotFound(err) {
			if p.ctx.Err() != nil {
				return
			}
			r.log.Warn("delete exited task", "container", p.id, "err", err)
		} else {
			p.task = nil
		}
		p.stdout.flush()
		p.stderr.flush()
		if backoff == 0 || ran >= r.o.stableAfter {
			backoff = r.o.backoffMin
		} else {
			backoff = min(2*backoff, r.o.backoffMax)
		}
		p.restarts++
		r.log.Warn("task exited, restarting", "container", p.id, "exit_code", code, "restarts", p.restarts, "backoff", backoff)
		if p.role == RoleService {
			ev := event.Event{Severity: event.Warning, Hostname: p.decky, App: "runtime", Type: "service_restarted",
				Fields: []event.Field{event.F("service", p.service), event.F("exit_code", code),
					event.F("restarts", p.restarts), event.F("backoff_s", backoff.Seconds())},
				Msg: fmt.Sprintf("service %s exited with code %d, restarting in %s", p.service, code, backoff)}
			r.deliver([]Line{{Decky: p.decky, Service: p.service, Container: p.id, Stream: "stdout", Text: string(ev.Encode())}})
		}
		for {
			select {
			case <-time.After(backoff):
			case <-p.ctx.Done():
				return
			}
			err := r.startTask(p)
			if err == nil {
				break
			}
			if p.ctx.Err() != nil {
				return
			}
			backoff = min(2*backoff, r.o.backoffMax)
			r.log.Error("restart task", "container", p.id, "err", err, "next_try", backoff)
		}
	}
}

// deliver hands lines to the sink and reports whether the runtime was still open throughout: a reader then
// consumes them from its FIFO. A submission that overlapped Close is left in the FIFO; the next reader's
// Respooled skips what of it was persisted.
func (r *Runtime) deliver(lines []Line) bool {
	r.delivering.RLock()
	defer r.delivering.RUnlock()
	if r.ctx.Err() != nil {
		return false
	}
	r.o.sink.Submit(lines)
	return r.ctx.Err() == nil
}

// outputSink is the sink of a runtime without WithSink: lines go to the WithOutput channel (until done), or
// to the debug log when there is none. It never recognises re-read lines.
type outputSink struct {
	ch   chan<- Line
	done <-chan struct{}
	log  *slog.Logger
}

func (s outputSink) Submit(lines []Line) {
	for _, l := range lines {
		if s.ch == nil {
			s.log.Debug("container line", "container", l.Container, "stream", l.Stream, "text", l.Text)
			continue
		}
		select {
		case s.ch <- l:
		case <-s.done:
			return
		}
	}
}

func (outputSink) Respooled([]Line) int { return 0 }

// lineWriter splits a task stream into lines and delivers the complete lines of each Write at once. Write
// blocks while the consumer is slow, which back-pressures the container through its FIFO instead of dropping
// lines.
type lineWriter struct {
	r      *Runtime
	p      *proc
	stream string
	mu     sync.Mutex
	buf    []byte // partial line carried to the next Write
	out    []Line // lines of the current Write
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	w.out = w.out[:0]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.buf = append(w.buf, b...)
			for len(w.buf) >= maxLineLen {
				w.emit(w.buf[:maxLineLen])
				w.buf = append(w.buf[:0], w.buf[maxLineLen:]...)
			}
			break
		}
		line := b[:i]
		b = b[i+1:]
		if len(w.buf) > 0 {
			w.buf = append(w.buf, line...)
			line = w.buf
		}
		w.emit(line)
		w.buf = w.buf[:0]
	}
	if len(w.out) > 0 && !w.r.deliver(w.out) {
		return 0, context.Canceled
	}
	return n, nil
}

// emit queues line (in chunks of at most maxLineLen) for delivery.
func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	for {
		chunk := line[:min(len(line), maxLineLen)]
		w.out = append(w.out, w.line(chunk))
		line = line[len(chunk):]
		if len(line) == 0 {
			return
		}
	}
}

// line returns text as a line of w's stream.
func (w *lineWriter) line(text []byte) Line {
	return Line{Decky: w.p.decky, Service: w.p.service, Container: w.p.id, Stream: w.stream, Text: string(text)}
}

// flush delivers a trailing partial line.
func (w *lineWriter) flush() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.out = w.out[:0]
		w.emit(w.buf)
		w.r.deliver(w.out)
		w.buf = w.buf[:0]
	}
}
