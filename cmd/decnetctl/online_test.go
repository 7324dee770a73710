package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/api"
)

// fakeDaemon is a decnetd backend answering from memory.
type fakeDaemon struct {
	reqs      []api.DeployRequest
	tornDown  []string
	failLater bool
}

func (f *fakeDaemon) Deploy(_ context.Context, req api.DeployRequest, progress func(api.Progress)) error {
	if strings.Contains(req.Text(), "[dup]") {
		return api.Errorf(http.StatusConflict, "decky 'dup' already exists; submit with replace_fleet=true to overwrite the fleet")
	}
	f.reqs = append(f.reqs, req)
	progress(api.Progress{Step: "plan", Deckies: []string{"d1"}})
	progress(api.Progress{Decky: "d1", Step: "sandbox"})
	progress(api.Progress{Decky: "d1", Step: "service ssh"})
	if f.failLater {
		progress(api.Progress{Decky: "d1", Step: "failed", Error: "no parent"})
		progress(api.Progress{Step: "done", Error: "1 of 1 deckies failed: d1"})
		return nil
	}
	progress(api.Progress{Decky: "d1", Step: "ready"})
	progress(api.Progress{Step: "done", Deckies: []string{"d1"}})
	return nil
}

func (f *fakeDaemon) Deckies(context.Context) ([]api.Decky, error) {
	t := time.Now().Add(-90 * time.Second).UTC()
	return []api.Decky{{Name: "d1", IP: "10.213.0.10", MAC: "02:00:00:00:00:01", Hostname: "web01", Distro: "debian",
		NmapOS: "linux", State: "running", Services: []string{"ssh"}, StartedAt: &t, UptimeSeconds: 90,
		ServicesState: []api.ServiceState{{Name: "ssh", State: "running"}}}}, nil
}
func (f *fakeDaemon) Teardown(_ context.Context, n string) error {
	if n != "d1" {
		return api.NotFound(n)
	}
	f.tornDown = append(f.tornDown, n)
	return nil
}
func (f *fakeDaemon) TeardownAll(context.Context) ([]string, error) { return []string{"d1"}, nil }
func (f *fakeDaemon) Mutate(_ context.Context, n, _ string) (api.MutateResult, error) {
	return api.MutateResult{Decky: n, OldServices: []string{"ssh"}, NewServices: []string{"ftp"}, Changed: true}, nil
}
func (f *fakeDaemon) MutateAll(ctx context.Context, a string) ([]api.MutateResult, error) {
	r, _ := f.Mutate(ctx, "d1", a)
	return []api.MutateResult{r}, nil
}
func (f *fakeDaemon) Health(context.Context) api.Health {
	return api.Health{Status: "ok", Containerd: true}
}

// serveFake serves fd on a unix socket named by DECNET_CONTROL_SOCKET (root only: the router checks the peer).
func serveFake(t *testing.T, fd *fakeDaemon) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the control socket admits root only")
	}
	sock := filepath.Join(t.TempDir(), "ctl.sock")
	ln, err := api.ListenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.NewControlServer(api.NewControlRouter(fd, nil))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	t.Setenv(api.ControlSocketEnv, sock)
}

func TestOnlineVerbs(t *testing.T) {
	fd := &fakeDaemon{}
	serveFake(t, fd)
	c := newCLI(t)
	ini := writeFile(t, "f.ini", "[general]\nnet = 10.213.0.0/24\ngw = 10.213.0.1\ninterface = lab0\n[d1]\nservices = ssh\n")

	out, errOut, code := c.run("deploy", "--config", ini, "--host-ip", "10.213.0.250", "--mode", "replace", "--seed", "4")
	if code != 0 || !strings.Contains(out, "d1                   ready") || !strings.Contains(out, "deployed 1 deckies") {
		t.Fatalf("deploy: %d %q %q", code, out, errOut)
	}
	r := fd.reqs[0]
	if !strings.Contains(r.INI, "[d1]") || r.Mode != "replace" || r.Network.HostIP != "10.213.0.250" || r.Seed == nil || *r.Seed != 4 {
		t.Errorf("request %+v", r)
	}
	out, _, code = c.run("deploy", "-n", "2", "--services", "ssh,http", "--interface", "lab0")
	if code != 0 || fd.reqs[1].Flags == nil || fd.reqs[1].Flags.Deckies != 2 || strings.Join(fd.reqs[1].Flags.Services, ",") != "ssh,http" {
		t.Errorf("flag deploy: %d %q %+v", code, out, fd.reqs[1].Flags)
	}
	_, errOut, code = c.run("deploy", "--config", writeFile(t, "d.ini", "[dup]\nservices=ssh\n"))
	if code != 2 || !strings.Contains(errOut, "decky 'dup' already exists") {
		t.Errorf("conflict: %d %q", code, errOut)
	}
	fd.failLater = true
	out, errOut, code = c.run("deploy", "--config", ini)
	if code != 1 || !strings.Contains(out, "FAILED: no parent") || !strings.Contains(errOut, "1 of 1 deckies failed") {
		t.Errorf("runtime failure: %d %q %q", code, out, errOut)
	}

	out, _, code = c.run("status")
	if code != 0 || !strings.Contains(out, "ssh:running") || !strings.Contains(out, "02:00:00:00:00:01") || !strings.Contains(out, "1m30s") {
		t.Errorf("status table: %d %q", code, out)
	}
	out, _, code = c.run("status", "-o", "json")
	var st []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st) != 1 {
		t.Fatalf("status json: %d %q", code, out)
	}
	svcs, _ := st[0]["services"].([]any)
	if st[0]["state"] != "running" || st[0]["nmap_os"] != "linux" || st[0]["mac"] == "" || len(svcs) != 1 ||
		svcs[0].(map[string]any)["state"] != "running" {
		t.Errorf("status json %v", st[0])
	}

	// stdin is not a terminal: no prompt, no --yes needed.
	out, _, code = c.run("teardown", "--decky", "d1")
	if code != 0 || !strings.Contains(out, "removed d1") || len(fd.tornDown) != 1 {
		t.Errorf("teardown: %d %q", code, out)
	}
	_, errOut, code = c.run("teardown", "--decky", "zz", "--yes")
	if code != 2 || !strings.Contains(errOut, "Decky zz not found") {
		t.Errorf("teardown unknown: %d %q", code, errOut)
	}
	out, _, code = c.run("teardown", "--all", "--yes")
	if code != 0 || !strings.Contains(out, "removed 1 deckies: d1") {
		t.Errorf("teardown all: %d %q", code, out)
	}
	out, _, code = c.run("mutate", "--decky", "d1")
	if code != 0 || !strings.Contains(out, "d1: ssh -> ftp") {
		t.Errorf("mutate: %d %q", code, out)
	}
	out, _, code = c.run("mutate", "--all", "-o", "json")
	if code != 0 || !strings.Contains(out, `"new_services"`) {
		t.Errorf("mutate all: %d %q", code, out)
	}
}

func TestOnlineVerbUsageAndUnreachable(t *testing.T) {
	t.Setenv(api.ControlSocketEnv, filepath.Join(t.TempDir(), "none.sock"))
	c := newCLI(t)
	for _, args := range [][]string{
		{"teardown"}, {"teardown", "--all", "--decky", "x"}, {"mutate"}, {"mutate", "--all", "--decky", "x"},
		{"deploy", "--mode", "nuke", "-n", "1", "--services", "ssh"}, {"deploy", "--services", "ssh"},
		{"deploy", "-n", "1", "--services", "nope"}, {"deploy", "-c", "/nonexistent.ini"},
	} {
		if _, _, code := c.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	_, errOut, code := c.run("status")
	if code != 1 || !strings.Contains(errOut, "decnetd is not reachable") {
		t.Errorf("status without daemon: %d %q", code, errOut)
	}
	// --dry-run prints the plan without a daemon.
	out, _, code := c.run("deploy", "--dry-run", "-n", "2", "--services", "ssh", "--interface", "lab0", "--subnet", "10.213.0.0/24",
		"--gateway", "10.213.0.1", "--host-ip", "10.213.0.250", "-o", "json")
	if code != 0 || !strings.Contains(out, `"decky-02"`) {
		t.Errorf("dry run: %d %q", code, out)
	}
}
