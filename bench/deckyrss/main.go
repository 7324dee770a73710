// Command deckyrss measures the memory of one `decky serve` per registered service: it builds the decky
// binary (CGO_ENABLED=0), starts it on 127.0.0.1 at a free port offset, reads VmRSS/VmHWM from
// /proc/<pid>/status once idle and again after a burst of concurrent connections, and prints a table with
// the idle RSS against the 10 MiB target, next to the RSS of a trivial Go TCP listener built in the same
// run. Run it from the module root: `go run ./bench/deckyrss`.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
)

// targetKiB is the target for an idle `decky serve`: under 10 MiB RSS.
const targetKiB = 10 * 1024

func main() {
	conns := flag.Int("conns", 200, "concurrent connections opened per service after the idle reading")
	settle := flag.Duration("settle", time.Second, "wait before each reading")
	only := flag.String("services", "", "comma-separated services (default: every registered one)")
	flag.Parse()
	if err := run(context.Background(), *conns, *settle, *only); err != nil {
		fmt.Fprintln(os.Stderr, "deckyrss:", err)
		os.Exit(1)
	}
}

// mem is one reading of /proc/<pid>/status, in KiB.
type mem struct{ rss, hwm int }

func run(ctx context.Context, conns int, settle time.Duration, only string) error {
	dir, err := os.MkdirTemp("", "deckyrss-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	decky, base := filepath.Join(dir, "decky"), filepath.Join(dir, "listener")
	if err := build(ctx, decky, "./cmd/decky"); err != nil {
		return err
	}
	if err := build(ctx, base, "./bench/deckyrss/listener"); err != nil {
		return err
	}
	names, err := registered(ctx, decky)
	if err != nil {
		return err
	}
	if only != "" {
		names = strings.Split(only, ",")
	}
	if st, err := os.Stat(decky); err == nil {
		fmt.Printf("decky binary: %.1f MiB\n", float64(st.Size())/(1<<20))
	}

	baseIdle, baseHWM, err := measureBaseline(ctx, base, settle)
	if err != nil {
		return err
	}
	fmt.Printf("%-10s %10s %8s %12s %12s %8s\n", "service", "idle RSS", "/10MiB", "RSS after", "peak (HWM)", "conns")
	fmt.Printf("%-10s %7d KiB %7.2fx %8s     %8d KiB %8s\n", "(baseline)", baseIdle, float64(baseIdle)/targetKiB, "-", baseHWM, "-")
	off := 30000
	for _, svc := range names {
		var r result
		r, off, err = measure(ctx, decky, svc, off, conns, settle, dir)
		if err != nil {
			fmt.Printf("%-10s error: %v\n", svc, err)
			continue
		}
		fmt.Printf("%-10s %7d KiB %7.2fx %8d KiB %8d KiB %4d/%d\n", svc, r.idle.rss, float64(r.idle.rss)/targetKiB,
			r.after.rss, r.after.hwm, r.opened, conns)
	}
	fmt.Printf("target: idle RSS < %d KiB (10 MiB); baseline = trivial Go TCP listener (%d KiB)\n", targetKiB, baseIdle)
	return nil
}

func build(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s (run from the module root): %w", pkg, err)
	}
	return nil
}

func registered(ctx context.Context, decky string) ([]string, error) {
	out, err := exec.CommandContext(ctx, decky, "services").Output()
	if err != nil {
		return nil, fmt.Errorf("decky services: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// readMem reads VmRSS and VmHWM of pid.
func readMem(pid int) (mem, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}, fmt.Errorf("read status of %d: %w", pid, err)
	}
	var m mem
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "VmHWM:":
			m.hwm = n
		}
	}
	return m, nil
}

func measureBaseline(ctx context.Context, bin string, settle time.Duration) (int, int, error) {
	cmd := exec.CommandContext(ctx, bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start baseline: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		return 0, 0, fmt.Errorf("baseline did not start: %q %v", line, err)
	}
	time.Sleep(settle)
	m, err := readMem(cmd.Process.Pid)
	return m.rss, m.hwm, err
}

type result struct {
	idle, after mem
	opened      int
}

// freeOffset returns the first offset ≥ from at which every declared port of svc binds on 127.0.0.1.
func freeOffset(svc conf.Service, from int) (int, error) {
	for off := from; off < 60000; off++ {
		ok := true
		for _, p := range svc.TCP {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+off)))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		for _, p := range svc.UDP {
			if !ok {
				break
			}
			pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+off)))
			if err != nil {
				ok = false
				break
			}
			pc.Close()
		}
		if ok {
			return off, nil
		}
	}
	return 0, errors.New("no free port offset")
}

// measure runs one `decky serve svc` and takes the idle and post-burst readings. It returns the next
// offset to try.
func measure(ctx context.Context, decky, svc string, from, conns int, settle time.Duration, dir string) (result, int, error) {
	cs, ok := conf.LookupService(svc)
	if !ok || len(cs.TCP) == 0 {
		return result{}, from, fmt.Errorf("service %s has no TCP port in the catalogue", svc)
	}
	off, err := freeOffset(cs, from)
	if err != nil {
		return result{}, from, err
	}
	next := off + 1
	art, err := os.MkdirTemp(dir, svc+"-")
	if err != nil {
		return result{}, next, err
	}
	cmd := exec.CommandContext(ctx, decky, "serve", svc, "--decky", "rss", "--bind", "127.0.0.1",
		"--port-offset", strconv.Itoa(off), "--artifacts", art)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, next, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, next, fmt.Errorf("start decky serve %s: %w", svc, err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	started := make(chan struct{})
	go func() { // drain the event stream, noting the startup event
		r := bufio.NewReader(out)
		var once sync.Once
		for {
			line, err := r.ReadString('\n')
			if rec, perr := event.Parse(line, time.Now()); perr == nil && rec.EventType == "startup" {
				once.Do(func() { close(started) })
			}
			if err != nil { // io.EOF once decky exits
				return
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		return result{}, next, fmt.Errorf("%s: no startup event within 30 s", svc)
	}
	var res result
	time.Sleep(settle)
	if res.idle, err = readMem(cmd.Process.Pid); err != nil {
		return res, next, err
	}
	res.opened = burst(net.JoinHostPort("127.0.0.1", strconv.Itoa(cs.TCP[0]+off)), conns)
	time.Sleep(settle)
	res.after, err = readMem(cmd.Process.Pid)
	return res, next, err
}

// burst opens n connections at once, sends a line on each, reads what comes back for a moment, holds
// them all open together, then closes them. It returns how many connected.
func burst(addr string, n int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var held []net.Conn
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("\r\n"))
			_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, c := range held {
		c.Close()
	}
	return len(held)
}
