package mssql

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
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

func TestTsql(t *testing.T) {
	bin, err := exec.LookPath("tsql")
	if err != nil {
		t.Skip("tsql not installed (freetds-bin)")
	}
	in := servicetest.Start(t, "mssql")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "freetds.conf")
	if err := os.WriteFile(cfg, []byte("[global]\n\ttds version = 7.4\n\tencryption = request\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(in.Port(Port)), "-U", "sa", "-P", "Secret1!")
	cmd.Env = append(os.Environ(), "TDSVER=7.4", "FREETDSCONF="+cfg, "HOME="+dir)
	cmd.Stdin = strings.NewReader("quit\n")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "Login failed for user 'sa'.") || !strings.Contains(string(out), "18456") {
		t.Fatalf("tsql output lacks the login failure:\n%s", out)
	}
	auth := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "auth"))
	servicetest.WantFields(t, auth, map[string]string{"src": "127.0.0.1", "src_port": auth.Fields["src_port"], "username": "sa",
		"principal": "sa", "secret_kind": "plaintext", "secret_printable": "Secret1!", "secret_b64": event.B64([]byte("Secret1!"))})
	conn := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "connect"))
	servicetest.WantFields(t, conn, map[string]string{"src": "127.0.0.1", "src_port": auth.Fields["src_port"]})
	in.WaitType(t, 3*time.Second, "disconnect")
}

// nmapPrelogin is the PRELOGIN nmap's ms-sql-s probe sends.
var nmapPrelogin = []byte("\x12\x01\x00\x34\x00\x00\x00\x00\x00\x00\x15\x00\x06\x01\x00\x1b\x00\x01\x02\x00\x1c\x00\x0c\x03\x00\x28\x00\x04\xff\x08\x00\x01\x55\x00\x00\x00\x4d\x53\x53\x51\x4c\x53\x65\x72\x76\x65\x72\x00\x48\x0f\x00\x00")

// login7 builds a LOGIN7 message (TDS 7.4) in one packet.
func login7(host, user, pass, app string) []byte {
	fixed := make([]byte, 94)
	binary.LittleEndian.PutUint32(fixed[4:], 0x74000004)
	binary.LittleEndian.PutUint32(fixed[8:], 4096)
	var data []byte
	put := func(at int, s string, obf bool) {
		b := appendUCS2(nil, s)
		if obf {
			b = obfuscate(b)
		}
		binary.LittleEndian.PutUint16(fixed[at:], uint16(94+len(data)))
		binary.LittleEndian.PutUint16(fixed[at+2:], uint16(len(b)/2))
		data = append(data, b...)
	}
	put(36, host, false)
	put(40, user, false)
	put(44, pass, true)
	put(48, app, false)
	put(52, "db01", false)
	p := append(fixed, data...)
	binary.LittleEndian.PutUint32(p, uint32(len(p)))
	h := []byte{typeLogin7, 0x01, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(h[2:], uint16(8+len(p)))
	return append(h, p...)
}

func readReply(t testing.TB, r io.Reader) []byte {
	t.Helper()
	h, err := readHeader(r)
	if err != nil || h.typ != typeReply {
		t.Fatalf("reply header %+v: %v", h, err)
	}
	b, err := readBody(r, h)
	if err != nil {
		t.Fatalf("reply body: %v", err)
	}
	return b
}

func clientLogin(t testing.TB, addr, user, pass string) []byte {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write(nmapPrelogin)
	opts, err := ParsePrelogin(readReply(t, c))
	if err != nil || !bytes.Equal(opts[optEncryption], []byte{encryptNotSup}) {
		t.Fatalf("prelogin reply %v %v", opts, err)
	}
	_, _ = c.Write(login7("WS-01", user, pass, "bench"))
	return readReply(t, c)
}

func TestPreloginLayout(t *testing.T) {
	in := servicetest.Start(t, "mssql")
	c, err := net.Dial("tcp", in.Addr(Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write(nmapPrelogin)
	buf := make([]byte, 37)
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	v := Version(in.Env)
	want := []byte("\x04\x01\x00\x25\x00\x00\x01\x00\x00\x00\x15\x00\x06\x01\x00\x1b\x00\x01\x02\x00\x1c\x00\x01\x03\x00\x1d\x00\x00\xff")
	want = append(want, byte(v[0]), byte(v[1]), byte(v[2]>>8), byte(v[2]), 0, 0, encryptNotSup, 0)
	if !bytes.Equal(buf, want) {
		t.Fatalf("prelogin reply\n got %x\nwant %x", buf, want)
	}
}

func TestLoginCaptured(t *testing.T) {
	in := servicetest.Start(t, "mssql")
	reply := clientLogin(t, in.Addr(Port), "dbadmin", "pässwörd")
	if reply[0] != 0xaa || binary.LittleEndian.Uint32(reply[3:]) != 18456 {
		t.Fatalf("reply %x", reply)
	}
	if !bytes.Contains(reply, appendUCS2(nil, "Login failed for user 'dbadmin'.")) || !bytes.Contains(reply, appendUCS2(nil, "SRV-TEST-42")) {
		t.Errorf("reply lacks message/server name: %x", reply)
	}
	if !bytes.HasSuffix(reply, []byte{0xfd, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("reply lacks DONE(error): %x", reply)
	}
	auth := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "auth"))
	if auth.Fields["secret_printable"] != "p??ssw??rd" || auth.Fields["secret_b64"] != event.B64([]byte("pässwörd")) {
		t.Errorf("captured %v", auth.Fields)
	}
}

func TestUnknownPacket(t *testing.T) {
	in := servicetest.Start(t, "mssql")
	c, err := net.Dial("tcp", in.Addr(Port))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte{0x01, 0x01, 0x00, 0x0c, 0, 0, 1, 0, 's', 0, 'e', 0})
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if n, _ := c.Read(make([]byte, 10)); n != 0 {
		t.Errorf("got %d bytes, want close", n)
	}
	c.Close()
	ev := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "unknown_packet"))
	servicetest.WantFields(t, ev, map[string]string{"src": "127.0.0.1", "src_port": ev.Fields["src_port"], "pkt_type": "1"})
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "mssql")
	bad := login7("h", "u", "p", "a")
	binary.LittleEndian.PutUint16(bad[8+40:], 0xfff0) // username offset beyond the packet
	inputs := [][]byte{
		{0x12, 0x01, 0x00, 0x03, 0, 0, 0, 0},
		{0x12, 0x01, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3},
		{0x12, 0x00, 0x00, 0x09, 0, 0, 0, 0, 0xff, 0x12, 0x00, 0x7f, 0xff},
		{0x12, 0x01, 0x00, 0x0d, 0, 0, 0, 0, 0x00, 0xff, 0xff, 0x00, 0x06},
		{0x10, 0x01, 0x00, 0x10, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8},
		bad,
		bytes.Repeat([]byte{0x10, 0x00, 0x7f, 0xff, 0, 0, 0, 0}, 4),
	}
	for _, b := range inputs {
		c, err := net.Dial("tcp", in.Addr(Port))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = c.Write(b)
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}
	if reply := clientLogin(t, in.Addr(Port), "sa", "x"); reply[0] != 0xaa {
		t.Fatalf("not serving after hostile input: %x", reply)
	}
}

func TestConcurrent(t *testing.T) {
	in := servicetest.Start(t, "mssql", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if reply := clientLogin(t, in.Addr(Port), fmt.Sprint("u", i), "p"); reply[0] != 0xaa {
				t.Errorf("conn %d: %x", i, reply)
			}
		}()
	}
	wg.Wait()
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
	in := servicetest.Start(t, "mssql")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-sV", "-Pn", "-n", "-p", strconv.Itoa(in.Port(Port)), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	v := Version(in.Env)
	if !strings.Contains(string(out), "ms-sql-s") || !strings.Contains(string(out), "Microsoft SQL Server") ||
		!strings.Contains(string(out), fmt.Sprintf("%d.00.%d", v[0], v[2])) {
		t.Fatalf("nmap did not identify SQL Server %v:\n%s", v, out)
	}
}

func TestDeobfuscate(t *testing.T) {
	for _, s := range []string{"", "a", "Secret1!", "pässwörd"} {
		b := appendUCS2(nil, s)
		if got := ucs2(deobfuscate(obfuscate(b))); got != s {
			t.Errorf("round trip %q → %q", s, got)
		}
	}
	// MS-TDS example: 'a' (0x61) obfuscates to 0xb3.
	if got := obfuscate([]byte{0x61}); got[0] != 0xb3 {
		t.Errorf("obfuscate(0x61) = %#x, want 0xb3", got[0])
	}
}

func FuzzPrelogin(f *testing.F) {
	f.Add(nmapPrelogin[8:])
	f.Add([]byte{0x00, 0xff, 0xff, 0x00, 0x06, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		opts, err := ParsePrelogin(b)
		if err == nil {
			for _, v := range opts {
				if len(v) > len(b) {
					t.Fatal("option beyond payload")
				}
			}
		}
		h, err := readHeader(bytes.NewReader(b))
		if err == nil {
			_, _ = readBody(bytes.NewReader(b[8:]), h)
		}
	})
}

func FuzzLogin7(f *testing.F) {
	f.Add(login7("host", "sa", "pw", "app")[8:])
	f.Add(make([]byte, 94))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLogin7(b)
		if err == nil && len(l.Username)+len(l.Password) > 3*len(b) {
			t.Fatal("decoded more than the payload holds")
		}
	})
}
