package rdp_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	//lint:ignore SA1019 MD4 is what MS-NLMP NTOWFv2 uses; tests recompute real NTLM responses
	"golang.org/x/crypto/md4"

	"github.com/decnet/decnet/services"
	_ "github.com/decnet/decnet/services/rdp"
	"github.com/decnet/decnet/services/servicetest"
)

func need(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("%s not installed: %v", bin, err)
	}
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// verifyNetNTLMv2 recomputes NTProofStr of a hashcat 5600 line from the password (MS-NLMP 3.3.2).
func verifyNetNTLMv2(t *testing.T, line, password string) {
	t.Helper()
	if !matches(line, password) {
		t.Fatalf("NTProofStr of %q does not match the password", line)
	}
}

func TestNmapNTLMInfoAndVersion(t *testing.T) {
	need(t, "nmap")
	in := servicetest.Start(t, "rdp", servicetest.WithPersona(map[string]any{"dns_domain": "corp.local"}),
		func(e *services.Env) { e.NmapOS = "windows" })
	out, code := run(t, 120*time.Second, "nmap", "-Pn", "-n", "-sV", "-p", strconv.Itoa(in.Port(3389)), "--script", "rdp-ntlm-info", "127.0.0.1")
	if code != 0 {
		t.Fatalf("nmap: %s", out)
	}
	for _, w := range []string{"ms-wbt-server", "Microsoft Terminal Services", "NetBIOS_Domain_Name: CORP", "NetBIOS_Computer_Name: SRV-TEST-42",
		"DNS_Domain_Name: corp.local", "DNS_Computer_Name: SRV-TEST-42.corp.local", "Product_Version: 10.0.19045"} {
		if !strings.Contains(out, w) {
			t.Errorf("nmap lacks %q:\n%s", w, out)
		}
	}
}

func TestXfreerdpAuthOnlyCaptured(t *testing.T) {
	need(t, "xfreerdp")
	in := servicetest.Start(t, "rdp")
	args := []string{"xfreerdp", "/v:" + in.Addr(3389), "/u:admin", "/p:Passw0rd", "/d:WKS", "/cert:ignore", "/auth-only"}
	if os.Getenv("DISPLAY") == "" { // xfreerdp opens the display even with /auth-only
		need(t, "xvfb-run")
		args = append([]string{"xvfb-run", "-a"}, args...)
	}
	out, _ := run(t, 60*time.Second, args[0], args[1:]...)
	line := in.WaitType(t, 10*time.Second, "auth_attempt")
	r := servicetest.Parse(t, line)
	f := r.Fields
	if f["auth_path"] != "nla" || f["username"] != "admin" || f["principal"] != `WKS\admin` || f["secret_kind"] != "ntlmssp_v2" {
		t.Fatalf("fields %v\nxfreerdp: %s", f, out)
	}
	verifyNetNTLMv2(t, f["secret_printable"], "Passw0rd")
	cookie := servicetest.Parse(t, in.WaitType(t, time.Second, "rdp_cookie"))
	if cookie.Fields["username"] != "admin" {
		t.Errorf("cookie %v", cookie.Fields)
	}
}

func TestHydraRDPEveryAttemptCaptured(t *testing.T) {
	need(t, "hydra")
	in := servicetest.Start(t, "rdp")
	list := filepath.Join(t.TempDir(), "pw.txt")
	pws := []string{"alpha1", "bravo2", "charlie3"}
	if err := os.WriteFile(list, []byte(strings.Join(pws, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := run(t, 120*time.Second, "hydra", "-t", "1", "-l", "admin", "-P", list, "-s", strconv.Itoa(in.Port(3389)), "rdp://127.0.0.1")
	time.Sleep(500 * time.Millisecond)
	seen := map[string]bool{}
	for _, l := range in.Lines() {
		if servicetest.MsgID(l) != "auth_attempt" {
			continue
		}
		for _, pw := range pws {
			if matches(servicetest.Parse(t, l).Fields["secret_printable"], pw) {
				seen[pw] = true
			}
		}
	}
	for _, pw := range pws {
		if !seen[pw] {
			t.Errorf("attempt with %q not captured; hydra: %s", pw, out)
		}
	}
}

// matches reports whether a 5600 line was computed from password.
func matches(line, password string) bool {
	p := strings.Split(line, ":")
	if len(p) != 6 {
		return false
	}
	chal, _ := hex.DecodeString(p[3])
	proof, _ := hex.DecodeString(p[4])
	blob, _ := hex.DecodeString(p[5])
	h := md4.New()
	h.Write(utf16le(password))
	m := hmac.New(md5.New, h.Sum(nil))
	m.Write(utf16le(strings.ToUpper(p[0]) + p[2]))
	m = hmac.New(md5.New, m.Sum(nil))
	m.Write(chal)
	m.Write(blob)
	return hmac.Equal(m.Sum(nil), proof)
}

func TestNoNLAConfirmsClassic(t *testing.T) {
	in := servicetest.Start(t, "rdp", servicetest.WithPersona(map[string]any{"nla": false}))
	c, err := net.Dial("tcp", in.Addr(3389))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("\x03\x00\x00\x29\x24\xe0\x00\x00\x00\x00\x00Cookie: mstshash=eve\r\n\x01\x00\x08\x00\x00\x00\x00\x00"))
	buf := make([]byte, 64)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Read(buf)
	if err != nil || n != 19 || buf[5] != 0xd0 || buf[11] != 0x02 || buf[15] != 0 {
		t.Fatalf("confirm %x %v", buf[:n], err)
	}
	r := servicetest.Parse(t, in.WaitType(t, time.Second, "rdp_cookie"))
	if r.Fields["username"] != "eve" || r.Fields["principal"] != "eve" || r.Fields["requested_protocols"] != "0x0" {
		t.Fatalf("fields %v", r.Fields)
	}
}

func TestHostileInputKeepsServing(t *testing.T) {
	need(t, "nmap")
	in := servicetest.Start(t, "rdp")
	rng := rand.New(rand.NewPCG(5, 6))
	payloads := [][]byte{
		{3, 0, 0xff, 0xff}, {3, 0, 0, 2}, {3, 0, 0, 8, 0xff, 0xe0, 0, 0},
		[]byte("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00\x16\x03\x01\xff\xff"),
	}
	for range 40 {
		b := make([]byte, 1+rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		b[0] = 3
		payloads = append(payloads, b)
	}
	for _, p := range payloads {
		c, err := net.Dial("tcp", in.Addr(3389))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(p)
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = c.Read(make([]byte, 1024))
		c.Close()
	}
	out, _ := run(t, 60*time.Second, "nmap", "-Pn", "-n", "-p", strconv.Itoa(in.Port(3389)), "--script", "rdp-ntlm-info",
		"--script-args", "", "-sV", "127.0.0.1")
	if !strings.Contains(out, "Product_Version") {
		t.Fatalf("service broken after hostile input:\n%s", out)
	}
}

func TestFiveHundredConcurrentConnections(t *testing.T) {
	in := servicetest.Start(t, "rdp", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", in.Addr(3389), 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			cookie := "u" + strconv.Itoa(i)
			req := "\x00\x00\x00\x00\x00" + "Cookie: mstshash=" + cookie + "\r\n\x01\x00\x08\x00\x03\x00\x00\x00"
			x := append([]byte{byte(len(req) + 1), 0xe0}, req...)
			pkt := append([]byte{3, 0, byte((len(x) + 4) >> 8), byte(len(x) + 4)}, x...)
			if _, err := c.Write(pkt); err != nil {
				errs <- err
				return
			}
			buf := make([]byte, 19)
			if _, err := readFull(c, buf); err != nil || buf[11] != 0x02 || buf[15] != 0x02 {
				errs <- errors.New("bad confirm")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
