// Package devstack runs decnetd's private development stack: a containerd whose config, root, state and
// socket live under decnetd's state dir, started when needed, adopted after a daemon restart (pid file +
// socket probe) and restarted if it dies. PostgreSQL joins it in a later issue.
package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// File names inside the containerd directory (the same layout as scripts/dev-containerd.sh).
const (
	ContainerdConfigFile = "config.toml"
	ContainerdSocketFile = "containerd.sock"
	ContainerdPIDFile    = "containerd.pid"
	ContainerdLogFile    = "containerd.log"
)

// Containerd is a private containerd under Dir.
type Containerd struct {
	Dir string
	Bin string // containerd binary (default: looked up in PATH)
	Log *slog.Logger

	mu      sync.Mutex
	pid     int
	exited  chan struct{} // closed when a child we started exits (nil for an adopted process)
	stopped bool
}

// NewContainerd returns a supervisor for a containerd under dir (not started).
func NewContainerd(dir string, log *slog.Logger) *Containerd {
	if log == nil {
		log = slog.Default()
	}
	return &Containerd{Dir: dir, Bin: "containerd", Log: log.With("component", "devstack")}
}

// Socket is the containerd socket path.
func (c *Containerd) Socket() string { return filepath.Join(c.Dir, ContainerdSocketFile) }

// PID returns the pid of the supervised containerd (0 when none).
func (c *Containerd) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

// ProbeSocket reports whether something accepts connections on socket.
func ProbeSocket(socket string) bool {
	conn, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// procAlive reports whether pid runs and is not a zombie.
func procAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// isContainerd reports whether pid's argv[0] is a containerd binary with our config.
func (c *Containerd) isContainerd(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return len(args) > 0 && filepath.Base(args[0]) == "containerd" && strings.Contains(string(b), filepath.Join(c.Dir, ContainerdConfigFile))
}

// Start adopts a containerd left running under Dir (pid file names a live containerd with our config and
// the socket answers) or starts a new one, and waits up to 15 s for its socket. It returns whether the
// process was adopted.
func (c *Containerd) Start(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return false, fmt.Errorf("dev containerd dir: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(c.Dir, ContainerdPIDFile)); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if procAlive(pid) && c.isContainerd(pid) {
			if err := waitContainerdSocket(ctx, c.Socket(), pid, 15*time.Second); err == nil {
				c.pid, c.exited = pid, nil
				c.Log.Info("adopted running dev containerd", "pid", pid, "socket", c.Socket())
				return true, nil
			}
		}
	}
	return false, c.startLocked(ctx)
}

func (c *Containerd) startLocked(ctx context.Context) error {
	bin, err := exec.LookPath(c.Bin)
	if err != nil {
		return fmt.Errorf("dev containerd: %w", err)
	}
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n[ttrpc]\n  address = \"\"\n",
		filepath.Join(c.Dir, "root"), filepath.Join(c.Dir, "state"), c.Socket())
	if err := os.WriteFile(filepath.Join(c.Dir, ContainerdConfigFile), []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("dev containerd config: %w", err)
	}
	os.Remove(c.Socket())
	logf, err := os.OpenFile(filepath.Join(c.Dir, ContainerdLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("dev containerd log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--config", filepath.Join(c.Dir, ContainerdConfigFile))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own session: a signal to decnetd's process group (Ctrl-C, kill -9 of the group leader) must not take
	// containerd down with it; the next decnetd adopts it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dev containerd: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	if err := os.WriteFile(filepath.Join(c.Dir, ContainerdPIDFile), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return fmt.Errorf("dev containerd pid file: %w", err)
	}
	if err := waitContainerdSocket(ctx, c.Socket(), pid, 15*time.Second); err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		return fmt.Errorf("dev containerd did not come up (see %s): %w", filepath.Join(c.Dir, ContainerdLogFile), err)
	}
	c.pid, c.exited = pid, exited
	c.Log.Info("started dev containerd", "pid", pid, "socket", c.Socket())
	return nil
}

func waitContainerdSocket(ctx context.Context, sock string, pid int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if ProbeSocket(sock) {
			return nil
		}
		if !procAlive(pid) {
			return fmt.Errorf("containerd (pid %d) exited", pid)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no socket %s after %s", sock, d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Supervise restarts containerd whenever it dies, until ctx ends or Stop is called. It checks every interval.
func (c *Containerd) Supervise(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c.mu.Lock()
		exited := c.exited
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-exitedOrNever(exited):
		}
		c.mu.Lock()
		if c.stopped || ctx.Err() != nil {
			c.mu.Unlock()
			return
		}
		if !procAlive(c.pid) {
			c.Log.Warn("dev containerd died, restarting", "pid", c.pid)
			if err := c.startLocked(ctx); err != nil {
				c.Log.Error("restart dev containerd", "err", err)
			}
		}
		c.mu.Unlock()
	}
}

func exitedOrNever(ch chan struct{}) <-chan struct{} {
	if ch == nil {
		return nil
	}
	return ch
}

// Stop ends supervision and terminates containerd (SIGTERM, SIGKILL after 15 s).
func (c *Containerd) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	pid := c.pid
	if !procAlive(pid) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop dev containerd: %w", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for procAlive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Remove(filepath.Join(c.Dir, ContainerdPIDFile))
	c.pid = 0
	return nil
}
