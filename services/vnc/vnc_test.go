package vnc

import (
	"bytes"
	"context"
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/bits"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// desResponse encrypts a VNC challenge with the password the way RFB clients do: the key is the password
// padded/truncated to 8 bytes with each byte's bits reversed, DES-ECB over both 8-byte blocks.
func desResponse(t testing.TB, password string, challenge []byte) []byte {
	key := make([]byte, 8)
	copy(key, password)
	for i := range key {
		key[i] = bits.Reverse8(key[i])
	}
	c, err := des.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 16)
	c.Encrypt(out[:8], challenge[:8])
	c.Encrypt(out[8:], challenge[8:])
	return out
}

// rfbAuth runs an RFB client of the given version through VNC auth; it returns the challenge, the
// response sent and the server's SecurityResult bytes.
func rfbAuth(t testing.TB, addr, version, password string) (challenge, resp, result []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	sv := make([]byte, 12)
	if _, err := io.ReadFull(c, sv); err != nil || string(sv) != serverVersion {
		t.Fatalf("server version %q %v", sv, err)
	}
	_, _ = io.WriteString(c, version)
	if version == "RFB 003.003\n" {
		var st [4]byte
		if _, err := io.ReadFull(c, st[:]); err != nil || binary.BigEndian.Uint32(st[:]) != 2 {
			t.Fatalf("3.3 security type %x %v", st, err)
		}
	} else {
		types := make([]byte, 2)
		if _, err := io.ReadFull(c, types); err != nil || !bytes.Equal(types, []byte{1, 2}) {
			t.Fatalf("security types %x %v", types, err)
		}
		_, _ = c.Write([]byte{2})
	}
	challenge = make([]byte, 16)
	if _, err := io.ReadFull(c, challenge); err != nil {
		t.Fatal(err)
	}
	resp = desResponse(t, password, challenge)
	_, _ = c.Write(resp)
	result, _ = io.ReadAll(c)
	return challenge, resp, result
}

func TestDESAuthCaptured(t *testing.T) {
	in := servicetest.Start(t, "vnc")
	for _, tc := range []struct {
		version, result string
	}{
		{"RFB 003.008\n", "\x00\x00\x00\x01\x00\x00\x00\x15Authentication failed"},
		{"RFB 003.007\n", "\x00\x00\x00\x01"},
		{"RFB 003.003\n", "\x00\x00\x00\x01"},
	} {
		from := len(in.Lines())
		challenge, resp, result := rfbAuth(t, in.Addr(Port), tc.version, "s3cret!")
		if string(result) != tc.result {
			t.Errorf("%q: SecurityResult %q, want %q", tc.version, result, tc.result)
		}
		// The captured response decrypts back to the challenge with the known password.
		if !bytes.Equal(desResponse(t, "s3cret!", challenge), resp) {
			t.Fatal("test DES mismatch")
		}
		var authLine, verLine string
		deadline := time.Now().Add(3 * time.Second)
		for authLine == "" && time.Now().Before(deadline) {
			for _, l := range in.Lines()[from:] {
				switch servicetest.MsgID(l) {
				case "auth_response":
					authLine = l
				case "version":
					verLine = l
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		if authLine == "" {
			t.Fatalf("no auth_response: %v", in.Lines())
		}
		auth, ver := servicetest.Parse(t, authLine), servicetest.Parse(t, verLine)
		port := auth.Fields["src_port"]
		h := hex.EncodeToString(resp)
		servicetest.WantFields(t, auth, map[string]string{"src": "127.0.0.1", "src_port": port, "response": h,
			"secret_kind": KindDESResponse, "secret_printable": h, "secret_b64": event.B64(resp)})
		servicetest.WantFields(t, ver, map[string]string{"src": "127.0.0.1", "src_port": port, "client_version": strings.TrimSpace(tc.version)})
		if !strings.Contains(auth.Msg, hex.EncodeToString(challenge)) {
			t.Errorf("challenge not in message: %q", auth.Msg)
		}
	}
	sc := servicetest.Parse(t, in.WaitType(t, time.Second, "security_choice"))
	servicetest.WantFields(t, sc, map[string]string{"src": "127.0.0.1", "src_port": sc.Fields["src_port"], "type": "2"})
}

func TestNmap(t *testing.T) {
	bin, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	in := servicetest.Start(t, "vnc")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-sV", "--script", "vnc-info", "-Pn", "-n", "-p", strconv.Itoa(in.Port(Port)), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	for _, want := range []string{"vnc", "VNC (protocol 3.8)", "Protocol version: 3.8", "VNC Authentication (2)"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("nmap output lacks %q:\n%s", want, out)
		}
	}
}

func TestHydra(t *testing.T) {
	bin, err := exec.LookPath("hydra")
	if err != nil {
		t.Skip("hydra not installed")
	}
	in := servicetest.Start(t, "vnc")
	dir := t.TempDir()
	list := filepath.Join(dir, "pw.txt")
	pws := []string{"123456", "password", "vnc", "letmein", "admin"}
	if err := os.WriteFile(list, []byte(strings.Join(pws, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-I", "-P", list, "-s", strconv.Itoa(in.Port(Port)), "vnc://127.0.0.1")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "0 valid password") {
		t.Logf("hydra output:\n%s", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		n = 0
		for _, l := range in.Lines() {
			if servicetest.MsgID(l) == "auth_response" {
				n++
			}
		}
		if n >= len(pws) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n != len(pws) {
		t.Fatalf("%d auth_response events for %d hydra attempts; hydra:\n%s", n, len(pws), out)
	}
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "vnc")
	inputs := []string{"", "RFB", "GET / HTTP/1.1\r\n\r\n", "RFB 003.008\n\x07", "RFB 003.008\n\x02\x01", "RFB 004.001\n", "RFB 0x3.008\n",
		"RFB 003.008\n\x00", strings.Repeat("\xff", 4096)}
	for _, b := range inputs {
		c, err := net.Dial("tcp", in.Addr(Port))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = io.WriteString(c, b)
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}
	if _, _, res := rfbAuth(t, in.Addr(Port), "RFB 003.008\n", "x"); len(res) < 4 || res[3] != 1 {
		t.Fatalf("not serving after hostile input: %q", res)
	}
}

func TestConcurrent(t *testing.T) {
	in := servicetest.Start(t, "vnc", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, res := rfbAuth(t, in.Addr(Port), "RFB 003.008\n", "pw"); len(res) < 4 || res[3] != 1 {
				t.Errorf("bad result %q", res)
			}
		}()
	}
	wg.Wait()
	n := in.Count("auth_response")
	if n != 500 {
		t.Fatalf("%d auth_response events, want 500", n)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"RFB 003.008\n", 3, 8, true}, {"RFB 003.889\n", 3, 889, true}, {"RFB 003.008", 0, 0, false},
		{"RFB 00a.008\n", 0, 0, false}, {"XYZ 003.008\n", 0, 0, false}, {"RFB 003,008\n", 0, 0, false},
	} {
		ma, mi, err := ParseVersion([]byte(tc.in))
		if (err == nil) != tc.ok || ma != tc.major || mi != tc.minor {
			t.Errorf("ParseVersion(%q) = %d, %d, %v", tc.in, ma, mi, err)
		}
	}
}

// FuzzHandshake feeds arbitrary client bytes through a whole RFB handshake on an in-memory pipe.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte("RFB 003.008\n\x02" + strings.Repeat("A", 16)))
	f.Add([]byte("RFB 003.003\n" + strings.Repeat("A", 16)))
	f.Add([]byte("RFB 003.008\n\x01"))
	env := services.NewEnv("vnc", io.Discard)
	s := &Server{env: env}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = ParseVersion(b)
		srv, cli := net.Pipe()
		done := make(chan struct{})
		go func() { defer close(done); s.handle(context.Background(), srv); srv.Close() }()
		go func() { _, _ = io.Copy(io.Discard, cli) }()
		_, _ = cli.Write(b)
		cli.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("handler hung")
		}
	})
}
