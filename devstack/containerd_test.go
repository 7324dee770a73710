package devstack

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func requireContainerd(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed")
	}
}

// TestContainerdLifecycle starts a private containerd, adopts it from a second supervisor (as a restarted
// decnetd would), has it restarted after a SIGKILL, and stops it.
func TestContainerdLifecycle(t *testing.T) {
	requireContainerd(t)
	dir, err := os.MkdirTemp("", "dnds-") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a := NewContainerd(dir, nil)
	adopted, err := a.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	if adopted || !ProbeSocket(a.Socket()) || a.PID() == 0 {
		t.Fatalf("first start: adopted=%v probe=%v pid=%d", adopted, ProbeSocket(a.Socket()), a.PID())
	}
	for _, f := range []string{ContainerdConfigFile, ContainerdPIDFile, ContainerdLogFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	// A second supervisor (the next decnetd) adopts the same process.
	b := NewContainerd(dir, nil)
	adopted, err = b.Start(ctx)
	if err != nil || !adopted || b.PID() != a.PID() {
		t.Fatalf("second start: adopted=%v pid=%d (first %d) err=%v", adopted, b.PID(), a.PID(), err)
	}

	// Killed containerd is restarted by the supervisor.
	old := b.PID()
	go b.Supervise(ctx, 100*time.Millisecond)
	syscall.Kill(old, syscall.SIGKILL)
	deadline := time.Now().Add(20 * time.Second)
	for b.PID() == old || !ProbeSocket(b.Socket()) {
		if time.Now().After(deadline) {
			t.Fatalf("containerd not restarted: pid %d", b.PID())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if procAlive(b.PID()) || ProbeSocket(b.Socket()) {
		t.Error("containerd still running after Stop")
	}
	if _, err := os.Stat(filepath.Join(dir, ContainerdPIDFile)); !os.IsNotExist(err) {
		t.Errorf("pid file left: %v", err)
	}
}

func TestStartFailsWithoutBinary(t *testing.T) {
	c := NewContainerd(t.TempDir(), nil)
	c.Bin = "/nonexistent/containerd"
	if _, err := c.Start(context.Background()); err == nil {
		t.Error("start without binary succeeded")
	}
}
