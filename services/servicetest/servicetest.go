// Package servicetest runs an emulator in-process on loopback for tests: it picks a free port offset,
// captures the emitted event lines and stops the emulator at the end of the test.
package servicetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/services"
)

// Instance is a running emulator.
type Instance struct {
	Env    *services.Env
	Offset int
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// Option adjusts the Env before the emulator starts.
type Option func(*services.Env)

// WithPersona sets persona values (already typed).
func WithPersona(p map[string]any) Option { return func(e *services.Env) { e.Persona = p } }

// Start runs the emulator registered as slug on 127.0.0.1 and waits for its startup event.
// The decky is "decky-test", hostname "SRV-TEST-42", distro debian, unless options say otherwise.
func Start(t testing.TB, slug string, opts ...Option) *Instance {
	t.Helper()
	f, ok := services.Lookup(slug)
	if !ok {
		t.Fatalf("no emulator registered for %q", slug)
	}
	svc, ok := conf.LookupService(slug)
	if !ok {
		t.Fatalf("service %q not in the catalogue", slug)
	}
	out := &syncBuffer{}
	env := services.NewEnv(slug, out)
	env.Decky = "decky-test"
	env.Hostname = "SRV-TEST-42"
	env.Distro, _ = conf.LookupDistro("debian")
	env.NmapOS = "linux"
	env.Bind = "127.0.0.1"
	env.Artifacts = t.TempDir()
	env.Log = testLogger(t)
	for _, o := range opts {
		o(env)
	}
	env.PortOffset = freeOffset(t, svc)
	ctx, cancel := context.WithCancel(context.Background())
	in := &Instance{Env: env, Offset: env.PortOffset, out: out, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- f().Serve(ctx, env) }()
	t.Cleanup(func() { in.Stop(t) })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), " startup ") {
		select {
		case err := <-in.done:
			t.Fatalf("%s exited before startup: %v", slug, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no startup event within 10s; output: %s", slug, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return in
}

// Addr returns 127.0.0.1:<declared port + offset>.
func (in *Instance) Addr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port+in.Offset))
}

// Port returns the real port of a declared port.
func (in *Instance) Port(port int) int { return port + in.Offset }

// Lines returns every event line emitted so far.
func (in *Instance) Lines() []string {
	s := strings.TrimRight(in.out.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// WaitFor waits until a line satisfying pred was emitted and returns it.
func (in *Instance) WaitFor(t testing.TB, timeout time.Duration, pred func(line string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range in.Lines() {
			if pred(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching event line within %v; lines:\n%s", timeout, in.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitType waits for the first line whose MSGID is typ and returns it.
func (in *Instance) WaitType(t testing.TB, timeout time.Duration, typ string) string {
	t.Helper()
	return in.WaitFor(t, timeout, func(l string) bool { return MsgID(l) == typ })
}

// MsgID returns the MSGID (6th header token) of an RFC 5424 line.
func MsgID(line string) string {
	parts := strings.SplitN(line, " ", 7)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}

// Stop cancels the emulator and waits for Serve to return.
func (in *Instance) Stop(t testing.TB) {
	in.cancel()
	select {
	case err, ok := <-in.done:
		if ok && err != nil {
			t.Errorf("%s Serve returned: %v", in.Env.Service, err)
		}
		close(in.done)
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10s", in.Env.Service)
	}
}

func freeOffset(t testing.TB, svc conf.Service) int {
	for range 200 {
		off := 20000 + rand.IntN(30000)
		if portsFree(svc, off) {
			return off
		}
	}
	t.Fatalf("no free port offset for %s", svc.Name)
	return 0
}

func portsFree(svc conf.Service, off int) bool {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for _, p := range svc.TCP {
		if p+off > 65535 {
			return false
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+off))
		if err != nil {
			return false
		}
		closers = append(closers, l.Close)
	}
	for _, p := range svc.UDP {
		if p+off > 65535 {
			return false
		}
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+off))
		if err != nil {
			return false
		}
		closers = append(closers, c.Close)
	}
	return true
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Count returns how many emitted lines have MSGID typ.
func (in *Instance) Count(typ string) int {
	n := 0
	for _, l := range in.Lines() {
		if MsgID(l) == typ {
			n++
		}
	}
	return n
}
