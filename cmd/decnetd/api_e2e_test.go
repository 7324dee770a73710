package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	e2eJWTSecret     = "e2e-jwt-secret-0123456789abcdef-0123456789"
	e2eAdminPassword = "e2e-admin-password"
)

// freePort returns a currently free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type apiResp struct {
	code int
	hdr  http.Header
	body []byte
}

func (r apiResp) detail() string {
	var v struct {
		Detail  string `json:"detail"`
		Message string `json:"message"`
	}
	json.Unmarshal(r.body, &v)
	if v.Detail != "" {
		return v.Detail
	}
	return v.Message
}

// call sends one request to the TCP API.
func (e *e2e) call(method, path, token, ct string, body any) apiResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", e.apiPort, path), rd)
	if rd != nil {
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResp{code: res.StatusCode, hdr: res.Header, body: b}
}

func (e *e2e) want(r apiResp, code int, detail string) {
	e.t.Helper()
	if r.code != code || (detail != "" && r.detail() != detail) {
		e.dumpLog()
		e.t.Fatalf("got %d %s; want %d %q", r.code, r.body, code, detail)
	}
}

func (e *e2e) login(user, pw string) (string, bool) {
	e.t.Helper()
	r := e.call("POST", "/api/v1/auth/login", "", "", map[string]string{"username": user, "password": pw})
	e.want(r, 200, "")
	var lr struct {
		Token string `json:"access_token"`
		Must  bool   `json:"must_change_password"`
	}
	json.Unmarshal(r.body, &lr)
	return lr.Token, lr.Must
}

// TestAPIEndToEnd drives the TCP API of a real decnetd (dev stack: private containerd and PostgreSQL) on a
// private lab: bootstrap and forced change, RBAC, 415, tickets, deploy 409s, an attack reaching an SSE client
// within 1 s, decnetctl over TCP and over the socket, metrics, and the API unreachable from the attacker netns.
func TestAPIEndToEnd(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not in PATH")
	}
	e := newE2E(t, "dnapi-")
	base := e.base
	subnet := e.lab.AttackerAddr.Masked()
	pre := subnet.Addr().As4()
	ipOf := func(host int) string { return fmt.Sprintf("%d.%d.%d.%d", pre[0], pre[1], pre[2], host) }
	svcs := pick(t, "http", "ssh")
	// Container ids are decky names in a runc root shared by every decnetd on the host: a unique name keeps
	// this test apart from other end-to-end runs.
	name := "api" + e.lab.AttackerNS[len("dnt-atk-"):]
	ini := fmt.Sprintf("[general]\nnet = %s\ngw = %s\ninterface = %s\n\n[%s]\nip = %s\nservices = %s\n",
		subnet, ipOf(1), e.lab.Parent, name, ipOf(20), strings.Join(svcs, ","))

	e.start()
	// The TCP listener comes up with the control socket.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", e.apiPort)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			e.dumpLog()
			t.Fatal("TCP API not listening")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// H1, H4, H6: bootstrap admin with a forced change.
	e.want(e.call("GET", "/api/v1/logs", "", "", nil), 401, "Could not validate credentials")
	e.want(e.call("POST", "/api/v1/auth/login", "", "", map[string]string{"username": "admin", "password": "nope"}), 401, "Incorrect username or password")
	tok, must := e.login("admin", e2eAdminPassword)
	if !must {
		t.Fatal("bootstrap admin must change its password")
	}
	e.want(e.call("GET", "/api/v1/deckies", tok, "", nil), 403, "Password change required before accessing this resource")
	const adminPw = "e2e-admin-password-2"
	e.want(e.call("POST", "/api/v1/auth/change-password", tok, "", map[string]string{"old_password": e2eAdminPassword, "new_password": adminPw}), 200, "Password updated successfully")
	admin, must := e.login("admin", adminPw)
	if must {
		t.Fatal("still must change")
	}
	// H8: 415; H5: a viewer is refused admin routes.
	r := e.call("POST", "/api/v1/config/users", admin, "text/plain", `{"username":"v","password":"viewer-password-1"}`)
	if r.code != 415 {
		t.Fatalf("415: %d %s", r.code, r.body)
	}
	e.want(e.call("POST", "/api/v1/config/users", admin, "application/json; charset=utf-8", `{"username":"vic","password":"viewer-password-1"}`), 200, "")
	vt, _ := e.login("vic", "viewer-password-1")
	e.want(e.call("POST", "/api/v1/auth/change-password", vt, "", map[string]string{"old_password": "viewer-password-1", "new_password": "viewer-password-2"}), 200, "")
	viewer, _ := e.login("vic", "viewer-password-2")
	e.want(e.call("POST", "/api/v1/deckies/deploy", viewer, "", map[string]string{"ini_content": ini}), 403, "Insufficient permissions")
	e.want(e.call("PUT", "/api/v1/config/deployment-limit", viewer, "", map[string]int{"deployment_limit": 5}), 403, "Insufficient permissions")

	// H9 and deploy over the API.
	e.want(e.call("POST", "/api/v1/deckies/deploy", admin, "", `{"ini_content":""}`), 409, "Configuration conflict: INI content is empty.")
	e.want(e.call("POST", "/api/v1/deckies/deploy", admin, "", `{"ini_content":"no sections"}`), 409, "Configuration conflict: INI syntax or characters are invalid.")
	e.want(e.call("POST", "/api/v1/deckies/deploy", admin, "", `{"ini_content":5}`), 400, "")
	r = e.call("POST", "/api/v1/deckies/deploy", admin, "", map[string]string{"ini_content": ini})
	e.want(r, 202, "Deployment accepted")
	var acc struct {
		IDs []string `json:"lifecycle_ids"`
	}
	json.Unmarshal(r.body, &acc)
	deadline = time.Now().Add(90 * time.Second)
	for {
		var lc struct {
			Rows []struct {
				Status string  `json:"status"`
				Error  *string `json:"error"`
			} `json:"rows"`
		}
		json.Unmarshal(e.call("GET", "/api/v1/deckies/lifecycle?ids="+acc.IDs[0], viewer, "", nil).body, &lc)
		if len(lc.Rows) == 1 && lc.Rows[0].Status == "succeeded" {
			break
		}
		if len(lc.Rows) == 1 && lc.Rows[0].Status == "failed" || time.Now().After(deadline) {
			e.dumpLog()
			if len(lc.Rows) == 1 && lc.Rows[0].Error != nil {
				t.Fatalf("deploy lifecycle failed: %s", *lc.Rows[0].Error)
			}
			t.Fatalf("deploy lifecycle: %+v", lc.Rows)
		}
		time.Sleep(300 * time.Millisecond)
	}
	e.waitRunning(1)
	// H14.
	e.want(e.call("POST", "/api/v1/deckies/deploy", admin, "", map[string]string{"ini_content": ini}), 409,
		"decky '"+name+"' already exists; submit with replace_fleet=true to overwrite the fleet")

	// An attack from the lab reaches an SSE client within 1 s.
	var tk struct {
		Ticket string `json:"ticket"`
	}
	json.Unmarshal(e.call("POST", "/api/v1/auth/sse-ticket", viewer, "", nil).body, &tk)
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", fmt.Sprintf("http://127.0.0.1:%d/api/v1/stream?search=%s&ticket=%s",
		e.apiPort, url.QueryEscape("attacker:"+e.lab.AttackerAddr.Addr().String()), tk.Ticket), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, res)
	}
	// H7: the ticket was single use.
	e.want(e.call("GET", "/api/v1/stream?ticket="+tk.Ticket, "", "", nil), 401, "")
	e.want(e.call("GET", "/api/v1/stream?token="+viewer, "", "", nil), 401, "")
	frames := make(chan time.Time, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `data: {"type":"logs"`) {
				frames <- time.Now()
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // initial frames
	port := servicePorts[svcs[0]]
	attackAt := time.Now()
	if svcs[0] == "http" {
		e.attacker(10*time.Second, "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d; printf 'GET /admin HTTP/1.0\\r\\nUser-Agent: e2e\\r\\n\\r\\n' >&3; timeout 2 cat <&3 >/dev/null", ipOf(20), port))
	} else if err := e.tcpOpen(ipOf(20), port); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-frames:
		lat := at.Sub(attackAt)
		t.Logf("attack → SSE logs frame: %v", lat)
		if lat > time.Second {
			t.Errorf("event reached the SSE client after %v (> 1 s)", lat)
		}
	case <-time.After(10 * time.Second):
		e.dumpLog()
		t.Fatal("no logs frame within 10 s of the attack")
	}
	scancel()

	// decnetctl: over TCP with a stored login, and over the socket as root.
	cfgHome := filepath.Join(base, "cfg")
	ctlTCP := func(stdin string, args ...string) (string, string, int) {
		c := exec.Command(filepath.Join(e.bin, "decnetctl"), args...)
		c.Env = append(e.env(), "XDG_CONFIG_HOME="+cfgHome, fmt.Sprintf("DECNET_API_URL=http://127.0.0.1:%d", e.apiPort))
		c.Stdin = strings.NewReader(stdin)
		var out, errb strings.Builder
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return out.String(), errb.String(), code
	}
	if out, errOut, code := ctlTCP(adminPw+"\n", "login", "-u", "admin"); code != 0 || !strings.Contains(out, "Logged in") {
		t.Fatalf("login: %d %s %s", code, out, errOut)
	}
	out, errOut, code := ctlTCP("", "logs", "-o", "json", "--limit", "5", "--search", "decky:"+name)
	var page struct {
		Total int64            `json:"total"`
		Limit int              `json:"limit"`
		Data  []map[string]any `json:"data"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || page.Total == 0 || page.Limit != 5 {
		t.Fatalf("logs over TCP: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := ctlTCP("", "logs", "--limit", "0"); code != 2 || !strings.Contains(errOut, "--limit") {
		t.Errorf("--limit 0: %d %s", code, errOut)
	}
	if out, errOut, code := ctlTCP("viewer-password-9\n", "users", "add", "carl", "--role", "viewer"); code != 0 || !strings.Contains(out, "carl") {
		t.Errorf("users add: %d %s %s", code, out, errOut)
	}
	if out, _, code := ctlTCP("", "users", "role", "carl", "admin"); code != 0 || !strings.Contains(out, "Role updated") {
		t.Errorf("users role: %d %s", code, out)
	}
	if out, _, code := ctlTCP("", "users", "rm", "carl"); code != 0 || !strings.Contains(out, "User deleted") {
		t.Errorf("users rm: %d %s", code, out)
	}
	if out, errOut, code := ctlTCP("", "credentials", "-o", "json"); code != 0 || !strings.HasPrefix(out, `{"total":`) {
		t.Errorf("credentials: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := ctlTCP("", "attackers", "-o", "json"); code != 0 || !strings.HasPrefix(out, `{"total":`) {
		t.Errorf("attackers: %d %s %s", code, out, errOut)
	}
	// Root on the control socket needs no token.
	sockOut := e.ctl("logs", "-o", "json", "--limit", "1")
	if !strings.HasPrefix(sockOut, `{"total":`) {
		t.Errorf("logs over the socket: %s", sockOut)
	}
	// Metrics from loopback.
	r = e.call("GET", "/metrics", "", "", nil)
	if r.code != 200 || !bytes.Contains(r.body, []byte("decnet_events_ingested_total")) || !bytes.Contains(r.body, []byte("decnet_deckies_up 1")) {
		t.Errorf("metrics: %d %s", r.code, r.body)
	}
	r = e.call("GET", "/api/v1/health", viewer, "", nil)
	var h struct {
		Status     string                       `json:"status"`
		Components map[string]map[string]string `json:"components"`
	}
	json.Unmarshal(r.body, &h)
	if h.Components["database"]["status"] != "ok" || h.Components["containerd"]["status"] != "ok" || h.Components["ingestion_worker"]["status"] != "ok" {
		t.Errorf("health: %d %s", r.code, r.body)
	}

	// The API never answers on the decoy LAN: even with a host address on the lab's parent, the attacker
	// netns reaches neither that address nor its own loopback on the API port.
	hostIP := ipOf(2)
	if out, err := exec.Command("ip", "addr", "add", hostIP+"/24", "dev", e.lab.Parent).CombinedOutput(); err != nil {
		t.Fatalf("ip addr add: %v %s", err, out)
	}
	defer exec.Command("ip", "addr", "del", hostIP+"/24", "dev", e.lab.Parent).Run()
	for _, target := range []string{hostIP, "127.0.0.1", ipOf(20)} {
		out, err := e.attacker(10*time.Second, "bash", "-c", fmt.Sprintf("timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%d' && echo CONNECTED", target, e.apiPort))
		if err == nil || strings.Contains(out, "CONNECTED") {
			t.Errorf("attacker netns reached the API at %s:%d: %s", target, e.apiPort, out)
		}
	}
	// Sanity: the host address itself is reachable from the attacker (so the refusal above is the bind).
	if out, err := e.attacker(10*time.Second, "ping", "-c", "1", "-W", "3", hostIP); err != nil {
		t.Logf("host address %s not pingable from the lab (%v %s)", hostIP, err, out)
	}

	// Delete through the API.
	e.want(e.call("DELETE", "/api/v1/deckies/"+name, admin, "", nil), 204, "")
	e.want(e.call("DELETE", "/api/v1/deckies/"+name, admin, "", nil), 404, "Decky "+name+" not found")
	// Logout revokes the token.
	e.want(e.call("POST", "/api/v1/auth/logout", viewer, "", nil), 200, "Logged out")
	e.want(e.call("GET", "/api/v1/stats", viewer, "", nil), 401, "")
}
