package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startPause starts `decky pause` with optional clone flags and gives it time to install its signal
// handlers (a SIGTERM before signal.Notify would kill it by the Go runtime's default action).
func startPause(t *testing.T, cloneflags uintptr) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(deckyBin, "pause")
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := cmd.Start(); err != nil {
		if cloneflags != 0 && errors.Is(err, syscall.EPERM) {
			t.Skipf("cannot create a PID namespace: %v", err)
		}
		t.Fatalf("start decky pause: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	time.Sleep(300 * time.Millisecond)
	return cmd
}

// waitExit waits up to max for cmd to end and returns its wait status.
func waitExit(t *testing.T, cmd *exec.Cmd, max time.Duration) syscall.WaitStatus {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(max):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("decky pause still running %v after the signal", max)
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

func TestPauseExitsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := startPause(t, 0)
			// SIGCHLD (no child to reap) and SIGHUP-free noise must not end it.
			if err := cmd.Process.Signal(syscall.SIGCHLD); err != nil {
				t.Fatalf("SIGCHLD: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
				t.Fatalf("decky pause died on SIGCHLD: %v", err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatalf("%v: %v", sig, err)
			}
			ws := waitExit(t, cmd, time.Second)
			if ws.Signaled() || ws.ExitStatus() != 0 {
				t.Fatalf("decky pause ended with %v (signaled=%v), want exit 0", ws.ExitStatus(), ws.Signaled())
			}
		})
	}
}

// TestPauseReapsZombies runs `decky pause` as PID 1 of a new PID namespace, orphans a child into that
// namespace with nsenter and checks that the orphan is reaped (no zombie left) once it exits, and that the
// pause process still exits 0 on SIGTERM sent from the parent namespace.
func TestPauseReapsZombies(t *testing.T) {
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Skip("nsenter (util-linux) not installed")
	}
	cmd := startPause(t, syscall.CLONE_NEWPID)
	pid := cmd.Process.Pid

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// sh exits at once (sleep must not hold the output pipe, or nsenter's caller would wait for it);
	// its background sleep is reparented to the namespace's init: decky pause.
	out, err := exec.CommandContext(ctx, nsenter, "-t", strconv.Itoa(pid), "-p", "--", "/bin/sh", "-c", "sleep 1 </dev/null >/dev/null 2>&1 & exit 0").CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter: %v: %s", err, out)
	}
	var orphan int
	for deadline := time.Now().Add(900 * time.Millisecond); time.Now().Before(deadline) && orphan == 0; {
		if kids := childrenOf(t, pid); len(kids) > 0 {
			orphan = kids[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if orphan == 0 {
		t.Fatalf("no orphan was reparented to decky pause (pid %d); the test setup did not work", pid)
	}
	// The orphan sleeps 1 s; afterwards it must be gone, not a zombie.
	var left []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = childrenOf(t, pid); len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("children of decky pause not reaped: %v (state %s)", left, procState(left[0]))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	ws := waitExit(t, cmd, time.Second)
	if ws.Signaled() || ws.ExitStatus() != 0 {
		t.Fatalf("decky pause (PID 1) ended with %v (signaled=%v), want exit 0", ws.ExitStatus(), ws.Signaled())
	}
}

// childrenOf lists the host PIDs whose parent is pid, zombies included.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	matches, err := filepath.Glob("/proc/[0-9]*/status")
	if err != nil {
		t.Fatalf("glob /proc: %v", err)
	}
	var kids []int
	want := strconv.Itoa(pid)
	for _, m := range matches {
		f, err := os.Open(m)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "PPid:"); ok {
				if strings.TrimSpace(v) == want {
					n, _ := strconv.Atoi(strings.Split(m, "/")[2])
					kids = append(kids, n)
				}
				break
			}
		}
		f.Close()
	}
	return kids
}

func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "gone"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "State:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
