package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// deckyBin is the decky binary built once by TestMain (CGO_ENABLED=0, like production).
var deckyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "decky-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	deckyBin = filepath.Join(dir, "decky")
	build := exec.Command("go", "build", "-o", deckyBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build decky:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// registered returns the services with an emulator in this build (the binary links the same set).
func registered(t *testing.T) []string {
	t.Helper()
	names := services.Names()
	if len(names) == 0 {
		t.Fatal("no emulator registered in this build")
	}
	return names
}

// Port offsets: every running decky gets an offset ≥ 20000 at which all its declared ports are free
// (checked with a bind probe) and not reserved by another decky of this test process.
var (
	portMu   sync.Mutex
	reserved = map[string]bool{} // "tcp/PORT", "udp/PORT"
	nextOff  = 20000 + rand.IntN(3000)
)

// allocOffset picks a port offset for svc whose TCP and UDP ports are free on 127.0.0.1.
func allocOffset(t *testing.T, svc string) int {
	t.Helper()
	cs, ok := conf.LookupService(svc)
	if !ok {
		t.Fatalf("service %s is not in the catalogue", svc)
	}
	portMu.Lock()
	defer portMu.Unlock()
	for off := nextOff; off < 40000; off++ {
		if !portsFree(cs, off) {
			continue
		}
		for _, p := range cs.TCP {
			reserved["tcp/"+strconv.Itoa(p+off)] = true
		}
		for _, p := range cs.UDP {
			reserved["udp/"+strconv.Itoa(p+off)] = true
		}
		nextOff = off + 1
		return off
	}
	t.Fatalf("no free port offset for %s", svc)
	return 0
}

func portsFree(cs conf.Service, off int) bool {
	for _, p := range cs.TCP {
		port := p + off
		if port > 65535 || reserved["tcp/"+strconv.Itoa(port)] {
			return false
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	for _, p := range cs.UDP {
		port := p + off
		if port > 65535 || reserved["udp/"+strconv.Itoa(port)] {
			return false
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return false
		}
		pc.Close()
	}
	return true
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and concurrent readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is one running decky subprocess whose stdout is collected line by line.
type proc struct {
	cmd    *exec.Cmd
	stderr lockedBuffer

	mu      sync.Mutex
	lines   []string // complete stdout lines, without LF
	partial string   // bytes after the last LF once stdout closed
	changed chan struct{}

	done    chan struct{} // closed when the process has exited and stdout is drained
	waitErr error
}

// startDecky runs the decky binary with args and extra environment (KEY=VALUE) and collects its output.
// The process is killed at the end of the test if it is still running.
func startDecky(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(deckyBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	p := &proc{cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start decky %v: %v", args, err)
	}
	go func() {
		r := bufio.NewReaderSize(out, 64<<10)
		for {
			line, err := r.ReadString('\n')
			p.mu.Lock()
			if strings.HasSuffix(line, "\n") {
				p.lines = append(p.lines, strings.TrimSuffix(line, "\n"))
			} else {
				p.partial += line
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			if err != nil {
				break
			}
		}
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("decky %v stderr:\n%s", args, tail(p.stderr.String(), 4000))
		}
	})
	return p
}

// cleanEnv returns the test's environment without DECNET_* variables, so only what a test sets applies.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DECNET_") {
			out = append(out, kv)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Lines returns a copy of the complete stdout lines so far.
func (p *proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitEvent waits for a stdout line that parses as an event of type typ and returns it.
func (p *proc) waitEvent(t *testing.T, timeout time.Duration, typ string) event.Record {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		lines, ch := p.lines, p.changed
		p.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if r, err := event.Parse(lines[seen], time.Now()); err == nil && r.EventType == typ {
				return r
			}
		}
		select {
		case <-ch:
		case <-p.done:
			p.mu.Lock()
			n := len(p.lines)
			p.mu.Unlock()
			if n == seen {
				t.Fatalf("decky exited (%v) before a %q event; stdout %q; stderr:\n%s", p.waitErr, typ, lines, tail(p.stderr.String(), 2000))
			}
		case <-deadline.C:
			t.Fatalf("no %q event within %v; stdout %q; stderr:\n%s", typ, timeout, lines, tail(p.stderr.String(), 2000))
		}
	}
}

// stop sends SIGTERM and returns the exit code and how long the process took to end (capped by max,
// after which it is killed and the test fails).
func (p *proc) stop(t *testing.T, max time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(max):
		// SIGQUIT makes the Go runtime dump every goroutine to stderr: show what blocked the shutdown.
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Fatalf("decky did not exit within %v of SIGTERM; goroutines:\n%s", max, goroutineDump(p.stderr.String()))
	}
	if s := p.stderr.String(); strings.Contains(s, "handlers still running") {
		t.Errorf("a handler ignored the shutdown (decky exited only through its grace period):\n%s", tail(s[strings.Index(s, "handlers still running"):], 6000))
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// checkStdout parses every stdout line as an RFC 5424 event of service svc from decky name decky.
func (p *proc) checkStdout(t *testing.T, svc, decky string) {
	t.Helper()
	p.mu.Lock()
	lines, partial := append([]string(nil), p.lines...), p.partial
	p.mu.Unlock()
	if partial != "" {
		t.Errorf("stdout ends with an unterminated line %q", tail(partial, 200))
	}
	for i, l := range lines {
		r, err := event.Parse(l, time.Now())
		if err != nil {
			t.Errorf("stdout line %d is not RFC 5424 (%v): %q", i+1, err, tail(l, 300))
			continue
		}
		if r.Decky != decky || r.Service != svc {
			t.Errorf("stdout line %d: HOSTNAME %q APP-NAME %q, want %q %q: %q", i+1, r.Decky, r.Service, decky, svc, tail(l, 300))
		}
		if !r.TimeValid {
			t.Errorf("stdout line %d has no valid timestamp: %q", i+1, tail(l, 300))
		}
	}
}

// serveDecky starts `decky serve svc` on 127.0.0.1 at a free offset with the given extra args and waits
// for its startup event.
func serveDecky(t *testing.T, svc string, extra ...string) (*proc, int) {
	t.Helper()
	off := allocOffset(t, svc)
	args := append([]string{"serve", svc, "--decky", "d1", "--hostname", "SRV-X-42", "--bind", "127.0.0.1",
		"--port-offset", strconv.Itoa(off), "--artifacts", t.TempDir()}, extra...)
	p := startDecky(t, nil, args...)
	p.waitEvent(t, 30*time.Second, "startup")
	return p, off
}

// runDecky runs the binary to completion (for commands that must fail fast) and returns its exit code,
// stdout and stderr.
func runDecky(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, deckyBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("decky %v still running after 20 s (expected it to fail fast); stderr %q", args, errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run decky %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// dial connects to a loopback port with a short timeout.
func dial(port int) (net.Conn, error) {
	return net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 3*time.Second)
}

// readAtLeast reads until n bytes or the deadline.
func readAtLeast(c net.Conn, n int, d time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, n)
	k, err := io.ReadAtLeast(c, buf, n)
	return buf[:k], err
}

// net4Dial connects to host:port with a short timeout.
func net4Dial(host string, port int) (net.Conn, error) {
	return net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 2*time.Second)
}

// goroutineDump returns the goroutine dump of a SIGQUIT in stderr, without the idle runtime goroutines.
func goroutineDump(stderr string) string {
	i := strings.Index(stderr, "SIGQUIT")
	if i < 0 {
		return tail(stderr, 4000)
	}
	var keep []string
	for _, g := range strings.Split(stderr[i:], "\n\n") {
		if strings.Contains(g, "decnet/") {
			keep = append(keep, g)
		}
	}
	return tail(strings.Join(keep, "\n\n"), 20000)
}
