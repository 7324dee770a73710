package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/decnet/decnet/images"
	"github.com/decnet/decnet/lab"
	"github.com/decnet/decnet/netns"
	"github.com/decnet/decnet/runtime/testenv"
)

// collector drains a Line channel into memory.
type collector struct {
	ch    chan Line
	mu    sync.Mutex
	lines []Line
	cond  *sync.Cond
}

func newCollector(t testing.TB) *collector {
	c := &collector{ch: make(chan Line, 16)}
	c.cond = sync.NewCond(&c.mu)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case l := <-c.ch:
				c.mu.Lock()
				c.lines = append(c.lines, l)
				c.cond.Broadcast()
				c.mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
	return c
}

// waitFor returns the first line (in arrival order) matching pred, waiting up to d.
func (c *collector) waitFor(t testing.TB, d time.Duration, what string, pred func(Line) bool) Line {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for _, l := range c.lines {
			if pred(l) {
				c.mu.Unlock()
				return l
			}
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Fatalf("no line %s within %s; got %d lines: %+v", what, d, len(c.lines), tail(c.lines, 10))
	return Line{}
}

func tail(l []Line, n int) []Line {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

// fixture is a private containerd, a unique lab and the decky image.
type fixture struct {
	env    *testenv.Env
	lab    *lab.Lab
	subnet int // third octet of 10.213.<subnet>.0/24
	image  string
	kind   string
	state  string
	prefix string
	out    *collector
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := testenv.Start(t)
	bin, kind := testenv.DeckyBinary(t)
	ref, _, err := images.EnsureDecky(testenv.Ctx(), env.Client, bin, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Unique()
	l := lab.New(cfg)
	if err := l.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Down(context.Background()) })
	sub := int(cfg.AttackerAddr.Addr().As4()[2])
	state, err := os.MkdirTemp("", "dnt-state-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	t.Logf("decky binary: %s; lab %s/%s subnet 10.213.%d.0/24", kind, cfg.Parent, cfg.AttackerNS, sub)
	return &fixture{env: env, lab: l, subnet: sub, image: ref, kind: kind, state: state,
		prefix: fmt.Sprintf("dnt-%05x-", rand.IntN(1<<20)), out: newCollector(t)}
}

func (f *fixture) newRuntime(t testing.TB, extra ...Option) *Runtime {
	t.Helper()
	opts := append([]Option{WithNamespace(testenv.Namespace), WithStateDir(f.state), WithImage(f.image),
		WithParent(f.lab.Config().Parent), WithNetnsPrefix(f.prefix), WithInstanceID("test-instance"),
		WithOutput(f.out.ch), WithStopGrace(500 * time.Millisecond),
		WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})))}, extra...)
	r, err := New(f.env.Client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func (f *fixture) ip(host int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 213, byte(f.subnet), byte(host)})
}

func (f *fixture) decky(name string, host int, nmapOS string, svcs ...ServiceSpec) *DeckySpec {
	return &DeckySpec{Name: name, IP: f.ip(host), PrefixLen: 24, Gateway: f.ip(1), Hostname: "host-" + name,
		Distro: "debian", NmapOS: nmapOS, Services: svcs}
}

func ssh() ServiceSpec {
	return ServiceSpec{Name: "ssh", Persona: map[string]any{"password": "admin"}, Env: []string{"DECNET_STUB_PORT=22"}}
}

var ttlRE = regexp.MustCompile(`ttl=(\d+)`)

// pingTTL pings addr once from the attacker netns and returns the reply TTL.
func (f *fixture) pingTTL(t *testing.T, addr netip.Addr) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", f.lab.Config().AttackerNS, "ping", "-c", "1", "-W", "2", addr.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("ping %s: %v\n%s", addr, err, out)
	}
	m := ttlRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no ttl in ping output: %s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// dial connects from the attacker netns and reports whether TCP timestamps were negotiated.
func (f *fixture) dial(t *testing.T, addr netip.Addr, port int) (timestamps bool) {
	t.Helper()
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = netns.Do(f.lab.Config().AttackerNS, func() error {
			c, err := net.DialTimeout("tcp", netip.AddrPortFrom(addr, uint16(port)).String(), time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			raw, _ := c.(*net.TCPConn).SyscallConn()
			var info *unix.TCPInfo
			var ierr error
			raw.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
			if ierr != nil {
				return ierr
			}
			timestamps = info.Options&1 != 0 // TCPI_OPT_TIMESTAMPS
			c.SetReadDeadline(time.Now().Add(time.Second))
			c.Read(make([]byte, 64))
			return nil
		})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dial %s:%d from attacker netns: %v", addr, port, err)
	}
	return timestamps
}

// taskPid returns the pid of a container's task.
func (f *fixture) taskPid(t testing.TB, id string) uint32 {
	t.Helper()
	ctx := testenv.Ctx()
	c, err := f.env.Client.LoadContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := c.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Pid()
}

func procStatus(t testing.TB, pid uint32) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func ctxNS() context.Context { return testenv.Ctx() }

func ppid(t testing.TB, pid uint32) string { return procStatus(t, pid)["PPid"] }
