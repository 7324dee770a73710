package http

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	nethttp "net/http"
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
	"github.com/decnet/decnet/services/tlsfp"
)

func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed: %v", bin, err)
	}
	return p
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil && ctx.Err() != nil {
		t.Fatalf("%s timed out: %s", name, out)
	}
	return string(out)
}

// waitEvent waits for an event of type typ satisfying pred and returns it parsed.
func waitEvent(t *testing.T, in *servicetest.Instance, typ string, pred func(event.Record) bool) event.Record {
	t.Helper()
	var rec event.Record
	in.WaitFor(t, 5*time.Second, func(l string) bool {
		if servicetest.MsgID(l) != typ {
			return false
		}
		r, err := event.Parse(l, time.Now())
		if err != nil {
			t.Fatalf("parse %q: %v", l, err)
		}
		if pred == nil || pred(r) {
			rec = r
			return true
		}
		return false
	})
	return rec
}

func pathIs(p string) func(event.Record) bool {
	return func(r event.Record) bool { return r.Fields["path"] == p }
}

func TestCurlBasicAuth(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "http")
	out := run(t, 10*time.Second, curl, "-s", "-i", "-u", "admin:s3cr\u00e9t", "http://"+in.Addr(80)+"/admin?x=1")
	if !strings.HasPrefix(out, "HTTP/1.1 403 Forbidden") || !strings.Contains(out, "<title>403 Forbidden</title>") {
		t.Fatalf("unexpected response:\n%s", out)
	}
	rec := waitEvent(t, in, "request", pathIs("/admin?x=1"))
	want := map[string]string{
		"remote_addr":      rec.Fields["remote_addr"],
		"method":           "GET",
		"principal":        "admin",
		"secret_kind":      "plaintext",
		"secret_printable": "s3cr??t",
		"secret_b64":       base64.StdEncoding.EncodeToString([]byte("s3cr\u00e9t")),
	}
	for k, v := range want {
		if rec.Fields[k] != v {
			t.Errorf("request %s = %q, want %q", k, rec.Fields[k], v)
		}
	}
	if !strings.HasPrefix(rec.Fields["remote_addr"], "127.0.0.1:") || rec.AttackerIP != "127.0.0.1" {
		t.Errorf("source %q / %q", rec.Fields["remote_addr"], rec.AttackerIP)
	}
	if !strings.Contains(rec.Fields["headers"], `"Authorization":"Basic `) || !strings.Contains(rec.Fields["headers"], `"Host":"127.0.0.1:`) {
		t.Errorf("headers %s", rec.Fields["headers"])
	}
	fp := waitEvent(t, in, "http_request_fingerprint", pathIs("/admin?x=1"))
	if fp.Fields["headers_ordered"] != "Host,Authorization,User-Agent,Accept" {
		t.Errorf("headers_ordered = %q", fp.Fields["headers_ordered"])
	}
	wantJA4H := tlsfp.JA4H(tlsfp.HTTPRequest{Method: "GET", Proto: "HTTP/1.1", Headers: []tlsfp.Header{{Name: "Host"}, {Name: "Authorization"}, {Name: "User-Agent"}, {Name: "Accept"}}})
	if fp.Fields["ja4h"] != wantJA4H || !strings.HasPrefix(wantJA4H, "ge11nn040000_") {
		t.Errorf("ja4h = %q, want %q", fp.Fields["ja4h"], wantJA4H)
	}
	acc := waitEvent(t, in, "http_access", pathIs("/admin?x=1"))
	if acc.Fields["status"] != "403" || acc.Fields["proto"] != "HTTP/1.1" || acc.Fields["bytes"] == "0" {
		t.Errorf("http_access %v", acc.Fields)
	}
}

func TestWordPressLoginForm(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"fake_app": "wordpress"}))
	base := "http://" + in.Addr(80)
	out := run(t, 10*time.Second, curl, "-s", "-i", "-d", "log=admin&pwd=hunter2&wp-submit=Log+In", base+"/wp-login.php")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.Contains(out, "is incorrect") || !strings.Contains(out, `name="pwd"`) {
		t.Fatalf("unexpected response:\n%s", out)
	}
	rec := waitEvent(t, in, "request", func(r event.Record) bool { return r.Fields["method"] == "POST" })
	for k, v := range map[string]string{"path": "/wp-login.php", "principal": "admin", "secret_kind": "plaintext",
		"secret_printable": "hunter2", "secret_b64": "aHVudGVyMg==", "body": "log=admin&pwd=hunter2&wp-submit=Log+In"} {
		if rec.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, rec.Fields[k], v)
		}
	}
	out = run(t, 10*time.Second, curl, "-s", "-i", base+"/wp-admin/")
	if !strings.HasPrefix(out, "HTTP/1.1 302 Found") || !strings.Contains(out, "Location: http://127.0.0.1/wp-login.php?redirect_to=") {
		t.Errorf("wp-admin:\n%s", out)
	}
}

func TestPersonaVisibleInCurl(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{
		"server_header": "nginx/1.18.0 (Ubuntu)",
		"response_code": 401,
		"extra_headers": `{"X-Powered-By":"PHP/7.4.3","X-Frame-Options":"DENY"}`,
	}))
	out := run(t, 10*time.Second, curl, "-s", "-i", "http://"+in.Addr(80)+"/")
	for _, want := range []string{"HTTP/1.1 401 Unauthorized", "Server: nginx/1.18.0 (Ubuntu)", "X-Powered-By: PHP/7.4.3",
		"X-Frame-Options: DENY", `WWW-Authenticate: Basic realm="Restricted Area"`, "<center>nginx/1.18.0 (Ubuntu)</center>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	in2 := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"custom_body": "<h1>hello</h1>", "response_code": 200, "fake_app": "jenkins"}))
	out = run(t, 10*time.Second, curl, "-s", "-i", "http://"+in2.Addr(80)+"/login")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.HasSuffix(out, "<h1>hello</h1>") {
		t.Errorf("custom_body must win over fake_app:\n%s", out)
	}
}

func TestDefaultServerHeaderFromDistro(t *testing.T) {
	for _, slug := range []string{"debian", "ubuntu22", "ubuntu20", "rocky9", "centos7", "alpine", "fedora", "kali", "arch"} {
		in := servicetest.Start(t, "http", func(e *services.Env) { e.Distro, _ = lookupDistro(slug) })
		resp, err := nethttp.Get("http://" + in.Addr(80) + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv := resp.Header.Get("Server")
		ok := false
		for _, s := range append(serverHeaders[in.Env.Distro.ID].apache, serverHeaders[in.Env.Distro.ID].nginx...) {
			ok = ok || s == srv
		}
		if !ok {
			t.Errorf("%s: Server %q is not from the distro list", slug, srv)
		}
		if srv != defaultServer(in.Env, "none") {
			t.Errorf("%s: Server %q not stable", slug, srv)
		}
	}
}

func TestFakeApps(t *testing.T) {
	tests := []struct {
		app, method, path string
		status            int
		body, header      string
	}{
		{"apache_default", "GET", "/", 200, "Apache2 Debian Default Page", ""},
		{"apache_default", "GET", "/nope", 404, "The requested URL was not found on this server.", ""},
		{"nginx_default", "GET", "/", 200, "Welcome to nginx!", ""},
		{"iis_default", "GET", "/", 200, "IIS Windows Server", "Microsoft-IIS/10.0"},
		{"iis_default", "GET", "/x.aspx", 404, "404 - File or directory not found.", ""},
		{"wordpress", "GET", "/", 200, `content="WordPress 6.4.3"`, ""},
		{"wordpress", "GET", "/wp-login.php", 200, `name="log"`, ""},
		{"wordpress", "GET", "/xmlrpc.php", 405, "XML-RPC server accepts POST requests only.", ""},
		{"phpmyadmin", "GET", "/phpmyadmin/", 200, `name="pma_password"`, ""},
		{"tomcat_manager", "GET", "/", 200, "Apache Tomcat/9.0.82", ""},
		{"tomcat_manager", "GET", "/manager/html", 401, "tomcat-users.xml", `Basic realm="Tomcat Manager Application"`},
		{"jenkins", "GET", "/", 403, "Authentication required", "Jetty(10.0.18)"},
		{"jenkins", "GET", "/login", 200, `name="j_password"`, ""},
		{"jenkins", "POST", "/j_spring_security_check", 302, "", ""},
	}
	running := map[string]*servicetest.Instance{}
	client := &nethttp.Client{CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }}
	for _, tc := range tests {
		in := running[tc.app]
		if in == nil {
			in = servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"fake_app": tc.app}))
			running[tc.app] = in
		}
		req, _ := nethttp.NewRequest(tc.method, "http://"+in.Addr(80)+tc.path, strings.NewReader("j_username=a&j_password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.app, tc.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s %s %s: status %d, body %.200q", tc.app, tc.method, tc.path, resp.StatusCode, b)
		}
		if tc.header != "" && !strings.Contains(fmt.Sprint(resp.Header), tc.header) {
			t.Errorf("%s %s: headers %v lack %q", tc.app, tc.path, resp.Header, tc.header)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "robots.txt"), []byte("User-agent: *\nDisallow: /backup/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"files": dir}))
	for path, want := range map[string]int{"/robots.txt": 200, "/../../etc/passwd": 403, "/missing": 403} {
		resp, err := nethttp.Get("http://" + in.Addr(80) + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && string(b) != "User-agent: *\nDisallow: /backup/\n") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
}

// TestJA4HWireOrder sends E28's request over a raw connection, then a second request on the same
// keep-alive connection with another header order.
func TestJA4HWireOrder(t *testing.T) {
	in := servicetest.Start(t, "http")
	c, err := net.Dial("tcp", in.Addr(80))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	send := func(req string) {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := nethttp.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	send("GET /one HTTP/1.1\r\nHost: x\r\nUser-Agent: ua\r\nAccept: */*\r\nCookie: b=2; a=1\r\nReferer: http://x/\r\nAccept-Language: en-US\r\n\r\n")
	send("POST /two HTTP/1.1\r\nhost: x\r\nContent-Length: 5\r\naccept-language: fr-FR,fr;q=0.9\r\nX-Zed: 1\r\n\r\nhello")
	one := waitEvent(t, in, "http_request_fingerprint", pathIs("/one"))
	if one.Fields["ja4h"] != "ge11cr04enus_8ddaef5d77af_1eb7c54d5283_06beefe2b477" {
		t.Errorf("E28 ja4h = %q", one.Fields["ja4h"])
	}
	if one.Fields["cookie"] != "b=2; a=1" || one.Fields["accept_language"] != "en-US" {
		t.Errorf("fingerprint fields %v", one.Fields)
	}
	two := waitEvent(t, in, "http_request_fingerprint", pathIs("/two"))
	if two.Fields["headers_ordered"] != "host,Content-Length,accept-language,X-Zed" || !strings.HasPrefix(two.Fields["ja4h"], "po11nn04frfr_") {
		t.Errorf("second request fingerprint %v", two.Fields)
	}
	if r := waitEvent(t, in, "request", pathIs("/two")); r.Fields["body"] != "hello" {
		t.Errorf("body %q", r.Fields["body"])
	}
}

func TestHTTPSClientHelloAndCert(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "https", servicetest.WithPersona(map[string]any{"http_versions": []string{"http/1.1", "http/2"}}))
	out := run(t, 15*time.Second, curl, "-s", "-k", "-i", "--http2", "-u", "bob:pw", "https://"+in.Addr(443)+"/x")
	if !strings.HasPrefix(out, "HTTP/2 403") {
		t.Fatalf("curl https:\n%s", out)
	}
	hello := waitEvent(t, in, "tls_client_hello", nil)
	f := hello.Fields
	if len(f["ja3"]) != 32 || !strings.HasPrefix(f["ja4"], "t13i") || f["tls_version"] != "TLS 1.3" ||
		f["alpn"] != "h2,http/1.1" || f["raw_ciphers"] == "" || f["raw_extensions"] == "" || f["sni"] != "" {
		t.Errorf("tls_client_hello %v", f)
	}
	acc := waitEvent(t, in, "http_access", pathIs("/x"))
	if acc.Fields["proto"] != "HTTP/2.0" || acc.Fields["status"] != "403" {
		t.Errorf("http_access %v", acc.Fields)
	}
	if r := waitEvent(t, in, "request", pathIs("/x")); r.Fields["principal"] != "bob" || r.Fields["secret_printable"] != "pw" {
		t.Errorf("request over h2 %v", r.Fields)
	}

	// Go client over HTTP/1.1: certificate CN, SNI and a fingerprint equal to our own computation.
	var state tls.ConnectionState
	conn, err := tls.Dial("tcp", in.Addr(443), &tls.Config{InsecureSkipVerify: true, ServerName: "www.corp.example", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	state = conn.ConnectionState()
	fmt.Fprintf(conn, "GET /go HTTP/1.1\r\nHost: www.corp.example\r\nConnection: close\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	conn.Close()
	leaf := state.PeerCertificates[0]
	if leaf.Subject.CommonName != "SRV-TEST-42" || leaf.Issuer.CommonName != "SRV-TEST-42" ||
		leaf.NotAfter.Sub(leaf.NotBefore) < 3649*24*time.Hour {
		t.Errorf("certificate subject %q issuer %q validity %v", leaf.Subject, leaf.Issuer, leaf.NotAfter.Sub(leaf.NotBefore))
	}
	if _, err := os.Stat(filepath.Join(in.Env.Artifacts, "tls", "cert.pem")); err != nil {
		t.Errorf("certificate not kept: %v", err)
	}
	gh := waitEvent(t, in, "tls_client_hello", func(r event.Record) bool { return r.Fields["sni"] == "www.corp.example" })
	if gh.Fields["alpn"] != "http/1.1" || !strings.HasPrefix(gh.Fields["ja4"], "t13d") {
		t.Errorf("go hello %v", gh.Fields)
	}
	if fp := waitEvent(t, in, "http_request_fingerprint", pathIs("/go")); fp.Fields["headers_ordered"] != "Host,Connection" {
		t.Errorf("https h1 header order %v", fp.Fields)
	}

	// openssl s_client sees the same subject.
	if _, err := exec.LookPath("openssl"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", in.Addr(443), "-servername", "decoy")
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "CN = SRV-TEST-42") && !strings.Contains(string(out), "CN=SRV-TEST-42") {
			t.Errorf("openssl s_client:\n%s", out)
		}
	}

	// A restart (a new load from the artifact dir) keeps the same certificate.
	cert, err := loadCertificate(in.Env)
	if err != nil || string(cert.Certificate[0]) != string(state.PeerCertificates[0].Raw) {
		t.Errorf("certificate not reused after restart: %v", err)
	}
}

func TestTLSCNPersona(t *testing.T) {
	in := servicetest.Start(t, "https", servicetest.WithPersona(map[string]any{"tls_cn": "intranet.corp.local"}))
	conn, err := tls.Dial("tcp", in.Addr(443), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "intranet.corp.local" {
		t.Errorf("CN = %q", cn)
	}
}

func TestH2C(t *testing.T) {
	curl := need(t, "curl")
	in := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"http_versions": []string{"http/1.1", "http/2"}}))
	out := run(t, 10*time.Second, curl, "-s", "-i", "--http2-prior-knowledge", "http://"+in.Addr(80)+"/h2c")
	if !strings.HasPrefix(out, "HTTP/2 403") {
		t.Fatalf("h2c:\n%s", out)
	}
	fp := waitEvent(t, in, "http_request_fingerprint", pathIs("/h2c"))
	if fp.Fields["proto"] != "HTTP/2.0" || !strings.HasPrefix(fp.Fields["ja4h"], "ge20nn") {
		t.Errorf("h2c fingerprint %v", fp.Fields)
	}
}

func nmapRun(t *testing.T, port int, extra ...string) string {
	nmap := need(t, "nmap")
	args := append([]string{"-sV", "-Pn", "-n", "-p", fmt.Sprint(port)}, extra...)
	return run(t, 180*time.Second, nmap, append(args, "127.0.0.1")...)
}

func TestNmapHTTP(t *testing.T) {
	in := servicetest.Start(t, "http", servicetest.WithPersona(map[string]any{"server_header": "Apache/2.4.57 (Debian)"}))
	out := nmapRun(t, in.Port(80))
	if !strings.Contains(out, "http") || !strings.Contains(out, "Apache httpd 2.4.57") {
		t.Errorf("nmap http:\n%s", out)
	}
}

func TestNmapHTTPS(t *testing.T) {
	in := servicetest.Start(t, "https", servicetest.WithPersona(map[string]any{"server_header": "nginx/1.18.0 (Ubuntu)"}))
	out := nmapRun(t, in.Port(443))
	if !strings.Contains(out, "ssl/http") || !strings.Contains(out, "nginx 1.18.0") {
		t.Errorf("nmap https:\n%s", out)
	}
}

func TestConcurrent500(t *testing.T) {
	in := servicetest.Start(t, "http", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	const n = 500
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", in.Addr(80))
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer c.Close()
		conns[i] = c
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			fmt.Fprintf(c, "GET /c%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 403 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n2 := in.Count("http_access")
	if n2 != n {
		t.Errorf("%d http_access events, want %d", n2, n)
	}
}

func TestHostileInput(t *testing.T) {
	for _, slug := range []string{"http", "https"} {
		in := servicetest.Start(t, slug)
		port := 80
		if slug == "https" {
			port = 443
		}
		rng := rand.New(rand.NewPCG(1, 2))
		payloads := [][]byte{
			[]byte("GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("A", 200<<10) + "\r\n\r\n"),
			[]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc"),
			[]byte("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"),
			[]byte("\x16\x03\x01\xff\xff\x01\x00\xff\xfb"),
			[]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03"),
			[]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\xff\xff\x04\x00\x00\x00\x00\x00"),
		}
		for range 20 {
			b := make([]byte, rng.IntN(4096))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			payloads = append(payloads, b)
		}
		for _, p := range payloads {
			c, err := net.Dial("tcp", in.Addr(port))
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write(p)
			_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
			c.Close()
		}
		client := &nethttp.Client{Timeout: 5 * time.Second, Transport: &nethttp.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		scheme := map[string]string{"http": "http", "https": "https"}[slug]
		resp, err := client.Get(scheme + "://" + in.Addr(port) + "/after")
		if err != nil {
			t.Fatalf("%s: not serving after hostile input: %v", slug, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("%s: status %d after hostile input", slug, resp.StatusCode)
		}
	}
}

func TestParseHead(t *testing.T) {
	tests := []struct {
		in    string
		names string
		n     int
		err   bool
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\nB:  c \r\n\r\nBODY", "Host,B", 35, false},
		{"GET / HTTP/1.0\nHost: a\n folded\n\n", "Host", 32, false},
		{"GET / HTTP/1.1\r\nHost: a\r\n", "", 0, true},
		{"garbage\r\n\r\n", "", 0, true},
	}
	for _, tc := range tests {
		h, n, err := ParseHead([]byte(tc.in))
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err != nil {
			continue
		}
		var names []string
		for _, x := range h.Headers {
			names = append(names, x.Name)
		}
		if strings.Join(names, ",") != tc.names || n != tc.n {
			t.Errorf("%q: names %v n %d", tc.in, names, n)
		}
	}
	h, _, _ := ParseHead([]byte("GET / HTTP/1.0\nHost: a\n folded\n\n"))
	if h.Headers[0].Value != "a folded" {
		t.Errorf("folded value %q", h.Headers[0].Value)
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.0\n a\n:\nB:\n\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHead(b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) || len(h.Headers) > maxHeadHeaders {
			t.Fatalf("n=%d len=%d headers=%d", n, len(b), len(h.Headers))
		}
		_ = tlsfp.JA4H(tlsfp.HTTPRequest{Method: h.Method, Proto: h.Proto, Headers: h.Headers})
		hc := &headConn{buf: append([]byte(nil), b...)}
		if _, ok := hc.take(h.Method, h.Target, h.Proto); !ok {
			t.Fatalf("take failed on a parseable head")
		}
	})
}
