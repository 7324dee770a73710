package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decnet/decnet/devstack"
	"github.com/decnet/decnet/lab"
	"github.com/decnet/decnet/netns"
	"github.com/decnet/decnet/services"
	_ "github.com/decnet/decnet/services/all"
)

// e2e is one isolated decnetd instance: its binaries, state dir, log dir, control socket and lab.
type e2e struct {
	t       *testing.T
	base    string // temp dir of the run (kept when the test fails)
	bin     string
	state   string
	logDir  string
	sock    string
	prefix  string
	lab     lab.Config
	cmd     *exec.Cmd
	logFile *os.File
	runs    int
	apiPort int // TCP API port (a free loopback port)
}

func requireE2E(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, b := range []string{"containerd", "runc", "ip", "ping"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/macvlan"); err != nil {
		if _, err := os.Stat("/opt/cni/bin/macvlan"); err != nil {
			t.Skip("CNI macvlan plugin not installed")
		}
	}
}

// buildBinaries builds decky (static), decnetd (with decky embedded) and decnetctl into dir.
func buildBinaries(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, args ...string) {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	run([]string{"CGO_ENABLED=0"}, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "decky"), "./cmd/decky")
	// decnetd is built without the embeddecky tag (no generated file in the tree): it reads the decky next to it.
	run(nil, "build", "-o", filepath.Join(dir, "decnetd"), "./cmd/decnetd")
	run(nil, "build", "-o", filepath.Join(dir, "decnetctl"), "./cmd/decnetctl")
}

func (e *e2e) env() []string {
	if e.apiPort == 0 {
		e.apiPort = freePort(e.t)
	}
	return append(os.Environ(), "DECNET_CONTROL_SOCKET="+e.sock, "DECNET_LOG_DIR="+e.logDir, "DECNET_STATE_DIR="+e.state,
		"DECNET_CONFIG=/nonexistent/decnet.ini", "DECNET_JWT_SECRET="+e2eJWTSecret, "DECNET_ADMIN_PASSWORD="+e2eAdminPassword,
		fmt.Sprintf("DECNET_API_PORT=%d", e.apiPort))
}

// start runs decnetd in the background and waits for its control socket.
func (e *e2e) start() {
	e.t.Helper()
	e.runs++
	lf, err := os.Create(filepath.Join(e.state, fmt.Sprintf("decnetd-%d.log", e.runs)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.logFile = lf
	e.cmd = exec.Command(filepath.Join(e.bin, "decnetd"), "--dev-stack", "--state-dir", e.state,
		"--netns-prefix", e.prefix, "--mutate-check", "1h")
	e.cmd.Env = e.env()
	e.cmd.Stdout, e.cmd.Stderr = lf, lf
	if err := e.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := net.Dial("unix", e.sock); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			e.dumpLog()
			e.t.Fatalf("decnetd did not serve %s within 60 s", e.sock)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *e2e) dumpLog() {
	b, _ := os.ReadFile(e.logFile.Name())
	e.t.Logf("decnetd log:\n%s", b)
}

// ctl runs decnetctl and returns stdout; a non-zero exit fails the test.
func (e *e2e) ctl(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.ctlCode(args...)
	if code != 0 {
		e.dumpLog()
		e.t.Fatalf("decnetctl %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

func (e *e2e) ctlCode(args ...string) (string, string, int) {
	cmd := exec.Command(filepath.Join(e.bin, "decnetctl"), args...)
	cmd.Env = e.env()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// attacker runs a command inside the lab's attacker netns.
func (e *e2e) attacker(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", e.lab.AttackerNS}, args...)...).CombinedOutput()
	return string(out), err
}

type statusDecky struct {
	Name     string `json:"name"`
	IP       string `json:"ip"`
	MAC      string `json:"mac"`
	Hostname string `json:"hostname"`
	NmapOS   string `json:"nmap_os"`
	State    string `json:"state"`
	Services []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"services"`
}

func (e *e2e) status() map[string]statusDecky {
	e.t.Helper()
	var ds []statusDecky
	out := e.ctl("status", "-o", "json")
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		e.t.Fatalf("status json: %v\n%s", err, out)
	}
	m := map[string]statusDecky{}
	for _, d := range ds {
		m[d.Name] = d
	}
	return m
}

// waitRunning waits until every decky and service reports running.
func (e *e2e) waitRunning(n int) map[string]statusDecky {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := e.status()
		ok := len(st) == n
		for _, d := range st {
			ok = ok && d.State == "running"
			for _, s := range d.Services {
				ok = ok && s.State == "running"
			}
		}
		if ok {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("fleet not running after 60 s: %+v", st)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// containerIDs lists the container ids and creation times of the deckies via the control API's view of
// the runtime: the sandbox started_at must not change across an adoption.
func (e *e2e) startedAt() map[string]string {
	e.t.Helper()
	var ds []struct {
		Name      string `json:"name"`
		StartedAt string `json:"started_at"`
	}
	if err := json.Unmarshal([]byte(e.ctl("status", "-o", "json")), &ds); err != nil {
		e.t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range ds {
		m[d.Name] = d.StartedAt
	}
	return m
}

// logHas waits until the forensic log has a line matching re.
func (e *e2e) logHas(re *regexp.Regexp, within time.Duration) string {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if f, err := os.Open(filepath.Join(e.logDir, "decnet.log")); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				if re.MatchString(sc.Text()) {
					f.Close()
					return sc.Text()
				}
			}
			f.Close()
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(e.logDir, "decnet.log"))
			e.t.Fatalf("no forensic log line matches %s within %s; log:\n%s", re, within, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// countLog counts the forensic log lines matching re.
func (e *e2e) countLog(re *regexp.Regexp) int {
	b, _ := os.ReadFile(filepath.Join(e.logDir, "decnet.log"))
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

func (e *e2e) ping(ip string) int {
	e.t.Helper()
	out, err := e.attacker(15*time.Second, "ping", "-c", "1", "-W", "3", ip)
	if err != nil {
		e.t.Fatalf("ping %s: %v\n%s", ip, err, out)
	}
	m := regexp.MustCompile(`ttl=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("ping %s: no ttl in %q", ip, out)
	}
	var ttl int
	fmt.Sscan(m[1], &ttl)
	return ttl
}

// tcpOpen connects from the attacker netns, retrying for up to 30 s (a service may still be generating
// keys right after its task started).
func (e *e2e) tcpOpen(ip string, port int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := e.attacker(10*time.Second, "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", ip, port))
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connect %s:%d from the attacker netns: %v %s", ip, port, err, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// pick returns the first wanted services that have an emulator in this build (at least one).
func pick(t *testing.T, want ...string) []string {
	var out []string
	for _, s := range want {
		if slices.Contains(services.Names(), s) {
			out = append(out, s)
		} else {
			t.Logf("service %s has no emulator in this build; deploying without it", s)
		}
	}
	if len(out) == 0 {
		t.Skipf("none of %v has an emulator in this build", want)
	}
	return out
}

var servicePorts = map[string]int{"ssh": 22, "http": 80, "smb": 445, "rdp": 3389, "telnet": 23, "ftp": 21}

// TestEndToEnd drives a real decnetd (dev stack, private containerd) with decnetctl over the control
// socket on a private lab: deploy, attack from the attacker netns, kill -9 and adoption, mutation, teardown.
func TestEndToEnd(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not in PATH")
	}
	e := newE2E(t, "dne2e-")
	subnet := e.lab.AttackerAddr.Masked()
	pre := subnet.Addr().As4()
	ipOf := func(host int) string { return fmt.Sprintf("%d.%d.%d.%d", pre[0], pre[1], pre[2], host) }

	linux, windows, embedded := pick(t, "ssh", "http"), pick(t, "smb", "rdp"), pick(t, "telnet", "ftp")
	ini := fmt.Sprintf(`[general]
net = %s
gw = %s
interface = %s

[linux]
ip = %s
services = %s
nmap_os = linux

[windows]
ip = %s
services = %s
nmap_os = windows

[embedded]
ip = %s
services = %s
nmap_os = embedded

[linux.ssh]
password = hunter2secret
`, subnet, ipOf(1), e.lab.Parent, ipOf(10), strings.Join(linux, ","), ipOf(11), strings.Join(windows, ","),
		ipOf(12), strings.Join(embedded, ","))
	iniPath := filepath.Join(e.base, "fleet.ini")
	os.WriteFile(iniPath, []byte(ini), 0o600)

	e.start()
	// Config errors exit 2 without changing anything.
	if _, errOut, code := e.ctlCode("deploy", "--config", iniPath, "--deckies", "2"); code != 2 || !strings.Contains(errOut, "--deckies cannot be used with --config") {
		t.Errorf("deploy with --config and --deckies: exit %d, %q", code, errOut)
	}
	out := e.ctl("deploy", "--config", iniPath)
	for _, n := range []string{"linux", "windows", "embedded"} {
		if !strings.Contains(out, n) || !regexp.MustCompile(`(?m)^\s+`+n+`\s+ready$`).MatchString(out) {
			t.Errorf("deploy progress lacks %s ready:\n%s", n, out)
		}
	}
	st := e.waitRunning(3)
	if st["linux"].IP != ipOf(10) || st["windows"].NmapOS != "windows" || st["linux"].MAC == "" {
		t.Errorf("status: %+v", st)
	}
	// Deploying the same names again (additive) is refused with exit 2.
	if _, errOut, code := e.ctlCode("deploy", "--config", iniPath); code != 2 || !strings.Contains(errOut, "already") {
		t.Errorf("second additive deploy: exit %d, %q", code, errOut)
	}

	// From the attacker netns: TTL per OS profile, every port accepts, an SSH login reaches the shell.
	for name, ttl := range map[string]int{"linux": 64, "windows": 128, "embedded": 255} {
		if got := e.ping(st[name].IP); got != ttl {
			t.Errorf("ping %s: ttl %d, want %d", name, got, ttl)
		}
	}
	for name, svcs := range map[string][]string{"linux": linux, "windows": windows, "embedded": embedded} {
		for _, s := range svcs {
			if err := e.tcpOpen(st[name].IP, servicePorts[s]); err != nil {
				t.Error(err)
			}
		}
	}
	if slices.Contains(linux, "ssh") {
		if _, err := exec.LookPath("sshpass"); err != nil {
			t.Log("sshpass not installed: skipping the SSH login check")
		} else {
			out, err := e.attacker(30*time.Second, "sshpass", "-p", "hunter2secret", "ssh", "-o", "StrictHostKeyChecking=no",
				"-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "root@"+st["linux"].IP, "hostname; id")
			if err != nil || !strings.Contains(out, st["linux"].Hostname) {
				t.Errorf("ssh login: %v; output %q, want hostname %s", err, out, st["linux"].Hostname)
			}
			t.Logf("ssh login output: %q", out)
			e.logHas(regexp.MustCompile(`^<\d+>1 \S+ linux ssh - auth_attempt .*secret_printable="hunter2secret".*outcome="success"`), 20*time.Second)
			e.logHas(regexp.MustCompile(`^<\d+>1 \S+ linux ssh - command .*command="hostname; id"`), 20*time.Second)
		}
	}
	e.logHas(regexp.MustCompile(`^<\d+>1 \S+ windows mutator - decky_mutated .*trigger="creation"`), 10*time.Second)

	// kill -9, traffic during the outage, restart: adopted, same MAC, containers not recreated, outage lines arrive.
	t.Logf("deployed and attacked: %+v", st)
	before := e.startedAt()
	startups := e.countLog(regexp.MustCompile(` - startup `))
	e.cmd.Process.Kill()
	e.cmd.Wait()
	if slices.Contains(linux, "ssh") {
		if _, err := exec.LookPath("sshpass"); err == nil {
			e.attacker(30*time.Second, "sshpass", "-p", "hunter2secret", "ssh", "-o", "StrictHostKeyChecking=no",
				"-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "root@"+st["linux"].IP, "echo outage-marker-7731")
		}
	}
	if err := e.tcpOpen(st["embedded"].IP, servicePorts[embedded[0]]); err != nil {
		t.Errorf("during the outage: %v", err)
	}
	e.start()
	st2 := e.waitRunning(3)
	after := e.startedAt()
	for n, d := range st {
		if st2[n].MAC != d.MAC || st2[n].IP != d.IP {
			t.Errorf("%s after restart: ip %s mac %s, was %s %s", n, st2[n].IP, st2[n].MAC, d.IP, d.MAC)
		}
		if after[n] != before[n] {
			t.Errorf("%s sandbox recreated: started_at %s, was %s", n, after[n], before[n])
		}
	}
	time.Sleep(2 * time.Second)
	if n := e.countLog(regexp.MustCompile(` - startup `)); n != startups {
		t.Errorf("service startup lines went from %d to %d across the restart: containers were recreated", startups, n)
	}
	if b, _ := os.ReadFile(e.logFile.Name()); !strings.Contains(string(b), "adopted deckies") || !strings.Contains(string(b), "count=3") {
		t.Errorf("restarted decnetd did not adopt 3 deckies:\n%s", b)
	}
	if slices.Contains(linux, "ssh") {
		if _, err := exec.LookPath("sshpass"); err == nil {
			e.logHas(regexp.MustCompile(`linux ssh - command .*outage-marker-7731`), 20*time.Second)
		}
	}

	// Mutation swaps services; the IP keeps answering ping with the same TTL and MAC.
	out = e.ctl("mutate", "--decky", "windows", "-o", "json")
	var mr []struct {
		Changed     bool     `json:"changed"`
		NewServices []string `json:"new_services"`
	}
	if err := json.Unmarshal([]byte(out), &mr); err != nil || len(mr) != 1 {
		t.Fatalf("mutate output: %v %s", err, out)
	}
	if got := e.ping(st["windows"].IP); got != 128 {
		t.Errorf("after mutation: ttl %d", got)
	}
	st3 := e.waitRunning(3)
	if st3["windows"].MAC != st["windows"].MAC {
		t.Errorf("mutation changed MAC: %s -> %s", st["windows"].MAC, st3["windows"].MAC)
	}
	var names []string
	for _, s := range st3["windows"].Services {
		names = append(names, s.Name)
	}
	if mr[0].Changed && !slices.Equal(names, mr[0].NewServices) {
		t.Errorf("status services %v, mutate said %v", names, mr[0].NewServices)
	}
	t.Logf("mutation of windows: %+v", mr[0])
	if mr[0].Changed {
		e.logHas(regexp.MustCompile(`windows mutator - decky_mutated .*trigger="operator"`), 10*time.Second)
	}

	// Teardown leaves nothing behind: no deckies, no decky netns, no macvlan children, empty CNI cache and FIFO dirs.
	e.ctl("teardown", "--all", "--yes")
	if st := e.status(); len(st) != 0 {
		t.Errorf("after teardown: %+v", st)
	}
	left, _ := netns.List(e.prefix)
	if len(left) != 0 {
		t.Errorf("netns left: %v", left)
	}
	for _, d := range []string{"fifo", "cni/results", "netns"} {
		entries, _ := os.ReadDir(filepath.Join(e.state, d))
		if len(entries) != 0 {
			t.Errorf("%s not empty after teardown: %v", d, entries)
		}
	}
	if out, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(out), "@"+e.lab.Parent) {
		t.Errorf("links on %s left:\n%s", e.lab.Parent, out)
	}
}

// newE2E prepares an end-to-end run: a temp base dir (kept when the test fails), the built binaries, and a
// uniquely named lab that is up. Its cleanup tears the fleet down through the run's own control socket, stops
// decnetd, any dev PostgreSQL a failed run left, the dev containerd and the lab.
func newE2E(t *testing.T, tmpPrefix string) *e2e {
	t.Helper()
	base, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, base: base, bin: filepath.Join(base, "bin"), state: filepath.Join(base, "s"), logDir: filepath.Join(base, "log"),
		sock: filepath.Join(base, "ctl.sock"), lab: lab.Unique()}
	e.prefix = "dn" + e.lab.AttackerNS[len("dnt-atk-"):] + "-"
	for _, d := range []string{e.bin, e.state, e.logDir} {
		os.MkdirAll(d, 0o700)
	}
	buildBinaries(t, e.bin)
	l := lab.New(e.lab)
	ctx := context.Background()
	if err := l.Up(ctx); err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if e.cmd != nil && e.cmd.Process != nil {
			td := exec.Command(filepath.Join(e.bin, "decnetctl"), "teardown", "--all", "--yes")
			td.Env = e.env()
			td.Run()
			e.cmd.Process.Signal(syscall.SIGTERM)
			e.cmd.Wait()
		}
		// A postgres left by a failed run (decnetd stops it on SIGTERM).
		if pf, err := devstack.ReadPIDFile(pgDataDir(e.state)); err == nil && pf.PID > 0 {
			syscall.Kill(-pf.PID, syscall.SIGCONT)
			syscall.Kill(pf.PID, syscall.SIGINT)
			time.Sleep(time.Second)
		}
		exec.Command("sh", "../../scripts/dev-containerd.sh", "stop", filepath.Join(e.state, "containerd")).Run()
		l.Down(ctx)
		if !t.Failed() {
			os.RemoveAll(base)
		} else {
			t.Logf("state kept in %s", base)
		}
	})
	return e
}
