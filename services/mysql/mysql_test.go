package mysql

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// nativePassword computes the mysql_native_password scramble response.
func nativePassword(password string, scramble []byte) []byte {
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(scramble)
	h.Write(h2[:])
	h3 := h.Sum(nil)
	out := make([]byte, 20)
	for i := range out {
		out[i] = h1[i] ^ h3[i]
	}
	return out
}

// recordingProxy forwards one connection to target and records what the server sent.
type recordingProxy struct {
	ln  net.Listener
	mu  sync.Mutex
	srv bytes.Buffer
}

func startProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { _, _ = io.Copy(s, c) }()
				buf := make([]byte, 4096)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						p.mu.Lock()
						p.srv.Write(buf[:n])
						p.mu.Unlock()
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *recordingProxy) serverBytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.srv.Bytes()...)
}

// parseGreeting extracts version, connection id and the 20-byte scramble from a handshake packet.
func parseGreeting(t testing.TB, b []byte) (string, uint32, []byte) {
	t.Helper()
	p, _, err := readPacket(bytes.NewReader(b))
	if err != nil || len(p) < 1 || p[0] != 10 {
		t.Fatalf("bad greeting %x: %v", b, err)
	}
	ver, rest, ok := cstring(p[1:])
	if !ok || len(rest) < 4+9+2+1+2+2+1+10+13 {
		t.Fatalf("short greeting %x", p)
	}
	id := binary.LittleEndian.Uint32(rest)
	scr := append([]byte(nil), rest[4:12]...)
	tail := rest[4+9+2+1+2+2+1+10:]
	scr = append(scr, tail[:12]...)
	return ver, id, scr
}

func TestRealClient(t *testing.T) {
	bin, err := exec.LookPath("mysql")
	if err != nil {
		t.Skip("mysql client not installed (default-mysql-client)")
	}
	in := servicetest.Start(t, "mysql", servicetest.WithPersona(map[string]any{"version": "8.0.36"}))
	proxy := startProxy(t, in.Addr(Port))
	_, pport, _ := net.SplitHostPort(proxy.ln.Addr().String())
	for _, tc := range []struct {
		user, pass, using string
	}{{"root", "Secret", "YES"}, {"backup", "", "NO"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		args := []string{"-h", "127.0.0.1", "-P", pport, "--protocol=TCP", "-u", tc.user, "--skip-ssl", "-e", "select 1"}
		if tc.pass != "" {
			args = append(args, "-p"+tc.pass)
		}
		before := len(proxy.serverBytes())
		nLines := len(in.Lines())
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("mysql: err %v, want exit 1; output %s", err, out)
		}
		want := "ERROR 1045 (28000): Access denied for user '" + tc.user + "'@'127.0.0.1' (using password: " + tc.using + ")"
		if !strings.Contains(string(out), want) {
			t.Fatalf("mysql output %q, want %q", out, want)
		}
		ver, id, scr := parseGreeting(t, proxy.serverBytes()[before:])
		if ver != "8.0.36" {
			t.Errorf("greeting version %q", ver)
		}
		auth := servicetest.Parse(t, waitNew(t, in, nLines, "auth"))
		conn := servicetest.Parse(t, waitNew(t, in, nLines, "connect"))
		resp := []byte{}
		if tc.pass != "" {
			resp = nativePassword(tc.pass, scr)
		}
		ids := strconv.FormatUint(uint64(id), 10)
		servicetest.WantFields(t, conn, map[string]string{"src": "127.0.0.1", "src_port": conn.Fields["src_port"], "connection_id": ids})
		servicetest.WantFields(t, auth, map[string]string{
			"src": "127.0.0.1", "src_port": conn.Fields["src_port"], "username": tc.user, "connection_id": ids,
			"principal": tc.user, "secret_kind": "mysql_native_password", "secret_printable": hex.EncodeToString(resp),
			"secret_b64": event.B64(resp),
		})
		if auth.AttackerIP != "127.0.0.1" {
			t.Errorf("attacker ip %q", auth.AttackerIP)
		}
	}
	in.WaitType(t, 3*time.Second, "disconnect")
}

// waitNew waits for an event of type typ among the lines emitted after the first from lines.
func waitNew(t *testing.T, in *servicetest.Instance, from int, typ string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		lines := in.Lines()
		if from > len(lines) {
			from = len(lines)
		}
		for _, l := range lines[from:] {
			if servicetest.MsgID(l) == typ {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s event after line %d; lines:\n%s", typ, from, strings.Join(in.Lines(), "\n"))
	return ""
}

func TestPickVersion(t *testing.T) {
	deb, _ := conf.LookupDistro("debian")
	ubu, _ := conf.LookupDistro("ubuntu22")
	for _, tc := range []struct {
		d    conf.Distro
		r    int
		want string
	}{
		{deb, 0, "5.7.38-log"},
		{deb, 1, "5.7.42"},
		{deb, 11, "8.0.40"},
		{ubu, 0, "8.0.32-0ubuntu0.22.04.1"},
		{ubu, 2, "8.0.36-0ubuntu0.22.04.1"},
	} {
		if got := pickVersion(tc.d, tc.r); got != tc.want {
			t.Errorf("pickVersion(%s, %d) = %q, want %q", tc.d.Slug, tc.r, got, tc.want)
		}
	}
	env := services.NewEnv("mysql", io.Discard)
	env.Decky, env.Distro = "db-01", deb
	if a, b := Version(env), Version(env); a != b {
		t.Errorf("seeded version not stable: %q vs %q", a, b)
	}
	env.Persona = services.Persona{"version": "5.6.51"}
	if v := Version(env); v != "5.6.51" {
		t.Errorf("persona version ignored: %q", v)
	}
}

// login runs a Go client login and returns the server's greeting scramble and the final reply payload.
func login(t testing.TB, addr, user, pass, plugin string) ([]byte, []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	g, _, err := readPacket(c)
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	_, _, scr := parseGreeting(t, appendPacket(nil, 0, g))
	caps := uint32(capProtocol41 | capSecureConnection | capPluginAuth | capLongPassword)
	p := binary.LittleEndian.AppendUint32(nil, caps)
	p = binary.LittleEndian.AppendUint32(p, 1<<24)
	p = append(p, 0x21)
	p = append(p, make([]byte, 23)...)
	p = append(append(p, user...), 0)
	first := nativePassword(pass, scr)
	if plugin != KindNativePassword {
		first = bytes.Repeat([]byte{0xaa}, 32)
	}
	p = append(append(p, byte(len(first))), first...)
	p = append(append(p, plugin...), 0)
	if _, err := c.Write(appendPacket(nil, 1, p)); err != nil {
		t.Fatal(err)
	}
	reply, seq, err := readPacket(c)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	if len(reply) > 0 && reply[0] == 0xfe {
		name, rest, _ := cstring(reply[1:])
		if name != KindNativePassword || !bytes.Equal(bytes.TrimRight(rest, "\x00"), scr) {
			t.Fatalf("auth switch %q %x, want native with scramble %x", name, rest, scr)
		}
		if _, err := c.Write(appendPacket(nil, seq+1, nativePassword(pass, scr))); err != nil {
			t.Fatal(err)
		}
		if reply, _, err = readPacket(c); err != nil {
			t.Fatalf("reply after switch: %v", err)
		}
	}
	return scr, reply
}

func TestAuthSwitch(t *testing.T) {
	in := servicetest.Start(t, "mysql")
	scr, reply := login(t, in.Addr(Port), "admin", "hunter2", "caching_sha2_password")
	want := errPacket(1045, "28000", "Access denied for user 'admin'@'127.0.0.1' (using password: YES)")
	if !bytes.Equal(reply, want) {
		t.Fatalf("reply %q, want %q", reply, want)
	}
	auth := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "auth"))
	if got, want := auth.Fields["secret_printable"], hex.EncodeToString(nativePassword("hunter2", scr)); got != want {
		t.Errorf("captured %s, want %s", got, want)
	}
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "mysql")
	inputs := [][]byte{
		{},
		{0xff, 0xff, 0xff, 0x01},             // oversized length
		{0x10, 0x00, 0x00, 0x01, 0x00, 0x02}, // truncated
		append([]byte{0x20, 0, 0, 1}, bytes.Repeat([]byte{0xff}, 32)...),
		append([]byte{0x30, 0, 0, 1, 0x00, 0x82, 0x28, 0, 0, 0, 0, 0, 0x21}, bytes.Repeat([]byte{'A'}, 40)...),
		[]byte("GET / HTTP/1.0\r\n\r\n"),
	}
	for i, b := range inputs {
		c, err := net.Dial("tcp", in.Addr(Port))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, _, err := readPacket(c); err != nil {
			t.Fatalf("input %d: no greeting: %v", i, err)
		}
		_, _ = c.Write(b)
		if i%2 == 0 {
			_ = c.(*net.TCPConn).CloseWrite()
		}
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}
	_, reply := login(t, in.Addr(Port), "root", "x", KindNativePassword)
	if len(reply) == 0 || reply[0] != 0xff {
		t.Fatalf("service not answering after hostile input: %x", reply)
	}
}

func TestConcurrent(t *testing.T) {
	in := servicetest.Start(t, "mysql", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", in.Addr(Port), 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, _, err := readPacket(c); err != nil {
				errs <- err
				return
			}
			p := binary.LittleEndian.AppendUint32(nil, capProtocol41|capSecureConnection)
			p = append(p, make([]byte, 28)...)
			p = append(append(p, "u"+strconv.Itoa(i)...), 0, 0)
			if _, err := c.Write(appendPacket(nil, 1, p)); err != nil {
				errs <- err
				return
			}
			r, _, err := readPacket(c)
			if err != nil || len(r) < 3 || binary.LittleEndian.Uint16(r[1:]) != 1045 {
				errs <- errors.New("bad reply")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := in.Count("auth")
	if n != 500 {
		t.Fatalf("%d auth events, want 500", n)
	}
}

func TestNmap(t *testing.T) {
	bin, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	in := servicetest.Start(t, "mysql", servicetest.WithPersona(map[string]any{"version": "8.0.36-0ubuntu0.22.04.1"}))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-sV", "-Pn", "-n", "-p", strconv.Itoa(in.Port(Port)), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "mysql") || !strings.Contains(string(out), "MySQL 8.0.36") {
		t.Fatalf("nmap did not identify MySQL 8.0.36:\n%s", out)
	}
}

func FuzzParseHandshakeResponse(f *testing.F) {
	p := binary.LittleEndian.AppendUint32(nil, capProtocol41|capSecureConnection|capPluginAuth|capConnectWithDB)
	p = append(p, make([]byte, 28)...)
	p = append(append(p, "root"...), 0, 3, 1, 2, 3)
	p = append(append(p, "db"...), 0)
	p = append(append(p, "mysql_native_password"...), 0)
	f.Add(p)
	q := binary.LittleEndian.AppendUint32(nil, capProtocol41|capPluginAuthLenenc)
	q = append(q, make([]byte, 28)...)
	f.Add(append(append(q, "a"...), 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))
	f.Add([]byte{0x85, 0xa6, 0, 0, 0, 'r', 'o', 'o', 't', 0, 'x', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshakeResponse(b)
		if err == nil && len(h.Auth) > len(b) {
			t.Fatalf("auth longer than packet")
		}
	})
}
