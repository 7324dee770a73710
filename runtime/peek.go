package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/fifo"
	"golang.org/x/sys/unix"
)

// Sink persists container lines (see WithSink).
type Sink interface {
	// Submit persists the lines of one FIFO read before returning. It is called by one reader per stream,
	// concurrently for different streams, and must not keep the slice.
	Submit(lines []Line)
	// Respooled returns how many leading lines of the first read of a stream (after a start or a re-attach)
	// the sink already persisted: a reader that died between Submit and consuming its read from the FIFO
	// leaves them at the FIFO's head.
	Respooled(lines []Line) int
}

// peekSize is the most a FIFO read looks at (a pipe's default capacity).
const peekSize = 64 << 10

// taskIO is a task's stdio with stdout read by a peekReader: Wait returns once both streams are drained.
type taskIO struct {
	*cio.DirectIO
	wg sync.WaitGroup
}

// Wait waits for the readers to reach the end of their FIFOs.
func (t *taskIO) Wait() { t.wg.Wait() }

// taskCreator returns the cio.Creator of a new task of p: FIFOs under the decky's FIFO dir, stdout read by a
// peekReader into the sink, stderr copied into its line writer.
func (r *Runtime) taskCreator(p *proc) cio.Creator {
	return func(id string) (cio.IO, error) {
		fifos, err := cio.NewFIFOSetInDir(filepath.Join(r.o.fifoRoot(), p.decky), id, false)
		if err != nil {
			return nil, fmt.Errorf("%s: fifos: %w", p.id, err)
		}
		return r.openTaskIO(p, fifos)
	}
}

// taskAttach returns the cio.Attach of p's running task, read like taskCreator's.
func (r *Runtime) taskAttach(p *proc) cio.Attach {
	return func(fifos *cio.FIFOSet) (cio.IO, error) {
		if fifos == nil {
			return nil, fmt.Errorf("%s: cannot attach, missing fifos", p.id)
		}
		return r.openTaskIO(p, fifos)
	}
}

func (r *Runtime) openTaskIO(p *proc, fifos *cio.FIFOSet) (cio.IO, error) {
	fifos.Stdin = ""
	dio, err := cio.NewDirectIO(context.Background(), fifos)
	if err != nil {
		return nil, fmt.Errorf("%s: open fifos: %w", p.id, err)
	}
	out, errw := r.streams(p)
	t := &taskIO{DirectIO: dio}
	if dio.Stdout != nil {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			if err := r.peekReader(out, dio.Stdout); err != nil && !errors.Is(err, context.Canceled) {
				r.log.Warn("stdout reader", "container", p.id, "err", err)
			}
		}()
	}
	if dio.Stderr != nil {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			_, _ = io.Copy(errw, dio.Stderr)
		}()
	}
	return t, nil
}

// peekReader reads a stdout FIFO without losing a line if decnetd dies: it copies what the FIFO holds into a
// private pipe without consuming it (tee(2)), hands the complete lines to the sink through w, and only then
// consumes those bytes. On its first read it skips the lines the sink reports as already persisted. A trailing
// partial line is consumed into w's carry like any stream reader would (lines are written whole, so this is
// rare). It returns at the FIFO's end (no writer left) or when the FIFO is closed.
func (r *Runtime) peekReader(w *lineWriter, f io.ReadCloser) error {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return fmt.Errorf("fifo %T has no file descriptor", f)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("fifo fd: %w", err)
	}
	var pp [2]int
	if err := unix.Pipe2(pp[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("peek pipe: %w", err)
	}
	defer unix.Close(pp[0])
	defer unix.Close(pp[1])
	buf := make([]byte, peekSize)
	first := true
	for {
		var n int
		var terr error
		err := rc.Read(func(fd uintptr) bool {
			var m int64
			m, terr = unix.Tee(int(fd), pp[1], peekSize, unix.SPLICE_F_NONBLOCK)
			n = int(m)
			return terr != unix.EAGAIN
		})
		if err != nil {
			return ignoreClosed(err)
		}
		if terr != nil {
			return fmt.Errorf("tee fifo: %w", terr)
		}
		if n == 0 {
			return nil // no writer left
		}
		if _, err := io.ReadFull(fdReader(pp[0]), buf[:n]); err != nil {
			return fmt.Errorf("read peek pipe: %w", err)
		}
		data := buf[:n]
		use := len(data)
		if k := bytes.LastIndexByte(data, '\n'); k >= 0 {
			use = k + 1
		}
		skip := 0
		if first {
			first = false
			skip = r.respooled(w, data[:use])
		}
		if _, err := w.Write(data[skip:use]); err != nil {
			return err
		}
		if err := consume(rc, buf, use); err != nil {
			return err
		}
	}
}

// respooled returns the byte length of the leading lines of data that the sink already persisted.
func (r *Runtime) respooled(w *lineWriter, data []byte) int {
	var lines []Line
	var ends []int
	for off := 0; off < len(data); {
		k := bytes.IndexByte(data[off:], '\n')
		if k < 0 {
			break
		}
		text := bytes.TrimSuffix(data[off:off+k], []byte{'\r'})
		lines = append(lines, w.line(text))
		off += k + 1
		ends = append(ends, off)
	}
	if len(lines) == 0 {
		return 0
	}
	m := r.o.sink.Respooled(lines)
	if m <= 0 {
		return 0
	}
	r.log.Info("skipped lines already stored before a restart", "container", w.p.id, "lines", m)
	return ends[min(m, len(ends))-1]
}

// consume reads and discards n bytes from the FIFO behind rc (they were peeked, so they are there).
func consume(rc syscall.RawConn, buf []byte, n int) error {
	for n > 0 {
		var m int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			m, rerr = unix.Read(int(fd), buf[:n])
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return ignoreClosed(err)
		}
		if rerr != nil {
			return fmt.Errorf("consume fifo: %w", rerr)
		}
		if m == 0 {
			return errors.New("consume fifo: unexpected end")
		}
		n -= m
	}
	return nil
}

// fdReader reads a raw (blocking) file descriptor.
type fdReader int

func (f fdReader) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(f), b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// ignoreClosed maps the error of a read on a FIFO closed under it (task deleted, runtime closing) to nil.
func ignoreClosed(err error) error {
	if errors.Is(err, os.ErrClosed) || errors.Is(err, fifo.ErrReadClosed) || errors.Is(err, fifo.ErrClosed) {
		return nil
	}
	return err
}
