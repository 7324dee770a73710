// Package testenv starts a private containerd for integration tests and builds the decky binary they
// put in the image.
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

// Namespace is the containerd namespace tests use.
const Namespace = "decnet-test"

// Env is a running private containerd.
type Env struct {
	Dir    string
	Socket string
	Client *client.Client
	cmd    *exec.Cmd
}

// Require skips the test unless it runs as root with containerd, runc, ip and the CNI plugins present.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, b := range []string{"containerd", "runc", "ip"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s binary not installed", b)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/macvlan"); err != nil {
		if _, err := os.Stat("/opt/cni/bin/macvlan"); err != nil {
			t.Skip("CNI plugins (macvlan) not installed")
		}
	}
}

// Start runs a private containerd (root/state/socket in a fresh temp dir, CRI disabled) and stops it,
// after killing every task left in Namespace, when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("", "dnt-ctrd-") // short path: unix socket names are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "containerd.sock")
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n[ttrpc]\n  address = \"\"\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	e := &Env{Dir: dir, Socket: sock, cmd: cmd}
	t.Cleanup(func() { e.stop(t); logf.Close() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 200 {
			t.Fatalf("containerd socket did not appear; see %s/containerd.log", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cl, err := client.New(sock, client.WithDefaultNamespace(Namespace))
	if err != nil {
		t.Fatalf("containerd client: %v", err)
	}
	e.Client = cl
	return e
}

// Ctx returns a context in the test namespace.
func Ctx() context.Context { return namespaces.WithNamespace(context.Background(), Namespace) }

func (e *Env) stop(t testing.TB) {
	if e.Client != nil {
		ctx := Ctx()
		cs, _ := e.Client.Containers(ctx)
		for _, c := range cs {
			if tk, err := c.Task(ctx, nil); err == nil {
				tk.Kill(ctx, syscall.SIGKILL, client.WithKillAll)
				if ch, err := tk.Wait(ctx); err == nil {
					select {
					case <-ch:
					case <-time.After(5 * time.Second):
					}
				}
				tk.Delete(ctx)
			}
			c.Delete(ctx, client.WithSnapshotCleanup)
		}
		e.Client.Close()
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
	// Overlay mounts may linger if a test failed mid-way; unmount before removing.
	exec.Command("sh", "-c", "grep "+e.Dir+" /proc/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l").Run()
	os.RemoveAll(e.Dir)
}

func repoRoot() (string, error) {
	_, f, _, _ := runtime.Caller(0)
	d := filepath.Dir(f)
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", fmt.Errorf("go.mod not found above %s", f)
		}
		d = p
	}
}

// DeckyBinary builds a static decky binary and returns its bytes and which one it is ("real" =
// ./cmd/decky, "stub" = runtime/testdata/stubdecky). DECNET_TEST_DECKY=real|stub forces a choice;
// by default the real one is used when it builds, else the stub.
func DeckyBinary(t testing.TB) ([]byte, string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "decky")
	build := func(pkg string) error {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s: %v: %s", pkg, err, strings.TrimSpace(string(b)))
		}
		return nil
	}
	kind := os.Getenv("DECNET_TEST_DECKY")
	if kind != "stub" {
		mains, _ := filepath.Glob(filepath.Join(root, "cmd", "decky", "*.go"))
		if len(mains) > 0 {
			if err := build("./cmd/decky"); err == nil {
				kind = "real"
			} else if kind == "real" {
				t.Fatal(err)
			} else {
				t.Logf("cmd/decky does not build yet, using the stub: %v", err)
			}
		}
	}
	if kind != "real" {
		kind = "stub"
		if err := build("./runtime/testdata/stubdecky"); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, kind
}
