package telnet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// client is a minimal telnet client: it refuses every option except what the server offers, strips
// commands from the server stream and collects the text.
type client struct {
	c   net.Conn
	p   Parser
	buf bytes.Buffer
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{c: c}
}

// until reads until the collected text contains s.
func (cl *client) until(t *testing.T, s string) string {
	t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1024]byte
	for !strings.Contains(cl.buf.String(), s) {
		n, err := cl.c.Read(b[:])
		if n > 0 {
			data, cmds := cl.p.Feed(b[:n], nil)
			cl.buf.Write(data)
			for _, c := range cmds {
				switch c.Verb {
				case DO:
					if c.Opt == OptNAWS {
						cl.c.Write([]byte{IAC, WILL, OptNAWS, IAC, SB, OptNAWS, 0, 120, 0, 40, IAC, SE})
					} else {
						cl.c.Write([]byte{IAC, WONT, c.Opt})
					}
				case WILL:
					cl.c.Write([]byte{IAC, DO, c.Opt})
				}
			}
		}
		if err != nil {
			t.Fatalf("waiting for %q: %v; got %q", s, err, cl.buf.String())
		}
	}
	out := cl.buf.String()
	i := strings.Index(out, s) + len(s)
	cl.buf.Reset()
	cl.buf.WriteString(out[i:])
	return out[:i]
}

func (cl *client) send(s string) { cl.c.Write([]byte(s + "\r\n")) }

func records(in *servicetest.Instance, typ string) []event.Record {
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

func TestLoginAndCommand(t *testing.T) {
	in := servicetest.Start(t, "telnet")
	cl := dial(t, in.Addr(23))
	banner := cl.until(t, "SRV-TEST-42 login: ")
	if !strings.Contains(banner, in.Env.Distro.PrettyName) {
		t.Fatalf("banner %q lacks PRETTY_NAME", banner)
	}
	cl.send("root")
	cl.until(t, "Password: ")
	cl.send("wrong\"pw")
	cl.until(t, "Login incorrect")
	cl.until(t, "login: ")
	cl.send("ubuntu")
	cl.until(t, "Password: ")
	cl.send("admin")
	cl.until(t, "ubuntu@SRV-TEST-42:~$ ")
	cl.send("id; sudo id")
	out := cl.until(t, "ubuntu@SRV-TEST-42:~$ ")
	if !strings.Contains(out, "uid=1000(ubuntu) gid=1000(ubuntu)") || !strings.Contains(out, "-bash: sudo: command not found") {
		t.Fatalf("id output %q", out)
	}
	cl.send("su -")
	cl.until(t, "Password: ")
	cl.send("admin")
	cl.until(t, "root@SRV-TEST-42:~# ")
	cl.send("exit")
	cl.until(t, "ubuntu@SRV-TEST-42:~$ ")
	cl.send("exit")
	cl.until(t, "logout")
	in.WaitType(t, 5*time.Second, "session_recorded")
	auth := records(in, "auth_attempt")
	if len(auth) != 3 {
		t.Fatalf("want 3 auth_attempt (2 logins + su), got %d", len(auth))
	}
	want := [][3]string{{"root", "wrong\"pw", "failure"}, {"ubuntu", "admin", "success"}, {"root", "admin", "success"}}
	for i, w := range want {
		f := auth[i].Fields
		if f["username"] != w[0] || f["secret_printable"] != w[1] || f["outcome"] != w[2] || f["secret_kind"] != "plaintext" || f["src_ip"] != "127.0.0.1" {
			t.Errorf("auth_attempt %d: %v", i, f)
		}
	}
	cmds := records(in, "command")
	if len(cmds) != 4 || cmds[0].Fields["command"] != "id; sudo id" || cmds[0].Fields["uid"] != "1000" || cmds[2].Fields["uid"] != "0" {
		t.Fatalf("commands: %+v", cmds)
	}
	rec := records(in, "session_recorded")
	if len(rec) != 1 || rec[0].Fields["service"] != "telnet" {
		t.Fatalf("session_recorded %+v", rec)
	}
	if len(records(in, "connect")) != 1 {
		t.Fatal("no connect event")
	}
	in.WaitType(t, 5*time.Second, "disconnect")
}

func TestRealTelnetClient(t *testing.T) {
	if _, err := exec.LookPath("telnet"); err != nil {
		t.Skip("telnet client not installed")
	}
	in := servicetest.Start(t, "telnet")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "telnet", "127.0.0.1", fmt.Sprint(in.Port(23)))
	stdin, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, s := range []string{"root", "admin", "hostname", "exit"} {
			time.Sleep(700 * time.Millisecond)
			fmt.Fprintf(stdin, "%s\n", s)
		}
		time.Sleep(time.Second)
		stdin.Close()
	}()
	_ = cmd.Wait()
	in.WaitType(t, 5*time.Second, "command")
	c := records(in, "command")[0]
	if c.Fields["command"] != "hostname" || c.Fields["user"] != "root" {
		t.Fatalf("command %v", c.Fields)
	}
	if !strings.Contains(out.String(), "root@SRV-TEST-42:~# ") {
		t.Fatalf("telnet output %q", out.String())
	}
}

func TestNmapVersion(t *testing.T) {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap not installed")
	}
	in := servicetest.Start(t, "telnet")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nmap", "-sV", "-Pn", "-n", "-p", fmt.Sprint(in.Port(23)), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v %s", err, out)
	}
	if !strings.Contains(string(out), "open  telnet") || !strings.Contains(string(out), "Linux telnetd") {
		t.Fatalf("nmap output:\n%s", out)
	}
}

func TestConcurrentAndHostile(t *testing.T) {
	in := servicetest.Start(t, "telnet", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	conns := make(chan net.Conn, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", in.Addr(23), 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			conns <- c
			c.Write([]byte{IAC, WONT, OptTType})
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			r := bufio.NewReader(c)
			var got []byte
			for !bytes.Contains(got, []byte("login: ")) {
				b, err := r.ReadByte()
				if err != nil {
					errs <- fmt.Errorf("no login prompt: %v (%q)", err, got)
					return
				}
				got = append(got, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(conns)
	for err := range errs {
		t.Fatal(err)
	}
	for c := range conns {
		c.Close()
	}
	r := rand.New(rand.NewPCG(5, 6))
	hostile := [][]byte{
		{IAC, SB, OptNAWS}, // unterminated subnegotiation
		append([]byte{IAC, SB, OptTType}, bytes.Repeat([]byte{0x41}, 100000)...),
		bytes.Repeat([]byte{IAC, DO, 99, IAC, WILL, 98}, 5000),
		bytes.Repeat([]byte("A"), 200000),
		{IAC, IAC, IAC},
	}
	junk := make([]byte, 8192)
	for i := range junk {
		junk[i] = byte(r.IntN(256))
	}
	hostile = append(hostile, junk)
	for _, h := range hostile {
		c, err := net.Dial("tcp", in.Addr(23))
		if err != nil {
			t.Fatal(err)
		}
		c.Write(h)
		c.Close()
	}
	cl := dial(t, in.Addr(23))
	cl.until(t, "login: ")
	cl.send("root")
	cl.until(t, "Password: ")
	cl.send("admin")
	cl.until(t, "root@SRV-TEST-42:~# ")
}
