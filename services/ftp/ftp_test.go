package ftp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed: %v", bin, err)
	}
	return p
}

func run(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s timed out: %s", name, out)
	}
	return string(out), err
}

func events(in *servicetest.Instance, typ string) []event.Record {
	var out []event.Record
	for _, l := range in.Lines() {
		if servicetest.MsgID(l) == typ {
			if r, err := event.Parse(l, time.Now()); err == nil {
				out = append(out, r)
			}
		}
	}
	return out
}

func waitEvent(t *testing.T, in *servicetest.Instance, typ string) event.Record {
	t.Helper()
	l := in.WaitType(t, 5*time.Second, typ)
	r, err := event.Parse(l, time.Now())
	if err != nil {
		t.Fatalf("parse %q: %v", l, err)
	}
	return r
}

func TestCurlLoginListRetrStor(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"login": "accept", "banner": "220 (vsFTPd 3.0.5)"}))
	base := "ftp://" + in.Addr(21)
	out, err := run(t, 20*time.Second, "", curl, "-s", "-u", "admin:hunter2", base+"/")
	out = strings.ReplaceAll(out, "\r\n", "\n")
	if err != nil {
		t.Fatalf("curl list: %v\n%s", err, out)
	}
	if !strings.Contains(out, "drwxr-x---") || !strings.Contains(out, " backups\n") || !strings.Contains(out, " README.txt\n") || strings.Contains(out, ".htaccess") {
		t.Errorf("listing:\n%q", out)
	}
	auth := waitEvent(t, in, "auth_attempt")
	want := map[string]string{"src_ip": "127.0.0.1", "username": "admin", "principal": "admin", "secret_kind": "plaintext",
		"secret_printable": "hunter2", "secret_b64": "aHVudGVyMg==", "outcome": "success"}
	for k, v := range want {
		if auth.Fields[k] != v {
			t.Errorf("auth_attempt %s = %q, want %q", k, auth.Fields[k], v)
		}
	}
	if u := waitEvent(t, in, "user"); u.Fields["username"] != "admin" {
		t.Errorf("user event %v", u.Fields)
	}
	waitEvent(t, in, "connection")

	out, err = run(t, 20*time.Second, "", curl, "-s", "-u", "admin:hunter2", base+"/README.txt")
	if err != nil || !strings.Contains(out, "file area") {
		t.Fatalf("curl retr: %v\n%s", err, out)
	}
	// A backup is a real tar.gz of the advertised size.
	dir := t.TempDir()
	list, _ := run(t, 20*time.Second, "", curl, "-s", "-u", "admin:hunter2", base+"/backups/")
	var name string
	var size int
	for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
		f := strings.Fields(l)
		if len(f) >= 9 && strings.HasSuffix(f[8], ".tar.gz") {
			name = f[8]
			fmt.Sscan(f[4], &size)
			break
		}
	}
	if name == "" {
		t.Fatalf("no backup in listing:\n%s", list)
	}
	dst := filepath.Join(dir, name)
	if out, err := run(t, 20*time.Second, "", curl, "-s", "-u", "admin:hunter2", "-o", dst, base+"/backups/"+name); err != nil {
		t.Fatalf("download backup: %v %s", err, out)
	}
	if fi, err := os.Stat(dst); err != nil || int(fi.Size()) != size {
		t.Errorf("backup size %v, listing says %d", fi, size)
	}
	if tarBin, err := exec.LookPath("tar"); err == nil {
		out, err := run(t, 10*time.Second, "", tarBin, "-tzf", dst)
		if err != nil || !strings.Contains(out, "wp-config.php") {
			t.Errorf("tar -tzf: %v %s", err, out)
		}
	}
	dl := events(in, "download_attempt")
	if len(dl) != 2 || dl[0].Fields["path"] != "/README.txt" || dl[1].Fields["path"] != "/backups/"+name {
		t.Errorf("download_attempt events %v", dl)
	}

	// STOR → quarantine.
	up := filepath.Join(dir, "shell.php")
	payload := []byte("<?php system($_GET['c']); ?>\n")
	if err := os.WriteFile(up, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, 20*time.Second, "", curl, "-s", "-u", "admin:hunter2", "-T", up, base+"/public_html/"); err != nil {
		t.Fatalf("curl stor: %v %s", err, out)
	}
	fc := waitEvent(t, in, "file_captured")
	sum := sha256.Sum256(payload)
	hexsum := hex.EncodeToString(sum[:])
	if fc.Fields["sha256"] != hexsum || fc.Fields["size"] != fmt.Sprint(len(payload)) ||
		fc.Fields["orig_path"] != "/public_html/shell.php" || fc.Fields["stored_as"] != "quarantine/"+hexsum {
		t.Errorf("file_captured %v", fc.Fields)
	}
	got, err := os.ReadFile(filepath.Join(in.Env.Artifacts, "quarantine", hexsum))
	if err != nil || string(got) != string(payload) {
		t.Errorf("quarantined file: %v %q", err, got)
	}
	in.WaitFor(t, 5*time.Second, func(l string) bool { return len(events(in, "disconnect")) >= 4 })
}

func TestLoginReject(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"login": "reject"}))
	out, err := run(t, 20*time.Second, "", curl, "-s", "-S", "-u", "root:toor", "ftp://"+in.Addr(21)+"/")
	if err == nil || !strings.Contains(out, "530") && !strings.Contains(out, "Access denied") {
		t.Errorf("reject: err %v out %s", err, out)
	}
	a := waitEvent(t, in, "auth_attempt")
	if a.Fields["outcome"] != "failure" || a.Fields["principal"] != "root" || a.Fields["secret_printable"] != "toor" {
		t.Errorf("auth_attempt %v", a.Fields)
	}
}

func TestLftp(t *testing.T) {
	lftp := need(t, "lftp")
	in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"login": "accept", "banner": "220 ProFTPD 1.3.7a Server ready."}))
	script := fmt.Sprintf("set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 5; open -u deploy,Winter2024 -p %d 127.0.0.1; ls -la; cd backups; pwd; cat /README.txt; bye\n", in.Port(21))
	out, err := run(t, 30*time.Second, "", lftp, "-c", script)
	if err != nil {
		t.Fatalf("lftp: %v\n%s", err, out)
	}
	for _, want := range []string{"www-data", ".htaccess", "README.txt", "file area", "/backups"} {
		if !strings.Contains(out, want) {
			t.Errorf("lftp output lacks %q:\n%s", want, out)
		}
	}
	a := waitEvent(t, in, "auth_attempt")
	if a.Fields["username"] != "deploy" || a.Fields["secret_printable"] != "Winter2024" || a.Fields["outcome"] != "success" {
		t.Errorf("auth_attempt %v", a.Fields)
	}
}

func TestRandomLoginIsStablePerCredential(t *testing.T) {
	env := services.NewEnv("ftp", &strings.Builder{})
	env.Decky = "decky-x"
	s := &Server{env: env, login: "random"}
	accepted := 0
	for i := range 1000 {
		u, p := fmt.Sprintf("u%d", i), "pw"
		a := s.accepts(u, p)
		if a != s.accepts(u, p) {
			t.Fatal("outcome not stable for one credential")
		}
		if a {
			accepted++
		}
	}
	if accepted < 850 || accepted > 950 {
		t.Errorf("accepted %d of 1000, want about 900", accepted)
	}
}

func TestDialectReplies(t *testing.T) {
	for _, tc := range []struct{ banner, user, syst, unknown string }{
		{"220 (vsFTPd 3.0.3)", "331 Please specify the password.", "215 UNIX Type: L8", "530 Please login with USER and PASS."},
		{"220 ProFTPD 1.3.6 Server ready.", "331 Password required for bob", "215 UNIX Type: L8", "530 Please login with USER and PASS"},
		{"220 Pure-FTPd Service ready.", "331 User bob OK. Password required", "215 UNIX Type: L8", "530 You aren't logged in"},
	} {
		in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"banner": tc.banner, "login": "reject"}))
		c, err := net.Dial("tcp", in.Addr(21))
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		line := func() string { l, _ := r.ReadString('\n'); return strings.TrimRight(l, "\r\n") }
		if got := line(); got != tc.banner {
			t.Errorf("banner %q", got)
		}
		for _, step := range [][2]string{{"USER bob", tc.user}, {"PASS x", "530 Login incorrect."}, {"SYST", tc.syst},
			{"LIST", ""}, {"FOO bar", tc.unknown}, {strings.Repeat("A", 5000), ""}, {"QUIT", ""}} {
			fmt.Fprintf(c, "%s\r\n", step[0])
			got := line()
			if step[1] != "" && got != step[1] {
				t.Errorf("%s: %q → %q, want %q", tc.banner, step[0], got, step[1])
			}
			if step[0] == "LIST" && !strings.HasPrefix(got, "530") {
				t.Errorf("LIST before login → %q", got)
			}
		}
		c.Close()
	}
}

func nmap(t *testing.T, port int) string {
	bin := need(t, "nmap")
	out, _ := run(t, 240*time.Second, "", bin, "-sV", "--version-all", "-Pn", "-n", "-p", fmt.Sprint(port), "127.0.0.1")
	return out
}

func TestNmapProducts(t *testing.T) {
	for banner, product := range map[string]string{
		"220 (vsFTPd 3.0.3)":               "vsftpd 3.0.3",
		"220 ProFTPD 1.3.7a Server ready.": "ProFTPD 1.3.7a",
		"220 Pure-FTPd Service ready.":     "Pure-FTPd",
	} {
		in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"banner": banner}))
		out := nmap(t, in.Port(21))
		if !strings.Contains(out, "ftp") || !strings.Contains(out, product) {
			t.Errorf("nmap for %q:\n%s", banner, out)
		}
	}
}

func TestConcurrent500(t *testing.T) {
	in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"login": "accept"}), func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", in.Addr(21))
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			r := bufio.NewReader(c)
			if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "220") {
				errs <- fmt.Errorf("banner %q %v", l, err)
				return
			}
			fmt.Fprintf(c, "USER u%d\r\nPASS p\r\nPWD\r\nQUIT\r\n", i)
			for _, want := range []string{"331", "230", "257", "221"} {
				l, err := r.ReadString('\n')
				if err != nil || !strings.HasPrefix(l, want) {
					errs <- fmt.Errorf("conn %d: want %s got %q %v", i, want, l, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(events(in, "auth_attempt")); got != n {
		t.Errorf("%d auth_attempt events, want %d", got, n)
	}
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "ftp", servicetest.WithPersona(map[string]any{"login": "accept"}))
	rng := rand.New(rand.NewPCG(3, 4))
	payloads := []string{strings.Repeat("X", 1<<20), "USER \xff\xfb\x01a\r\nPASS \x00\r\nPASV\r\nEPSV\r\nLIST -la ../../..\r\nRETR ../../etc/passwd\r\nCWD /../..\r\n",
		"\r\n\r\n\n\n", "USER a\r\nPASS b\r\nSTOR x\r\n", "REST 99999999999999999999\r\nSIZE\r\nMDTM\r\n"}
	for range 20 {
		b := make([]byte, rng.IntN(8192))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		payloads = append(payloads, string(b))
	}
	for _, p := range payloads {
		c, err := net.Dial("tcp", in.Addr(21))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.Write([]byte(p))
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		c.Close()
	}
	c, err := net.Dial("tcp", in.Addr(21))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprintf(c, "USER a\r\nPASS b\r\n")
	for _, want := range []string{"220", "331", "230"} {
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, want) {
			t.Fatalf("after hostile input want %s, got %q %v", want, l, err)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for in, want := range map[string][2]string{
		"USER admin\r\n":           {"USER", "admin"},
		"stor my file.txt\r\n":     {"STOR", "my file.txt"},
		"\xff\xf4\xff\xf2ABOR\r\n": {"ABOR", ""},
		"PASS \r\n":                {"PASS", ""},
		"1234 x\r\n":               {"", ""},
		"\r\n":                     {"", ""},
		"\xff\xfb\x01NOOP\n":       {"NOOP", ""},
	} {
		v, a := ParseCommand(in)
		if v != want[0] || a != want[1] {
			t.Errorf("ParseCommand(%q) = %q, %q; want %q", in, v, a, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("USER anonymous\r\n")
	f.Add("\xff\xf4\xff\xf2ABOR\r\n")
	f.Add("RETR ../../etc/passwd")
	f.Fuzz(func(t *testing.T, line string) {
		v, a := ParseCommand(line)
		if len(v) > 16 || strings.ContainsAny(v, " \r\n") || len(a) > len(line) {
			t.Fatalf("ParseCommand(%q) = %q, %q", line, v, a)
		}
	})
}
