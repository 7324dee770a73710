package postgres

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// waitNew waits for an event of type typ among the lines emitted after the first from lines.
func waitNew(t testing.TB, in *servicetest.Instance, from int, typ string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		lines := in.Lines()
		for _, l := range lines[min(from, len(lines)):] {
			if servicetest.MsgID(l) == typ {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s event after line %d; lines:\n%s", typ, from, strings.Join(in.Lines(), "\n"))
	return ""
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestPsql(t *testing.T) {
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed (postgresql-client)")
	}
	for _, method := range []string{MethodCleartext, MethodMD5, MethodSCRAM} {
		t.Run(method, func(t *testing.T) {
			in := servicetest.Start(t, "postgres", servicetest.WithPersona(map[string]any{"auth_method": method}))
			for _, tc := range []struct{ db, wantErr string }{
				{"postgres", `FATAL:  password authentication failed for user "alice"`},
				{"alice", `FATAL:  password authentication failed for user "alice"`},
				{"payroll", `FATAL:  database "payroll" does not exist`},
			} {
				from := len(in.Lines())
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				cmd := exec.CommandContext(ctx, bin, "-h", "127.0.0.1", "-p", strconv.Itoa(in.Port(Port)), "-U", "alice", "-d", tc.db, "-c", "select 1")
				cmd.Env = append(os.Environ(), "PGPASSWORD=Secret", "PGAPPNAME=psql-test", "PGCONNECT_TIMEOUT=10")
				out, err := cmd.CombinedOutput()
				cancel()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 2 {
					t.Fatalf("psql: %v, want exit 2; output %s", err, out)
				}
				if !strings.Contains(string(out), tc.wantErr) {
					t.Fatalf("psql output %q, want %q", out, tc.wantErr)
				}
				st := servicetest.Parse(t, waitNew(t, in, from, "startup_message"))
				port := st.Fields["src_port"]
				servicetest.WantFields(t, st, map[string]string{"src": "127.0.0.1", "src_port": port, "username": "alice",
					"database": tc.db, "application_name": "psql-test"})
				auth := servicetest.Parse(t, waitNew(t, in, from, "auth"))
				want := map[string]string{"src": "127.0.0.1", "src_port": port, "username": "alice", "database": tc.db,
					"principal": "alice", "secret_kind": "plaintext", "secret_printable": "Secret", "secret_b64": event.B64([]byte("Secret"))}
				switch method {
				case MethodMD5:
					salt, _ := hex.DecodeString(auth.Fields["salt"])
					if len(salt) != 4 {
						t.Fatalf("salt %q", auth.Fields["salt"])
					}
					h := "md5" + md5hex(md5hex("Secretalice")+string(salt))
					want["secret_kind"], want["secret_printable"], want["secret_b64"], want["salt"] = KindMD5, h, event.B64([]byte(h)), auth.Fields["salt"]
				case MethodSCRAM:
					proof := auth.Fields["secret_printable"]
					raw, err := base64.StdEncoding.DecodeString(proof)
					if err != nil || len(raw) != 32 {
						t.Fatalf("scram proof %q", proof)
					}
					want["secret_kind"], want["secret_printable"], want["secret_b64"] = KindSCRAM, proof, proof
				}
				servicetest.WantFields(t, auth, want)
			}
		})
	}
}

func startupPacket(params ...string) []byte {
	body := binary.BigEndian.AppendUint32(nil, protocolV3)
	for _, p := range params {
		body = append(append(body, p...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(4+len(body))), body...)
}

func readMsg(t testing.TB, r io.Reader) (byte, []byte) {
	t.Helper()
	typ, body, err := readMessage(r)
	if err != nil {
		t.Fatalf("read backend message: %v", err)
	}
	return typ, body
}

// scramLogin performs a real SCRAM-SHA-256 client exchange and returns the proof it sent.
func scramLogin(t testing.TB, addr, user, pass string) (string, []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write(startupPacket("user", user, "database", "postgres"))
	typ, body := readMsg(t, c)
	if typ != 'R' || binary.BigEndian.Uint32(body) != 10 || !bytes.Contains(body, []byte("SCRAM-SHA-256\x00")) {
		t.Fatalf("want AuthenticationSASL, got %c %q", typ, body)
	}
	bare := "n=,r=clientnonce0123456789"
	first := "n,," + bare
	init := append([]byte("SCRAM-SHA-256\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(first)))...)
	_, _ = c.Write(message('p', append(init, first...)))
	typ, body = readMsg(t, c)
	if typ != 'R' || binary.BigEndian.Uint32(body) != 11 {
		t.Fatalf("want SASLContinue, got %c %q", typ, body)
	}
	sfirst := string(body[4:])
	nonce, _ := scramAttr(sfirst, "r")
	salt64, _ := scramAttr(sfirst, "s")
	iter, _ := scramAttr(sfirst, "i")
	if !strings.HasPrefix(nonce, "clientnonce0123456789") || iter != "4096" {
		t.Fatalf("server-first %q", sfirst)
	}
	salt, _ := base64.StdEncoding.DecodeString(salt64)
	salted, _ := pbkdf2.Key(sha256.New, pass, salt, 4096, 32)
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	noProof := "c=biws,r=" + nonce
	sig := mac(stored[:], bare+","+sfirst+","+noProof)
	proof := make([]byte, 32)
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	p64 := base64.StdEncoding.EncodeToString(proof)
	_, _ = c.Write(message('p', []byte(noProof+",p="+p64)))
	typ, body = readMsg(t, c)
	if typ != 'E' {
		t.Fatalf("want ErrorResponse, got %c", typ)
	}
	return p64, body
}

func TestSCRAMProofCaptured(t *testing.T) {
	in := servicetest.Start(t, "postgres", servicetest.WithPersona(map[string]any{"auth_method": MethodSCRAM}))
	proof, errBody := scramLogin(t, in.Addr(Port), "bob", "pa55")
	if !bytes.Contains(errBody, []byte("C28P01\x00Mpassword authentication failed for user \"bob\"\x00")) {
		t.Errorf("error body %q", errBody)
	}
	auth := servicetest.Parse(t, in.WaitType(t, 3*time.Second, "auth"))
	if auth.Fields["secret_printable"] != proof || auth.Fields["secret_kind"] != KindSCRAM {
		t.Errorf("captured %q, want %q", auth.Fields["secret_printable"], proof)
	}
}

func TestNmapAndProbes(t *testing.T) {
	in := servicetest.Start(t, "postgres", servicetest.WithPersona(map[string]any{"version": "15.8"}))
	// nmap's SMBProgNeg probe reaches PostgreSQL as protocol 65363.19778.
	c, err := net.Dial("tcp", in.Addr(Port))
	if err != nil {
		t.Fatal(err)
	}
	pkt := append([]byte{0, 0, 0, 0xa4, 0xff, 'S', 'M', 'B'}, make([]byte, 0xa4-8)...)
	_, _ = c.Write(pkt)
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	got, _ := io.ReadAll(c)
	c.Close()
	if !bytes.Contains(got, []byte("Munsupported frontend protocol 65363.19778: server supports 3.0 to 3.0\x00Fpostmaster.c\x00L2194\x00RProcessStartupPacket\x00\x00")) {
		t.Errorf("probe reply %q", got)
	}
	bin, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-sV", "-Pn", "-n", "-p", strconv.Itoa(in.Port(Port)), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "postgresql") || !strings.Contains(string(out), "PostgreSQL DB") {
		t.Fatalf("nmap did not identify PostgreSQL:\n%s", out)
	}
}

func cleartextLogin(t testing.TB, addr, user string) []byte {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, codeSSLRequest))
	var n [1]byte
	if _, err := io.ReadFull(c, n[:]); err != nil || n[0] != 'N' {
		t.Fatalf("SSLRequest answer %q %v", n, err)
	}
	_, _ = c.Write(startupPacket("user", user))
	if typ, body := readMsg(t, c); typ != 'R' || binary.BigEndian.Uint32(body) != 3 {
		t.Fatalf("want AuthenticationCleartextPassword, got %c %x", typ, body)
	}
	_, _ = c.Write(message('p', []byte("pw\x00")))
	typ, body := readMsg(t, c)
	if typ != 'E' {
		t.Fatalf("want ErrorResponse, got %c", typ)
	}
	return body
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "postgres")
	inputs := [][]byte{
		{0, 0, 0, 3},
		{0x7f, 0xff, 0xff, 0xff},
		{0, 0, 0, 50, 0, 3, 0, 0, 'u'},
		startupPacket("user"),
		append(startupPacket("user", "x"), 'p', 0xff, 0xff, 0xff, 0xff),
		append(startupPacket("user", "x"), 'p', 0, 0, 0, 2),
		[]byte("GET / HTTP/1.0\r\n\r\n"),
		bytes.Repeat([]byte{0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f}, 20),
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
	if body := cleartextLogin(t, in.Addr(Port), "postgres"); !bytes.Contains(body, []byte("28P01")) {
		t.Fatalf("not serving after hostile input: %q", body)
	}
}

func TestConcurrent(t *testing.T) {
	in := servicetest.Start(t, "postgres", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if body := cleartextLogin(t, in.Addr(Port), fmt.Sprint("u", i)); !bytes.Contains(body, []byte("28P01")) {
				t.Errorf("conn %d: %q", i, body)
			}
		}()
	}
	wg.Wait()
	n := in.Count("auth")
	if n != 500 {
		t.Fatalf("%d auth events, want 500", n)
	}
}

func TestParsers(t *testing.T) {
	st, err := ParseStartup([]byte("user\x00alice\x00database\x00db\x00\x00"))
	if err != nil || st.Get("user") != "alice" || st.Get("database") != "db" {
		t.Errorf("ParseStartup: %+v %v", st, err)
	}
	for _, bad := range []string{"user\x00alice", "user", "user\x00alice\x00"} {
		if _, err := ParseStartup([]byte(bad)); err == nil {
			t.Errorf("ParseStartup(%q) accepted", bad)
		}
	}
	for _, tc := range []struct{ in, nonce string }{
		{"n,,n=,r=abc", "abc"}, {"y,,n=x,r=q", "q"}, {"p=tls-server-end-point,,n=,r=z", "z"}, {"n,,n=", ""}, {"nope", ""},
	} {
		got, err := ParseClientFirst([]byte(tc.in))
		if got != tc.nonce || (err == nil) != (tc.nonce != "") {
			t.Errorf("ParseClientFirst(%q) = %q, %v", tc.in, got, err)
		}
	}
	if p, err := ParseClientFinal([]byte("c=biws,r=abc,p=UFJPT0Y=")); err != nil || p != "UFJPT0Y=" {
		t.Errorf("ParseClientFinal = %q %v", p, err)
	}
}

func FuzzStartup(f *testing.F) {
	f.Add(startupPacket("user", "alice", "database", "x")[8:])
	f.Add([]byte("user\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStartup(b)
		if err == nil && len(st.Order) != len(st.Params) {
			t.Fatal("order/params mismatch")
		}
		_, _, _ = readStartup(bytes.NewReader(b))
	})
}

func FuzzPasswordMessages(f *testing.F) {
	f.Add([]byte("SCRAM-SHA-256\x00\x00\x00\x00\x0bn,,n=,r=abc"))
	f.Add([]byte("SCRAM-SHA-256\x00\xff\xff\xff\xff"))
	f.Add([]byte("c=biws,r=abc,p=xyz"))
	f.Add([]byte("p\x00\x00\x00\x08pw\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ParsePassword(b)
		if _, data, err := ParseSASLInitial(b); err == nil && len(data) > len(b) {
			t.Fatal("sasl data beyond message")
		}
		_, _ = ParseClientFirst(b)
		_, _ = ParseClientFinal(b)
		_, _, _ = readMessage(bytes.NewReader(b))
	})
}
